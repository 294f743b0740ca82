"""The two-network skorch net: generator and discriminator trained in turn."""

import copy
import math

import torch
from skorch.callbacks import Callback, PassthroughScoring
from skorch.utils import TeeGenerator

from .._core._modules import torch_generator
from .._core._net import DivergedError, PhysNet

#: decay of the moving average of the generator weights that ``sample`` uses
EMA_DECAY = 0.99
#: fraction of a fit's steps at the full learning rates before they anneal
HOLD_FRACTION = 0.7
#: generated rows per real row in each step: a fuller picture of the
#: generated distribution steadies both networks' gradients
GENERATED_PER_REAL = 4
#: rows generated per snapshot: as many as the training rows, at most this
SNAPSHOT_ROWS = 2000


class HoldThenAnneal(Callback):
    """Both learning rates held, then cosine-annealed to zero, over one fit.

    The first ``hold`` fraction of the discriminator steps of a call to
    ``fit`` run at the full learning rates; over the rest they fall along a
    half cosine to zero, which settles the generator on the data instead of
    leaving it jittering around them. A call that trains one epoch
    (``partial_fit``) keeps them constant.
    """

    def __init__(self, hold=HOLD_FRACTION):
        self.hold = hold

    def on_train_begin(self, net, X=None, **kwargs):
        epochs = getattr(net, "epochs_planned", 1)
        n_batches = math.ceil(len(X) / net.batch_size) if X is not None else 0
        self.total_steps_ = epochs * n_batches if epochs > 1 else 0
        self.step_ = 0
        self._scale(net, 1.0)

    def on_batch_begin(self, net, training=False, **kwargs):
        if training and self.total_steps_:
            self._scale(net, self.factor(self.step_ / self.total_steps_))
            self.step_ += 1

    def on_train_end(self, net, **kwargs):
        self._scale(net, 1.0)

    def factor(self, progress):
        """The fraction of the full learning rates after ``progress`` of the steps."""
        if progress < self.hold:
            return 1.0
        return 0.5 * (1.0 + math.cos(math.pi * (progress - self.hold) / (1.0 - self.hold)))

    @staticmethod
    def _scale(net, factor):
        for optimizer in (net.optimizer_, net.optimizer_discriminator_):
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
                group["lr"] = group["initial_lr"] * factor


class SampleSnapshots(Callback):
    """Generate rows at the end of the given epochs, into ``samples_``.

    The rows are standardised, as the net sees them; the same latent points
    (drawn with ``seed``) are used at every epoch, so the snapshots show the
    same samples moving, and the training's random numbers are untouched.
    """

    def __init__(self, epochs, max_samples=SNAPSHOT_ROWS, seed=0):
        self.epochs = epochs
        self.max_samples = max_samples
        self.seed = seed

    def on_train_begin(self, net, X=None, **kwargs):
        self.samples_ = {}
        self.n_samples_ = min(len(X), self.max_samples) if X is not None else self.max_samples

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        if epoch in self.epochs:
            rows = net.generate(self.n_samples_, torch_generator(self.seed))
            self.samples_[epoch] = rows.numpy()


