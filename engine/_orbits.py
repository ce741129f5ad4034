"""Size and shape of orbits from SGP4 mean elements or Cartesian states (shared helpers),
and the one definition of "in orbit" used across the engine.

WGS-72 constants, those SGP4 element sets are fitted with (engine.constants.SGP4_WGS72,
Vallado's getgravconst): mu = 398600.8 km^3/s^2, earth radius 6378.135 km, J2 = 0.001082616.

In orbit (:func:`in_orbit`, :data:`REENTRY_KM`): an object is in orbit when its state is a
bound orbit (e < 1) whose mean perigee height above the WGS-84 ellipsoid
(:func:`mean_perigee_height_km`: the mean elements' a (1 - e), with the mean short-period
J2 offset of the radius, at the perigee's latitude) is above 120 km. Below that height an
orbit decays within about a revolution (engine.longterm stops there and calls it re-entry),
so a piece whose mean perigee starts there is an outcome of the event (it falls back at
once), not an object to propagate, screen or catalogue. Mean elements: SGP4's for a Catalog,
the first-order (Kozai) mean of the osculating state for Cartesian states
(engine.longterm.mean_elements_from_states). Users: Fragments.to_catalog (pieces not in
orbit are left out and listed in catalog.not_in_orbit), engine.longterm.decay
(BELOW_AT_EPOCH), engine.screening.screen (secondaries not in orbit at the window's start
are left out, Conjunctions.excluded code NOT_IN_ORBIT_CODE) and the scenario's counts.
"""

from __future__ import annotations

import math

import numpy as np

from dataclasses import dataclass

from . import sgp4 as _sgp4
from .sgp4._numpy import gravity
from .atmosphere import FLATTENING, R_EQ_KM
from .constants import EGM96_J2, SGP4_WGS72
from .errors import ORBIT_STATUS_MESSAGES, OrbitStatus

_WGS72 = SGP4_WGS72
MU_KM3_S2 = _WGS72.mu
RE_KM = _WGS72.radiusearthkm
J2 = _WGS72.j2
_XKE = _WGS72.xke
#: J2 (unnormalised; EGM-96's, engine.constants.EGM96_J2), with R_EQ_KM the constants of the
#: decay model's geometry; the name is kept for existing callers
J2_WGS84 = EGM96_J2

#: km: re-entry height of the mean perigee above the WGS-84 ellipsoid; an object whose mean
#: perigee is at or below it is not in orbit (module docstring)
REENTRY_KM = 120.0


def mean_a_period(no_kozai, ecco, inclo, whichconst: str = "wgs72"):
    """Semi-major axis (km) and period (min) from SGP4 mean elements: the Kozai mean motion
    (rad/min) un-Kozai'd as SGP4's initialisation does (Vallado's initl), with the
    constants of whichconst ("wgs72", "wgs72old", "wgs84").

    Parameters
    ----------
    no_kozai : (N,) array_like, rad/min
        Kozai mean motion.
    ecco : (N,) array_like
        Eccentricity.
    inclo : (N,) array_like, rad
        Inclination.
    whichconst : str
        The SGP4 gravity model.

    Returns
    -------
    a : (N,) ndarray, float64, km
        Brouwer mean semi-major axis.
    period : (N,) ndarray, float64, min
        2 pi / n with n the un-Kozai'd mean motion.

    Raises
    ------
    ValueError
        whichconst not one of the three models.
    """
    g = _WGS72 if whichconst == "wgs72" else gravity(whichconst)
    cosi = np.cos(inclo)
    e2 = 1.0 - ecco * ecco
    ak = np.power(g.xke / no_kozai, 2.0 / 3.0)
    d1 = 0.75 * g.j2 * (3.0 * cosi * cosi - 1.0) / (np.sqrt(e2) * e2)
    dl = d1 / (ak * ak)
    adel = ak * (1.0 - dl * dl - dl * (1.0 / 3.0 + 134.0 * dl * dl / 81.0))
    dl = d1 / (adel * adel)
    n = no_kozai / (1.0 + dl)
    return np.power(g.xke / n, 2.0 / 3.0) * g.radiusearthkm, 2.0 * math.pi / n


