"""Historical events, ready to run.

    frags = engine.events.cosmos1408(lc_min=0.1, seed=0)    # the 15 Nov 2021 ASAT test
    frags = engine.events.iridium_cosmos(lc_min=0.1, seed=0) # the 10 Feb 2009 collision
    iss = engine.events.iss()                                # Catalog: ISS element set of 15 Nov 2021

Element sets are public two-line element sets of the US Space Force catalogue, as
published by CelesTrak and Space-Track; each constant below says where it comes from.
What is not public (the Cosmos 1408 interceptor) is an explicit, overridable assumption.
"""

from __future__ import annotations

import numpy as np

from . import breakup
from .breakup import Body
from .catalog import load_tle
from .io.cdm import rtn_basis

__all__ = [
    "COSMOS_1408_TLE",
    "ISS_2021_11_15_TLE",
    "IRIDIUM_33_TLE",
    "COSMOS_2251_TLE",
    "COSMOS_1408_EPOCH",
    "IRIDIUM_COSMOS_EPOCH",
    "cosmos1408",
    "cosmos1408_assumptions",
    "cosmos1408_parent",
    "iridium_cosmos",
    "iss",
]

#: Cosmos 1408 (NORAD 13552, 1982-092A), the last element set before the test: epoch
#: 2021-11-15 00:55 UTC (day 319.03826954), 465 x 490 km, 82.56 deg.
COSMOS_1408_TLE = """COSMOS 1408
1 13552U 82092A   21319.03826954  .00002024  00000-0  69413-4 0  9995
2 13552  82.5637 123.6906 0018570 108.1104 252.2161 15.29390138142807
"""

#: ISS cross-section used for the expected number of impacts (m^2): the order of the
#: station's projected area (truss, modules and arrays, about 100 m x 70 m seen broadside
#: is ~2,500 m^2 with the arrays; the pressurised modules alone are a few hundred). An
#: assumption: pass area_m2 to change it; the flux per m^2 does not depend on it.
ISS_CROSS_SECTION_M2 = 1000.0

#: Tianhe, the core module of the Chinese space station (NORAD 48274), element set of
#: 2021-10-22 21:48 UTC, the last of the public ones (US Space Force catalogue, as
#: CelesTrak distributed it) before the test: the other crewed station in low orbit then
TIANHE_2021_10_22_TLE = """TIANHE
1 48274U 21035A   21295.90862762  .00005009  00000-0  62585-4 0  9999
2 48274  41.4697 224.1728 0006726 240.5427 202.4055 15.60684462 27671
"""

#: ISS (ZARYA) (NORAD 25544), element set of 2021-11-15 20:43 UTC, the day of the test.
ISS_2021_11_15_TLE = """ISS (ZARYA)
1 25544U 98067A   21319.86359406  .00001699  00000-0  39549-4 0  9996
2 25544  51.6442 312.7312 0004574 201.3017 242.9752 15.48581038312108
"""

#: Iridium 33 (NORAD 24946) and Cosmos 2251 (NORAD 22675), the element sets of
#: 9-10 Feb 2009 before their collision (as widely republished, e.g. in the Orbis
#: screening documentation; epochs 2009-02-09 18:49 and 11:57 UTC).
IRIDIUM_33_TLE = """IRIDIUM 33
1 24946U 97051C   09040.78448243 +.00000153 +00000-0 +47668-4 0  9994
2 24946 086.3994 121.7028 0002288 085.1644 274.9812 14.34219863597336
"""
COSMOS_2251_TLE = """COSMOS 2251
1 22675U 93036A   09040.49834364 -.00000001  00000-0  95251-5 0  9996
2 22675 074.0355 019.4646 0016027 098.7014 261.5952 14.31135643817415
"""

