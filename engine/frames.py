"""Reference frames and time scales for SGP4 output: TEME, GCRF (J2000), PEF and ITRF.

SGP4 returns TEME (true equator, mean equinox of date). This module rotates TEME states
into the frames users need, with the IAU-76/FK5 reduction that SGP4 users expect:

* Vallado, Crawford, Hujsak and Kelso, "Revisiting Spacetrack Report #3",
  AIAA 2006-6753 (2006), sec. "Coordinate systems" and appendix C (TEME);
* Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013),
  sec. 3.7 (the IAU-76/FK5 reduction: precession, nutation, sidereal time, polar
  motion), eq. 3-45 (GMST) and his routines teme2eci, teme2ecef, precess, nutation,
  sidereal and polarm;
* Seidelmann (ed.), *Explanatory Supplement to the Astronomical Almanac* (1992),
  sec. 3.21-3.22 (IAU 1976 precession, IAU 1980 nutation, table 3.222.1); Lieske et
  al. (1977), A&A 58, 1 (the precession angles);
* IERS Conventions (1996), IERS Technical Note 21, chapter 5 (the equation of the
  equinoxes with its kinematic terms);
* IERS Conventions (2010), IERS Technical Note 36, chapter 5 (polar motion).

The chains (each arrow is one rotation; "R3(a)" rotates the frame by a about z)::

    TEME --R3(-eqeq)--> TOD --N80^T--> MOD --P76^T--> GCRF (FK5 J2000, see below)
    TEME --R3(GMST82), minus w x r--> PEF --W(xp, yp)--> ITRF

Times are UTC split Julian dates ``(jd, fr)`` (see :mod:`engine.timeconv`). Precession
and nutation are evaluated in TT (from the embedded leap-second table), the sidereal
angle in UT1 = UTC + dut1. Positions are km and velocities km/s in every frame, float64;
time arrays broadcast against the leading axes of the states ``(..., 3)``.

Approximations that remain (sizes at 7000 km, the radius of a typical LEO):

* **GCRF.** With ``ddpsi = ddeps = 0`` the TEME -> GCRF chain lands in the FK5 mean
  equator and equinox of J2000 ("J2000" in Vallado), which is not GCRF: they differ by
  the frame bias (about 23 mas; 17 mas in the pole, 14.6 mas in right ascension: 0.6 m
  to 0.8 m) plus the errors of the IAU-1976 precession rate (0.3"/century in longitude)
  and of the IAU-1980 nutation, which grow with the distance from J2000: together 26 mas
  in 2000 rising to 57 mas by 2030, i.e. 0.9 m to 1.9 m at 7000 km and up to 12 m at
  geostationary radius (measured against IAU 2006/2000A). No frame-bias matrix is applied:
  following Vallado (sec. 3.7 and its FK5 worked example), the IERS celestial pole offsets
  ``ddpsi``, ``ddeps`` with respect to IAU 1980 (the dPsi, dEps columns of the IERS
  1980-based EOP series) absorb the bias and the model errors, and with them the
  result is GCRF to about 0.2 mas (1 mm at 7000 km, measured against IAU 2006/2000A).
* The equation of the equinoxes is the IAU-1994 form, dpsi*cos(epsbar) plus the
  kinematic terms 0.00264" sin Om + 0.000063" sin 2Om from 1997-02-27 on (IERS
  Conventions 1996; Vallado's sidereal): GAST - GMST82, so that TEME -> GCRF agrees with
  TEME -> PEF -> GCRF. The terms (up to 2.7 mas, 0.09 m) are what Vallado's published
  GCRF example needs (with the geometric term alone it misses by 7 cm) and what brings
  this chain to 1 mm of IAU 2006/2000A at LEO radius.
* Velocities in TEME <-> GCRF are rotated with the position matrix, as in Vallado's
  teme2eci: the rates of precession and nutation (below 1e-11 rad/s: 0.05 mm/s at
  7000 km, 0.3 mm/s at geostationary radius) are left out.
* PEF and ITRF velocities are relative to the rotating Earth and include w x r with
  w = d(GMST82)/dt (7.2921159e-5 rad/s), the exact rate of the TEME -> PEF rotation.
  Vallado's teme2ecef uses the IERS nominal 7.292115146706979e-5 rad/s instead (the
  rate with respect to inertial space); the two differ by the precession in right
  ascension, 7e-12 rad/s (0.05 mm/s at 7000 km). Length-of-day variations (below 3e-8
  relative: 0.02 mm/s) and the TIO locator s' (below 0.1 mas: 3 mm) are left out, as
  in teme2ecef.
* UT1: ``dut1`` (UT1 - UTC, s) defaults to 0. |UT1 - UTC| is kept below 0.9 s, and
  0.9 s of Earth rotation is 0.9 * 7.29e-5 rad, about 420 m along the equator at the
  Earth's surface (460 m at 7000 km), so ITRF positions with the default are good to a
  few hundred metres only; pass the IERS value (Bulletin A) for better.
* Polar motion ``xp``, ``yp`` (arcsec) defaults to 0: an error of up to 0.6" (about 20 m
  at the surface) in ITRF.

Time scales: :func:`tai_minus_utc` and the ``utc_to_*`` / ``*_to_utc`` pairs use the
leap-second table :data:`LEAP_SECONDS` (IERS Bulletin C, through Bulletin C 72 of July
2026: TAI - UTC = 37 s since 2017-01-01, with no leap second announced before
2027-06-28). UTC before 1972-01-01 had no integral TAI - UTC (rubber seconds and step
adjustments), so the public time-scale functions raise ValueError for such dates. The
frame rotations, which need TT only to evaluate slowly varying precession and nutation,
use TAI - UTC = 10 s before 1972; the error that makes (below 10 s of precession,
1.6e-5") is negligible, so historical epochs back to 1957 still rotate.
"""

from __future__ import annotations

import math

import numpy as np

from ._backend import is_device_array
from .constants import SECONDS_PER_DAY

