"""Parameter checks shared by the dataset generators.

Each check raises a ``ValueError`` that names the parameter, shows the value that
was passed and says what is allowed, in the manner of scikit-learn.
"""

import numbers

import numpy as np


def check_n_samples(n_samples, *, minimum=1, reason="", row_bytes=None):
    """Return `n_samples` as an int, or raise if it is not an integer >= `minimum`.

    With ``row_bytes`` (the memory a generator takes per row at its peak,
    measured), a sample larger than the free memory raises ``MemoryError``
    before anything is drawn: numpy would hand out the first arrays of a
    too-large sample and the machine would start swapping before the
    failure.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise ValueError(
            f"`n_samples` must be an integer >= {minimum}{reason}; "
            f"got {n_samples!r} of type {type(n_samples).__name__}."
        )
    if n_samples < minimum:
        raise ValueError(
            f"`n_samples` must be an integer >= {minimum}{reason}; got {n_samples!r}."
        )
    if row_bytes is not None:
        from .._memory import available_memory

        free = available_memory()
        need = int(n_samples) * int(row_bytes)
        if free is not None and need > free:
            raise MemoryError(
                f"`n_samples`={int(n_samples):,} takes about {need / 1e9:.3g} GB while it "
                f"is generated, more than the {free / 1e9:.3g} GB of memory available; "
                f"generate at most about {free // int(row_bytes):,} rows at a time (with "
                "other random_state values for more)."
            )
    return int(n_samples)


def check_real(value, name, *, low=None, strict=False):
    """Return `value` as a finite float; optionally require ``value >= low``.

    With ``strict=True`` the bound is exclusive (``value > low``).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"`{name}` must be a real number; got {value!r} of type "
            f"{type(value).__name__}."
        )
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"`{name}` must be finite; got {value!r}.")
    if low is not None and (value <= low if strict else value < low):
        relation = ">" if strict else ">="
        raise ValueError(f"`{name}` must be {relation} {low:g}; got {value!r}.")
    return value


def check_pair(value, name):
    """Return `value` as a tuple of two finite floats."""
    try:
        pair = tuple(value)
    except TypeError:
        pair = None
    if pair is None or len(pair) != 2:
        raise ValueError(
            f"`{name}` must be a pair of two real numbers, e.g. (0.0, 1.0); "
            f"got {value!r}."
        )
    return tuple(check_real(v, f"{name}[{i}]") for i, v in enumerate(pair))


def check_bool(value, name):
    """Return `value` as a bool, accepting Python and NumPy booleans only."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(
            f"`{name}` must be True or False; got {value!r} of type "
            f"{type(value).__name__}."
        )
    return bool(value)
