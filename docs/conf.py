"""Sphinx configuration of the physml_sklearn documentation.

Build with ``make -C docs html``; the HTML lands in ``docs/_build/html``.
The gallery (``examples/plot_*.py``) is executed during the build by
sphinx-gallery; ``make -C docs html-noplot`` skips running it.
"""

import os
import sys
from datetime import date

from docutils import nodes

# Plots are rendered off-screen, before anything imports matplotlib.
os.environ.setdefault("MPLBACKEND", "Agg")

import physml_sklearn  # noqa: E402  (after the environment is set)
import torch  # noqa: E402

# The gallery's networks are small: one intra-op thread runs them as fast as
# two and cannot be slowed down by contention for the cores.
torch.set_num_threads(1)

# -- Project -----------------------------------------------------------------

project = "physml-sklearn"
author = "The physml_sklearn developers"
copyright = f"{date.today().year}, {author}"
release = physml_sklearn.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"
nitpicky = False

# autodoc / autosummary: one page per public name, written to generated/ from
# the templates in _templates/autosummary/ (classes with all their members,
# inherited ones included, and the gallery examples that use each name).
autosummary_generate = True
autodoc_typehints = "none"

# numpydoc renders the docstrings; the class template lists the members, so
# numpydoc does not add a second table of them.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Gallery -----------------------------------------------------------------
#
# The gallery follows the order of the course, not the alphabet: the list is
# COURSE_ORDER in gallery_order.py, next to this file (a module, so that the
# sort key is named by a string and the configuration stays picklable).

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "doc_module": ("physml_sklearn",),
    "reference_url": {"physml_sklearn": None},
    "backreferences_dir": "generated/backreferences",
    "show_memory": False,
    "remove_config_comments": True,
    "within_subsection_order": "gallery_order.CourseOrder",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"physml-sklearn {release}"
html_static_path = []
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"install": [], "index": []}
html_show_sourcelink = True


# -- Links into scikit-learn's documentation ---------------------------------
#
# The estimators inherit methods from scikit-learn (``score``, ``set_output``,
# ``get_metadata_routing``, ``set_fit_request`` ...) and with them docstrings
# that cross-reference scikit-learn's own user guide. The build runs without
# network access, hence without intersphinx; these references, and only those
# made in docstrings that come from scikit-learn, are turned into links to
# scikit-learn.org here.

SKLEARN_DOCS = "https://scikit-learn.org/stable/"
SKLEARN_LABELS = {
    "accuracy_score": "modules/model_evaluation.html#accuracy-score",
    "df_output_transform": "modules/df_output_transform.html",
    "metadata_routing": "metadata_routing.html",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py": (
        "auto_examples/miscellaneous/plot_set_output.html"
    ),
}


def link_sklearn_references(app, env, node, contnode):
    """Resolve a reference from an inherited scikit-learn docstring to its URL."""
    from_sklearn = "docstring of sklearn." in (node.source or "")
    if node.get("refdomain") != "std" or not from_sklearn:
        return None
    target = node.get("reftarget", "")
    if node["reftype"] == "ref" and target in SKLEARN_LABELS:
        url = SKLEARN_DOCS + SKLEARN_LABELS[target]
    elif node["reftype"] == "term":
        url = SKLEARN_DOCS + "glossary.html#term-" + target.lower().replace(" ", "-")
    else:
        return None
    reference = nodes.reference("", "", internal=False, refuri=url)
    reference += contnode
    return reference


def setup(app):
    app.connect("missing-reference", link_sklearn_references)
