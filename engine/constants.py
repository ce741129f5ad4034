"""Gravity and Earth models by name: each value written once, with its source.

Different parts of the engine use different Earth models on purpose, and each keeps the
model it was built on:

- SGP4 (engine.sgp4, engine.catalog, engine.fit, engine.screening's bounds,
  engine._orbits' mean elements): the three constant sets of Vallado's getgravconst
  (SGP4.cpp; Vallado, Crawford, Hujsak & Kelso 2006, AIAA 2006-6753), :data:`SGP4_WGS72`
  being the one element sets are fitted with. kernels/sgp4.cuh writes the same numbers.
- Cowell propagation (engine.numerical): the EGM2008 geopotential, :data:`EGM2008_GM_KM3_S2`,
  :data:`EGM2008_R_KM` and the zonal coefficients :data:`EGM2008_CBAR_N0`.
  kernels/cowell.cuh writes the same numbers.
- Geometry, altitudes, the atmosphere and the decay model (engine.atmosphere,
  engine.longterm, engine.pc's periods): the WGS-84 ellipsoid, :data:`WGS84_A_KM`,
  :data:`WGS84_F`, :data:`WGS84_GM_KM3_S2`, :data:`WGS84_OMEGA_RAD_S`, with the EGM-96
  J2 :data:`EGM96_J2`. kernels/longterm.cuh and kernels/pc.cuh write the same numbers.

tests/test_constants.py checks every kernel header against this module. This module
imports nothing from engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "Gravity", "SGP4_WGS72OLD", "SGP4_WGS72", "SGP4_WGS84", "SGP4_GRAVITY", "SGP4_RHO0_KG_M2_ER",
    "EGM2008_GM_KM3_S2", "EGM2008_R_KM", "EGM2008_CBAR_N0",
    "WGS84_A_KM", "WGS84_F", "WGS84_GM_KM3_S2", "WGS84_OMEGA_RAD_S", "EGM96_J2",
    "SECONDS_PER_DAY",
]


@dataclass(frozen=True)
class Gravity:
    """Earth constants of one SGP4 gravity model (Vallado's getgravconst).

    Attributes
    ----------
    name : str
        "wgs72old", "wgs72" or "wgs84".
    tumin : float
        Minutes per SGP4 time unit, 1 / xke.
    mu : float
        Gravitational parameter, km^3/s^2.
    radiusearthkm : float
        Earth's equatorial radius, km.
    xke : float
        sqrt(mu) in earth radii^1.5 per minute, 1/min.
    j2, j3, j4 : float
        Unnormalised zonal harmonics (dimensionless).
    j3oj2 : float
        j3 / j2.
    """

    name: str
    tumin: float
    mu: float
    radiusearthkm: float
    xke: float
    j2: float
    j3: float
    j4: float
    j3oj2: float


def _gravity(name: str, mu: float, re: float, xke: float | None, j2: float, j3: float, j4: float) -> Gravity:
    # xke as getgravconst computes it (60 / sqrt(re^3 / mu)) unless the set gives it
    # written out (wgs72old), so that every value is bit-identical to SGP4.cpp's
    if xke is None:
        xke = 60.0 / math.sqrt(re * re * re / mu)
    return Gravity(name, 1.0 / xke, mu, re, xke, j2, j3, j4, j3 / j2)


#: SGP4's "wgs72old": the WGS-72 set of the original Spacetrack Report #3 code, xke written out
SGP4_WGS72OLD = _gravity("wgs72old", 398600.79964, 6378.135, 0.0743669161,
                         0.001082616, -0.00000253881, -0.00000165597)
#: SGP4's "wgs72" (the default, the set TLEs are fitted with)
SGP4_WGS72 = _gravity("wgs72", 398600.8, 6378.135, None, 0.001082616, -0.00000253881, -0.00000165597)
#: SGP4's "wgs84"
SGP4_WGS84 = _gravity("wgs84", 398600.5, 6378.137, None,
                      0.00108262998905, -0.00000253215306, -0.00000161098761)
#: whichconst name -> its SGP4 constants
SGP4_GRAVITY: dict[str, Gravity] = {g.name: g for g in (SGP4_WGS72OLD, SGP4_WGS72, SGP4_WGS84)}

#: SGP4's reference density for B*, kg/m^2 per earth radius: B* = cd (A/M) rho0 / 2 with
#: rho0 = 2.461e-5 kg/m^2/km x 6378.135 km (Vallado, Fundamentals of Astrodynamics, 4th ed.,
#: eq. 9-46; the WGS-72 radius of SGP4_WGS72). That product is 0.1569659; the engine has
#: always used 0.15696615 (2 parts in 1e6 more, far inside the uncertainty of any A/M), and
#: keeps it so that B* values do not change.
SGP4_RHO0_KG_M2_ER = 0.15696615

#: EGM2008 (Pavlis et al. 2012, J. Geophys. Res. 117, B04406; NGA EGM2008 coefficient file,
#: tide-free): GM (km^3/s^2) and reference radius (km) of the geopotential (the same two
#: values as EGM96's and JGM-3's)
EGM2008_GM_KM3_S2 = 398600.4415
EGM2008_R_KM = 6378.1363
#: EGM2008 fully normalised zonal coefficients Cbar_n0, n = 2..12 (from the NGA file);
#: unnormalised J_n = -sqrt(2n + 1) Cbar_n0 (Kaula normalisation, m = 0)
EGM2008_CBAR_N0 = (
    -0.484165143790815e-03, 0.957161207093473e-06, 0.539965866638991e-06,
    0.686702913736681e-07, -0.149953927978527e-06, 0.905120844521618e-07,
    0.494756003005199e-07, 0.280180753216300e-07, 0.533304381729473e-07,
    -0.507683787085927e-07, 0.364361922614572e-07,
)

#: WGS-84 ellipsoid (NIMA TR8350.2, 3rd ed., table 3.1): semi-major axis (km), flattening,
#: GM with the atmosphere (km^3/s^2, also Vallado table D-1's EGM-96 / WGS-84 value) and the
#: nominal Earth rotation rate (rad/s; IERS nominal, about the pole)
WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
WGS84_GM_KM3_S2 = 398600.4418
WGS84_OMEGA_RAD_S = 7.292115e-5
#: EGM-96 J2 (unnormalised; Lemoine et al. 1998: Cbar_20 = -0.484165371736e-3, J2 =
#: sqrt(5) * 0.484165371736e-3 = 1.0826266836e-3, to 9 digits as Vallado table D-1), the
#: J2 of the decay model's geometry with WGS84_A_KM
EGM96_J2 = 1.08262668e-3

#: seconds per day (of UTC, UT1 or TT alike: a day of 86,400 SI seconds in each scale)
SECONDS_PER_DAY = 86400.0
