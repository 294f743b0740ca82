"""``write_report``: the analysis report of a signal/background classifier."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import os
import platform
import time
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd

from .._io_atomic import write_text
from ..metrics._overtraining import _weighted_auc
from . import _analysis, _sections
from ._html import render


def _check_inputs(model, X, y, sample_weight, scores, folds, feature_units, pos_label,
                  min_background_events):
    """Validate the arguments; returns plain arrays, never views the caller may see change."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    if not hasattr(model, "predict_proba") and scores is None:
        raise ValueError(
            f"model {type(model).__name__} has no predict_proba; pass its signal "
            "scores as scores=.")
    if not isinstance(X, pd.DataFrame):
        values = np.asarray(X)
        if values.ndim != 2:
            raise ValueError(f"X must be 2-D, one row per event; got shape {values.shape}.")
        names = getattr(model, "feature_names_in_", None)
        if names is None or len(names) != values.shape[1]:
            names = [f"x{i}" for i in range(values.shape[1])]
        X = pd.DataFrame(values, columns=[str(n) for n in names])
    n = len(X)
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(
            f"y must hold one label per row of X ({n}); got shape {y.shape}.")
    labels = np.unique(y)
    if labels.size != 2:
        raise ValueError(
            f"y holds {labels.size} classes ({labels.tolist()[:5]}); the report needs "
            "signal against background: two classes.")
    if pos_label is None:
        classes = getattr(model, "classes_", labels)
        pos_label = classes[-1]
    if pos_label not in labels:
        raise ValueError(
            f"pos_label={pos_label!r} is not among the labels of y {labels.tolist()}; "
            "pass the signal label.")
    if sample_weight is None:
        weight = np.ones(n)
    else:
        weight = np.array(sample_weight, dtype=np.float64)
        if weight.shape != (n,):
            raise ValueError(
                f"sample_weight must hold one weight per event ({n}); got shape "
                f"{weight.shape}.")
        if not np.isfinite(weight).all():
            raise ValueError(
                "sample_weight holds NaN or infinite weights; every event needs a "
                "finite weight.")
    for name, mask in (("signal", y == pos_label), ("background", y != pos_label)):
        total = weight[mask].sum()
        if not total > 0:
            raise ValueError(
                f"the {name} events have a total sample_weight of {total:g}; it must be "
                "positive for efficiencies and yields to mean anything.")
    if scores is not None:
        scores = np.array(scores, dtype=np.float64)
        if scores.shape != (n,):
            raise ValueError(
                f"scores must hold one signal score per event ({n}); got shape "
                f"{scores.shape}. For predict_proba output pass the signal column.")
        if not np.isfinite(scores).all():
            raise ValueError("scores holds NaN or infinity; every event needs a finite score.")
        if scores.min() < 0 or scores.max() > 1:
            # the page calls them the signal probability, on axes from 0 to 1
            raise ValueError(
                f"scores must be signal probabilities in [0, 1], as predict_proba gives; "
                f"got values from {scores.min():.4g} to {scores.max():.4g}. Map a decision "
                "function to [0, 1] first, e.g. with scipy.special.expit.")
    if folds is not None:
        if not _analysis.is_folding(model):
            raise ValueError(
                "folds= needs a FoldingClassifier: it says which fold model did not "
                f"train on each event, and {type(model).__name__} has no fold models.")
        folds = np.asarray(folds)
        n_folds = len(model.estimators_)
        if (folds.shape != (n,) or not np.issubdtype(folds.dtype, np.integer)
                or folds.min() < 0 or folds.max() >= n_folds):
            raise ValueError(
                f"folds must hold one integer in [0, {n_folds}) per event, the index of "
                "the fold model that did not train on it; got "
                f"shape {folds.shape}, dtype {folds.dtype}.")
    units = dict(feature_units or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in units.items()):
        raise ValueError(
            "feature_units must map feature names to unit strings, e.g. "
            "{'met': 'GeV'}.")
    if (not isinstance(min_background_events, Integral)
            or isinstance(min_background_events, bool) or min_background_events < 0):
        raise ValueError(
            "min_background_events must be an integer >= 0; got "
            f"{min_background_events!r}.")
    return X, y, weight, scores, folds, units, pos_label


