"""Initial mean elements of engine.longterm.decay from osculating Cartesian states: the
first-order (Kozai) average over one orbit of point mass + J2, and the osculating elements and
angles it averages.
"""

from __future__ import annotations

import numpy as np

from .._orbits import osculating_vectors
from ._params import J2, MU, R_EQ


def osculating_elements(r, v):
    """Osculating two-body elements in vector form (MU, WGS-84 GM).

    Parameters
    ----------
    r, v : (N, 3) float64
        Positions (km) and velocities (km/s).

    Returns
    -------
    a : (N,) float64
        Semi-major axis, km (NaN where not bound: engine._orbits.osculating_vectors).
    ev : (N, 3) float64
        Eccentricity vector.
    h : (N, 3) float64
        Angular momentum, km^2/s. The angles follow from ev and h (:func:`_angles`).
    """
    a, ev, h, _ = osculating_vectors(r, v, MU)
    return a, ev, h


def _angles(ev, h):
    """e, i, RAAN, w (rad), (N,) each, from eccentricity vectors and angular momenta
    (N, 3). Circular / equatorial orbits get w = 0 / RAAN = 0 (the angles are then
    undefined and do not affect decay)."""
    hn = np.linalg.norm(h, axis=-1)
    w_hat = h / hn[..., None]
    inc = np.arccos(np.clip(w_hat[..., 2], -1.0, 1.0))
    node = np.stack([-w_hat[..., 1], w_hat[..., 0], np.zeros_like(hn)], axis=-1)
    nn = np.linalg.norm(node, axis=-1)
    equatorial = nn < 1e-12
    node = np.where(equatorial[..., None], np.array([1.0, 0.0, 0.0]), node / np.where(equatorial, 1.0, nn)[..., None])
    raan = np.mod(np.arctan2(node[..., 1], node[..., 0]), 2 * np.pi)
    e = np.linalg.norm(ev, axis=-1)
    # w: angle from the node line to the eccentricity vector, measured in the orbit plane
    q_hat = np.cross(w_hat, node)
    argp = np.mod(np.arctan2(np.einsum("...i,...i->...", ev, q_hat),
                             np.einsum("...i,...i->...", ev, node)), 2 * np.pi)
    return e, inc, raan, argp


def _j2_accel(r):
    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    z2 = (r[..., 2:3] / rn) ** 2
    k = -1.5 * J2 * MU * R_EQ**2 / rn**5
    fac = np.concatenate([1 - 5 * z2, 1 - 5 * z2, 3 - 5 * z2], axis=-1)
    return -MU * r / rn**3 + k * r * fac


def mean_elements_from_states(r, v, *, steps: int = 128):
    """First-order mean elements of osculating states.

    The state is propagated with point mass + J2 over one orbital period (RK4, `steps`
    steps) and the osculating a, eccentricity vector and angular-momentum direction are
    averaged over it (Kozai 1959: short-period J2 terms have zero mean over the mean
    anomaly). Orbits with osculating e >= 0.5 or a perigee inside the Earth keep their
    osculating elements (the fixed-step average would not resolve the perigee).

    Parameters
    ----------
    r, v : (N, 3) float64
        TEME positions (km) and velocities (km/s).
    steps : int
        RK4 steps over the period (default 128).

    Returns
    -------
    (N, 5) float64
        a_km (km), ecco, inclo, nodeo, argpo (rad). Rows that are not bound orbits
        (e >= 1 or a <= 0) are NaN; :func:`decay` reports them as NOT_ORBITING.
    """
    r = np.array(r, dtype=np.float64).reshape(-1, 3)
    v = np.array(v, dtype=np.float64).reshape(-1, 3)
    a0, ev0, h0 = osculating_elements(r, v)
    bound = (a0 > 0) & (np.linalg.norm(ev0, axis=-1) < 1)
    period = 2 * np.pi * np.sqrt(np.where(bound, a0, R_EQ) ** 3 / MU)
    dt = (period / steps)[:, None]
    sa = np.zeros(r.shape[0])
    se = np.zeros_like(r)
    sh = np.zeros_like(r)
    for _ in range(steps):
        # trapezoid over a closed period = mean of the samples at the step starts
        a, ev, h = osculating_elements(r, v)
        sa += a
        se += ev
        sh += h / np.linalg.norm(h, axis=-1, keepdims=True)
        k1r, k1v = v, _j2_accel(r)
        k2r, k2v = v + 0.5 * dt * k1v, _j2_accel(r + 0.5 * dt * k1r)
        k3r, k3v = v + 0.5 * dt * k2v, _j2_accel(r + 0.5 * dt * k2r)
        k4r, k4v = v + dt * k3v, _j2_accel(r + dt * k3r)
        r = r + dt / 6 * (k1r + 2 * k2r + 2 * k3r + k4r)
        v = v + dt / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
    a = sa / steps
    e, inc, raan, argp = _angles(se / steps, sh / steps)
    out = np.stack([a, e, inc, raan, argp], axis=-1)
    # outside the averaging's range (e >= 0.5: fixed steps miss the perigee; perigee
    # inside the Earth: the path crosses r = 0) keep the osculating elements
    e0 = np.linalg.norm(ev0, axis=-1)
    osc = bound & ((e0 >= 0.5) | (a0 * (1.0 - e0) < R_EQ))
    if osc.any():
        out[osc] = np.stack([a0[osc], *_angles(ev0[osc], h0[osc])], axis=-1)
    out[~bound] = np.nan
    return out
