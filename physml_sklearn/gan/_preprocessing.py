"""What the GAN's networks see: every column mapped to a standard normal.

Physics columns are rarely Gaussian: transverse momenta and missing energy
have long tails, ``ht`` is exactly 0 for events without jets, ``n_jets`` holds
integers. A network that has to produce a tail five standard deviations long,
or an exact 0 for a third of the rows, from smooth functions of Gaussian noise
does it badly. So each column is mapped through its own empirical
distribution function onto a standard normal (a rank, or quantile, transform)
before training, and the generated values are mapped back through the
empirical quantile function:

* heavy tails become Gaussian tails;
* a value that many rows share (a point mass such as ``ht = 0``) occupies an
  interval of the uniform scale whose width is its frequency; the training rows
  at that value are spread at random over the interval (a randomised
  probability integral transform), and every generated value that falls into
  it maps back to exactly that value, so the point mass is generated as such,
  with the frequency the generator gives the interval;
* a column that holds only integers is a series of point masses; its generated
  values are in addition rounded to the nearest integer.

The conditions of a conditional GAN are mapped the same way but without
randomisation (each condition to the middle of its interval), so that one
condition is always one input of the networks.
"""

import numpy as np
from scipy.special import ndtr, ndtri

#: at most this many quantiles are stored per column
MAX_QUANTILES = 10_000


class QuantileNormalizer:
    """Map each column onto a standard normal through its empirical distribution.

    Parameters
    ----------
    randomize_ties : bool, default=True
        Spread the rows that share one value at random over the interval of
        the uniform scale that the value occupies (for the data); without it
        they go to the middle of the interval (for the conditions).
    round_integers : bool, default=True
        Round the inverse transform of the columns that held only integers.
    max_quantiles : int, default=MAX_QUANTILES
        Number of quantiles stored per column at most.

    Attributes
    ----------
    quantiles_ : ndarray of shape (n_quantiles, n_features)
        The empirical quantiles of each column, at the probabilities
        ``(k + 0.5) / n_quantiles``; repeated values mark the point masses.
    integer_columns_ : ndarray of bool of shape (n_features,)
        Which columns held only integers.
    """

    def __init__(self, *, randomize_ties=True, round_integers=True,
                 max_quantiles=MAX_QUANTILES):
        self.randomize_ties = randomize_ties
        self.round_integers = round_integers
        self.max_quantiles = max_quantiles

    def fit(self, X):
        X = np.asarray(X, dtype=np.float64)
        n = X.shape[0]
        ordered = np.sort(X, axis=0)
        if n > self.max_quantiles:
            idx = ((np.arange(self.max_quantiles) + 0.5) * n / self.max_quantiles).astype(int)
            ordered = ordered[np.minimum(idx, n - 1)]
        self.quantiles_ = ordered
        self.integer_columns_ = np.all(X == np.round(X), axis=0)
        self._levels = [self._column_levels(ordered[:, j]) for j in range(X.shape[1])]
        return self

    @staticmethod
    def _column_levels(q):
        """Distinct values and the interval ``[low, high)`` of the uniform
        scale each occupies."""
        values, first, counts = np.unique(q, return_index=True, return_counts=True)
        return values, first / q.shape[0], (first + counts) / q.shape[0], counts

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_levels", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._levels = [
            self._column_levels(self.quantiles_[:, j]) for j in range(self.quantiles_.shape[1])
        ]

    def uniform(self, X, random_state=None):
        """The columns of ``X`` on the uniform scale, in (0, 1)."""
        X = np.asarray(X, dtype=np.float64)
        U = np.empty_like(X)
        k = self.quantiles_.shape[0]
        for j, (values, low, high, counts) in enumerate(self._levels):
            x = X[:, j]
            u = np.interp(x, values, 0.5 * (low + high))
            if self.randomize_ties and np.any(counts > 1):
                pos = np.clip(np.searchsorted(values, x), 0, values.shape[0] - 1)
                tied = (values[pos] == x) & (counts[pos] > 1)
                if np.any(tied):
                    p = pos[tied]
                    u[tied] = low[p] + random_state.uniform(size=p.shape[0]) * (high[p] - low[p])
            U[:, j] = np.clip(u, 0.5 / k, 1.0 - 0.5 / k)
        return U

    def transform(self, X, random_state=None):
        """The columns of ``X`` as standard normal scores."""
        return ndtri(self.uniform(X, random_state))

    def inverse_transform(self, Z):
        """Normal scores back to the original units (rounded integer columns)."""
        U = ndtr(np.asarray(Z, dtype=np.float64))
        k = self.quantiles_.shape[0]
        grid = (np.arange(k) + 0.5) / k
        X = np.empty_like(U)
        index = np.minimum((U * k).astype(np.intp), k - 1)
        for j in range(U.shape[1]):
            q = self.quantiles_[:, j]
            X[:, j] = np.interp(U[:, j], grid, q)
            # the whole interval of a point mass maps to its value exactly
            atom = np.zeros(k, dtype=bool)
            atom[1:] = q[1:] == q[:-1]
            atom[:-1] |= q[:-1] == q[1:]
            hit = atom[index[:, j]]
            X[hit, j] = q[index[hit, j]]
        if self.round_integers and np.any(self.integer_columns_):
            X[:, self.integer_columns_] = np.round(X[:, self.integer_columns_])
        return X
