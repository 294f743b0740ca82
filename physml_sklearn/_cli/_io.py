"""Files in and out for ``train`` and ``apply``: sources, columns, output tables."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import difflib
import os
from pathlib import Path

from .._io_atomic import atomic_path, nearest_existing
from .._memory import file_identity, not_a_file
from . import CommandError

_TABLE_SUFFIXES = {".parquet", ".pq", ".csv", ".h5", ".hdf5", ".hdf"}


def split_source(source):
    """``"file.root:tree"`` -> ``("file.root", "tree")``, the same for ``"file.h5:key"``;
    other files -> ``(path, None)``.

    As ``load_ntuples`` reads it: the tree or key may name a folder of the file
    (``"file.root:nominal/events"``, ``"file.h5:group/table"``).
    """
    lower = source.lower()
    for suffix in (".root:", ".h5:", ".hdf5:"):
        cut = lower.rfind(suffix)
        if cut >= 0:
            colon = cut + len(suffix) - 1
            return source[:colon], source[colon + 1:]
    return source, None


def check_sources(sources, option):
    """Every source names an existing file of a known format, each once.

    A file given twice would be read twice: its events scored, or trained on,
    twice over.
    """
    seen = {}
    for source in sources:
        path, key = split_source(source)
        suffix = Path(path).suffix.lower()
        if suffix != ".root" and suffix not in _TABLE_SUFFIXES:
            raise CommandError(
                f"{option}: cannot read {source!r}: unknown file type {suffix or '(none)'!r}; "
                "give ROOT files as FILE.root:TREE, or .parquet, .csv, .h5/.hdf5 files"
            )
        why = not_a_file(path)
        if why is not None:
            raise CommandError(f"{option}: {why}: {path}")
        where = (file_identity(path), key)  # the same file under another name too
        if where in seen:
            again = "" if seen[where] == source else f" (as {seen[where]!r})"
            raise CommandError(
                f"{option}: {source!r} is given twice{again}; give each file once"
            )
        seen[where] = source


def check_can_make(out, option):
    """Refuse an output whose place cannot hold it, before any work is done.

    The nearest existing folder above ``out`` must be a folder that can be
    written: found out only when the output is written, a file in the way
    (or a folder without write permission) would waste the whole run.
    """
    place = nearest_existing(Path(out).parent)
    if not place.is_dir():
        raise CommandError(f"{option} {out}: {place} is a file, not a folder; name "
                           "another place")
    if not os.access(place, os.W_OK | os.X_OK):
        raise CommandError(f"{option} {out}: cannot write in {place} (permission "
                           "denied); name another place")


def check_not_an_input(out, sources, option, *, folder=False):
    """Refuse an output that would replace (or, for a folder, hold) an input file.

    Written whole and renamed over the old one, it would replace the user's
    data with the scores, or a run folder replaced with ``--overwrite``
    would take the input files inside it along.
    """
    target = Path(out).resolve()
    for source in sources:
        path = Path(split_source(source)[0]).resolve()
        if path == target or (folder and target in path.parents):
            where = "is" if path == target else "holds"
            raise CommandError(
                f"{option} {out}: {where} the input {source}; the outputs never replace "
                "the inputs, name another " + ("folder" if folder else "file")
            )


def common_numeric_columns(sources):
    """The one-number-per-event numeric columns every source holds, in the first's order.

    Reads only the files' schemas (Parquet metadata, ROOT branch types, HDF5
    layouts, the cells of a CSV), the way ``load_ntuples`` sees them: a column
    with text among its numbers, or numeric in one file and not in another,
    raises; columns of text and columns missing from some files are left out
    with a note on stderr.
    """
    import sys

    from ..datasets._ntuples import default_features
    from ..datasets._sources import _Source

    def note(text):
        print(f"physml-sklearn train: note: {text}; name the inputs with --features to "
              "choose them", file=sys.stderr, flush=True)

    parsed = [_Source(source, label) for label, source in sources]
    schemas = [source.schema() for source in parsed]
    return default_features(parsed, schemas, missing="warn", note=note)


def close_matches(name, candidates):
    """A "did you mean" suffix for an unknown column name."""
    matches = difflib.get_close_matches(name, [str(c) for c in candidates], n=3)
    return f"; did you mean {' or '.join(repr(m) for m in matches)}?" if matches else ""


def read_table(source):
    """Every column of one source as a DataFrame (ROOT: every one-number-per-event branch).

    Read the way ``load_ntuples`` reads (HDF5 without pickle, Parquet without
    its pandas metadata); text columns other than ROOT's are carried through.
    """
    from ..datasets._ntuples import read_table as _read

    return _read(source)


def write_table(frame, path, option):
    """Write a DataFrame as Parquet or CSV, chosen by the suffix of ``path``, atomically.

    ``frame`` may also be a :class:`pyarrow.Table`, written as Parquet.
    """
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
        elif hasattr(frame, "to_parquet"):
            frame.to_parquet(temporary, index=False)
        else:  # a pyarrow Table
            import pyarrow as pa
            import pyarrow.parquet as pq

            # dictionary encoding only where values repeat (integers, flags): on
            # floats it costs a third of the writing time and saves nothing
            repeating = [field.name for field in frame.schema
                         if not pa.types.is_floating(field.type)]
            pq.write_table(frame, temporary, use_dictionary=repeating)
    return path