def _scores_and_folds(model, X, scores, folds, pos_index):
    """The signal score of every event, whether it is out-of-fold, and the folds."""
    if not _analysis.is_folding(model):
        if scores is None:
            scores = np.asarray(model.predict_proba(_analysis.as_fitted(model, X)))[:, pos_index]
        return scores, False, None
    n = len(X)
    column = model.fold_column
    if folds is None:
        if column is not None:
            inner = X[column] if isinstance(column, str) else X.iloc[:, column]
            folds = np.mod(inner.to_numpy().astype(np.int64), len(model.estimators_))
        elif len(model.folds_) == n:
            folds = np.asarray(model.folds_)
    if scores is None:
        if column is None and folds is not None:
            scores = np.asarray(model.out_of_fold_proba_)[:, pos_index]
        else:  # with a fold column predict_proba applies the fold rule
            scores = np.asarray(
                model.predict_proba(_analysis.as_fitted(model, X)))[:, pos_index]
    return scores, folds is not None, folds


def write_report(path, model, X, y, *, sample_weight=None, scores=None, folds=None,
                 feature_units=None, title=None, pos_label=None, min_background_events=10,
                 balanced_training=None, settings=None, files=None, command=None,
                 random_state=None, progress=None):
    """Write the analysis report of a signal/background classifier: one HTML page.

    The page of ``physml-sklearn train``, from Python: the best working
    point (ROC AUC, cut, S, B ± σB, the simulated events behind them, Z),
    the input distributions with their units and correlation matrices, the
    loss curves, the overtraining check per fold (score distributions on
    training and held-out events, Kolmogorov-Smirnov tests, TMVA's efficiency
    table), the permutation ranking, the rejection curve with the rejection
    at reachable signal efficiencies, and the significance scan. The page is
    self-contained (figures embedded as PNG, no script, no network) and is
    written whole or not at all.

    For a :class:`~physml_sklearn.FoldingClassifier` and the events it was
    fitted on, every number comes from out-of-fold scores (each event scored
    by the fold model that did not train on it) and the overtraining check
    compares each fold model's training and held-out events. For any other
    classifier the scores are its ``predict_proba`` on ``X``, and the page
    says that they are not out-of-fold: pass held-out events.

    The best working point maximises the Asimov significance with the Monte
    Carlo uncertainty of the background, ``σB = sqrt(sum of w^2)`` over the
    background events above the cut, among the cuts that keep at least
    ``min_background_events`` simulated background events (see
    :func:`~physml_sklearn.metrics.significance_scan`).

    Parameters
    ----------
    path : str or path-like
        The HTML file to write (replaced if it exists).
    model : classifier
        A fitted binary classifier with ``predict_proba``: a
        ``FoldingClassifier`` (its fold models' loss curves and overtraining
        checks are shown), a pipeline, or any scikit-learn classifier.
    X : DataFrame or array-like of shape (n_samples, n_features)
        The events, with the columns the model was fitted on (the fold
        column of a ``FoldingClassifier`` included). For a
        ``FoldingClassifier`` without a fold column, the events it was
        fitted on, in the same order, so that its out-of-fold scores apply.
    y : array-like of shape (n_samples,)
        The class of each event; two classes.
    sample_weight : array-like of shape (n_samples,), default=None
        Physics weights (cross section x luminosity / events generated), used
        for every figure and number; negative weights allowed. None: every
        event counts 1.
    scores : array-like of shape (n_samples,), default=None
        The signal probability of each event, in [0, 1]. None computes it:
        the out-of-fold scores of a ``FoldingClassifier``, else
        ``predict_proba``.
    folds : array-like of int of shape (n_samples,), default=None
        For a ``FoldingClassifier``: the index of the fold model that did not
        train on each event. None takes it from the fold column, or from the
        model's ``folds_`` when ``X`` holds its training events.
    feature_units : dict of str to str, default=None
        The unit of each input, for the axis labels (``{"met": "GeV"}``
        labels the axis ``met [GeV]``); inputs not listed have no unit.
    title : str, default=None
        The page title; None: "physml_sklearn report: signal vs background".
    pos_label : int, float, bool or str, default=None
        The signal label; None takes ``model.classes_[-1]``.
    min_background_events : int, default=10
        Fewest simulated (unweighted) background events the best cut may
        keep above it.
    balanced_training : bool, default=None
        True says on the page that the classes were balanced for training
        (equal summed weights per class, TMVA's default); False that the
        training used ``sample_weight`` as given; None says nothing about it.
    settings : list of (str, str), default=None
        Extra rows for the "Configuration and files" table (input files,
        selection, the model's parameters, ...).
    files : list of (str, str), default=None
        Files written beside the page and what they hold, for the same table.
    command : str, default=None
        The command line that made the page, for its footer.
    random_state : int, default=None
        Seed of the permutation ranking (its shuffles and the event subset).
    progress : callable, default=None
        Called with a short message as each of the three stages starts
        (scoring, checks and working point, figures and page); ``print``
        shows them. None: silent.

    Returns
    -------
    summary : dict
        The headline numbers, as Python floats and ints: ``roc_auc`` and
        ``roc_auc_error`` (its statistical uncertainty, DeLong's estimate
        with the effective numbers of events), ``out_of_fold``
        (bool), ``threshold``, ``signal``, ``background``,
        ``background_error`` (σB), ``n_signal`` and ``n_background``
        (simulated events above the cut), ``significance``,
        ``signal_efficiency``, ``background_efficiency``,
        ``min_background_events``.

    See Also
    --------
    physml_sklearn.metrics.significance_scan : The scan behind the working point.
    physml_sklearn.FoldingClassifier : Out-of-fold scores for every event.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.linear_model import LogisticRegression
    >>> from physml_sklearn import FoldingClassifier
    >>> from physml_sklearn.datasets import make_diboson
    >>> from physml_sklearn.report import write_report
    >>> data = make_diboson(4000, random_state=0, as_frame=True)
    >>> X, y, w = data.data[["met", "mt_w", "n_jets"]], data.target, data.sample_weight
    >>> model = FoldingClassifier(LogisticRegression(), random_state=0).fit(X, y)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> summary = write_report(path, model, X, y, sample_weight=w, pos_label=0,
    ...                        feature_units={"met": "GeV", "mt_w": "GeV"})
    >>> summary["out_of_fold"], summary["n_background"] >= 10
    (True, True)
    >>> "B ± σB" in path.read_text(encoding="utf-8")
    True
    """
    os.environ.setdefault("MPLBACKEND", "Agg")
    from .. import __version__

    say = progress if progress is not None else (lambda message: None)
    X, y, weight, scores, folds, units, pos_label = _check_inputs(
        model, X, y, sample_weight, scores, folds, feature_units, pos_label,
        min_background_events)
    labels = np.unique(y)
    neg_label = labels[labels != pos_label][0]
    class_names = [str(neg_label), str(pos_label)]
    classes = list(getattr(model, "classes_", labels))
    pos_index = classes.index(pos_label) if pos_label in classes else 1
    folding = _analysis.is_folding(model)
    features = _analysis.inner_features(model, X)
    unknown = sorted(set(units) - set(map(str, features.columns)))
    if unknown:
        raise ValueError(
            f"feature_units names {unknown}, not inputs of the model; the inputs are "
            f"{list(map(str, features.columns))}.")

    say("scoring every event" + (" with each fold model" if folding else ""))
    score, out_of_fold, folds = _scores_and_folds(model, X, scores, folds, pos_index)
    if folding and out_of_fold:
        fold_scores = _analysis.fold_scores(model, X, pos_index)
    origin = "out-of-fold" if out_of_fold else "predict_proba"
    is_signal = y == pos_label
    y01 = is_signal.astype(int)
    signal_total = float(weight[is_signal].sum())
    background_total = float(weight[~is_signal].sum())

    say("overtraining checks, permutation ranking, working point")
    scan, best = _analysis.working_point(y01, score, weight,
                                         min_background_events=min_background_events)
    roc_auc = _weighted_auc(y01, score, weight)
    summary = {
        "roc_auc": roc_auc,
        "roc_auc_error": _analysis.auc_error(is_signal, score, weight),
        "out_of_fold": bool(out_of_fold),
        "threshold": float(best["threshold"]),
        "signal": float(best["signal"]),
        "background": float(best["background"]),
        "background_error": float(best["background_error"]),
        "n_signal": int(best["n_signal"]),
        "n_background": int(best["n_background"]),
        "significance": float(best["significance"]),
        # over the scan's own loosest cut (every event), summed in the same order
        # as the yields at the cut: a cut that keeps every signal event has an
        # efficiency of exactly 1, not 1.0000000000000002
        "signal_efficiency": float(best["signal"]) / float(scan["signal"].iloc[0]),
        "background_efficiency": (float(best["background"])
                                  / float(scan["background"].iloc[0])),
        "min_background_events": int(min_background_events),
    }

    if folding:
        n_folds = len(model.estimators_)
        column = model.fold_column
        folds_text = (f"{n_folds}: event number {column!r} modulo {n_folds} "
                      f"(remainder 0 is Fold 1, ..., {n_folds - 1} is Fold {n_folds})"
                      if column is not None
                      else f"{n_folds}: random stratified folds (seed {model.random_state})")
        networks = list(model.estimators_)
        names = [f"{_sections.fold_name(i)}: trained on the other folds"
                 for i in range(n_folds)]
    else:
        folds_text, networks, names = None, [model], [type(model).__name__]
    from .._core._base import ended_at_epoch_limit

    epochs = []
    for network in networks:
        last = network[-1] if hasattr(network, "steps") else network
        if hasattr(last, "n_iter_") and hasattr(last, "best_epoch_"):
            limit = ", epoch limit" if ended_at_epoch_limit(last) else ""
            epochs.append(f"{last.n_iter_} ({last.best_epoch_}{limit})")
    epochs_text = ", ".join(epochs) if len(epochs) == len(networks) and folding else None

    if balanced_training is None:
        training = ""
    elif balanced_training:
        training = ("The classes were balanced for training: each class's weights were "
                    "scaled to the same sum (TMVA's default normalisation), so that the "
                    "network sees both classes alike. ")
    else:
        training = "The training used the event weights as given. "
    weights_text = training + (
        "Every figure and number on this page uses the physics event weights."
        if sample_weight is not None else
        "No event weights were given: every figure and number counts events.")

    if folding and out_of_fold:
        checks = _analysis.fold_checks(y01, fold_scores, folds, weight)
        groups = [np.flatnonzero(folds == i) for i in range(len(networks))]
        rank_models, rank_X = networks, features
    else:
        fold_scores, checks = None, []
        groups, rank_models, rank_X = [np.arange(len(X))], [model], X
    ranking, ranking_weighted, n_ranked = _analysis.ranking(
        rank_models, rank_X, y, weight, groups, random_state=random_state)
    table, lowest = _analysis.rejection_table(scan, signal_total, background_total)

    say(f"writing {Path(path)}")
    sections = [_sections.summary_section(
        summary, n_signal=int(is_signal.sum()), n_background=int((~is_signal).sum()),
        signal_total=signal_total, background_total=background_total,
        n_features=features.shape[1], folds_text=folds_text, epochs_text=epochs_text,
        score_origin=origin, weights_text=weights_text,
        weighted=sample_weight is not None)]
    sections.append(_sections.inputs_section(
        features, is_signal, weight, units=units, weighted=sample_weight is not None))
    sections.append(_sections.training_section(networks, names))
    sections.append(_sections.overtraining_section(y01, fold_scores, checks, weight,
                                                   class_names))
    sections.append(_sections.ranking_section(
        ranking, weighted=ranking_weighted, n_events=n_ranked,
        held_out=folding and out_of_fold))
    sections.append(_sections.rejection_section(y01, score, weight, table, lowest, origin))
    sections.append(_sections.significance_section(y01, score, weight, summary, origin))
    settings = [("inputs", ", ".join(map(str, features.columns))),
                ("model", _model_text(model)), *(settings or [])]
    sections.append(_sections.files_section(settings, files or []))

    n_sig, n_bkg = int(is_signal.sum()), int((~is_signal).sum())
    folds_note = f", {len(networks)} folds" if folding else ""
    page = render(
        title=title or "physml_sklearn report: signal vs background",
        subtitle=(f"{n_sig} {_role('signal', class_names[1])} and "
                  f"{n_bkg} {_role('background', class_names[0])} events, "
                  f"{features.shape[1]} inputs{folds_note}; {origin} ROC AUC "
                  f"{_sections.value_error(summary['roc_auc'], summary['roc_auc_error'])}, "
                  f"best Z = {summary['significance']:.2f} "
                  f"with B resting on {summary['n_background']} simulated events"),
        sections=sections,
        footer=(f"physml-sklearn {__version__}, {time.strftime('%Y-%m-%d %H:%M:%S')}, "
                f"python {platform.python_version()}"
                + (f"; command: {command}" if command else "")),
    )
    write_text(path, page)
    return summary


def _role(role, label):
    """``signal``, or ``signal (WZ)`` when the label says something else."""
    return role if label == role else f"{role} ({label})"


def _model_text(model):
    text = repr(model)
    return " ".join(text.split())
