"""
==============================================
The latent space of an autoencoder beside PCA
==============================================

An autoencoder squeezes each input through a narrow layer, the *latent
space*, and is trained to rebuild the input from it. With a linear encoder
and decoder the best it could do is what :class:`~sklearn.decomposition.PCA`
does: project onto the directions of largest variance. With nonlinear layers
it can bend the projection around the data.

This example compresses the 8x8 handwritten digits (64 pixels) into two
numbers with :class:`~physml_sklearn.AutoEncoder` and with ``PCA(2)``, and
compares the two on three counts: how the digits spread out in the two
dimensions, how well each rebuilds held-out images, and how useful the two
numbers are to a classifier when the reduction is a step of a
:class:`~sklearn.pipeline.Pipeline`.
"""

# %%
# The data
# --------
# scikit-learn's bundled digits, with the pixels divided by 16 so that they
# lie in [0, 1]. The pixels already share one scale, so they are not
# standardised: standardising would blow up the nearly always blank border
# pixels to the same weight as the strokes. A quarter of the images is held
# out; everything below is measured on them.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import AutoEncoder

digits = load_digits()
X = digits.data / 16.0
labels = digits.target
X_train, X_test, y_train, y_test = train_test_split(
    X, labels, test_size=0.25, stratify=labels, random_state=0
)
print(f"training images: {len(X_train)}, test images: {len(X_test)}, pixels: {X.shape[1]}")

# %%
# Two dimensions each
# -------------------
# The autoencoder has the default 64-32 encoder, a two-dimensional latent
# space and the mirrored 32-64 decoder. ``fit`` needs no target: the network
# learns to reproduce its input. ``transform`` returns the latent codes,
# just as ``PCA.transform`` returns the principal components.
ae = AutoEncoder(encoder_layers=(64, 32), latent_dim=2, max_epochs=100, random_state=0)
ae.fit(X_train)
pca = PCA(n_components=2, random_state=0).fit(X_train)

codes = {"PCA": pca.transform(X_test), "AutoEncoder": ae.transform(X_test)}
print(f"the autoencoder trained for {ae.n_iter_} epochs; "
      f"final training loss {ae.loss_curve_[-1]:.4f}")

# %%
# The test images in the two latent spaces, coloured by the digit they show.
# Neither method was told the digits. Look at how many of the ten colours sit
# in a patch of their own and how many overlap; the pipeline at the end of
# this example puts a number on it.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained")
for ax, (name, Z) in zip(axes, codes.items()):
    points = ax.scatter(Z[:, 0], Z[:, 1], c=y_test, cmap="tab10", s=8, vmin=-0.5, vmax=9.5)
    axis = "latent" if name == "AutoEncoder" else "principal component"
    ax.set(title=f"{name}, 2 dimensions", xlabel=f"{axis} 1", ylabel=f"{axis} 2")
fig.colorbar(points, ax=axes, ticks=range(10), label="digit")
plt.show()

# %%
# Reconstruction error on held-out images
# ---------------------------------------
# The decoder maps a latent code back to 64 pixels (``predict`` does both
# steps; ``inverse_transform`` decodes given codes, as in PCA). The mean
# squared error per pixel on the test images, for latent spaces of 2, 4 and 8
# dimensions:
rows = []
for k in (2, 4, 8):
    pca_k = PCA(n_components=k, random_state=0).fit(X_train)
    ae_k = ae if k == 2 else AutoEncoder(latent_dim=k, random_state=0).fit(X_train)
    mse_pca = np.mean((pca_k.inverse_transform(pca_k.transform(X_test)) - X_test) ** 2)
    mse_ae = np.mean((ae_k.predict(X_test) - X_test) ** 2)
    rows.append({"latent_dim": k, "mse_pca": mse_pca, "mse_autoencoder": mse_ae,
                 "ratio": mse_ae / mse_pca})
mse = pd.DataFrame(rows)
print(mse.to_string(index=False, float_format=lambda v: f"{v:.4f}"))

