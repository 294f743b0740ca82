"""The thread policy: how many torch threads a fit or a prediction uses.

PyTorch runs every operation on ``torch.get_num_threads()`` threads (one per
core by default). For the small networks of physics analyses that is a bad
bargain: a mini-batch step of a few million multiply-adds is over before a
second thread has paid for its start, and when another process keeps the
cores busy, threads that wait for each other at every operation make
training several times slower than one thread would be.

A fit (training, and the forward passes it makes: the losses it checks,
an outlier detector's threshold, a GAN's calibration samples; everything
under :func:`fit_threads`) runs on **one thread** under ``"auto"``. On some
CPUs the numbers of a training step depend on the thread count (a matrix
product may split its sums between the threads), so a count that followed
the load would make the model depend on whatever else ran beside the fit,
and ``random_state`` would no longer give the same model twice. A count
fixed by the work alone would keep the model reproducible but, on a machine
whose cores other jobs keep busy, make training many times slower than one
thread (threads that wait for each other at every operation). One thread
costs little on a quiet machine: a mini-batch step of a small network is
over before a second thread has paid for its start. Users who own their
cores ask for more with ``torch_threads``; the model is then the same for
the same count, and across counts it agrees to within rounding, which
training amplifies.

A prediction outside a fit runs with as many threads as its work pays for
— one thread per :data:`WORK_PER_THREAD` multiply-adds in the call, at least
one and never more than ``torch.get_num_threads()`` — and never more than
the cores that are free, so that ``predict_proba`` on a busy machine does
not wait for preempted threads. The free cores are measured only when the
work asks for more than one thread: on Linux, the idle time in
``/proc/stat`` of the cores this process may run on (its CPU affinity)
since the previous measurement, less this process's own CPU time (see
:func:`free_cores`). A core that another process keeps busy is not
counted. Nothing here starts a thread or a pool: the policy only lowers the
number of threads torch already has, for the duration of the call, and
gives torch its setting back afterwards.

Users override it with :func:`set_config` / :func:`config_context` or the
environment variable ``PHYSML_SKLEARN_TORCH_THREADS``.
"""

import os
import threading
from contextlib import contextmanager
from numbers import Integral

#: multiply-adds of one step that pay for one thread (see the module docstring):
#: about 85 rows of the default DropoutMLPClassifier (33,000 weights, three
#: passes per training step); on a quiet 2-core machine its training at 256
#: rows per step already ran faster on two threads than on one
WORK_PER_THREAD = 2**23
#: the free cores are measured over the time since the previous measurement
#: when that is at most this many seconds ago, ...
LOAD_WINDOW = 5.0
#: ... else over a sample of this many seconds of /proc/stat; ...
LOAD_SAMPLE = 0.05
#: ... a measurement younger than this many seconds is reused
LOAD_MAX_AGE = 0.5
#: a training step (forward, backward, update) costs about this many forward passes
TRAINING_COST = 3
#: the environment variable that sets the default of ``torch_threads``
ENV_VAR = "PHYSML_SKLEARN_TORCH_THREADS"

_config = {}
_lock = threading.RLock()


def _check_torch_threads(value, source):
    if value in ("auto", "torch"):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, Integral) and not isinstance(value, bool) and value >= 1:
        return int(value)
    raise ValueError(
        f"{source} must be 'auto' (the default: one thread per fit, predictions by their work), "
        f"'torch' (leave torch.get_num_threads() alone) or a positive integer; "
        f"got {value!r}."
    )


def _default_config():
    env = os.environ.get(ENV_VAR)
    threads = "auto" if env in (None, "") else _check_torch_threads(env, ENV_VAR)
    return {"torch_threads": threads}


def get_config():
    """The current configuration of physml_sklearn.

    Returns
    -------
    config : dict
        ``{"torch_threads": value}``; see :func:`set_config`.

    See Also
    --------
    set_config : Change the configuration.
    config_context : Change it for a block of code.

    Examples
    --------
    >>> import physml_sklearn
    >>> physml_sklearn.get_config()["torch_threads"] in ("auto", "torch") or isinstance(
    ...     physml_sklearn.get_config()["torch_threads"], int)
    True
    """
    with _lock:
        if not _config:
            _config.update(_default_config())
        return dict(_config)


