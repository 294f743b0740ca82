"""What a fit means: the epoch early stopping keeps, when a fit counts as
diverged, ``classes``, ``n_iter_``, labels, Ctrl-C, and the optimizer of a
loaded model."""

import os
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, EarlyStopping

from physml_sklearn import (
    AutoEncoder,
    DropoutMLPClassifier,
    SoftmaxMLPClassifier,
    load,
    save,
)
from physml_sklearn._core._base import ended_at_epoch_limit
from physml_sklearn.datasets import make_diboson

SMALL = dict(hidden_layer_sizes=(16, 8), max_epochs=5, batch_size=32, lr=0.01, random_state=0)


@pytest.fixture(scope="module")
def binary_data():
    return make_classification(400, n_features=6, n_informative=4, random_state=0)


class RecordWeights(Callback):
    """Keeps a copy of the module's weights after every epoch."""

    def on_train_begin(self, net, **kwargs):
        self.weights_ = {}

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1, "epoch"]
        self.weights_[epoch] = {
            k: v.detach().clone() for k, v in net.module_.state_dict().items()
        }


class ScriptedValidationLoss(Callback):
    """Replaces each epoch's validation loss by the next value of ``losses``
    (it runs before early stopping, which sees the scripted values)."""

    def __init__(self, losses):
        self.losses = losses

    def on_epoch_end(self, net, **kwargs):
        net.history.record("valid_loss", self.losses[len(net.history) - 1])


def _assert_holds_weights_of(clf, epoch):
    recorded = dict(clf.net_.callbacks_)["record"].weights_[epoch]
    for key, value in clf.net_.module_.state_dict().items():
        assert torch.equal(value, recorded[key]), key


# -- 1. early stopping keeps the epoch with the lowest validation loss ----------
@pytest.fixture(scope="module")
def diboson_scaled():
    X, y = make_diboson(3000, random_state=0, return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("tol", [0.2, 0.01])
def test_early_stopping_restores_the_lowest_validation_loss(diboson_scaled, tol):
    # with skorch's rule, tol=0.2 restored epoch 1 (0.651) although epoch 6
    # reached 0.522, and tol=0.01 epoch 30 although epoch 35 was lower
    X, y = diboson_scaled
    clf = DropoutMLPClassifier(
        (32, 16), dropout=0.2, early_stopping=True, patience=5, max_epochs=60, tol=tol,
        random_state=0, callbacks=[("record", RecordWeights())],
    ).fit(X, y)
    valid = np.asarray(clf.validation_loss_curve_)
    assert clf.best_epoch_ == np.argmin(valid) + 1
    _assert_holds_weights_of(clf, clf.best_epoch_)
    # scikit-learn's rule stopped it: `patience` epochs in a row not below the
    # best loss before them by tol, and never before
    stale = [valid[i] > valid[:i].min() - tol for i in range(1, len(valid))]
    assert clf.n_iter_ < 60 and all(stale[-5:])
    assert not any(all(stale[i - 5:i]) for i in range(5, len(stale)))


@pytest.mark.parametrize(
    "losses, stop, best",
    [
        # no improvement by tol after epoch 1, but epoch 2 is the lowest
        ([1.0, 0.95, 0.97, 0.99, 0.5, 0.4], 4, 2),
        # an improvement by tol (epoch 3) starts the count again; epoch 4 is
        # lower by less than tol and is kept
        ([1.0, 0.99, 0.8, 0.79, 0.795, 0.81, 0.1, 0.1], 6, 4),
        # never three epochs without improvement: max_epochs ends it
        ([1.0, 0.8, 0.85, 0.6, 0.65, 0.66, 0.3, 0.35], 8, 7),
    ],
)
def test_stopping_rule_and_kept_epoch(binary_data, losses, stop, best):
    X, y = binary_data
    clf = DropoutMLPClassifier(
        **dict(SMALL, max_epochs=8), early_stopping=True, patience=3, tol=0.1,
        callbacks=[("script", ScriptedValidationLoss(losses)), ("record", RecordWeights())],
    ).fit(X, y)
    assert clf.n_iter_ == stop
    assert clf.best_epoch_ == best
    assert clf.validation_loss_curve_ == losses[:stop]
    _assert_holds_weights_of(clf, best)


def test_a_skorch_early_stopping_callback_still_just_stops(binary_data):
    # skorch's EarlyStopping ends a training by raising KeyboardInterrupt
    X, y = binary_data
    stopper = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0, sink=None)
    clf = DropoutMLPClassifier(**dict(SMALL, max_epochs=20), callbacks=[stopper]).fit(X, y)
    assert clf.n_iter_ == 2


