"""Size and shape of orbits from SGP4 mean elements or Cartesian states (shared helpers).

WGS-72 constants, those SGP4 element sets are fitted with (engine._sgp4_numpy.gravity,
Vallado's getgravconst): mu = 398600.8 km^3/s^2, earth radius 6378.135 km, J2 = 0.001082616.
"""

from __future__ import annotations

import math

import numpy as np

from ._sgp4_numpy import gravity

_WGS72 = gravity("wgs72")
MU_KM3_S2 = _WGS72.mu
RE_KM = _WGS72.radiusearthkm
J2 = _WGS72.j2
_XKE = _WGS72.xke


def mean_a_period(no_kozai, ecco, inclo, whichconst: str = "wgs72"):
    """Semi-major axis (km) and period (min) from SGP4 mean elements: the Kozai mean motion
    (rad/min) un-Kozai'd as SGP4's initialisation does (Vallado's initl), with the
    constants of whichconst ("wgs72", "wgs72old", "wgs84"). (N,) arrays."""
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


def osculating_aei(r, v):
    """Osculating semi-major axis (km; NaN when unbound), eccentricity and inclination
    (rad) of states r, v (N, 3) km, km/s, two-body with MU_KM3_S2."""
    r = np.asarray(r, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    rn = np.linalg.norm(r, axis=1)
    v2 = np.einsum("ij,ij->i", v, v)
    inv_a = 2.0 / rn - v2 / MU_KM3_S2
    a = np.where(inv_a > 0, 1.0 / np.where(inv_a > 0, inv_a, 1.0), np.nan)
    h = np.cross(r, v)
    hn = np.linalg.norm(h, axis=1)
    p = hn * hn / MU_KM3_S2
    e = np.sqrt(np.maximum(0.0, 1.0 - p / a))
    inc = np.arccos(np.clip(h[:, 2] / hn, -1.0, 1.0))
    return a, e, inc


def sgp4_radius_scale(a_km, ecco, inclo):
    """SGP4's constant radial correction of the Keplerian radius, 1 - 1.5 k2 sqrt(1-e^2)
    (3 cos^2 i - 1) / p^2 (k2 = J2/2, p in earth radii; Hoots and Roehrich, Spacetrack
    Report #3, the short-period update of r): the orbit-averaged SGP4 radius is this
    factor times the mean elements' a (1 - e cos E), a few km in LEO."""
    p = a_km / RE_KM * (1.0 - ecco * ecco)
    cosi = np.cos(inclo)
    return 1.0 - 1.5 * (0.5 * J2) * np.sqrt(1.0 - ecco * ecco) * (3.0 * cosi * cosi - 1.0) / (p * p)


def aei_of(obj):
    """(a km, e, i rad) of an engine.Catalog, engine.Fragments (osculating at the event)
    or a tuple (a_km, e, i_rad) of arrays. For a Catalog, a is the mean elements'
    semi-major axis times sgp4_radius_scale, so that a (1 - e cos E) is SGP4's radius
    averaged over its short-period terms."""
    from .breakup import Fragments
    from .catalog import Catalog

    if isinstance(obj, Catalog):
        a, _ = mean_a_period(obj.no_kozai, obj.ecco, obj.inclo)
        a = a * sgp4_radius_scale(a, obj.ecco, obj.inclo)
        return a, np.asarray(obj.ecco), np.asarray(obj.inclo)
    if isinstance(obj, Fragments):
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
    profile SGP4 assumed to get there. Negative B* gives a positive rate."""
    from . import sgp4 as _sgp4

    model = _sgp4._model(catalog, "numpy", np.dtype(np.float64))
    g = model.grav
    out = np.zeros(len(catalog))
    for sub in (model.near, model.deep):
        # am0 (earth radii) and cc1 (1/min): km/min -> km/day
        out[sub["index"]] = -2.0 * sub["am0"] * sub["cc1"] * g.radiusearthkm * 1440.0
    return out