__all__ = [
    "LEAP_SECONDS",
    "LEAP_SECONDS_EXPIRES",
    "TT_MINUS_TAI",
    "gcrf_to_itrf",
    "gcrf_to_teme",
    "itrf_to_gcrf",
    "itrf_to_teme",
    "tai_minus_utc",
    "tai_to_utc",
    "teme_to_gcrf",
    "teme_to_itrf",
    "tt_to_utc",
    "utc_to_tai",
    "utc_to_tt",
    "utc_to_ut1",
]

#: TT - TAI, s (IAU 1991 Resolution A4; IERS Conventions 2010, sec. 10.1)
TT_MINUS_TAI = 32.184

#: (first UTC day, TAI - UTC in s from that day on), IERS Bulletin C (Leap_Second.dat,
#: updated through Bulletin C 72 of July 2026; valid until 2027-06-28)
LEAP_SECONDS: tuple[tuple[str, int], ...] = (
    ("1972-01-01", 10),
    ("1972-07-01", 11),
    ("1973-01-01", 12),
    ("1974-01-01", 13),
    ("1975-01-01", 14),
    ("1976-01-01", 15),
    ("1977-01-01", 16),
    ("1978-01-01", 17),
    ("1979-01-01", 18),
    ("1980-01-01", 19),
    ("1981-07-01", 20),
    ("1982-07-01", 21),
    ("1983-07-01", 22),
    ("1985-07-01", 23),
    ("1988-01-01", 24),
    ("1990-01-01", 25),
    ("1991-01-01", 26),
    ("1992-07-01", 27),
    ("1993-07-01", 28),
    ("1994-07-01", 29),
    ("1996-01-01", 30),
    ("1997-07-01", 31),
    ("1999-01-01", 32),
    ("2006-01-01", 33),
    ("2009-01-01", 34),
    ("2012-07-01", 35),
    ("2015-07-01", 36),
    ("2017-01-01", 37),
)
#: the table holds for UTC dates before this day (IERS Bulletin C 72); later dates keep
#: the last offset, which is right unless the IERS announces a new leap second
LEAP_SECONDS_EXPIRES = "2027-06-28"

_MJD0 = 2400000.5  # JD of MJD 0
_J2000 = 2451545.0  # JD of J2000.0 (TT)
_DAYS_PER_CENTURY = 36525.0
_SEC_PER_DAY = SECONDS_PER_DAY
_SEC_PER_CENTURY = _SEC_PER_DAY * _DAYS_PER_CENTURY
_AS2R = math.pi / (180.0 * 3600.0)  # arcsec -> rad
_TWOPI = 2.0 * math.pi
_JD_MIN, _JD_MAX = 2378496.5, 2524593.5  # 1800-01-01, 2200-01-01

# MJD of each table entry and its TAI - UTC
_LEAP_MJD = (
    np.array([d for d, _ in LEAP_SECONDS], dtype="datetime64[D]").astype(np.int64) + 40587.0
)
_LEAP_DAT = np.array([s for _, s in LEAP_SECONDS], dtype=np.float64)
# TAI instant (MJD) from which tai_to_utc uses each offset: the start of the inserted
# second, so that the leap second itself reads as a second 23:59:59 ((jd, fr) cannot
# hold 23:59:60)
_LEAP_TAI_MJD = _LEAP_MJD + np.concatenate(([_LEAP_DAT[0]], _LEAP_DAT[:-1])) / _SEC_PER_DAY

# Limits of the Earth orientation inputs, generous against the recorded extremes
# (|UT1-UTC| < 0.9 s since 1972, |xp|, |yp| < 0.6", celestial pole offsets < 0.2")
_MAX_DUT1 = 1.0  # s
_MAX_POLAR = 2.0  # arcsec
_MAX_POLE_OFFSET = 1.0  # arcsec

