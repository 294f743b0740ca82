"""Display objects in scikit-learn's style; matplotlib is imported only on use."""

__all__ = []
