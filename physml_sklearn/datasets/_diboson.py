"""Toy Monte Carlo of three-lepton WZ, ZZ and ttZ events at a 13 TeV LHC."""

import difflib

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ._kinematics import wrap_angle
from ._processes import CROSS_SECTIONS, GENERATORS, LUMINOSITY, M_Z, PROCESSES
from ._validation import check_bool, check_n_samples

FEATURE_NAMES = [
    "lep1_pt",
    "lep2_pt",
    "lep3_pt",
    "lep1_eta",
    "lep2_eta",
    "lep3_eta",
    "lep1_phi",
    "m_ll",
    "m_lll",
    "mt_w",
    "met",
    "n_jets",
    "n_bjets",
    "ht",
    "dr_ll",
    "pt_z",
    "n_pv",
]
#: the unit of each feature; "" for the dimensionless ones (pseudorapidities,
#: Delta R, counts)
FEATURE_UNITS = {
    "lep1_pt": "GeV", "lep2_pt": "GeV", "lep3_pt": "GeV",
    "lep1_eta": "", "lep2_eta": "", "lep3_eta": "",
    "lep1_phi": "rad",
    "m_ll": "GeV", "m_lll": "GeV", "mt_w": "GeV", "met": "GeV",
    "n_jets": "", "n_bjets": "", "ht": "GeV",
    "dr_ll": "", "pt_z": "GeV", "n_pv": "",
}
_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}
_COUNT_COLUMNS = ("n_jets", "n_bjets", "n_pv")

# Detector and selection.
LEPTON_ETA_MAX = 2.5
LEPTON_PT_RECO = 7.0
LEPTON_EFFICIENCY = 0.95
LEPTON_PT_CUTS = (25.0, 15.0, 10.0)
JET_PT_MIN, JET_ETA_MAX = 30.0, 4.5
BTAG_ETA_MAX, BTAG_EFFICIENCY, MISTAG_RATE = 2.5, 0.70, 0.01
MET_NOISE, MET_STOCHASTIC = 4.0, 0.5  # sigma = 4 GeV (+) 0.5 sqrt(sum ET / GeV)

# Pile-up: n_pv = 1 + Poisson(mu), mu ~ Gamma(PILEUP_SHAPE, PILEUP_MEAN / PILEUP_SHAPE).
PILEUP_MEAN, PILEUP_SHAPE = 30.0, 9.0

# Largest batch simulated at once (keeps the working set in cache), and a first
# guess of the fraction of tried events that pass, refined while generating.
_MAX_BATCH = 1 << 16
_EFFICIENCY_GUESS = {"WZ": 0.6, "ZZ": 0.28, "ttZ": 0.22}


def _lepton_resolution(pt):
    """Relative lepton pT resolution: 2 % (+) 0.01 % x pT / GeV."""
    return np.sqrt(0.02**2 + (1e-4 * pt) ** 2)


def _jet_resolution(pt):
    """Relative jet pT resolution: 80 % / sqrt(pT / GeV) (+) 5 %."""
    return np.sqrt(0.64 / np.maximum(pt, 1.0) + 0.05**2)