def set_config(torch_threads=None):
    """Set how many torch threads the estimators use on the CPU.

    The setting is global to the process (as torch's thread count is). Its
    default comes from the environment variable
    ``PHYSML_SKLEARN_TORCH_THREADS`` when set, ``"auto"`` otherwise.

    Parameters
    ----------
    torch_threads : {"auto", "torch"} or int, default=None
        ``"auto"``: each fit runs on one thread, so that its model never
        depends on the load of the machine; each prediction uses as many
        threads as its work pays for, never more than
        ``torch.get_num_threads()`` nor than the cores other processes
        leave free (see :ref:`thread_policy`). ``"torch"``: leave torch's
        thread count alone. An integer: exactly that many threads during
        each call (a fit then gives the same model for the same integer).
        ``None`` keeps the current value.

    See Also
    --------
    get_config : The current configuration.
    config_context : Change the configuration for a block of code.

    Examples
    --------
    >>> import physml_sklearn
    >>> physml_sklearn.set_config(torch_threads=1)
    >>> physml_sklearn.get_config()["torch_threads"]
    1
    >>> physml_sklearn.set_config(torch_threads="auto")
    """
    current = get_config()
    if torch_threads is not None:
        current["torch_threads"] = _check_torch_threads(torch_threads, "torch_threads")
    with _lock:
        _config.update(current)


@contextmanager
def config_context(*, torch_threads=None):
    """Change the configuration of physml_sklearn inside a ``with`` block.

    Parameters
    ----------
    torch_threads : {"auto", "torch"} or int, default=None
        As in :func:`set_config`; ``None`` keeps the current value.

    Yields
    ------
    None

    See Also
    --------
    set_config : Change the configuration for the rest of the process.

    Examples
    --------
    >>> import physml_sklearn
    >>> with physml_sklearn.config_context(torch_threads="torch"):
    ...     physml_sklearn.get_config()["torch_threads"]
    'torch'
    >>> physml_sklearn.get_config()["torch_threads"] != "torch" or None
    True
    """
    previous = get_config()
    set_config(torch_threads=torch_threads)
    try:
        yield
    finally:
        with _lock:
            _config.clear()
            _config.update(previous)


def n_parameters(module):
    """Number of weights of ``module`` (a forward pass costs one multiply-add each per row)."""
    return sum(p.numel() for p in module.parameters())