#: Time of the Cosmos 1408 breakup used by default: 2021-11-15 02:48:16 UTC, the epoch at
#: which the early fragment element sets (17-30 Nov 2021), propagated back, are least
#: dispersed. Indicative only: another published reconstruction finds 02:53 UTC; pass
#: `epoch=` to choose another time.
COSMOS_1408_EPOCH = "2021-11-15T02:48:16"
#: Time of closest approach of Iridium 33 and Cosmos 2251 from these element sets
#: (SGP4; 0.70 km apart, 11.65 km/s), used as the collision epoch.
IRIDIUM_COSMOS_EPOCH = "2009-02-10T16:55:59.795"

#: Cosmos 1408 mass: 1,750 kg (launch mass, J. McDowell's catalogue; other sources say
#: ~2,200 kg, pass mass_kg= to use it)
COSMOS_1408_MASS_KG = 1750.0
#: Interceptor assumptions (not public): a 20 kg hit-to-kill vehicle rising almost
#: vertically at 3 km/s (inertial) at 480 km, as a direct-ascent interceptor from a
#: northern launch site meeting a target nearly overhead would. With Cosmos 1408's
#: 7.6 km/s this is an 8.2 km/s impact and an energy-to-mass ratio of ~380 J/g, far above
#: the 40 J/g catastrophic threshold, so the fragment count depends on the assumption only
#: through M = m_t + m_p (20 kg: +0.9 %).
INTERCEPTOR_MASS_KG = 20.0
INTERCEPTOR_VELOCITY_RTN_KMS = (3.0, 0.0, 0.0)

#: Ranges of the Cosmos 1408 assumptions that the scenario's ensemble draws from
#: (engine.scenario; uniform within each, member 0 keeps the central values above).
#: Parent mass: the two published figures, 1,750 kg (launch mass, McDowell; Wikipedia
#: infobox) and ~2,200 kg (LeoLabs, older Wikipedia revisions): project reference
#: breakup.md 3.1. Fragments >= 10 cm: 1,388 to 1,647 (breakup.md 1.8).
COSMOS_1408_MASS_RANGE_KG = (1750.0, 2200.0)
#: Interceptor mass (kg): not public. An assumed factor of 2.5 either side of the central
#: 20 kg. Every value keeps the impact catastrophic (on 2,200 kg at 6.6 km/s, the slowest
#: impact these ranges allow, the 40 J/g threshold needs 4.1 kg), so the fragment count
#: moves only through M = m_t + m_p (+0.4 to +2.9 %).
INTERCEPTOR_MASS_RANGE_KG = (8.0, 50.0)
#: Interceptor inertial speed at the intercept (km/s): not public. An assumed range around
#: the central 3 km/s of a direct-ascent vehicle near the top of its climb to ~480 km.
INTERCEPTOR_SPEED_RANGE_KMS = (2.0, 4.0)
#: Geometry: angle between the interceptor's velocity and the local vertical (deg), with the
#: azimuth of the horizontal part uniform over 0-360 deg: not public. A direct ascent meeting
#: a target nearly overhead climbs close to the vertical; 0-30 deg is an assumed range.
INTERCEPTOR_OFF_VERTICAL_RANGE_DEG = (0.0, 30.0)


