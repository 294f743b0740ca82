"""The two losses a GAN can be trained with."""

import torch
from torch import nn
from torch.nn.functional import softplus

#: weight of the wgan-gp gradient penalty, for data on a normal scale
GRADIENT_PENALTY = 0.1


def _weighted_mean(values, weight):
    values = values.reshape(values.shape[0])
    return values.mean() if weight is None else (values * weight).mean()


class BCEGANLoss(nn.Module):
    """The classic GAN loss on the discriminator's logit.

    The discriminator minimises the binary cross-entropy of real rows
    (label 1) and generated rows (label 0); the generator minimises
    ``-log D(G(z))``, the non-saturating form of Goodfellow et al. (2014).
    """

    def discriminator_loss(self, real, fake, weight=None):
        return _weighted_mean(softplus(-real), weight) + softplus(fake).mean()

    def generator_loss(self, fake):
        return softplus(-fake).mean()

    def penalty(self, critic, real, fake):
        return None


class WassersteinGPLoss(nn.Module):
    """Wasserstein loss with a gradient penalty (Gulrajani et al. 2017).

    The critic maximises ``mean D(real) - mean D(fake)``, an estimate of the
    earth mover's distance, while ``penalty_weight * (|grad D| - 1)**2`` at
    random points between real and generated rows keeps it 1-Lipschitz.
    """

    def __init__(self, penalty_weight=GRADIENT_PENALTY):
        super().__init__()
        self.penalty_weight = penalty_weight

    def discriminator_loss(self, real, fake, weight=None):
        return fake.mean() - _weighted_mean(real, weight)

    def generator_loss(self, fake):
        return -fake.mean()

    def penalty(self, critic, real, fake):
        """The gradient penalty; ``critic`` maps rows to logits."""
        eps = torch.rand(real.shape[0], 1, device=real.device)
        mixed = (eps * real + (1.0 - eps) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
        return self.penalty_weight * ((grad.norm(dim=1) - 1.0) ** 2).mean()
