"""The thread policy, its overrides, and the fast inference path."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from torch import nn

import physml_sklearn
from physml_sklearn import DropoutMLPClassifier
from physml_sklearn._core import _threads
from physml_sklearn._core._modules import make_mlp
from physml_sklearn._core._net import inference_steps, run_steps
from physml_sklearn._core._threads import WORK_PER_THREAD, policy_threads, thread_policy


@pytest.fixture
def two_threads(monkeypatch):
    """torch on 2 threads for the test, whatever the session uses, on a
    machine whose two cores are free (other tests run beside this one)."""
    monkeypatch.setattr(_threads, "free_cores", lambda max_age=None: 2.0)
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


def test_policy_one_thread_for_small_work_and_capped_by_torch(two_threads):
    assert policy_threads(1000) == 1
    assert policy_threads(WORK_PER_THREAD - 1) == 1
    assert policy_threads(2 * WORK_PER_THREAD) == 2
    # never more than torch has
    assert policy_threads(100 * WORK_PER_THREAD) == torch.get_num_threads() == 2


@pytest.mark.parametrize("free, expected", [(0.0, 1), (0.4, 1), (1.0, 1), (1.6, 2),
                                            (2.0, 2), (None, 2)])
def test_policy_takes_no_more_threads_than_free_cores(two_threads, monkeypatch, free,
                                                      expected):
    # cores that other processes keep busy are not taken (None: unknown, no cap)
    monkeypatch.setattr(_threads, "free_cores", lambda max_age=None: free)
    assert policy_threads(100 * WORK_PER_THREAD) == expected
    # small work never asks how busy the machine is
    monkeypatch.setattr(_threads, "free_cores", lambda max_age=None: pytest.fail("asked"))
    assert policy_threads(WORK_PER_THREAD // 2) == 1


_BUSY_CORE = """
import multiprocessing, os, sys, time
from physml_sklearn._core._threads import free_cores

def busy():  # inherits the one-core affinity of its parent
    while True:
        pass

if __name__ == "__main__":
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    quiet_enough = free_cores(0)
    worker = multiprocessing.Process(target=busy, daemon=True)
    worker.start()
    time.sleep(0.3)
    loaded = min(free_cores(0) for _ in range(3))
    worker.terminate()
    print(quiet_enough, loaded)
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or not os.path.exists("/proc/stat"),
                    reason="measures the free cores on Linux only")
def test_free_cores_sees_a_busy_core():
    # a process confined to one core, with another process spinning on it
    out = subprocess.run([sys.executable, "-c", _BUSY_CORE],
                         capture_output=True, text=True, check=True, timeout=60)
    quiet, loaded = map(float, out.stdout.split())
    assert 0.0 <= loaded < 0.5 and 0.0 <= quiet <= 1.0


def test_free_cores_reads_only_proc_stat_in_quick_succession(monkeypatch):
    calls = []

    def ticks(cpus):
        calls.append(cpus)
        return 5 * len(calls), 10 * len(calls)  # idle, total: half the time idle

    monkeypatch.setattr(_threads, "_cpu_times", ticks)
    monkeypatch.setattr(_threads, "LOAD_SAMPLE", 0.0)
    monkeypatch.setitem(_threads._load, "reading", None)
    first = _threads.free_cores(60.0)
    assert len(calls) == 2  # no earlier reading: two readings around a short sleep
    assert _threads.free_cores(60.0) == first and len(calls) == 2  # reused
    _threads.free_cores(0.0)
    assert len(calls) == 3  # measured since the previous reading, without a sleep


def test_own_cpu_time_is_not_load():
    # 2 cores over 1 s (100 ticks each): never idle, but all of it this
    # process's own CPU time (2 s) -> both cores free for its next call
    hz = os.sysconf("SC_CLK_TCK")
    cpus = {0, 1}
    before, after = (0.0, 0, 0, 10.0), (1.0, 0, 2 * hz, 12.0)
    assert _threads._free_between(cpus, before, after) == pytest.approx(2.0)
    # the same busy time from another process: no core free
    assert _threads._free_between(cpus, before, (1.0, 0, 2 * hz, 10.0)) == 0.0
    # one core idle, the other busy with another process
    assert _threads._free_between(cpus, before, (1.0, hz, 2 * hz, 10.0)) == pytest.approx(1.0)