# IAU 1980 nutation series: Seidelmann (1992) table 3.222.1, the 106 terms of Wahr's
# theory, in the order and with the values of that table (the same terms as Vallado's
# nut80.dat, there sorted by amplitude). Columns: the multiples of the fundamental
# arguments l, l', F, D, Om, then the longitude sine coefficient and its rate, the
# obliquity cosine coefficient and its rate, in 0.1 mas and 0.1 mas per Julian century.
# fmt: off
_NUT80 = np.array([
    # 1-10
    [ 0,  0,  0,  0,  1, -171996.0, -174.2, 92025.0,  8.9],
    [ 0,  0,  0,  0,  2,    2062.0,    0.2,  -895.0,  0.5],
    [-2,  0,  2,  0,  1,      46.0,    0.0,   -24.0,  0.0],
    [ 2,  0, -2,  0,  0,      11.0,    0.0,     0.0,  0.0],
    [-2,  0,  2,  0,  2,      -3.0,    0.0,     1.0,  0.0],
    [ 1, -1,  0, -1,  0,      -3.0,    0.0,     0.0,  0.0],
    [ 0, -2,  2, -2,  1,      -2.0,    0.0,     1.0,  0.0],
    [ 2,  0, -2,  0,  1,       1.0,    0.0,     0.0,  0.0],
    [ 0,  0,  2, -2,  2,  -13187.0,   -1.6,  5736.0, -3.1],
    [ 0,  1,  0,  0,  0,    1426.0,   -3.4,    54.0, -0.1],
    # 11-20
    [ 0,  1,  2, -2,  2,    -517.0,    1.2,   224.0, -0.6],
    [ 0, -1,  2, -2,  2,     217.0,   -0.5,   -95.0,  0.3],
    [ 0,  0,  2, -2,  1,     129.0,    0.1,   -70.0,  0.0],
    [ 2,  0,  0, -2,  0,      48.0,    0.0,     1.0,  0.0],
    [ 0,  0,  2, -2,  0,     -22.0,    0.0,     0.0,  0.0],
    [ 0,  2,  0,  0,  0,      17.0,   -0.1,     0.0,  0.0],
    [ 0,  1,  0,  0,  1,     -15.0,    0.0,     9.0,  0.0],
    [ 0,  2,  2, -2,  2,     -16.0,    0.1,     7.0,  0.0],
    [ 0, -1,  0,  0,  1,     -12.0,    0.0,     6.0,  0.0],
    [-2,  0,  0,  2,  1,      -6.0,    0.0,     3.0,  0.0],
    # 21-30
    [ 0, -1,  2, -2,  1,      -5.0,    0.0,     3.0,  0.0],
    [ 2,  0,  0, -2,  1,       4.0,    0.0,    -2.0,  0.0],
    [ 0,  1,  2, -2,  1,       4.0,    0.0,    -2.0,  0.0],
    [ 1,  0,  0, -1,  0,      -4.0,    0.0,     0.0,  0.0],
    [ 2,  1,  0, -2,  0,       1.0,    0.0,     0.0,  0.0],
    [ 0,  0, -2,  2,  1,       1.0,    0.0,     0.0,  0.0],
    [ 0,  1, -2,  2,  0,      -1.0,    0.0,     0.0,  0.0],
    [ 0,  1,  0,  0,  2,       1.0,    0.0,     0.0,  0.0],
    [-1,  0,  0,  1,  1,       1.0,    0.0,     0.0,  0.0],
    [ 0,  1,  2, -2,  0,      -1.0,    0.0,     0.0,  0.0],
    # 31-40
    [ 0,  0,  2,  0,  2,   -2274.0,   -0.2,   977.0, -0.5],
    [ 1,  0,  0,  0,  0,     712.0,    0.1,    -7.0,  0.0],
    [ 0,  0,  2,  0,  1,    -386.0,   -0.4,   200.0,  0.0],
    [ 1,  0,  2,  0,  2,    -301.0,    0.0,   129.0, -0.1],
    [ 1,  0,  0, -2,  0,    -158.0,    0.0,    -1.0,  0.0],
    [-1,  0,  2,  0,  2,     123.0,    0.0,   -53.0,  0.0],
    [ 0,  0,  0,  2,  0,      63.0,    0.0,    -2.0,  0.0],
    [ 1,  0,  0,  0,  1,      63.0,    0.1,   -33.0,  0.0],
    [-1,  0,  0,  0,  1,     -58.0,   -0.1,    32.0,  0.0],
    [-1,  0,  2,  2,  2,     -59.0,    0.0,    26.0,  0.0],
    # 41-50
    [ 1,  0,  2,  0,  1,     -51.0,    0.0,    27.0,  0.0],
    [ 0,  0,  2,  2,  2,     -38.0,    0.0,    16.0,  0.0],
    [ 2,  0,  0,  0,  0,      29.0,    0.0,    -1.0,  0.0],
    [ 1,  0,  2, -2,  2,      29.0,    0.0,   -12.0,  0.0],
    [ 2,  0,  2,  0,  2,     -31.0,    0.0,    13.0,  0.0],
    [ 0,  0,  2,  0,  0,      26.0,    0.0,    -1.0,  0.0],
    [-1,  0,  2,  0,  1,      21.0,    0.0,   -10.0,  0.0],
    [-1,  0,  0,  2,  1,      16.0,    0.0,    -8.0,  0.0],
    [ 1,  0,  0, -2,  1,     -13.0,    0.0,     7.0,  0.0],
    [-1,  0,  2,  2,  1,     -10.0,    0.0,     5.0,  0.0],
    # 51-60
    [ 1,  1,  0, -2,  0,      -7.0,    0.0,     0.0,  0.0],
    [ 0,  1,  2,  0,  2,       7.0,    0.0,    -3.0,  0.0],
    [ 0, -1,  2,  0,  2,      -7.0,    0.0,     3.0,  0.0],
    [ 1,  0,  2,  2,  2,      -8.0,    0.0,     3.0,  0.0],
    [ 1,  0,  0,  2,  0,       6.0,    0.0,     0.0,  0.0],
    [ 2,  0,  2, -2,  2,       6.0,    0.0,    -3.0,  0.0],
    [ 0,  0,  0,  2,  1,      -6.0,    0.0,     3.0,  0.0],
    [ 0,  0,  2,  2,  1,      -7.0,    0.0,     3.0,  0.0],
    [ 1,  0,  2, -2,  1,       6.0,    0.0,    -3.0,  0.0],
    [ 0,  0,  0, -2,  1,      -5.0,    0.0,     3.0,  0.0],
    # 61-70
    [ 1, -1,  0,  0,  0,       5.0,    0.0,     0.0,  0.0],
    [ 2,  0,  2,  0,  1,      -5.0,    0.0,     3.0,  0.0],
    [ 0,  1,  0, -2,  0,      -4.0,    0.0,     0.0,  0.0],
    [ 1,  0, -2,  0,  0,       4.0,    0.0,     0.0,  0.0],
    [ 0,  0,  0,  1,  0,      -4.0,    0.0,     0.0,  0.0],
    [ 1,  1,  0,  0,  0,      -3.0,    0.0,     0.0,  0.0],
    [ 1,  0,  2,  0,  0,       3.0,    0.0,     0.0,  0.0],
    [ 1, -1,  2,  0,  2,      -3.0,    0.0,     1.0,  0.0],
    [-1, -1,  2,  2,  2,      -3.0,    0.0,     1.0,  0.0],
    [-2,  0,  0,  0,  1,      -2.0,    0.0,     1.0,  0.0],
    # 71-80
    [ 3,  0,  2,  0,  2,      -3.0,    0.0,     1.0,  0.0],
    [ 0, -1,  2,  2,  2,      -3.0,    0.0,     1.0,  0.0],
    [ 1,  1,  2,  0,  2,       2.0,    0.0,    -1.0,  0.0],
    [-1,  0,  2, -2,  1,      -2.0,    0.0,     1.0,  0.0],
    [ 2,  0,  0,  0,  1,       2.0,    0.0,    -1.0,  0.0],
    [ 1,  0,  0,  0,  2,      -2.0,    0.0,     1.0,  0.0],
    [ 3,  0,  0,  0,  0,       2.0,    0.0,     0.0,  0.0],
    [ 0,  0,  2,  1,  2,       2.0,    0.0,    -1.0,  0.0],
    [-1,  0,  0,  0,  2,       1.0,    0.0,    -1.0,  0.0],
    [ 1,  0,  0, -4,  0,      -1.0,    0.0,     0.0,  0.0],
    # 81-90
    [-2,  0,  2,  2,  2,       1.0,    0.0,    -1.0,  0.0],
    [-1,  0,  2,  4,  2,      -2.0,    0.0,     1.0,  0.0],
    [ 2,  0,  0, -4,  0,      -1.0,    0.0,     0.0,  0.0],
    [ 1,  1,  2, -2,  2,       1.0,    0.0,    -1.0,  0.0],
    [ 1,  0,  2,  2,  1,      -1.0,    0.0,     1.0,  0.0],
    [-2,  0,  2,  4,  2,      -1.0,    0.0,     1.0,  0.0],
    [-1,  0,  4,  0,  2,       1.0,    0.0,     0.0,  0.0],
    [ 1, -1,  0, -2,  0,       1.0,    0.0,     0.0,  0.0],
    [ 2,  0,  2, -2,  1,       1.0,    0.0,    -1.0,  0.0],
    [ 2,  0,  2,  2,  2,      -1.0,    0.0,     0.0,  0.0],
    # 91-100
    [ 1,  0,  0,  2,  1,      -1.0,    0.0,     0.0,  0.0],
    [ 0,  0,  4, -2,  2,       1.0,    0.0,     0.0,  0.0],
    [ 3,  0,  2, -2,  2,       1.0,    0.0,     0.0,  0.0],
    [ 1,  0,  2, -2,  0,      -1.0,    0.0,     0.0,  0.0],
    [ 0,  1,  2,  0,  1,       1.0,    0.0,     0.0,  0.0],
    [-1, -1,  0,  2,  1,       1.0,    0.0,     0.0,  0.0],
    [ 0,  0, -2,  0,  1,      -1.0,    0.0,     0.0,  0.0],
    [ 0,  0,  2, -1,  2,      -1.0,    0.0,     0.0,  0.0],
    [ 0,  1,  0,  2,  0,      -1.0,    0.0,     0.0,  0.0],
    [ 1,  0, -2, -2,  0,      -1.0,    0.0,     0.0,  0.0],
    # 101-106
    [ 0, -1,  2,  0,  1,      -1.0,    0.0,     0.0,  0.0],
    [ 1,  1,  0, -2,  1,      -1.0,    0.0,     0.0,  0.0],
    [ 1,  0, -2,  2,  0,      -1.0,    0.0,     0.0,  0.0],
    [ 2,  0,  0,  2,  0,       1.0,    0.0,     0.0,  0.0],
    [ 0,  0,  2,  4,  2,      -1.0,    0.0,     0.0,  0.0],
    [ 0,  1,  0,  1,  0,       1.0,    0.0,     0.0,  0.0],
], dtype=np.float64)
# fmt: on
_NUT80.setflags(write=False)
_NUT80_UNIT = 1e-4 * _AS2R  # 0.1 mas -> rad

