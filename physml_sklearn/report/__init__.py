"""The analysis report: one self-contained HTML page for a signal/background classifier.

:func:`write_report` builds the page that ``physml-sklearn train`` writes,
from any fitted classifier: figures embedded as base64 PNG images and the
style sheet inline, so the page opens anywhere without a network or the
files beside it. matplotlib is imported only when a page is written.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from ._write import write_report

__all__ = ["write_report"]
