"""The page of the report: sections, figures as data URIs, the template.

Figures are embedded as base64 PNG images and the style sheet is inline, so
the page opens anywhere without a network or the files beside it.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import base64
import html
import io
from importlib import resources
from string import Template

__all__ = ["Section", "figure_html", "render", "table_html"]


def figure_html(fig, alt, *, dpi=100):
    """A matplotlib figure as an ``<img>`` tag holding the PNG; closes the figure."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def table_html(frame, *, float_format="{:.4g}", css="data", index=False):
    """A DataFrame as an HTML table."""
    return frame.to_html(
        index=index, classes=css, border=0, float_format=float_format.format,
        escape=True, na_rep="",
    )


class Section:
    """One section of the report: an anchor, a title and HTML content."""

    def __init__(self, anchor, title, body=""):
        self.anchor, self.title, self.parts = anchor, title, [body] if body else []

    def add(self, *parts):
        self.parts.extend(parts)
        return self

    def html(self):
        return (
            f'<section id="{self.anchor}">\n<h2>{html.escape(self.title)}</h2>\n'
            + "\n".join(self.parts) + "\n</section>"
        )


def paragraph(text, css="note"):
    """A paragraph of (escaped) prose."""
    return f'<p class="{css}">{html.escape(text)}</p>'


def render(title, subtitle, sections, footer):
    """The whole page from its sections."""
    template = Template(
        resources.files(__package__).joinpath("template.html").read_text(encoding="utf-8")
    )
    nav = " ".join(
        f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections
    )
    return template.substitute(
        title=html.escape(title),
        subtitle=html.escape(subtitle),
        nav=nav,
        sections="\n".join(s.html() for s in sections),
        footer=html.escape(footer),
    )
