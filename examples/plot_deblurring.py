"""
==============================
Deblurring images with a model
==============================

An autoencoder need not reproduce its input: given a target of the same
shape, it learns to map one to the other. Trained on pairs of a blurred image
and the sharp original, :class:`~physml_sklearn.AutoEncoder` learns to undo
the blur, the way one would correct a detector's resolution on a calorimeter
image.

This example fits ``AutoEncoder().fit(X_blurred, y=X_clean)`` on the
blurred digits of :func:`~physml_sklearn.datasets.load_blurred_digits`,
shows the restored images with
:class:`~physml_sklearn.plotting.ReconstructionDisplay` and measures the
restoration by the peak signal-to-noise ratio (PSNR). It also holds the
network against the simplest alternative, a linear map fitted by
:class:`~sklearn.linear_model.Ridge` regression, with and without noise on
the blurred images: a fair comparison shows where the network is needed and
where it is not.
"""

# %%
# Blurred digits
# --------------
# The 8x8 digits with pixels in [0, 1], each convolved with a Gaussian of
# standard deviation ``sigma=1`` pixel. ``data`` holds the blurred images
# (the input), ``target`` the clean ones (the output), both flattened to 64
# pixels. No scaling is needed: the pixels are already in [0, 1].
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import train_test_split

from physml_sklearn import AutoEncoder
from physml_sklearn.datasets import load_blurred_digits
from physml_sklearn.plotting import ReconstructionDisplay

blurred = load_blurred_digits(sigma=1.0, noise=0.0, random_state=0)
X_train, X_test, Y_train, Y_test = train_test_split(
    blurred.data, blurred.target, test_size=0.25, random_state=0
)
print(f"training pairs: {len(X_train)}, test pairs: {len(X_test)}")

# %%
# The quality measure
# -------------------
# The PSNR compares an image with the clean original: with pixels in [0, 1],
# ``PSNR = 10 log10(1 / MSE)`` in decibels, where MSE is the mean squared
# pixel difference. Higher is better; +10 dB means ten times smaller squared
# errors. The blurred input itself is the starting point.


def psnr(images, clean):
    """Peak signal-to-noise ratio in dB of images in [0, 1]."""
    return 10.0 * np.log10(1.0 / np.mean((images - clean) ** 2))


print(f"blurred test images: PSNR {psnr(X_test, Y_test):.2f} dB")

# %%
# Training the network
# --------------------
# ``fit(X, y)`` with a 2-D ``y`` of clean images trains the network to output
# the clean image for each blurred one. The settings suit images: a wider
# encoder (128-64), a 32-dimensional bottleneck (enough to keep the shape of
# a digit, too few to copy every pixel), and a sigmoid on the output so that
# the restored pixels stay in [0, 1].
def make_deblurrer():
    return AutoEncoder(
        encoder_layers=(128, 64),
        latent_dim=32,
        output_activation="sigmoid",
        max_epochs=100,
        random_state=0,
    )


deblur = make_deblurrer().fit(X_train, Y_train)
restored = deblur.predict(X_test)
print(f"restored test images: PSNR {psnr(restored, Y_test):.2f} dB "
      f"(blurred: {psnr(X_test, Y_test):.2f} dB)")

# %%
# :class:`~physml_sklearn.plotting.ReconstructionDisplay` shows the first
# test images: the blurred input (top), the clean target (middle) and the
# network's output (bottom), labelled with its PSNR on the images shown; the
# title has the PSNR on all test images, the number printed above.
disp = ReconstructionDisplay.from_estimator(deblur, X_test, Y_test, n_images=10)
disp.ax_.set_title(f"Deblurring, sigma = 1, no noise: PSNR on all {len(X_test)} test "
                   f"images {psnr(restored, Y_test):.1f} dB")
plt.show()

# %%
# An honest baseline
# ------------------
# Without noise a Gaussian blur is a *linear* map of the 64 pixels, and an
# invertible one: the blurred image holds all the information of the sharp
# one. A linear regression from blurred to clean pixels can therefore learn
# the inverse map. :class:`~sklearn.linear_model.RidgeCV` picks its
# regularisation by cross-validation on the training images only.
ridge = RidgeCV(alphas=np.logspace(-8, 1, 19)).fit(X_train, Y_train)
print(f"Ridge (alpha={ridge.alpha_:.0e}): PSNR {psnr(ridge.predict(X_test), Y_test):.2f} dB, "
      f"AutoEncoder: {psnr(restored, Y_test):.2f} dB")

# %%
# Compare the two numbers. Inverting a blur amplifies the finest details, and
# with them any noise on the image: a real detector image is never noise-free.
# So the same comparison is repeated with Gaussian pixel noise of standard
# deviation 0.05 added to the blurred images. Now the blurred image no longer
# determines the sharp one, and a method has to know what digits look like.
results = []
models = {}
for noise in (0.0, 0.05):
    data = load_blurred_digits(sigma=1.0, noise=noise, random_state=0)
    Xn_train, Xn_test, Yn_train, Yn_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=0
    )
    if noise == 0.0:
        net, lin = deblur, ridge
    else:
        net = make_deblurrer().fit(Xn_train, Yn_train)
        lin = RidgeCV(alphas=np.logspace(-8, 1, 19)).fit(Xn_train, Yn_train)
    models[noise] = (net, Xn_test, Yn_test)
    results.append(
        {
            "noise": noise,
            "blurred_input": psnr(Xn_test, Yn_test),
            "ridge": psnr(lin.predict(Xn_test), Yn_test),
            "autoencoder": psnr(net.predict(Xn_test), Yn_test),
            "ridge_alpha": lin.alpha_,
        }
    )
table = pd.DataFrame(results)
print("PSNR in dB on the test images")
print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))

# %%
# The restored noisy images. The top row now shows the noise on top of the
# blur.
net, Xn_test, Yn_test = models[0.05]
disp = ReconstructionDisplay.from_estimator(net, Xn_test, Yn_test, n_images=10)
disp.ax_.set_title(f"Deblurring, sigma = 1, noise std 0.05: PSNR on all {len(Xn_test)} "
                   f"test images {psnr(net.predict(Xn_test), Yn_test):.1f} dB")
plt.show()

# %%
# What the table says
# -------------------
# For each noise level: how much each method gains over the blurred input,
# and which of the two restores better.
for row in table.itertuples():
    best = "the autoencoder" if row.autoencoder > row.ridge else "Ridge"
    print(
        f"noise {row.noise}: Ridge gains {row.ridge - row.blurred_input:+.2f} dB, "
        f"the autoencoder {row.autoencoder - row.blurred_input:+.2f} dB over the "
        f"blurred input; {best} is ahead by {abs(row.autoencoder - row.ridge):.2f} dB"
    )

# %%
# A linear model is the right tool for a noise-free linear blur, and a fair
# benchmark for any deblurring network. The network's bottleneck pays when
# the input is noisy: it can only produce images it has learnt to build, so
# noise that does not look like a digit stroke is not passed on, whereas the
# inverse of the blur amplifies it.
