"""``python -m physml_sklearn``: the same as the ``physml-sklearn`` command."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
