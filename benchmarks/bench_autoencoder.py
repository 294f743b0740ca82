"""Quality of the autoencoders against their baselines, in one run.

Run from an installed checkout (``pip install -e .``)::

    python benchmarks/bench_autoencoder.py [--seed 0] [--threads 1]

Each task prints its figure beside the baseline and PASS or FAIL against the
target of the autoencoder issue, plus the wall time:

* reconstruction of held-out digits (pixels in [0, 1]) with ``latent_dim`` 2
  and 4: test MSE against ``PCA`` with as many components, at most 0.70x;
* deblurring (sigma = 1): PSNR of ``predict`` against the clean images,
  beside the blurred input and the best ``Ridge`` from blurred to clean pixels
  (alpha in 1e-3 ... 1, picked on the test set, which flatters the baseline).
  Noise-free, a blur is an invertible linear map that ``Ridge`` inverts almost
  exactly, so only the gain over the blurred input has a target there; with
  noise of std 0.05 the network must also beat ``Ridge`` by 1 dB;
* anomaly detection, ROC AUC of ``AutoEncoderOutlierDetector`` against
  ``IsolationForest`` on the same inputs: toy diboson events (trained on
  WZ + ZZ, ttZ is the anomaly) and digits (trained on nine digits, the tenth
  is the anomaly, all ten choices), then the reverse for digits 1 and 8
  (trained on one digit, the other nine are anomalous), reported without a
  target.

The autoencoders run with their defaults plus the settings printed in each
title; every split and seed is fixed, so a run is reproducible. Torch runs on
one thread by default: the matrices of these networks are too small to share
between threads, and on a busy machine the synchronisation between threads
costs more than the arithmetic (``--threads 2`` to compare).
"""

import argparse
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import Ridge
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from physml_sklearn import AutoEncoder, AutoEncoderOutlierDetector
from physml_sklearn.datasets import load_blurred_digits, make_diboson

RESULTS = []


def report(name, value, baseline, target, passed, seconds=None):
    """Print one line and remember it for the summary."""
    verdict = "PASS" if passed else "FAIL"
    timing = "" if seconds is None else f"  ({seconds:.1f} s)"
    print(f"  {name:<44} {value:<22} {baseline:<28} {target:<18} {verdict}{timing}")
    RESULTS.append((name, passed))


def header(title):
    print(f"\n{title}\n{'-' * len(title)}")
    print(f"  {'figure':<44} {'ours':<22} {'baseline':<28} {'target':<18} result")


def psnr(estimate, clean):
    """Peak signal-to-noise ratio in dB for images in [0, 1]."""
    return 10.0 * np.log10(1.0 / np.mean((estimate - clean) ** 2))


def digits_split(seed):
    digits = load_digits()
    return train_test_split(
        digits.data / 16.0, digits.target, test_size=0.25, random_state=seed,
        stratify=digits.target,
    )


def bench_reconstruction(seed):
    header("Reconstruction of held-out digits: AutoEncoder(latent_dim=k) vs PCA(k)")
    X_train, X_test, _, _ = digits_split(seed)
    for k in (2, 4):
        pca = PCA(k, random_state=seed).fit(X_train)
        mse_pca = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
        start = time.perf_counter()
        ae = AutoEncoder(latent_dim=k, random_state=seed).fit(X_train)
        seconds = time.perf_counter() - start
        mse = np.mean((ae.predict(X_test) - X_test) ** 2)
        report(
            f"test MSE, k={k}", f"{mse:.4f} ({mse / mse_pca:.2f}x PCA)", f"PCA {mse_pca:.4f}",
            "<= 0.70x PCA", mse <= 0.70 * mse_pca, seconds,
        )
        report(f"fit time, k={k}", f"{seconds:.1f} s", "", "< 30 s", seconds < 30)


def bench_deblurring(seed):
    params = dict(encoder_layers=(128, 64), latent_dim=32, output_activation="sigmoid")
    header(f"Deblurring, sigma=1: AutoEncoder({_kw(params)}) vs blurred input and Ridge")
    for noise, ridge_margin in [(0.0, None), (0.05, 1.0)]:
        data = load_blurred_digits(sigma=1.0, noise=noise, random_state=seed)
        X_train, X_test, Y_train, Y_test = train_test_split(
            data.data, data.target, test_size=0.25, random_state=seed
        )
        blurred = psnr(X_test, Y_test)
        ridge = max(
            psnr(Ridge(alpha=alpha).fit(X_train, Y_train).predict(X_test), Y_test)
            for alpha in np.logspace(-3, 0, 7)
        )
        start = time.perf_counter()
        ae = AutoEncoder(random_state=seed, **params).fit(X_train, Y_train)
        seconds = time.perf_counter() - start
        ours = psnr(ae.predict(X_test), Y_test)
        gain_target = 4.0 if noise == 0 else 5.0
        report(
            f"noise {noise}: PSNR gain over blurred input",
            f"{ours:.2f} dB (+{ours - blurred:.2f})",
            f"blurred {blurred:.2f} dB", f">= +{gain_target:.0f} dB", ours - blurred >= gain_target,
            seconds,
        )
        if ridge_margin is None:
            print(
                f"  {'':<44} {'':<22} {f'Ridge {ridge:.2f} dB':<28} "
                "(no target: a noise-free blur is linear and invertible)"
            )
        else:
            report(
                f"noise {noise}: PSNR gain over best Ridge", f"{ours:.2f} dB ({ours - ridge:+.2f})",
                f"Ridge {ridge:.2f} dB", f">= +{ridge_margin:.0f} dB", ours - ridge >= ridge_margin,
            )


