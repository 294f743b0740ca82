"""The estimators on a real Dask cluster: searches, out-of-core training, scoring.

One ``LocalCluster`` of two worker processes with one thread each serves the
whole module. Dask's nanny starts every worker with ``OMP_NUM_THREADS=1``
(its ``distributed.nanny.pre-spawn-environ`` default), so torch runs one
thread per worker; a test checks it.
"""

import logging
import os
import signal
import threading
import time

import numpy as np
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

import pandas as pd  # noqa: E402
from joblib import parallel_config  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from physml_sklearn import DropoutMLPClassifier  # noqa: E402

#: each worker's memory limit; a worker with torch and the package imported
#: already holds about 400 MB of it
MEMORY_LIMIT = 1e9
#: the out-of-core data set: float32 features, in partitions of PARTITION_ROWS rows
N_FEATURES = 100
PARTITION_ROWS = 20_000
N_PARTITIONS = 128  # 128 x 20,000 x 101 x 4 bytes = 1.03 GB > MEMORY_LIMIT


@pytest.fixture(scope="module")
def client():
    # A worker that would pause (at 80% of its limit) fails the test instead of
    # hanging it. The partitions are read faster than the network trains on
    # them, so they pile up in the workers' memory: spilling them to disk
    # early keeps each worker well below its limit.
    memory = {
        "distributed.worker.memory.pause": False,
        "distributed.worker.memory.target": 0.45,
        "distributed.worker.memory.spill": 0.5,
    }
    with dask.config.set(memory):
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit=MEMORY_LIMIT,
            silence_logs=logging.ERROR,
        )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _small_data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = (X[:, 0] - X[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def _search(n_jobs, params=None):
    return GridSearchCV(
        DropoutMLPClassifier(
            hidden_layer_sizes=(16,), dropout=0.0, max_epochs=5, batch_size=64, random_state=0
        ),
        params or {"lr": [1e-3, 1e-2], "hidden_layer_sizes": [(8,), (16, 8)]},
        cv=3,
        n_jobs=n_jobs,
    )


def _same_results(search, reference):
    """The same score on every split, to the last bit, hence the same ranking."""
    results, expected = search.cv_results_, reference.cv_results_
    assert results["params"] == expected["params"]
    for split in range(3):
        key = f"split{split}_test_score"
        np.testing.assert_array_equal(results[key], expected[key])
    # means summed in another order may differ in the last bit
    np.testing.assert_allclose(results["mean_test_score"], expected["mean_test_score"],
                               rtol=1e-12)
    np.testing.assert_array_equal(results["rank_test_score"], expected["rank_test_score"])
    assert search.best_params_ == reference.best_params_


def test_workers_run_torch_on_one_thread(client):
    def threads():
        import torch

        return torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")

    assert set(client.run(threads).values()) == {(1, "1")}


def test_grid_search_on_dask_equals_local(client):
    X, y = _small_data()
    reference = _search(n_jobs=1).fit(X, y)
    with distributed.get_task_stream(client) as stream:
        with parallel_config("dask"):
            search = _search(n_jobs=-1).fit(X, y)
    # the fits ran on both workers, and gave the same numbers
    assert len({task["worker"] for task in stream.data}) == 2
    _same_results(search, reference)


def test_regressor_grid_search_on_dask_equals_local(client):
    from physml_sklearn import DropoutMLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    y = 50.0 + 20.0 * X[:, 0] - 5.0 * X[:, 1] ** 2 + rng.normal(size=600)

    def search(n_jobs):
        return GridSearchCV(
            DropoutMLPRegressor(hidden_layer_sizes=(16,), max_epochs=5, batch_size=64,
                                random_state=0),
            {"loss": ["squared_error", "huber"], "lr": [1e-3, 1e-2]},
            cv=3,
            n_jobs=n_jobs,
        )

    reference = search(n_jobs=1).fit(X, y)
    with distributed.get_task_stream(client) as stream:
        with parallel_config("dask"):
            result = search(n_jobs=-1).fit(X, y)
    assert len({task["worker"] for task in stream.data}) == 2
    _same_results(result, reference)
    np.testing.assert_array_equal(result.predict(X), reference.predict(X))


def test_folding_classifier_on_dask_equals_local(client):
    folding = pytest.importorskip("physml_sklearn.folding")
    X, y = _small_data()
    inner = DropoutMLPClassifier(hidden_layer_sizes=(8,), max_epochs=5, random_state=0)
    local = folding.FoldingClassifier(inner, n_folds=3, random_state=0).fit(X, y)
    with parallel_config("dask"):
        remote = folding.FoldingClassifier(inner, n_folds=3, random_state=0, n_jobs=-1).fit(X, y)
    np.testing.assert_array_equal(remote.out_of_fold_proba_, local.out_of_fold_proba_)
    np.testing.assert_array_equal(remote.predict_proba(X), local.predict_proba(X))


def _partition(i):
    """Partition ``i`` of the out-of-core data set."""
    rng = np.random.default_rng(1000 + i)
    X = rng.standard_normal((PARTITION_ROWS, N_FEATURES), dtype=np.float32)
    logit = 2.0 * X[:, 0] - 1.5 * X[:, 1] + X[:, 2] * X[:, 3]
    y = (logit + rng.logistic(size=PARTITION_ROWS) > 0).astype(np.float32)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(N_FEATURES)])
    frame["label"] = y
    return frame


