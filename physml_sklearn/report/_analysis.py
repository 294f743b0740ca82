"""The numbers of the report: scores per fold, checks, ranking, working points.

Every function takes plain arrays and frames and returns numbers or tables;
the figures and the page are built from them in ``_sections``.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pandas as pd

from .._weights import kish_size

#: background efficiencies of the TMVA efficiency table
BACKGROUND_EFFICIENCIES = (0.01, 0.10, 0.30)
#: signal efficiencies of the rejection table
SIGNAL_EFFICIENCIES = (0.3, 0.5, 0.7, 0.9)
#: events per fold the permutation ranking is computed on (a random subset)
RANKING_EVENTS = 20_000


def is_folding(model):
    """Whether ``model`` is a fitted cross-trained ``FoldingClassifier``."""
    from ..folding import FoldingClassifier

    return isinstance(model, FoldingClassifier)


def as_fitted(model, X):
    """``X`` as the model saw it in ``fit``: a frame when it learnt feature names,
    else its values (so that scikit-learn does not warn about names)."""
    if hasattr(model, "feature_names_in_") or not isinstance(X, pd.DataFrame):
        return X
    return X.to_numpy()


def inner_features(model, X):
    """``X`` without the fold column: what each fold model sees."""
    column = getattr(model, "fold_column", None) if is_folding(model) else None
    if column is None:
        return X
    if isinstance(X, pd.DataFrame):
        if isinstance(column, str):
            return X.drop(columns=[column])
        return X.drop(columns=[X.columns[column]])
    return np.delete(np.asarray(X), column, axis=1)


def fold_scores(model, X, pos_index):
    """Each fold model's signal probability on every event, shape (n_folds, n)."""
    inner = inner_features(model, X)
    return np.stack([np.asarray(est.predict_proba(as_fitted(est, inner)))[:, pos_index]
                     for est in model.estimators_])


def fold_checks(y01, scores, folds, weight):
    """Per fold model: the overtraining test and TMVA's efficiency table."""
    from ..metrics import overtraining_test, signal_efficiency_table

    checks = []
    for i in range(scores.shape[0]):
        test, train = folds == i, folds != i
        check = overtraining_test(
            y01[train], scores[i, train], y01[test], scores[i, test],
            sample_weight_train=weight[train], sample_weight_test=weight[test],
        )
        efficiency = signal_efficiency_table(
            y01[train], scores[i, train], y01[test], scores[i, test],
            background_efficiencies=BACKGROUND_EFFICIENCIES,
            sample_weight_train=weight[train], sample_weight_test=weight[test],
        )
        checks.append({"train": train, "test": test, "overtraining": check,
                       "efficiency": efficiency})
    return checks


def ranking(models, X, y, weight, groups, *, random_state=None, n_repeats=5):
    """Permutation ranking of each model on its own events, averaged over the models.

    ``groups[i]`` are the rows model ``i`` is ranked on (its held-out fold);
    at most :data:`RANKING_EVENTS` of them, drawn with ``random_state``.
    Returns the ranking table, whether weights were used (not when some are
    negative) and the number of events used.
    """
    from ..inspection import rank_features

    rng = np.random.default_rng(random_state)
    weighted = bool((weight >= 0).all())
    rankings, n_events = [], 0
    for model, rows in zip(models, groups):
        if rows.size > RANKING_EVENTS:
            rows = np.sort(rng.choice(rows, RANKING_EVENTS, replace=False))
        n_events += rows.size
        rankings.append(rank_features(
            model, as_fitted(model, X.iloc[rows]), y[rows], scoring="roc_auc",
            n_repeats=n_repeats,
            sample_weight=weight[rows] if weighted else None, random_state=random_state,
        ).set_index("feature"))
    table = pd.DataFrame({
        "importance_mean": sum(r["importance_mean"] for r in rankings) / len(rankings),
        "importance_std": np.sqrt(sum(r["importance_std"] ** 2 for r in rankings)
                                  / len(rankings)),
    }).sort_values("importance_mean", ascending=False).reset_index()
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table, weighted, n_events