@pytest.mark.parametrize("threads", [1, 2])
def test_same_thread_count_same_bits(threads):
    # the guarantee of random_state: the same thread count gives the same model
    X, y = _data(2000)
    proba = []
    for _ in range(2):
        with physml_sklearn.config_context(torch_threads=threads):
            clf = DropoutMLPClassifier(batch_size=1024, max_epochs=2, random_state=0).fit(X, y)
            proba.append(clf.predict_proba(X))
    np.testing.assert_array_equal(proba[0], proba[1])


#: how far two epochs on one and on two threads may move a probability (on
#: some CPUs a matrix product splits its sums between the threads, and the
#: rounding differs; training amplifies it; the user guide quotes this bound)
ACROSS_THREAD_COUNTS_ATOL = 1e-4


def test_results_across_thread_counts_agree_within_the_documented_tolerance():
    X, y = _data(2000)
    proba = []
    for threads in (1, 2):
        with physml_sklearn.config_context(torch_threads=threads):
            clf = DropoutMLPClassifier(batch_size=1024, max_epochs=2, random_state=0).fit(X, y)
            proba.append(clf.predict_proba(X))
    np.testing.assert_allclose(proba[0], proba[1], rtol=0, atol=ACROSS_THREAD_COUNTS_ATOL)


class RecordThreads(Callback):
    """torch's thread count at every training step."""

    def on_train_begin(self, net, **kwargs):
        self.log_ = []

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            self.log_.append(torch.get_num_threads())


@pytest.mark.parametrize("free", [0.0, 2.0])
def test_a_fit_never_follows_the_load(two_threads, monkeypatch, free):
    # under "auto" a fit runs on one thread, busy machine or quiet, even when
    # its work would pay for two: its numbers never depend on the load
    asked = []

    def free_cores(max_age=None):
        asked.append(max_age)
        return free

    monkeypatch.setattr(_threads, "free_cores", free_cores)
    X, y = _data(600)
    clf = DropoutMLPClassifier(hidden_layer_sizes=(256, 128), batch_size=256, max_epochs=2,
                               random_state=0, callbacks=[("threads", RecordThreads())])
    clf.fit(X, y)
    work = 256 * sum(p.numel() for p in clf.net_.module_.parameters()) * _threads.TRAINING_COST
    assert work >= 2 * WORK_PER_THREAD  # a prediction of such work takes both threads
    assert set(dict(clf.net_.callbacks_)["threads"].log_) == {1}
    assert asked == []  # nothing in the fit asked how busy the machine is
    quiet = DropoutMLPClassifier(**clf.get_params()).set_params(callbacks=None)
    monkeypatch.setattr(_threads, "free_cores", lambda max_age=None: 2.0)
    np.testing.assert_array_equal(quiet.fit(X, y).predict_proba(X), clf.predict_proba(X))
    # a prediction outside a fit does take the free cores into account
    monkeypatch.setattr(_threads, "free_cores", free_cores)
    clf.predict_proba(np.tile(X, (20, 1)))
    assert asked
    # asked for, a fit takes the threads it is given
    with physml_sklearn.config_context(torch_threads=2):
        clf.fit(X, y)
    assert set(dict(clf.net_.callbacks_)["threads"].log_) == {2}


def test_thread_policy_restores_torch_setting(two_threads):
    module = nn.Linear(4, 3)
    seen = []
    with thread_policy(module, 10):
        seen.append(torch.get_num_threads())
    assert seen == [1]
    assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError, match="boom"):
        with thread_policy(module, 10):
            raise RuntimeError("boom")
    assert torch.get_num_threads() == 2


class _ThreadSpy(nn.Module):
    """Records torch's thread count each time it runs."""

    def __init__(self, log):
        super().__init__()
        self.linear = nn.Linear(4, 1)
        self.log = log

    def forward(self, x):
        self.log.append(torch.get_num_threads())
        return self.linear(x)


def test_fit_and_predict_run_on_policy_threads(two_threads, monkeypatch):
    log = []
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
    monkeypatch.setattr(clf, "_build_module", lambda n_features, target: _ThreadSpy(log))
    X, y = _data()
    clf.fit(X, y)
    assert log and set(log) == {1}  # a tiny network: one thread
    log.clear()
    clf.predict_proba(X)
    assert set(log) == {1}
    assert torch.get_num_threads() == 2  # restored after fit and predict
    log.clear()
    with physml_sklearn.config_context(torch_threads="torch"):
        clf.predict_proba(X)
    assert set(log) == {2}  # torch's own setting, left alone
    log.clear()
    with physml_sklearn.config_context(torch_threads=2):
        clf.fit(X, y)
    assert set(log) == {2}
    assert torch.get_num_threads() == 2


