"""Toy electromagnetic calorimeter: the response to photons of known energy."""

import numpy as np
from scipy.special import gammainc
from sklearn.utils import Bunch, check_random_state

from ._validation import check_bool, check_n_samples, check_pair

FEATURE_NAMES = ["e_measured", "frac_front", "frac_back", "lateral_width"]

#: sigma_E / E = a / sqrt(E) (+) b / E (+) c, E in GeV: the design resolution of
#: the ATLAS liquid-argon / lead sampling calorimeter for electrons and photons
#: (sampling term 10 %, constant term 0.7 %; ATLAS Collaboration, JINST 3 (2008)
#: S08003, section 1.1 and table 1.1), with the electronic and pile-up noise term
#: of about 0.3 GeV per cluster; the textbook form is in the PDG review
#: "Particle detectors at accelerators", section "Calorimetry".
RESOLUTION = {"a": 0.10, "b": 0.30, "c": 0.007}

#: critical energy of lead, GeV (PDG atomic and nuclear properties)
CRITICAL_ENERGY = 7.43e-3
#: atomic number of lead (enters the GFLASH mean of alpha)
Z_LEAD = 82
#: Moliere radius of lead, mm (PDG)
MOLIERE_RADIUS = 16.0
#: boundaries of the three longitudinal layers, in radiation lengths: a front
#: (strip) layer, the middle layer that holds the shower maximum, a back layer,
#: as in the ATLAS barrel (about 4.5, 16 and 2-4 X0, 24 X0 in all)
LAYERS = (0.0, 4.5, 20.5, 24.0)
#: electronic noise per layer, GeV
LAYER_NOISE = 0.05


def resolution_curve(energy, a=RESOLUTION["a"], b=RESOLUTION["b"], c=RESOLUTION["c"]):
    """Relative resolution ``sigma_E / E`` of the toy calorimeter at ``energy`` (GeV)."""
    energy = np.asarray(energy, dtype=np.float64)
    return np.sqrt((a / np.sqrt(energy)) ** 2 + (b / energy) ** 2 + c**2)


def _profile_parameters(energy, rng):
    """Per shower ``(alpha, beta, depth)`` of the gamma-distribution profile.

    GFLASH's parametrisation for a homogeneous medium (Grindhammer, Rudowicz
    and Peters, NIM A 290 (1990) 469): with ``y = E / E_c``, ``ln T`` and
    ``ln alpha`` are Gaussian with means ``ln(ln y - 0.858)`` and
    ``ln(0.21 + (0.492 + 2.38 / Z) ln y)``, widths ``1 / (-1.4 + 1.26 ln y)``
    and ``1 / (-0.58 + 0.86 ln y)``, and correlation ``0.705 - 0.023 ln y``;
    ``T = (alpha - 1) / beta`` is the depth of the shower maximum. ``depth``
    is the standardised fluctuation of ``ln T``.
    """
    ln_y = np.log(energy / CRITICAL_ENERGY)
    mean_ln_t = np.log(ln_y - 0.858)
    mean_ln_alpha = np.log(0.21 + (0.492 + 2.38 / Z_LEAD) * ln_y)
    sigma_ln_t = 1.0 / (-1.4 + 1.26 * ln_y)
    sigma_ln_alpha = 1.0 / (-0.58 + 0.86 * ln_y)
    rho = 0.705 - 0.023 * ln_y
    u1, u2 = rng.standard_normal((2, energy.shape[0]))
    ln_t = mean_ln_t + sigma_ln_t * u1
    ln_alpha = mean_ln_alpha + sigma_ln_alpha * (rho * u1 + np.sqrt(1.0 - rho**2) * u2)
    alpha = np.maximum(np.exp(ln_alpha), 1.05)
    t_max = np.exp(ln_t)
    return alpha, (alpha - 1.0) / t_max, u1


