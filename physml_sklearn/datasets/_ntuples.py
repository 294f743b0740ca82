"""``load_ntuples``: the user's own event files (ROOT, Parquet, CSV, HDF5) as a Bunch."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import ast
import re
import warnings
from collections.abc import Mapping
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .. import _memory
from ._sources import _TEXT_AMONG_NUMBERS, _did_you_mean, _Source
from ._validation import check_bool

__all__ = ["load_ntuples"]


#: the functions pandas' expression evaluator offers, and the only calls a selection may make
SELECTION_FUNCTIONS = frozenset({
    "abs", "sqrt", "exp", "expm1", "log", "log1p", "log10", "sin", "cos", "tan",
    "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh",
    "arccosh", "arctanh",
})
_SELECTION_NODES = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Name,
    ast.Load, ast.Constant, ast.List, ast.Tuple, ast.Call,
    ast.And, ast.Or, ast.Not, ast.Invert, ast.USub, ast.UAdd,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.BitAnd, ast.BitOr, ast.BitXor,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
)


def _check_selection(selection):
    """Refuse a selection that is more than a cut on columns.

    ``DataFrame.query`` evaluates attribute access and method calls
    (``"x.to_csv('f.csv') == ''"`` writes a file), so a selection is parsed
    first and may hold only column names (bare or in backticks), numbers and
    strings, comparisons, ``and``/``or``/``not`` (and ``&``, ``|``, ``~``),
    arithmetic, lists for ``in``, and calls of :data:`SELECTION_FUNCTIONS`.
    """
    if selection is None:
        return None
    if not isinstance(selection, str):
        raise ValueError(
            f"selection must be a DataFrame.query string such as 'n_jets >= 2', or "
            f"None; got {selection!r}."
        )
    allowed = (
        "column names (in backticks when they are not identifiers), numbers, "
        "comparisons, and/or/not, arithmetic and the functions "
        f"{', '.join(sorted(SELECTION_FUNCTIONS))}"
    )
    text = re.sub(r"`[^`]*`", "_column", selection)
    if "@" in text:
        raise ValueError(
            f"the selection {selection!r} refers to a Python variable with '@'; a "
            f"selection may use only {allowed}. Write the value itself."
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(
            f"the selection {selection!r} is not an expression ({exc.msg}); pass a "
            "pandas DataFrame.query expression such as 'n_jets >= 2 and met > 30'."
        ) from None
    for node in ast.walk(tree):
        bad = None
        if not isinstance(node, _SELECTION_NODES):
            bad = {ast.Attribute: "attribute access ('.')", ast.Subscript: "indexing ('[]')",
                   }.get(type(node), f"'{ast.unparse(node)}'" if isinstance(node, ast.expr)
                         else type(node).__name__)
        elif isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in SELECTION_FUNCTIONS
            and not node.keywords
        ):
            bad = f"the call '{ast.unparse(node)}'"
        elif isinstance(node, ast.Constant) and not isinstance(
            node.value, (bool, int, float, str)
        ):
            bad = f"the constant {node.value!r}"
        if bad is not None:
            raise ValueError(
                f"the selection {selection!r} uses {bad}; a selection may use only "
                f"{allowed}."
            )
    return selection


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
    # the same events under two labels train a classifier on contradictory
    # targets (and its report quotes a significance of nothing); twice under
    # one label they count double
    seen = {}
    for source in out:
        where = (_memory.file_identity(source.path), source.key)
        if where in seen:
            first = seen[where]
            twice = (f"given for both class {first.label!r} and class {source.label!r}"
                     if first.label != source.label else
                     f"given twice for class {source.label!r}")
            raise ValueError(
                f"{source.name} is {twice}"
                + (f" (as {first.name})" if first.name != source.name else "")
                + "; each file must appear once, under one class."
            )
        seen[where] = source
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
    CSV or HDF5 files (none of them unpickled or evaluated), the columns
    selected, the selection applied per file, and everything concatenated
    into the same :class:`~sklearn.utils.Bunch` as
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
        features. Only a cut is accepted: column names, numbers, comparisons,
        ``and``/``or``/``not``, arithmetic, ``in [...]`` and the functions
        of ``SELECTION_FUNCTIONS`` (``abs``, ``sqrt``, ``log``, ...); no
        attribute access, method call, indexing or ``@variable``.
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
        The selected columns of the events a file declares, or the record of
        a ROOT tree, would not fit in the available memory (a damaged or
        hostile file); nothing is read.
    ValueError
        A missing tree or column (with the close matches), a variable-length
        branch, a non-numeric column, text among a column's numbers (with
        the first bad row), a column of pickled Python objects in an HDF5
        file, a selection that keeps no event, sources with different columns
        when ``features=None``, files that disagree on a unit, a ROOT basket
        that would inflate to more than the events read from it need (a
        decompression bomb), or a file the reading library cannot parse (a
        damaged or truncated one). The message names the file and the column.

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
    selection = _check_selection(selection)
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
            bad = ~np.isfinite(w)
            if bad.any():
                # an event of unknown weight: every sum over events would be NaN
                raise ValueError(
                    f"{source.name} (class {source.label!r}): the weight column "
                    f"{weight!r} holds {int(bad.sum())} NaN or infinite value(s), the "
                    f"first at event {int(np.argmax(bad))} (counting from 0"
                    + (" after the selection" if selection is not None else "")
                    + "). Fix the file, or drop those events with "
                    f"selection='abs(`{weight}`) < 1e30'."
                )
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
