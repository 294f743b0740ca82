"""``ReconstructionDisplay``: input, target and reconstructed images side by side."""

from numbers import Integral

import numpy as np
from sklearn.utils import _safe_indexing, check_array
from sklearn.utils._optional_dependencies import check_matplotlib_support


def _check_image_shape(image_shape, n_features):
    try:
        shape = tuple(int(s) for s in image_shape)
    except TypeError:
        shape = ()
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(
            f"image_shape must be a pair of positive integers (height, width); "
            f"got {image_shape!r}."
        )
    if shape[0] * shape[1] != n_features:
        raise ValueError(
            f"image_shape={shape} holds {shape[0] * shape[1]} pixels but the rows "
            f"have {n_features} values; pass the (height, width) of the images, "
            f"e.g. image_shape=(8, 8) for 64 pixels."
        )
    return shape


def _first_rows(data, n_images, name):
    """The first ``n_images`` rows of ``data`` as a 2-D float array."""
    if data is None:
        return None
    n_rows = len(data) if hasattr(data, "__len__") else np.shape(data)[0]
    rows = _safe_indexing(data, np.arange(min(n_images, n_rows)))
    return check_array(rows, dtype=np.float64, input_name=name)


class ReconstructionDisplay:
    """Images as rows of input, target and reconstruction.

    One column per example: the input the autoencoder was given, the target
    it should produce (when it differs from the input, e.g. the clean image
    behind a blurred one) and the autoencoder's output. All panels share one
    grey scale, the range of the targets (of the inputs when there are no
    targets), so that a faint reconstruction looks faint and noisy inputs do
    not wash out the clean images. The whole grid is one image in one
    :class:`matplotlib.axes.Axes`, so the display fits into any figure layout.

    It is recommended to create a display with :meth:`from_estimator` or
    :meth:`from_predictions`. All parameters are stored as attributes.

    Parameters
    ----------
    inputs : ndarray of shape (n_images, height * width)
        The input images, flattened.
    reconstructions : ndarray of shape (n_images, height * width)
        The output of the autoencoder for each input.
    targets : ndarray of shape (n_images, height * width), default=None
        The target images; None when the target is the input itself.
    image_shape : tuple of int, default=(8, 8)
        (height, width) of one image.

    Attributes
    ----------
    im_ : matplotlib.image.AxesImage
        The image of the grid.
    ax_ : matplotlib.axes.Axes
        The axes holding it.
    figure_ : matplotlib.figure.Figure
        The figure.
    mse_ : float
        Mean squared error between the reconstructions and the targets (or
        the inputs when there are no targets), over the images shown.
    psnr_ : float
        The same comparison as a peak signal-to-noise ratio in decibels,
        ``10 log10(peak**2 / mse_)``, where the peak is the range of the
        target pixels shown (of the input pixels when there are no targets;
        1 when that range is 0): with pixels in [0, 1], ``10 log10(1 / MSE)``.
        Shown in the label of the reconstruction row; higher is better.

    See Also
    --------
    physml_sklearn.AutoEncoder : The autoencoder whose output is shown.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from physml_sklearn import AutoEncoder
    >>> from physml_sklearn.datasets import load_blurred_digits
    >>> from physml_sklearn.plotting import ReconstructionDisplay
    >>> digits = load_blurred_digits(sigma=1.0)
    >>> X, Y = digits.data[:500], digits.target[:500]
    >>> ae = AutoEncoder(latent_dim=16, max_epochs=5, random_state=0).fit(X, Y)
    >>> disp = ReconstructionDisplay.from_estimator(ae, X, Y, n_images=6)
    >>> disp.im_.get_array().shape
    (26, 53)
    >>> [t.get_text().splitlines()[0] for t in disp.ax_.get_yticklabels()]
    ['input', 'target', 'reconstruction']
    >>> disp.ax_.get_yticklabels()[2].get_text().splitlines()[1] == f"PSNR {disp.psnr_:.1f} dB"
    True
    """

    def __init__(self, *, inputs, reconstructions, targets=None, image_shape=(8, 8)):
        self.inputs = inputs
        self.reconstructions = reconstructions
        self.targets = targets
        self.image_shape = image_shape

    def plot(self, *, ax=None, cmap="gray_r", im_kw=None):
        """Plot the rows of images.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure sized to the grid.
        cmap : str or matplotlib Colormap, default="gray_r"
            Colour map of the pixel values (``"gray_r"``: ink is dark).
        im_kw : dict, default=None
            Keyword arguments for :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : ReconstructionDisplay
            The display, with ``im_``, ``ax_`` and ``figure_`` set.
        """
        check_matplotlib_support("ReconstructionDisplay.plot")
        import matplotlib.pyplot as plt

        inputs = check_array(self.inputs, dtype=np.float64, input_name="inputs")
        height, width = _check_image_shape(self.image_shape, inputs.shape[1])
        rows = [("input", inputs)]
        if self.targets is not None:
            rows.append(("target", check_array(self.targets, dtype=np.float64)))
        recon = check_array(self.reconstructions, dtype=np.float64)
        reference = rows[-1][1]
        for name, block in rows + [("reconstructions", recon)]:
            if block.shape != inputs.shape:
                raise ValueError(
                    f"{name} has shape {block.shape} but inputs have {inputs.shape}; "
                    "pass one image of the same size per input."
                )
        span = float(reference.max() - reference.min())
        peak = span if span > 0 else 1.0

        self.mse_ = float(np.mean((recon - reference) ** 2))
        self.psnr_ = np.inf if self.mse_ == 0 else float(10 * np.log10(peak**2 / self.mse_))
        rows.append((f"reconstruction\nPSNR {self.psnr_:.1f} dB", recon))

        n_rows, n_images = len(rows), inputs.shape[0]
        gap = 1
        grid = np.full(
            (n_rows * (height + gap) - gap, n_images * (width + gap) - gap), np.nan
        )
        for r, (_, block) in enumerate(rows):
            for c, image in enumerate(block.reshape(n_images, height, width)):
                top, left = r * (height + gap), c * (width + gap)
                grid[top : top + height, left : left + width] = image

        colormap = plt.get_cmap(cmap).with_extremes(bad="white")
        default_im_kw = dict(
            cmap=colormap, vmin=reference.min(), vmax=reference.max(), interpolation="nearest"
        )
        default_im_kw.update(im_kw or {})

        if ax is None:
            fig, ax = plt.subplots(
                figsize=(0.8 + 0.9 * n_images, 0.3 + 0.9 * n_rows), layout="constrained"
            )
        else:
            fig = ax.figure
        self.im_ = ax.imshow(grid, **default_im_kw)
        ax.set_xticks([])
        ax.set_yticks(
            [r * (height + gap) + (height - 1) / 2 for r in range(n_rows)],
            [name for name, _ in rows],
        )
        ax.tick_params(axis="y", length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        image_shape=(8, 8),
        n_images=8,
        ax=None,
        cmap="gray_r",
        im_kw=None,
    ):
        """Show the first ``n_images`` rows of ``X`` with their reconstructions.

        The reconstruction is ``estimator.inverse_transform(estimator.transform(X))``
        (for a pipeline, this undoes the scaling steps too) or, for an
        estimator without ``inverse_transform``, ``estimator.predict(X)``.

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`~physml_sklearn.AutoEncoder`,
            :class:`~physml_sklearn.AutoEncoderOutlierDetector`, or a pipeline
            ending in one.
        X : array-like or DataFrame of shape (n_samples, height * width)
            Input images, flattened.
        y : array-like of shape (n_samples, height * width), default=None
            Target images (e.g. the clean images behind blurred inputs);
            None when the target is the input.
        image_shape : tuple of int, default=(8, 8)
            (height, width) of one image.
        n_images : int, default=8
            Number of examples (columns) shown: the first rows of ``X``.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        cmap : str or matplotlib Colormap, default="gray_r"
            Colour map of the pixel values.
        im_kw : dict, default=None
            Keyword arguments for :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : ReconstructionDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        n_images = cls._check_n_images(n_images)
        n_rows = len(X) if hasattr(X, "__len__") else np.shape(X)[0]
        X_shown = _safe_indexing(X, np.arange(min(n_images, n_rows)))
        if hasattr(estimator, "inverse_transform") and hasattr(estimator, "transform"):
            reconstructions = estimator.inverse_transform(estimator.transform(X_shown))
        else:
            reconstructions = estimator.predict(X_shown)
        return cls.from_predictions(
            X_shown,
            reconstructions,
            y,
            image_shape=image_shape,
            n_images=n_images,
            ax=ax,
            cmap=cmap,
            im_kw=im_kw,
        )

    @classmethod
    def from_predictions(
        cls,
        X,
        X_reconstructed,
        y=None,
        *,
        image_shape=(8, 8),
        n_images=8,
        ax=None,
        cmap="gray_r",
        im_kw=None,
    ):
        """Show the first ``n_images`` rows of ``X`` beside given reconstructions.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, height * width)
            Input images, flattened.
        X_reconstructed : array-like of shape (n_samples, height * width)
            The model's output for each row of ``X``.
        y : array-like of shape (n_samples, height * width), default=None
            Target images; None when the target is the input.
        image_shape : tuple of int, default=(8, 8)
            (height, width) of one image.
        n_images : int, default=8
            Number of examples (columns) shown: the first rows.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        cmap : str or matplotlib Colormap, default="gray_r"
            Colour map of the pixel values.
        im_kw : dict, default=None
            Keyword arguments for :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : ReconstructionDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_predictions")
        n_images = cls._check_n_images(n_images)
        inputs = _first_rows(X, n_images, "X")
        reconstructions = _first_rows(X_reconstructed, n_images, "X_reconstructed")
        targets = _first_rows(y, n_images, "y")
        image_shape = _check_image_shape(image_shape, inputs.shape[1])
        display = cls(
            inputs=inputs,
            reconstructions=reconstructions,
            targets=targets,
            image_shape=image_shape,
        )
        return display.plot(ax=ax, cmap=cmap, im_kw=im_kw)

    @staticmethod
    def _check_n_images(n_images):
        if not isinstance(n_images, Integral) or isinstance(n_images, bool) or n_images < 1:
            raise ValueError(f"n_images must be a positive integer; got {n_images!r}.")
        return int(n_images)