# Delaunay arguments of the IAU 1980 theory (Seidelmann 1992 sec. 3.222; Vallado's
# fundarg '80'): (arcsec at J2000, whole revolutions per century, arcsec/cy, /cy^2, /cy^3)
_DELAUNAY80 = (
    (485866.733, 1325.0, 715922.633, 31.310, 0.064),  # l, Moon's mean anomaly
    (1287099.804, 99.0, 1292581.224, -0.577, -0.012),  # l', Sun's mean anomaly
    (335778.877, 1342.0, 295263.137, -13.257, 0.011),  # F = L - Om
    (1072261.307, 1236.0, 1105601.328, -6.891, 0.019),  # D, elongation of the Moon
    (450160.280, -5.0, -482890.539, 7.455, 0.008),  # Om, Moon's ascending node
)


# --------------------------------------------------------------------------- time scales


def _times(jd, fr):
    """float64 arrays of a split Julian date, checked numeric, finite and plausible."""
    out = []
    for name, x in (("jd", jd), ("fr", fr)):
        a = np.asarray(x)
        if a.dtype.kind not in "iuf":
            raise ValueError(
                f"{name} must be float Julian date numbers; got dtype {a.dtype}. "
                "Convert calendar times with engine.timeconv.jd_from_datetime64"
            )
        a = a.astype(np.float64, copy=False)
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} holds NaN or infinite values; give finite split Julian dates")
        out.append(a)
    try:
        days = out[0] + out[1]
    except ValueError:
        raise ValueError(
            f"jd of shape {out[0].shape} and fr of shape {out[1].shape} do not broadcast; "
            "give them the same shape (or one of them as a scalar)"
        ) from None
    bad = (days < _JD_MIN) | (days > _JD_MAX)
    if np.any(bad):
        first = float(np.ravel(days)[np.flatnonzero(bad)[0]])
        raise ValueError(
            f"jd + fr = {first!r} is not a Julian date between 1800 and 2200, where these IAU "
            "models hold (2451545.0 is 2000-01-01T12:00); add 2400000.5 to modified Julian "
            "dates, or convert calendar times with engine.timeconv.jd_from_datetime64"
        )
    return out[0], out[1]


def _mjd(jd, fr):
    return (jd - _MJD0) + fr


def _dat(jd, fr, strict):
    """TAI - UTC (s) of UTC split Julian dates; before 1972 raise (strict) or use 10 s."""
    mjd = _mjd(jd, fr)
    k = np.searchsorted(_LEAP_MJD, mjd, side="right") - 1
    early = k < 0
    if strict and np.any(early):
        first = np.flatnonzero(early)[0]
        raise ValueError(
            f"jd, fr: {int(np.count_nonzero(early))} time(s) before 1972-01-01 UTC (first at "
            f"flat index {first}, MJD {np.ravel(mjd)[first]:.5f}); UTC had no integral TAI - UTC "
            "before 1972, so the leap-second table does not apply. Give times from 1972 on"
        )
    return _LEAP_DAT[np.maximum(k, 0)]