def policy_threads(work, available=None, *, fitting=False):
    """Torch threads for a call of ``work`` multiply-adds under the current config.

    ``available`` is the thread count torch was set to (default
    ``torch.get_num_threads()``). Inside a fit (``fitting``), ``"auto"``
    means one thread (see the module docstring); outside, the work and
    the free cores decide. Returns None when torch's own setting is to be
    left alone.
    """
    setting = get_config()["torch_threads"]
    if setting == "torch":
        return None
    if setting != "auto":
        return setting
    if fitting:
        return 1
    if available is None:
        import torch

        available = torch.get_num_threads()
    n_threads = max(1, min(available, int(work // WORK_PER_THREAD)))
    if n_threads > 1:
        free = free_cores()
        if free is not None:
            n_threads = max(1, min(n_threads, int(free + 0.5)))
    return n_threads


def _cpu_times(cpus):
    """Idle and total clock ticks of the CPUs ``cpus``, from /proc/stat."""
    idle = total = 0
    with open("/proc/stat", "rb") as f:
        for line in f:
            if not line.startswith(b"cpu"):
                break
            name, *fields = line.split()
            if name == b"cpu" or int(name[3:]) not in cpus:
                continue
            # user nice system idle iowait irq softirq steal (guest time is in user)
            ticks = [int(x) for x in fields[:8]]
            idle += ticks[3] + ticks[4]
            total += sum(ticks)
    return idle, total


_load = {"reading": None, "free": None}


def _reading(cpus):
    import time

    idle, total = _cpu_times(cpus)
    return time.monotonic(), idle, total, time.process_time()


def _free_between(cpus, before, after):
    """Cores of ``cpus`` that other processes left idle between two readings.

    The CPU time of this process over the interval is subtracted from the
    busy time of the cores, so its own training does not count as load.
    """
    _, idle0, total0, own0 = before
    _, idle1, total1, own1 = after
    elapsed = total1 - total0
    if elapsed <= 0:
        return None
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    busy_others = max(0.0, (elapsed - (idle1 - idle0)) - (own1 - own0) * ticks_per_second)
    return max(0.0, len(cpus) * (1.0 - busy_others / elapsed))


def free_cores(max_age=None):
    """Cores of this process's CPU set that other processes leave idle, or None.

    Measured from ``/proc/stat`` (Linux only; None elsewhere or when it
    cannot be read) over the time since the previous measurement, with the
    CPU time of this process subtracted. A measurement younger than
    ``max_age`` seconds (default :data:`LOAD_MAX_AGE`) is reused; when the
    previous one is older than :data:`LOAD_WINDOW` seconds, a fresh one is
    taken over :data:`LOAD_SAMPLE` seconds (the shortest interval measured).
    So calls in quick succession,
    the fits of a search, cost nothing but a read of ``/proc/stat``.
    """
    import time

    max_age = LOAD_MAX_AGE if max_age is None else max_age
    with _lock:
        previous, free = _load["reading"], _load["free"]
        if previous is not None and time.monotonic() - previous[0] < max_age:
            return free
        try:
            cpus = os.sched_getaffinity(0)
            age = None if previous is None else time.monotonic() - previous[0]
            if age is None or age > LOAD_WINDOW:
                previous = _reading(cpus)
                time.sleep(LOAD_SAMPLE)
            elif age < LOAD_SAMPLE:  # too short to count the ticks of the cores
                time.sleep(LOAD_SAMPLE - age)
            current = _reading(cpus)
        except (AttributeError, OSError, ValueError):
            _load.update(reading=None, free=None)
            return None
        free = _free_between(cpus, previous, current)
        _load.update(reading=current, free=free)
        return free


# calls inside a thread_policy block, process-wide, and torch's setting before the first
_active = {"depth": 0, "saved": None}
# whether the Python thread is inside a fit (see fit_threads)
_fitting = threading.local()


@contextmanager
def fit_threads():
    """Inside the block, this Python thread computes as a fit does.

    A fit runs under it (``NeuralEstimator._fit``): under ``"auto"`` every
    call inside runs on one thread, so the fit's numbers never depend on
    the load of the machine. Nested blocks are fine.
    """
    depth = getattr(_fitting, "depth", 0)
    _fitting.depth = depth + 1
    try:
        yield
    finally:
        _fitting.depth = depth


@contextmanager
def thread_policy(module, n_rows, *, training=False):
    """Run the block with the threads the policy gives to ``module`` on ``n_rows`` rows.

    ``n_rows`` is the mini-batch size when ``training``, the number of rows
    predicted otherwise. Training, and anything inside :func:`fit_threads`,
    runs on one thread under ``"auto"``; a prediction on as many as its work
    pays for and the free cores allow (see the module docstring). On other
    devices than the CPU nothing changes.
    torch's thread count is one setting for the whole process, so calls that
    overlap (fits in several Python threads, as in a Dask worker with
    several threads) share it: the cap is torch's setting before the first
    of them, and the last one to finish restores it.
    """
    import torch

    params = list(module.parameters())
    on_cpu = all(p.device.type == "cpu" for p in params)
    work = n_rows * sum(p.numel() for p in params) * (TRAINING_COST if training else 1)
    with _lock:
        saved = torch.get_num_threads() if _active["depth"] == 0 else _active["saved"]
        fitting = training or getattr(_fitting, "depth", 0) > 0
        n_threads = policy_threads(work, saved, fitting=fitting) if on_cpu else None
        if n_threads is None:
            n_threads = torch.get_num_threads()
        _active["depth"] += 1
        _active["saved"] = saved
        if n_threads != torch.get_num_threads():
            torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        with _lock:
            _active["depth"] -= 1
            if _active["depth"] == 0 and torch.get_num_threads() != saved:
                torch.set_num_threads(_active["saved"])