@pytest.mark.parametrize(
    "losses, max_epochs, patience, warns",
    [
        # epoch 7 improved by more than tol: three more epochs could have helped
        ([1.0, 0.8, 0.85, 0.6, 0.65, 0.66, 0.3, 0.35], 8, 3, True),
        # the third epoch in a row without improvement is the last one: early
        # stopping ends it at the limit, nothing was cut short
        ([1.0, 0.95, 0.97, 0.99], 4, 3, False),
        # early stopping ends it before the limit
        ([1.0, 0.95, 0.97, 0.99, 0.5, 0.4], 8, 3, False),
        # a patience as long as the training, to watch every epoch: the loss
        # turned in the first half and rose since, nothing was cut short ...
        ([1.0, 0.5, 0.6, 0.7, 0.8, 0.9], 6, 6, False),
        # ... but one still falling in the second half was
        ([1.0, 0.9, 0.8, 0.7, 0.6, 0.45], 6, 6, True),
    ],
)
def test_running_out_of_epochs_before_early_stopping_warns(binary_data, losses, max_epochs,
                                                           patience, warns, tmp_path):
    # as MLPClassifier's "Maximum iterations reached and the optimization
    # hasn't converged yet": the kept epoch is only the best of too few
    X, y = binary_data
    clf = DropoutMLPClassifier(
        **dict(SMALL, max_epochs=max_epochs), early_stopping=True, patience=patience,
        tol=0.1, callbacks=[("script", ScriptedValidationLoss(losses))],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    limit = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert ended_at_epoch_limit(clf) is warns
    if warns:
        (warning,) = limit
        message = str(warning.message)
        assert f"max_epochs={max_epochs}" in message and "Raise max_epochs" in message
        assert f"best epoch {clf.best_epoch_} of {max_epochs}" in message
        assert warning.filename == __file__  # points at the caller's fit
    else:
        assert not limit
    # the rule is read off the fitted attributes, so a loaded model tells the same
    loaded = load(save(clf.set_params(callbacks=None), tmp_path / "model.physml"))
    assert ended_at_epoch_limit(loaded) is warns


def test_no_epoch_limit_warning_without_early_stopping(binary_data):
    # without a validation set every fit runs max_epochs: that is the setting,
    # not a sign of an unfinished training
    X, y = binary_data
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = DropoutMLPClassifier(**SMALL).fit(X, y)
        clf.partial_fit(X, y)
    assert not ended_at_epoch_limit(clf)
    for est in (SoftmaxMLPClassifier(max_epochs=2, early_stopping=True, random_state=0),
                AutoEncoder(max_epochs=2, early_stopping=True, random_state=0)):
        with pytest.warns(ConvergenceWarning, match="Maximum epochs"):
            est.fit(*((X,) if isinstance(est, AutoEncoder) else (X, y)))


# -- 2. no false DivergedError in streaming training ---------------------------
@pytest.fixture(scope="module")
def digits01():
    X, y = load_digits(return_X_y=True)
    keep = y < 2
    return StandardScaler().fit_transform(X[keep][:200]), y[keep][:200]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_streaming_partial_fit_is_not_taken_for_divergence(digits01, seed):
    # the default network with dropout 0.5 separates 0 from 1 perfectly: its
    # loss without dropout falls far below its loss with dropout, which the
    # old rule compared it with (DivergedError after 55, 37 and 43 calls at
    # lr=3e-3; after 121, 84 and 93 at the default lr=1e-3, where 500 calls
    # now pass too)
    X, y = digits01
    clf = DropoutMLPClassifier(lr=3e-3, random_state=seed)
    for _ in range(70):
        clf.partial_fit(X, y, classes=[0, 1])
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 70
    assert clf.score(X, y) == 1.0


def test_growth_is_measured_like_with_like(binary_data):
    # the losses at the start of a call, with and without dropout, each at
    # least the loss of an output of zeros (log 2 for a logit of 0)
    X, y = binary_data
    clf = DropoutMLPClassifier(**SMALL, dropout=0.5).fit(X, y)
    from physml_sklearn._core._net import TensorData

    data = TensorData(torch.as_tensor(X, dtype=torch.float32),
                      torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1))
    without, with_dropout = clf.net_.reference_losses(data)
    assert without >= np.log(2) - 1e-6 and with_dropout >= np.log(2) - 1e-6
    state = torch.get_rng_state()
    assert clf.net_.reference_losses(data) == (without, with_dropout)  # fixed masks
    assert torch.equal(torch.get_rng_state(), state)  # no generator touched


