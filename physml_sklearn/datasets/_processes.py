"""Truth-level event generation for WZ, ZZ and ttZ at a 13 TeV LHC.

Each ``generate_*`` function simulates a batch of events up to the stable
particles: resonance masses, the hard system recoiling against initial-state
radiation, and the chain of two-body decays boosted to the laboratory. The
detector response and the selection live in :mod:`._diboson`.
"""

import numpy as np

from ._kinematics import (
    breakup_momentum,
    breit_wigner_mass,
    from_pt_rapidity,
    pt_eta_phi,
    two_body_decay,
)

# Masses and widths in GeV, and the windows the Breit-Wigner draws are cut to.
M_Z, GAMMA_Z, Z_WINDOW = 91.19, 2.50, (66.0, 116.0)
M_W, GAMMA_W, W_WINDOW = 80.38, 2.09, (50.0, 110.0)
M_TOP, GAMMA_TOP, TOP_WINDOW = 172.5, 1.42, (165.0, 180.0)
M_B = 4.8
SQRT_S = 13_000.0

# Branching fractions (PDG), with l = e or mu only: taus are not simulated.
BR_W_LNU = 0.1071 + 0.1063
BR_W_QQ = 0.6741
BR_Z_LL = 0.03363 + 0.03366

# Inclusive 13 TeV cross sections in pb and the branching fraction into the
# simulated final state: WZ -> l nu l l, ZZ -> 4 l, ttZ -> (b l nu)(b q q')(l l).
CROSS_SECTIONS = {
    "WZ": (51.0, BR_W_LNU * BR_Z_LL),
    "ZZ": (16.9, BR_Z_LL * BR_Z_LL),
    "ttZ": (0.86, BR_Z_LL * 2.0 * BR_W_LNU * BR_W_QQ),
}
LUMINOSITY = 139.0  # fb^-1

# Initial-state radiation: Poisson(ISR_RATE * log(M / ISR_SCALE)) emissions with a
# power-law pT spectrum above ISR_PT_MIN, plus a Gaussian intrinsic kT.
ISR_RATE, ISR_SCALE = 0.8, 40.0
ISR_PT_MIN, ISR_PT_MAX, ISR_PT_INDEX = 15.0, 1000.0, 2.6
ISR_ETA_SPREAD, INTRINSIC_KT = 1.8, 4.0


def initial_state_radiation(rng, mass):
    """Emissions off the incoming partons and the recoil they give the system."""
    n = mass.shape[0]
    counts = rng.poisson(ISR_RATE * np.log(mass / ISR_SCALE))
    idx = np.repeat(np.arange(n), counts)
    # Power law dN/dpT ~ pT**-ISR_PT_INDEX between ISR_PT_MIN and ISR_PT_MAX.
    power = ISR_PT_INDEX - 1.0
    u_min = (ISR_PT_MIN / ISR_PT_MAX) ** power
    u = rng.uniform(u_min, 1.0, idx.size)
    pt = ISR_PT_MIN * u ** (-1.0 / power)
    phi = rng.uniform(-np.pi, np.pi, idx.size)
    eta = rng.normal(0.0, ISR_ETA_SPREAD, idx.size)
    recoil_x = -np.bincount(idx, weights=pt * np.cos(phi), minlength=n)
    recoil_y = -np.bincount(idx, weights=pt * np.sin(phi), minlength=n)
    jets = {"idx": idx, "pt": pt, "eta": eta, "is_b": np.zeros(idx.size, bool)}
    return jets, recoil_x, recoil_y


def hard_system(rng, mass):
    """Lab four-vector of a system of given mass, recoiling against ISR."""
    n = mass.shape[0]
    jets, px, py = initial_state_radiation(rng, mass)
    px = px + rng.normal(0.0, INTRINSIC_KT, n)
    py = py + rng.normal(0.0, INTRINSIC_KT, n)
    y_max = np.log(SQRT_S / mass)
    rapidity = np.clip(rng.normal(0.0, 1.2, n), -y_max, y_max)
    return from_pt_rapidity(px, py, rapidity, mass), jets


def _event(leptons, flavour, charge, jets, nu=None):
    """Bundle the truth record of a batch for the detector simulation.

    Lepton arrays have shape (n_events, n_leptons): transverse momentum ``pt``
    and momentum components ``px``, ``py``, ``pz`` in GeV, ``flavour`` (0 for e,
    1 for mu) and ``charge`` (+1 or -1). ``nu_px`` and ``nu_py`` hold the summed
    neutrino transverse momentum, and ``jets`` the flat jet record: event index
    ``idx``, ``pt``, ``eta`` and whether the jet comes from a b quark, ``is_b``.
    """
    n = leptons[0][0].shape[0]
    px, py, pz = (np.stack([p[c] for p in leptons], axis=1) for c in (1, 2, 3))
    return {
        "pt": np.hypot(px, py),
        "px": px,
        "py": py,
        "pz": pz,
        "flavour": np.stack(flavour, axis=1),
        "charge": np.stack(charge, axis=1),
        "nu_px": np.zeros(n) if nu is None else nu[1],
        "nu_py": np.zeros(n) if nu is None else nu[2],
        "jets": jets,
    }


