"""``physml-sklearn train``: the TMVA Factory as one command.

Signal and background files -> ``load_ntuples`` -> a ``FoldingClassifier``
around ``StandardScaler`` + ``DropoutMLPClassifier`` with early stopping ->
out-of-fold scores -> metrics and plots -> ``report.html``, ``model.physml``,
``model.onnx`` and ``scores.parquet`` in the output folder.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import os
from pathlib import Path

from . import CommandError
from ._io import check_sources, close_matches, common_numeric_columns
from ._progress import EpochProgress, Progress

SIGNAL, BACKGROUND = "signal", "background"
N_STEPS = 6


def _check_options(args):
    if args.folds < 2:
        raise CommandError(f"--folds must be at least 2, got {args.folds}")
    if args.max_epochs < 1:
        raise CommandError(f"--max-epochs must be at least 1, got {args.max_epochs}")
    if args.features is not None:
        for option, column in (("--weight", args.weight), ("--fold-column", args.fold_column)):
            if column is not None and column in args.features:
                raise CommandError(
                    f"{option} {column!r} is also listed in --features; an event's "
                    f"{option[2:].replace('-', ' ')} cannot be an input of the classifier"
                )
    check_sources(args.signal, "--signal")
    check_sources(args.background, "--background")


def load_events(args):
    """Read the sources; returns (X with the fold column, labels, weights, sources, features)."""
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
    weight = np.asarray(data.sample_weight, dtype=float)
    if not np.isfinite(weight).all():
        row = int(np.argmax(~np.isfinite(weight)))
        raise CommandError(
            f"--weight {args.weight!r}: {_events(int((~np.isfinite(weight)).sum()))} "
            f"with a NaN or infinite weight (first in {source[row]}); remove them with "
            f"--selection '{args.weight} == {args.weight}'"
        )
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
    return X, labels.astype(str), weight, source, features


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
                          ("--selection", args.selection), ("--fold-column", args.fold_column)):
        if value is not None:
            parts += [option, *(value if isinstance(value, list) else [repr(value)])]
    parts += ["--folds", str(args.folds), "--max-epochs", str(args.max_epochs),
              "--min-background-events", str(args.min_background_events),
              "--random-state", str(args.random_state), "--out", args.out]
    return parts


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
    save(model, path)
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
        # one input tensor "X" with the columns in the model's order
        to_onnx(model, X.iloc[:16].to_numpy(dtype=float), path)
        rule = ("each event from the fold model that did not train on it"
                if model.fold_column is not None else "the average of the fold models")
        dtype = "float64" if model.fold_column is not None else "float32"
        files.append((path.name, f"ONNX graph ({rule}): input 'X', {dtype}, the columns "
                                 f"{', '.join(map(str, X.columns))} in this order; output "
                                 "'probabilities', columns background, signal"))
    except Exception as error:  # the model files are still useful without it
        message = " ".join(str(error).split())
        progress.info(f"model.onnx not written: {type(error).__name__}: {message}")
        files.append(("model.onnx", f"not written: {type(error).__name__}: {message}"))
    return files


def run(args):
    """Run ``physml-sklearn train``."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    _check_options(args)
    progress = Progress(N_STEPS, quiet=args.quiet)
    out = Path(args.out)

    progress.step("reading the signal and background files")
    X, y, weight, source, features = load_events(args)
    progress.info(f"{int((y == SIGNAL).sum())} signal and {int((y == BACKGROUND).sum())} "
                  f"background events, {len(features)} inputs: {', '.join(features)}")

    progress.step(f"training {args.folds} fold models (each on {args.folds - 1} of "
                  f"{args.folds} folds, early stopping)")
    model = make_model(args, progress)
    progress.n_folds = args.folds
    model.fit(X, y, sample_weight=weight)
    _drop_progress(model)

    column = list(model.classes_).index(SIGNAL)
    out_of_fold = model.out_of_fold_proba_[:, column]

    progress.step(f"writing the model and the scores to {out}/")
    out.mkdir(parents=True, exist_ok=True)
    files = save_model(model, X, out, progress)
    import pandas as pd

    table = pd.DataFrame({"score": out_of_fold, "label": y, "weight": weight,
                          "source": source})
    if args.fold_column is not None:
        table[args.fold_column] = X[args.fold_column].to_numpy()
    table.to_parquet(out / "scores.parquet", index=False)
    files.append(("scores.parquet", "one row per event: out-of-fold score, label, weight, "
                                    "source" + (", fold column" if args.fold_column else "")))

    from ..plotting._legend import format_cut
    from ..report import write_report
    from ..report._sections import value_error

    best = write_report(
        out / "report.html", model, X, y, sample_weight=weight if args.weight else None,
        scores=out_of_fold, feature_units=None,
        title="physml-sklearn train: signal vs background", pos_label=SIGNAL,
        min_background_events=args.min_background_events, balanced_training=True,
        settings=_settings(args), files=[("report.html", "this page")] + files,
        command="physml-sklearn train " + " ".join(_argv(args)),
        random_state=args.random_state, progress=progress.step,
    )
    progress.done(
        f"done: ROC AUC {best['roc_auc']:.4f}, best cut score >= "
        f"{format_cut(best['threshold'])} (S = {best['signal']:.4g}, "
        f"B = {value_error(best['background'], best['background_error'])} from "
        f"{best['n_background']} simulated events, Z = {best['significance']:.2f}); "
        f"report: {out / 'report.html'}"
    )
    return 0
