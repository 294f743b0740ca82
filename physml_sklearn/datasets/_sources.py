"""One event file of ``load_ntuples``: its columns, their units, and reading them.

ROOT trees (through uproot, streamed in chunks), Parquet (straight from
Arrow), CSV (pandas) and HDF5 tables written by pandas (through h5py, never
unpickled; see ``_hdf5``).
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import csv
import difflib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import _memory
from .._parquet import check_parquet_sizes

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
_FORMAT_NAMES = {"root": "ROOT", "parquet": "Parquet", "csv": "CSV", "hdf5": "HDF5"}
#: errors that pass through as they are: they already say what is wrong
_OWN_ERRORS = (MemoryError, ImportError, FileNotFoundError, PermissionError,
               IsADirectoryError)


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


def _count_lines(path, chunk_bytes=1 << 20):
    """The number of lines of a text file (newlines, plus a last unterminated line)."""
    n, last = 0, b"\n"
    with open(path, "rb") as file:
        while chunk := file.read(chunk_bytes):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


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
        why = _memory.not_a_file(self.path)
        if why is not None:
            raise FileNotFoundError(f"{self.path} (class {label!r}): {why}.")
        self.name = text if self.key is None else f"{self.path}:{self.key}"
        self._frame = None
        #: the unit of each column whose unit the file states
        self.units = {}

    @contextlib.contextmanager
    def _reading(self):
        """Turn what a reading library raises on a damaged file into a
        ValueError that names the file and its class."""
        try:
            yield
        except _OWN_ERRORS:
            raise
        except Exception as exc:
            if type(exc) is ValueError:  # the package's messages (and uproot's)
                raise
            detail = " ".join(str(exc).split())[:300]
            raise ValueError(
                f"{self.name} (class {self.label!r}) could not be read as a "
                f"{_FORMAT_NAMES[self.format]} file ({type(exc).__name__}: {detail}): it "
                "is damaged, truncated or not of that format. Check the file, e.g. copy "
                "it again or open it with the program that wrote it."
            ) from exc

    # -- what is in the file ----------------------------------------------------
    def schema(self):
        """Map each column to None (a scalar number) or why it is not one."""
        reader = getattr(self, f"_schema_{self.format}")
        with self._reading():
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
        # the tree's own record is read whole: its declared size, checked first
        _memory.refuse_beyond_memory(
            file.key(self.key).data_uncompressed_bytes,
            f"{self.path} (class {self.label!r}): the record of the tree {self.key!r} "
            "declares",
            ": the file is damaged or built to exhaust memory, and is not read.",
        )
        return file[self.key]

    def _check_baskets(self, tree, columns, n_entries):
        """Refuse a basket that inflates to more than the events it holds.

        uproot decompresses a basket whole, to the size its key declares,
        before it takes the events it needs: a file declaring few events in
        a basket of zeros that inflates a thousandfold (a decompression bomb)
        would take the memory that size says. A basket of one number per
        event holds exactly ``events x itemsize`` bytes; the events counted
        are those read from it, up to the number the tree declares.
        """
        for name in columns:
            branch = tree[name]
            dtype = getattr(branch.interpretation, "from_dtype", None)
            if dtype is None:
                continue
            starts = branch.member("fBasketEntry")
            for i in range(branch.num_baskets - len(branch.embedded_baskets or ())):
                if starts[i] >= n_entries:
                    break
                # the events of the basket that are read: those the tree declares
                events = int(min(starts[i + 1], n_entries) - starts[i])
                self._refuse_inflation(
                    f"basket {i} of branch {name!r}",
                    branch.basket_key(i).data_uncompressed_bytes, events, dtype.itemsize,
                    f"the {events:,} events of {dtype.itemsize} byte(s) read from it",
                )

    def _check_pages(self, ntuple, columns):
        """Refuse an RNTuple page list declaring more values than its cluster's events.

        The RNTuple counterpart of :meth:`_check_baskets`: uproot allocates and
        inflates the values the pages of a cluster declare, whatever number of
        events the cluster declares. A field of one number per event holds (at
        most) one value per event in each of its columns.
        """
        ids = {record.field_name: i for i, record in enumerate(ntuple.field_records)
               if record.parent_field_id == i}
        wanted = {ids[name]: name for name in columns if name in ids}
        clusters = list(zip(ntuple.cluster_summaries, ntuple.page_link_list))
        for column in ntuple.column_records:
            name = wanted.get(column.field_id)
            if name is None:
                continue
            width = max(1, column.nbits // 8)
            for i, (summary, links) in enumerate(clusters):
                if column.idx >= len(links):
                    continue
                values = sum(page.num_elements for page in links[column.idx].pages)
                self._refuse_inflation(
                    f"cluster {i} of field {name!r}", values * width, summary.num_entries,
                    width, f"the {summary.num_entries:,} events of {width} byte(s) in it",
                )

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
        self._refuse_repeated(schema.names)
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
            try:
                values = {name: found[name].read(fields) for name in columns}
            except ValueError as exc:  # the module's messages name the dataset
                raise ValueError(f"{self.name} (class {self.label!r}): {exc}.") from None
            return pd.DataFrame(values, copy=False)
        finally:
            store.close()

    def _read_csv(self):
        if self._frame is None:
            # a short line becomes a whole row (pandas fills the missing cells
            # with NaN), so a small file of commas under a wide header could
            # ask for far more memory than its size: bound the rows by the
            # lines and the cells by the header before parsing
            n_columns = len(pd.read_csv(self.path, nrows=0).columns)
            header = next((cells for _, cells in self._csv_rows()), [])
            self._refuse_repeated([name for name in header if name])
            separator = next((sep for sep in ";\t|" if len(header) == 1 and sep in header[0]),
                             None)
            if separator is not None:  # one column of 'met;m_ll' text
                raise ValueError(
                    f"{self.name} (class {self.label!r}): its header {header[0]!r} is one "
                    f"column, its names separated by {separator!r}; load_ntuples reads "
                    "comma-separated values: write the file with commas (pandas' "
                    "DataFrame.to_csv does), or as Parquet."
                )
            self._check_memory(_count_lines(self.path), range(n_columns), 8 * n_columns,
                               declared="lines the file holds")
            self._frame = pd.read_csv(self.path)
            # a line cut in two (a stray newline) gives two short lines, which
            # pandas fills with NaN: the second half would read as an event of
            # shifted values. A short line leaves the last column empty, so
            # the lines are counted only when that column has empty cells
            if self._frame.shape[1] and self._frame.iloc[:, -1].isna().any():
                self._refuse_short_lines(self._frame.shape[1])
        return self._frame

    def _refuse_repeated(self, names):
        """Refuse a file that names a column twice: which one would be read?

        (pandas reads the second ``met`` of a CSV header as ``met.1``; Arrow
        refuses to pick one.)
        """
        seen, repeated = set(), []
        for name in names:
            if name in seen and name not in repeated:
                repeated.append(name)
            seen.add(name)
        if repeated:
            raise ValueError(
                f"{self.name} (class {self.label!r}) names the column(s) "
                f"{', '.join(map(repr, repeated))} more than once; name each column once."
            )

    def _csv_rows(self):
        """``(line number, cells)`` of each row of the CSV file, the header first.

        The blank lines pandas skips (empty, or of spaces alone) are left out.
        """
        with open(self.path, newline="", encoding="utf-8-sig", errors="replace") as file:
            lines = csv.reader(file)
            for cells in lines:
                if len(cells) > 1 or (cells and cells[0].strip()):
                    yield lines.line_num, cells

    def _refuse_short_lines(self, n_columns):
        """Refuse a CSV line holding fewer cells than the header names."""
        rows = self._csv_rows()
        next(rows, None)  # the header
        for line, cells in rows:
            if len(cells) < n_columns:
                raise ValueError(
                    f"{self.name} (class {self.label!r}): line {line} holds "
                    f"{len(cells)} cell(s) where the header names {n_columns}: a "
                    "line cut in two, or cells left out. Fix the file; a missing "
                    "value is an empty cell between commas, as in 'a,,c'."
                )

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

    def _check_memory(self, n_rows, columns, row_bytes, *,
                      declared="events the file declares"):
        """Refuse a read larger than the free memory (a damaged or hostile file)."""
        _memory.refuse_columns_beyond_memory(f"{self.name} (class {self.label!r})", n_rows,
                                             len(columns), row_bytes, declared)

    def _refuse_inflation(self, what, declared, n_values, width, values):
        _memory.refuse_inflation(f"{self.name} (class {self.label!r})", what, declared,
                                 n_values, width, values)

    # -- reading ----------------------------------------------------------------
    def read(self, columns, selection, collect):
        """Append the selected rows of ``columns`` to the lists in ``collect``.

        Returns the number of rows kept.
        """
        with self._reading():
            return self._read(columns, selection, collect)

    def _read(self, columns, selection, collect):
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
            check_parquet_sizes(self.path, file.metadata, columns,
                                f"{self.name} (class {self.label!r})")
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
            if isinstance(tree, uproot.TTree):
                self._check_baskets(tree, columns, n_entries)
            else:
                self._check_pages(tree, columns)
            if selection is None:  # the columns are allocated whole, below
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
