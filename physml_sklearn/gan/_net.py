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
    """Generate rows at the end of the given epochs, into ``net.snapshots_``.

    ``net.snapshots_`` maps an epoch to ``(rows, conditions)`` (conditions
    None for an unconditional model).

    The rows are on the networks' (normal) scale; the same latent points
    (drawn with ``seed``) and, for a conditional model, the conditions of the
    first training rows are used at every epoch, so the snapshots show the
    same samples moving, and the training's random numbers are untouched.
    """

    def __init__(self, epochs, max_samples=SNAPSHOT_ROWS, seed=0):
        self.epochs = epochs
        self.max_samples = max_samples
        self.seed = seed

    def on_train_begin(self, net, X=None, **kwargs):
        self.n_samples_ = min(len(X), self.max_samples) if X is not None else self.max_samples
        self.conditions_ = None
        if net.n_conditions and X is not None:
            self.conditions_ = X.y[: self.n_samples_].cpu()

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        if epoch in self.epochs:
            rows = net.generate(self.n_samples_, torch_generator(self.seed), self.conditions_)
            conditions = None if self.conditions_ is None else self.conditions_.numpy()
            net.snapshots_[epoch] = (rows.numpy(), conditions)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("conditions_", None)
        return state


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

    With ``pack > 1`` the discriminator judges the rows ``pack`` at a time
    (PacGAN, Lin et al. 2018): its input is ``pack`` rows side by side, all
    real or all generated. A generator that drops a part of the distribution
    (an arc of an ellipse) makes packs that look alike, which a discriminator
    of packs sees at once. ``generated_per_real`` rows are generated per real
    row of a batch.

    With ``n_conditions > 0`` the model is conditional: the target of each
    batch holds the conditions of its real rows, both networks take them as
    extra inputs (after the latent vector, after the row), and the rows
    generated in a step are made for the conditions of its real rows.
    """

    def __init__(self, module, *, discriminator, latent_dim, n_critic=1, n_conditions=0,
                 pack=1, generated_per_real=GENERATED_PER_REAL, **kwargs):
        # set before NeuralNet.__init__: afterwards skorch only accepts torch
        # modules inside the initialize_* methods
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.n_conditions = n_conditions
        self.pack = pack
        self.generated_per_real = generated_per_real
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
        self.snapshots_ = {}
        return self

    # -- training -----------------------------------------------------------
    def train_step(self, batch, **fit_params):
        real, target = batch
        target, weight = target if isinstance(target, tuple) else (target, None)
        pack = self.pack
        short = -real.shape[0] % pack
        if short:
            # a batch that does not fill its last pack repeats its first rows
            real = torch.cat([real, real[:short]])
            if isinstance(target, torch.Tensor):
                target = torch.cat([target, target[:short]])
            if weight is not None:
                weight = torch.cat([weight, weight[:short]])
        n = real.shape[0]
        generator, discriminator = self.module_, self.discriminator_
        m = n * self.generated_per_real
        cond = target if self.n_conditions else None
        cond_fake = None if cond is None else cond.repeat(self.generated_per_real, 1)

        def critic(rows, c=None):
            # rows (with their conditions) go to the discriminator ``pack`` at a time
            if cond is not None:
                rows = torch.cat([rows, cond_fake[: rows.shape[0]] if c is None else c], dim=1)
            return discriminator(rows.reshape(rows.shape[0] // pack, -1))

        def generate(z):
            return generator(z if cond is None else torch.cat([z, cond_fake], dim=1))

        with torch.no_grad():
            fake = generate(torch.randn(m, self.latent_dim, device=real.device))
        self.optimizer_discriminator_.zero_grad(set_to_none=True)
        logits = critic(torch.cat([real, fake]),
                        None if cond is None else torch.cat([cond, cond_fake]))
        if weight is not None and pack > 1:
            weight = weight.reshape(-1, pack).mean(dim=1)
        loss = self.criterion_.discriminator_loss(logits[: n // pack], logits[n // pack:], weight)
        penalty = self.criterion_.penalty(critic, real, fake[:n])
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
            generator_loss = self.criterion_.generator_loss(critic(generate(z)))
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

    def reference_losses(self, data, max_rows=None, *, seed=0):
        """None: no loss of a GAN is checked for growth (see :meth:`mean_loss`)."""
        return None

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
    def generate(self, n_samples, generator=None, conditions=None, *, average=True):
        """``n_samples`` rows on the networks' scale as a float32 CPU tensor.

        The latent vectors are standard normal, drawn on the CPU from the
        :class:`torch.Generator` ``generator`` (the global one when None), so
        a seed gives the same rows on every device. ``conditions`` (a float32
        tensor of shape (n_samples, n_conditions)) is required by a
        conditional model. ``average`` uses the moving average of the
        generator weights, else the current weights.
        """
        z = torch.randn(int(n_samples), self.latent_dim, generator=generator)
        if self.n_conditions:
            z = torch.cat([z, conditions.to(z.dtype)], dim=1)
        module = self.generator_average_ if average else self.module_
        return self.forward_chunks(z, module=module)
