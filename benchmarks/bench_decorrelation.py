"""Decorrelated taggers: background rejection against mass sculpting, side by side.

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/bench_decorrelation.py [--n-samples 100000] \
        [--seeds 3] [--max-epochs 10] [--quick]

Trains on ``make_wtagging(n_samples)`` and evaluates on a fresh draw of the same
size, for each seed (the seed of the data and of the models):

* the unconstrained ``DropoutMLPClassifier``;
* the same network with ``decorrelation="disco"`` and ``"mode"`` (MoDe[0]) at
  several strengths: the trade-off curve of R50 (background rejection at 50 %
  signal efficiency) against 1/JSD (the Jensen-Shannon divergence of the
  passing and failing background mass, ``metrics.mass_sculpting``);
* hep_ml's ``UGradientBoostingClassifier`` with ``BinFlatnessLossFunction``
  (flat background efficiency in the mass) at several flatness strengths, if
  hep_ml is installed (``pip install hep-ml``; it is no dependency of the
  package);
* the network without the feature most correlated with the mass (by
  distance correlation on the background).

Prints one table (mean and standard deviation over the seeds), the fit time of
each model relative to the unconstrained network (same epochs, same batch size;
CPU time of this process, torch on one thread). Each penalised fit is timed
against an unconstrained fit run right before it, and the ratio of the pair is
averaged over the seeds, so that the load of other work on a shared machine,
which changes over minutes, enters both fits of a ratio alike; the other rows
are timed against the mean of the seed's unconstrained fits.

Then the targets, and which are met: at the chosen strength (the DisCo or MoDe
point of largest R50 with 1/JSD >= 20x the unconstrained network's), R50 kept
>= 30 % of the unconstrained network's; against each hep_ml point, the network
point of largest R50 among those with a mean 1/JSD at least hep_ml's mean 1/JSD
(matched or better flatness) has R50 >= hep_ml's; the slowest penalised fit <=
2x the unconstrained fit's time.
"""

import argparse
import time

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier
from physml_sklearn._core._penalties import distance_correlation
from physml_sklearn.datasets import make_wtagging
from physml_sklearn.metrics import mass_sculpting

DISCO_STRENGTHS = (3.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 20.0, 30.0, 100.0)
MODE_STRENGTHS = (30.0, 100.0, 120.0, 150.0, 200.0, 300.0)
HEPML_STRENGTHS = (0.0, 3.0, 10.0, 30.0)


def network(seed, max_epochs, **kwargs):
    return DropoutMLPClassifier(
        (64, 64, 32), dropout=0.0, batch_size=1024, max_epochs=max_epochs, lr=2e-3,
        random_state=seed, **kwargs,
    )


def evaluate(test, score):
    r = mass_sculpting(test.target, score, test.mass, signal_efficiency=0.5, bins=50)
    # the last: the 1/JSD of a cut that passes as many QCD jets and does not
    # sculpt, the most the test sample can resolve
    return r["background_rejection"], r["inverse_jsd"], 1.0 / r["jsd_floor"]


def most_mass_correlated(train):
    background = train.target == 0
    rng = np.random.default_rng(0)
    rows = rng.choice(np.flatnonzero(background), 3000, replace=False)
    mass = torch.tensor(train.mass[rows])
    dcorr = [
        float(distance_correlation(mass, torch.tensor(train.data[rows, j])))
        for j in range(train.data.shape[1])
    ]
    return int(np.argmax(dcorr)), dcorr


def report(seed, label, row, seconds, reference=None):
    paired = "" if reference is None else f" ({seconds / reference:.2f}x the {reference:.1f} s " \
                                          "of the unconstrained fit before it)"
    print(f"  seed {seed}: {label:<26} R50 {row[0]:7.1f}  1/JSD {row[1]:7.1f} "
          f"(limit {row[2]:5.0f})  fit {seconds:6.1f} s CPU{paired}", flush=True)


