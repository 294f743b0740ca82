"""``load_ntuples``: the user's own event files (ROOT, Parquet, CSV, HDF5) as a Bunch."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import ast
import difflib
import os
import re
import warnings
from collections.abc import Mapping
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._validation import check_bool

__all__ = ["load_ntuples"]

_ROOT_HINT = 'Reading ROOT files needs uproot: pip install "physml-sklearn[root]"'
_FORMATS = ".root (as 'file.root:tree'), .parquet, .csv, .h5 / .hdf5"
#: ROOT trees are read in at least this many chunks (of at least 10,000 events),
#: so that the chunk being decompressed is small beside the columns already read
_ROOT_MIN_CHUNKS = 16
#: and a chunk of the selected branches never holds more than this many bytes
_ROOT_MAX_CHUNK_BYTES = 50_000_000
#: why a CSV column that pandas could not read as numbers is refused
_TEXT_AMONG_NUMBERS = "numbers with text among them"
#: a unit at the end of a ROOT branch title: "missing transverse energy [GeV]"
_UNIT_IN_TITLE = re.compile(r"(?:^|\s)\[([^\[\]]*)\]\s*$")
#: units listed in a TTree title: "WZ events; units: met [GeV], lep1_eta []"
_UNITS_IN_TREE_TITLE = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\s+\[([^\[\]]*)\]")


def _available_memory():
    """Bytes of memory this process may still take (None where unknown)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _import_uproot():
    try:
        import uproot
    except ImportError as exc:
        raise ImportError(f"{_ROOT_HINT} ({exc}).") from exc
    return uproot


def _did_you_mean(name, candidates):
    close = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=3)
    return f" Did you mean {', '.join(map(repr, close))}?" if close else ""


#: the ROOT classes load_ntuples reads events from
_TREE_CLASSES = ("TTree", "TNtuple", "TNtupleD", "ROOT::RNTuple")


def _ttree_schema(tree):
    """Map each branch of a TTree to None (one number per event) or why not."""
    from uproot.interpretation.jagged import AsJagged
    from uproot.interpretation.objects import AsObjects
    from uproot.interpretation.strings import AsStrings

    out = {}
    for name in tree.keys(recursive=True):
        branch = tree[name]
        if branch.branches:  # a parent of sub-branches holds no values itself
            continue
        try:
            interp = branch.interpretation
        except Exception:  # noqa: BLE001 - uproot cannot interpret it
            interp = None
        dtype = getattr(interp, "to_dtype", None)
        if isinstance(interp, AsJagged) or (
            isinstance(interp, AsObjects) and "vector" in branch.typename
        ):
            out[name] = f"jagged ({branch.typename})"
        elif isinstance(interp, AsStrings) or dtype is None:
            out[name] = f"not numeric ({branch.typename})"
        elif dtype.shape != ():
            out[name] = f"jagged ({branch.typename}, {dtype.shape} values per event)"
        elif dtype.kind not in "biuf":
            out[name] = f"not numeric ({branch.typename})"
        else:
            out[name] = None
    return out


def _rntuple_schema(ntuple):
    """Map each field of an RNTuple to None (one number per event) or why not."""
    import awkward as ak

    record = ntuple.arrays(entry_stop=0).type.content
    out = {}
    for name, kind in zip(record.fields, record.contents):
        if isinstance(kind, ak.types.OptionType):
            kind = kind.content
        if isinstance(kind, ak.types.NumpyType) and (
            kind.primitive == "bool" or kind.primitive.startswith(("int", "uint", "float"))
        ):
            out[name] = None
        elif isinstance(kind, (ak.types.ListType, ak.types.RegularType)) and (
            kind.parameter("__array__") not in ("string", "bytestring")
        ):
            out[name] = f"jagged ({kind})"
        else:
            out[name] = f"not numeric ({kind})"
    return out