def test_config_context_restores_and_validates():
    before = physml_sklearn.get_config()
    with physml_sklearn.config_context(torch_threads=3):
        assert physml_sklearn.get_config()["torch_threads"] == 3
        with physml_sklearn.config_context():  # None keeps the value
            assert physml_sklearn.get_config()["torch_threads"] == 3
    assert physml_sklearn.get_config() == before
    for bad in (0, -1, 1.5, "fast", True):
        with pytest.raises(ValueError, match="torch_threads must be 'auto'"):
            physml_sklearn.set_config(torch_threads=bad)
    assert physml_sklearn.get_config() == before


def test_environment_variable_sets_the_default():
    code = (
        "import torch, physml_sklearn\n"
        "from physml_sklearn._core._threads import policy_threads\n"
        "print(physml_sklearn.get_config()['torch_threads'], policy_threads(1))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.getcwd(), PHYSML_SKLEARN_TORCH_THREADS="2")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["2", "2"]
    env["PHYSML_SKLEARN_TORCH_THREADS"] = "many"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "PHYSML_SKLEARN_TORCH_THREADS must be 'auto'" in out.stderr


def test_no_threads_changed_off_cpu(monkeypatch):
    calls = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    monkeypatch.setattr(_threads, "policy_threads", lambda *args: 1)
    module = nn.Linear(2, 2, device="meta")
    with thread_policy(module, 10):
        pass
    assert calls == []


# -- the fast inference path ----------------------------------------------
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu"])
def test_inference_steps_give_the_module_numbers(activation):
    torch.manual_seed(0)
    module = make_mlp(5, (16, 8), 2, activation=activation, dropout=0.3).eval()
    steps = inference_steps(module)
    assert steps is not None
    X = torch.randn(200, 5)
    with torch.inference_mode():
        assert torch.equal(run_steps(steps, X), module(X))


def test_inference_steps_never_write_to_the_input():
    module = nn.Sequential(nn.ReLU(), nn.Linear(3, 2), nn.Tanh()).eval()
    X = torch.randn(50, 3)
    X_before = X.clone()
    with torch.inference_mode():
        out = run_steps(inference_steps(module), X)
        assert torch.equal(out, module(X_before))
    assert torch.equal(X, X_before)


def test_inference_steps_fall_back_for_other_modules():
    assert inference_steps(nn.Linear(3, 2)) is None  # not a Sequential
    assert inference_steps(nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))) is None
    hooked = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    hooked[1].register_forward_hook(lambda *args: None)
    assert inference_steps(hooked) is None


def test_predict_proba_subset_is_bit_identical_and_input_untouched():
    X, y = _data(512)  # a multiple of ROW_BLOCK: the plain module sees no padding
    clf = DropoutMLPClassifier(hidden_layer_sizes=(16, 8), max_epochs=2, random_state=0)
    clf.fit(X, y)
    X32 = np.asarray(X, dtype=np.float32)
    X32_before = X32.copy()
    full = clf.predict_proba(X32)
    # a subset, and the whole in several chunks, give the same bits
    np.testing.assert_array_equal(clf.predict_proba(X32[37:101]), full[37:101])
    np.testing.assert_array_equal(clf.predict_proba(X32[:1]), full[:1])
    chunked = clf.net_.forward_chunks(torch.from_numpy(X32), chunk_size=128)
    np.testing.assert_array_equal(
        chunked.numpy()[:, 0], clf.net_.forward_chunks(torch.from_numpy(X32)).numpy()[:, 0]
    )
    np.testing.assert_array_equal(X32, X32_before)
    # the same numbers as the plain module, in float64
    with torch.inference_mode():
        logit = clf.net_.module_.eval()(torch.from_numpy(X32)).numpy()[:, 0]
    np.testing.assert_array_equal(clf.decision_function(X32), logit.astype(np.float64))


def test_overlapping_calls_in_threads_restore_torch_setting(two_threads):
    """Fits in several Python threads share torch's one setting and give it back."""
    import threading

    module = nn.Linear(4, 3)
    inside = threading.Barrier(2)
    seen = []

    def call():
        with thread_policy(module, 10):
            inside.wait(timeout=10)  # both calls are inside at once
            seen.append(torch.get_num_threads())
            inside.wait(timeout=10)

    workers = [threading.Thread(target=call) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert seen == [1, 1]
    assert torch.get_num_threads() == 2
