"""Toy boosted-jet tagging (W vs QCD) whose background substructure depends on the mass."""

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ._validation import check_bool, check_n_samples, check_real

FEATURE_NAMES = ["tau21", "d2", "rho", "pt"]

#: W boson mass and the detector smearing of the jet mass, GeV
W_MASS, MASS_SMEARING = 80.4, 8.0
#: QCD jet mass range and the decay length of its exponential spectrum, GeV
MASS_RANGE, QCD_MASS_SLOPE = (30.0, 300.0), 60.0
#: jet pt: a threshold plus an exponential tail, GeV (the same for both classes)
PT_MIN, PT_SLOPE = 250.0, 150.0
#: resolution of rho = log(m^2 / pt^2) as seen by the substructure features
RHO_SMEARING = 0.15

DESCR = """Toy boosted-jet tagging: hadronic W decays (signal) against QCD jets.

Per jet, with u = (m - 30) / 270 the position of the jet mass m in 30-300 GeV:

* pt (GeV): 250 + Exponential(150), the same for both classes;
* mass m (GeV): W jets Normal(80.4, 8) (the W peak with detector smearing),
  QCD jets an exponential spectrum exp(-m / 60) on 30-300 GeV; both kept in
  30-300 GeV;
* tau21: W jets Normal(0.45, 0.12); QCD jets Normal(0.68 - 0.25 u, 0.13);
  clipped to [0.01, 1];
* d2: W jets LogNormal(log 1.6, 0.35); QCD jets LogNormal(log(2.4 - 0.8 u), 0.40);
* rho = log(m^2 / pt^2) + Normal(0, 0.15): a mass proxy among the features.

The QCD substructure (tau21, d2) becomes more W-like as the mass grows and
rho encodes the mass, so a classifier on these features learns the mass and
sculpts the QCD mass spectrum towards the W peak when it is cut on.
"""


def _qcd_mass(n, rng):
    """Inverse-CDF draws of exp(-m / slope) truncated to MASS_RANGE."""
    low, high = MASS_RANGE
    u = rng.uniform(size=n)
    span = 1.0 - np.exp(-(high - low) / QCD_MASS_SLOPE)
    return low - QCD_MASS_SLOPE * np.log1p(-u * span)


def _w_mass(n, rng):
    low, high = MASS_RANGE
    mass = rng.normal(W_MASS, MASS_SMEARING, n)
    bad = (mass < low) | (mass > high)
    while bad.any():  # redraw the (rare) jets outside the range
        mass[bad] = rng.normal(W_MASS, MASS_SMEARING, int(bad.sum()))
        bad = (mass < low) | (mass > high)
    return mass


