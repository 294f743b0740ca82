"""Quality of ``GANSampler`` against baselines, in one run: x^3, the ellipse, 11 columns
of diboson kinematics, and a conditional calorimeter.

Run from an installed checkout (``pip install -e .``)::

    python benchmarks/bench_gan.py [--seeds 0 1 2] [--threads 1] [--quick]

``--quick`` runs one seed and leaves out the lecture's 10,000-update reference, the
Wasserstein run and the calibration. Every figure is measured against a *fresh* draw of
the true distribution (another seed), never against the training rows, so memorising
the training set earns nothing. C2ST is the mean 5-fold ROC AUC of a
``HistGradientBoostingClassifier`` told to separate generated from fresh true rows
(:func:`physml_sklearn.metrics.classifier_two_sample_auc`); 0.5 means
indistinguishable.

1. ``make_cubic(2000)`` and ``make_ellipse(2000)``: ``GANSampler()`` with its
   defaults; the documented ``fewer epochs`` configuration (two layers of 64
   GELU units, latent 5, learning rates 1e-2, 125 epochs: 1,000 generator
   updates on the cubic); a ``KernelDensity`` with a bandwidth chosen by
   5-fold ``GridSearchCV`` on the standardised rows. Distance to the curve: the
   median of ``|y - x**3|``, the median Euclidean distance to the ellipse;
   mode collapse on the ellipse: the KS statistic of the angles around the
   centre. The full run adds the lecture's classic configuration (in the
   package and as a plain PyTorch loop), ``wgan-gp`` and a calibration of the C2ST
   with fresh true points moved off the curve by noise.
2. Diboson kinematics: the columns ``lep1_pt, lep2_pt, lep3_pt, lep1_eta,
   lep2_eta, m_ll, mt_w, met, ht, pt_z`` and ``n_jets`` of ``make_diboson(...,
   processes=("WZ",))``, 10,000 training events, 5,000 generated against 5,000
   fresh ones: C2ST on all 11 columns, the KS statistic of every continuous
   column, the share of events with ``ht = 0`` (no jets: a point mass), the
   total-variation distance of the ``n_jets`` frequencies, the fit time.
   Baseline: ``KernelDensity`` with a tuned bandwidth on the standardised
   columns; its ``n_jets`` is rounded to the nearest integer >= 0 and its
   ``ht`` clipped at 0 (the physical range), a fair post-processing that a
   user would add.
3. Conditional fast simulation: ``GANSampler().fit(X, y)`` on
   ``make_calorimeter(20000)`` (``y`` the true energy); at E = 2, 5, 10, 20, 50
   and 100 GeV, 5,000 rows generated with ``y=E`` against 5,000 fresh true
   rows at that energy: the response ``mean(e_measured) / E`` (truth: 1 by
   construction), ``sigma(e_measured) / E`` over the analytic
   ``a / sqrt(E) (+) b / E (+) c``, and the C2ST on all four columns.
   Baseline: the physicist's parametric fast simulation, a Gaussian smearing
   of ``e_measured`` with the true resolution, with shower shapes taken from
   an independent true event at that energy: exact on every marginal, blind
   to the correlations between the energy and the shower shape.

Torch runs on one thread by default (``--threads``): these networks are small,
and on a busy machine the synchronisation costs more than the arithmetic. Times
are wall-clock seconds of one fit with the CPU seconds beside them; the wall
time grows when other jobs share the machine, the CPU time much less.
"""

import argparse
import os
import time

import numpy as np
import torch
from scipy.spatial import cKDTree
from scipy.stats import ks_2samp
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity

from physml_sklearn import GANSampler
from physml_sklearn.datasets import make_cubic, make_ellipse
from physml_sklearn.metrics import classifier_two_sample_auc

N_TRAIN = 2000
N_EVAL = 2000
FRESH = 1000  # the fresh true sample of seed s is drawn with seed s + FRESH

#: the user guide's "fewer epochs" configuration: small GELU networks at learning
#: rates of 1e-2, 1,000 generator updates on 2,000 rows (125 epochs of 8 steps)
FEWER_EPOCHS = dict(latent_dim=5, generator_layers=(64, 64), discriminator_layers=(64, 64),
                    lr_generator=1e-2, lr_discriminator=1e-2, max_epochs=125)
