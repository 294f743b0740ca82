"""Vectorised relativistic kinematics for the toy event generator.

Four-vectors are stored "structure of arrays": a tuple ``(E, px, py, pz)`` of
1-D float arrays, one entry per event, in GeV with c = 1. Every function works on
whole arrays at once, so a batch of events costs a handful of NumPy calls.
"""

import numpy as np


def breit_wigner_mass(rng, mass, width, low, high, size):
    """Draw masses from a relativistic Breit-Wigner truncated to ``[low, high]``.

    The density in ``s = m**2`` is ``1 / ((s - M**2)**2 + M**2 * Gamma**2)``; with
    ``s = M**2 + M * Gamma * tan(u)`` it becomes flat in ``u``, so the draw is
    exact and needs no rejection.
    """
    mw = mass * width
    u_low = np.arctan((low * low - mass * mass) / mw)
    u_high = np.arctan((high * high - mass * mass) / mw)
    u = rng.uniform(u_low, u_high, size)
    return np.sqrt(mass * mass + mw * np.tan(u))


def breakup_momentum(mass, m1, m2):
    """Momentum of either daughter in the rest frame of a two-body decay.

    ``p* = sqrt((M**2 - (m1 + m2)**2) * (M**2 - (m1 - m2)**2)) / (2 M)``.
    """
    m_sum = m1 + m2
    m_diff = m1 - m2
    arg = (mass * mass - m_sum * m_sum) * (mass * mass - m_diff * m_diff)
    return np.sqrt(np.maximum(arg, 0.0)) / (2.0 * mass)


def from_pt_rapidity(px, py, rapidity, mass):
    """Four-vector of a system with transverse momentum, rapidity and mass."""
    mt = np.sqrt(mass * mass + px * px + py * py)
    return mt * np.cosh(rapidity), px, py, mt * np.sinh(rapidity)


def boost(p, parent, parent_mass):
    """Boost `p` from the rest frame of `parent` to the frame `parent` is given in.

    With ``beta = P / E_P`` and ``gamma = E_P / M_P``::

        E'   = gamma * (E + beta . p)
        p'   = p + (gamma**2 / (1 + gamma) * beta . p + gamma * E) * beta

    ``gamma**2 / (1 + gamma)`` equals ``(gamma - 1) / beta**2`` but stays finite
    for a parent at rest.
    """
    e, px, py, pz = p
    pe, ppx, ppy, ppz = parent
    gamma = pe / parent_mass
    beta_dot_p = (ppx * px + ppy * py + ppz * pz) / pe
    coef = (gamma * gamma / (1.0 + gamma) * beta_dot_p + gamma * e) / pe
    return (
        gamma * (e + beta_dot_p),
        px + coef * ppx,
        py + coef * ppy,
        pz + coef * ppz,
    )


def two_body_decay(rng, parent, parent_mass, m1, m2):
    """Decay `parent` isotropically in its rest frame into masses `m1` and `m2`.

    The first daughter is drawn with a uniform direction (flat in cos(theta) and
    phi) in the parent rest frame and boosted to the frame of `parent`; the second
    is ``parent - first``, so four-momentum is conserved exactly.
    Returns the two daughter four-vectors.
    """
    n = parent[0].shape[0]
    p_star = breakup_momentum(parent_mass, m1, m2)
    cos_theta = rng.uniform(-1.0, 1.0, n)
    sin_theta = np.sqrt(1.0 - cos_theta * cos_theta)
    phi = rng.uniform(-np.pi, np.pi, n)
    p_t = p_star * sin_theta
    rest = (
        np.sqrt(p_star * p_star + m1 * m1),
        p_t * np.cos(phi),
        p_t * np.sin(phi),
        p_star * cos_theta,
    )
    first = boost(rest, parent, parent_mass)
    second = tuple(a - b for a, b in zip(parent, first))
    return first, second


def pt_eta_phi(p):
    """Transverse momentum, pseudorapidity and azimuth of a four-vector."""
    _, px, py, pz = p
    pt = np.hypot(px, py)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.arcsinh(pz / pt)
    return pt, eta, np.arctan2(py, px)


def wrap_angle(phi):
    """Map angles to the interval (-pi, pi]."""
    return np.pi - np.mod(np.pi - phi, 2.0 * np.pi)