def _reconstruct(event, rng):
    """Detector response and selection for one batch.

    Returns the boolean mask of selected events and their feature rows; the
    columns ``lep1_phi`` (before the global rotation) and ``n_pv`` (zero) are
    finished by the caller.
    """
    true_pt = event["pt"]
    n, k = true_pt.shape
    pt = true_pt * (1.0 + _lepton_resolution(true_pt) * rng.standard_normal((n, k)))
    reco = (
        (pt > LEPTON_PT_RECO)
        & (np.abs(event["pz"]) < np.sinh(LEPTON_ETA_MAX) * true_pt)  # |eta| < 2.5
        & (rng.random((n, k)) < LEPTON_EFFICIENCY)
    )
    keep = np.flatnonzero(reco.sum(axis=1) == 3)  # exactly three: 4th-lepton veto
    order = np.argsort(-np.where(reco[keep], pt[keep], -1.0), axis=1)[:, :3]
    # Flat indices of the three leptons sorted by pT, shaped (3, n_kept) so that
    # each lepton's values are contiguous.
    flat = (keep[:, None] * k + order).T
    pt = pt.ravel()[flat]
    passed = (
        (pt[0] > LEPTON_PT_CUTS[0])
        & (pt[1] > LEPTON_PT_CUTS[1])
        & (pt[2] > LEPTON_PT_CUTS[2])
    )
    keep, flat, pt = keep[passed], flat[:, passed], pt[:, passed]
    px, py, pz, flavour, charge = (
        event[name].ravel()[flat] for name in ("px", "py", "pz", "flavour", "charge")
    )
    eta = np.arcsinh(pz / np.hypot(px, py))  # directions are measured exactly
    phi = np.arctan2(py, px)
    selected = np.zeros(n, bool)
    selected[keep] = True
    m = keep.size

    # Jets: smear, count above threshold, b-tag, for the selected events only.
    jets = event["jets"]
    in_selected = selected[jets["idx"]]
    jet_idx = (np.cumsum(selected) - 1)[jets["idx"][in_selected]]
    jet_pt = jets["pt"][in_selected]
    jet_eta = np.abs(jets["eta"][in_selected])
    jet_pt = np.maximum(
        jet_pt * (1.0 + _jet_resolution(jet_pt) * rng.standard_normal(jet_pt.size)),
        0.0,
    )
    good = (jet_pt > JET_PT_MIN) & (jet_eta < JET_ETA_MAX)
    tag_probability = np.where(jets["is_b"][in_selected], BTAG_EFFICIENCY, MISTAG_RATE)
    tagged = (
        good & (jet_eta < BTAG_ETA_MAX) & (rng.random(jet_pt.size) < tag_probability)
    )

    # Missing transverse momentum: the neutrinos plus Gaussian resolution.
    sum_et = pt.sum(axis=0) + np.bincount(jet_idx, weights=jet_pt, minlength=m)
    sigma = np.sqrt(MET_NOISE**2 + MET_STOCHASTIC**2 * sum_et)
    met_x = event["nu_px"][keep] + sigma * rng.standard_normal(m)
    met_y = event["nu_py"][keep] + sigma * rng.standard_normal(m)
    met = np.hypot(met_x, met_y)

    # Z candidate: the same-flavour opposite-sign pair closest to the Z mass.
    # For massless leptons m^2 = 2 pT1 pT2 (cosh(deta) - cos(dphi)).
    first, second = np.array([0, 0, 1]), np.array([1, 2, 2])
    m2 = np.empty((3, m))
    distance = np.empty((3, m))
    for p, (a, b) in enumerate(zip(first, second)):
        angular = np.cosh(eta[a] - eta[b]) - np.cos(phi[a] - phi[b])
        m2[p] = 2.0 * pt[a] * pt[b] * angular
        sfos = (flavour[a] == flavour[b]) & (charge[a] != charge[b])
        distance[p] = np.where(sfos, np.abs(np.sqrt(m2[p]) - M_Z), np.inf)
    pair = np.argmin(distance, axis=0)

    def lepton(values, which):
        return np.take_along_axis(values, which[None, :], axis=0)[0]

    i, j = first[pair], second[pair]
    w = 3 - i - j  # the lepton left over, attributed to the W (or top) decay
    pt_i, pt_j, pt_w = lepton(pt, i), lepton(pt, j), lepton(pt, w)
    phi_i, phi_j, phi_w = lepton(phi, i), lepton(phi, j), lepton(phi, w)
    d_phi = wrap_angle(phi_i - phi_j)
    d_eta = lepton(eta, i) - lepton(eta, j)
    cos_w = (np.cos(phi_w) * met_x + np.sin(phi_w) * met_y) / np.maximum(met, 1e-12)

    # Fill feature by feature into a column-major block (contiguous columns).
    X = np.empty((len(FEATURE_NAMES), m))
    X[0:3] = pt
    X[3:6] = eta
    X[_COLUMN["lep1_phi"]] = phi[0]
    X[_COLUMN["m_ll"]] = np.sqrt(lepton(m2, pair))
    X[_COLUMN["m_lll"]] = np.sqrt(m2.sum(axis=0))  # massless leptons
    X[_COLUMN["mt_w"]] = np.sqrt(np.maximum(2.0 * pt_w * met * (1.0 - cos_w), 0.0))
    X[_COLUMN["met"]] = met
    X[_COLUMN["n_jets"]] = np.bincount(jet_idx[good], minlength=m)
    X[_COLUMN["n_bjets"]] = np.bincount(jet_idx[tagged], minlength=m)
    X[_COLUMN["ht"]] = np.bincount(jet_idx[good], weights=jet_pt[good], minlength=m)
    X[_COLUMN["dr_ll"]] = np.hypot(d_eta, d_phi)
    X[_COLUMN["pt_z"]] = np.sqrt(
        np.maximum(pt_i**2 + pt_j**2 + 2.0 * pt_i * pt_j * np.cos(d_phi), 0.0)
    )
    X[_COLUMN["n_pv"]] = 0.0
    return selected, X.T


