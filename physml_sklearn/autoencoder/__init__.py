"""Autoencoders: nonlinear dimensionality reduction, deblurring and anomaly detection."""

from ._autoencoder import AutoEncoder
from ._outlier import AutoEncoderOutlierDetector

__all__ = ["AutoEncoder", "AutoEncoderOutlierDetector"]
