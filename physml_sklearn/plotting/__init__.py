"""Display objects in scikit-learn's style; matplotlib is imported only on use."""

from ._feature_importance import FeatureImportanceDisplay
from ._gan_samples import GANSamplesDisplay
from ._loss_curve import LossCurveDisplay
from ._reconstruction import ReconstructionDisplay
from ._rejection_curve import RejectionCurveDisplay
from ._resolution import ResolutionDisplay
from ._reweighting import ReweightingDisplay
from ._score_distribution import ScoreDistributionDisplay
from ._sculpting import SculptingDisplay
from ._significance import SignificanceDisplay

__all__ = [
    "FeatureImportanceDisplay",
    "GANSamplesDisplay",
    "LossCurveDisplay",
    "ReconstructionDisplay",
    "RejectionCurveDisplay",
    "ReweightingDisplay",
    "ResolutionDisplay",
    "ScoreDistributionDisplay",
    "SculptingDisplay",
    "SignificanceDisplay",
]
