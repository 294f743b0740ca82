"""Names of a package imported from its submodules on first use (PEP 562)."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import importlib
import sys


def lazy_exports(package, lazy):
    """The ``__getattr__`` and ``__dir__`` of a package whose names load lazily.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    lazy : dict of str to str
        Each public name -> the submodule, relative to ``package``, that
        defines it.

    Returns
    -------
    getattr, dir : callable
        To be bound to the package's ``__getattr__`` and ``__dir__``. The
        first look-up of a name imports its submodule and stores the name
        in the package, so that later look-ups skip ``__getattr__``.
    """
    namespace = vars(sys.modules[package])

    def __getattr__(name):
        if name in lazy:
            value = getattr(importlib.import_module(f".{lazy[name]}", package), name)
            namespace[name] = value  # later look-ups skip this function
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(lazy))

    return __getattr__, __dir__