def _shift(jd, fr, seconds):
    """(jd, fr) moved by ``seconds``, with fr kept in [0, 1) when it started there."""
    fr2 = fr + seconds / _SEC_PER_DAY
    whole = np.floor(fr2)
    return jd + whole, fr2 - whole


def tai_minus_utc(jd, fr):
    """TAI - UTC in seconds (an integer, as float64) at UTC split Julian dates.

    Dates after :data:`LEAP_SECONDS_EXPIRES` keep the last offset (37 s).

    Parameters
    ----------
    jd, fr : array_like, float64
        UTC split Julian dates, broadcastable against each other.

    Returns
    -------
    ndarray, float64, s
        TAI - UTC with the broadcast shape of jd and fr.

    Raises
    ------
    ValueError
        Dates before 1972-01-01, where the table does not apply, or times that are not
        finite Julian dates between 1800 and 2200.
    """
    jd, fr = _times(jd, fr)
    return _dat(jd, fr, strict=True)


def utc_to_tai(jd, fr):
    """UTC split Julian dates -> TAI split Julian dates.

    Parameters
    ----------
    jd, fr : array_like, float64
        UTC split Julian dates, broadcastable against each other.

    Returns
    -------
    jd, fr : ndarray, float64
        TAI split Julian dates, fr in [0, 1).

    Raises
    ------
    ValueError
        Dates before 1972-01-01 (see :func:`tai_minus_utc`).
    """
    jd, fr = _times(jd, fr)
    return _shift(jd, fr, _dat(jd, fr, strict=True))


def tai_to_utc(jd, fr):
    """TAI split Julian dates -> UTC split Julian dates.

    The inverse of :func:`utc_to_tai` except inside an inserted leap second (23:59:60
    UTC, which a split Julian date cannot hold): those instants read as a repeated
    23:59:59.

    Parameters
    ----------
    jd, fr : array_like, float64
        TAI split Julian dates, broadcastable against each other.

    Returns
    -------
    jd, fr : ndarray, float64
        UTC split Julian dates, fr in [0, 1).

    Raises
    ------
    ValueError
        TAI before 1972-01-01T00:00:10 (UTC 1972-01-01).
    """
    jd, fr = _times(jd, fr)
    k = np.searchsorted(_LEAP_TAI_MJD, _mjd(jd, fr), side="right") - 1
    if np.any(k < 0):
        raise ValueError(
            "jd, fr: TAI before 1972-01-01T00:00:10, i.e. UTC before 1972-01-01, where UTC "
            "had no integral TAI - UTC; give times from 1972 on"
        )
    return _shift(jd, fr, -_LEAP_DAT[k])


def utc_to_tt(jd, fr):
    """UTC split Julian dates -> TT (= TAI + 32.184 s) split Julian dates.

    Parameters
    ----------
    jd, fr : array_like, float64
        UTC split Julian dates, broadcastable against each other.

    Returns
    -------
    jd, fr : ndarray, float64
        TT split Julian dates.

    Raises
    ------
    ValueError
        Dates before 1972-01-01 (see :func:`tai_minus_utc`).
    """
    jd, fr = _times(jd, fr)
    return _shift(jd, fr, _dat(jd, fr, strict=True) + TT_MINUS_TAI)


def tt_to_utc(jd, fr):
    """TT split Julian dates -> UTC split Julian dates; see :func:`tai_to_utc`.

    Parameters
    ----------
    jd, fr : array_like, float64
        TT split Julian dates, broadcastable against each other.

    Returns
    -------
    jd, fr : ndarray, float64
        UTC split Julian dates, fr in [0, 1).

    Raises
    ------
    ValueError
        TT before UTC 1972-01-01 (see :func:`tai_to_utc`).
    """
    jd, fr = _times(jd, fr)
    return tai_to_utc(*_shift(jd, fr, -TT_MINUS_TAI))


def utc_to_ut1(jd, fr, dut1=0.0):
    """UTC split Julian dates -> UT1 = UTC + dut1 split Julian dates.

    Parameters
    ----------
    jd, fr : array_like, float64
        UTC split Julian dates, broadcastable against each other.
    dut1 : float or array_like, s
        UT1 - UTC (IERS Bulletin A), scalar or an array broadcasting against jd, fr;
        |dut1| < 0.9 s by the definition of UTC. The default 0 leaves an error of up to
        0.9 s in UT1 (about 420 m of Earth rotation at the equator).

    Returns
    -------
    jd, fr : ndarray, float64
        UT1 split Julian dates.

    Raises
    ------
    ValueError
        dut1 not finite or beyond 0.9 s (a unit mistake), or times that are not finite
        Julian dates between 1800 and 2200.
    """
    jd, fr = _times(jd, fr)
    return _shift(jd, fr, _eop("dut1", dut1, _MAX_DUT1, "s", "UT1 - UTC from IERS Bulletin A"))


def _eop(name, value, limit, unit, hint):
    a = np.asarray(value, dtype=np.float64)
    bad = ~np.isfinite(a) | (np.abs(a) > limit)
    if np.any(bad):
        worst = float(np.ravel(a)[np.flatnonzero(bad)[0]])
        raise ValueError(
            f"{name} = {worst!r} is out of range: it is {hint}, in {unit}, and must be finite "
            f"with |{name}| <= {limit} {unit}; check the units (e.g. milliseconds or "
            f"milliarcseconds must be divided by 1000)"
        )
    return a


# --------------------------------------------------------------------------- rotations


def _rot(axis, angle):
    """Frame rotation matrices R_axis(angle), shape angle.shape + (3, 3).

    R3(a) = [[cos a, sin a, 0], [-sin a, cos a, 0], [0, 0, 1]] rotates the axes (not the
    vector) by +a about z: the convention of Vallado's rot1/rot2/rot3 and ERFA's eraRx/Ry/Rz.
    """
    c = np.cos(angle)
    s = np.sin(angle)
    m = np.zeros(np.shape(angle) + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis - 1]
    m[..., axis - 1, axis - 1] = 1.0
    m[..., i, i] = c
    m[..., j, j] = c
    m[..., i, j] = s
    m[..., j, i] = -s
    return m