def make_wtagging(
    n_samples=10_000, *, signal_fraction=0.5, random_state=None, as_frame=False,
    return_X_y=False,
):
    """Simulate boosted W jets and QCD jets whose substructure depends on the mass.

    A toy for decorrelated taggers: the QCD (background) substructure
    observables change with the jet mass, and one of them encodes the mass,
    so an unconstrained classifier on them sculpts the background mass
    spectrum when cut on. The jet mass is returned apart from the features
    (``Bunch.mass``), to be passed as ``decorrelate=`` to a decorrelated
    :class:`~physml_sklearn.DropoutMLPClassifier` and to
    :func:`~physml_sklearn.metrics.mass_sculpting`.

    The generative model, per jet, with ``u = (m - 30) / 270``:

    * ``pt`` (GeV): ``250 + Exponential(150)``, the same for both classes;
    * mass ``m`` (GeV): W jets ``Normal(80.4, 8)`` (the W peak with detector
      smearing), QCD jets the falling spectrum ``exp(-m / 60)`` over
      30-300 GeV; both lie in 30-300 GeV;
    * ``tau21`` (N-subjettiness ratio): W jets ``Normal(0.45, 0.12)``, QCD
      jets ``Normal(0.68 - 0.25 u, 0.13)``, clipped to [0.01, 1];
    * ``d2`` (energy-correlation ratio): W jets ``LogNormal(log 1.6, 0.35)``,
      QCD jets ``LogNormal(log(2.4 - 0.8 u), 0.40)``;
    * ``rho = log(m² / pt²) + Normal(0, 0.15)``: a mass proxy.

    Parameters
    ----------
    n_samples : int, default=10_000
        Number of jets.
    signal_fraction : float, default=0.5
        Fraction of W jets (rounded to a whole number of jets), in (0, 1).
    random_state : int, RandomState instance or None, default=None
        Seeds the simulation; the same int gives the same jets.
    as_frame : bool, default=False
        If True, `data` is a DataFrame with the columns `feature_names`,
        `target` a Series ``"target"`` and `mass` a Series ``"mass"``.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With the fields:

        data : ndarray or DataFrame of shape (n_samples, 4)
            ``tau21``, ``d2``, ``rho``, ``pt``; the mass is not among them.
        target : ndarray or Series of shape (n_samples,)
            1 for W jets (signal), 0 for QCD jets (background).
        mass : ndarray or Series of shape (n_samples,)
            The jet mass in GeV.
        sample_weight : ndarray of shape (n_samples,)
            All 1.
        feature_names : list of str
            The column names of `data`.
        target_names : list of str
            ``["QCD", "W"]``.
        DESCR : str
            The generative model.

    (data, target) : tuple if ``return_X_y`` is True

    See Also
    --------
    physml_sklearn.metrics.mass_sculpting : Rejection and sculpting of a tagger.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.datasets import make_wtagging
    >>> jets = make_wtagging(1000, random_state=0)
    >>> jets.data.shape, jets.mass.shape
    ((1000, 4), (1000,))
    >>> int(jets.target.sum())
    500

    The W jets peak at the W mass, the QCD jets fall with the mass:

    >>> bool(abs(np.median(jets.mass[jets.target == 1]) - 80.4) < 2)
    True
    >>> bool(np.median(jets.mass[jets.target == 0]) < 80)
    True
    """
    n_samples = check_n_samples(n_samples, minimum=2, reason=" (one W and one QCD jet)",
                                row_bytes=112)
    signal_fraction = check_real(signal_fraction, "signal_fraction", low=0.0, strict=True)
    if not signal_fraction < 1:
        raise ValueError(
            f"`signal_fraction` must lie strictly between 0 and 1; got {signal_fraction!r}."
        )
    as_frame = check_bool(as_frame, "as_frame")
    return_X_y = check_bool(return_X_y, "return_X_y")
    rng = check_random_state(random_state)

    n_signal = min(max(int(round(n_samples * signal_fraction)), 1), n_samples - 1)
    y = np.zeros(n_samples, dtype=np.int64)
    y[:n_signal] = 1
    y = y[rng.permutation(n_samples)]
    signal = y == 1
    n_background = n_samples - n_signal

    pt = PT_MIN + rng.exponential(PT_SLOPE, n_samples)
    mass = np.empty(n_samples)
    mass[signal] = _w_mass(n_signal, rng)
    mass[~signal] = _qcd_mass(n_background, rng)
    u = (mass - MASS_RANGE[0]) / (MASS_RANGE[1] - MASS_RANGE[0])

    tau21 = np.where(
        signal, rng.normal(0.45, 0.12, n_samples), rng.normal(0.68 - 0.25 * u, 0.13)
    )
    tau21 = np.clip(tau21, 0.01, 1.0)
    d2 = np.where(
        signal,
        rng.lognormal(np.log(1.6), 0.35, n_samples),
        rng.lognormal(np.log(2.4 - 0.8 * u), 0.40),
    )
    rho = np.log(mass**2 / pt**2) + rng.normal(0.0, RHO_SMEARING, n_samples)
    X = np.column_stack([tau21, d2, rho, pt])

    if as_frame:
        import pandas as pd

        X = pd.DataFrame(X, columns=FEATURE_NAMES)
        y = pd.Series(y, name="target")
        mass = pd.Series(mass, name="mass")
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        mass=mass,
        sample_weight=np.ones(n_samples),
        feature_names=list(FEATURE_NAMES),
        target_names=["QCD", "W"],
        DESCR=DESCR,
    )
