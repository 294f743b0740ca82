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

import pickle

import numpy as np
from scipy.special import ndtr, ndtri

#: at most this many quantiles are stored per column
MAX_QUANTILES = 10_000
#: a column goes through the quantile transform when its skewness exceeds this
#: in size or its excess kurtosis exceeds it (a tail heavier than a Gaussian's) ...
HEAVY_TAIL = 1.0
#: ... or when one value is shared by at least this fraction of its rows
POINT_MASS = 0.01


def _same_state(a, b):
    """Whether two fitted transforms hold the same parameters and arrays."""
    if type(a) is not type(b):
        return NotImplemented
    x, y = a.__getstate__(), b.__getstate__()
    if x.keys() != y.keys():
        return False
    for key, value in x.items():
        if isinstance(value, np.ndarray):
            if not np.array_equal(value, y[key]):
                return False
        elif pickle.dumps(value) != pickle.dumps(y[key]):
            return False
    return True


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
    select : bool, default=True
        Send only the columns that need it through the quantile transform:
        those with integers only, with a point mass (a value shared by at
        least 1 % of the rows) or with a heavy tail (skewness above 1 in
        size or excess kurtosis above 1); the others are standardised, which keeps
        bounded, light-tailed shapes (a uniform, the arcsine marginals of an
        ellipse) from being stretched into long normal tails. False sends
        every column through the quantile transform.
    output : {"normal", "uniform"}, default="normal"
        The scale the quantile transform maps onto: a standard normal, or a
        uniform of unit variance (for the conditions: the extremes of their
        range stay as well populated as the middle).

    Attributes
    ----------
    quantiles_ : ndarray of shape (n_quantiles, n_features)
        The empirical quantiles of each column, at the probabilities
        ``(k + 0.5) / n_quantiles``; repeated values mark the point masses.
    integer_columns_ : ndarray of bool of shape (n_features,)
        Which columns held only integers.
    quantile_columns_ : ndarray of bool of shape (n_features,)
        Which columns go through the quantile transform (the others are
        standardised with ``mean_`` and ``scale_``).
    mean_, scale_ : ndarray of shape (n_features,)
        Mean and standard deviation (1 for a constant column) of each column.
    generated_quantiles_ : ndarray of shape (n_generated_quantiles, n_quantile_columns) or None
        Set by :meth:`calibrate`: the quantiles of generated normal scores
        of each quantile-transformed column, which :meth:`inverse_transform`
        then maps onto the empirical quantiles of the data; None before.
    """

    def __init__(self, *, randomize_ties=True, round_integers=True,
                 max_quantiles=MAX_QUANTILES, select=True, output="normal"):
        self.randomize_ties = randomize_ties
        self.round_integers = round_integers
        self.max_quantiles = max_quantiles
        self.select = select
        self.output = output

    def fit(self, X, conditions=None):
        """Fit the transform on the rows ``X``.

        With ``conditions`` (already transformed), the tails are judged on
        the residuals of the standardised columns given the conditions, not
        on the marginals that the conditions spread out.
        """
        X = np.asarray(X, dtype=np.float64)
        ordered = self._quantiles(X)
        self.quantiles_ = ordered
        self.integer_columns_ = np.all(X == np.round(X), axis=0)
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[~(scale > 0)] = 1.0
        self.scale_ = scale
        if self.select:
            from scipy.stats import kurtosis, skew

            standard = (X - self.mean_) / self.scale_
            if conditions is not None:
                standard = ConditionalStandardizer().fit(standard, conditions).transform(
                    standard, conditions
                )
            # a positive excess kurtosis is a heavy tail; a negative one (a
            # uniform, an arcsine) is a bounded shape, best left linear
            heavy = (np.abs(skew(standard, axis=0)) > HEAVY_TAIL) | (
                kurtosis(standard, axis=0) > HEAVY_TAIL
            )
            shared = np.array([
                np.unique(ordered[:, j], return_counts=True)[1].max() >= POINT_MASS * len(ordered)
                for j in range(X.shape[1])
            ])
            self.quantile_columns_ = self.integer_columns_ | shared | np.nan_to_num(heavy)
        else:
            self.quantile_columns_ = np.ones(X.shape[1], dtype=bool)
        self._levels = [self._column_levels(ordered[:, j]) for j in range(X.shape[1])]
        self.generated_quantiles_ = None
        return self

    def calibrate(self, Z_generated):
        """Match the generated marginals of the quantile-transformed columns to the data's.

        A generator learns each column's distribution only as closely as its
        training got: a point mass such as ``ht = 0`` comes out a per cent
        too rare or too frequent, an integer column's frequencies off by as
        much. ``Z_generated`` (many generated rows on the normal scale)
        gives each column's generated distribution function; afterwards
        :meth:`inverse_transform` maps a generated score through it, instead
        of through the normal one, onto the data's quantiles. The map is
        monotone in each column, so the dependence between the columns that
        the generator learnt (their copula) is kept. ``None`` removes it.
        """
        self.generated_quantiles_ = None
        if Z_generated is None or not np.any(self.quantile_columns_):
            return self
        Z = np.asarray(Z_generated, dtype=np.float64)[:, self.quantile_columns_]
        self.generated_quantiles_ = self._quantiles(Z)
        return self

    def _quantiles(self, X):
        """Each column of ``X`` sorted, at most ``max_quantiles`` of its values
        (at the probabilities ``(k + 0.5) / max_quantiles``)."""
        n = X.shape[0]
        ordered = np.sort(X, axis=0)
        if n > self.max_quantiles:
            idx = ((np.arange(self.max_quantiles) + 0.5) * n / self.max_quantiles).astype(int)
            ordered = ordered[np.minimum(idx, n - 1)]
        return ordered

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

    __eq__ = _same_state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._levels = [
            self._column_levels(self.quantiles_[:, j]) for j in range(self.quantiles_.shape[1])
        ]

    def _uniform(self, X, columns, random_state):
        """The ``columns`` of the data, held in ``X``, on the uniform scale, in (0, 1)."""
        U = np.empty_like(X)
        k = self.quantiles_.shape[0]
        for i, j in enumerate(columns):
            values, low, high, counts = self._levels[j]
            x = X[:, i]
            u = np.interp(x, values, 0.5 * (low + high))
            if self.randomize_ties and np.any(counts > 1):
                pos = np.clip(np.searchsorted(values, x), 0, values.shape[0] - 1)
                tied = (values[pos] == x) & (counts[pos] > 1)
                if np.any(tied):
                    p = pos[tied]
                    u[tied] = low[p] + random_state.uniform(size=p.shape[0]) * (high[p] - low[p])
            U[:, i] = np.clip(u, 0.5 / k, 1.0 - 0.5 / k)
        return U

    def transform(self, X, random_state=None):
        """The columns of ``X`` as standard normal scores (or standardised)."""
        X = np.asarray(X, dtype=np.float64)
        Z = (X - self.mean_) / self.scale_
        q = self.quantile_columns_
        if np.any(q):
            U = self._uniform(X[:, q], np.flatnonzero(q), random_state)
            Z[:, q] = (U - 0.5) * np.sqrt(12.0) if self.output == "uniform" else ndtri(U)
        return Z

    def inverse_transform(self, Z):
        """Normal scores back to the original units (rounded integer columns)."""
        Z = np.asarray(Z, dtype=np.float64)
        X = Z * self.scale_ + self.mean_
        if self.output == "uniform":
            U = np.clip(Z / np.sqrt(12.0) + 0.5, 0.0, 1.0)
        else:
            U = ndtr(Z)
        calibrated = getattr(self, "generated_quantiles_", None)
        if calibrated is not None:
            # the generated distribution function in place of the normal one
            g = calibrated.shape[0]
            g_grid = (np.arange(g) + 0.5) / g
            for i, j in enumerate(np.flatnonzero(self.quantile_columns_)):
                U[:, j] = np.interp(Z[:, j], calibrated[:, i], g_grid)
        k = self.quantiles_.shape[0]
        grid = (np.arange(k) + 0.5) / k
        index = np.minimum((U * k).astype(np.intp), k - 1)
        for j in np.flatnonzero(self.quantile_columns_):
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


class ConditionalStandardizer:
    """Remove what the conditions explain from the rows, on the normal scale.

    A conditional model's rows often move with their conditions far more
    than they spread about them: a calorimeter measures 50 GeV for a 50 GeV
    photon within a few per cent. Asked to generate such rows directly, a
    generator has to place a narrow peak precisely inside a wide range. So
    the mean and the spread of each (transformed) column given the
    (transformed) conditions are fitted first, by least squares on cubic
    B-spline features of the conditions (additive in several conditions),
    and the networks learn the standardised residuals
    ``(Z - mean(c)) / spread(c)``, whose conditional distribution is of unit
    scale and whose dependence on the conditions is what remains to learn.

    Parameters
    ----------
    n_knots : int, default=12
        Knots of the splines per condition, evenly spaced over the
        condition's quantile scale (for a log-uniform energy, evenly in
        ``log E``). Twelve, not fewer, follow the fast change of a
        calorimeter's response and spread at the lowest energies.

    Attributes
    ----------
    splines_ : sklearn.preprocessing.SplineTransformer
        The features of the conditions.
    mean_coef_, spread_coef_ : ndarray of shape (n_spline_features + 1, n_features)
        Least-squares coefficients (with intercept) of the conditional mean
        and of the conditional mean absolute deviation.
    calibration_ : tuple or None
        Set by :meth:`calibrate`: the least-squares fits of the conditional
        mean and mean absolute deviation of the real and of the generated
        residuals, which :meth:`inverse_transform` uses to match them;
        None before calibration.
    """

    def __init__(self, n_knots=12):
        self.n_knots = n_knots

    def __getstate__(self):
        return self.__dict__.copy()

    __eq__ = _same_state

    def _features(self, C):
        F = self.splines_.transform(C)
        return np.hstack([F, np.ones((F.shape[0], 1))])

    def fit(self, Z, C):
        from sklearn.preprocessing import SplineTransformer

        self.splines_ = SplineTransformer(
            n_knots=self.n_knots, degree=3, extrapolation="constant"
        ).fit(C)
        self.mean_coef_, self.spread_coef_, self.floor_ = self._least_squares(
            self._features(C), Z
        )
        self.calibration_ = None
        return self

    def _least_squares(self, F, R):
        """Coefficients of the conditional mean and mean absolute deviation of ``R``."""
        ridge = 1e-6 * np.eye(F.shape[1])
        gram = F.T @ F + ridge * F.shape[0]
        mean_coef = np.linalg.solve(gram, F.T @ R)
        deviation = np.abs(R - F @ mean_coef)
        spread_coef = np.linalg.solve(gram, F.T @ deviation)
        floor = 1e-3 * np.maximum(deviation.mean(axis=0), 1e-12)
        return mean_coef, spread_coef, floor

    def _moments(self, C):
        F = self._features(C)
        mean = F @ self.mean_coef_
        # mean absolute deviation of a Gaussian is sqrt(2 / pi) of its sigma
        spread = np.maximum(F @ self.spread_coef_, self.floor_) * np.sqrt(np.pi / 2)
        return mean, spread

    def calibrate(self, R_real, R_generated, C_real, C_generated):
        """Match the generated residuals' conditional mean and spread to the real ones.

        A generator matches the conditional distributions only as closely
        as its training got; where a column spreads widely about its mean
        (a calorimeter's low energies) a small offset of the generated
        residuals is a visible bias in the original units. So after
        training, the conditional mean and mean absolute deviation of the
        generated residuals (``R_generated``, made for the conditions
        ``C_generated``) and of the real ones are fitted on the same
        splines, and :meth:`inverse_transform` shifts and scales the
        generated residuals so that the two agree for every condition.
        ``R_generated=None`` removes the correction.
        """
        self.calibration_ = None
        if R_generated is None:
            return self
        real = self._least_squares(self._features(C_real), R_real)
        generated = self._least_squares(self._features(C_generated), R_generated)
        self.calibration_ = (real, generated)
        return self

    def transform(self, Z, C):
        mean, spread = self._moments(C)
        return (Z - mean) / spread

    def inverse_transform(self, R, C):
        mean, spread = self._moments(C)
        calibration = getattr(self, "calibration_", None)
        if calibration is not None:
            F = self._features(C)
            (m_real, s_real, f_real), (m_gen, s_gen, f_gen) = calibration
            scale = np.maximum(F @ s_real, f_real) / np.maximum(F @ s_gen, f_gen)
            R = F @ m_real + (R - F @ m_gen) * scale
        return mean + R * spread
