"""Data sets for physics machine learning.

Toy collider events (:func:`make_diboson`), two-dimensional curves for generative
models (:func:`make_cubic`, :func:`make_ellipse`), a toy calorimeter for fast
simulation (:func:`make_calorimeter`) and blurred images for autoencoders
(:func:`load_blurred_digits`).
"""

from ._calorimeter import make_calorimeter
from ._diboson import make_diboson
from ._digits import load_blurred_digits
from ._toys import make_cubic, make_ellipse

__all__ = [
    "load_blurred_digits",
    "make_calorimeter",
    "make_cubic",
    "make_diboson",
    "make_ellipse",
]
