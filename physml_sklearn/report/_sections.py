"""One function per section of the report, each from plain arrays and frames.

Every function returns a :class:`~._html.Section`; none reads files, parses
options or knows the command line.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pandas as pd

from ..plotting._legend import format_cut, legend_below
from ._analysis import RANKING_EVENTS
from ._figures import correlation_matrices, input_distributions
from ._html import Section, figure_html, paragraph, table_html

Z_FORMULA = ("Z = sqrt(2 [(S+B) ln((S+B)(B+σB²) / (B²+(S+B)σB²)) "
             "- (B²/σB²) ln(1 + σB² S / (B (B+σB²)))])")


def value_error(value, error):
    """``value ± error`` with the error to two significant digits and the value alike."""
    import math

    if not (error > 0 and math.isfinite(error)):
        return f"{value:.4g} ± {error:.2g}"
    decimals = 1 - math.floor(math.log10(error))
    if decimals > 0:
        return f"{value:.{decimals}f} ± {error:.{decimals}f}"
    return f"{round(value, decimals):.0f} ± {round(error, decimals):.0f}"


def fold_name(i):
    """Folds are numbered from 1 on the page, as the command's progress counts them."""
    return f"Fold {i + 1}"


def summary_section(summary, *, n_signal, n_background, signal_total, background_total,
                    n_features, folds_text, epochs_text, score_origin, weights_text,
                    weighted):
    """The headline numbers: ROC AUC and the best working point."""
    rows = [
        (f"ROC AUC ({score_origin}{', weighted' if weighted else ''})",
         value_error(summary["roc_auc"], summary["roc_auc_error"])),
        ("best cut on the signal probability",
         f"score >= {format_cut(summary['threshold'])}"),
        ("signal S above the cut (simulated events)",
         f"{summary['signal']:.4g} ({summary['n_signal']})"),
        ("background B ± σB above the cut (simulated events)",
         f"{value_error(summary['background'], summary['background_error'])} "
         f"({summary['n_background']})"),
        ("significance Z (Asimov, with σB)", f"{summary['significance']:.2f}"),
        ("signal efficiency at the cut", f"{summary['signal_efficiency']:.3f}"),
        ("background efficiency at the cut", f"{summary['background_efficiency']:.3g}"),
        ("fewest simulated background events a cut may keep",
         str(summary["min_background_events"])),
        ("events: signal / background", f"{n_signal} / {n_background}"),
        ("weighted yields: signal / background",
         f"{signal_total:.4g} / {background_total:.4g}"),
    ]
    if folds_text:
        rows.append(("folds", folds_text))
    if epochs_text:
        rows.append(("epochs per fold (best epoch)", epochs_text))
    rows.append(("input variables", str(n_features)))
    table = pd.DataFrame(rows, columns=["quantity", "value"])
    return Section("summary", "Summary").add(
        paragraph(score_text(score_origin)),
        paragraph(weights_text),
        paragraph(
            "S and B are the summed event weights above the cut (expected events when "
            "the weights are cross section x luminosity / events generated); σB is the "
            "Monte Carlo statistical uncertainty of B, the square root of the sum of the "
            "squared weights of its events, and enters Z. The counts in brackets are "
            "the simulated (unweighted) events behind S and B: a cut must keep at least "
            f"{summary['min_background_events']} simulated background events, so that B "
            "is an estimate and not one event's weight."),
        table_html(table, css="data text summary"),
    )


def score_text(score_origin):
    if score_origin == "out-of-fold":
        return ("Every number comes from out-of-fold scores: each event is scored by the "
                "fold model that did not train on it (held-out), so the whole sample "
                "serves for training and for the measurement, as in TMVA's "
                "cross-validation.")
    return ("The scores are the model's predict_proba on the events given to the report; "
            "they are not out-of-fold. They measure the model only if it did not train "
            "on these events (pass held-out events, or a FoldingClassifier and the "
            "events it was fitted on).")


def inputs_section(X, is_signal, weight, *, units, weighted):
    """Input distributions per class and their correlation matrices."""
    how = "weighted" if weighted else "unweighted (every event 1)"
    return Section("inputs", "Input variables").add(
        paragraph(f"{X.shape[1]} inputs, {how}. Signal filled, background as a line. "
                  "Integer-valued inputs are binned on whole numbers. Correlations are "
                  "printed in percent where they reach 5 %."),
        figure_html(input_distributions(X, is_signal, weight, units=units),
                    "input variable distributions"),
        *(figure_html(fig, f"correlation matrix {label}") for fig, label in
          zip(correlation_matrices(X, is_signal, weight), ("signal", "background"))),
    )


