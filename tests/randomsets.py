"""Seeded random SGP4 element sets for tests that compare against python-sgp4 (and, at the
end, seeded random conjunctions for the probability-of-collision tests and benchmarks).

Every element set is built with ``sgp4.api.Satrec.sgp4init`` (Vallado's C++ code),
so the reference propagator sees exactly the numbers that our implementations get
through :func:`elements_of`. Only a seeded ``numpy.random.Generator`` is used.

Orbit classes (``CLASSES``) cover the branches of SGP4/SDP4 (Vallado et al. 2006,
AIAA 2006-6753):

========== ==========================================================================
leo        near-earth, 14-16 rev/day, small eccentricity, any prograde inclination
polar      near-earth, 82-98 deg (Cosmos-1408-like and sun-synchronous)
retrograde near-earth, 100-180 deg (includes the 1 + cos(i) ~ 0 divisor guard)
heo_near   near-earth elliptic, 6.5-12 rev/day, e 0.1-0.6, low perigees (isimp, s4 < 156 km)
meo        deep space, 1.7-4 rev/day, near-circular (GNSS-like; no resonance)
geo        deep space, 0.9-1.1 rev/day -> 24 h (one-day) resonance, irez = 1
molniya    deep space, ~2 rev/day, e 0.6-0.75, i 63.4 deg -> 12 h resonance, irez = 2
gto        deep space, 2-2.4 rev/day, e ~0.7-0.75 (both sides of the 12 h window)
high_ecc   deep space, e 0.9-0.99: perturbed eccentricity leaves [0, 1] (error 3)
low_ecc    near-earth, e exactly 0 or below 1e-4 (the 1e-4 branches of cc3 / xmcof)
low_inc    near-earth and GEO with i exactly 0 or tiny (Lyddane branch, i < 0.2 rad)
decaying   near-earth, high B* and low perigee: errors 6 (decay), 1 and 4 in the window
neg_bstar  near-earth with negative B*
========== ==========================================================================

Epochs lie in 2000-2030 unless narrowed. Their day fraction is a multiple of 2**-20 day (0.08 s), so
that ``jdsatepoch + jdsatepochF - 2433281.5`` (the form Vallado's twoline2rv uses to
hand the epoch to sgp4init) is exact and both implementations start from the same
epoch bit for bit; see engine.sgp4._numpy.sgp4init.
"""

from __future__ import annotations

import math

import numpy as np
from sgp4.api import WGS72, Satrec

CLASSES = (
    "leo",
    "polar",
    "retrograde",
    "heo_near",
    "meo",
    "geo",
    "molniya",
    "gto",
    "high_ecc",
    "low_ecc",
    "low_inc",
    "decaying",
    "neg_bstar",
)

#: Satrec fields that elements_of copies (units as Satrec stores them)
ELEMENT_FIELDS = (
    "jdsatepoch",  # Julian date of epoch, whole part (days)
    "jdsatepochF",  # Julian date of epoch, fraction (days)
    "no_kozai",  # mean motion, rad/min
    "ecco",  # eccentricity
    "inclo",  # inclination, rad
    "nodeo",  # right ascension of ascending node, rad
    "argpo",  # argument of perigee, rad
    "mo",  # mean anomaly, rad
    "bstar",  # drag term, 1/earth radii
    "ndot",  # first derivative of mean motion, rad/min^2 (unused by SGP4)
    "nddot",  # second derivative of mean motion, rad/min^3 (unused by SGP4)
)

_REV_PER_DAY = 2.0 * math.pi / 1440.0  # rev/day -> rad/min
_DEG = math.pi / 180.0