class _Source:
    """One file (or tree) of one class: knows its columns and reads them."""

    def __init__(self, spec, label):
        self.label = label
        text = str(spec)
        self.key = None
        lower = text.lower()
        cut = lower.rfind(".root:")
        if cut >= 0:
            self.path, self.key, self.format = text[: cut + 5], text[cut + 6 :], "root"
        elif lower.endswith(".root"):
            self.path, self.format = text, "root"
        else:
            cut = max(lower.rfind(".h5:"), lower.rfind(".hdf5:"))
            if cut >= 0:
                colon = text.index(":", cut)
                self.path, self.key = text[:colon], text[colon + 1 :]
            else:
                self.path = text
            suffix = Path(self.path).suffix.lower()
            formats = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv",
                       ".h5": "hdf5", ".hdf5": "hdf5"}
            if suffix not in formats:
                raise ValueError(
                    f"{text} (class {label!r}): unknown file type {suffix or '(none)'!r}; "
                    f"load_ntuples reads {_FORMATS}."
                )
            self.format = formats[suffix]
        if not Path(self.path).is_file():
            raise FileNotFoundError(
                f"{self.path} (class {label!r}): no such file."
            )
        self.name = text if self.key is None else f"{self.path}:{self.key}"
        self._frame = None
        #: the unit of each column whose unit the file states
        self.units = {}

    # -- what is in the file ----------------------------------------------------
    def schema(self):
        """Map each column to None (a scalar number) or why it is not one."""
        reader = getattr(self, f"_schema_{self.format}")
        self._schema = reader()
        return self._schema

    def _open_tree(self, file):
        """The TTree (or RNTuple) named by the source."""
        trees = [
            name.rsplit(";", 1)[0]
            for name, cls in file.classnames(recursive=True).items()
            if cls in _TREE_CLASSES
        ]
        if self.key is None:
            if len(set(trees)) != 1:
                raise ValueError(
                    f"{self.path} (class {self.label!r}) holds {len(set(trees))} trees "
                    f"{sorted(set(trees))}; name one as '{self.path}:tree'."
                )
            self.key = trees[0]
            self.name = f"{self.path}:{self.key}"
        if self.key not in trees:
            raise ValueError(
                f"{self.path} (class {self.label!r}) has no tree {self.key!r}."
                f"{_did_you_mean(self.key, trees)} Trees in the file: {sorted(set(trees))}."
            )
        return file[self.key]

    def _schema_root(self):
        uproot = _import_uproot()
        with uproot.open(self.path) as file:
            tree = self._open_tree(file)
            self.n_entries = tree.num_entries
            if isinstance(tree, uproot.TTree):
                schema = _ttree_schema(tree)
                listed = dict(_UNITS_IN_TREE_TITLE.findall(str(tree.title or "")))
                for name in schema:
                    unit = _UNIT_IN_TITLE.search(str(tree[name].title or ""))
                    unit = unit.group(1) if unit else listed.get(name)
                    if unit is not None:
                        self.units[name] = unit.strip()
                return schema
            return _rntuple_schema(tree)

    def _schema_parquet(self):
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pq.read_schema(self.path)
        # pandas stores a DataFrame's index as extra columns (e.g.
        # ``__index_level_0__`` after a selection): not branches of the events
        index = {
            name for name in (schema.pandas_metadata or {}).get("index_columns", ())
            if isinstance(name, str)
        }
        out = {}
        for field in schema:
            if field.name in index:
                continue
            kind = field.type
            if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
                out[field.name] = None
                unit = (field.metadata or {}).get(b"unit")
                if unit is not None:
                    self.units[field.name] = unit.decode("utf-8", "replace").strip()
            elif pa.types.is_list(kind) or pa.types.is_large_list(kind) or (
                pa.types.is_fixed_size_list(kind)
            ):
                out[field.name] = f"jagged ({kind})"
            else:
                out[field.name] = f"not numeric ({kind})"
        return out

    def _schema_hdf5(self):
        from ._hdf5 import PandasHDF5

        try:
            store = PandasHDF5(self.path, None)
        except ValueError as exc:
            raise ValueError(f"{self.path} (class {self.label!r}): {exc}.") from None
        try:
            keys = store.keys
            if self.key is None:
                if len(keys) != 1:
                    raise ValueError(
                        f"{self.path} (class {self.label!r}) holds {len(keys)} "
                        f"tables {keys}; name one as '{self.path}:key'."
                    )
                self.key = keys[0]
                self.name = f"{self.path}:{self.key}"
            if self.key.strip("/") not in keys:
                raise ValueError(
                    f"{self.path} (class {self.label!r}) has no table "
                    f"{self.key!r}.{_did_you_mean(self.key, keys)} Tables in "
                    f"the file: {keys}."
                )
            store.key = self.key.strip("/")
            try:
                columns = store.columns()
            except (ValueError, KeyError, OSError) as exc:
                raise ValueError(f"{self.name} (class {self.label!r}): {exc}.") from None
        finally:
            store.close()
        for name, column in columns.items():
            if column.why is not None and "pickle" in column.why:
                raise ValueError(
                    f"{self.name} (class {self.label!r}): column {name!r} holds Python "
                    "objects, which pandas stores with pickle; load_ntuples never "
                    "unpickles a file (that runs whatever code the file names). Write "
                    "the table with numbers and text only, e.g. "
                    "frame.to_hdf(path, key=..., format='table'), or drop the column."
                )
        return {name: column.why for name, column in columns.items()}

    def _read_hdf5(self, columns):
        from ._hdf5 import PandasHDF5

        store = PandasHDF5(self.path, self.key.strip("/"))
        try:
            found = store.columns()
            self._check_memory(
                max(found[n].n_rows for n in columns), columns,
                sum(found[n].itemsize for n in columns),
            )
            fields = {}  # a table's block of columns, read once for all of them
            return pd.DataFrame({name: found[name].read(fields) for name in columns},
                                copy=False)
        finally:
            store.close()

    def _read_csv(self):
        if self._frame is None:
            self._frame = pd.read_csv(self.path)
        return self._frame

    def _schema_csv(self):
        return self._schema_frame(self._read_csv())

    @staticmethod
    def _schema_frame(frame):
        out = {}
        for name, dtype in frame.dtypes.items():
            name = str(name)
            if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
                out[name] = None
                continue
            column = frame[name].dropna()
            first = column.iloc[0] if len(column) else None
            if isinstance(first, (list, tuple, np.ndarray)):
                out[name] = "jagged (a list per event)"
                continue
            # some cells numbers, some text: a typo, a unit or a spreadsheet
            # error in a column of numbers
            text = pd.to_numeric(column, errors="coerce").isna().to_numpy()
            if text.all():
                out[name] = f"not numeric ({dtype})"
            else:
                row = column.index[int(np.argmax(text))]
                out[name] = (
                    f"{_TEXT_AMONG_NUMBERS}: {int(text.sum())} of its {len(frame)} cells "
                    f"are not numbers, the first at row {row} (counting from 0 after "
                    f"the header): {column.loc[row]!r}"
                )
        return out

    def _check_memory(self, n_rows, columns, row_bytes):
        """Refuse a read larger than the free memory (a damaged or hostile file)."""
        need = int(n_rows) * int(row_bytes)
        free = _available_memory()
        if free is not None and need > free:
            raise MemoryError(
                f"{self.name} (class {self.label!r}): reading {len(columns)} column(s) "
                f"of the {int(n_rows):,} events the file declares takes "
                f"{need / 1e9:.3g} GB, more than the {free / 1e9:.3g} GB of memory "
                "available. Read fewer columns, split the file, or check that it is "
                "not damaged."
            )

    # -- reading ----------------------------------------------------------------
    def read(self, columns, selection, collect):
        """Append the selected rows of ``columns`` to the lists in ``collect``.

        Returns the number of rows kept.
        """
        if self.format == "root":
            return self._read_root(columns, selection, collect)
        if self.format == "parquet":
            frame = self._read_parquet(columns)
        elif self.format == "hdf5":
            frame = self._read_hdf5(columns)
        else:
            frame = self._read_csv()[columns]
            self._frame = None
        n_before = len(frame)
        frame = self._select(frame, selection)
        self._check_kept(len(frame), n_before, selection)
        for name in columns:
            collect[name].append(frame[name].to_numpy())
        return len(frame)

    def _read_parquet(self, columns):
        """The columns as arrays, straight from Arrow (no pandas metadata is read)."""
        import pyarrow.parquet as pq

        with pq.ParquetFile(self.path) as file:
            self._check_memory(file.metadata.num_rows, columns, 8 * len(columns))
            table = file.read(columns=columns)
        return pd.DataFrame(
            {name: table.column(name).to_numpy() for name in columns}, copy=False
        )

    def _read_root(self, columns, selection, collect):
        uproot = _import_uproot()
        kept = 0
        with uproot.open(self.path) as file:
            tree = file[self.key]
            n_entries = tree.num_entries
            self._check_memory(n_entries, columns, 8 * len(columns))
            step = min(
                _ROOT_MAX_CHUNK_BYTES // (8 * len(columns)),
                max(-(-n_entries // _ROOT_MIN_CHUNKS), 10_000),
            )
            # without a selection the size is known: fill one array per branch,
            # so that only one chunk at a time is held besides the result
            whole = {}
            for chunk in tree.iterate(filter_name=columns, library="np", step_size=step):
                n = len(chunk[columns[0]])
                if selection is None:
                    for name in columns:
                        if name not in whole:
                            whole[name] = np.empty(n_entries, dtype=chunk[name].dtype)
                        whole[name][kept : kept + n] = chunk[name]
                else:
                    frame = self._select(pd.DataFrame(chunk, copy=False), selection)
                    n = len(frame)
                    for name in columns:
                        collect[name].append(frame[name].to_numpy())
                del chunk
                kept += n
            for name, values in whole.items():
                collect[name].append(values)
        self._check_kept(kept, self.n_entries, selection)
        return kept

    def _select(self, frame, selection):
        if selection is None:
            return frame
        try:
            return frame.query(selection)
        except pd.errors.UndefinedVariableError as exc:
            missing = re.search(r"name '([^']+)' is not defined", str(exc))
            name = missing.group(1) if missing else "?"
            raise ValueError(
                f"{self.name}: the selection {selection!r} uses {name!r}, which is "
                f"not a column.{_did_you_mean(name, self._schema)}"
            ) from exc
        except Exception as exc:
            raise ValueError(
                f"{self.name}: the selection {selection!r} failed: {exc}. Pass a "
                "pandas DataFrame.query expression such as 'n_jets >= 2'."
            ) from exc

    def _check_kept(self, kept, total, selection):
        if kept == 0:
            if selection is None:
                raise ValueError(f"{self.name} (class {self.label!r}) holds no event.")
            raise ValueError(
                f"{self.name} (class {self.label!r}): the selection {selection!r} keeps "
                f"no event of {total}. Loosen it, or check the file."
            )


def _selection_names(selection, available):
    """The column names a ``DataFrame.query`` string refers to."""
    names = set(re.findall(r"`([^`]+)`", selection))
    text = re.sub(r"`[^`]+`", "_", selection)
    try:
        names |= {n.id for n in ast.walk(ast.parse(text, mode="eval"))
                  if isinstance(n, ast.Name)}
    except SyntaxError:
        names |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    return [n for n in available if n in names]


def _check_sources(sources):
    if not isinstance(sources, Mapping) or len(sources) == 0:
        raise ValueError(
            "sources must map each class label to one file or a list of files, e.g. "
            "{'signal': 'sig.root:events', 'background': ['bkg1.parquet', "
            f"'bkg2.parquet']}}; got {sources!r}."
        )
    out = []
    for label, paths in sources.items():
        if isinstance(paths, (str, Path)):
            paths = [paths]
        paths = list(paths)
        if not paths:
            raise ValueError(f"sources[{label!r}] is empty; give at least one file.")
        out.extend(_Source(path, label) for path in paths)
    return out


def _check_features(features, weight):
    if features is None:
        return None
    if isinstance(features, str):
        features = [features]
    features = [str(f) for f in features]
    if not features:
        raise ValueError("features is empty; name at least one column, or pass None.")
    duplicates = sorted({f for f in features if features.count(f) > 1})
    if duplicates:
        raise ValueError(f"features names {duplicates} more than once.")
    if isinstance(weight, str) and weight in features:
        raise ValueError(
            f"weight={weight!r} is also among the features; the event weight must "
            "not be a classifier input."
        )
    return features


def _check_weight(weight):
    if weight is None or isinstance(weight, str):
        return weight
    if isinstance(weight, Real) and not isinstance(weight, bool) and np.isfinite(weight):
        return float(weight)
    raise ValueError(
        f"weight must be a column name, a finite number or None; got {weight!r}."
    )


def _kind_name(source):
    return "branch" if source.format == "root" else "column"


def _text_among_numbers(source, name, why):
    return ValueError(
        f"{source.name} (class {source.label!r}): {_kind_name(source)} {name!r} has "
        f"{why}. Correct those cells in the file (or remove their rows), or leave the "
        "column out of the features."
    )


def default_features(sources, schemas, *, exclude=(), missing="raise", note=None,
                     stacklevel=4):
    """The columns every source holds as numbers, in the first source's order.

    A column of text in every source that holds it (a process name, a run
    label) and a variable-length branch are left out with a warning; a column
    with some text cells among numbers, or numbers in one source and text in
    another, raises. ``missing="raise"`` refuses a numeric column that some
    sources lack; ``missing="warn"`` leaves it out with a warning.
    ``note(text)``, when given, takes the warning's place (a command prints it).
    """
    names = list(dict.fromkeys(n for schema in schemas for n in schema))
    features, left_out = [], []
    for name in names:
        if name in exclude:
            continue
        present = [(s, schema[name]) for s, schema in zip(sources, schemas) if name in schema]
        for source, why in present:
            if why is not None and why.startswith(_TEXT_AMONG_NUMBERS):
                raise _text_among_numbers(source, name, why)
        numeric = [source for source, why in present if why is None]
        if numeric and len(numeric) < len(present):
            other, why = next((s, why) for s, why in present if why is not None)
            raise ValueError(
                f"{_kind_name(other)} {name!r} holds numbers in {numeric[0].name} but is "
                f"{why} in {other.name} (class {other.label!r}). Make it numeric there "
                "too, or leave it out of the features."
            )
        if not numeric:
            left_out.append(f"{name!r} ({present[0][1]})")
        elif len(present) < len(sources):
            if missing == "raise":
                source = numeric[0]
                common = [n for n in names if n not in exclude and all(
                    schema.get(n, "") is None for schema in schemas)]
                extra = [n for n, why in schemas[sources.index(source)].items()
                         if why is None and n not in common and n not in exclude]
                raise ValueError(
                    f"with features=None every source must hold the same numeric "
                    f"columns, but {source.name} has {extra} that other sources lack. "
                    f"Pass features= the columns to use, e.g. the {len(common)} common "
                    f"ones: {common}."
                )
            left_out.append(f"{name!r} (not in every file)")
        else:
            features.append(name)
    if not features:
        besides = f" besides {sorted(exclude)}" if exclude else ""
        if len(sources) > 1:
            raise ValueError(
                f"the files have no numeric column in common{besides}"
                + (f" (left out: {', '.join(left_out)})" if left_out else "")
                + "; name the features to read."
            )
        raise ValueError(
            f"{sources[0].name} holds no numeric column with one number per "
            f"event{besides}."
        )
    if left_out:
        text = (f"{len(left_out)} column(s) are not among the default features, as they "
                f"are not numbers in every file: {', '.join(left_out)}")
        if note is not None:
            note(text)
        else:
            warnings.warn(f"{text}. Name the features to read to use other columns.",
                          UserWarning, stacklevel=stacklevel)
    return features


def _resolve_columns(sources, schemas, features, weight):
    """Check that every needed column is a scalar number; return the features."""
    if features is None:
        exclude = (weight,) if isinstance(weight, str) else ()
        features = default_features(sources, schemas, exclude=exclude)
    for source, schema in zip(sources, schemas):
        needed = list(features) + ([weight] if isinstance(weight, str) else [])
        kind = _kind_name(source)
        for name in needed:
            what = "weight column" if name == weight else "feature"
            if name not in schema:
                raise ValueError(
                    f"{source.name} (class {source.label!r}) has no {kind} {name!r} "
                    f"({what}).{_did_you_mean(name, schema)}"
                )
            why = schema[name]
            if why is not None and why.startswith("jagged"):
                raise ValueError(
                    f"{source.name}: {kind} {name!r} is variable-length: {why}. "
                    "load_ntuples reads one number per event; reduce it to one number "
                    f"per event first (e.g. the leading object's value, or a count) and "
                    f"write that as a {kind}."
                )
            if why is not None and why.startswith(_TEXT_AMONG_NUMBERS):
                raise _text_among_numbers(source, name, why)
            if why is not None:
                raise ValueError(
                    f"{source.name}: {kind} {name!r} is {why}; features and weights "
                    "must be numbers."
                )
    return features


def _feature_units(sources, features):
    """The unit of each feature whose unit a file states; sources must agree."""
    units = {}
    for name in features:
        stated = {}
        for source in sources:
            if name in source.units:
                stated.setdefault(source.units[name], source.name)
        if len(stated) > 1:
            listed = "; ".join(f"{unit!r} in {where}" for unit, where in stated.items())
            raise ValueError(
                f"the files state different units for {name!r}: {listed}. Convert the "
                "files to one unit before mixing them."
            )
        if stated:
            units[name] = next(iter(stated))
    return units


def read_table(spec):
    """Every column of one file as a DataFrame, for scoring it.

    Numeric columns and, except for ROOT files, text columns (which are
    carried through); a column with text among its numbers or of Python
    objects raises, like in :func:`load_ntuples`.
    """
    source = _Source(spec, "events")
    schema = source.schema()
    columns = []
    for name, why in schema.items():
        if why is not None and why.startswith(_TEXT_AMONG_NUMBERS):
            raise _text_among_numbers(source, name, why)
        if why is None or (source.format != "root" and why.startswith("not numeric")):
            columns.append(name)
    if not columns:
        raise ValueError(f"{source.name} holds no column with one value per event.")
    collect = {name: [] for name in columns}
    source.read(columns, None, collect)
    return pd.DataFrame(
        {name: chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
         for name, chunks in collect.items()},
        copy=False,
    )


def load_ntuples(
    sources,
    *,
    features=None,
    weight=None,
    selection=None,
    as_frame=True,
    return_X_y=False,
):
    """Load the user's own event files, one class per set of files, into a Bunch.

    The events of each class are read from ROOT files (through uproot), Parquet,
    CSV or HDF5 files (none of them unpickled or evaluated), the columns selected, the selection applied per file,
    and everything concatenated into the same :class:`~sklearn.utils.Bunch` as
    :func:`make_diboson`, ready for a classifier. ROOT trees are streamed in
    chunks (``TTree.iterate``) and only the requested branches are read, so a
    large file never sits in memory whole: the memory peaks near the size of
    the selected columns.

    Parameters
    ----------
    sources : dict
        Maps each class label to one file or a list of files, in the order of
        ``target_names``, e.g. ``{"WZ": "wz.root:events", "ZZ": ["zz_1.parquet",
        "zz_2.parquet"]}``. ROOT files are given as ``"file.root:tree"`` (the
        tree may be omitted when the file holds one; read with uproot, an
        optional extra: ``pip install "physml-sklearn[root]"``); ``.parquet``,
        ``.csv`` and ``.h5`` / ``.hdf5`` files (``"file.h5:key"`` names the
        table of a file with several). No file is unpickled: HDF5 tables
        written by pandas are read with h5py (``pip install
        "physml-sklearn[hdf5]"``), and a column of Python objects, which
        pandas can only store with pickle, raises.
    features : list of str or None, default=None
        The columns (branches) to read. ``None``: every column that holds one
        number per event (the weight column aside); the sources must then hold
        the same ones. A column of text in every file (a process name), or a
        variable-length branch, is left out with a warning; a column with text
        among its numbers (a CSV cell ``"oops"``), or numbers in one file and
        text in another, raises.
    weight : str, float or None, default=None
        The per-event weight: a column name, one number for every event, or
        None (every event weighs 1).
    selection : str or None, default=None
        A :meth:`pandas.DataFrame.query` expression applied to every file,
        e.g. ``"n_jets >= 2 and met > 30"``; it may use columns that are not
        features.
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame (the columns keep their types) and
        ``target`` a Series; otherwise float64 and int arrays.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : {ndarray, DataFrame} of shape (n_events, n_features)
            The features of every selected event, the classes one after the
            other in the order of ``sources``.
        target : {ndarray, Series} of shape (n_events,)
            The index of each event's class into ``target_names``.
        target_names : ndarray of shape (n_classes,)
            The class labels, the keys of ``sources``.
        feature_names : list of str
            The names of the columns of ``data``.
        sample_weight : ndarray of shape (n_events,)
            The weight of each event.
        feature_units : dict
            The unit of each feature whose unit the files state (``""`` for a
            dimensionless one): in a ROOT file, the unit in square brackets at
            the end of the branch title (``"missing transverse energy
            [GeV]"``), else a ``name [unit]`` entry in the tree title (as
            ``physml-sklearn example-files`` writes, since uproot writes the
            branch titles itself); in a Parquet file, the ``unit`` metadata of
            the column's field. Files that state different units for one
            feature raise.
        source : {ndarray, Series} of shape (n_events,)
            The file (``path:tree`` for ROOT) each event came from; a
            categorical Series when ``as_frame=True``.
        DESCR : str
            The number of events read from each file.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        A file does not exist.
    ImportError
        A ROOT file without uproot, an HDF5 file without h5py.
    MemoryError
        The selected columns of the events a file declares would not fit in
        the available memory (a damaged or hostile file); nothing is read.
    ValueError
        A missing tree or column (with the close matches), a variable-length
        branch, a non-numeric column, text among a column's numbers (with
        the first bad row), a column of pickled Python objects in an HDF5
        file, a selection that keeps no event, sources with different columns
        when ``features=None``, or files that disagree on a unit. The message
        names the file and the column.

    See Also
    --------
    make_diboson : Toy events in the same Bunch.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np, pandas as pd
    >>> from physml_sklearn.datasets import load_ntuples
    >>> rng = np.random.default_rng(0)
    >>> folder = tempfile.mkdtemp()
    >>> for name, shift in [("sig", 1.0), ("bkg", 0.0)]:
    ...     pd.DataFrame({"met": rng.exponential(40 + 20 * shift, 100),
    ...                   "n_jets": rng.poisson(1 + shift, 100),
    ...                   "w": np.full(100, 0.5)}).to_csv(
    ...         os.path.join(folder, f"{name}.csv"), index=False)
    >>> events = load_ntuples(
    ...     {"signal": os.path.join(folder, "sig.csv"),
    ...      "background": os.path.join(folder, "bkg.csv")},
    ...     weight="w", selection="n_jets >= 1")
    >>> events.feature_names
    ['met', 'n_jets']
    >>> events.target_names.tolist()
    ['signal', 'background']
    >>> bool((events.data["n_jets"] >= 1).all()), bool((events.sample_weight == 0.5).all())
    (True, True)
    >>> int((events.target == 0).sum()) > int((events.target == 1).sum())
    True
    >>> events.feature_units  # CSV files state no unit
    {}
    """
    as_frame = check_bool(as_frame, "as_frame")
    return_X_y = check_bool(return_X_y, "return_X_y")
    weight = _check_weight(weight)
    features = _check_features(features, weight)
    if selection is not None and not isinstance(selection, str):
        raise ValueError(
            f"selection must be a DataFrame.query string such as 'n_jets >= 2', or "
            f"None; got {selection!r}."
        )
    sources = _check_sources(sources)
    schemas = [source.schema() for source in sources]
    features = _resolve_columns(sources, schemas, features, weight)
    feature_units = _feature_units(sources, features)

    target_names = list(dict.fromkeys(source.label for source in sources))
    collect = {name: [] for name in features}
    weights, targets, counts = [], [], []
    for source, schema in zip(sources, schemas):
        columns = list(features)
        if isinstance(weight, str):
            columns.append(weight)
        if selection is not None:
            extra = [n for n in _selection_names(selection, schema) if n not in columns]
            bad = [n for n in extra if schema[n] is not None]
            if bad:
                raise ValueError(
                    f"{source.name}: the selection uses {bad[0]!r}, which is "
                    f"{schema[bad[0]]}; select on numbers, one per event."
                )
            columns += extra
        part = {name: [] for name in columns}
        n_kept = source.read(columns, selection, part)
        for name in features:
            collect[name].extend(part.pop(name))
        if isinstance(weight, str):
            w = np.concatenate(part.pop(weight)).astype(np.float64)
        else:
            w = np.full(n_kept, 1.0 if weight is None else weight)
        del part
        weights.append(w)
        targets.append(np.full(n_kept, target_names.index(source.label), dtype=np.intp))
        counts.append(n_kept)

    # one column at a time, dropping its chunks as soon as it is joined
    columns = {}
    for name in features:
        chunks = collect.pop(name)
        columns[name] = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
        del chunks
    sample_weight = np.concatenate(weights)
    target = np.concatenate(targets)
    names = list(dict.fromkeys(source.name for source in sources))
    codes = [names.index(source.name) for source in sources]
    source_codes = np.repeat(np.asarray(codes, dtype=np.min_scalar_type(-len(names))),
                             counts)

    if as_frame:
        data = pd.DataFrame(columns, copy=False)
        target = pd.Series(target, name="target")
        source = pd.Series(
            pd.Categorical.from_codes(source_codes, categories=names), name="source"
        )
    else:
        data = np.empty((len(target), len(features)), dtype=np.float64)
        for j, name in enumerate(features):
            data[:, j] = columns.pop(name)
        source = np.asarray(names, dtype=object)[source_codes]
    if return_X_y:
        return data, target
    descr = "\n".join(
        f"- {s.name} (class {s.label!r}): {n} events" for s, n in zip(sources, counts)
    )
    return Bunch(
        data=data,
        target=target,
        target_names=np.array(target_names),
        feature_names=list(features),
        sample_weight=sample_weight,
        source=source,
        feature_units=feature_units,
        DESCR=f"Events read by load_ntuples:\n{descr}\n",
    )
