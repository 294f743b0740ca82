"""Display objects in scikit-learn's style; matplotlib is imported only on use."""

from ._reconstruction import ReconstructionDisplay

__all__ = [
    "ReconstructionDisplay",
]
