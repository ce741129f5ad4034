"""Epoch arithmetic that reproduces python-sgp4's Satrec bit for bit, vectorised.

Three routes produce (jdsatepoch, jdsatepochF), each matching one python-sgp4 path:

- TLE (epochyr, epochdays): Vallado's SGP4.cpp twoline2rv -> days2mdhms_SGP4 ->
  jday_SGP4, then python-sgp4's wrapper rounds jdsatepochF to 8 decimals
  (extension/wrapper.cpp, "round the fractional day to exactly the eight digits").
  The same floating-point operations in the same order as the C++ give identical bits.
- days since 1949-12-31 00:00 UT ("epoch" of sgp4init, as sgp4.omm.initialize computes
  it from the OMM EPOCH): the wrapper's sgp4init sets jdsatepochF = modf(epoch) and
  jdsatepoch = whole days + 2433281.5, and epochdays = (2433281.5 - jan0jd) + epoch.

All inputs and outputs are NumPy arrays of shape (N,).
"""

from __future__ import annotations

import math

import numpy as np

JD_1950 = 2433281.5  # 1949-12-31 00:00 UT, sgp4init's epoch origin
from ..timeconv import JD_UNIX_EPOCH as JD_UNIX  # 1970-01-01 00:00 UT

# cumulative days before month k+1 (k = 1..11) in a common year, SGP4.cpp lmonth table
_LMONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def full_year(epochyr: np.ndarray) -> np.ndarray:
    """Two-digit TLE year -> four-digit year, 57..99 -> 19xx, 00..56 -> 20xx (SGP4.cpp)."""
    epochyr = np.asarray(epochyr, dtype=np.int64)
    return np.where(epochyr < 57, epochyr + 2000, epochyr + 1900)


def _c_round(x: np.ndarray) -> np.ndarray:
    """C round(): halves away from zero (np.round rounds halves to even)."""
    a = np.abs(x)
    f = np.floor(a)
    r = np.where(a - f >= 0.5, f + 1.0, f)
    return np.copysign(r, x)


def tle_epoch_to_jd(epochyr: np.ndarray, epochdays: np.ndarray):
    """(epochyr two-digit int, epochdays float64 day-of-year) -> (jd, fr, fr_unrounded).

    jd, fr: float64 (N,), exactly Satrec.twoline2rv's jdsatepoch, jdsatepochF.
    fr_unrounded: jdsatepochF before the wrapper's rounding; twoline2rv passes
    (jd + fr_unrounded) - 2433281.5 to sgp4init, so that is the epoch that fixes gsto.
    """
    year = full_year(epochyr)
    days = np.asarray(epochdays, dtype=np.float64)
    # days2mdhms_SGP4
    dayofyr = np.floor(days).astype(np.int64)
    leap = (year % 4) == 0  # SGP4.cpp uses the 4-year rule only
    cum = np.cumsum(_LMONTH)[:11]  # days through the end of months 1..11
    cum_l = cum + np.where(np.arange(11) >= 1, 1, 0)
    cum_year = np.where(leap[:, None], cum_l[None, :], cum[None, :])  # (N, 11)
    mon = 1 + np.sum(dayofyr[:, None] > cum_year, axis=1)  # loop stops at 12
    before = np.concatenate([np.zeros((len(days), 1), np.int64), cum_year], axis=1)
    inttemp = np.take_along_axis(before, (mon - 1)[:, None], axis=1)[:, 0]
    day = dayofyr - inttemp
    temp = (days - dayofyr) * 24.0
    hr = np.floor(temp)
    temp = (temp - hr) * 60.0
    minute = np.floor(temp)
    sec = (temp - minute) * 60.0
    # jday_SGP4, same operation order as the C++
    yearf = year.astype(np.float64)
    monf = mon.astype(np.float64)
    jd = (367.0 * yearf
          - np.floor((7 * (yearf + np.floor((monf + 9) / 12.0))) * 0.25)
          + np.floor(275 * mon / 9.0)
          + day
          + 1721013.5)
    fr = (sec + minute * 60.0 + hr * 3600.0) / 86400.0
    over = np.abs(fr) > 1.0
    if over.any():
        dtt = np.floor(fr)
        jd = np.where(over, jd + dtt, jd)
        fr = np.where(over, fr - dtt, fr)
    fr_rounded = _c_round(fr * 1e8) / 1e8
    return jd, fr_rounded, fr


def jan0_jd(year: np.ndarray) -> np.ndarray:
    """jday_SGP4(year, 1, 0, 0, 0, 0.0): Julian date of 'January 0' 00:00 of `year`."""
    yearf = np.asarray(year, dtype=np.float64)
    return 367.0 * yearf - np.floor((7 * (yearf + 0.0)) * 0.25) + math.floor(275 * 1 / 9.0) + 0 + 1721013.5


def epoch1950_to_fields(epoch: np.ndarray):
    """Days since 1949-12-31 00:00 UT -> (jd, fr, epochyr two-digit, epochdays).

    As python-sgp4 2.27's Satrec.sgp4init sets them (checked bit for bit on random
    epochs in tests/test_io_omm.py): jdsatepoch = whole days + 2433281.5; jdsatepochF =
    the fraction, rounded to 8 decimals when epoch * 1e8 is a whole number (an epoch
    given with TLE precision); epochyr = year % 100; epochdays = (jdsatepoch - jan0) + fr.
    """
    epoch = np.asarray(epoch, dtype=np.float64)
    whole = np.floor(epoch)  # modf for epoch >= 0; earlier epochs are rejected upstream
    fr = epoch - whole
    scaled = epoch * 1e8
    fr = np.where(_c_round(scaled) == scaled, _c_round(fr * 1e8) / 1e8, fr)
    jd = whole + JD_1950
    epochyr, epochdays = jd_to_tle_fields(jd, fr)
    return jd, fr, epochyr, epochdays


def jd_to_tle_fields(jd: np.ndarray, fr: np.ndarray):
    """(jd, fr) -> (epochyr two-digit int64, epochdays float64) as Satrec.sgp4init sets them."""
    year = year_of(jd, fr)
    return (year % 100).astype(np.int64), (np.asarray(jd) - jan0_jd(year)) + np.asarray(fr)


def year_of(jd: np.ndarray, fr: np.ndarray) -> np.ndarray:
    """Gregorian year (int64) of the UT instant jd + fr."""
    d = np.floor((np.asarray(jd) - JD_UNIX) + np.asarray(fr)).astype(np.int64)
    return d.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def datetime64_to_epoch1950(t: np.ndarray) -> np.ndarray:
    """datetime64 (any unit) -> days since 1949-12-31 00:00 UT, rounded like
    timedelta.total_seconds() / 86400.0 (microsecond resolution), as sgp4.omm.initialize."""
    us = (np.asarray(t).astype("datetime64[us]") - np.datetime64("1949-12-31T00:00:00", "us")).astype(np.int64)
    return (us.astype(np.float64) / 1e6) / 86400.0