@pytest.fixture(scope="module")
def parquet_data(tmp_path_factory):
    """A directory of Parquet files, one per partition, written one at a time."""
    path = tmp_path_factory.mktemp("events")
    for i in range(N_PARTITIONS):
        _partition(i).to_parquet(path / f"part.{i:03d}.parquet", index=False, compression=None)
    return path


def _worker_pids(client):
    return client.run(os.getpid)


def test_out_of_core_training_through_incremental(client, parquet_data):
    size = sum(f.stat().st_size for f in parquet_data.glob("*.parquet"))
    assert size > MEMORY_LIMIT  # the data would not fit in one worker
    pids = _worker_pids(client)
    frames = dd.read_parquet(str(parquet_data))
    features = list(frames.columns[:-1])
    table = frames.to_dask_array()  # one block per file; X and y sliced from the same blocks
    X, y = table[:, :-1], table[:, -1].astype(np.int64)
    model = dask_ml_wrappers.Incremental(
        DropoutMLPClassifier(
            hidden_layer_sizes=(16,), dropout=0.0, batch_size=4096, lr=3e-3, random_state=0
        ),
        random_state=0,
    )
    model.fit(X, y, classes=[0, 1])
    # no worker was killed and restarted, none went over its limit
    assert _worker_pids(client) == pids

    def peak_rss():
        # VmHWM: the high-water mark of this process's own memory. Not
        # ru_maxrss, which Linux carries over an exec from the parent, so a
        # worker spawned by a large process would report the parent's peak.
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB

    peaks = client.run(peak_rss)
    print("peak memory of the workers:", peaks)
    assert all(peak < MEMORY_LIMIT for peak in peaks.values()), peaks
    # one pass over the 2,560,000 events learned the signal
    test = _partition(N_PARTITIONS + 1)
    accuracy = model.estimator_.score(test[features].to_numpy(), test["label"].astype(int))
    assert len(model.estimator_.loss_curve_) == N_PARTITIONS
    assert accuracy > 0.8, accuracy


def test_scoring_partition_by_partition_equals_whole(client):
    X, y = _small_data(1000)
    columns = [f"f{j}" for j in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    clf = DropoutMLPClassifier(hidden_layer_sizes=(16, 8), max_epochs=5, random_state=0)
    clf.fit(frame, y)
    frames = dd.from_pandas(frame, npartitions=7)

    def score(part, model):
        return pd.Series(model.predict_proba(part)[:, 1], index=part.index, name="score")

    scores = frames.map_partitions(score, clf, meta=("score", "float64")).compute()
    assert frames.npartitions == 7
    np.testing.assert_array_equal(scores.to_numpy(), clf.predict_proba(frame)[:, 1])


def test_search_survives_a_killed_worker(client):
    X, y = _small_data()
    params = {"lr": [1e-3, 3e-3, 1e-2, 3e-2], "hidden_layer_sizes": [(8,), (16, 8)]}
    reference = _search(n_jobs=1, params=params).fit(X, y)
    pids = _worker_pids(client)
    victim = sorted(pids)[0]
    outcome = {}

    # joblib's Dask backend scatters the data and the fold indices to one worker
    # each, and scattered data die with their worker: a search that must
    # survive losing workers runs as a Dask graph, which the scheduler can
    # recompute, through dask-ml's GridSearchCV
    from dask_ml.model_selection import GridSearchCV as DaskGridSearchCV

    local = _search(n_jobs=1, params=params)

    def run_search():
        try:
            search = DaskGridSearchCV(local.estimator, params, cv=3, scheduler=client)
            outcome["search"] = search.fit(X, y)
        except BaseException as exc:  # pragma: no cover - reported below
            outcome["error"] = exc

    thread = threading.Thread(target=run_search)
    thread.start()
    deadline = time.monotonic() + 60
    while not client.processing().get(victim) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.processing().get(victim), "no fit started on the worker in time"
    # kill the worker process in the middle of a fit; its nanny starts a new one
    os.kill(pids[victim], signal.SIGKILL)
    thread.join(timeout=240)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    new_pids = _worker_pids(client)
    assert victim not in new_pids or new_pids[victim] != pids[victim]
    _same_results(outcome["search"], reference)