def run_seed(seed, n_samples, max_epochs, quick):
    train = make_wtagging(n_samples, random_state=seed)
    test = make_wtagging(n_samples, random_state=1000 + seed)
    scaler = StandardScaler().fit(train.data)
    Xtr, Xte = scaler.transform(train.data), scaler.transform(test.data)
    rows, times, plain_times = {}, {}, []
    # untimed warm-up: the first fit of a process pays for torch's lazy set-up
    network(seed, 1).fit(Xtr[:2048], train.target[:2048])

    def time_plain():
        start = time.process_time()
        clf = network(seed, max_epochs).fit(Xtr, train.target)
        plain_times.append(time.process_time() - start)
        return clf

    def fit_net(label, X_train, X_test, **kwargs):
        clf = network(seed, max_epochs, **{k: v for k, v in kwargs.items() if k != "mass"})
        reference = None
        if "mass" in kwargs:  # the unconstrained fit right before, for the ratio of the pair
            time_plain()
            reference = plain_times[-1]
        start = time.process_time()
        clf.fit(X_train, train.target, decorrelate=kwargs.get("mass"))
        seconds = time.process_time() - start
        times[label] = seconds if reference is None else (seconds, reference)
        rows[label] = evaluate(test, clf.predict_proba(X_test)[:, 1])
        report(seed, label, rows[label], seconds, reference)

    plain = time_plain()
    rows["unconstrained"] = evaluate(test, plain.predict_proba(Xte)[:, 1])
    report(seed, "unconstrained", rows["unconstrained"], plain_times[0])
    disco = (10.0, 20.0) if quick else DISCO_STRENGTHS
    mode = (100.0, 200.0) if quick else MODE_STRENGTHS
    for lam in disco:
        fit_net(f"DisCo lambda={lam:g}", Xtr, Xte, decorrelation="disco",
                decorrelation_strength=lam, mass=train.mass)
    for lam in mode:
        fit_net(f"MoDe[0] lambda={lam:g}", Xtr, Xte, decorrelation="mode",
                decorrelation_strength=lam, mass=train.mass)
    drop, dcorr = most_mass_correlated(train)
    keep = [j for j in range(Xtr.shape[1]) if j != drop]
    fit_net(f"drop {train.feature_names[drop]}", Xtr[:, keep], Xte[:, keep])

    try:
        import pandas as pd
        from hep_ml.gradientboosting import UGradientBoostingClassifier
        from hep_ml.losses import BinFlatnessLossFunction
    except ImportError:
        print("hep_ml is not installed: pip install hep-ml for its flatness-boosted trees")
    else:
        frame_tr = pd.DataFrame(train.data, columns=train.feature_names).assign(mass=train.mass)
        frame_te = pd.DataFrame(test.data, columns=train.feature_names).assign(mass=test.mass)
        for strength in HEPML_STRENGTHS[1:3] if quick else HEPML_STRENGTHS:
            loss = BinFlatnessLossFunction(["mass"], n_bins=20, uniform_label=0,
                                           fl_coefficient=strength)
            bdt = UGradientBoostingClassifier(
                loss=loss, n_estimators=50 if quick else 100, max_depth=4,
                learning_rate=0.2, subsample=0.7, train_features=train.feature_names,
                random_state=seed,
            )
            start = time.process_time()
            bdt.fit(frame_tr, train.target)
            times[f"hep_ml flatness={strength:g}"] = time.process_time() - start
            label = f"hep_ml flatness={strength:g}"
            rows[label] = evaluate(test, bdt.predict_proba(frame_te)[:, 1])
            report(seed, label, rows[label], times[label])
    # one ratio per row: a penalised fit against its own unconstrained fit,
    # the others against the mean of the seed's unconstrained fits
    base = np.mean(plain_times)
    ratios = {"unconstrained": 1.0}
    for label, value in times.items():
        ratios[label] = value[0] / value[1] if isinstance(value, tuple) else value / base
    return rows, ratios, dict(zip(train.feature_names, dcorr))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--quick", action="store_true",
                        help="20,000 jets, 1 seed, 8 epochs, two strengths each")
    args = parser.parse_args()
    if args.quick:
        args.n_samples, args.seeds, args.max_epochs = 20_000, 1, 8
    torch.set_num_threads(1)

    results, durations = {}, {}
    for seed in range(args.seeds):
        rows, times, dcorr = run_seed(seed, args.n_samples, args.max_epochs, args.quick)
        for label, value in rows.items():
            results.setdefault(label, []).append(value)
        for label, value in times.items():
            durations.setdefault(label, []).append(value)
        print(f"seed {seed} done; background dCorr² of each feature with the mass: "
              + ", ".join(f"{k} {v:.3f}" for k, v in dcorr.items()), flush=True)

    print(f"\nmake_wtagging({args.n_samples}) train, fresh draw test, {args.seeds} seed(s), "
          f"{args.max_epochs} epochs, 50 mass bins, 50 % signal efficiency\n")
    print(f"{'model':<26} {'R50':>15} {'1/JSD':>15} {'limit':>7} "
          f"{'fit CPU time / unconstr.':>26}")
    summary = {}
    for label, values in results.items():
        values = np.array(values)
        r50, ijsd, limit = values[:, 0], values[:, 1], values[:, 2]
        summary[label] = (r50.mean(), ijsd.mean())
        ratio = np.mean(durations[label])
        print(f"{label:<26} {r50.mean():8.1f} ± {r50.std():4.1f} "
              f"{ijsd.mean():8.1f} ± {ijsd.std():4.1f} {limit.mean():7.0f} {ratio:25.2f}x")
    print("(limit: the mean 1/JSD of a cut passing as many QCD jets that does not sculpt, "
          "1/jsd_floor of metrics.mass_sculpting: the flattest the test sample resolves)")

    base_r50, base_ijsd = summary["unconstrained"]
    print("\ntargets")
    penalised = {k: v for k, v in summary.items() if k.startswith(("DisCo", "MoDe"))}
    eligible = {k: v for k, v in penalised.items() if v[1] >= 20 * base_ijsd}
    if eligible:
        chosen = max(eligible, key=lambda k: eligible[k][0])
        r50, ijsd = eligible[chosen]
        print(f"  chosen strength: {chosen}: 1/JSD = {ijsd / base_ijsd:.1f}x the "
              f"unconstrained network's (target >= 20x): met")
        kept = r50 / base_r50
        print(f"  R50 kept: {100 * kept:.0f} % of the unconstrained network's "
              f"(target >= 30 %): {'met' if kept >= 0.3 else 'NOT met'}")
    else:
        best = max(penalised, key=lambda k: penalised[k][1])
        print(f"  1/JSD >= 20x the unconstrained network's: NOT met (best {best}: "
              f"{penalised[best][1] / base_ijsd:.1f}x)")
    anchors = {k: v for k, v in summary.items() if k.startswith("hep_ml")}
    if anchors:
        print("  against hep_ml: the DisCo or MoDe point of largest mean R50 among those "
              "with mean 1/JSD >= hep_ml's")
        print("  (R50 difference paired over the seeds, which share the data: mean ± std)")
    verdicts = []
    for label, (r50_h, ijsd_h) in anchors.items():
        matched = {k: v for k, v in penalised.items() if v[1] >= ijsd_h}
        if not matched:
            print(f"  vs {label} (R50 {r50_h:.1f}, 1/JSD {ijsd_h:.2f}): no network point "
                  "at matched or better 1/JSD: NOT met")
            verdicts.append(False)
            continue
        best = max(matched, key=lambda k: matched[k][0])
        verdicts.append(matched[best][0] >= r50_h)
        diff = np.array(results[best])[:, 0] - np.array(results[label])[:, 0]
        print(f"  vs {label} (R50 {r50_h:.1f}, 1/JSD {ijsd_h:.2f}): {best} R50 "
              f"{matched[best][0]:.1f} at 1/JSD {matched[best][1]:.2f}, "
              f"R50 {diff.mean():+.1f} ± {diff.std():.1f}: "
              f"{'met' if verdicts[-1] else 'NOT met'}")
    if anchors:
        print(f"  moonshot, the networks' curve dominates hep_ml's at every flatness run: "
              f"{'met' if all(verdicts) else 'NOT met'}")
    worst = max(penalised, key=lambda k: np.mean(durations[k]))
    ratio = np.mean(durations[worst])
    print(f"  cost: slowest penalised fit ({worst}) {ratio:.2f}x the CPU time of the "
          f"unconstrained fit run before it (target <= 2x): "
          f"{'met' if ratio <= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
