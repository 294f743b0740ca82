"""Predictions of more rows than one forward pass takes are computed in chunks.

Above ``PREDICT_CHUNK`` rows the network runs chunk by chunk; each
row's output must not depend on that, so a subset predicted on its own equals
the same rows of a chunked prediction, bit for bit.
"""

import numpy as np
import pytest

from physml_sklearn import AutoEncoder, DropoutMLPClassifier, SoftmaxMLPClassifier
from physml_sklearn._core import _net

TINY = dict(max_epochs=2, batch_size=64, random_state=0)


def count_forward_calls(module):
    calls = []
    handle = module.register_forward_hook(lambda *args: calls.append(args[1][0].shape[0]))
    return calls, handle


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


@pytest.mark.parametrize(
    "estimator, method",
    [
        (DropoutMLPClassifier(hidden_layer_sizes=(16,), dropout=0.2, **TINY), "predict_proba"),
        (SoftmaxMLPClassifier(hidden_layer_sizes=(16,), **TINY), "predict_log_proba"),
        (AutoEncoder(encoder_layers=(8,), latent_dim=2, **TINY), "transform"),
        (AutoEncoder(encoder_layers=(8,), latent_dim=2, **TINY), "predict"),
    ],
    ids=["dropout-proba", "softmax-log-proba", "ae-transform", "ae-predict"],
)
def test_subset_equals_the_same_rows_of_a_chunked_prediction(data, monkeypatch, estimator,
                                                             method):
    X, y = data
    estimator.fit(X, y if method.startswith("predict_") else None)
    whole = getattr(estimator, method)(X)  # one forward pass
    monkeypatch.setattr(_net, "PREDICT_CHUNK", 128)
    calls, handle = count_forward_calls(estimator.net_.module_)
    chunked = getattr(estimator, method)(X)
    handle.remove()
    if method != "transform":  # transform runs the encoder only
        # 1000 rows padded to 1024: eight chunks of 128
        assert calls == [128] * 8
    np.testing.assert_array_equal(chunked, whole)
    # blocks of rows, within a chunk and across chunk boundaries: bit for bit
    for rows in (slice(0, 1), slice(100, 229), slice(120, 520), slice(900, 1000)):
        np.testing.assert_array_equal(getattr(estimator, method)(X[rows]), chunked[rows])
    # every 7th row: bit for bit for the classifiers; the autoencoders' small
    # layers may round the last float32 bit differently for rows gathered
    # from all over (the same happens without chunks)
    rows = np.arange(3, 1000, 7)
    subset = getattr(estimator, method)(X[rows])
    if isinstance(estimator, AutoEncoder):
        np.testing.assert_allclose(subset, chunked[rows], rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(subset, chunked[rows])


def test_more_rows_than_one_chunk():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(2000, 4))
    y = (X[:, 0] > 0).astype(int)
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), dropout=0.0, **TINY).fit(X, y)
    big = rng.normal(size=(_net.PREDICT_CHUNK + _net.PREDICT_CHUNK // 3, 4))
    calls, handle = count_forward_calls(clf.net_.module_)
    proba = clf.predict_proba(big)
    handle.remove()
    assert calls[0] == _net.PREDICT_CHUNK and len(calls) == 2  # the branch ran
    assert proba.shape == (big.shape[0], 2) and np.isfinite(proba).all()
    for rows in (slice(0, 10), slice(_net.PREDICT_CHUNK - 5, _net.PREDICT_CHUNK + 5),
                 slice(-300, None)):
        np.testing.assert_array_equal(clf.predict_proba(big[rows]), proba[rows])
