"""Energy calibration with DropoutMLPRegressor against the usual baselines.

Run: ``python benchmarks/bench_regression.py [--quick]``

The known answer is ``make_calorimeter``: the measured energy has the
ATLAS-like resolution ``a / sqrt(E) (+) b / E (+) c``, and its constant term
is the leakage out of the back of the shower, which correlates with
``frac_back`` (and the other shower shapes). A regressor that reads the
shower shapes can undo part of the leakage where the constant term rules.

Trains on ``make_calorimeter(50_000, random_state=0)`` and tests on a fresh
draw (``random_state=1``, 200,000 photons), in bins of the true energy from
2 to 100 GeV, for three seeds of the models:

* ``raw``: the measured energy ``e_measured`` itself;
* ``linear``: a linear calibration ``E = p0 + p1 * e_measured``
  (least squares);
* ``HGB``: ``HistGradientBoostingRegressor`` tuned by a small grid search
  (learning rate x leaves, 3-fold), on the same inputs and target as ours;
* ``MLP``: ``StandardScaler`` + ``DropoutMLPRegressor`` with its defaults
  and early stopping.

The two learned models see ``log(e_measured)`` and the three shower shapes,
and regress the pull ``(E_true / e_measured - 1) / r(e_measured)``, where
``r`` is the calorimeter's nominal relative resolution evaluated at the
measured energy: a target of about unit spread at every energy, so that a
squared error weighs the precise high-energy showers as much as the
imprecise low-energy ones (it is a chi-square). The prediction is
``e_measured * (1 + r(e_measured) * pull)``.

The information limit printed beside the figures is computed from the
generator: the same test photons with their leakage fluctuation (the
shower-depth variable the generator draws) known exactly, i.e.
``e_measured / (1 - c * depth)``. No function of the shower shapes can undo
more leakage than that, so at high energy, where the constant term matters,
it bounds what any calibration can reach (at a few GeV, where the noise and
sampling terms rule and the log-uniform spectrum acts as a prior, a
calibration can fall slightly below it).

Prints the resolution and response per bin of every model (mean and spread
over the seeds), the fit times, and each target of the table with PASS/FAIL:

* resolution <= raw in every bin, >= 10 % better than raw at 50-100 GeV,
  <= 1.02 x HGB in every bin (moonshot: better than HGB in every bin);
* response within 1 % of 1 in every bin from 3 to 80 GeV;
* fit time < 60 s.
"""

import argparse
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

from physml_sklearn import DropoutMLPRegressor
from physml_sklearn.datasets import make_calorimeter
from physml_sklearn.datasets._calorimeter import RESOLUTION, _profile_parameters
from physml_sklearn.datasets._calorimeter import resolution_curve
from physml_sklearn.metrics import response_resolution

EDGES = (2, 3, 5, 8, 13, 20, 30, 50, 80, 100)
TEST_SEED = 1


def inputs(X):
    """log(e_measured) and the shower shapes."""
    return np.column_stack([np.log(np.maximum(X[:, 0], 1e-3)), X[:, 1:]])


def nominal_resolution(e_measured):
    """The calorimeter's relative resolution at the measured energy (>= 0.3 GeV)."""
    return resolution_curve(np.maximum(e_measured, 0.3))


def pull(X, y):
    return (y / X[:, 0] - 1.0) / nominal_resolution(X[:, 0])


def from_pull(X, p):
    return X[:, 0] * (1.0 + nominal_resolution(X[:, 0]) * p)


def leakage_depth(n, random_state, energy_range=(1.0, 100.0)):
    """The shower-depth fluctuation the generator drew for each photon.

    Replays the first draws of ``make_calorimeter`` with the same seed: the
    energies, then the profile parameters.
    """
    rng = check_random_state(random_state)
    low, high = energy_range
    energy = np.clip(np.exp(rng.uniform(np.log(low), np.log(high), n)), low, high)
    return energy, _profile_parameters(energy, rng)[2]


def fit_mlp(X, y, seed, quick):
    model = make_pipeline(
        StandardScaler(),
        DropoutMLPRegressor(early_stopping=True, max_epochs=20 if quick else 100,
                            random_state=seed),
    )
    start = time.perf_counter()
    model.fit(inputs(X), pull(X, y))
    return model, time.perf_counter() - start