# -- 3. classes of later partial_fit calls ------------------------------------
@pytest.mark.parametrize("Est", [DropoutMLPClassifier, SoftmaxMLPClassifier])
def test_partial_fit_refuses_other_classes(binary_data, Est):
    X, y = binary_data
    clf = Est(**SMALL).partial_fit(X, y, classes=[0, 1])
    clf.partial_fit(X, y, classes=[1, 0])  # the same classes, in any order
    clf.partial_fit(X, y)
    n_epochs = len(clf.history_)
    with pytest.raises(ValueError, match=r"classes=\[1, 2\].*classes_=\[0, 1\]"):
        clf.partial_fit(X, y + 1, classes=[1, 2])
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\].*classes_=\[0, 1\]"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    assert len(clf.history_) == n_epochs
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    # after fit as well
    fitted = Est(**SMALL).fit(X, y)
    with pytest.raises(ValueError, match=r"classes=\['a', 'b'\]"):
        fitted.partial_fit(X, y, classes=["a", "b"])


# -- 4. Ctrl-C propagates and leaves the estimator as it was ----------------------
class InterruptAtEpoch(Callback):
    def __init__(self, epoch=2):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) >= self.epoch:
            raise KeyboardInterrupt


def test_keyboard_interrupt_in_a_first_fit_leaves_it_unfitted(binary_data):
    X, y = binary_data
    for epoch, call in ((2, "fit"), (1, "partial_fit")):
        clf = DropoutMLPClassifier(**SMALL, callbacks=[InterruptAtEpoch(epoch)])
        with pytest.raises(KeyboardInterrupt):
            if call == "fit":
                clf.fit(X, y)
            else:
                clf.partial_fit(X, y, classes=[0, 1])
        with pytest.raises(NotFittedError):
            check_is_fitted(clf)
        assert not [k for k in vars(clf) if k.endswith("_")]


def test_keyboard_interrupt_closes_the_progress_bar(binary_data, capsys):
    X, y = binary_data
    clf = DropoutMLPClassifier(**SMALL, verbose=1, callbacks=[InterruptAtEpoch(2)])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    err = capsys.readouterr().err
    # the interruption comes before the bar counts epoch 2; the bar is closed
    assert "1/5" in err and "2/5" not in err and err.endswith("\n")


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_keyboard_interrupt_leaves_a_fitted_estimator_as_it_was(binary_data, how):
    X, y = binary_data
    clf = DropoutMLPClassifier(**SMALL, early_stopping=(how == "warm_start")).fit(X, y)
    before = clf.predict_proba(X)
    attributes = {k: v for k, v in vars(clf).items() if k.endswith("_")}
    n_epochs = len(clf.history_)
    weights = {k: v.clone() for k, v in clf.net_.module_.state_dict().items()}
    clf.set_params(callbacks=[InterruptAtEpoch(n_epochs + 1)], warm_start=True)
    with pytest.raises(KeyboardInterrupt):
        if how == "warm_start":
            clf.fit(X, y)
        else:
            clf.partial_fit(X, y)
    assert len(clf.history_) == n_epochs
    for key, value in clf.net_.module_.state_dict().items():
        assert torch.equal(value, weights[key])
    for key, value in attributes.items():
        assert getattr(clf, key) is value, key
    np.testing.assert_array_equal(clf.predict_proba(X), before)