def auc_error(is_signal, score, weight):
    """Statistical uncertainty of the weighted ROC AUC (DeLong et al., Biometrics 44 (1988) 837).

    The AUC is the mean over the signal events of their placement, the
    (weighted) fraction of background events scored below them (ties count
    half), and equally the mean over the background events of the fraction
    of signal scored above them. Its variance is estimated from the spread
    of the placements, ``var(placement of signal) / n1 + var(placement of
    background) / n0``, with the effective numbers of events ``n = (sum
    w)^2 / sum w^2`` of each class: the spread of the AUC over independent
    samples of that size, with no assumption on the score distributions.
    """
    is_signal = np.asarray(is_signal, dtype=bool)
    score = np.asarray(score, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    terms = []
    for mine, other, sign in ((is_signal, ~is_signal, 1.0), (~is_signal, is_signal, -1.0)):
        # placement of each event of one class among the events of the other
        order = np.argsort(sign * score[other], kind="stable")
        keys, w_other = sign * score[other][order], weight[other][order]
        cumulative = np.r_[0.0, np.cumsum(w_other)]
        mine_keys = sign * score[mine]
        below = cumulative[np.searchsorted(keys, mine_keys, side="left")]
        up_to = cumulative[np.searchsorted(keys, mine_keys, side="right")]
        placement = (below + 0.5 * (up_to - below)) / cumulative[-1]
        w = weight[mine]
        mean = np.sum(w * placement) / w.sum()
        spread = np.sum(w * (placement - mean) ** 2) / w.sum()
        terms.append(spread / kish_size(w))
    return float(np.sqrt(sum(terms)))


def working_point(y01, score, weight, *, min_background_events):
    """The significance scan and its best cut.

    Z uses the Monte Carlo uncertainty of the background above each cut,
    and a cut must keep at least ``min_background_events`` simulated
    background events.
    """
    from ..metrics import significance_scan

    scan = significance_scan(y01, score, sample_weight=weight, pos_label=1,
                             background_uncertainty="mc",
                             min_background_events=min_background_events)
    return scan, scan.loc[scan["significance"].idxmax()]


def rejection_table(scan, signal_total, background_total,
                    signal_efficiencies=SIGNAL_EFFICIENCIES):
    """Background rejection at fixed signal efficiencies, where a cut reaches them.

    At each target efficiency the cut is the tightest one that keeps at
    least that fraction of the signal. A target below the efficiency of the
    tightest cut that still keeps background is not reached by any cut and
    is left out. The uncertainty of the rejection ``R = B_total / B`` comes
    from the Monte Carlo uncertainty of ``B``: ``sigma_R = R sigma_B / B``.

    Returns the table and the lowest reachable signal efficiency.
    """
    columns = ["signal efficiency", "cut", "signal efficiency at the cut",
               "background rejection 1/eB", "uncertainty", "simulated background events"]
    rows = scan[scan["background"] > 0]
    if rows.empty or not background_total > 0:  # no rejection is defined
        return pd.DataFrame(columns=columns), float("nan")
    efficiency = rows["signal"].to_numpy() / signal_total
    lowest = float(efficiency.min())
    records = []
    for target in signal_efficiencies:
        if target < lowest:
            continue
        candidates = rows[efficiency >= target]
        cut = candidates.loc[candidates["threshold"].idxmax()]
        rejection = background_total / cut["background"]
        records.append({
            "signal efficiency": target,
            "cut": cut["threshold"],
            "signal efficiency at the cut": cut["signal"] / signal_total,
            "background rejection 1/eB": rejection,
            "uncertainty": rejection * cut["background_error"] / cut["background"],
            "simulated background events": int(cut["n_background"]),
        })
    return pd.DataFrame.from_records(records, columns=columns), lowest
