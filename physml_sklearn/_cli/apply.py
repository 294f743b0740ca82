"""``physml-sklearn apply``: score event files with a model written by ``train``."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import inspect
import time
from pathlib import Path

from . import CommandError
from ._io import check_sources, close_matches, read_table, write_table
from ._labels import SIGNAL


def _load_model(path, trusted=None):
    from .. import load, persistence

    if not Path(path).is_file():
        raise CommandError(f"MODEL: no such file: {path}")
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
    return model.predict_proba(frame[names])[:, column]


def run(args):
    """Run ``physml-sklearn apply``."""
    import numpy as np
    import pandas as pd

    start = time.perf_counter()

    def say(text):
        if not args.quiet:
            print(text, flush=True)

    out = Path(args.out)
    if out.suffix.lower() not in (".parquet", ".pq", ".csv"):
        raise CommandError(
            f"--out: cannot write {str(out)!r}: the output must end in .parquet or .csv"
        )
    check_sources(args.sources, "SRC")
    model, column = _load_model(args.model, args.trust)
    loaded = time.perf_counter()
    say(f"loaded {args.model} in {loaded - start:.1f} s")
    frames = []
    for source in args.sources:
        frame = read_table(source)
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
