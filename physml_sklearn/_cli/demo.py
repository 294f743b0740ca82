"""``physml-sklearn demo``.

Runs the package's main jobs end to end on generated data and writes its
figures to an output folder. Each part of the demo is a function
``section(args, out, progress)`` listed in ``SECTIONS``; it announces its steps
and the epochs of its fits on ``progress`` (a :class:`DemoProgress`), prints its
tables and returns the paths of the figures it wrote. The options are parsed in
:mod:`physml_sklearn._cli`.
"""

import os
import sys
import time
from pathlib import Path

from . import CommandError
from ._io import check_can_make

#: seconds between two epoch lines of one fit when the output is not a terminal
PROGRESS_INTERVAL = 2.0


class DemoProgress:
    """Says what the demo is doing: each step, and the epochs of each fit.

    A step is one line (``- training ...``). During a fit, a terminal shows the
    latest epoch on one line rewritten in place; a log file gets the first
    epoch and then one line every ``interval`` seconds, so that a long fit is
    never silent. Each fit ends with one line: its epochs, the epoch whose
    weights were kept and its duration. It is fed by the skorch callback
    :class:`~physml_sklearn._cli._progress.EpochProgress`, shared by the
    copies of the callbacks an estimator makes at each fit.
    """

    def __init__(self, *, stream=None, interval=None, clock=time.perf_counter):
        self.stream = stream or sys.stdout
        self.interval = PROGRESS_INTERVAL if interval is None else interval
        self.clock = clock
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.fit_start = self.last_line = clock()
        self.after_table = False

    def __deepcopy__(self, memo):  # the estimators copy their callbacks at each fit
        return self

    def _print(self, text, *, end="\n"):
        print(text, end=end, file=self.stream, flush=True)

    def step(self, text):
        """Announce a step of the demo."""
        self._print(("\n" if self.after_table else "") + f"- {text}")
        self.after_table = False

    def section(self, name):
        """Start a part of the demo."""
        self._print(f"\n=== {name} ===")
        self.after_table = False

    def table(self, frame, title):
        """Print a table of results under its title."""
        self._print(f"\n{title}\n{'-' * len(title)}")
        self._print(frame.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        self.after_table = True

    def callbacks(self):
        """The ``callbacks`` parameter that makes a network report its epochs here."""
        from ._progress import EpochProgress  # imports skorch

        return [("progress", EpochProgress(self))]

    def begin_fold(self):
        self.fit_start = self.last_line = self.clock()

    def epoch(self, row, max_epochs):
        now = self.clock()
        text = f"    epoch {row['epoch']:>3}/{max_epochs}"
        for key, label in (("train_loss", "training loss"), ("valid_loss", "validation loss"),
                           ("generator_loss", "generator loss"),
                           ("discriminator_loss", "discriminator loss")):
            if key in row and not (key == "train_loss" and "generator_loss" in row):
                text += f"  {label} {float(row[key]):.4f}"
        text += f"  ({now - self.fit_start:.1f} s)"
        if self.tty:
            self._print("\r\033[K" + text, end="")
        elif row["epoch"] == 1 or now - self.last_line >= self.interval:
            self._print(text)
            self.last_line = now

    def end_fold(self, n_epochs, best_epoch, at_limit=False):
        text = f"    {n_epochs} epochs"
        if best_epoch != n_epochs:
            text += f", weights of the best epoch {best_epoch} kept"
        text += f" ({self.clock() - self.fit_start:.1f} s)"
        if at_limit:
            text += ("; the validation loss was still improving at the last epoch "
                     "allowed: a larger --max-epochs may train a better network")
        self._print(("\r\033[K" if self.tty else "") + text)




def _save(fig, out, name):
    from .._io_atomic import atomic_path

    path = Path(out) / name
    # complete or not there: a demo stopped while saving leaves no half image
    # where the previous run's was
    with atomic_path(path) as temporary:
        fig.savefig(temporary, format="png", dpi=110, bbox_inches="tight")
    return path


def demo_classifiers(args, out, progress):
    """WZ vs ZZ with the dropout MLP, then WZ / ZZ / ttZ with the softmax MLP.

    Prints the test performance, the overtraining check (KS test and train/test
    AUC per class), the TMVA efficiency table and the permutation ranking of
    the inputs; writes the loss curve, the overtraining plots and the ranking.
    """
    progress.step(f"generating {args.n_events:,} WZ and ZZ events with make_diboson")
    import matplotlib.pyplot as plt
    import pandas as pd
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import DropoutMLPClassifier, SoftmaxMLPClassifier
    from ..datasets import make_diboson
    from ..inspection import rank_features
    from ..metrics import overtraining_test, signal_efficiency_table
    from ..plotting import (
        FeatureImportanceDisplay,
        LossCurveDisplay,
        ScoreDistributionDisplay,
    )

    rs = args.random_state
    data = make_diboson(args.n_events, processes=("WZ", "ZZ"), random_state=rs, as_frame=True)
    names = list(data.target_names)
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.3, stratify=data.target, random_state=rs
    )
    network = DropoutMLPClassifier(early_stopping=True, max_epochs=args.max_epochs,
                                   random_state=rs, callbacks=progress.callbacks())
    progress.step(
        f"training DropoutMLPClassifier, WZ vs ZZ: {len(X_train):,} events, at most "
        f"{args.max_epochs} epochs ({network.validation_fraction:.0%} of them held out "
        "for early stopping)"
    )
    binary = make_pipeline(StandardScaler(), network).fit(X_train, y_train)
    clf = binary[-1]
    proba_train, proba_test = binary.predict_proba(X_train), binary.predict_proba(X_test)
    summary = pd.DataFrame(
        {
            "task": ["WZ vs ZZ (DropoutMLPClassifier)"],
            "roc_auc": [roc_auc_score(y_test, proba_test[:, 1])],
            "accuracy": [accuracy_score(y_test, binary.predict(X_test))],
            "epochs": [clf.n_iter_],
            "best_epoch": [clf.best_epoch_],
        }
    )
    check = overtraining_test(y_train, proba_train, y_test, proba_test)
    efficiency = signal_efficiency_table(y_train, proba_train, y_test, proba_test)
    progress.step(
        f"ranking the {X_test.shape[1]} inputs: each one shuffled 5 times among the "
        f"{len(X_test):,} test events"
    )
    ranking = rank_features(
        binary, X_test, y_test, scoring="roc_auc", n_repeats=5, random_state=rs
    )

    progress.step(f"generating {args.n_events:,} WZ, ZZ and ttZ events with make_diboson")
    multi_data = make_diboson(
        args.n_events, processes=("WZ", "ZZ", "ttZ"), random_state=rs, as_frame=True
    )
    multi_names = list(multi_data.target_names)
    Xm_train, Xm_test, ym_train, ym_test = train_test_split(
        multi_data.data, multi_data.target, test_size=0.3, stratify=multi_data.target,
        random_state=rs,
    )
    progress.step(
        f"training SoftmaxMLPClassifier, WZ / ZZ / ttZ: {len(Xm_train):,} events, at most "
        f"{args.max_epochs} epochs"
    )
    multi = make_pipeline(
        StandardScaler(),
        SoftmaxMLPClassifier(early_stopping=True, max_epochs=args.max_epochs, random_state=rs,
                             callbacks=progress.callbacks()),
    ).fit(Xm_train, ym_train)
    proba_m_train, proba_m_test = multi.predict_proba(Xm_train), multi.predict_proba(Xm_test)
    summary.loc[1] = [
        "WZ / ZZ / ttZ (SoftmaxMLPClassifier)",
        roc_auc_score(ym_test, proba_m_test, multi_class="ovr"),
        accuracy_score(ym_test, multi.predict(Xm_test)),
        multi[-1].n_iter_,
        multi[-1].best_epoch_,
    ]
    check_multi = overtraining_test(ym_train, proba_m_train, ym_test, proba_m_test)
    check["class"] = [names[c] for c in check["class"]]
    check_multi["class"] = [multi_names[c] for c in check_multi["class"]]

    progress.table(summary, "Test performance (ROC AUC one-vs-rest for the multiclassifier)")
    progress.table(check, "Overtraining check, WZ vs ZZ: KS test of train vs test scores per class")
    progress.table(check_multi, "Overtraining check, WZ / ZZ / ttZ (output node of each class)")
    progress.table(efficiency, f"Signal ({names[1]}) efficiency at fixed background ({names[0]}) "
                       "efficiency, train vs test")
    progress.table(ranking, "Permutation ranking, WZ vs ZZ (drop in test ROC AUC)")

    disp = LossCurveDisplay.from_estimator(binary, name="DropoutMLPClassifier, WZ vs ZZ")
    paths = [_save(disp.figure_, out, "loss_curve.png")]
    # log-scaled counts: the tails, not the peaks, show overtraining
    disp = ScoreDistributionDisplay.from_estimator(
        binary, X_train, y_train, X_test, y_test, class_names=names,
        name="DropoutMLPClassifier, WZ vs ZZ", log=True,
    )
    paths.append(_save(disp.figure_, out, "score_distribution.png"))
    disp = ScoreDistributionDisplay.from_predictions(
        ym_train, proba_m_train, ym_test, proba_m_test, class_names=multi_names,
        name="SoftmaxMLPClassifier", log=True,
    )
    paths.append(_save(disp.figure_, out, "score_distribution_multiclass.png"))
    disp = FeatureImportanceDisplay.from_ranking(ranking, score_name="test ROC AUC")
    disp.ax_.set_title("Permutation importance, DropoutMLPClassifier, WZ vs ZZ")
    paths.append(_save(disp.figure_, out, "feature_importance.png"))
    plt.close("all")
    return paths