def _simulate(process, rows, X, rng):
    """Generate batches of `process` until ``X[rows]`` is filled with selected events.

    Returns the number of generated events this took, counted up to and including
    the last event kept, as if the events were generated one by one.
    """
    generate = GENERATORS[process]
    n_events, n_kept, n_generated = rows.size, 0, 0
    n_tried, n_passed = 0, 0
    efficiency = _EFFICIENCY_GUESS[process]
    while n_kept < n_events:
        need = n_events - n_kept
        size = int(min(_MAX_BATCH, max(1024, 1.1 * need / efficiency)))
        selected, block = _reconstruct(generate(rng, size), rng)
        n_tried += size
        n_passed += block.shape[0]
        if block.shape[0] > need:
            n_generated += int(np.flatnonzero(selected)[need - 1]) + 1
            block = block[:need]
        else:
            n_generated += selected.size
        X[rows[n_kept : n_kept + block.shape[0]]] = block
        n_kept += block.shape[0]
        efficiency = max(n_passed / n_tried, 1e-3)
    return n_generated


def _check_processes(value):
    """Return `value` as a tuple of distinct known process names."""
    processes = (value,) if isinstance(value, str) else value
    try:
        processes = tuple(processes)
    except TypeError:
        processes = ()
    allowed = f"any of {PROCESSES}, each at most once"
    if not processes:
        raise ValueError(
            f"`processes` must be a non-empty sequence of process names, {allowed}; "
            f"got {value!r}."
        )
    for name in processes:
        if name not in PROCESSES:
            matches = [p for p in PROCESSES if p.lower() == str(name).lower()]
            matches = matches or difflib.get_close_matches(str(name), PROCESSES, 1, 0.5)
            hint = f" Did you mean {matches[0]!r}?" if matches else ""
            raise ValueError(
                f"`processes` contains the unknown process {name!r}; allowed are "
                f"{allowed}.{hint}"
            )
    if len(set(processes)) != len(processes):
        raise ValueError(
            f"`processes` must not repeat a process; got {processes}. Allowed are "
            f"{allowed}."
        )
    return processes


def _descr(processes, cross_section, n_generated):
    """The DESCR text, with the cross sections and the generated event counts."""
    rows = []
    for name, xsec, n_gen in zip(processes, cross_section, n_generated):
        inclusive, branching = CROSS_SECTIONS[name]
        rows.append(
            f"    {name:<4} {inclusive:>6.2f} pb x {branching:<9.4g} = "
            f"{xsec * 1e3:7.2f} fb   generated {n_gen:>9d}"
        )
    rows = "\n".join(rows)
    return f"""\
.. _diboson_dataset:

Toy three-lepton diboson events at a 13 TeV proton collider
-----------------------------------------------------------

Simulated WZ -> l nu l l, ZZ -> 4 l (one lepton lost) and
ttZ -> (b l nu)(b q q')(l l) events, l = e or mu, made with real four-vector
kinematics: Breit-Wigner boson masses, a falling system mass and an ISR-driven
pT spectrum, isotropic two-body decays in the rest frames with Lorentz boosts
to the lab, smeared leptons, jets and missing transverse momentum, b-tagging,
and a three-lepton selection (exactly three leptons with pT > 25, 15, 10 GeV
and |eta| < 2.5).

**Data Set Characteristics:**

:Number of Features: 17 (energies in GeV)
:Features: {", ".join(FEATURE_NAMES)}
:Uninformative: lep1_phi (uniform in (-pi, pi]) and n_pv (pile-up vertices)
:Classes: {", ".join(processes)} (the target is the index into this list)
:Weights: cross section x branching fraction x {LUMINOSITY:g} fb^-1 / generated

Cross sections used (13 TeV):

{rows}

"Generated" counts every event simulated before the detector selection, so the
sum of the weights of a process is its expected number of selected events.
See the docstring of make_diboson for the physics of each step.
"""