def _centuries_tt(jd, fr):
    """Julian centuries of TT since J2000 at UTC split Julian dates (pre-1972: see module doc)."""
    return ((jd - _J2000) + (fr + (_dat(jd, fr, strict=False) + TT_MINUS_TAI) / _SEC_PER_DAY)) / (
        _DAYS_PER_CENTURY
    )


def _obliquity80(t):
    """Mean obliquity of the ecliptic, IAU 1980 (rad), at TT centuries t; Seidelmann 1992 eq. 3.222-1."""
    return (84381.448 + (-46.8150 + (-0.00059 + 0.001813 * t) * t) * t) * _AS2R


def _nutation80(t):
    """IAU 1980 nutation (dpsi, deps) and the Moon's node Om, rad, at TT centuries t.

    The 106-term series of :data:`_NUT80`, summed from the smallest term up.
    """
    rev = np.fmod(t, 1.0)
    args = [
        np.fmod((a0 + (a1 + (a2 + a3 * t) * t) * t) * _AS2R + np.fmod(n * rev, 1.0) * _TWOPI, _TWOPI)
        for a0, n, a1, a2, a3 in _DELAUNAY80
    ]
    dpsi = np.zeros(np.shape(t))
    deps = np.zeros(np.shape(t))
    for row in _NUT80[::-1]:
        arg = row[0] * args[0] + row[1] * args[1] + row[2] * args[2] + row[3] * args[3] + row[4] * args[4]
        dpsi += (row[5] + row[6] * t) * np.sin(arg)
        if row[7] != 0.0:
            deps += (row[7] + row[8] * t) * np.cos(arg)
    return dpsi * _NUT80_UNIT, deps * _NUT80_UNIT, args[4]


def _precession76(t):
    """IAU 1976 precession matrix, J2000 mean equator and equinox -> mean of date (MOD).

    P = R3(-z) R2(theta) R3(-zeta) with the angles of Lieske et al. (1977) from the fixed
    epoch J2000 (Seidelmann 1992 sec. 3.211; Vallado's precess '80').
    """
    zeta = (2306.2181 + (0.30188 + 0.017998 * t) * t) * t * _AS2R
    theta = (2004.3109 + (-0.42665 - 0.041833 * t) * t) * t * _AS2R
    z = (2306.2181 + (1.09468 + 0.018203 * t) * t) * t * _AS2R
    return _rot(3, -z) @ _rot(2, theta) @ _rot(3, -zeta)


def _teme_to_gcrf_matrix(jd, fr, ddpsi, ddeps):
    """Rotation TEME -> GCRF (or FK5 J2000 when ddpsi = ddeps = 0), shape (..., 3, 3).

    Vallado's teme2eci: r_gcrf = P^T N^T R3(-eqeq) r_teme with N = R1(-eps) R3(-dpsi)
    R1(epsbar) the nutation MOD -> TOD (Seidelmann 1992 sec. 3.222) and eqeq the IAU-1994
    equation of the equinoxes (Vallado 2006, sec. "TEME"; module doc).
    """
    t = _centuries_tt(jd, fr)
    epsbar = _obliquity80(t)
    dpsi, deps, om = _nutation80(t)
    dpsi = dpsi + ddpsi * _AS2R  # IERS celestial pole offsets, added as in Vallado's nutation
    eps = epsbar + deps + ddeps * _AS2R
    nut = _rot(1, -eps) @ _rot(3, -dpsi) @ _rot(1, epsbar)  # MOD -> TOD
    # equation of the equinoxes, IAU 1994 (IERS Conventions 1996 ch. 5; Vallado's sidereal):
    # the kinematic terms apply from 1997-02-27 (JD 2450449.5) on
    kinematic = np.where(
        (jd - 2450449.5) + fr >= 0.0, (0.00264 * np.sin(om) + 0.000063 * np.sin(2.0 * om)) * _AS2R, 0.0
    )
    eqeq = dpsi * np.cos(epsbar) + kinematic
    teme_to_tod = _rot(3, -eqeq)
    return np.swapaxes(_precession76(t), -1, -2) @ np.swapaxes(nut, -1, -2) @ teme_to_tod


def _gmst(jd, fr, dut1):
    """IAU-82 GMST (rad, [0, 2pi)) at UT1 = UTC + dut1 (Vallado eq. 3-45), and its rate (rad/s).

    The polynomial of :func:`engine.sgp4._numpy.gstime`, which SGP4 uses, evaluated on
    the split date: its 876600 h/century term is 86400 s per day of UT1, so only the day
    fraction enters it. That keeps the ~1e-9 rad (1 cm at 7000 km) that summing jd + fr
    into one float64 loses.
    """
    jd_ut1, fr_ut1 = _shift(jd, fr, dut1)
    days = (jd_ut1 - _J2000) + fr_ut1  # UT1 days since J2000
    tut1 = days / _DAYS_PER_CENTURY
    day_frac = np.fmod(np.fmod(jd_ut1 - _J2000, 1.0) + fr_ut1, 1.0)
    seconds = 67310.54841 + _SEC_PER_DAY * day_frac + (8640184.812866 + (0.093104 - 6.2e-6 * tut1) * tut1) * tut1
    theta = np.fmod(seconds * (_TWOPI / _SEC_PER_DAY), _TWOPI)
    # d(GMST)/dt, rad/s: the rotation rate of PEF with respect to TEME (1.0027379 rev per
    # UT1 day; 7.2921159e-5 rad/s), the exact derivative of this rotation
    rate = (1.0 + (8640184.812866 + (0.186208 - 1.86e-5 * tut1) * tut1) / _SEC_PER_CENTURY) * (
        _TWOPI / _SEC_PER_DAY
    )
    return np.where(theta < 0.0, theta + _TWOPI, theta), rate


def _polar_motion(xp, yp):
    """PEF -> ITRF matrix W^T = R1(-yp) R2(-xp) (xp, yp in arcsec); IERS 2010 eq. 5.3 with s' = 0."""
    return _rot(1, -yp * _AS2R) @ _rot(2, -xp * _AS2R)


