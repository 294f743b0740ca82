"""The thread policy: how many torch threads a fit or a prediction uses.

PyTorch runs every operation on ``torch.get_num_threads()`` threads (one per
core by default). For the small networks of physics analyses that is a bad
bargain: a mini-batch step of a few million multiply-adds is over before a
second thread has paid for its start, and when another process keeps the
cores busy, threads that wait for each other at every operation make
training several times slower than one thread would be.

So every fit and every prediction runs with as many threads as its work
pays for — one thread per :data:`WORK_PER_THREAD` multiply-adds in one step
(a mini-batch when training, the whole call when predicting), at least one,
never more than ``torch.get_num_threads()`` — and gives torch its setting back
afterwards. Nothing here starts a thread or a pool: the policy only lowers
the number of threads torch already has, for the duration of the call.

Users override it with :func:`set_config` / :func:`config_context` or the
environment variable ``PHYSML_SKLEARN_TORCH_THREADS``.
"""

import os
import threading
from contextlib import contextmanager
from numbers import Integral

#: multiply-adds of one step that pay for one thread (see the module docstring)
WORK_PER_THREAD = 2**28
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
        f"{source} must be 'auto' (threads by the work of each step, the default), "
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
        ``"auto"``: each fit and prediction uses as many threads as the work
        of one step pays for, never more than ``torch.get_num_threads()``
        (see :ref:`thread_policy`). ``"torch"``: leave torch's thread count
        alone. An integer: exactly that many threads during each call.
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


def policy_threads(work, available=None):
    """Torch threads for a step of ``work`` multiply-adds under the current config.

    ``available`` is the thread count torch was set to (default
    ``torch.get_num_threads()``). Returns None when torch's own setting is to
    be left alone.
    """
    setting = get_config()["torch_threads"]
    if setting == "torch":
        return None
    if setting != "auto":
        return setting
    if available is None:
        import torch

        available = torch.get_num_threads()
    return max(1, min(available, int(work // WORK_PER_THREAD)))


# calls inside a thread_policy block, process-wide, and torch's setting before the first
_active = {"depth": 0, "saved": None}


@contextmanager
def thread_policy(module, n_rows, *, training=False):
    """Run the block with the threads the policy gives to ``module`` on ``n_rows`` rows.

    ``n_rows`` is the mini-batch size when ``training``, the number of rows
    predicted otherwise. On other devices than the CPU nothing changes.
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
        n_threads = policy_threads(work, saved) if on_cpu else None
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
