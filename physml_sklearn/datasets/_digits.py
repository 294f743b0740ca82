"""Blurred handwritten digits: an image-restoration data set."""

from scipy.ndimage import gaussian_filter
from sklearn.datasets import load_digits
from sklearn.utils import Bunch, check_random_state

from ._validation import check_real

_DESCR = """\
.. _blurred_digits_dataset:

Blurred handwritten digits
--------------------------

scikit-learn's bundled copy of the UCI ML hand-written digits (the test set,
1797 images of 8x8 pixels, digits 0-9), scaled from 0-16 to [0, 1], as pairs of
a degraded input and the clean original:

- ``images`` / ``target``: the clean images, (n, 8, 8) and flattened (n, 64).
- ``images_blurred`` / ``data``: each image convolved with a Gaussian of
  standard deviation ``sigma`` pixels (zero padding outside the image), plus
  optional Gaussian pixel noise of standard deviation ``noise``, not clipped.
- ``labels``: the digit shown.

Use ``data`` as input and ``target`` as output to train a deblurring or
denoising autoencoder.

Source: E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits",
UCI Machine Learning Repository (1998).
"""


def load_blurred_digits(*, sigma=1.0, noise=0.0, random_state=None):
    """Load the 8x8 digits with a Gaussian blur, as (blurred, clean) pairs.

    The images come from :func:`sklearn.datasets.load_digits` (bundled with
    scikit-learn, no download) and are divided by 16 so that the clean pixels
    lie in [0, 1]. Each image is then blurred with
    :func:`scipy.ndimage.gaussian_filter` (``mode="constant"``: the image is
    padded with zeros, the background colour, so ink near the border spreads
    out of the frame). Gaussian noise of standard deviation `noise` is added to
    the blurred pixels and is not clipped, so the inputs can leave [0, 1]; the
    targets are the clean images.

    Parameters
    ----------
    sigma : float, default=1.0
        Standard deviation of the Gaussian blur in pixels, >= 0; 0 means no blur.

    noise : float, default=0.0
        Standard deviation of the additive Gaussian pixel noise, >= 0.

    random_state : int, RandomState instance or None, default=None
        Determines the noise. Pass an int for reproducible output across
        multiple function calls. Unused when ``noise=0``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (1797, 64)
            The blurred (and noisy) images, flattened row by row.
        target : ndarray of shape (1797, 64)
            The clean images, flattened, in [0, 1].
        images_blurred : ndarray of shape (1797, 8, 8)
            `data` as images.
        images : ndarray of shape (1797, 8, 8)
            `target` as images.
        labels : ndarray of shape (1797,)
            The digit (0-9) each image shows.
        feature_names : list of str
            Pixel names ``pixel_<row>_<column>``.
        DESCR : str
            Description of the data set.

    See Also
    --------
    sklearn.datasets.load_digits : The clean digits with their labels.

    Examples
    --------
    >>> from physml_sklearn.datasets import load_blurred_digits
    >>> digits = load_blurred_digits(sigma=1.0)
    >>> digits.data.shape, digits.target.shape
    ((1797, 64), (1797, 64))
    >>> digits.images_blurred.shape
    (1797, 8, 8)
    >>> float(digits.target.min()), float(digits.target.max())
    (0.0, 1.0)
    """
    sigma = check_real(sigma, "sigma", low=0.0)
    noise = check_real(noise, "noise", low=0.0)
    rng = check_random_state(random_state)

    digits = load_digits()
    images = digits.images / 16.0
    if sigma > 0:
        # Blur within each image only: no smoothing along the image axis.
        blurred = gaussian_filter(images, sigma=(0.0, sigma, sigma), mode="constant")
    else:
        blurred = images.copy()
    if noise > 0:
        blurred += rng.normal(0.0, noise, blurred.shape)

    n_images = images.shape[0]
    return Bunch(
        data=blurred.reshape(n_images, -1),
        target=images.reshape(n_images, -1),
        images_blurred=blurred,
        images=images,
        labels=digits.target,
        feature_names=list(digits.feature_names),
        DESCR=_DESCR,
    )
