"""Data sets for physics machine learning.

Toy collider events (:func:`make_diboson`), two-dimensional curves for generative
models (:func:`make_cubic`, :func:`make_ellipse`), a toy calorimeter for fast
simulation (:func:`make_calorimeter`), two samples with a known density ratio
for reweighting (:func:`make_reweighting`), boosted W jets against QCD jets for
decorrelated taggers (:func:`make_wtagging`), blurred images for autoencoders
(:func:`load_blurred_digits`), and the user's own event files: ROOT, Parquet,
CSV or HDF5 (:func:`load_ntuples`).
"""

from ._calorimeter import make_calorimeter
from ._diboson import make_diboson
from ._digits import load_blurred_digits
from ._ntuples import load_ntuples
from ._reweighting import make_reweighting
from ._toys import make_cubic, make_ellipse
from ._wtagging import make_wtagging

__all__ = [
    "load_blurred_digits",
    "load_ntuples",
    "make_calorimeter",
    "make_cubic",
    "make_diboson",
    "make_ellipse",
    "make_reweighting",
    "make_wtagging",
]
