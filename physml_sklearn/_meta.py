"""Helpers the meta-estimators share (``FoldingClassifier``, ``PermutationFeatureElimination``)."""

from sklearn.utils import _safe_indexing


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
