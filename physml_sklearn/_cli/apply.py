"""``physml-sklearn apply``: score event files with a model written by ``train``."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import inspect
import sys
import time
from pathlib import Path

from . import CommandError
from ._io import (
    check_can_make,
    check_not_an_input,
    check_sources,
    close_matches,
    read_table,
    split_source,
    write_table,
)
from ._labels import SIGNAL

_PARQUET = (".parquet", ".pq")


def _load_model(path, trusted=None):
    from .. import load, persistence
    from .._memory import not_a_file

    why = not_a_file(path)
    if why is not None:
        raise CommandError(f"MODEL: {why}: {path}")
    options = {}
    if trusted:
        if "trusted" not in inspect.signature(load).parameters:
            raise CommandError("--trust: this version of physml_sklearn.load trusts only "
                               "its allowlist; leave --trust out")
        options["trusted"] = list(trusted)
    untrusted = getattr(persistence, "UntrustedTypeError", None)
    try:
        model = load(path, **options)
    except (ValueError, OSError, KeyError, TypeError) as error:
        hint = ""
        if untrusted is not None and isinstance(error, untrusted):
            hint = "; if you trust the file, name the type with --trust MODULE:NAME"
        raise CommandError(
            f"MODEL {path}: cannot load it: {' '.join(str(error).split())}{hint}"
        ) from error
    classes = [str(c) for c in getattr(model, "classes_", [])]
    if SIGNAL not in classes or not hasattr(model, "predict_proba"):
        raise CommandError(
            f"MODEL {path}: not a signal/background classifier written by "
            "'physml-sklearn train' (its classes are "
            f"{', '.join(classes) or 'unknown'})"
        )
    return model, classes.index(SIGNAL)


def score_frame(model, frame, column, source):
    """The signal probability of every row of ``frame``."""
    names = [str(c) for c in getattr(model, "feature_names_in_", [])]
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise CommandError(
            f"{source}: no column {missing[0]!r}, an input of the model"
            f"{close_matches(missing[0], frame.columns)}"
        )
    _check_finite(model, frame[names], source)
    try:
        return model.predict_proba(frame[names])[:, column]
    except ValueError as exc:  # the model refuses the file's events: say which file
        raise CommandError(f"{source}: {exc}") from None


def _check_finite(model, inputs, source):
    """Refuse NaN or infinite inputs, naming the column, the count and the first row.

    Every event of the file gets a score or none does: an event the model
    cannot score is not dropped. (The model's own check would only say that
    some input holds NaN.)
    """
    import numpy as np
    from sklearn.utils import get_tags

    if get_tags(model).input_tags.allow_nan:
        return
    try:
        values = inputs.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):  # text and the like: the model's message says it
        return
    bad = ~np.isfinite(values)
    if not bad.any():
        return
    row, col = np.argwhere(bad)[0]
    count = int(bad[:, col].sum())
    name = inputs.columns[col]
    raise CommandError(
        f"{source}: column {name!r}: {count} event{'s' if count > 1 else ''} with a NaN or "
        f"infinite value (the first is event {row + 1} of the file, counting from 1), "
        "which the model cannot score; every event is scored or none is, so remove or "
        f"fill them first (e.g. keep frame[np.isfinite(frame[{name!r}])] with pandas)"
    )


def run(args):
    """Run ``physml-sklearn apply``."""
    start = time.perf_counter()

    def say(text):
        if not args.quiet:
            print(text, flush=True)

    out = Path(args.out)
    if out.suffix.lower() not in (".parquet", ".pq", ".csv"):
        raise CommandError(
            f"--out: cannot write {str(out)!r}: the output must end in .parquet or .csv"
        )
    if Path(args.model).suffix.lower() == ".onnx":  # train writes both, side by side
        raise CommandError(
            f"MODEL {args.model}: an ONNX file, which apply does not read; give the "
            "model.physml that train wrote beside it (the ONNX file is for other "
            "programs, such as onnxruntime)"
        )
    check_sources(args.sources, "SRC")
    check_not_an_input(out, args.sources, "--out")
    check_can_make(out, "--out")
    if not args.trust and _apply_with_summary(args, say, start):
        return 0
    import numpy as np
    import pandas as pd

    model, column = _load_model(args.model, args.trust)
    loaded = time.perf_counter()
    say(f"loaded {args.model} in {loaded - start:.1f} s")
    frames = []
    for source in args.sources:
        frame = read_table(source)
        if "score" in frame.columns:
            _note_replaced(source, out)
        frame["score"] = score_frame(model, frame, column, source).astype(np.float64)
        frames.append(frame)
        say(f"{source}: {len(frame)} events scored")
    if len(frames) == 1:
        table = frames[0]
    else:  # the columns in the order of the first file, then any new ones as they come
        columns = list(dict.fromkeys(c for frame in frames for c in frame.columns))
        columns = [c for c in columns if c != "score"] + ["score"]
        table = pd.concat(frames, ignore_index=True)[columns]
    write_table(table, out, "--out")
    elapsed = time.perf_counter() - loaded
    say(f"wrote {out}: {len(table)} events read, scored and written in {elapsed:.1f} s "
        f"({len(table) / max(elapsed, 1e-9):,.0f} events/s)")
    return 0


def _note_replaced(source, out):
    """Say that a file's own ``score`` column is not in the output."""
    print(f"physml-sklearn apply: note: {source} has a column 'score' already; {out} "
          "holds the model's scores in its place (the input file keeps its own)",
          file=sys.stderr, flush=True)