def training_section(networks, names):
    """Loss curves of each trained network (fold models or the one model)."""
    import matplotlib.pyplot as plt

    from .._core._base import ended_at_epoch_limit
    from ..plotting import LossCurveDisplay
    from ..plotting._loss_curve import _model_with_loss_curve

    section = Section("training", "Training")
    curves = []
    for network, name in zip(networks, names):
        try:
            curves.append((_model_with_loss_curve(network), name))
        except (TypeError, ValueError, AttributeError):
            continue
    if not curves:
        return section.add(paragraph(
            "The model records no loss curve (it is not one of the package's networks)."))
    n = len(curves)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.4), squeeze=False)
    for ax, (network, name) in zip(axes[0], curves):
        LossCurveDisplay.from_estimator(network, ax=ax, name=name)
    fig.tight_layout()
    first = curves[0][0]
    if getattr(first, "early_stopping", False):
        text = ("Loss per epoch on the training events and on the validation events "
                f"early stopping holds out of them ({first.validation_fraction:.0%}; it "
                f"stops after {first.patience} epochs without improvement). The marked "
                "epoch has the lowest validation loss; its weights are the ones kept.")
    else:
        text = "Loss per epoch on the training events."
    section.add(paragraph(text))
    limited = [(network, name.split(":")[0]) for network, name in curves
               if ended_at_epoch_limit(network)]
    if limited:
        which = ", ".join(f"{name} (best epoch {network.best_epoch_} of {network.n_iter_})"
                          for network, name in limited)
        section.add(paragraph(
            f"Ended by the epoch limit, not by early stopping: {which}. The validation "
            "loss was still improving (within the patience of the early stopping) "
            f"when the {limited[0][0].max_epochs} epochs allowed ran out, so "
            f"{'this model' if len(limited) == 1 else 'these models'} may be "
            "undertrained: train again with more epochs (max_epochs; --max-epochs of "
            "physml-sklearn train).", css="warning"))
    return section.add(figure_html(fig, "loss curves"))


def overtraining_section(y01, scores, checks, weight, class_names):
    """Score distributions on training vs held-out events per fold, KS tests, efficiencies."""
    from ..plotting import ScoreDistributionDisplay

    section = Section("overtraining", "Overtraining check")
    if not checks:
        return section.add(paragraph(
            "Needs held-out events per model: only a FoldingClassifier scored on the "
            "events it was fitted on gives each model its training and held-out events."))
    section.add(paragraph(
        "For each fold model: the signal probability on the events it trained on "
        "(markers) against the events of its held-out fold (filled), per class, on a log "
        "scale. A small Kolmogorov-Smirnov p-value, or a signal efficiency much higher "
        "on the training events than on the held-out ones, means the model learnt "
        "fluctuations of its training sample. Beside each efficiency, the number of "
        "simulated background events above the cut: a difference read from a handful "
        "of them is a fluctuation, not a sign of overtraining."))
    parts = []
    for i, check in enumerate(checks):
        train, test = check["train"], check["test"]
        disp = ScoreDistributionDisplay.from_predictions(
            y01[train], scores[i, train], y01[test], scores[i, test],
            sample_weight_train=weight[train], sample_weight_test=weight[test],
            class_names=class_names, name=fold_name(i), log=True,
        )
        for panel, hists in zip(np.ravel(disp.ax_), disp.test_hists_):
            for hist in hists:  # one word for the events a model did not see
                hist.set_label(hist.get_label().replace(" test", " held-out"))
            handles = [a for c in range(len(hists))
                       for a in (disp.test_hists_[0, c], disp.train_errorbars_[0, c])]
            legend_below(panel, handles, [h.get_label() for h in handles])
            panel.set_xlabel("signal probability")
        table = check["overtraining"].copy()
        table["class"] = table["class"].map(dict(enumerate(class_names)))
        table = table.rename(columns={
            "ks_statistic": "KS statistic", "ks_pvalue": "KS p-value",
            "auc_train": "AUC train", "auc_test": "AUC held-out"})
        efficiency = check["efficiency"].rename(columns={
            "background_efficiency": "background efficiency",
            "signal_efficiency_train": "signal efficiency, train",
            "signal_efficiency_test": "signal efficiency, held-out",
            "background_events_train": "background events, train",
            "background_events_test": "background events, held-out"})
        parts.append(
            f"<div><h3>{fold_name(i)}</h3>"
            + figure_html(disp.figure_, f"score distributions {fold_name(i)}")
            + table_html(table) + table_html(efficiency) + "</div>"
        )
    return section.add('<div class="folds">' + "".join(parts) + "</div>")


