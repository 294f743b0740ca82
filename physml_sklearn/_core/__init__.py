"""The estimator core shared by every neural estimator of the package.

Private: the public estimators live in :mod:`physml_sklearn`.
"""