#: the DisCo strength of the demo's decorrelated tagger (batches of 1024 jets)
DEMO_DISCO_STRENGTH = 30.0


def demo_decorrelation(args, out, progress):
    """A W tagger that does not sculpt the QCD mass: DisCo against no penalty.

    Trains the same network on ``--n-events`` jets of ``make_wtagging``
    without and with the DisCo penalty (the jet mass passed as
    ``decorrelate``), tests both on as many fresh jets, prints the background
    rejection and the sculpting (1/JSD of the QCD mass that passes and fails
    the cut) at 50 % W efficiency, and draws the QCD mass after successive
    cuts on each.
    """
    progress.step(f"generating {args.n_events:,} training and {args.n_events:,} test jets "
                  "(W against QCD) with make_wtagging")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from sklearn.preprocessing import StandardScaler

    from .. import DropoutMLPClassifier
    from ..datasets import make_wtagging
    from ..metrics import mass_sculpting
    from ..plotting import SculptingDisplay

    rs = args.random_state
    train = make_wtagging(args.n_events, random_state=rs)
    test = make_wtagging(args.n_events, random_state=rs + 1)
    scaler = StandardScaler().fit(train.data)
    X_train, X_test = scaler.transform(train.data), scaler.transform(test.data)
    rows, scores = [], {}
    # 50 mass bins, as the DisCo and MoDe papers use, where the QCD jets fill
    # them; fewer on a small sample, so that a cut passes more jets than bins
    bins = int(np.clip(np.count_nonzero(test.target == 0) // 200, 5, 50))
    for name, penalty in (("unconstrained", {}),
                          (f"DisCo, strength {DEMO_DISCO_STRENGTH:g}",
                           dict(decorrelation="disco",
                                decorrelation_strength=DEMO_DISCO_STRENGTH))):
        clf = DropoutMLPClassifier(
            (64, 64, 32), dropout=0.0, batch_size=1024, lr=2e-3, early_stopping=True,
            max_epochs=args.max_epochs, random_state=rs, callbacks=progress.callbacks(),
            **penalty,
        )
        progress.step(
            f"training the W tagger (DropoutMLPClassifier), {name}: {len(X_train):,} jets, "
            f"at most {args.max_epochs} epochs ({clf.validation_fraction:.0%} of them held "
            "out for early stopping)"
            + ("; the jet mass passed as decorrelate" if penalty else "")
        )
        clf.fit(X_train, train.target, decorrelate=train.mass if penalty else None)
        scores[name] = clf.predict_proba(X_test)[:, 1]
        result = mass_sculpting(test.target, scores[name], test.mass, bins=bins)
        # the simulated QCD jets that pass the cut, and the Monte Carlo
        # uncertainty of R50 = N_QCD / N_pass they give: R50 / sqrt(N_pass)
        rows.append({"model": name, "R50": result["background_rejection"],
                     "R50_error": result["background_rejection_uncertainty"],
                     "QCD_passing": result["background_events"],
                     "QCD_jets": int(np.count_nonzero(test.target == 0)),
                     "inverse_JSD": result["inverse_jsd"],
                     "inverse_JSD_limit": 1.0 / result["jsd_floor"], "epochs": clf.n_iter_})
    progress.table(
        pd.DataFrame(rows),
        f"Mass sculpting at 50 % W efficiency, {len(test.target):,} test jets, "
        f"{bins} mass bins "
        "(R50: QCD rejection ± R50/sqrt(QCD_passing); 1/JSD: flatness of the QCD mass, "
        "higher is flatter; inverse_JSD_limit: the 1/JSD a cut passing as many QCD jets "
        "shows with no sculpting, the most these statistics can resolve)",
    )
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (name, score) in zip(axes, scores.items()):
        SculptingDisplay.from_predictions(test.target, score, test.mass, ax=ax, name=name)
    fig.suptitle("QCD jet mass after cuts on the W tagger")
    paths = [_save(fig, out, "mass_sculpting.png")]
    plt.close("all")
    return paths


def demo_autoencoder(args, out, progress):
    """ttZ as an anomaly to a detector trained on WZ + ZZ; deblurred and encoded digits."""
    progress.step(
        f"generating {min(args.n_events, 10_000):,} WZ, ZZ and ttZ events with make_diboson"
    )
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import IsolationForest
    from sklearn.linear_model import RidgeCV
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from .. import AutoEncoder, AutoEncoderOutlierDetector
    from ..datasets import load_blurred_digits, make_diboson
    from ..plotting import ReconstructionDisplay

    rs = args.random_state
    epochs = min(args.max_epochs, 60)
    data = make_diboson(
        min(args.n_events, 10_000), processes=("WZ", "ZZ", "ttZ"), random_state=rs
    )
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.3, stratify=data.target, random_state=rs
    )
    known = y_train != 2  # the detectors never see ttZ
    scaler = StandardScaler().fit(X_train[known])
    A, B = scaler.transform(X_train[known]), scaler.transform(X_test)
    detectors = [
        ("AutoEncoderOutlierDetector", AutoEncoderOutlierDetector(
            latent_dim=8, loss="huber", max_epochs=epochs, random_state=rs,
            callbacks=progress.callbacks())),
        ("IsolationForest", IsolationForest(random_state=rs)),
    ]
    is_ttz = y_test == 2
    rows = []
    for name, detector in detectors:
        progress.step(f"training {name} on {len(A):,} WZ + ZZ events")
        detector.fit(A)
        flagged = detector.predict(B) == -1
        rows.append({
            "detector": name,
            "roc_auc": roc_auc_score(is_ttz, -detector.score_samples(B)),
            "ttZ flagged": flagged[is_ttz].mean(),
            "WZ+ZZ flagged": flagged[~is_ttz].mean(),
        })
    progress.table(pd.DataFrame(rows),
                   "ttZ as an anomaly, detectors trained on WZ + ZZ (test events)")

    digits = load_blurred_digits(sigma=1.0, noise=0.05, random_state=rs)
    Xd_train, Xd_test, Yd_train, Yd_test = train_test_split(
        digits.data, digits.target, test_size=0.25, random_state=rs
    )
    progress.step(
        f"training AutoEncoder to deblur {len(Xd_train):,} digits, {epochs} epochs; then RidgeCV"
    )
    deblur = AutoEncoder(
        encoder_layers=(128, 64), latent_dim=32, output_activation="sigmoid",
        max_epochs=epochs, random_state=rs, callbacks=progress.callbacks(),
    ).fit(Xd_train, Yd_train)
    ridge = RidgeCV(alphas=np.logspace(-3, 0, 7)).fit(Xd_train, Yd_train)

    def psnr(images):
        return 10 * np.log10(1 / np.mean((images - Yd_test) ** 2))

    progress.table(
        pd.DataFrame({
            "images": ["blurred + noisy input", "RidgeCV", "AutoEncoder"],
            "psnr_db": [psnr(Xd_test), psnr(ridge.predict(Xd_test)),
                        psnr(deblur.predict(Xd_test))],
        }),
        "Deblurring test digits (sigma = 1, noise std 0.05): PSNR against the clean images",
    )
    n_shown = 10
    disp = ReconstructionDisplay.from_estimator(deblur, Xd_test, Yd_test, n_images=n_shown)
    # PSNR, as in the table: the row label of the digits shown, the title of all
    disp.ax_.set_title(
        "AutoEncoder deblurring (sigma = 1, noise std 0.05)\n"
        f"PSNR on all {len(Xd_test)} test digits {psnr(deblur.predict(Xd_test)):.1f} dB "
        f"(input {psnr(Xd_test):.1f} dB); the first {n_shown} shown"
    )
    paths = [_save(disp.figure_, out, "deblurring.png")]

    progress.step(
        f"training AutoEncoder with a 2-d latent space on {len(digits.target):,} digits, "
        f"{epochs} epochs"
    )
    codes = AutoEncoder(
        latent_dim=2, max_epochs=epochs, random_state=rs, callbacks=progress.callbacks()
    ).fit_transform(digits.target)
    fig, ax = plt.subplots()
    points = ax.scatter(codes[:, 0], codes[:, 1], c=digits.labels, cmap="tab10", s=6)
    ax.legend(*points.legend_elements(), title="digit", fontsize="small",
              loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.set(xlabel="latent 1", ylabel="latent 2",
           title="Digits in a two-dimensional latent space")
    paths.append(_save(fig, out, "latent_space.png"))
    plt.close("all")
    return paths


def demo_gan(args, out, progress):
    """A GAN learns the points (x, x**3): samples judged against fresh points, a to d figure.

    ``--gan-epochs`` sets the training length (125 by default: 1,000 generator
    updates on 2,000 points); ``--n-events`` caps the number of points.
    """
    n_points = min(2000, args.n_events)
    progress.step(f"generating {n_points:,} training and {n_points:,} fresh points of y = x^3")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import KernelDensity
    from threadpoolctl import threadpool_limits

    from .. import GANSampler
    from .._core._threads import free_cores
    from ..datasets import make_cubic
    from ..metrics import classifier_two_sample_auc, energy_distance
    from ..plotting import GANSamplesDisplay

    rs = args.random_state
    epochs = args.gan_epochs
    X = make_cubic(n_points, random_state=rs)
    fresh = make_cubic(n_points, random_state=rs + 1)  # judge against points never trained on
    # the user guide's "fewer epochs" configuration: 125 epochs of 8 batches
    # are 1,000 generator updates of small GELU networks
    snapshots = sorted({e for e in (1, 10, 40) if e < epochs} | {epochs})
    progress.step(f"training GANSampler on {n_points:,} points of y = x^3, {epochs} epochs")
    gan = GANSampler(
        latent_dim=5, generator_layers=(64, 64), discriminator_layers=(64, 64),
        lr_generator=1e-2, lr_discriminator=1e-2, max_epochs=epochs,
        snapshot_epochs=snapshots, random_state=rs, callbacks=progress.callbacks(),
    ).fit(X)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    progress.step("choosing the bandwidth of a KernelDensity baseline (3-fold search)")
    kde = GridSearchCV(KernelDensity(), {"bandwidth": np.logspace(-3, -1, 9)}, cv=3).fit(
        (X - mean) / scale
    )
    samples = {
        "GANSampler": gan.sample(n_points, random_state=rs),
        "KernelDensity": kde.best_estimator_.sample(n_points, random_state=rs) * scale + mean,
        "true points, noise 0.001 on y": make_cubic(n_points, noise=0.001, random_state=rs + 2),
    }
    # the two-sample test's gradient boosting takes only the cores other
    # processes leave free: OpenMP threads that wait for busy cores slow it
    # down many times over (the result does not depend on their number)
    free = free_cores()
    openmp_threads = None if free is None else max(1, int(free))
    rows = []
    for name, S in samples.items():
        progress.step(f"judging {name}: classifier two-sample test and energy distance")
        with threadpool_limits(limits=openmp_threads, user_api="openmp"):
            c2st = classifier_two_sample_auc(fresh, S, random_state=rs)
        rows.append({
            "sampler": name,
            "c2st_auc": c2st,
            "median |y - x^3|": np.median(np.abs(S[:, 1] - S[:, 0] ** 3)),
            "energy_distance": energy_distance(fresh, S),
        })
    progress.table(
        pd.DataFrame(rows),
        f"{n_points} samples of y = x^3 against {n_points} fresh true points "
        f"({gan.n_generator_updates_} generator updates; C2ST AUC 0.5 = indistinguishable)",
    )
    disp = GANSamplesDisplay.from_estimator(gan, fresh)
    disp.figure_.suptitle("GANSampler learning $y = x^3$ (black: fresh true points)")
    paths = [_save(disp.figure_, out, "gan_cubic_snapshots.png")]

    fig, ax = plt.subplots(layout="constrained")
    epoch = np.arange(1, gan.n_iter_ + 1)
    ax.plot(epoch, gan.generator_loss_curve_, label="generator", color="C0")
    ax.plot(epoch, gan.discriminator_loss_curve_, label="discriminator", color="C1")
    # where a balanced game settles: the discriminator outputs 1/2 everywhere,
    # so -ln D(G(z)) = ln 2 and its two cross-entropy terms sum to 2 ln 2
    ax.axhline(np.log(2), color="C0", linestyle=":", linewidth=1,
               label=r"$\ln 2$: generator loss at $D = 1/2$")
    ax.axhline(2 * np.log(2), color="C1", linestyle=":", linewidth=1,
               label=r"$2 \ln 2$: discriminator loss at $D = 1/2$")
    ax.set(xlabel="epoch", ylabel="loss (binary cross-entropy)",
           title="GAN losses: the balance, not the quality")
    ax.legend(fontsize="small")
    paths.append(_save(fig, out, "gan_losses.png"))
    plt.close("all")
    return paths


def demo_regression(args, out, progress):
    """Calibrate photon energies with DropoutMLPRegressor: response and resolution.

    Trains on ``--n-events`` photons of ``make_calorimeter`` and tests on as
    many fresh ones. The network regresses the correction of the measured
    energy in units of the nominal resolution (see the user guide's
    regression page); prints the response and resolution of the raw
    measurement and of the calibration in five bins of the true energy, and
    writes them as a figure.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import DropoutMLPRegressor
    from ..datasets import make_calorimeter
    from ..metrics import response_resolution
    from ..plotting import ResolutionDisplay

    rs = args.random_state
    progress.step(f"generating {args.n_events:,} training and {args.n_events:,} test photons "
                  "with make_calorimeter")
    train = make_calorimeter(args.n_events, random_state=rs)
    test = make_calorimeter(args.n_events, random_state=rs + 1)
    a, b, c = (train.resolution[k] for k in "abc")

    def nominal(e):
        e = np.maximum(e, 0.3)
        return np.sqrt(a**2 / e + (b / e) ** 2 + c**2)

    def features(X):
        return np.column_stack([np.log(np.maximum(X[:, 0], 1e-3)), X[:, 1:]])

    X, y = train.data, train.target
    progress.step(f"training DropoutMLPRegressor on {len(y):,} photons")
    model = make_pipeline(
        StandardScaler(),
        DropoutMLPRegressor(early_stopping=True, max_epochs=args.max_epochs, random_state=rs,
                            callbacks=progress.callbacks()),
    ).fit(features(X), (y / X[:, 0] - 1) / nominal(X[:, 0]))
    e_raw = test.data[:, 0]
    e_pred = e_raw * (1 + nominal(e_raw) * model.predict(features(test.data)))
    raw = response_resolution(test.target, e_raw, bins=5)
    calibrated = response_resolution(test.target, e_pred, bins=5)
    progress.table(
        pd.DataFrame({
            "low": raw["low"], "high": raw["high"], "n": raw["n"],
            "response_raw": raw["response"], "resolution_raw": raw["resolution"],
            "response_mlp": calibrated["response"],
            "resolution_mlp": calibrated["resolution"],
        }),
        f"Energy calibration of {len(test.target)} test photons in bins of E_true [GeV] "
        f"(DropoutMLPRegressor, {model[-1].n_iter_} epochs)",
    )
    disp = ResolutionDisplay.from_predictions(test.target, e_raw, bins=5,
                                              name="raw e_measured")
    ResolutionDisplay.from_predictions(test.target, e_pred, bins=5,
                                       name="DropoutMLPRegressor", ax=disp.ax_)
    disp.ax_[0].set_title("Photon energy calibration")
    paths = [_save(disp.figure_, out, "energy_resolution.png")]
    plt.close("all")
    return paths


#: the parts of the demo, in the order they run
SECTIONS = {
    "classifiers": demo_classifiers,
    "decorrelation": demo_decorrelation,
    "autoencoder": demo_autoencoder,
    "gan": demo_gan,
    "regression": demo_regression,
}


#: the fewest events per data set with which every part of the demo runs (the
#: energy resolution needs 30 test photons in each of its 5 bins)
MIN_EVENTS = 200


def _check_options(args):
    for flag, value, minimum in (("--n-events", args.n_events, MIN_EVENTS),
                                 ("--max-epochs", args.max_epochs, 1),
                                 ("--gan-epochs", args.gan_epochs, 1)):
        if value < minimum:
            raise CommandError(f"{flag} must be at least {minimum}, got {value}")


def run(args):
    """Run the parts of the demo chosen on the command line."""
    _check_options(args)
    os.environ.setdefault("MPLBACKEND", "Agg")
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise CommandError(f"--output {out}: a file is there; the figures go in a folder, "
                           "name a new one")
    check_can_make(out, "--output")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"--output {out}: cannot make the folder: "
                           f"{' '.join(str(error).split())}") from error
    start = time.perf_counter()
    progress = DemoProgress()
    from ._progress import epoch_limit_said_by_progress

    for name, section in SECTIONS.items():
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        progress.section(name)
        with epoch_limit_said_by_progress():
            for path in section(args, out, progress):
                print(f"wrote {path}")
        print(f"({name}: {time.perf_counter() - t0:.1f} s)")
    print(f"\ndemo finished in {time.perf_counter() - start:.1f} s; figures in {out}/")
    return 0