class GANNet(PhysNet):
    """The skorch net of :class:`GANSampler`: a generator against a discriminator.

    ``module_`` is the generator (latent vectors in, rows out) and
    ``discriminator_`` the discriminator (rows in, one logit out), each with
    its own optimizer, ``optimizer_`` and ``optimizer_discriminator_``
    (configured through ``optimizer__*`` and ``optimizer_discriminator__*``).
    ``generator_average_`` holds an exponential moving average of the
    generator's weights, which :meth:`generate` uses. ``criterion_`` is a
    :class:`BCEGANLoss` or :class:`WassersteinGPLoss`.

    Each training batch of real rows makes one discriminator step; every
    ``n_critic``-th discriminator step is followed by a generator step. The
    batch losses are recorded as ``discriminator_loss`` and
    ``generator_loss`` (and the discriminator's as ``train_loss``).
    """

    def __init__(self, module, *, discriminator, latent_dim, n_critic=1, **kwargs):
        # set before NeuralNet.__init__: afterwards skorch only accepts torch
        # modules inside the initialize_* methods
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        super().__init__(module, **kwargs)

    def get_default_callbacks(self):
        return [
            *super().get_default_callbacks(),
            *(
                (name, PassthroughScoring(name=name, lower_is_better=None, on_train=True))
                for name in ("generator_loss", "discriminator_loss")
            ),
        ]

    # -- the skorch way: extra modules and optimizers in initialize_* ------
    def initialize_module(self):
        super().initialize_module()
        self.discriminator_ = self.initialized_instance(
            self.discriminator, self.get_params_for("discriminator")
        )
        self.generator_average_ = copy.deepcopy(self.module_).requires_grad_(False)
        return self

    def initialize_optimizer(self, triggered_directly=None):
        for name, module in (("optimizer", self.module_),
                             ("optimizer_discriminator", self.discriminator_)):
            args, kwargs = self.get_params_for_optimizer(name, module.named_parameters())
            setattr(self, name + "_", self.optimizer(*args, **kwargs))
        return self

    def initialize_history(self):
        super().initialize_history()
        self.discriminator_steps_ = 0
        self.generator_steps_ = 0
        return self

    # -- training -----------------------------------------------------------
    def train_step(self, batch, **fit_params):
        real, target = batch
        weight = target[1] if isinstance(target, tuple) else None
        n = real.shape[0]
        generator, discriminator = self.module_, self.discriminator_

        m = n * GENERATED_PER_REAL
        with torch.no_grad():
            fake = generator(torch.randn(m, self.latent_dim, device=real.device))
        self.optimizer_discriminator_.zero_grad(set_to_none=True)
        logits = discriminator(torch.cat([real, fake]))
        loss = self.criterion_.discriminator_loss(logits[:n], logits[n:], weight)
        penalty = self.criterion_.penalty(discriminator, real, fake[:n])
        if penalty is not None:
            loss = loss + penalty
        loss.backward()
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(discriminator.named_parameters()),
            batch=batch,
            training=True,
        )
        self.optimizer_discriminator_.step()
        self._record("discriminator_loss", loss.item())
        self.discriminator_steps_ += 1

        if self.discriminator_steps_ % self.n_critic == 0:
            self.optimizer_.zero_grad(set_to_none=True)
            z = torch.randn(m, self.latent_dim, device=real.device)
            generator_loss = self.criterion_.generator_loss(discriminator(generator(z)))
            generator_loss.backward(inputs=list(generator.parameters()))
            self.notify(
                "on_grad_computed",
                named_parameters=TeeGenerator(generator.named_parameters()),
                batch=batch,
                training=True,
            )
            self.optimizer_.step()
            self._record("generator_loss", generator_loss.item())
            self.generator_steps_ += 1
            self._update_average()
        return {"loss": loss.detach(), "y_pred": fake}

    def mean_loss(self, data, max_rows=None, *, return_rows=False):
        """None: a GAN's losses measure the balance of its two networks, so
        their growth over a fit is no sign of divergence."""
        return (None, None, None) if return_rows else None

    def _record(self, name, value):
        if not math.isfinite(value):
            lr_g = self.optimizer_.param_groups[0].get("initial_lr", self.lr)
            lr_d = self.optimizer_discriminator_.param_groups[0].get("initial_lr", self.lr)
            raise DivergedError(
                f"Training diverged: the {name.replace('_', ' ')} became {value} in "
                f"epoch {len(self.history)}, so the generated samples would be NaN. "
                f"Lower the learning rates (lr_generator={lr_g:g}, lr_discriminator="
                f"{lr_d:g} now), e.g. by a factor of 10."
            )
        self.history.record_batch(name, value)

    def _update_average(self):
        # the decay grows from 0.1 to EMA_DECAY over the first updates, so
        # that the average does not drag the initial weights along
        t = self.generator_steps_
        decay = min(EMA_DECAY, (1.0 + t) / (10.0 + t))
        with torch.no_grad():
            for avg, param in zip(self.generator_average_.parameters(), self.module_.parameters()):
                avg.lerp_(param, 1.0 - decay)

    # -- sampling -------------------------------------------------------------
    def generate(self, n_samples, generator=None, *, average=True):
        """``n_samples`` standardised rows as a float32 CPU tensor.

        The latent vectors are standard normal, drawn on the CPU from the
        :class:`torch.Generator` ``generator`` (the global one when None), so
        a seed gives the same rows on every device. ``average`` uses the
        moving average of the generator weights, else the current weights.
        """
        z = torch.randn(int(n_samples), self.latent_dim, generator=generator)
        module = self.generator_average_ if average else self.module_
        return self.forward_chunks(z, module=module)
