"""The progress display of ``train`` and ``apply``: steps, folds and epochs on stderr."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import sys
import time
import warnings

from skorch.callbacks import Callback

from .._core._base import EPOCH_LIMIT_WARNING, cut_short


class Progress:
    """Prints which step runs, and during training which fold and epoch.

    On a terminal the epoch line is rewritten in place; in a log file each
    fold ends with one line. ``quiet=True`` prints nothing. The object is
    shared, not copied, by the estimators' clones (``__deepcopy__`` returns
    it), so that the callback of every fold reports to the same display.
    """

    def __init__(self, n_steps, *, quiet=False, stream=None):
        self.n_steps, self.quiet = n_steps, quiet
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.step_index, self.fold, self.n_folds = 0, 0, 0
        self.start = self.step_start = time.perf_counter()

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):  # copies sent to other processes print nothing
        return (Progress, (self.n_steps,), {"quiet": True, "stream": None,
                                            "tty": False, "step_index": self.step_index,
                                            "fold": 0, "n_folds": self.n_folds,
                                            "start": 0.0, "step_start": 0.0})

    def _print(self, text, *, end="\n"):
        if not self.quiet:
            print(text, end=end, file=self.stream, flush=True)

    def step(self, text):
        self.step_index += 1
        self.step_start = time.perf_counter()
        self._print(f"[{self.step_index}/{self.n_steps}] {text}")

    def info(self, text):
        self._print(f"      {text}")

    def begin_fold(self):
        self.fold += 1

    def epoch(self, row, max_epochs):
        text = f"      fold {self.fold}/{self.n_folds}  epoch {row['epoch']:>3}/{max_epochs}"
        text += f"  train loss {row.get('train_loss', float('nan')):.4f}"
        if "valid_loss" in row:
            text += f"  validation loss {row['valid_loss']:.4f}"
        if self.tty:
            self._print("\r" + text, end="")

    def end_fold(self, n_epochs, best_epoch, at_limit=False):
        text = (f"      fold {self.fold}/{self.n_folds}: {n_epochs} epochs, best "
                f"(restored) epoch {best_epoch}, {time.perf_counter() - self.step_start:.0f} s")
        if at_limit:
            text += ("\n      the validation loss was still improving at the last epoch "
                     "allowed: this fold may be undertrained; raise --max-epochs")
        self._print(("\r\033[K" if self.tty else "") + text)
        self.step_start = time.perf_counter()

    def done(self, text):
        self._print(f"{text} ({time.perf_counter() - self.start:.0f} s)")


@contextlib.contextmanager
def epoch_limit_said_by_progress():
    """Silence the networks' warning of a training that ran out of epochs.

    For the fits of a command whose progress display (:class:`EpochProgress`)
    says it under the fit's line, and prints nothing with ``--quiet``.
    """
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=EPOCH_LIMIT_WARNING,
                                category=ConvergenceWarning)
        yield


class EpochProgress(Callback):
    """A skorch callback that reports each epoch of a fit to a :class:`Progress`.

    It lets go of the display when the training ends, so that the fitted
    model holds no reference to the terminal.
    """

    def __init__(self, progress=None):
        self.progress = progress

    def on_train_begin(self, net, **kwargs):
        if self.progress is not None:
            self.progress.begin_fold()

    def on_epoch_end(self, net, **kwargs):
        if self.progress is not None:
            self.progress.epoch(net.history[-1], net.max_epochs)

    def on_train_end(self, net, **kwargs):
        if self.progress is None:
            return
        n_epochs = len(net.history)
        stopper = dict(net.callbacks_).get("early_stopping")
        best = getattr(stopper, "best_epoch_", 0) or n_epochs
        # the epoch limit, not early stopping, ended the training
        at_limit = stopper is not None and cut_short(
            [row["valid_loss"] for row in net.history if "valid_loss" in row],
            tol=stopper.tol, patience=stopper.patience, max_epochs=net.max_epochs)
        self.progress.end_fold(n_epochs, best, at_limit)
        self.progress = None
