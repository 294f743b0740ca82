"""Helpers the meta-estimators share (``FoldingClassifier``, ``PermutationFeatureElimination``)."""

from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import has_fit_parameter


def index_params(params, indices, n_samples):
    """The per-sample entries of ``params`` restricted to the rows ``indices``.

    An entry with one value per sample (``sample_weight``, routed metadata) is
    indexed; any other entry is passed on as it is.
    """
    out = {}
    for key, value in params.items():
        if hasattr(value, "__len__") and not isinstance(value, str) and len(value) == n_samples:
            out[key] = _safe_indexing(value, indices)
        else:
            out[key] = value
    return out


def _weight_forwarding_members(estimator):
    """The estimators a scikit-learn voting or stacking ensemble fits, or None.

    These ensembles take ``**fit_params`` in ``fit`` and, without metadata
    routing, call each estimator's ``fit(X, y, sample_weight=...)``.
    """
    # imported here: scikit-learn's ensembles are slow to import, and most
    # estimators are answered without them
    from sklearn.ensemble import (
        StackingClassifier,
        StackingRegressor,
        VotingClassifier,
        VotingRegressor,
    )

    if not isinstance(estimator, (VotingClassifier, VotingRegressor,
                                  StackingClassifier, StackingRegressor)):
        return None
    members = [e for _, e in estimator.estimators if e not in (None, "drop")]
    # a stacking ensemble's final_estimator=None is its default, which takes weights
    if getattr(estimator, "final_estimator", None) is not None:
        members.append(estimator.final_estimator)
    return members


def sample_weight_param(estimator):
    """The name under which ``estimator.fit`` takes event weights, or None.

    ``"sample_weight"`` when ``fit`` names it; ``"<step>__sample_weight"`` (or
    deeper) for a ``Pipeline`` whose last step takes it; ``"sample_weight"``
    for scikit-learn's voting and stacking ensembles, whose ``fit`` takes
    ``**fit_params`` and, without metadata routing, passes ``sample_weight``
    to each of their estimators, when every one of those takes it directly
    (the ensembles call ``fit(X, y, sample_weight=...)``, which a
    ``Pipeline`` refuses). None when the weights would have nowhere to go.
    """
    if has_fit_parameter(estimator, "sample_weight"):
        return "sample_weight"
    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        inner = None if last in (None, "passthrough") else sample_weight_param(last)
        return None if inner is None else f"{name}__{inner}"
    members = _weight_forwarding_members(estimator)
    if members and all(sample_weight_param(e) == "sample_weight" for e in members):
        return "sample_weight"
    return None


def no_sample_weight_reason(estimator):
    """Why ``sample_weight_param(estimator)`` is None, for an error message.

    Names the estimator that cannot take the weights: the last step of a
    pipeline, or the member of an ensemble, rather than the wrapper.
    """
    name = type(estimator).__name__
    if isinstance(estimator, Pipeline):
        last = estimator.steps[-1][1]
        if last in (None, "passthrough"):
            return f"the Pipeline ends in {last!r}, which takes no sample_weight"
        return f"{no_sample_weight_reason(last)} (the last step of the Pipeline)"
    for member in _weight_forwarding_members(estimator) or []:
        if sample_weight_param(member) != "sample_weight":
            return (f"{type(member).__name__}.fit takes no sample_weight directly, and "
                    f"the {name} passes sample_weight to each of its estimators")
    return f"{name}.fit takes no sample_weight"