DIBOSON_COLUMNS = ["lep1_pt", "lep2_pt", "lep3_pt", "lep1_eta", "lep2_eta", "m_ll", "mt_w",
                   "met", "ht", "pt_z", "n_jets"]
N_DIBOSON, N_DIBOSON_EVAL = 10_000, 5000
N_CALO, N_CALO_EVAL = 20_000, 5000
CALO_ENERGIES = (2, 5, 10, 20, 50, 100)
REFERENCE = dict(
    latent_dim=5, generator_layers=(15,), discriminator_layers=(25,),
    optimizer=torch.optim.Adam, batch_size=64,
)
RESULTS = []


def epochs_for(updates, batch_size=256, n_critic=1):
    """Epochs of ``N_TRAIN`` rows that make ``updates`` generator updates."""
    batches = -(-N_TRAIN // batch_size)
    return max(1, round(updates * n_critic / batches))


# -- metrics -----------------------------------------------------------------
def cubic_residual(S):
    return float(np.median(np.abs(S[:, 1] - S[:, 0] ** 3)))


_t = np.linspace(0.0, 2.0 * np.pi, 400_001)
_ELLIPSE = cKDTree(np.column_stack([np.cos(_t), 0.5 * np.sin(_t)]))


def ellipse_distance(S):
    return float(np.median(_ELLIPSE.query(S)[0]))


def angle_ks(S, T):
    return float(ks_2samp(np.arctan2(S[:, 1], S[:, 0]), np.arctan2(T[:, 1], T[:, 0])).statistic)


def c2st(S, T):
    return classifier_two_sample_auc(T, S, random_state=0)


# -- models --------------------------------------------------------------------
def fit_gan(X, seed, params, y=None, *, return_model=False):
    gan = GANSampler(random_state=seed, **params)
    wall, cpu = time.perf_counter(), time.process_time()
    gan.fit(X, y)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if return_model:
        return gan, wall, cpu
    return gan.sample(N_EVAL, random_state=seed + 7), gan.n_generator_updates_, wall, cpu


def fit_classic(X, seed):
    """The lecture's plain loop: no standardisation, Adam at its defaults, a
    sigmoid discriminator, 64 real and 64 generated rows per step, no moving
    average and no schedule, 10,000 iterations."""
    from torch import nn

    torch.manual_seed(seed)
    data = torch.as_tensor(X, dtype=torch.float32)
    generator = nn.Sequential(nn.Linear(5, 15), nn.ReLU(), nn.Linear(15, X.shape[1]))
    discriminator = nn.Sequential(nn.Linear(X.shape[1], 25), nn.ReLU(), nn.Linear(25, 1),
                                  nn.Sigmoid())
    opt_g = torch.optim.Adam(generator.parameters())
    opt_d = torch.optim.Adam(discriminator.parameters())
    bce, ones, zeros = nn.BCELoss(), torch.ones(64, 1), torch.zeros(64, 1)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(10_000):
        real = data[torch.randint(0, len(data), (64,))]
        fake = generator(torch.randn(64, 5))
        opt_d.zero_grad()
        (bce(discriminator(real), ones) + bce(discriminator(fake.detach()), zeros)).backward()
        opt_d.step()
        opt_g.zero_grad()
        bce(discriminator(fake), ones).backward()
        opt_g.step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    with torch.no_grad():
        S = generator(torch.randn(N_EVAL, 5)).numpy().astype(np.float64)
    return S, 10_000, wall, cpu


def fit_kde(X, seed, n_eval=N_EVAL, bandwidths=np.logspace(-3, 0, 31)):
    mean, scale = X.mean(axis=0), X.std(axis=0)
    wall, cpu = time.perf_counter(), time.process_time()
    search = GridSearchCV(KernelDensity(), {"bandwidth": bandwidths}, cv=5).fit((X - mean) / scale)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    S = search.best_estimator_.sample(n_eval, random_state=seed + 7) * scale + mean
    return S, search.best_params_["bandwidth"], wall, cpu


# -- reporting -------------------------------------------------------------------
def header(title):
    print(f"\n{title}\n{'-' * len(title)}")


def row(model, seed, auc, dist, ks=None, updates=None, wall=None, cpu=None, note=""):
    ks_txt = "" if ks is None else f"{ks:8.3f}"
    upd = "" if updates is None else f"{updates:8d}"
    timing = "" if wall is None else f"{wall:7.1f} s ({cpu:5.1f} cpu)"
    print(f"  {model:<14} {seed:>4}  {auc:7.3f}  {dist:9.5f}{ks_txt:>9}{upd:>9}  {timing} {note}")


def verdict(name, value, baseline, target, passed):
    print(f"  {name:<52} {value:<16} {baseline:<30} {target:<10} {'PASS' if passed else 'FAIL'}")
    RESULTS.append((name, passed))


def run_shape(shape, seeds, models, budget):
    make = make_cubic if shape == "cubic" else make_ellipse
    dist_name = "|y-x^3|" if shape == "cubic" else "dist"
    header(f"{shape}: make_{shape}({N_TRAIN}), C2ST against a fresh draw (seed + {FRESH})")
    ks_head = "" if shape == "cubic" else "angle KS"
    print(f"  {'model':<14} {'seed':>4}  {'C2ST':>7}  {dist_name:>9}{ks_head:>9}"
          f"{'updates':>9}  time")
    out = {}
    for seed in seeds:
        X = make(N_TRAIN, random_state=seed)
        T = make(N_EVAL, random_state=seed + FRESH)
        for name, params in models.items():
            if params == "kde":
                S, bandwidth, wall, cpu = fit_kde(X, seed)
                updates, note = None, f"bandwidth {bandwidth:.3g}"
            elif params == "classic":
                S, updates, wall, cpu = fit_classic(X, seed)
                note = ""
            else:
                S, updates, wall, cpu = fit_gan(X, seed, params)
                note = ""
            auc = c2st(S, T)
            dist = cubic_residual(S) if shape == "cubic" else ellipse_distance(S)
            ks = None if shape == "cubic" else angle_ks(S, T)
            row(name, seed, auc, dist, ks, updates, wall, cpu, note)
            out.setdefault(name, []).append(
                dict(auc=auc, dist=dist, ks=ks, updates=updates, wall=wall)
            )
    return out


def calibration(seeds):
    header("Calibration: fresh true cubic points against fresh true points, with noise on y")
    for sigma in (0.0, 0.0003, 0.001, 0.01):
        aucs = [
            c2st(make_cubic(N_EVAL, noise=sigma, random_state=s + 2 * FRESH),
                 make_cubic(N_EVAL, random_state=s + FRESH))
            for s in seeds
        ]
        print(f"  sigma = {sigma:<8g} C2ST {np.mean(aucs):.3f}")


def summarise(label, res, *, c2st_each, c2st_mean, dist_max, ks_max=None, budget=None,
              baselines, time_max=30):
    aucs = [r["auc"] for r in res]
    dists = [r["dist"] for r in res]
    upd = max(r["updates"] for r in res)
    walls = [r["wall"] for r in res]
    verdict(f"{label}: C2ST AUC, worst seed", f"{max(aucs):.3f}", baselines["auc"],
            f"<= {c2st_each}", max(aucs) <= c2st_each)
    if c2st_mean is not None:
        verdict(f"{label}: C2ST AUC, mean of seeds", f"{np.mean(aucs):.3f}",
                baselines["auc_mean"], f"<= {c2st_mean}", np.mean(aucs) <= c2st_mean)
    verdict(f"{label}: median distance to the curve, worst seed", f"{max(dists):.5f}",
            baselines["dist"], f"<= {dist_max}", max(dists) <= dist_max)
    if ks_max is not None:
        ks = [r["ks"] for r in res]
        verdict(f"{label}: angle KS (mode collapse), worst seed", f"{max(ks):.3f}",
                baselines["ks"], f"<= {ks_max}", max(ks) <= ks_max)
    if budget is not None:
        verdict(f"{label}: generator updates", f"{upd}", "reference 10,000",
                f"<= {budget}", upd <= budget)
    verdict(f"{label}: wall time per fit, worst seed", f"{max(walls):.1f} s", "",
            f"< {time_max} s", max(walls) < time_max)


# -- diboson kinematics ------------------------------------------------------------
def diboson(n, seed):
    from physml_sklearn.datasets import make_diboson

    data = make_diboson(n, processes=("WZ",), random_state=seed, as_frame=True).data
    return data[DIBOSON_COLUMNS].astype(float)


def diboson_figures(S, T):
    """C2ST, KS per continuous column, ht = 0 share difference, n_jets TVD."""
    auc = c2st(S.to_numpy(), T.to_numpy())
    ks = {c: ks_2samp(S[c], T[c]).statistic for c in DIBOSON_COLUMNS if c != "n_jets"}
    ht0 = float(np.mean(S["ht"] == 0) - np.mean(T["ht"] == 0))
    p = S["n_jets"].value_counts(normalize=True)
    q = T["n_jets"].value_counts(normalize=True)
    tvd = float(0.5 * p.sub(q, fill_value=0).abs().sum())
    integer = bool(np.all(S["n_jets"] == np.round(S["n_jets"])))
    return dict(auc=auc, ks=ks, ht0=ht0, tvd=tvd, integer=integer)


def run_diboson(seeds):
    import pandas as pd

    header(f"diboson: 11 WZ columns, {N_DIBOSON} training events, {N_DIBOSON_EVAL} "
           f"generated vs {N_DIBOSON_EVAL} fresh (seed + {FRESH})")
    print(f"  {'model':<14} {'seed':>4}  {'C2ST':>6}  {'worst KS':>8} {'column':<9} "
          f"{'ht=0 diff':>9} {'n_jets TVD':>10}  time")
    out = {}
    for seed in seeds:
        X, T = diboson(N_DIBOSON, seed), diboson(N_DIBOSON_EVAL, seed + FRESH)
        gan, wall, cpu = fit_gan(X, seed, {}, return_model=True)
        S = gan.sample(N_DIBOSON_EVAL, random_state=seed + 7)
        res = {"GANSampler()": (S, wall, cpu)}
        K, bandwidth, kwall, kcpu = fit_kde(X.to_numpy(), seed, N_DIBOSON_EVAL,
                                            np.logspace(-1.2, 0.0, 5))
        K = pd.DataFrame(K, columns=DIBOSON_COLUMNS)
        K["n_jets"] = np.maximum(np.round(K["n_jets"]), 0)
        K["ht"] = np.maximum(K["ht"], 0)
        res["KernelDensity"] = (K, kwall, kcpu)
        for name, (S, wall, cpu) in res.items():
            f = diboson_figures(S, T)
            worst = max(f["ks"], key=f["ks"].get)
            note = f"bandwidth {bandwidth:.3g}" if name == "KernelDensity" else ""
            print(f"  {name:<14} {seed:>4}  {f['auc']:6.3f}  {f['ks'][worst]:8.3f} "
                  f"{worst:<9} {f['ht0']:+9.4f} {f['tvd']:10.4f}  {wall:6.1f} s "
                  f"({cpu:5.1f} cpu) {note}")
            out.setdefault(name, []).append({**f, "wall": wall})
    return out


def summarise_diboson(res):
    gan, kde = res["GANSampler()"], res["KernelDensity"]

    def worst(rs, key):
        return max(r[key] for r in rs)

    ks_gan = max(max(r["ks"].values()) for r in gan)
    ks_kde = max(max(r["ks"].values()) for r in kde)
    ht0_gan = max(abs(r["ht0"]) for r in gan)
    verdict("diboson, defaults: C2ST AUC, worst seed", f"{worst(gan, 'auc'):.3f}",
            f"KDE {worst(kde, 'auc'):.3f}", "<= 0.75", worst(gan, "auc") <= 0.75)
    verdict("diboson, defaults: C2ST AUC (moonshot), worst seed", f"{worst(gan, 'auc'):.3f}",
            "", "<= 0.65", worst(gan, "auc") <= 0.65)
    verdict("diboson, defaults: KS, worst column and seed", f"{ks_gan:.3f}",
            f"KDE {ks_kde:.3f}", "<= 0.05", ks_gan <= 0.05)
    verdict("diboson, defaults: |ht=0 share - truth|, worst seed", f"{ht0_gan:.4f}",
            f"KDE {max(abs(r['ht0']) for r in kde):.4f}", "<= 0.01", ht0_gan <= 0.01)
    verdict("diboson, defaults: n_jets TVD, worst seed", f"{worst(gan, 'tvd'):.4f}",
            f"KDE {worst(kde, 'tvd'):.4f}", "<= 0.03",
            worst(gan, "tvd") <= 0.03 and all(r["integer"] for r in gan))
    verdict("diboson, defaults: wall time per fit, worst seed", f"{worst(gan, 'wall'):.1f} s",
            f"KDE {worst(kde, 'wall'):.1f} s", "< 120 s", worst(gan, "wall") < 120)


# -- conditional calorimeter ---------------------------------------------------------
def smeared(energy, n, seed):
    """The parametric fast simulation: Gaussian e_measured, shapes of other events."""
    from physml_sklearn.datasets import make_calorimeter
    from physml_sklearn.datasets._calorimeter import resolution_curve

    rng = np.random.RandomState(seed)
    shapes = make_calorimeter(n, energy_range=(energy, energy), random_state=seed).data
    e = energy * (1.0 + resolution_curve(energy) * rng.standard_normal(n))
    return np.column_stack([e, shapes[:, 1:]])


def run_calorimeter(seeds):
    from physml_sklearn.datasets import make_calorimeter
    from physml_sklearn.datasets._calorimeter import resolution_curve

    header(f"calorimeter: conditional GANSampler() on make_calorimeter({N_CALO}), "
           f"{N_CALO_EVAL} rows per energy vs fresh true rows")
    print(f"  {'model':<14} {'seed':>4} {'E/GeV':>6}  {'response':>8} {'sigma/analytic':>14}"
          f"  {'C2ST':>6}")
    out = {}
    for seed in seeds:
        X, y = make_calorimeter(N_CALO, random_state=seed, return_X_y=True)
        gan, wall, cpu = fit_gan(X, seed, {}, y, return_model=True)
        print(f"  GANSampler() seed {seed}: fit {wall:.1f} s ({cpu:.1f} cpu), "
              f"{gan.n_generator_updates_} generator updates")
        out.setdefault("fit", []).append(wall)
        for i, energy in enumerate(CALO_ENERGIES):
            T = make_calorimeter(N_CALO_EVAL, energy_range=(energy, energy),
                                 random_state=seed + FRESH + i).data
            models = {
                "GANSampler()": gan.sample(N_CALO_EVAL, random_state=seed + 7, y=energy),
                "Gaussian smear": smeared(energy, N_CALO_EVAL, seed + 2 * FRESH + i),
            }
            for name, S in models.items():
                response = S[:, 0].mean() / energy
                ratio = S[:, 0].std() / energy / resolution_curve(energy)
                auc = c2st(S, T)
                print(f"  {name:<14} {seed:>4} {energy:>6}  {response:8.4f} {ratio:14.3f}"
                      f"  {auc:6.3f}")
                out.setdefault(name, []).append(
                    dict(energy=energy, response=response, ratio=ratio, auc=auc)
                )
    return out


def summarise_calorimeter(res):
    gan, smear = res["GANSampler()"], res["Gaussian smear"]
    resp = max(abs(r["response"] - 1) for r in gan)
    ratio = max(abs(r["ratio"] - 1) for r in gan)
    auc = max(r["auc"] for r in gan)
    verdict("calorimeter: |response - 1|, worst energy and seed", f"{resp:.4f}",
            f"smear {max(abs(r['response'] - 1) for r in smear):.4f}", "<= 0.01", resp <= 0.01)
    verdict("calorimeter: |sigma/analytic - 1|, worst energy and seed", f"{ratio:.3f}",
            f"smear {max(abs(r['ratio'] - 1) for r in smear):.3f}", "<= 0.10", ratio <= 0.10)
    verdict("calorimeter: C2ST AUC, worst energy and seed", f"{auc:.3f}",
            f"smear {max(r['auc'] for r in smear):.3f}", "<= 0.75", auc <= 0.75)
    verdict("calorimeter: wall time per fit, worst seed", f"{max(res['fit']):.1f} s", "",
            "< 120 s", max(res["fit"]) < 120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="default: 0 1 2 (0 with --quick)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true",
                        help="one seed; no 10,000-update reference, wgan-gp or calibration")
    parser.add_argument("--only", nargs="+", choices=["toys", "diboson", "calorimeter"],
                        default=["toys", "diboson", "calorimeter"])
    args = parser.parse_args()
    seeds = args.seeds if args.seeds is not None else ([0] if args.quick else [0, 1, 2])
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    print(f"torch threads: {args.threads}; load average at start: "
          f"{os.getloadavg()[0]:.1f}; seeds {seeds}")

    if "toys" in args.only:
        if not args.quick:
            calibration(seeds)
        cubic_models = {}
        if not args.quick:
            cubic_models["classic loop"] = "classic"
            cubic_models["reference"] = {**REFERENCE, "max_epochs": epochs_for(10_000, 64)}
        cubic_models.update({"defaults": {}, "fewer epochs": FEWER_EPOCHS})
        if not args.quick:
            cubic_models["wgan-gp"] = {"loss": "wgan-gp", "n_critic": 5,
                                       "max_epochs": epochs_for(1000, n_critic=5)}
        cubic_models["KernelDensity"] = "kde"
        cubic = run_shape("cubic", seeds, cubic_models, 1000)
        ellipse = run_shape("ellipse", seeds, {"defaults": {}, "KernelDensity": "kde"}, None)

    if "diboson" in args.only:
        dib = run_diboson(seeds)
    if "calorimeter" in args.only:
        calo = run_calorimeter(seeds)

    header("Targets (value, baseline, target, verdict)")

    def base(res, key, agg=max):
        return f"{agg([r[key] for r in res]):.3g}"

    if "toys" in args.only:
        kde_c, kde_e = cubic["KernelDensity"], ellipse["KernelDensity"]
        ref = cubic.get("classic loop")
        cubic_base = {
            "auc": f"KDE {base(kde_c, 'auc')}" + (f", classic {base(ref, 'auc')}" if ref else ""),
            "auc_mean": f"KDE {base(kde_c, 'auc', np.mean)}"
            + (f", classic {base(ref, 'auc', np.mean)}" if ref else ""),
            "dist": f"KDE {base(kde_c, 'dist')}"
            + (f", classic {base(ref, 'dist')}" if ref else ""),
        }
        ellipse_base = {
            "auc": f"KDE {base(kde_e, 'auc')}",
            "dist": f"KDE {base(kde_e, 'dist')}",
            "ks": f"KDE {base(kde_e, 'ks')}",
        }
        summarise("cubic, defaults", cubic["defaults"], c2st_each=0.70, c2st_mean=0.65,
                  dist_max=0.002, baselines=cubic_base)
        summarise("cubic, fewer epochs", cubic["fewer epochs"], c2st_each=0.70,
                  c2st_mean=0.65, dist_max=0.002, budget=1000, baselines=cubic_base)
        summarise("ellipse, defaults", ellipse["defaults"], c2st_each=0.75, c2st_mean=None,
                  dist_max=0.03, ks_max=0.15, baselines=ellipse_base)
        if "wgan-gp" in cubic:
            wgan = cubic["wgan-gp"]
            verdict("cubic, wgan-gp (n_critic=5): median |y-x^3|, worst seed",
                    f"{max(r['dist'] for r in wgan):.5f}",
                    f"bce defaults {base(cubic['defaults'], 'dist')}", "<= 0.01",
                    max(r["dist"] for r in wgan) <= 0.01)
    if "diboson" in args.only:
        summarise_diboson(dib)
    if "calorimeter" in args.only:
        summarise_calorimeter(calo)

    n_pass = sum(passed for _, passed in RESULTS)
    print(f"\n{n_pass} of {len(RESULTS)} targets met; "
          f"total {time.perf_counter() - start:.0f} s; load average at the end "
          f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