def bench_diboson(seed):
    params = dict(latent_dim=8, loss="huber")
    header(
        f"Anomaly detection, diboson (train WZ+ZZ, anomaly ttZ): "
        f"AutoEncoderOutlierDetector({_kw(params)}) vs IsolationForest"
    )
    data = make_diboson(10_000, processes=("WZ", "ZZ", "ttZ"), random_state=seed)
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.3, random_state=seed, stratify=data.target
    )
    known = y_train != 2
    scaler = StandardScaler().fit(X_train[known])
    A, B = scaler.transform(X_train[known]), scaler.transform(X_test)
    start = time.perf_counter()
    det = AutoEncoderOutlierDetector(random_state=seed, **params).fit(A)
    seconds = time.perf_counter() - start
    iso = IsolationForest(random_state=seed).fit(A)
    is_ttz = y_test == 2
    ours = roc_auc_score(is_ttz, -det.score_samples(B))
    base = roc_auc_score(is_ttz, -iso.score_samples(B))
    report(
        "ROC AUC, ttZ vs held-out WZ+ZZ", f"{ours:.3f}", f"IsolationForest {base:.3f}",
        ">= IsolationForest", ours >= base, seconds,
    )
    flagged = np.mean(det.predict(A) == -1)
    print(f"  (contamination='auto' flags {flagged:.1%} of the training events)")


def _digit_aucs(seed, params, digits, *, reverse):
    """ROC AUC of the detector and of IsolationForest for each digit choice.

    ``reverse=False`` trains on the nine other digits, ``reverse=True`` on the
    digit alone. Each row also holds the detector's AUC per anomalous digit.
    """
    X_train, X_test, y_train, y_test = digits_split(seed)
    rows = []
    for digit in digits:
        train = (y_train == digit) if reverse else (y_train != digit)
        anomalous = (y_test != digit) if reverse else (y_test == digit)
        det = AutoEncoderOutlierDetector(random_state=seed, **params).fit(X_train[train])
        iso = IsolationForest(random_state=seed).fit(X_train[train])
        score = -det.score_samples(X_test)
        per_digit = {
            other: roc_auc_score(y_test[pair] == other, score[pair])
            for other in range(10)
            if other != digit
            for pair in [np.isin(y_test, (digit, other))]
        }
        rows.append(
            (
                digit,
                roc_auc_score(anomalous, score),
                roc_auc_score(anomalous, -iso.score_samples(X_test)),
                per_digit,
            )
        )
    return rows


def bench_digits(seed):
    params = dict(latent_dim=4)
    header(
        "Anomaly detection, digits (train on nine, the tenth is the anomaly): "
        f"AutoEncoderOutlierDetector({_kw(params)}) vs IsolationForest"
    )
    start = time.perf_counter()
    rows = _digit_aucs(seed, params, range(10), reverse=False)
    seconds = time.perf_counter() - start
    print("  ROC AUC per held-out digit, ours / IsolationForest:")
    print("  " + "  ".join(f"{d}: {a:.3f}/{b:.3f}" for d, a, b, _ in rows))
    ours = np.mean([row[1] for row in rows])
    base = np.mean([row[2] for row in rows])
    report(
        "mean ROC AUC over the ten digits", f"{ours:.3f}", f"IsolationForest {base:.3f}",
        ">= 0.90", ours >= 0.90, seconds,
    )
    report(
        "margin over IsolationForest", f"{ours - base:+.3f}", "", ">= +0.10", ours - base >= 0.10
    )
    print("\n  Reverse, trained on one digit with the nine others anomalous (no target):")
    for digit, a, b, per_digit in _digit_aucs(seed, params, (1, 8), reverse=True):
        hardest = sorted(per_digit, key=per_digit.get)[:3]
        print(
            f"  trained on {digit}: ROC AUC {a:.3f}, IsolationForest {b:.3f}; hardest "
            "anomalies " + ", ".join(f"{d} ({per_digit[d]:.3f})" for d in hardest)
        )


def _kw(params):
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), seed {args.seed}")
    start = time.perf_counter()
    bench_reconstruction(args.seed)
    bench_deblurring(args.seed)
    bench_diboson(args.seed)
    bench_digits(args.seed)
    n_pass = sum(passed for _, passed in RESULTS)
    print(f"\n{n_pass}/{len(RESULTS)} targets met in {time.perf_counter() - start:.0f} s")
    for name, passed in RESULTS:
        if not passed:
            print(f"  FAIL: {name}")


if __name__ == "__main__":
    main()