# %%
# The ``ratio`` column is the autoencoder's error as a fraction of PCA's with
# as many dimensions; below 1 means the nonlinear map rebuilds unseen digits
# better. ``score`` gives the same figure with the opposite sign (higher is
# better), so that model selection works without a ``scoring``:
print(f"ae.score(X_test) = {ae.score(X_test):.4f}, minus the 2-D error above: "
      f"{-mse.loc[0, 'mse_autoencoder']:.4f}")

# %%
# What the two-dimensional reconstructions look like: the first test images
# (top), PCA's reconstruction (middle) and the autoencoder's (bottom).
n_show = 10
rebuilt = {"input": X_test, "PCA": pca.inverse_transform(codes["PCA"]),
           "AutoEncoder": ae.inverse_transform(codes["AutoEncoder"])}
fig, axes = plt.subplots(3, n_show, figsize=(n_show, 3.3), layout="constrained")
for row, (name, images) in zip(axes, rebuilt.items()):
    for ax, image in zip(row, images[:n_show]):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(name, rotation=0, ha="right", va="center")
fig.suptitle("Test digits rebuilt from two numbers")
plt.show()

# %%
# The autoencoder as a pipeline step
# ----------------------------------
# :class:`~physml_sklearn.AutoEncoder` is a transformer, so it can sit in a
# pipeline in front of any classifier. The pipeline passes the digit labels
# on to ``fit``; a 1-D ``y`` is not a target of the shape of ``X``, so the
# autoencoder ignores it and still learns to reproduce its input: the
# reduction is unsupervised, exactly as with PCA. The codes are then
# standardised and classified by 5 nearest neighbours.
def reduce_and_classify(reducer):
    return make_pipeline(reducer, StandardScaler(), KNeighborsClassifier(5))


pipelines = {
    "PCA(2) + kNN": reduce_and_classify(PCA(n_components=2, random_state=0)),
    "AutoEncoder(2) + kNN": reduce_and_classify(AutoEncoder(latent_dim=2, random_state=0)),
}
for name, pipe in pipelines.items():
    pipe.fit(X_train, y_train)
    print(f"{name:>21}: test accuracy {pipe.score(X_test, y_test):.3f}")
print(f"{'kNN on all 64 pixels':>21}: test accuracy "
      f"{KNeighborsClassifier(5).fit(X_train, y_train).score(X_test, y_test):.3f}")

# %%
# The last line is the price of the bottleneck: the same classifier on all 64
# pixels, with nothing thrown away.

# %%
# One test split can flatter either model, so the comparison is repeated with
# 5-fold cross-validation on all images: every fold refits the reduction and
# the classifier on its own training part. Is the difference of the mean
# accuracies larger than the fold-to-fold spread?
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
scores = {name: cross_val_score(pipe, X, labels, cv=cv) for name, pipe in pipelines.items()}
for name, s in scores.items():
    print(f"{name:>21}: accuracy {s.mean():.3f} ± {s.std():.3f} over {len(s)} folds")
diff = scores["AutoEncoder(2) + kNN"] - scores["PCA(2) + kNN"]
spread = max(s.std() for s in scores.values())
print(f"AutoEncoder minus PCA: {diff.mean():+.3f} (per fold: "
      + ", ".join(f"{d:+.3f}" for d in diff)
      + f"), {'larger' if abs(diff.mean()) > spread else 'smaller'} than the "
      f"fold-to-fold spread ({spread:.3f})")

# %%
# Summary
# -------
# Two numbers per image are a harsh bottleneck for ten digits. Whether more
# dimensions help both methods, and how the autoencoder's advantage in
# reconstruction changes with them, can be read off the table above:
falling = {col: bool(np.all(np.diff(mse[col]) < 0)) for col in ("mse_pca", "mse_autoencoder")}
print("test error falls with every added dimension:",
      ", ".join(f"{col[4:]} {'yes' if ok else 'no'}" for col, ok in falling.items()))
print("autoencoder error / PCA error: "
      + ", ".join(f"{r.ratio:.2f} at {r.latent_dim} dims" for r in mse.itertuples()))

# %%
# PCA keeps a flat shadow of the set of digit images; the autoencoder can fold
# that curved set into its coordinates, which is what the scatter plots, the
# reconstruction errors and the classifier accuracies above each measure in
# their own way.