_SIGINT_SCRIPT = """
import sys
import numpy as np
from skorch.callbacks import Callback
from sklearn.datasets import make_classification
from physml_sklearn import DropoutMLPClassifier

class Announce(Callback):
    def on_epoch_end(self, net, **kwargs):
        print("epoch", len(net.history), flush=True)

X, y = make_classification(4000, n_features=10, random_state=0)
clf = DropoutMLPClassifier(max_epochs=1, random_state=0).fit(X[:500], y[:500])
before = clf.predict_proba(X[:50])
clf.set_params(warm_start=True, max_epochs=10_000, callbacks=[Announce()])
try:
    clf.fit(X, y)
except KeyboardInterrupt:
    same = (clf.n_iter_ == 1 and len(clf.history_) == 1
            and np.array_equal(clf.predict_proba(X[:50]), before))
    print("interrupted, estimator as before:", same, flush=True)
    sys.exit(3)
print("finished without interruption", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a subprocess")
def test_sigint_interrupts_a_fit_in_a_real_process():
    env = dict(os.environ, PYTHONPATH=os.getcwd(), PHYSML_SKLEARN_TORCH_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-c", _SIGINT_SCRIPT], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stdout:
            if line.startswith("epoch 3"):  # inside the warm fit
                proc.send_signal(signal.SIGINT)
                break
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 3, (out, err)
    assert "interrupted, estimator as before: True" in out


# -- 6. labels and n_iter_ ----------------------------------------------------
@pytest.mark.parametrize("kind", ["list", "object array", "series"])
def test_mixed_string_and_number_labels_are_refused(binary_data, kind):
    X, y = binary_data
    labels = ["signal" if v else 0 for v in y]
    y_mixed = {"list": labels, "object array": np.array(labels, dtype=object),
               "series": pd.Series(labels)}[kind]
    for Est in (DropoutMLPClassifier, SoftmaxMLPClassifier):
        with pytest.raises(ValueError, match="`y` mixes strings and other labels.*'signal'"):
            Est(**SMALL).fit(X, y_mixed)
    with pytest.raises(ValueError, match="`classes` mixes strings"):
        DropoutMLPClassifier(**SMALL).partial_fit(X, y, classes=[0, "1"])
    # one type of label is fine, strings or numbers
    DropoutMLPClassifier(**SMALL).fit(X, np.where(y, "signal", "background").astype(object))


def test_n_iter_counts_the_epochs_of_the_last_call(binary_data):
    # as scikit-learn's MLPClassifier: two warm fits of 3 epochs give n_iter_ = 3
    X, y = binary_data
    clf = DropoutMLPClassifier(**dict(SMALL, max_epochs=3), warm_start=True)
    clf.fit(X, y).fit(X, y)
    assert clf.n_iter_ == 3
    assert len(clf.loss_curve_) == len(clf.history_) == 6 and clf.best_epoch_ == 6
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 7
    ae = AutoEncoder(encoder_layers=(8,), latent_dim=2, max_epochs=2, random_state=0)
    ae.partial_fit(X).partial_fit(X)
    assert ae.n_iter_ == 1 and len(ae.loss_curve_) == 2


# -- a loaded model builds no optimizer until it trains ---------------------------
def test_loaded_model_has_no_optimizer_until_it_trains(binary_data, tmp_path):
    X, y = binary_data
    clf = DropoutMLPClassifier(**SMALL).fit(X, y)
    path = save(clf, tmp_path / "model.physml")
    lazy, eager = load(path), load(path)
    assert "optimizer_" not in vars(lazy.net_)
    np.testing.assert_array_equal(lazy.predict_proba(X), clf.predict_proba(X))
    assert "optimizer_" not in vars(lazy.net_)
    # building it at once (as before) or at the first step: the same training
    eager.net_.initialize_pending_optimizer()
    assert isinstance(eager.net_.optimizer_, torch.optim.Adam)
    for model in (lazy, eager):
        model.partial_fit(X, y).set_params(warm_start=True, max_epochs=2).fit(X, y)
    assert isinstance(lazy.net_.optimizer_, torch.optim.Adam)
    assert lazy.net_.optimizer_.param_groups[0]["lr"] == SMALL["lr"]
    np.testing.assert_array_equal(lazy.predict_proba(X), eager.predict_proba(X))
    # a training that fails leaves a loaded model without an optimizer
    failing = load(path).set_params(callbacks=[InterruptAtEpoch(1)])
    with pytest.raises(KeyboardInterrupt):
        failing.partial_fit(X, y)
    assert "optimizer_" not in vars(failing.net_)
    failing.set_params(callbacks=None).partial_fit(X, y)
    np.testing.assert_array_equal(failing.predict_proba(X), load(path).partial_fit(X, y)
                                  .predict_proba(X))


def test_predicting_with_a_loaded_model_imports_no_dynamo(binary_data, tmp_path):
    X, y = binary_data
    path = save(DropoutMLPClassifier(**SMALL).fit(X, y), tmp_path / "model.physml")
    np.save(tmp_path / "X.npy", X)
    code = textwrap.dedent(f"""
        import sys
        import numpy as np
        from physml_sklearn import load
        model = load({str(path)!r})
        model.predict_proba(np.load({str(tmp_path / "X.npy")!r}))
        print(sorted(m for m in ("torch._dynamo", "torch._inductor") if m in sys.modules))
    """)
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