def make_diboson(
    n_samples=10_000,
    *,
    processes=("WZ", "ZZ"),
    random_state=None,
    as_frame=False,
    return_X_y=False,
):
    """Generate toy three-lepton WZ, ZZ and ttZ events from a 13 TeV collider.

    A small, fast Monte Carlo event generator and detector simulation written in
    vectorised NumPy. Each event goes through the steps of a real analysis chain:
    bosons with Breit-Wigner masses are produced in a system with a falling mass
    spectrum, decay isotropically in their rest frames, are boosted to the
    laboratory, and their leptons, jets and missing transverse momentum are
    smeared by a detector and selected. The result is a classification problem
    with the correlations and the overlaps between classes of the real one:
    separating WZ from ZZ, or from ttZ, by their kinematics.

    The `n_samples` events are split equally between the processes (the first
    ``n_samples % len(processes)`` processes get one event more) and shuffled.

    Parameters
    ----------
    n_samples : int, default=10_000
        Total number of selected events, at least one per process.

    processes : sequence of str, default=("WZ", "ZZ")
        The processes to simulate, any of ``"WZ"``, ``"ZZ"`` and ``"ttZ"``, each
        at most once, in any order. The order defines the class labels:
        ``target == i`` means ``processes[i]``. A single string is taken as a
        one-element tuple.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation. A seed is drawn from it for a
        :class:`numpy.random.Generator` that does the simulation. Pass an int
        for reproducible output across multiple function calls.

    as_frame : bool, default=False
        If True, `data` is a pandas DataFrame (``n_jets``, ``n_bjets`` and
        ``n_pv`` as integer columns), `target` a Series named ``"target"``, and
        `frame` a DataFrame with both.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch (the weights are
        then not returned).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_samples, 17) or DataFrame
            The features, in the order of `feature_names`, energies in GeV.
        target : ndarray of shape (n_samples,) or Series
            Index of the process in `target_names`.
        target_names : ndarray of str
            The process names, as given in `processes`.
        feature_names : list of str
            The column names, see Notes.
        feature_units : dict
            The unit of each feature: ``"GeV"`` for momenta, masses and
            energies, ``"rad"`` for ``lep1_phi``, ``""`` (dimensionless) for
            the pseudorapidities, ``dr_ll`` and the counts.
        sample_weight : ndarray of shape (n_samples,)
            Expected number of events at 139 fb^-1 that each simulated event
            stands for; constant within a process.
        cross_section : ndarray of shape (n_processes,)
            Cross section times branching fraction of each process, in pb.
        luminosity : float
            Integrated luminosity of the weights, in fb^-1 (139).
        n_generated : ndarray of shape (n_processes,)
            Number of events simulated per process before the selection.
        frame : DataFrame or None
            `data` and `target` together when ``as_frame=True``, else None.
        DESCR : str
            Description of the generator and of the cross sections used.

    (data, target) : tuple if ``return_X_y`` is True
        The `data` and `target` described above.

    See Also
    --------
    sklearn.datasets.make_classification : Generic synthetic classification
        data without physics.

    Notes
    -----
    **Processes.** All three processes give three charged leptons (electrons
    or muons, chosen with equal probability) of which two come from a Z boson,
    so every event has a same-flavour opposite-sign (SFOS) lepton pair near the
    Z mass. They differ in what comes with the Z:

    - ``WZ``: q qbar' -> W Z with W -> l nu and Z -> l l. The neutrino escapes
      and shows up as missing transverse momentum (MET). W+ and W- come in the
      ratio 3:2 (protons hold more u than d quarks).
    - ``ZZ``: q qbar -> Z Z -> 4 l, with one lepton lost because it falls outside
      the detector (``|eta| > 2.5``), is too soft (pT < 7 GeV) or fails the
      identification (5 % per lepton). No neutrino: the MET is only detector
      resolution. The lost lepton is not added to the MET.
    - ``ttZ``: g g -> t tbar Z, with t -> b W, one W -> l nu and the other
      W -> q q', and Z -> l l. Two b quarks and two light quarks give jets,
      b-tagged jets, a large HT and real MET.

    **Kinematics.** Boson masses follow a relativistic Breit-Wigner,
    ``1 / ((m^2 - M^2)^2 + M^2 Gamma^2)`` in ``m^2``, cut to a window around the
    pole: Z (M = 91.19, Gamma = 2.50 GeV, 66-116 GeV), W (80.38, 2.09,
    50-110 GeV), top (172.5, 1.42, 165-180 GeV). The mass of the produced
    system is the sum of its particle masses plus a Gamma-distributed excess
    (shape 1.5, scale 70 GeV for WZ and ZZ; shape 1.6, scale 150 GeV for ttZ),
    a falling spectrum standing in for the steeply falling parton luminosity.
    The system's transverse momentum is the recoil against initial-state
    radiation (ISR): Poisson(0.8 log(M / 40 GeV)) emissions with a power-law
    pT spectrum ``pT^-2.6`` above 15 GeV and eta ~ Normal(0, 1.8), plus a
    Gaussian intrinsic kT of 4 GeV per component. Its rapidity is
    Normal(0, 1.2), within the kinematic limit ``log(sqrt(s) / M)``.
    Decays are two-body and isotropic in the rest frame of the decaying
    particle, with daughter momentum
    ``p* = sqrt((M^2 - (m1 + m2)^2)(M^2 - (m1 - m2)^2)) / (2 M)``, then
    Lorentz-boosted to the laboratory (the second daughter is the parent minus
    the first, so four-momentum is conserved exactly). The ttZ three-body
    phase space is built as ttZ -> Z + (t tbar) -> Z + t + tbar with the
    (t tbar) mass accepted with probability proportional to the product of the
    two breakup momenta, which makes it flat in phase space. Spin
    correlations, the forward peaking of q q' -> WZ, parton showers and
    hadronisation are left out: quarks are taken as jets.

    **Detector.** Lepton pT is smeared by a Gaussian of relative width
    ``2 % (+) 0.01 % x pT / GeV`` (added in quadrature), jet pT by
    ``80 % / sqrt(pT / GeV) (+) 5 %``; directions are exact. Jets count when
    pT > 30 GeV and ``|eta| < 4.5`` (there is no lepton-jet overlap removal).
    A jet within ``|eta| < 2.5`` is b-tagged with probability 70 % if it comes
    from a b quark, 1 % otherwise. The MET is the vector sum of the neutrino
    pT plus Gaussian noise of ``4 GeV (+) 0.5 sqrt(sum ET / GeV)`` per
    component, where sum ET is the scalar sum of the lepton and jet pT. The
    number of reconstructed pile-up vertices ``n_pv`` is 1 + Poisson(mu) with
    mu ~ Gamma(mean 30, shape 9) (fill-to-fill variation); unlike in a real
    detector it does not degrade the MET resolution, so that it stays free of
    information.

    **Selection.** A lepton is reconstructed when pT > 7 GeV, ``|eta| < 2.5`` and
    it passes the 95 % identification. An event is kept when exactly three
    leptons are reconstructed (a fourth-lepton veto) and, sorted by pT, they
    pass pT > 25, 15 and 10 GeV. Events are generated in batches and the
    selected ones kept until each process has its share of `n_samples`.
    About 63 % of the generated WZ, 28 % of the ZZ and 63 % of the ttZ events
    pass (``n_samples / n_generated`` per process).

    **Features.** ``lep{1,2,3}_pt`` and ``lep{1,2,3}_eta`` of the leptons sorted
    by pT; ``lep1_phi`` of the leading lepton, after rotating each event by a
    random angle about the beam, which changes nothing else (the other
    features are invariant under the rotation), so it is exactly uniform in
    (-pi, pi] and carries no information; ``m_ll``, the mass of the Z candidate,
    the SFOS pair closest to 91.19 GeV; ``m_lll``, the three-lepton mass;
    ``mt_w``, the transverse mass ``sqrt(2 pT MET (1 - cos dphi))`` of the
    lepton not in the Z candidate and the MET: for a W decay it cannot exceed
    the W mass, and the Jacobian of the change of variables from the decay
    angle piles the events up just below it, an edge at 80 GeV smeared by the
    W width and the MET resolution (ZZ, with no neutrino, has no edge);
    ``met``; ``n_jets``, ``n_bjets`` and ``ht``, the count,
    b-tagged count and scalar pT sum of the jets; ``dr_ll`` =
    ``sqrt(deta^2 + dphi^2)`` and ``pt_z`` of the Z candidate leptons;
    ``n_pv``, pile-up, uninformative.

    **Weights.** ``sample_weight = sigma x BR x L / N_generated`` with
    L = 139 fb^-1 (the LHC Run 2 data set) and N_generated the events
    simulated before the selection, so the weights of a process add up to its
    expected number of selected events. Cross sections (13 TeV) times
    branching fractions into e and mu (taus are not simulated): WZ 51.0 pb x
    0.0144 = 0.732 pb (NNLO, 66 < m_ll < 116 GeV); ZZ 16.9 pb x 0.00453 =
    0.0765 pb (NNLO); ttZ 0.86 pb x 0.0194 = 0.0166 pb (NLO+NNLL, one top
    decaying leptonically). The weights are for yields and plots; a classifier
    trained on equal numbers of events per process is usually better trained
    without them.

    References
    ----------
    .. [1] R. L. Workman et al. (Particle Data Group), "Review of Particle
       Physics", PTEP 2022, 083C01 (2022).
    .. [2] ATLAS Collaboration, "Measurement of W±Z production cross sections
       and gauge boson polarisation in pp collisions at sqrt(s) = 13 TeV with
       the ATLAS detector", Eur. Phys. J. C 79 (2019) 535.

    Examples
    --------
    >>> import numpy as np
    >>> from physml_sklearn.datasets import make_diboson
    >>> events = make_diboson(n_samples=3000, processes=("WZ", "ZZ", "ttZ"),
    ...                       random_state=0)
    >>> events.data.shape
    (3000, 17)
    >>> events.target_names.tolist()
    ['WZ', 'ZZ', 'ttZ']
    >>> np.bincount(events.target).tolist()
    [1000, 1000, 1000]
    >>> events.feature_names[7:11]
    ['m_ll', 'm_lll', 'mt_w', 'met']
    >>> [events.feature_units[name] for name in ("met", "lep1_eta", "lep1_phi", "n_jets")]
    ['GeV', '', 'rad', '']
    >>> m_ll = events.data[:, events.feature_names.index("m_ll")]
    >>> bool(abs(np.median(m_ll) - 91.19) < 3)
    True

    As pandas objects, ready for a classifier:

    >>> X, y = make_diboson(500, random_state=0, as_frame=True, return_X_y=True)
    >>> X.columns[-3:].tolist()
    ['dr_ll', 'pt_z', 'n_pv']
    >>> y.name
    'target'
    """
    processes = _check_processes(processes)
    n_samples = check_n_samples(
        n_samples,
        minimum=len(processes),
        reason=f" (at least one event for each of the {len(processes)} processes)",
        row_bytes=560,
    )
    as_frame = check_bool(as_frame, "as_frame")
    return_X_y = check_bool(return_X_y, "return_X_y")
    seed = check_random_state(random_state).randint(0, 2**31 - 1, size=4)
    rng = np.random.default_rng(seed)

    n_processes = len(processes)
    counts = [
        n_samples // n_processes + (i < n_samples % n_processes)
        for i in range(n_processes)
    ]
    # Events are written straight to their shuffled rows: process i fills the rows
    # permutation[start_i : start_i + counts[i]].
    permutation = rng.permutation(n_samples)
    X = np.empty((n_samples, len(FEATURE_NAMES)))
    y = np.empty(n_samples, dtype=np.intp)
    n_generated, start = [], 0
    for label, (process, count) in enumerate(zip(processes, counts)):
        rows = permutation[start : start + count]
        n_generated.append(_simulate(process, rows, X, rng))
        y[rows] = label
        start += count

    # Process-independent columns, drawn for all events alike.
    phi = X[:, _COLUMN["lep1_phi"]]
    X[:, _COLUMN["lep1_phi"]] = wrap_angle(phi + rng.uniform(-np.pi, np.pi, n_samples))
    pileup = rng.gamma(PILEUP_SHAPE, PILEUP_MEAN / PILEUP_SHAPE, n_samples)
    X[:, _COLUMN["n_pv"]] = 1 + rng.poisson(pileup)

    cross_section = np.array([np.prod(CROSS_SECTIONS[p]) for p in processes])
    n_generated = np.array(n_generated)
    weight = cross_section * (LUMINOSITY * 1e3) / n_generated  # fb^-1 -> pb^-1
    sample_weight = weight[y]

    frame = None
    if as_frame:
        import pandas as pd

        X = pd.DataFrame(X, columns=FEATURE_NAMES)
        X = X.astype({name: np.int64 for name in _COUNT_COLUMNS})
        y = pd.Series(y, name="target")
        frame = pd.concat([X, y], axis=1)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        target_names=np.array(processes),
        feature_names=list(FEATURE_NAMES),
        feature_units=dict(FEATURE_UNITS),
        sample_weight=sample_weight,
        cross_section=cross_section,
        luminosity=LUMINOSITY,
        n_generated=n_generated,
        frame=frame,
        DESCR=_descr(processes, cross_section, n_generated),
    )