def _numbers(column):
    """An Arrow column of plain numbers (no nulls) as a numpy array.

    Read from the Arrow buffers: pyarrow's own ``to_numpy`` imports pandas.
    """
    import numpy as np
    import pyarrow as pa

    parts = []
    for chunk in column.chunks:
        kind, data = chunk.type, chunk.buffers()[1]
        if len(chunk) == 0:
            continue
        if pa.types.is_boolean(kind):  # one bit per value
            bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
            parts.append(bits[chunk.offset:chunk.offset + len(chunk)].astype(bool))
            continue
        code = ("i" if pa.types.is_signed_integer(kind)
                else "u" if pa.types.is_unsigned_integer(kind) else "f")
        dtype = np.dtype(f"<{code}{kind.bit_width // 8}")
        parts.append(np.frombuffer(data, dtype=dtype, count=len(chunk),
                                   offset=chunk.offset * dtype.itemsize))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _parquet_tables(paths, features):
    """The Parquet files as Arrow tables, or None when the full way must read them.

    None when a file cannot be opened, holds a column that is not a plain
    number (text, dates, nulls, float16) or two columns of one name, lacks
    one of the model's inputs, would not fit in memory, or when the files
    differ in their columns: the full way then reads them, or says what is
    wrong.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .._memory import available_memory
    from .._parquet import check_parquet_sizes

    def plain(kind):
        return (pa.types.is_integer(kind) or pa.types.is_boolean(kind)
                or (pa.types.is_floating(kind) and kind.bit_width in (32, 64)))

    tables = []
    for path in paths:
        try:
            with pq.ParquetFile(path) as file:
                schema = file.schema_arrow
                free = available_memory()
                meta = file.metadata
                n_rows = sum(meta.row_group(i).num_rows for i in range(meta.num_row_groups))
                need = n_rows * 8 * (len(schema) + 1)
                if not all(plain(field.type) for field in schema) or (
                        free is not None and need > free) or (
                        len(set(schema.names)) < len(schema.names)):  # a name twice
                    return None
                # sizes that do not add up (rows, column chunks, pages): the full
                # way refuses the file, with its message
                check_parquet_sizes(path, meta, schema.names, str(path))
                table = file.read()
        except (OSError, ValueError, TypeError, MemoryError, pa.ArrowException):
            return None
        if not table.num_rows or any(table.column(name).null_count
                                     for name in table.column_names):
            return None
        table = table.replace_schema_metadata(None)
        if tables and table.schema != tables[0].schema:
            return None
        tables.append(table)
    if any(name not in tables[0].column_names for name in features):
        return None
    return tables


def _apply_with_summary(args, say, start):
    """Score Parquet files with the numpy scorer of the model's scoring summary.

    The fast way for the common case, without torch, scikit-learn or pandas:
    Parquet in and out, a model file with a scoring summary
    (:mod:`physml_sklearn.persistence._scoring`), columns of plain numbers.
    Returns False, having written nothing, whenever the full way must run
    instead (any other input, or values the model's own validation refuses,
    so that its message is the one the user sees).
    """
    import numpy as np
    import pyarrow as pa

    from ..persistence._scoring import read_scorer

    out = Path(args.out)
    paths = [split_source(source)[0] for source in args.sources]
    if out.suffix.lower() not in _PARQUET or any(
            Path(path).suffix.lower() not in _PARQUET for path in paths):
        return False
    scorer = read_scorer(args.model)
    classes = [] if scorer is None else [str(c) for c in scorer.classes]
    if SIGNAL not in classes:
        return False
    column = classes.index(SIGNAL)
    loaded = time.perf_counter()
    tables = _parquet_tables(paths, scorer.features)
    if tables is None:
        return False
    say(f"loaded {args.model} in {loaded - start:.1f} s (its scoring summary, with numpy)")
    scored = []
    for source, table in zip(args.sources, tables):
        proba = scorer.predict_proba([_numbers(table.column(name))
                                      for name in scorer.features])
        if proba is None:
            return False
        values = np.ascontiguousarray(proba[:, column], dtype=np.float64)
        # from the buffer: pa.array(values) would import pandas
        score = pa.Array.from_buffers(pa.float64(), len(values), [None, pa.py_buffer(values)])
        if len(tables) == 1 and "score" in table.column_names:  # replaced where it is
            table = table.set_column(table.column_names.index("score"), "score", score)
        else:  # the scores last, as when the files are joined
            if "score" in table.column_names:
                table = table.drop_columns(["score"])
            table = table.append_column("score", score)
        scored.append(table)
        say(f"{source}: {len(table)} events scored")
    for source, table in zip(args.sources, tables):
        if "score" in table.column_names:
            _note_replaced(source, out)
    table = scored[0] if len(scored) == 1 else pa.concat_tables(scored)
    write_table(table, out, "--out")
    elapsed = time.perf_counter() - loaded
    say(f"wrote {out}: {len(table)} events read, scored and written in {elapsed:.1f} s "
        f"({len(table) / max(elapsed, 1e-9):,.0f} events/s)")
    return True