def generate_wz(rng, n):
    """``n`` events q q' -> W Z -> (l nu) (l l)."""
    m_z = breit_wigner_mass(rng, M_Z, GAMMA_Z, *Z_WINDOW, n)
    m_w = breit_wigner_mass(rng, M_W, GAMMA_W, *W_WINDOW, n)
    m_vv = m_z + m_w + rng.gamma(1.5, 70.0, n)
    system, jets = hard_system(rng, m_vv)
    z, w = two_body_decay(rng, system, m_vv, m_z, m_w)
    l1, l2 = two_body_decay(rng, z, m_z, 0.0, 0.0)
    l3, nu = two_body_decay(rng, w, m_w, 0.0, 0.0)
    z_flavour = rng.integers(0, 2, n)
    w_charge = np.where(rng.random(n) < 0.6, 1, -1)  # W+Z : W-Z is about 3 : 2
    ones = np.ones(n, int)
    flavour = (z_flavour, z_flavour, rng.integers(0, 2, n))
    return _event((l1, l2, l3), flavour, (-ones, ones, w_charge), jets, nu)


def generate_zz(rng, n):
    """``n`` events q q -> Z Z -> (l l) (l l)."""
    m_z1 = breit_wigner_mass(rng, M_Z, GAMMA_Z, *Z_WINDOW, n)
    m_z2 = breit_wigner_mass(rng, M_Z, GAMMA_Z, *Z_WINDOW, n)
    m_vv = m_z1 + m_z2 + rng.gamma(1.5, 70.0, n)
    system, jets = hard_system(rng, m_vv)
    z1, z2 = two_body_decay(rng, system, m_vv, m_z1, m_z2)
    l1, l2 = two_body_decay(rng, z1, m_z1, 0.0, 0.0)
    l3, l4 = two_body_decay(rng, z2, m_z2, 0.0, 0.0)
    f1, f2 = rng.integers(0, 2, n), rng.integers(0, 2, n)
    ones = np.ones(n, int)
    return _event((l1, l2, l3, l4), (f1, f1, f2, f2), (-ones, ones, -ones, ones), jets)


def generate_ttz(rng, n):
    """Events g g -> t tbar Z -> (b l nu) (b q q') (l l).

    Of the ``n`` events tried, those rejected by the unweighting of the
    three-body phase space are dropped, so fewer than ``n`` are returned.
    """
    m_z = breit_wigner_mass(rng, M_Z, GAMMA_Z, *Z_WINDOW, n)
    m_t1 = breit_wigner_mass(rng, M_TOP, GAMMA_TOP, *TOP_WINDOW, n)
    m_t2 = breit_wigner_mass(rng, M_TOP, GAMMA_TOP, *TOP_WINDOW, n)
    mass = m_z + m_t1 + m_t2 + rng.gamma(1.6, 150.0, n)
    # Three-body phase space: ttZ -> Z + (tt), the tt mass drawn flat and kept
    # with probability p*(M; m_Z, m_tt) p*(m_tt; m_t1, m_t2) / (its maximum).
    m_tt = rng.uniform(m_t1 + m_t2, mass - m_z)
    weight = breakup_momentum(mass, m_z, m_tt) * breakup_momentum(m_tt, m_t1, m_t2)
    bound = breakup_momentum(mass, m_z, m_t1 + m_t2) * breakup_momentum(
        mass - m_z, m_t1, m_t2
    )
    keep = rng.random(n) * bound < weight
    m_z, m_t1, m_t2, mass, m_tt = (a[keep] for a in (m_z, m_t1, m_t2, mass, m_tt))
    n = mass.shape[0]

    system, isr = hard_system(rng, mass)
    z, tt = two_body_decay(rng, system, mass, m_z, m_tt)
    t1, t2 = two_body_decay(rng, tt, m_tt, m_t1, m_t2)
    m_w1 = breit_wigner_mass(rng, M_W, GAMMA_W, *W_WINDOW, n)
    m_w2 = breit_wigner_mass(rng, M_W, GAMMA_W, *W_WINDOW, n)
    b1, w1 = two_body_decay(rng, t1, m_t1, M_B, m_w1)
    b2, w2 = two_body_decay(rng, t2, m_t2, M_B, m_w2)
    l3, nu = two_body_decay(rng, w1, m_w1, 0.0, 0.0)  # t -> b l nu
    q1, q2 = two_body_decay(rng, w2, m_w2, 0.0, 0.0)  # t -> b q q'
    l1, l2 = two_body_decay(rng, z, m_z, 0.0, 0.0)

    # Quarks are taken as jets, four per event (b, b, q, q'), then the ISR jets.
    parton_pt, parton_eta, _ = (
        np.stack(values, axis=1).ravel()
        for values in zip(*(pt_eta_phi(p) for p in (b1, b2, q1, q2)))
    )
    jets = {
        "idx": np.concatenate([np.repeat(np.arange(n), 4), isr["idx"]]),
        "pt": np.concatenate([parton_pt, isr["pt"]]),
        "eta": np.concatenate([parton_eta, isr["eta"]]),
        "is_b": np.concatenate([np.tile([True, True, False, False], n), isr["is_b"]]),
    }
    z_flavour = rng.integers(0, 2, n)
    top_charge = np.where(rng.random(n) < 0.5, 1, -1)
    ones = np.ones(n, int)
    flavour = (z_flavour, z_flavour, rng.integers(0, 2, n))
    return _event((l1, l2, l3), flavour, (-ones, ones, top_charge), jets, nu)


GENERATORS = {"WZ": generate_wz, "ZZ": generate_zz, "ttZ": generate_ttz}

PROCESSES = tuple(GENERATORS)