def _apply(m, x):
    return np.matmul(m, x[..., None])[..., 0]


def _state(r, v, shape):
    """Checked float64 r, v (v may be None) and the broadcast batch shape with the times."""
    for name, a in (("r", r), ("v", v)):
        if is_device_array(a):
            # the rotation matrices are small per-time tables computed on the host
            raise TypeError(f"{name} is a CuPy array: the frame conversions work on host arrays; pass "
                            f"cupy.asnumpy({name}) (or Catalog.sgp4(..., to_host=True)); the results are NumPy")
    r = np.asarray(r, dtype=np.float64)
    if r.ndim == 0 or r.shape[-1] != 3:
        raise ValueError(
            f"r must have shape (..., 3) (x, y, z in km); got shape {r.shape}. "
            "Stack the components on the last axis"
        )
    if v is not None:
        v = np.asarray(v, dtype=np.float64)
        if v.shape != r.shape:
            raise ValueError(
                f"v must have the shape of r {r.shape} (vx, vy, vz in km/s on the last axis); "
                f"got {v.shape}. Pass v=None to rotate positions only"
            )
    try:
        np.broadcast_shapes(r.shape[:-1], shape)
    except ValueError:
        raise ValueError(
            f"times and Earth orientation parameters of shape {shape} do not broadcast against "
            f"the states' leading axes {r.shape[:-1]} (r has shape {r.shape}); give times of "
            "shape () or one per state, e.g. jd[:, None] for (N, M) states at M times"
        ) from None
    return r, v


