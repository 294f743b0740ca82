"""Shared helpers of the working-point Displays."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import check_is_fitted


def signal_score(estimator, X, y, pos_label):
    """``(is_signal, score)`` of a fitted classifier: the output for ``pos_label``.

    A binary classifier's signal is ``classes_[1]`` unless ``pos_label`` says
    otherwise; a multiclassifier needs ``pos_label`` and gives the probability
    of that class (e.g. the ZZ output of a WZ / ZZ / ttZ network), everything
    else being background.
    """
    check_is_fitted(estimator)
    classes = np.asarray(estimator.classes_)
    if pos_label is None:
        if classes.size != 2:
            raise ValueError(
                f"{type(estimator).__name__} has {classes.size} classes "
                f"{classes.tolist()}; pass pos_label= the signal class."
            )
        pos_label = classes[1]
    hits = np.flatnonzero(classes == pos_label)
    if hits.size == 0:
        raise ValueError(
            f"pos_label={pos_label!r} is not one of the classes {classes.tolist()}."
        )
    index = int(hits[0])
    if hasattr(estimator, "predict_proba"):
        score = np.asarray(estimator.predict_proba(X))[:, index]
    elif hasattr(estimator, "decision_function") and classes.size == 2:
        score = np.asarray(estimator.decision_function(X)).ravel()
        score = score if index == 1 else -score
    elif hasattr(estimator, "decision_function"):
        score = np.asarray(estimator.decision_function(X))[:, index]
    else:
        raise ValueError(
            f"{type(estimator).__name__} has neither predict_proba nor "
            "decision_function; a working point needs a continuous score."
        )
    return (np.asarray(y) == pos_label).astype(int), score
