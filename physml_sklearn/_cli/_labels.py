"""The class names ``train`` gives the events and ``apply`` looks for in a model.

A module of its own, so that ``apply`` does not import ``train`` (and, through
the progress display, skorch and torch) for two strings.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

SIGNAL, BACKGROUND = "signal", "background"
