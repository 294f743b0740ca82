"""Names from the user's files on a figure: shown as typed when they are not mathtext."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import re

_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")


def plain_label(text):
    """``text`` as a matplotlib label that always draws.

    Matplotlib reads a text with an even number of unescaped ``$`` as
    mathtext, and raises at draw time when that does not parse: a column
    named ``a$\\frac{b$`` would stop a figure (and a whole report) from
    being saved. A text whose mathtext parses (``$p_T$ [GeV]``) is kept, so
    that names written for matplotlib render as intended; any other has its
    dollar signs escaped and is shown exactly as typed.
    """
    from matplotlib.cbook import is_math_text

    text = str(text)
    if not is_math_text(text):
        return text
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    try:
        MathTextParser("path").parse(text, 72, FontProperties())
    except ValueError:
        return _UNESCAPED_DOLLAR.sub(r"\\$", text)
    return text