def make_calorimeter(
    n_samples=10_000,
    *,
    energy_range=(1.0, 100.0),
    random_state=None,
    as_frame=False,
    return_X_y=False,
):
    """Simulate photons in a toy electromagnetic sampling calorimeter.

    The known answer for fast simulation with a conditional generative
    model: the true photon energy (the condition) is drawn log-uniformly, and
    the detector response (the rows to generate) follows the textbook energy
    resolution exactly, with shower shapes whose dependence on the energy
    and whose correlations follow the physics of electromagnetic showers.

    * ``e_measured`` (GeV) is Gaussian about the true energy ``E`` with
      ``sigma_E / E = a / sqrt(E) (+) b / E (+) c`` (a quadrature sum) and
      ``a = 10 %`` (sampling), ``b = 0.3 GeV`` (noise), ``c = 0.7 %``
      (constant): the design values of the ATLAS liquid-argon / lead
      calorimeter (ATLAS Collaboration, JINST 3 (2008) S08003; see the
      calorimetry section of the Review of Particle Physics for the form).
    * The longitudinal profile of each shower is a gamma distribution in the
      depth ``t`` (radiation lengths), ``dE/dt ~ t**(alpha - 1) exp(-beta t)``
      (Longo and Sestili, NIM 128 (1975) 283), whose maximum
      ``T = (alpha - 1) / beta`` moves deeper as ``ln(E / E_c)``; ``T`` and
      ``alpha`` fluctuate from shower to shower with the correlated spreads
      of GFLASH (Grindhammer et al., NIM A 290 (1990) 469), in lead
      (``E_c = 7.43 MeV``). Integrating it over three layers (0-4.5, 4.5-20.5
      and 20.5-24 X0, as in the ATLAS barrel) with 50 MeV of noise per layer
      gives ``frac_front`` and ``frac_back``, the fractions of the measured
      layer energies in the front and the back layer (the middle layer holds
      the rest): as the energy grows, ``frac_front`` falls and ``frac_back``
      rises.
    * The constant term is the fluctuation of the energy leaking out of the
      back: a shower that peaks deeper than average loses more, so
      ``e_measured / E`` falls as ``frac_back`` rises (while the Gaussian
      resolution above stays exact).
    * ``lateral_width`` (mm) is the energy-weighted RMS width of the shower in
      the middle layer, a toy parametrisation in units of the Moliere radius
      of lead (16 mm): it grows with the depth of the shower maximum and its
      relative spread shrinks as ``1 / sqrt(E)``.

    Parameters
    ----------
    n_samples : int, default=10_000
        Number of photons.

    energy_range : tuple of two floats, default=(1.0, 100.0)
        ``(low, high)`` in GeV, ``0 < low <= high``: the true energy is drawn
        uniformly in ``log E`` between them; ``low == high`` gives photons of
        one energy.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation. Pass an int for reproducible
        output across multiple function calls.

    as_frame : bool, default=False
        If True, `data` is a pandas DataFrame and `target` a Series named
        ``"e_true"``; `frame` holds both.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_samples, 4) or DataFrame
            The response, columns `feature_names`: ``e_measured`` (GeV),
            ``frac_front``, ``frac_back`` and ``lateral_width`` (mm).
        target : ndarray of shape (n_samples,) or Series
            The true photon energy in GeV: the condition.
        feature_names : list of str
            The column names of `data`.
        target_names : list of str
            ``["e_true"]``.
        resolution : dict
            ``{"a": 0.10, "b": 0.30, "c": 0.007}``: the stochastic term (in
            sqrt(GeV)), the noise term (GeV) and the constant term of
            ``sigma_E / E``.
        frame : DataFrame or None
            `data` and `target` together when ``as_frame=True``, else None.
        DESCR : str
            A description of the simulation.

    (data, target) : tuple if ``return_X_y`` is True
        The `data` and `target` described above.

    See Also
    --------
    physml_sklearn.GANSampler : Conditional generation, ``fit(X, y)``.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.datasets import make_calorimeter
    >>> calo = make_calorimeter(20_000, energy_range=(10.0, 10.0), random_state=0)
    >>> calo.feature_names
    ['e_measured', 'frac_front', 'frac_back', 'lateral_width']
    >>> a, b, c = (calo.resolution[k] for k in "abc")
    >>> expected = np.sqrt(a**2 / 10 + (b / 10) ** 2 + c**2)
    >>> print(f"{expected:.4f}")
    0.0441
    >>> measured = calo.data[:, 0].std() / 10
    >>> bool(abs(measured / expected - 1) < 0.02)
    True
    """
    n_samples = check_n_samples(n_samples, row_bytes=240)
    low, high = check_pair(energy_range, "energy_range")
    if not 0 < low <= high:
        raise ValueError(
            f"`energy_range` must be (low, high) in GeV with 0 < low <= high; "
            f"got {energy_range!r}."
        )
    as_frame = check_bool(as_frame, "as_frame")
    return_X_y = check_bool(return_X_y, "return_X_y")
    rng = check_random_state(random_state)

    energy = np.clip(np.exp(rng.uniform(np.log(low), np.log(high), n_samples)), low, high)
    alpha, beta, depth = _profile_parameters(energy, rng)

    # energy in each layer: the gamma profile integrated over the layer,
    # with sampling fluctuations and electronic noise
    edges = np.asarray(LAYERS)
    cdf = gammainc(alpha[:, None], beta[:, None] * edges[None, :])
    share = np.diff(cdf, axis=1) / cdf[:, -1:]
    layer = energy[:, None] * share
    layer = layer + rng.standard_normal(layer.shape) * np.sqrt(
        (RESOLUTION["a"] ** 2) * np.maximum(layer, 0.0) + LAYER_NOISE**2
    )
    total = layer.sum(axis=1)
    frac_front = layer[:, 0] / total
    frac_back = layer[:, 2] / total

    # the measured energy: Gaussian with the stated resolution; the constant
    # term is carried by the leakage, which grows with the depth of the shower
    sigma = resolution_curve(energy)
    stochastic = np.sqrt(sigma**2 - RESOLUTION["c"] ** 2)
    response = 1.0 - RESOLUTION["c"] * depth + stochastic * rng.standard_normal(n_samples)
    e_measured = energy * response

    t_max = (alpha - 1.0) / beta
    width = MOLIERE_RADIUS * (0.25 + 0.025 * t_max) * np.exp(
        (0.25 / np.sqrt(energy)) * rng.standard_normal(n_samples)
    )

    X = np.column_stack([e_measured, frac_front, frac_back, width])
    y = energy
    frame = None
    if as_frame:
        import pandas as pd

        X = pd.DataFrame(X, columns=FEATURE_NAMES)
        y = pd.Series(y, name="e_true")
        frame = pd.concat([X, y], axis=1)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        feature_names=list(FEATURE_NAMES),
        target_names=["e_true"],
        resolution=dict(RESOLUTION),
        frame=frame,
        DESCR=make_calorimeter.__doc__.split("Parameters")[0].strip(),
    )
