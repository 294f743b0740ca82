"""Two-dimensional toy distributions: points on a cubic and on an ellipse."""

import numpy as np
from sklearn.utils import check_random_state

from ._validation import check_n_samples, check_pair, check_real


def make_cubic(n_samples=1000, *, x_range=(-0.5, 0.5), noise=0.0, random_state=None):
    """Generate points on the curve y = x**3.

    A one-dimensional curve in the plane, a first target for a GAN or an
    autoencoder with a one-dimensional latent space.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of points.

    x_range : tuple of two floats, default=(-0.5, 0.5)
        ``(low, high)``: x is drawn uniformly in ``[low, high)``.

    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to y only, >= 0; x is
        exact, so the noise is a vertical scatter about the curve.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation. Pass an int for reproducible output
        across multiple function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        Rows ``(x, x**3 + noise)``.

    See Also
    --------
    make_ellipse : Points on an ellipse.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.datasets import make_cubic
    >>> X = make_cubic(n_samples=200, random_state=0)
    >>> X.shape
    (200, 2)
    >>> bool(np.allclose(X[:, 1], X[:, 0] ** 3))
    True
    """
    n_samples = check_n_samples(n_samples, row_bytes=32)
    low, high = check_pair(x_range, "x_range")
    if not low < high:
        raise ValueError(
            f"`x_range` must be (low, high) with low < high; got {x_range!r}."
        )
    noise = check_real(noise, "noise", low=0.0)
    rng = check_random_state(random_state)

    x = rng.uniform(low, high, n_samples)
    y = x**3
    if noise > 0:
        y = y + rng.normal(0.0, noise, n_samples)
    return np.column_stack([x, y])


def make_ellipse(
    n_samples=1000,
    *,
    a=1.0,
    b=0.5,
    center=(0, 0),
    angle=0.0,
    noise=0.0,
    random_state=None,
):
    """Generate points on an ellipse.

    The point ``(a cos t, b sin t)``, with ``t`` uniform in ``[0, 2 pi)``, is
    rotated counter-clockwise by `angle` and shifted to `center`. Uniform in
    ``t`` is not uniform in arc length: points crowd at the ends of the major
    axis when ``a != b``.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of points.

    a : float, default=1.0
        Semi-axis along the first coordinate before the rotation, > 0.

    b : float, default=0.5
        Semi-axis along the second coordinate before the rotation, > 0.

    center : tuple of two floats, default=(0, 0)
        Centre of the ellipse.

    angle : float, default=0.0
        Rotation of the ellipse, counter-clockwise, in radians.

    noise : float, default=0.0
        Standard deviation of the Gaussian noise added independently to both
        coordinates, >= 0.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation. Pass an int for reproducible output
        across multiple function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.

    See Also
    --------
    make_cubic : Points on the curve y = x**3.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.datasets import make_ellipse
    >>> X = make_ellipse(n_samples=100, a=2.0, b=1.0, random_state=0)
    >>> X.shape
    (100, 2)
    >>> bool(np.allclose((X[:, 0] / 2.0) ** 2 + X[:, 1] ** 2, 1.0))
    True
    """
    n_samples = check_n_samples(n_samples, row_bytes=64)
    a = check_real(a, "a", low=0.0, strict=True)
    b = check_real(b, "b", low=0.0, strict=True)
    cx, cy = check_pair(center, "center")
    angle = check_real(angle, "angle")
    noise = check_real(noise, "noise", low=0.0)
    rng = check_random_state(random_state)

    t = rng.uniform(0.0, 2.0 * np.pi, n_samples)
    u, v = a * np.cos(t), b * np.sin(t)
    cos_angle, sin_angle = np.cos(angle), np.sin(angle)
    X = np.column_stack(
        [cx + cos_angle * u - sin_angle * v, cy + sin_angle * u + cos_angle * v]
    )
    if noise > 0:
        X += rng.normal(0.0, noise, X.shape)
    return X