def _params(jd, fr, **eop):
    """Checked times and Earth orientation parameters, and their broadcast shape."""
    jd, fr = _times(jd, fr)
    out = {
        "dut1": (_MAX_DUT1, "s", "UT1 - UTC from IERS Bulletin A"),
        "xp": (_MAX_POLAR, "arcsec", "the polar motion x from IERS Bulletin A"),
        "yp": (_MAX_POLAR, "arcsec", "the polar motion y from IERS Bulletin A"),
        "ddpsi": (_MAX_POLE_OFFSET, "arcsec", "the IERS celestial pole offset dPsi (IAU 1980)"),
        "ddeps": (_MAX_POLE_OFFSET, "arcsec", "the IERS celestial pole offset dEps (IAU 1980)"),
    }
    vals = {k: _eop(k, eop[k], *out[k]) for k in eop}
    try:
        shape = np.broadcast_shapes(jd.shape, fr.shape, *(a.shape for a in vals.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(a)}" for k, a in [("jd", jd), ("fr", fr), *vals.items()])
        raise ValueError(f"time arguments do not broadcast together: {shapes}") from None
    return jd, fr, vals, shape


def teme_to_gcrf(r, v, jd, fr, *, ddpsi=0.0, ddeps=0.0):
    """Rotate TEME states (SGP4 output) to GCRF, IAU-76/FK5 (Vallado's teme2eci).

    Velocities are rotated, not differentiated: precession-nutation rates (< 0.1 mm/s)
    are left out. Every frame function of this module works on NumPy arrays on the host
    (the rotation matrices are small per-time tables): pass CuPy states through
    ``cupy.asnumpy`` first; the results are NumPy arrays.

    Parameters
    ----------
    r : array_like, (..., 3) float64, km
        Positions, TEME.
    v : array_like, (..., 3) float64, km/s, or None
        Velocities, TEME; None rotates positions only.
    jd, fr : array_like, float64
        UTC split Julian dates, broadcasting against ``r.shape[:-1]``.
    ddpsi, ddeps : float or array_like, arcsec
        IERS celestial pole offsets with respect to IAU 1980 (dPsi, dEps), scalar or per
        time. With the defaults 0 the result is the FK5 mean equator and equinox of J2000,
        which differs from GCRF by the frame bias and IAU-76/80 model errors (up to 57 mas,
        1.9 m at 7000 km, over 2000-2030; see the module doc).

    Returns
    -------
    r : ndarray, (..., 3) float64, km
        Positions in GCRF with the broadcast shape.
    v : ndarray, (..., 3) float64, km/s, or None
        Velocities in GCRF (None when v was None).

    Raises
    ------
    ValueError
        States not of shape (..., 3), v of another shape than r, times or pole offsets
        that do not broadcast, are not finite or are out of range.
    TypeError
        r or v is a CuPy array (these functions work on host arrays).
    """
    jd, fr, eop, shape = _params(jd, fr, ddpsi=ddpsi, ddeps=ddeps)
    r, v = _state(r, v, shape)
    m = _teme_to_gcrf_matrix(jd, fr, eop["ddpsi"], eop["ddeps"])
    return _apply(m, r), None if v is None else _apply(m, v)


def gcrf_to_teme(r, v, jd, fr, *, ddpsi=0.0, ddeps=0.0):
    """Rotate GCRF states to TEME: the inverse of :func:`teme_to_gcrf`.

    Parameters
    ----------
    r : array_like, (..., 3) float64, km
        Positions, GCRF.
    v : array_like, (..., 3) float64, km/s, or None
        Velocities, GCRF, or None.
    jd, fr, ddpsi, ddeps
        As in :func:`teme_to_gcrf`.

    Returns
    -------
    r, v : ndarray, (..., 3) float64, km and km/s
        The states in TEME (v None when v was None).

    Raises
    ------
    ValueError
        As :func:`teme_to_gcrf`.
    TypeError
        r or v is a CuPy array (these functions work on host arrays).
    """
    jd, fr, eop, shape = _params(jd, fr, ddpsi=ddpsi, ddeps=ddeps)
    r, v = _state(r, v, shape)
    m = np.swapaxes(_teme_to_gcrf_matrix(jd, fr, eop["ddpsi"], eop["ddeps"]), -1, -2)
    return _apply(m, r), None if v is None else _apply(m, v)


def _omega_cross(rate, r):
    """w x r (km/s) for the rotation vector w = (0, 0, rate), rate in rad/s."""
    out = np.zeros(np.broadcast_shapes(np.shape(rate), r.shape[:-1]) + (3,))
    out[..., 0] = -rate * r[..., 1]
    out[..., 1] = rate * r[..., 0]
    return out


def teme_to_itrf(r, v, jd, fr, *, dut1=0.0, xp=0.0, yp=0.0):
    """TEME states (SGP4 output) -> ITRF (Earth-fixed), Vallado's teme2ecef.

    r_pef = R3(GMST82) r_teme, v_pef = R3(GMST82) v_teme - w x r_pef, then polar motion.
    NumPy in and out (see :func:`teme_to_gcrf`).

    Parameters
    ----------
    r : array_like, (..., 3) float64, km
        Positions, TEME.
    v : array_like, (..., 3) float64, km/s, or None
        Velocities, TEME, or None.
    jd, fr : array_like, float64
        UTC split Julian dates, broadcasting against ``r.shape[:-1]``.
    dut1 : float or array_like, s
        UT1 - UTC (IERS Bulletin A; default 0: up to ~460 m at 7000 km).
    xp, yp : float or array_like, arcsec
        Polar motion (IERS Bulletin A; default 0: up to ~20 m at the surface).

    Returns
    -------
    r : ndarray, (..., 3) float64, km
        Positions in ITRF with the broadcast shape.
    v : ndarray, (..., 3) float64, km/s, or None
        Velocities relative to the rotating Earth (None when v was None).

    Raises
    ------
    ValueError
        States not of shape (..., 3), or times and Earth orientation parameters that do
        not broadcast, are not finite or are out of range.
    TypeError
        r or v is a CuPy array (these functions work on host arrays).
    """
    jd, fr, eop, shape = _params(jd, fr, dut1=dut1, xp=xp, yp=yp)
    r, v = _state(r, v, shape)
    gmst, rate = _gmst(jd, fr, eop["dut1"])
    st = _rot(3, gmst)  # TEME -> PEF
    pm = _polar_motion(eop["xp"], eop["yp"])  # PEF -> ITRF
    r_pef = _apply(st, r)
    r_itrf = _apply(pm, r_pef)
    if v is None:
        return r_itrf, None
    return r_itrf, _apply(pm, _apply(st, v) - _omega_cross(rate, r_pef))


def itrf_to_teme(r, v, jd, fr, *, dut1=0.0, xp=0.0, yp=0.0):
    """ITRF states -> TEME: the inverse of :func:`teme_to_itrf`.

    v_teme = R3(-GMST82) (v_pef + w x r_pef).

    Parameters
    ----------
    r : array_like, (..., 3) float64, km
        Positions, ITRF.
    v : array_like, (..., 3) float64, km/s, or None
        Velocities relative to the rotating Earth, or None.
    jd, fr, dut1, xp, yp
        As in :func:`teme_to_itrf`.

    Returns
    -------
    r, v : ndarray, (..., 3) float64, km and km/s
        The states in TEME (v None when v was None).

    Raises
    ------
    ValueError
        As :func:`teme_to_itrf`.
    TypeError
        r or v is a CuPy array (these functions work on host arrays).
    """
    jd, fr, eop, shape = _params(jd, fr, dut1=dut1, xp=xp, yp=yp)
    r, v = _state(r, v, shape)
    gmst, rate = _gmst(jd, fr, eop["dut1"])
    ts = _rot(3, -gmst)  # PEF -> TEME
    mp = np.swapaxes(_polar_motion(eop["xp"], eop["yp"]), -1, -2)  # ITRF -> PEF
    r_pef = _apply(mp, r)
    r_teme = _apply(ts, r_pef)
    if v is None:
        return r_teme, None
    return r_teme, _apply(ts, _apply(mp, v) + _omega_cross(rate, r_pef))


def gcrf_to_itrf(r, v, jd, fr, *, dut1=0.0, xp=0.0, yp=0.0, ddpsi=0.0, ddeps=0.0):
    """GCRF states -> ITRF through TEME (:func:`gcrf_to_teme` then :func:`teme_to_itrf`).

    Parameters
    ----------
    r : array_like, (..., 3) float64, km
        Positions, GCRF.
    v : array_like, (..., 3) float64, km/s, or None
        Velocities, GCRF, or None.
    jd, fr, dut1, xp, yp, ddpsi, ddeps
        Times and Earth orientation parameters as in those two functions.

    Returns
    -------
    r, v : ndarray, (..., 3) float64, km and km/s
        The states in ITRF, v relative to the Earth (None when v was None).

    Raises
    ------
    ValueError
        As those two functions.
    TypeError
        r or v is a CuPy array (these functions work on host arrays).
    """
    r, v = gcrf_to_teme(r, v, jd, fr, ddpsi=ddpsi, ddeps=ddeps)
    return teme_to_itrf(r, v, jd, fr, dut1=dut1, xp=xp, yp=yp)


def itrf_to_gcrf(r, v, jd, fr, *, dut1=0.0, xp=0.0, yp=0.0, ddpsi=0.0, ddeps=0.0):
    """ITRF states -> GCRF through TEME: the inverse of :func:`gcrf_to_itrf`.

    Parameters
    ----------
    r : array_like, (..., 3) float64, km
        Positions, ITRF.
    v : array_like, (..., 3) float64, km/s, or None
        Velocities relative to the rotating Earth, or None.
    jd, fr, dut1, xp, yp, ddpsi, ddeps
        As in :func:`gcrf_to_itrf`.

    Returns
    -------
    r, v : ndarray, (..., 3) float64, km and km/s
        The states in GCRF (v None when v was None).

    Raises
    ------
    ValueError
        As :func:`gcrf_to_itrf`.
    TypeError
        r or v is a CuPy array (these functions work on host arrays).
    """
    r, v = itrf_to_teme(r, v, jd, fr, dut1=dut1, xp=xp, yp=yp)
    return teme_to_gcrf(r, v, jd, fr, ddpsi=ddpsi, ddeps=ddeps)