def _one(cls: str, rng: np.random.Generator) -> dict[str, float]:
    """Random mean elements (rev/day, degrees) of one orbit class."""
    u = rng.uniform
    n = u(14.0, 16.0)
    e = 10.0 ** u(-4.0, -1.7)
    i = u(0.0, 100.0)
    bstar = 10.0 ** u(-6.0, -3.0)
    if cls == "polar":
        n, i = u(13.0, 15.8), u(82.0, 98.0)
    elif cls == "retrograde":
        n, i = u(12.0, 15.5), u(100.0, 180.0)
        if rng.random() < 0.15:
            i = 180.0 - 10.0 ** u(-12.0, -6.0)  # exercises the 1.5e-12 divisor guard region
    elif cls == "heo_near":
        n, e = u(6.5, 12.0), u(0.1, 0.6)
    elif cls == "meo":
        n, e, i = u(1.7, 4.0), 10.0 ** u(-4.0, -2.0), u(0.0, 70.0)
    elif cls == "geo":
        n, e, i = u(0.9, 1.1), 10.0 ** u(-5.0, -2.5), u(0.0, 15.0)
        bstar = 10.0 ** u(-7.0, -4.0)
    elif cls == "molniya":
        n, e, i = u(1.9, 2.1), u(0.6, 0.75), u(62.0, 65.0)
    elif cls == "gto":
        n, e, i = u(2.0, 2.4), u(0.68, 0.75), u(0.0, 30.0)
    elif cls == "high_ecc":
        n, e, i = u(0.5, 3.0), u(0.9, 0.99), u(0.0, 120.0)
    elif cls == "low_ecc":
        e = 0.0 if rng.random() < 0.4 else 10.0 ** u(-9.0, -4.0)
    elif cls == "low_inc":
        if rng.random() < 0.5:
            n, e, bstar = u(0.95, 1.05), 10.0 ** u(-5.0, -3.0), 10.0 ** u(-7.0, -4.0)
        i = 0.0 if rng.random() < 0.4 else 10.0 ** u(-8.0, -0.5)
    elif cls == "decaying":
        n, e, bstar = u(15.6, 16.5), 10.0 ** u(-4.0, -1.3), 10.0 ** u(-3.5, -1.0)
    elif cls == "neg_bstar":
        bstar = -(10.0 ** u(-5.5, -3.0))
    elif cls != "leo":
        raise ValueError(f"unknown orbit class {cls!r}; expected one of {CLASSES}")
    return {
        "n": n,
        "ecco": e,
        "inclo": i,
        "nodeo": u(0.0, 360.0),
        "argpo": u(0.0, 360.0),
        "mo": u(0.0, 360.0),
        "bstar": bstar,
    }


def random_satrecs(
    n: int,
    seed: int,
    *,
    whichconst: int = WGS72,
    opsmode: str = "i",
    classes: tuple[str, ...] | list[str] | None = None,
    epoch_days: tuple[float, float] = (18263.0, 29220.0),
) -> list[Satrec]:
    """``n`` Satrec objects from seeded random elements, classes taken in turn.

    whichconst: sgp4.api.WGS72OLD / WGS72 / WGS84; opsmode: 'a' or 'i'.
    classes: orbit classes to cycle through (default: all of CLASSES).
    epoch_days: range of epochs, days since 1949 Dec 31 0h UT (default 2000-2030);
        a narrow range lets one SatrecArray.sgp4(jd, fr) call cover every object.
    The same (n, seed, classes) always gives the same elements.
    """
    classes = tuple(CLASSES if classes is None else classes)
    rng = np.random.default_rng(seed)
    sats = []
    for k in range(n):
        el = _one(classes[k % len(classes)], rng)
        # epoch: days since 1949 Dec 31 0h, fraction a multiple of 2**-20 day (module doc)
        epoch = math.floor(rng.uniform(*epoch_days) * 2**20) / 2**20
        sat = Satrec()
        sat.sgp4init(
            whichconst,
            opsmode,
            k % 100000,
            epoch,
            el["bstar"],
            0.0,  # ndot (unused by SGP4)
            0.0,  # nddot (unused by SGP4)
            el["ecco"],
            el["argpo"] * _DEG,
            el["inclo"] * _DEG,
            el["mo"] * _DEG,
            el["n"] * _REV_PER_DAY,
            el["nodeo"] * _DEG,
        )
        sats.append(sat)
    return sats


def elements_of(satrecs) -> dict[str, np.ndarray]:
    """Struct-of-arrays copy of ELEMENT_FIELDS: name -> (N,) float64, Satrec units."""
    return {
        name: np.array([getattr(s, name) for s in satrecs], dtype=np.float64)
        for name in ELEMENT_FIELDS
    }


def random_conjunctions(n, seed):
    """Seeded mix: LEO-like states, misses 10 m..5 km, speeds 1 m/s..15 km/s, covariances
    with sigmas 1 m..1 km and random orientation, HBR 5..70 m."""
    rng = np.random.default_rng(seed)
    r1 = rng.normal(size=(n, 3))
    r1 *= (6778.0 + rng.uniform(0, 800, n))[:, None] / np.linalg.norm(r1, axis=1)[:, None]
    v1 = np.cross(r1, rng.normal(size=(n, 3)))
    v1 *= 7.5 / np.linalg.norm(v1, axis=1)[:, None]
    r2 = r1 + rng.normal(size=(n, 3)) * rng.choice([0.01, 0.1, 1.0, 5.0], size=(n, 1))
    v2 = v1 + rng.normal(size=(n, 3)) * rng.choice([0.001, 0.1, 5.0], size=(n, 1))

    def cov():
        a = rng.normal(size=(n, 3, 3)) * rng.choice([1e-3, 1e-2, 1e-1, 1.0], size=(n, 1, 1))
        return a @ a.transpose(0, 2, 1)

    return r1, v1, cov(), r2, v2, cov(), rng.choice([0.005, 0.02, 0.07], size=n)