def ranking_section(table, *, weighted, n_events, held_out):
    """Permutation importance of each input."""
    from ..plotting import FeatureImportanceDisplay

    score = "held-out ROC AUC" if held_out else "ROC AUC"
    disp = FeatureImportanceDisplay.from_ranking(table, score_name=score)
    disp.ax_.set_title("Permutation importance"
                       + (" (mean over the folds)" if held_out else ""))
    where = (f"on up to {RANKING_EVENTS} held-out events per fold, {n_events} in all"
             if held_out else f"on {n_events} of the given events")
    return Section("ranking", "Input ranking").add(
        paragraph(
            f"Drop of the {score} when one input is shuffled (5 repeats, {where}; "
            + ("event weights used" if weighted
               else "unweighted, because some event weights are negative")
            + ("), averaged over the folds. " if held_out else "). ")
            + "An input near zero adds nothing the others do not already give."),
        figure_html(disp.figure_, "permutation ranking"),
        table_html(table.rename(columns={
            "importance_mean": "importance (AUC drop)", "importance_std": "std"})),
    )


def rejection_section(y01, score, weight, table, lowest, score_origin):
    """The rejection curve and the rejection at fixed signal efficiencies."""
    import matplotlib.pyplot as plt

    from ..plotting import RejectionCurveDisplay

    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    RejectionCurveDisplay.from_predictions(y01, score, sample_weight=weight,
                                           name=score_origin, ax=ax)
    ax.set_title("Background rejection against signal efficiency")
    shown = pd.DataFrame({
        "signal efficiency": table["signal efficiency"].map("{:.2f}".format),
        "cut": table["cut"].map(format_cut),
        "signal efficiency at the cut": table["signal efficiency at the cut"].map(
            "{:.3f}".format),
        "background rejection 1/eB ± stat.": [
            value_error(r, e) for r, e in
            zip(table["background rejection 1/eB"], table["uncertainty"])],
        "simulated background events": table["simulated background events"],
    })
    return Section("rejection", "Rejection curve").add(
        paragraph(
            "Background rejection (1 / background efficiency, log scale) against the "
            f"signal efficiency of a cut on the {score_origin} score. In the table, the "
            "cut at each signal efficiency is the tightest one that keeps at least that "
            "fraction of the signal; the uncertainty of the rejection comes from the "
            "Monte Carlo uncertainty of the background above the cut, and the last column "
            "counts the simulated background events behind it. Signal efficiencies below "
            f"{lowest:.3f} are not listed: no cut that keeps background reaches them (the "
            "simulated background runs out first)."),
        figure_html(fig, "rejection curve"),
        table_html(shown),
    )


def significance_section(y01, score, weight, summary, score_origin):
    """The significance scan with the best working point."""
    import matplotlib.pyplot as plt

    from ..plotting import SignificanceDisplay

    n_min = summary["min_background_events"]
    fig, ax = plt.subplots(figsize=(7.2, 4.6))
    SignificanceDisplay.from_predictions(
        y01, score, sample_weight=weight, background_uncertainty="mc",
        min_background_events=n_min, name=f"Z, {score_origin} score", ax=ax)
    ax.set_title("Expected significance against the cut")
    return Section("significance", "Significance scan").add(
        paragraph(
            f"Asimov discovery significance with the background uncertainty σB, {Z_FORMULA} "
            "(Cowan, Cranmer, Gross, Vitells, arXiv:1007.1727; G. Cowan, Discovery "
            "sensitivity for a counting experiment with background uncertainty, 2012), of "
            f"the events above each cut on the {score_origin} score. σB is the Monte Carlo "
            "statistical uncertainty of B. Cuts that keep fewer than "
            f"{n_min} simulated background events are shaded and not considered. The best "
            f"cut, score >= {format_cut(summary['threshold'])}, keeps "
            f"S = {summary['signal']:.4g} and B = "
            f"{value_error(summary['background'], summary['background_error'])} "
            f"({summary['n_background']} simulated "
            f"background events) for Z = {summary['significance']:.2f}. S and B carry the "
            "event weights; without physics weights they count events and Z is only a "
            "relative figure."),
        figure_html(fig, "significance scan"),
    )


def files_section(settings, files):
    """Settings of the run and the files written beside the page."""
    rows = list(settings) + [(f"file: {name}", note) for name, note in files]
    config = pd.DataFrame(rows, columns=["setting", "value"])
    return Section("files", "Configuration and files").add(
        table_html(config, css="data text"))
