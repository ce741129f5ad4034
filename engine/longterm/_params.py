"""The orbit-averaged decay model shared by every part of engine.longterm: its constants and
status codes, the flat density-table parameters (_Params), the density law of the table, the
averaged rates of Gauss's equations, the quadrature nodes and their adaptive choice, and the
default step lengths. Both implementations (_numpy, and _cuda through kernels/longterm.cuh,
which computes the same terms) and the package's decay use these; the model is described in
engine.longterm's docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import atmosphere as _atm
from ..constants import SECONDS_PER_DAY, SGP4_RHO0_KG_M2_ER, WGS84_GM_KM3_S2, WGS84_OMEGA_RAD_S
from ..errors import DECAY_STATUS_MESSAGES, DecayStatus
from .._orbits import J2_WGS84, j2_radius_offset, mean_perigee_height_km

#: km^3/s^2, EGM-96 / WGS-84 (Vallado table D-1)
MU = WGS84_GM_KM3_S2
#: J2 (unnormalised) of EGM-96, with the WGS-84 radius
J2 = J2_WGS84
#: km, WGS-84 equatorial radius
R_EQ = _atm.R_EQ_KM
#: rad/s, Earth rotation rate (the atmosphere co-rotates)
OMEGA_EARTH = WGS84_OMEGA_RAD_S
#: kg/m^2 per earth radius: SGP4's reference density (engine.breakup.Fragments.bstar)
RHO0_SGP4 = SGP4_RHO0_KG_M2_ER
DAY_S = SECONDS_PER_DAY

#: per-object status codes of DecayResult.status: engine.errors.DecayStatus, whose values
#: these names keep (plain ints: see engine.errors on NumPy and int subclasses)
IN_ORBIT = int(DecayStatus.IN_ORBIT)
REENTERED = int(DecayStatus.REENTERED)
BELOW_AT_EPOCH = int(DecayStatus.BELOW_AT_EPOCH)
NOT_ORBITING = int(DecayStatus.NOT_ORBITING)
NEGATIVE_BSTAR = int(DecayStatus.NEGATIVE_BSTAR)
AFTER_STOP = int(DecayStatus.AFTER_STOP)
STEP_LIMIT = int(DecayStatus.STEP_LIMIT)
STEP_FAILED = int(DecayStatus.STEP_FAILED)
STATUS_MESSAGES = DECAY_STATUS_MESSAGES

#: most steps one object may take (a guard; a 5-year run takes about 2,000): decay's
#: default max_steps, a step count, not a status code
MAX_STEPS_PER_OBJECT = 1_000_000
#: old name of MAX_STEPS_PER_OBJECT, kept for existing callers; not engine.errors.MAX_STEPS
#: (the per-element code 22 of numerical propagation)
MAX_STEPS = MAX_STEPS_PER_OBJECT

#: element columns of DecayResult.elements and of the kernels' (N, 5) state
ELEMENTS = ("a_km", "ecco", "inclo", "nodeo", "argpo")

#: objects per block on the NumPy backend. Blocks run on threads, and each ufunc call must
#: hold enough work for NumPy's release of the GIL to pay: at 4,096 objects two threads ran
#: slower than one on a 2-core CPU, at 16,384 faster, and one thread was no slower
#: (benchmarks/NOTES.md, "Every core"). A block's result does not depend on its size.
BLOCK = 16384


# ----------------------------------------------------------------------------------
# the averaged equations (NumPy implementation; kernels/longterm.cuh is the device one)


@dataclass(frozen=True)
class _Params:
    alt0: float
    dalt: float
    na: int
    jd0: float
    djd: float
    nd: int
    coef: np.ndarray  # (D * A, 3)
    jd_ref: float
    cos_e: np.ndarray  # (K,)
    sin_e: np.ndarray
    step_days: float
    reentry_km: float
    max_steps: int = MAX_STEPS_PER_OBJECT
    #: coef's three columns as contiguous (D * A,) arrays (None: taken from coef); a
    #: gather from a 1-d array is ~3x faster than coef[i, j]
    cols: tuple | None = None

    def columns(self):
        if self.cols is not None:
            return self.cols
        return self.coef[:, 0], self.coef[:, 1], self.coef[:, 2]


def _table_cell(p: _Params, h, jd):
    """The table cell of heights h (km) and Julian dates jd (broadcast): flat row indices
    i0, i1 of the altitude node in the day rows around jd (i1 None for a one-row table),
    the weight w of i1, x = h - node (km) and xq = max(x, 0); the layout of the kernels."""
    # clip first: truncation of a non-negative value is floor
    k = np.clip((h - p.alt0) / p.dalt, 0, p.na - 1).astype(np.intp)
    x = h - (p.alt0 + k * p.dalt)
    xq = np.maximum(x, 0.0)
    if p.nd == 1:
        return k, None, 0.0, x, xq
    u = np.clip((jd - p.jd0) / p.djd, 0.0, p.nd - 1.0)
    d = np.minimum(u.astype(np.intp), p.nd - 2)
    i0 = d * p.na + k
    return i0, i0 + p.na, u - d, x, xq


def _log_density(p: _Params, h, jd):
    """ln rho at heights h (km) and Julian dates jd (broadcast (m, K) and (m, 1)); the
    table algorithm of engine.atmosphere.Table in the flat layout of the kernels."""
    i0, i1, w, x, xq = _table_cell(p, h, jd)
    c0, c1, c2 = p.columns()
    l0 = c0[i0] + x * (c1[i0] + c2[i0] * xq)
    if i1 is None:
        return l0
    l1 = c0[i1] + x * (c1[i1] + c2[i1] * xq)
    return l0 + w * (l1 - l0)


def _rates(p: _Params, y, t, bc):
    """Orbit-averaged rates per day of y (m, 5) = a, e, i, RAAN, w at times t (m,) days
    after jd_ref, for ballistic factors bc = cd A/M / 2 (m,) in km^2/kg.

    Per-object factors are formed first, so that each (m, K) node array costs one
    operation where it can (~70 per node; kernels/longterm.cuh computes the same terms
    in its own order)."""
    a, e, inc, argp = y[:, 0:1], y[:, 1:2], y[:, 2:3], y[:, 4:5]
    ce, se = p.cos_e, p.sin_e
    sq = np.sqrt(1.0 - e * e)
    si, ci = np.sin(inc), np.cos(inc)
    sw, cw = np.sin(argp), np.cos(argp)
    n = np.sqrt(MU / a**3)
    root = np.sqrt(MU * a)
    hmag = root * sq
    # Keplerian position and velocity in the perifocal frame at the E nodes
    g = 1.0 - e * ce                    # r / a, and the mean-anomaly weight dM/dE
    rr = a * g
    x = a * (ce - e)
    yy = (a * sq) * se
    vf = root / rr
    vx = vf * -se
    vy = (vf * sq) * ce
    rdotv = (root * e) * se             # r.v = sqrt(mu a) e sin E
    # Earth's axis in the perifocal frame (P, Q, W components) and the velocity relative
    # to the co-rotating atmosphere, v - omega x r
    pz, qz = sw * si, cw * si
    wo = OMEGA_EARTH * ci
    vrx = vx + wo * yy
    vry = vy - wo * x
    vrz = (OMEGA_EARTH * qz) * x - (OMEGA_EARTH * pz) * yy
    vrel = np.sqrt(vrx * vrx + vry * vry + vrz * vrz)
    sphi = (pz * x + qz * yy) / rr
    hgt = (rr + (_j2_radius_offset(a, si) - R_EQ)) + (R_EQ * _atm.FLATTENING) * (sphi * sphi)
    jd = p.jd_ref + t[:, None]
    rho = np.exp(_log_density(p, hgt, jd))
    # drag acceleration (km/s^2) times the weight g / K; rho kg/m^3 -> kg/km^3
    q = ((-1e9 / ce.size) * bc[:, None] * rho) * vrel * g
    fx, fy, fz = q * vrx, q * vry, q * vrz
    vdotf = vx * fx + vy * fy
    da = (2.0 * a * a / MU) * vdotf.sum(axis=1, keepdims=True)
    de = ((fy * hmag + x * vdotf - fx * rdotv).sum(axis=1, keepdims=True)) / MU
    di = ((x * cw - yy * sw) * fz).sum(axis=1, keepdims=True) / hmag
    # secular J2 rates of the node and perigee (Vallado ch. 9)
    k2 = n * J2 * (R_EQ / (a * (1.0 - e * e))) ** 2
    draan = -1.5 * k2 * ci
    dargp = 0.75 * k2 * (5.0 * ci * ci - 1.0)
    return np.concatenate([da, de, di, draan, dargp], axis=1) * DAY_S


#: the mean short-period J2 offset of the radius (engine._orbits.j2_radius_offset)
_j2_radius_offset = j2_radius_offset


def _perigee_height(y):
    """Height (km) of the mean perigee of y (m, 5) above the ellipsoid, with the J2 radius
    offset (engine._orbits.mean_perigee_height_km: the engine's one definition of the
    height that decides whether an object is in orbit)."""
    return mean_perigee_height_km(y[:, 0], y[:, 1], y[:, 2], y[:, 4])


#: adaptive quadrature: K nodes are used while x = a e / H <= X_MAX[K], with H the density's
#: local scale height near perigee (km; :func:`perigee_scale_height`). The trapezoidal
#: rule's relative error for exp(x cos E) (the density along an orbit in an exponential
#: atmosphere of scale height H) is 2 I_K(x) / I_0(x); it is 1e-6 at x = 1.28, 7.35, 33.5,
#: 139.3, 562.7 for K = 8, 16, 32, 64, 128 (K = 256 beyond, with a larger error there).
NODE_CLASSES = (8, 16, 32, 64, 128, 256)
X_MAX = (1.28, 7.35, 33.5, 139.3, 562.7, np.inf)
#: the scale height is the smaller of the local ones at the perigee height and this much
#: higher (km; covers the small dips of H with height in the tables), capped at H_CAP_KM
H_ABOVE_KM = 25.0
H_CAP_KM = 200.0


def nodes_for(a, e, nodes, scale_km):
    """Quadrature nodes per orbit: given, or the adaptive choice of NODE_CLASSES / X_MAX.

    Parameters
    ----------
    a : (N,) float64
        Mean semi-major axes, km.
    e : (N,) float64
        Eccentricities.
    nodes : None or int
        Fixed nodes (returned for every object), or None for the adaptive choice.
    scale_km : float or (N,) float64
        Density scale height near perigee, km (:func:`perigee_scale_height`); unused when
        nodes is given.

    Returns
    -------
    (N,) int
        Nodes per object: the smallest class K with a e / H <= X_MAX[K].
    """
    a = np.asarray(a, dtype=np.float64)
    if nodes is not None:
        return np.full(a.shape, int(nodes))
    x = np.nan_to_num(a * np.abs(np.asarray(e, dtype=np.float64)) / scale_km, nan=np.inf)
    return np.asarray(NODE_CLASSES)[np.searchsorted(np.asarray(X_MAX), x, side="left")]


def _log_density_slope(p: _Params, h, jd):
    """d ln rho / dh (1/km) of the table at heights h (km), Julian dates jd (broadcast)."""
    i0, i1, w, _, xq = _table_cell(p, h, jd)
    _, c1, c2 = p.columns()
    s0 = c1[i0] + 2.0 * c2[i0] * xq
    if i1 is None:
        return s0
    s1 = c1[i1] + 2.0 * c2[i1] * xq
    return s0 + w * (s1 - s0)


def perigee_scale_height(p: _Params, y, t):
    """Density scale height near the perigee of mean elements (kernels/longterm.cuh
    perigee_scale_height is the same).

    Parameters
    ----------
    p : _Params
        The density table and reference date.
    y : (m, 5) float64
        Mean elements a (km), e, i, RAAN, w (rad).
    t : (m,) float64
        Times, days after p.jd_ref.

    Returns
    -------
    (m,) float64
        km: the smaller of the local H = -1 / (d ln rho / dh) at the perigee height and
        H_ABOVE_KM above it, at most H_CAP_KM.
    """
    hp = _perigee_height(y)
    jd = p.jd_ref + t
    steep = np.maximum(-_log_density_slope(p, hp, jd), -_log_density_slope(p, hp + H_ABOVE_KM, jd))
    return 1.0 / np.maximum(steep, 1.0 / H_CAP_KM)



def quadrature_nodes(nodes: int):
    """Equally spaced eccentric anomalies E_k = 2 pi k / K of the trapezoidal rule.

    Parameters
    ----------
    nodes : int
        K, the number of nodes.

    Returns
    -------
    cos_e, sin_e : (K,) float64
        cos E_k and sin E_k.
    """
    e = 2.0 * np.pi * np.arange(nodes) / nodes
    return np.cos(e), np.sin(e)



#: largest step (days) when step_days is None and the table's rows are daily: a step
#: longer than a row would skip days of storms. In general the step is the table's row
#: spacing (at most STEP_DAYS_STATIC): BIN_DAYS for the default NRLMSIS table, whose rows
#: are BIN_DAYS-day means.
STEP_DAYS_VARYING = 1.0
#: days per row of the NRLMSIS table that decay builds (atmosphere None, "nrlmsis",
#: "nrlmsis-repeat-cycle"): each row is the mean density over BIN_DAYS whole days of
#: daily space weather (engine.atmosphere.nrlmsis_table bin_days), and steps are
#: BIN_DAYS long.
BIN_DAYS = 4
#: largest step (days) when step_days is None and the atmosphere does not vary in time
#: (Vallado's model, NRLMSIS at constant indices): then nothing in the averaged rates
#: changes on a scale of days, and the step is limited by how far the perigee may move
#: in one step. Measured on 3,000 Cosmos 1408 fragments over 5 years (Vallado's model):
#: lifetimes agree with 0.5-day steps to 0.11 % (median 6e-7, at most 0.04 days), 4.2x
#: faster than 1-day steps; 8-day steps moved one lifetime by 0.34 days.
STEP_DAYS_STATIC = 4.0
#: a step whose result is not a bound orbit is retried with h / 4, at most this many times
#: (kernels/longterm.cuh retries the same way)
RETRIES = 12