def fit_hgb(X, y, seed, quick):
    grid = {"learning_rate": [0.05, 0.1], "max_leaf_nodes": [15, 63]}
    if quick:
        grid = {"learning_rate": [0.1], "max_leaf_nodes": [31]}
    search = GridSearchCV(
        HistGradientBoostingRegressor(max_iter=1000, early_stopping=True, random_state=seed),
        grid, cv=3, n_jobs=1,
    )
    start = time.perf_counter()
    search.fit(inputs(X), pull(X, y))
    search_time = time.perf_counter() - start
    best = HistGradientBoostingRegressor(
        max_iter=1000, early_stopping=True, random_state=seed, **search.best_params_
    )
    start = time.perf_counter()
    best.fit(inputs(X), pull(X, y))
    return best, time.perf_counter() - start, search_time, search.best_params_


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="10,000 training photons, one seed, short training")
    args = parser.parse_args(argv)
    n_train = 10_000 if args.quick else 50_000
    n_test = 50_000 if args.quick else 200_000
    seeds = [0] if args.quick else [0, 1, 2]

    X, y = make_calorimeter(n_train, random_state=0, return_X_y=True)
    X_test, y_test = make_calorimeter(n_test, random_state=TEST_SEED, return_X_y=True)
    energy, depth = leakage_depth(n_test, TEST_SEED)
    assert np.array_equal(energy, y_test), "the replay of the generator drifted"

    def table(pred):
        return response_resolution(y_test, pred, bins=list(EDGES))

    fixed = {
        "raw": table(X_test[:, 0]),
        "limit": table(X_test[:, 0] / (1.0 - RESOLUTION["c"] * depth)),
    }
    linear = LinearRegression().fit(X[:, :1], y)
    fixed["linear"] = table(linear.predict(X_test[:, :1]))

    runs = {"HGB": [], "MLP": []}
    times = {"HGB": [], "MLP": [], "HGB search": []}
    for seed in seeds:
        mlp, t = fit_mlp(X, y, seed, args.quick)
        times["MLP"].append(t)
        runs["MLP"].append(table(from_pull(X_test, mlp.predict(inputs(X_test)))))
        hgb, t, t_search, params = fit_hgb(X, y, seed, args.quick)
        times["HGB"].append(t)
        times["HGB search"].append(t_search)
        runs["HGB"].append(table(from_pull(X_test, hgb.predict(inputs(X_test)))))
        print(f"seed {seed}: MLP {times['MLP'][-1]:.1f} s ({mlp[-1].n_iter_} epochs), "
              f"HGB {t:.1f} s (grid search {t_search:.1f} s, best {params})")

    def column(name, field):
        if name in fixed:
            return fixed[name][field].to_numpy(), np.zeros(len(EDGES) - 1)
        values = np.array([run[field].to_numpy() for run in runs[name]])
        return values.mean(axis=0), values.std(axis=0)

    names = ["raw", "linear", "HGB", "MLP", "limit"]
    print(f"\nTrain {n_train:,} photons (random_state=0), test {n_test:,} (random_state="
          f"{TEST_SEED}); {len(seeds)} seed(s); mean (spread) over the seeds.")
    for field, title in (("resolution", "Resolution: half the 16-84 % width of E_pred / E_true"),
                         ("response", "Response: median of E_pred / E_true")):
        print(f"\n{title}")
        print(f"{'E_true [GeV]':>14}" + "".join(f"{n:>18}" for n in names))
        cols = {n: column(n, field) for n in names}
        for k in range(len(EDGES) - 1):
            row = f"{EDGES[k]:>6g} - {EDGES[k + 1]:<5g}"
            for n in names:
                mean, spread = cols[n][0][k], cols[n][1][k]
                row += f"{mean:>11.4f} ({spread:.4f})" if spread else f"{mean:>18.4f}"
            print(row)

    res = {n: column(n, "resolution")[0] for n in names}
    resp = column("MLP", "response")[0]
    high = [k for k in range(len(EDGES) - 1) if EDGES[k] >= 50]
    mid = [k for k in range(len(EDGES) - 1) if EDGES[k] >= 3 and EDGES[k + 1] <= 80]
    gain = 1.0 - res["MLP"][high] / res["raw"][high]
    limit_gain = 1.0 - res["limit"][high] / res["raw"][high]
    ratio_hgb = res["MLP"] / res["HGB"]
    worst_response = float(np.max(np.abs(resp[mid] - 1.0)))
    fit_time = max(times["MLP"])

    def verdict(ok):
        return "PASS" if ok else "FAIL"

    print("\nTargets (MLP)")
    print(f"  resolution <= raw in every bin: worst MLP / raw = "
          f"{np.max(res['MLP'] / res['raw']):.3f}  "
          f"{verdict(np.all(res['MLP'] <= res['raw']))}")
    print("  >= 10 % better than raw at 50-100 GeV: "
          + ", ".join(f"{EDGES[k]:g}-{EDGES[k + 1]:g} GeV {100 * g:.1f} %"
                      for k, g in zip(high, gain))
          + f"  {verdict(np.all(gain >= 0.10))}"
          + "\n      (information limit of the generator: "
          + ", ".join(f"{100 * g:.1f} %" for g in limit_gain) + ")")
    print(f"  <= 1.02 x HGB in every bin: worst MLP / HGB = {ratio_hgb.max():.3f}  "
          f"{verdict(np.all(ratio_hgb <= 1.02))}")
    print(f"  moonshot, better than HGB in every bin: "
          f"{int(np.sum(ratio_hgb < 1))} of {len(ratio_hgb)} bins  "
          f"{verdict(np.all(ratio_hgb < 1))}")
    print(f"  response within 1 % of 1 at 3-80 GeV: worst |response - 1| = "
          f"{100 * worst_response:.2f} %  {verdict(worst_response <= 0.01)}")
    print(f"  fit time < 60 s: slowest MLP fit {fit_time:.1f} s (HGB refit "
          f"{max(times['HGB']):.1f} s, its grid search {max(times['HGB search']):.1f} s)  "
          f"{verdict(fit_time < 60)}")


if __name__ == "__main__":
    main()
