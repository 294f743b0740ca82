"""Generative adversarial networks: learn a distribution, then sample from it."""

from ._sampler import GANSampler

__all__ = ["GANSampler"]
