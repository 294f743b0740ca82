"""Files in and out for ``train`` and ``apply``: sources, columns, output tables."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import difflib
from pathlib import Path

from .._io_atomic import atomic_path
from . import CommandError

_TABLE_SUFFIXES = {".parquet", ".pq", ".csv", ".h5", ".hdf5", ".hdf"}


def split_source(source):
    """``"file.root:tree"`` -> ``("file.root", "tree")``, the same for ``"file.h5:key"``;
    other files -> ``(path, None)``."""
    path, sep, key = source.rpartition(":")
    if sep and path.lower().endswith((".root", ".h5", ".hdf5")) and "/" not in key:
        return path, key
    return source, None


def check_sources(sources, option):
    """Every source names an existing file of a known format."""
    for source in sources:
        path, _ = split_source(source)
        suffix = Path(path).suffix.lower()
        if suffix != ".root" and suffix not in _TABLE_SUFFIXES:
            raise CommandError(
                f"{option}: cannot read {source!r}: unknown file type {suffix or '(none)'!r}; "
                "give ROOT files as FILE.root:TREE, or .parquet, .csv, .h5/.hdf5 files"
            )
        if not Path(path).is_file():
            raise CommandError(f"{option}: no such file: {path}")


def common_numeric_columns(sources):
    """The one-number-per-event numeric columns every source holds, in the first's order.

    Reads only the files' schemas (Parquet metadata, ROOT branch types, the
    first rows of a CSV), the way ``load_ntuples`` sees them.
    """
    from ..datasets._ntuples import _Source

    common = None
    for label, source in sources:
        schema = _Source(source, label).schema()
        names = [name for name, why in schema.items() if why is None]
        common = names if common is None else [n for n in common if n in names]
    return common or []


def close_matches(name, candidates):
    """A "did you mean" suffix for an unknown column name."""
    matches = difflib.get_close_matches(name, [str(c) for c in candidates], n=3)
    return f"; did you mean {' or '.join(repr(m) for m in matches)}?" if matches else ""


def read_table(source):
    """Every column of one source as a DataFrame (ROOT: every one-number-per-event branch)."""
    import pandas as pd

    path, tree = split_source(source)
    suffix = Path(path).suffix.lower()
    if suffix == ".root":  # every one-number-per-event branch, read as load_ntuples does
        from ..datasets import load_ntuples

        return load_ntuples({"events": [source]}).data
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if suffix == ".csv":
        return pd.read_csv(path)
    return pd.read_hdf(path, tree)


def write_table(frame, path, option):
    """Write a DataFrame as Parquet or CSV, chosen by the suffix of ``path``, atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv"):
        raise CommandError(
            f"{option}: cannot write {str(path)!r}: the output must end in .parquet or .csv"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"{option}: cannot make the folder of {str(path)!r}: "
                           f"{' '.join(str(error).split())}") from error
    # a temporary file beside it, renamed over it when complete: a reader, or another
    # run writing the same file, never sees a half-written table
    with atomic_path(path) as temporary:
        if suffix == ".csv":
            frame.to_csv(temporary, index=False)
        else:
            frame.to_parquet(temporary, index=False)
    return path
