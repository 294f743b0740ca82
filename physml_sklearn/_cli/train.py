"""``physml-sklearn train``: the TMVA Factory as one command.

Signal and background files -> ``load_ntuples`` -> a ``FoldingClassifier``
around ``StandardScaler`` + ``DropoutMLPClassifier`` with early stopping ->
out-of-fold scores -> metrics and plots -> ``report.html``, ``model.physml``,
``model.onnx`` and ``scores.parquet`` in the output folder.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import json
import os
import platform
import time
from pathlib import Path

from .._io_atomic import atomic_folder, atomic_path, write_text
from . import CommandError
from ._io import (
    check_can_make,
    check_not_an_input,
    check_sources,
    close_matches,
    common_numeric_columns,
    split_source,
)
from ._labels import BACKGROUND, SIGNAL
from ._progress import EpochProgress, Progress, epoch_limit_said_by_progress

N_STEPS = 6
#: what ``train`` writes into --out; a folder of these names only holds a run
RUN_FILES = ("report.html", "model.physml", "model.onnx", "scores.parquet", "run.json")
#: an input whose own weighted ROC AUC is beyond these bounds separates the classes alone
LEAKAGE_AUC = (0.01, 0.99)


def _check_out(args):
    """--out is new, empty, or (with --overwrite) a previous run and nothing else."""
    out = Path(args.out)
    check_can_make(out, "--out")
    if not out.exists():
        return
    if not out.is_dir():
        raise CommandError(f"--out {out}: a file is there; the output is a folder, "
                           "name a new one")
    entries = sorted(p.name for p in out.iterdir())
    if not entries:
        return
    foreign = [name for name in entries if name not in RUN_FILES]
    if foreign:
        raise CommandError(
            f"--out {out}: the folder holds files that 'physml-sklearn train' did not "
            f"write ({', '.join(repr(n) for n in foreign[:3])}); name a new or empty "
            "folder"
        )
    if not args.overwrite:
        raise CommandError(
            f"--out {out} holds a previous run; add --overwrite to replace it once the "
            "new run is complete, or name another folder"
        )


def _parse_units(text):
    """``"met=GeV,lep1_eta="`` -> ``{"met": "GeV", "lep1_eta": ""}``."""
    units = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        column, sep, unit = item.partition("=")
        if not sep or not column.strip():
            raise CommandError(
                f"--units: {item.strip()!r} is not COLUMN=UNIT; write e.g. "
                "--units 'met=GeV,lep1_pt=GeV,lep1_eta='"
            )
        units[column.strip()] = unit.strip()
    return units


def _check_options(args):
    if args.folds < 2:
        raise CommandError(f"--folds must be at least 2, got {args.folds}")
    if args.max_epochs < 1:
        raise CommandError(f"--max-epochs must be at least 1, got {args.max_epochs}")
    if args.min_background_events < 0:
        raise CommandError(
            f"--min-background-events must be at least 0, got {args.min_background_events}"
        )
    _parse_units(args.units)
    if args.features is not None:
        repeated = sorted({f for f in args.features if args.features.count(f) > 1})
        if repeated:
            raise CommandError(
                f"--features lists {', '.join(map(repr, repeated))} more than once; "
                "name each input once"
            )
        for option, column in (("--weight", args.weight), ("--fold-column", args.fold_column)):
            if column is not None and column in args.features:
                raise CommandError(
                    f"{option} {column!r} is also listed in --features; an event's "
                    f"{option[2:].replace('-', ' ')} cannot be an input of the classifier"
                )
    check_sources(args.signal, "--signal")
    check_sources(args.background, "--background")
    check_not_an_input(args.out, args.signal + args.background, "--out", folder=True)
    _check_out(args)


def load_events(args):
    """Read the sources.

    Returns (X with the fold column, labels, weights, sources, features,
    units): ``units`` maps a feature to its unit, from the ROOT branch titles
    and then ``--units``.
    """
    import numpy as np

    from ..datasets import load_ntuples

    sources = {SIGNAL: list(args.signal), BACKGROUND: list(args.background)}
    extra = [c for c in (args.fold_column,) if c is not None]
    excluded = {args.weight, args.fold_column} - {None}
    if args.features is None:  # every numeric column the files share
        common = common_numeric_columns(
            [(label, source) for label, paths in sources.items() for source in paths]
        )
        for option, column in (("--weight", args.weight), ("--fold-column", args.fold_column)):
            if column is not None and column not in common:
                raise CommandError(
                    f"{option} {column!r}: no such numeric column in every signal and "
                    f"background file{close_matches(column, common)}"
                )
        features = [c for c in common if c not in excluded]
        if not features:
            raise CommandError(
                "the signal and background files have no numeric column in common"
                + (f" besides {', '.join(sorted(excluded))}" if excluded else "")
                + "; name the inputs with --features"
            )
        columns = features + extra
    else:
        columns = list(dict.fromkeys(args.features + extra))
    data = load_ntuples(sources, features=columns, weight=args.weight,
                        selection=args.selection)
    features = [c for c in data.data.columns if c not in excluded]
    X = data.data[features + extra]
    source = np.asarray(data.source)
    bad = ~np.isfinite(X.to_numpy(dtype=float))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise CommandError(
            f"column {X.columns[col]!r}: {_events(int(bad[:, col].sum()))} with a NaN or "
            f"infinite value (first in {source[row]}); remove them, e.g. with "
            f"--selection '{X.columns[col]} == {X.columns[col]}', or leave the column "
            "out with --features"
        )
    weight = np.asarray(data.sample_weight, dtype=float)  # finite: load_ntuples checks
    labels = np.asarray(data.target_names, dtype=object)[np.asarray(data.target)]
    for name in (SIGNAL, BACKGROUND):
        total = weight[labels == name].sum()
        if not total > 0:
            raise CommandError(
                f"the {name} events have a total weight of {total:g}; it must be positive"
            )
    if args.fold_column is not None:
        fold = X[args.fold_column].to_numpy()
        if not np.all(fold == np.round(fold)):
            raise CommandError(
                f"--fold-column {args.fold_column!r} must hold integer event numbers; "
                "it has non-integer values"
            )
    units = {c: u for c, u in (getattr(data, "feature_units", None) or {}).items()
             if c in features}
    for column, unit in _parse_units(args.units).items():
        if column not in features:
            raise CommandError(f"--units: {column!r} is not an input"
                               f"{close_matches(column, features)}")
        units[column] = unit
    return X, labels.astype(str), weight, source, features, units


def weighted_auc(y, x, weight):
    """ROC AUC of one variable as the score: P(x_signal > x_background), ties count half.

    ``y`` is True for signal. Weights may be negative (NLO events); each
    class's total must be positive.
    """
    import numpy as np

    values, index = np.unique(x, return_inverse=True)
    signal = np.bincount(index, weights=np.where(y, weight, 0.0), minlength=len(values))
    background = np.bincount(index, weights=np.where(y, 0.0, weight),
                             minlength=len(values))
    below = np.cumsum(background) - background  # background weight below each value
    total = signal.sum() * background.sum()
    return float(np.sum(signal * (below + 0.5 * background)) / total)


def check_leakage(X, y, weight, features, named):
    """Stop when an input alone separates the classes, unless --features named it.

    Such an input is a label leaked into the data (a forgotten --weight
    column whose value differs per process, a truth flag): the classifier
    learns it and every number of the report is meaningless.
    """
    import numpy as np

    is_signal = np.asarray(y) == SIGNAL
    low, high = LEAKAGE_AUC
    for column in features:
        if column in named:
            continue
        auc = weighted_auc(is_signal, X[column].to_numpy(dtype=float), weight)
        if not low <= auc <= high:
            raise CommandError(
                f"input {column!r} alone separates signal from background (its own "
                f"weighted ROC AUC is {auc:.4f}): a label or a weight leaked into the "
                f"inputs? Name it with --weight if it is the event weight, leave it out "
                f"by listing the inputs with --features, or list it in --features to "
                "use it anyway"
            )


def training_weights(y, weight):
    """Event weights with the classes balanced, for the training only.

    Each class's weights are scaled so that both classes sum to the number
    of signal events (TMVA's default ``NormMode=EqualNumEvents``); within a
    class the physics weights keep their ratios and signs. A class is
    normalised by the sum of its weights, negative ones included.
    """
    import numpy as np

    is_signal = np.asarray(y) == SIGNAL
    target = float(is_signal.sum())
    balanced = np.asarray(weight, dtype=float).copy()
    for rows in (is_signal, ~is_signal):
        balanced[rows] *= target / balanced[rows].sum()
    return balanced


def input_files(args):
    """Each input file once: its source, class, size and SHA-256."""
    import hashlib

    files = []
    for label, sources in ((SIGNAL, args.signal), (BACKGROUND, args.background)):
        for source in sources:
            path = Path(split_source(source)[0])
            digest = hashlib.sha256()
            with open(path, "rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    digest.update(block)
            files.append({"source": source, "class": label, "path": str(path.resolve()),
                          "bytes": path.stat().st_size, "sha256": digest.hexdigest()})
    return files


def _versions():
    from importlib import metadata

    from .. import __version__

    versions = {"physml-sklearn": __version__, "python": platform.python_version()}
    for name in ("numpy", "pandas", "scikit-learn", "scipy", "torch", "skorch", "pyarrow",
                 "matplotlib", "uproot", "onnx", "skl2onnx"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def _fold_training(model):
    """Per fold model: its epochs, the epoch kept, and whether the limit ended it."""
    from .._core._base import ended_at_epoch_limit

    return [{"epochs": int(fold[-1].n_iter_), "best_epoch": int(fold[-1].best_epoch_),
             "ended_at_epoch_limit": bool(ended_at_epoch_limit(fold[-1]))}
            for fold in model.estimators_]


def run_record(args, *, inputs, features, units, y, weight, summary, files, model=None):
    """The content of run.json: what ran, on what, and what it found."""
    import numpy as np

    best = {key: value for key, value in summary.items()
            if key not in ("roc_auc", "roc_auc_error")}
    is_signal = y == SIGNAL
    notes = dict(files)
    onnx = notes.get("model.onnx", "")
    return {
        "status": "complete",
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": list(getattr(args, "argv", None) or ["physml-sklearn", "train",
                                                        *_argv(args)]),
        "versions": _versions(),
        "inputs": inputs,
        "events": {SIGNAL: int(is_signal.sum()), BACKGROUND: int((~is_signal).sum())},
        "weighted_yields": {SIGNAL: float(np.sum(weight[is_signal])),
                            BACKGROUND: float(np.sum(weight[~is_signal]))},
        "features": list(features),
        "feature_units": units,
        "weight": args.weight,
        "fold_column": args.fold_column,
        "folds": args.folds,
        "selection": args.selection,
        "random_state": args.random_state,
        "max_epochs": args.max_epochs,
        "fold_training": [] if model is None else _fold_training(model),
        "training_weights": "each class scaled to the number of signal events "
                            "(TMVA's EqualNumEvents); the report and scores.parquet use "
                            "the physics weights",
        "roc_auc": summary["roc_auc"],
        "roc_auc_error": summary["roc_auc_error"],
        "best_working_point": best,
        "onnx": {"written": not onnx.startswith("not written"), "note": onnx},
        "files": {name: "the report" if name == "report.html" else note
                  for name, note in files},
    }


def _events(n):
    return f"{n} event" if n == 1 else f"{n} events"


def make_model(args, progress):
    """The cross-trained classifier."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import DropoutMLPClassifier, FoldingClassifier

    network = DropoutMLPClassifier(
        early_stopping=True, max_epochs=args.max_epochs, random_state=args.random_state,
        callbacks=[("progress", EpochProgress(progress))],
    )
    return FoldingClassifier(
        make_pipeline(StandardScaler(), network), n_folds=args.folds,
        fold_column=args.fold_column, random_state=args.random_state,
    )


def _drop_progress(model):
    """Forget the progress callback, a parameter of the training run, not of the model."""
    for estimator in [model.estimator, *model.estimators_]:
        estimator[-1].set_params(callbacks=None)


def _argv(args):
    parts = ["--signal", *args.signal, "--background", *args.background]
    for option, value in (("--features", args.features), ("--weight", args.weight),
                          ("--selection", args.selection), ("--fold-column", args.fold_column),
                          ("--units", args.units)):
        if value is not None:
            parts += [option, *(value if isinstance(value, list) else [repr(value)])]
    parts += ["--folds", str(args.folds), "--max-epochs", str(args.max_epochs),
              "--min-background-events", str(args.min_background_events),
              "--random-state", str(args.random_state), "--out", str(args.out)]
    return parts + (["--overwrite"] if args.overwrite else [])


def _settings(args):
    """The run's settings for the report's configuration table."""
    return [
        ("signal", " ".join(args.signal)),
        ("background", " ".join(args.background)),
        ("weight", args.weight or "none (every event 1)"),
        ("selection", args.selection or "none"),
    ]


def save_model(model, X, out, progress):
    """model.physml, and model.onnx when the onnx extra is installed."""
    from .. import save

    files = []
    path = out / "model.physml"
    with atomic_path(path) as temporary:
        save(model, temporary)
    files.append((path.name, "the fitted FoldingClassifier (physml_sklearn.load)"))
    try:
        import onnx  # noqa: F401
        import skl2onnx  # noqa: F401

        from .. import to_onnx
    except ImportError:
        files.append(("model.onnx", "not written: pip install \"physml-sklearn[onnx]\""))
        return files
    path = out / "model.onnx"
    try:
        # the features as "X" in the model's order; with an integer fold column, the
        # event numbers as their own integer input, so the fold rule is exact
        with atomic_path(path) as temporary:
            graph = to_onnx(model, X.iloc[:16], temporary)
        rule = ("each event from the fold model that did not train on it"
                if model.fold_column is not None else "the average of the fold models")
        inputs = "; ".join(_onnx_input_text(tensor, model, X) for tensor in graph.graph.input)
        files.append((path.name, f"ONNX graph ({rule}): inputs {inputs}; output "
                                 "'probabilities', columns background, signal"))
    except Exception as error:  # the model files are still useful without it
        message = " ".join(str(error).split())
        progress.info(f"model.onnx not written: {type(error).__name__}: {message}")
        files.append(("model.onnx", f"not written: {type(error).__name__}: {message}"))
    return files


def _onnx_input_text(tensor, model, X):
    """``'X' (float32): the columns a, b, c in this order`` for the report's file list."""
    from onnx import TensorProto

    dtype = TensorProto.DataType.Name(tensor.type.tensor_type.elem_type).lower()
    if tensor.name == "X":
        columns = [c for c in X.columns
                   if dtype == "double" or c != model.fold_column]
        return f"'X' ({dtype}): the columns {', '.join(map(str, columns))} in this order"
    return f"{tensor.name!r} ({dtype}): the column {model.fold_column!r}"


def run(args):
    """Run ``physml-sklearn train``."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    _check_options(args)
    progress = Progress(N_STEPS, quiet=args.quiet)
    out = Path(args.out)

    progress.step("reading the signal and background files")
    X, y, weight, source, features, units = load_events(args)
    check_leakage(X, y, weight, features, named=set(args.features or ()))
    n_background = int((y == BACKGROUND).sum())
    if n_background < args.min_background_events:  # no working point could be given
        raise CommandError(
            f"--min-background-events {args.min_background_events}: the background files "
            f"hold {n_background} events, so no cut would keep that many; lower it or "
            "give more background events"
        )
    inputs = input_files(args)
    progress.info(f"{int((y == SIGNAL).sum())} signal and {n_background} "
                  f"background events, {len(features)} inputs: {', '.join(features)}")

    progress.step(f"training {args.folds} fold models (each on {args.folds - 1} of "
                  f"{args.folds} folds, early stopping, classes balanced)")
    model = make_model(args, progress)
    progress.n_folds = args.folds
    with epoch_limit_said_by_progress():  # and the report says it too
        model.fit(X, y, sample_weight=training_weights(y, weight))
    _drop_progress(model)

    column = list(model.classes_).index(SIGNAL)
    out_of_fold = model.out_of_fold_proba_[:, column]

    progress.step(f"writing the model and the scores to {out}/")
    # everything goes to a temporary folder beside --out, renamed into place at the end:
    # an interrupted or failed run leaves --out as it was
    with atomic_folder(out, replace=args.overwrite) as folder:
        files = save_model(model, X, folder, progress)
        import pandas as pd

        table = pd.DataFrame({"score": out_of_fold, "label": y, "weight": weight,
                              "source": source})
        if args.fold_column is not None:
            table[args.fold_column] = X[args.fold_column].to_numpy()
        with atomic_path(folder / "scores.parquet") as temporary:
            table.to_parquet(temporary, index=False)
        files.append(("scores.parquet", "one row per event: out-of-fold score, label, "
                      "weight, source" + (", fold column" if args.fold_column else "")))

        from ..plotting._legend import format_cut
        from ..report import write_report
        from ..report._sections import value_error

        files = [("report.html", "this page")] + files + [
            ("run.json", "the command, the versions, the input files' sizes and SHA-256 "
                         "hashes, the best working point; written last")]
        best = write_report(
            folder / "report.html", model, X, y,
            sample_weight=weight if args.weight else None, scores=out_of_fold,
            feature_units=units or None,
            title="physml-sklearn train: signal vs background", pos_label=SIGNAL,
            min_background_events=args.min_background_events, balanced_training=True,
            settings=_settings(args), files=files,
            command="physml-sklearn train " + " ".join(_argv(args)),
            random_state=args.random_state,
            # the report's own steps, naming the run folder rather than the temporary
            # one it is written in before being renamed
            progress=lambda text: progress.step(text.replace(str(folder), str(out))),
        )
        record = run_record(args, inputs=inputs, features=features, units=units, y=y,
                            weight=weight, summary=best, files=files, model=model)
        write_text(folder / "run.json", json.dumps(record, indent=2, allow_nan=False) + "\n")
    progress.done(
        f"done: ROC AUC {value_error(best['roc_auc'], best['roc_auc_error'])}, "
        f"best cut score >= "
        f"{format_cut(best['threshold'])} (S = {best['signal']:.4g}, "
        f"B = {value_error(best['background'], best['background_error'])} from "
        f"{best['n_background']} simulated events, Z = {best['significance']:.2f}); "
        f"report: {out / 'report.html'}"
    )
    return 0