def cosmos1408_assumptions(members: int, seed: int = 0) -> list[dict]:
    """The assumption values of an ensemble of `members` runs of :func:`cosmos1408`.

    Member 0: breakup seed `seed` and the central values (COSMOS_1408_MASS_KG,
    INTERCEPTOR_MASS_KG, INTERCEPTOR_VELOCITY_RTN_KMS). Member m >= 1: breakup seed
    seed + m, and parent mass, interceptor mass, speed, off-vertical angle and azimuth each
    drawn uniformly within its documented range (the *_RANGE_* constants above) from a
    generator seeded with `seed`, so that the same seed gives the same ensemble.
    Returns one dict per member: seed, mass_kg, projectile_mass_kg (kg),
    projectile_velocity_rtn_kms (3,) km/s (radial, along-track, cross-track) and, for
    reports, speed_kms, off_vertical_deg, azimuth_deg.

    Parameters
    ----------
    members : int
        Number of ensemble members, >= 1.
    seed : int
        Breakup seed of member 0 and seed of the assumption generator, >= 0.

    Returns
    -------
    list of dict
        One dict per member, keys as above.

    Raises
    ------
    ValueError
        members below 1 or seed negative, or either not a whole number.
    """
    if isinstance(members, bool) or not isinstance(members, (int, np.integer)) or members < 1:
        raise ValueError(f"members must be a whole number >= 1, got {members!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    v0 = np.asarray(INTERCEPTOR_VELOCITY_RTN_KMS, dtype=np.float64)
    speed0 = float(np.linalg.norm(v0))
    out = [dict(seed=int(seed), mass_kg=COSMOS_1408_MASS_KG, projectile_mass_kg=INTERCEPTOR_MASS_KG,
                projectile_velocity_rtn_kms=tuple(float(x) for x in v0), speed_kms=speed0,
                off_vertical_deg=float(np.degrees(np.arccos(v0[0] / speed0))), azimuth_deg=0.0)]
    rng = np.random.default_rng([1408, int(seed)])
    for m in range(1, int(members)):
        mass, mp, speed, off, az = (rng.uniform(*r) for r in (
            COSMOS_1408_MASS_RANGE_KG, INTERCEPTOR_MASS_RANGE_KG, INTERCEPTOR_SPEED_RANGE_KMS,
            INTERCEPTOR_OFF_VERTICAL_RANGE_DEG, (0.0, 360.0)))
        th, ph = np.radians(off), np.radians(az)
        v = speed * np.array([np.cos(th), np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph)])
        out.append(dict(seed=int(seed) + m, mass_kg=float(mass), projectile_mass_kg=float(mp),
                        projectile_velocity_rtn_kms=tuple(float(x) for x in v), speed_kms=float(speed),
                        off_vertical_deg=float(off), azimuth_deg=float(az)))
    return out


def cosmos1408_parent(epoch=COSMOS_1408_EPOCH, *, mass_kg: float = COSMOS_1408_MASS_KG) -> Body:
    """Cosmos 1408 as a breakup parent: its last pre-test element set propagated with SGP4.

    Parameters
    ----------
    epoch : str or datetime64
        Time of the state (UTC; default COSMOS_1408_EPOCH).
    mass_kg : float, kg
        The spacecraft's mass (default COSMOS_1408_MASS_KG, 1,750 kg).

    Returns
    -------
    engine.breakup.Body
        A spacecraft with its SGP4 state at `epoch` (TEME, km and km/s).
    """
    cat = load_tle(COSMOS_1408_TLE)
    return Body.from_catalog(cat, 0, epoch, mass_kg=mass_kg, kind="spacecraft")


def cosmos1408(lc_min: float = 0.1, seed: int = 0, *, epoch=COSMOS_1408_EPOCH,
               mass_kg: float = COSMOS_1408_MASS_KG,
               projectile_mass_kg: float = INTERCEPTOR_MASS_KG,
               projectile_velocity_rtn_kms=INTERCEPTOR_VELOCITY_RTN_KMS,
               backend: str = "auto") -> breakup.Fragments:
    """The Cosmos 1408 destruction of 15 Nov 2021 as a catastrophic collision.

    Parent: COSMOS_1408_TLE at `epoch` (default COSMOS_1408_EPOCH), mass_kg (1,750 kg).
    Projectile: projectile_mass_kg (kg) with inertial velocity projectile_velocity_rtn_kms
    given in the parent's radial / along-track / cross-track frame (km/s); defaults and
    their reasoning: INTERCEPTOR_MASS_KG, INTERCEPTOR_VELOCITY_RTN_KMS. The fragments'
    epoch is `epoch`.

    Parameters
    ----------
    lc_min : float, m
        Smallest characteristic length of the fragments.
    seed : int
        Seed of the breakup's random numbers (same seed, same fragments on every backend).
    epoch : str or datetime64
        Time of the breakup (UTC).
    mass_kg, projectile_mass_kg : float, kg
        Masses of Cosmos 1408 and of the interceptor.
    projectile_velocity_rtn_kms : (3,) float, km/s
        The interceptor's inertial velocity in the parent's radial / along-track /
        cross-track frame.
    backend : str
        As engine.breakup.collision ("auto", "numpy", "host", "cuda").

    Returns
    -------
    engine.Fragments
        The fragments, on the device of the backend (engine.breakup.collision).

    Raises
    ------
    ValueError
        projectile_velocity_rtn_kms not 3 finite numbers (before any propagation), or what
        engine.breakup.collision raises for its arguments.
    """
    v_p = np.asarray(projectile_velocity_rtn_kms, dtype=np.float64)
    if v_p.shape != (3,) or not np.all(np.isfinite(v_p)):
        raise ValueError(f"projectile_velocity_rtn_kms must be 3 finite numbers (km/s), got {projectile_velocity_rtn_kms!r}")
    target = cosmos1408_parent(epoch, mass_kg=mass_kg)
    # columns R, T, N of the parent's state (the CDM's RTN frame, engine.io.cdm.rtn_basis)
    rtn = rtn_basis(target.r_km[None], target.v_kms[None])[0]
    projectile = Body(projectile_mass_kg, target.r_km, rtn @ v_p, kind="spacecraft",
                      epoch=target.epoch, name="INTERCEPTOR")
    return breakup.collision(target, projectile, lc_min=lc_min, seed=seed, backend=backend)