def osculating_vectors(r, v, mu):
    """Two-body osculating quantities of Cartesian states: the one implementation that
    engine.longterm.osculating_elements, engine.fit's equinoctial elements and
    :func:`osculating_aei` build on.

    Parameters
    ----------
    r, v : array_like, (..., 3)
        Positions and velocities in consistent units: km and km/s with mu in km^3/s^2
        (earth radii and er/min with mu = xke^2 in er^3/min^2 for SGP4's units).
    mu : float
        Gravitational parameter in the units of r and v.

    Returns
    -------
    a : ndarray, (...)
        Semi-major axis 1 / (2/|r| - |v|^2/mu) (vis-viva), units of r: negative for an
        unbound (hyperbolic) state, infinite for an exactly parabolic one.
    ev : ndarray, (..., 3)
        Eccentricity vector (v x h) / mu - r / |r| (Vallado, Fundamentals of Astrodynamics
        and Applications, 4th ed., algorithm 9, RV2COE); |ev| = e.
    h : ndarray, (..., 3)
        Specific angular momentum r x v (units of r times v).
    rn : ndarray, (...)
        |r|.
    """
    r = np.asarray(r, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    rn = np.sqrt(np.einsum("...i,...i->...", r, r))
    v2 = np.einsum("...i,...i->...", v, v)
    h = np.cross(r, v)
    a = 1.0 / (2.0 / rn - v2 / mu)
    ev = np.cross(v, h) / mu - r / rn[..., None]
    return a, ev, h, rn


def osculating_aei(r, v, mu=MU_KM3_S2):
    """Osculating semi-major axis, eccentricity and inclination of Cartesian states.

    Parameters
    ----------
    r, v : array_like, (N, 3)
        Positions (km) and velocities (km/s).
    mu : float, optional
        Gravitational parameter, km^3/s^2; default MU_KM3_S2 (SGP4's WGS-72).

    Returns
    -------
    a : ndarray, (N,)
        Semi-major axis, km; NaN when the state is not bound.
    e : ndarray, (N,)
        Eccentricity, sqrt(1 - p / a) with p = |h|^2 / mu (NaN when unbound).
    inc : ndarray, (N,)
        Inclination, rad, in [0, pi].
    """
    with np.errstate(divide="ignore"):  # a parabolic state (2/r = v^2/mu) has a = inf: NaN below
        a, _, h, _ = osculating_vectors(r, v, mu)
    a = np.where((a > 0) & np.isfinite(a), a, np.nan)
    hn = np.sqrt(np.einsum("ij,ij->i", h, h))
    p = hn * hn / mu
    e = np.sqrt(np.maximum(0.0, 1.0 - p / a))
    inc = np.arccos(np.clip(h[:, 2] / hn, -1.0, 1.0))
    return a, e, inc


def sgp4_radius_scale(a_km, ecco, inclo):
    """SGP4's constant radial correction of the Keplerian radius, 1 - 1.5 k2 sqrt(1-e^2)
    (3 cos^2 i - 1) / p^2 (k2 = J2/2, p in earth radii; Hoots and Roehrich, Spacetrack
    Report #3, the short-period update of r): the orbit-averaged SGP4 radius is this
    factor times the mean elements' a (1 - e cos E), a few km in LEO.

    Parameters
    ----------
    a_km : array_like, km
        Mean semi-major axis.
    ecco : array_like
        Eccentricity.
    inclo : array_like, rad
        Inclination.

    Returns
    -------
    ndarray, float64
        The dimensionless factor, with the broadcast shape.
    """
    p = a_km / RE_KM * (1.0 - ecco * ecco)
    cosi = np.cos(inclo)
    return 1.0 - 1.5 * (0.5 * J2) * np.sqrt(1.0 - ecco * ecco) * (3.0 * cosi * cosi - 1.0) / (p * p)


def aei_of(obj):
    """(a km, e, i rad) of an engine.Catalog, engine.Fragments (osculating at the event)
    or a tuple (a_km, e, i_rad) of arrays. For a Catalog, a is the mean elements'
    semi-major axis times sgp4_radius_scale, so that a (1 - e cos E) is SGP4's radius
    averaged over its short-period terms.

    Parameters
    ----------
    obj : engine.Catalog, engine.Fragments or (a_km, e, i_rad) tuple of (N,) arrays
        Told apart by their attributes (no_kozai: a Catalog; to_host: Fragments).

    Returns
    -------
    a : (N,) ndarray, float64, km
    e : (N,) ndarray, float64
    i : (N,) ndarray, float64, rad
        NumPy arrays on the host (Fragments on a device are copied to the host).
    """
    # duck typing rather than isinstance: this module sits below engine.catalog and
    # engine.breakup (breakup, screening and longterm import it), so importing Catalog or
    # Fragments here would be an upward import
    if hasattr(obj, "no_kozai"):   # a Catalog: SGP4 mean elements
        a, _ = mean_a_period(obj.no_kozai, obj.ecco, obj.inclo)
        a = a * sgp4_radius_scale(a, obj.ecco, obj.inclo)
        return a, np.asarray(obj.ecco), np.asarray(obj.inclo)
    if hasattr(obj, "to_host"):    # Fragments: osculating states at the event
        h = obj.to_host()
        return osculating_aei(h.r, h.v)
    a, e, i = (np.asarray(x, dtype=np.float64) for x in obj)
    return a, e, i


def sgp4_mean_a_rate(catalog):
    """(N,) float64 km/day: the rate of change at epoch of the mean semi-major axis that
    SGP4 itself predicts from each element set of an engine.Catalog.

    SGP4's secular drag makes the mean a = a0 (1 - C1 t - D2 t^2 - ...)^2 (Hoots and
    Roehrich, Spacetrack Report No. 3, 1980, sec. 6; Vallado's sgp4, "tempa"; SDP4 keeps
    the C1 term), so da/dt at t = 0 is -2 a0 C1, with C1 = B* C2 formed by sgp4init. The
    orbit determination fitted B* so that this decay reproduces the observed motion over
    the fit span: it is the measured decay rate of the element set, whatever density
    profile SGP4 assumed to get there. Negative B* gives a positive rate.

    Parameters
    ----------
    catalog : engine.Catalog
        N element sets.

    Returns
    -------
    (N,) ndarray, float64, km/day
        Computed on the host with the NumPy SGP4 initialisation (a per-object table).
    """
    model = _sgp4._model(catalog, "numpy", np.dtype(np.float64))
    g = model.grav
    out = np.zeros(len(catalog))
    for sub in (model.near, model.deep):
        # am0 (earth radii) and cc1 (1/min): km/min -> km/day
        out[sub["index"]] = -2.0 * sub["am0"] * sub["cc1"] * g.radiusearthkm * 1440.0
    return out


def j2_radius_offset(a_km, sin_i):
    """Mean of the short-period J2 terms of the radius, km: the orbit's radius averaged over
    a revolution is a (1 + e^2 / 2) + this, -(3/2) J2 R^2 / a (1 - (3/2) sin^2 i) (first
    order; Kozai 1959; -10 km for an equatorial orbit at 400 km, +5 km for a polar one,
    which changes the density seen by tens of percent; the same term as SGP4's
    :func:`sgp4_radius_scale`). The periodic cos(2u) part, of amplitude
    (1/4) J2 R^2 / a sin^2 i (< 1.6 km), is left out: it averages out to first order.

    Parameters
    ----------
    a_km : array_like, km
        Mean semi-major axis.
    sin_i : array_like
        Sine of the inclination.

    Returns
    -------
    ndarray, float64, km
        The offset, with the broadcast shape.
    """
    return -1.5 * J2_WGS84 * R_EQ_KM * R_EQ_KM / a_km * (1.0 - 1.5 * sin_i * sin_i)


def mean_perigee_height_km(a_km, ecco, inclo, argpo):
    """(N,) float64 km: height of the mean perigee above the WGS-84 ellipsoid, from mean
    elements a (km), e, i, w (rad), (N,) each: a (1 - e) plus :func:`j2_radius_offset`,
    less the ellipsoid's radius at the perigee's latitude (sin(lat) = sin i sin w; first
    order in the flattening).

    Parameters
    ----------
    a_km : (N,) array_like, km
        Mean semi-major axis.
    ecco : (N,) array_like
        Eccentricity.
    inclo, argpo : (N,) array_like, rad
        Inclination and argument of perigee.

    Returns
    -------
    (N,) ndarray, float64, km
    """
    si = np.sin(inclo)
    s = si * np.sin(argpo)
    return a_km * (1.0 - ecco) + j2_radius_offset(a_km, si) - R_EQ_KM * (1.0 - FLATTENING * s * s)


#: reasons of :func:`orbit_status` (0: in orbit): engine.errors.OrbitStatus, whose values
#: these names keep (plain ints: see engine.errors on NumPy and int subclasses)
IN_ORBIT = int(OrbitStatus.IN_ORBIT)
ESCAPING = int(OrbitStatus.ESCAPING)
SUBORBITAL = int(OrbitStatus.SUBORBITAL)
REENTERS = int(OrbitStatus.REENTERS)
REASONS = ORBIT_STATUS_MESSAGES


def orbit_status(a_km, ecco, inclo, argpo):
    """(N,) uint8 reason codes (REASONS) of mean elements a (km), e, i, w (rad), (N,)
    each: IN_ORBIT, ESCAPING (a <= 0, e >= 1 or not finite) or REENTERS (mean perigee
    height at or below REENTRY_KM). SUBORBITAL is given by callers that see the
    osculating state (a path through the Earth has no mean elements).

    Parameters
    ----------
    a_km, ecco, inclo, argpo : (N,) array_like
        Mean elements: km, dimensionless, rad, rad.

    Returns
    -------
    (N,) ndarray, uint8
        Codes of REASONS.
    """
    a = np.asarray(a_km, dtype=np.float64)
    e = np.asarray(ecco, dtype=np.float64)
    bound = np.isfinite(a) & np.isfinite(e) & (a > 0) & (e < 1)
    with np.errstate(invalid="ignore"):
        hp = mean_perigee_height_km(np.where(bound, a, RE_KM + 1000.0), np.where(bound, e, 0.0),
                                    np.asarray(inclo, dtype=np.float64), np.asarray(argpo, dtype=np.float64))
    out = np.where(bound, np.where(hp > REENTRY_KM, IN_ORBIT, REENTERS), ESCAPING)
    return out.astype(np.uint8)


def in_orbit(a_km, ecco, inclo, argpo):
    """Whether the mean elements are in orbit (module docstring; :func:`orbit_status`).

    Parameters
    ----------
    a_km, ecco, inclo, argpo
        As :func:`orbit_status`.

    Returns
    -------
    (N,) ndarray, bool
    """
    return orbit_status(a_km, ecco, inclo, argpo) == IN_ORBIT


def catalog_orbit_status(catalog):
    """(N,) uint8 :func:`orbit_status` of an engine.Catalog's SGP4 mean elements (Brouwer
    mean a from the Kozai mean motion, :func:`mean_a_period`).

    Parameters
    ----------
    catalog : engine.Catalog
        N element sets.

    Returns
    -------
    (N,) ndarray, uint8
        Codes of REASONS, on the host.
    """
    d = catalog.elements()
    no, e, inc = (np.asarray(d[k], dtype=np.float64) for k in ("no_kozai", "ecco", "inclo"))
    a, _ = mean_a_period(no, e, inc, catalog.whichconst)
    return orbit_status(a, e, inc, np.asarray(d["argpo"], dtype=np.float64))


@dataclass(frozen=True)
class NotInOrbit:
    """Objects that are not in orbit at their epoch: an outcome, not an error.

    Attributes
    ----------
    index : (K,) ndarray, int64
        Positions in the input (fragment indices for Fragments.to_catalog).
    reason : (K,) ndarray, uint8
        Codes of REASONS (ESCAPING, SUBORBITAL, REENTERS).
    perigee_km : (K,) ndarray, float64, km
        Mean perigee height above the ellipsoid (for SUBORBITAL the osculating perigee
        height above the WGS-72 sphere, negative; NaN for ESCAPING).
    """

    index: np.ndarray
    reason: np.ndarray
    perigee_km: np.ndarray

    def __len__(self) -> int:
        return int(self.index.shape[0])

    def counts(self) -> dict:
        """Objects per reason, for the reasons present.

        Returns
        -------
        dict
            {reason text: number of objects}.
        """
        codes, n = np.unique(self.reason, return_counts=True)
        return {REASONS[int(c)]: int(k) for c, k in zip(codes, n)}

    def summary(self) -> str:
        """One line: the count and the count per reason.

        Returns
        -------
        str
        """
        if not len(self):
            return "all in orbit"
        per = "; ".join(f"{k:,} {t}" for t, k in self.counts().items())
        return f"{len(self):,} not in orbit ({per})"
