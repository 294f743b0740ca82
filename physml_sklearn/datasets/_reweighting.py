"""Two samples with a density ratio in closed form, to test a reweighter."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numbers

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.utils import Bunch, check_array, check_random_state

from ._validation import check_n_samples

__all__ = ["make_reweighting"]

#: the target mixture: weights, means and covariances of its first three
#: features; every further feature is N(0, 0.95**2) in both components
_WEIGHTS = np.array([0.6, 0.4])
_MEANS = np.array([[0.5, 0.3, 0.0], [-0.5, 0.2, 0.3]])
_SCALES = np.array([[0.8, 0.8, 0.8], [0.7, 0.7, 0.95]])
_CORRELATION = 0.3  # between the first two features, in the first component
_OTHER_SCALE = 0.95


def _target_components(n_features):
    """Means and covariances of the two target components in ``n_features``."""
    means, covariances = [], []
    for k in range(2):
        mean = np.zeros(n_features)
        scale = np.full(n_features, _OTHER_SCALE)
        m = min(3, n_features)
        mean[:m] = _MEANS[k, :m]
        scale[:m] = _SCALES[k, :m]
        cov = np.diag(scale**2)
        if k == 0 and n_features >= 2:
            cov[0, 1] = cov[1, 0] = _CORRELATION * scale[0] * scale[1]
        means.append(mean)
        covariances.append(cov)
    return means, covariances


class _TrueRatio:
    """``p_target(X) / p_original(X)`` of :func:`make_reweighting`, in closed form."""

    def __init__(self, n_features):
        self.n_features = n_features

    def __call__(self, X):
        X = check_array(X, dtype=np.float64, input_name="X")
        if X.shape[1] != self.n_features:
            raise ValueError(
                f"X has {X.shape[1]} columns but the samples have {self.n_features} "
                "features; pass rows of the same features."
            )
        means, covariances = _target_components(self.n_features)
        log_target = logsumexp(
            [np.log(w) + multivariate_normal(m, c).logpdf(X).reshape(-1)
             for w, m, c in zip(_WEIGHTS, means, covariances)],
            axis=0,
        )
        log_original = multivariate_normal(np.zeros(self.n_features)).logpdf(X).reshape(-1)
        return np.exp(log_target - log_original)

    def __repr__(self):
        return f"true_ratio(n_features={self.n_features})"


def make_reweighting(n_samples=10_000, *, n_features=5, random_state=None):
    """Generate two samples whose density ratio is known in closed form.

    The "original" sample (the simulation) is a standard normal in
    ``n_features`` dimensions. The "target" sample (the data) is a mixture of
    two Gaussians, with weights 0.6 and 0.4: the first centred at
    ``(0.5, 0.3, 0, ...)`` with standard deviations 0.8 in the first three
    features and a correlation of 0.3 between the first two, the second
    centred at ``(-0.5, 0.2, 0.3, 0, ...)`` with standard deviations
    ``(0.7, 0.7, 0.95)``; every further feature has a standard deviation of
    0.95 in both. The ratio ``p_target(x) / p_original(x)`` is therefore
    known exactly (``true_ratio``), so that a reweighter's weights can be
    compared with the truth; it is bounded (the target is narrower than the
    original in every direction), as a reweighting needs.

    Parameters
    ----------
    n_samples : int, default=10_000
        Number of rows in each sample.
    n_features : int, default=5
        Number of features (at least 1).
    random_state : int, RandomState instance or None, default=None
        Determines random number generation. Pass an int for reproducible
        output across multiple function calls.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With the fields:

        original : ndarray of shape (n_samples, n_features)
            The sample to reweight.
        target : ndarray of shape (n_samples, n_features)
            The sample to match.
        true_ratio : callable
            ``true_ratio(X)`` returns ``p_target(X) / p_original(X)`` for
            rows ``X`` of shape (n, n_features), an ndarray of shape (n,).
            Its mean over the original rows is 1 (up to sampling).
        feature_names : list of str
            ``x0``, ``x1``, ...

    See Also
    --------
    physml_sklearn.ClassifierReweighter : Learns the ratio from the two samples.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.datasets import make_reweighting
    >>> data = make_reweighting(20_000, n_features=3, random_state=0)
    >>> data.original.shape, data.target.shape
    ((20000, 3), (20000, 3))
    >>> ratio = data.true_ratio(data.original)
    >>> round(float(ratio.mean()), 1)
    1.0
    >>> # the ratio moves the original's mean to the target's
    >>> mean = (data.original * ratio[:, None]).mean(axis=0) / ratio.mean()
    >>> bool(np.allclose(mean, data.target.mean(axis=0), atol=0.05))
    True
    """
    n_samples = check_n_samples(n_samples)
    if isinstance(n_features, bool) or not isinstance(n_features, numbers.Integral) \
            or n_features < 1:
        raise ValueError(
            f"`n_features` must be an integer >= 1; got {n_features!r}."
        )
    n_features = int(n_features)
    check_n_samples(n_samples, row_bytes=32 * n_features + 16)
    rng = check_random_state(random_state)
    original = rng.standard_normal((n_samples, n_features))
    means, covariances = _target_components(n_features)
    component = rng.choice(2, size=n_samples, p=_WEIGHTS)
    target = np.empty((n_samples, n_features))
    for k in range(2):
        rows = np.flatnonzero(component == k)
        target[rows] = rng.multivariate_normal(means[k], covariances[k], size=rows.size)
    return Bunch(
        original=original,
        target=target,
        true_ratio=_TrueRatio(n_features),
        feature_names=[f"x{i}" for i in range(n_features)],
    )