def iridium_cosmos(lc_min: float = 0.1, seed: int = 0, *, epoch=IRIDIUM_COSMOS_EPOCH,
                   iridium_mass_kg: float = 560.0, cosmos_mass_kg: float = 950.0,
                   backend: str = "auto") -> breakup.Fragments:
    """The Iridium 33 / Cosmos 2251 collision of 10 Feb 2009 (catastrophic, 11.65 km/s).

    Both parents from their element sets (IRIDIUM_33_TLE, COSMOS_2251_TLE) at `epoch`;
    masses 560 kg (Iridium 33) and 950 kg (Cosmos 2251), the values of the NASA breakup
    model's published test case. The fragments start at Cosmos 2251's position (the
    element sets put the two 0.7 km apart).

    Parameters
    ----------
    lc_min : float, m
        Smallest characteristic length of the fragments.
    seed : int
        Seed of the breakup's random numbers.
    epoch : str or datetime64
        Time of the collision (UTC; default IRIDIUM_COSMOS_EPOCH).
    iridium_mass_kg, cosmos_mass_kg : float, kg
        Masses of the two parents.
    backend : str
        As engine.breakup.collision.

    Returns
    -------
    engine.Fragments
        The fragments of both parents, on the device of the backend.

    Raises
    ------
    ValueError
        What engine.breakup.collision raises for its arguments.
    """
    cat = load_tle(IRIDIUM_33_TLE + COSMOS_2251_TLE)
    iridium = Body.from_catalog(cat, 0, epoch, mass_kg=iridium_mass_kg, kind="spacecraft")
    cosmos = Body.from_catalog(cat, 1, epoch, mass_kg=cosmos_mass_kg, kind="spacecraft")
    iridium = Body(iridium.mass_kg, cosmos.r_km, iridium.v_kms, kind=iridium.kind, epoch=iridium.epoch,
                   name=iridium.name, satnum=iridium.satnum)
    return breakup.collision(cosmos, iridium, lc_min=lc_min, seed=seed, backend=backend)


def iss():
    """The ISS element set of 15 Nov 2021 (ISS_2021_11_15_TLE).

    Returns
    -------
    engine.Catalog
        One object, NORAD 25544, SGP4 mean elements.
    """
    return load_tle(ISS_2021_11_15_TLE)


def tianhe():
    """The Tianhe element set of 22 Oct 2021 (TIANHE_2021_10_22_TLE).

    Returns
    -------
    engine.Catalog
        One object, NORAD 48274, SGP4 mean elements.
    """
    return load_tle(TIANHE_2021_10_22_TLE)


#: spacecraft presets by name (``debris-engine scenario --targets NAME``), each a function
#: returning an engine.Catalog of its public element set, with the provenance above
TARGET_PRESETS = {"iss": iss, "tianhe": tianhe}
