"""Time conventions: split Julian dates (jd, fr) and numpy datetime64.

debris-engine, like python-sgp4, carries epochs and times as two float64 arrays: ``jd``
holds the Julian date of the preceding midnight (a value ending in .5) and ``fr`` the
fraction of the day (0 <= fr < 1). Splitting keeps about 10 ns of resolution where a
single float64 Julian date keeps only about 40 us. Times are UTC as SGP4 expects (SGP4
itself ignores leap seconds: it only uses minutes since each object's epoch).
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

#: Julian date of 1970-01-01T00:00:00 (the numpy datetime64 origin)
JD_UNIX_EPOCH = 2440587.5
_US_PER_DAY = 86_400_000_000


def to_datetime64(times) -> np.ndarray:
    """Convert ISO strings, datetime objects or datetime64 values to datetime64[us].

    Parameters
    ----------
    times : scalar or array_like
        ISO 8601 strings (UTC; a trailing Z is allowed), datetime objects (aware ones are
        converted to UTC) or numpy datetime64 values, any shape.

    Returns
    -------
    ndarray, datetime64[us]
        The same shape (0-d for a scalar input).

    Raises
    ------
    ValueError
        Naming the value that is not a time, or the dtype that holds no calendar times.
    """
    arr = np.asarray(times)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[us]")
    if arr.dtype.kind in "UO":
        flat = [_parse_one(x) for x in arr.ravel()]
        return np.array(flat, dtype="datetime64[us]").reshape(arr.shape)
    raise ValueError(
        f"times of dtype {np.asarray(times).dtype} are not calendar times; "
        "give ISO 8601 strings (2021-11-15T02:47:00), datetime objects or numpy datetime64"
    )


def _parse_one(x) -> np.datetime64:
    if isinstance(x, _dt.datetime):
        if x.tzinfo is not None:
            x = x.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return np.datetime64(x, "us")
    if isinstance(x, np.datetime64):
        return x.astype("datetime64[us]")
    s = str(x).strip()
    if s.endswith("Z"):
        s = s[:-1]
    try:
        return np.datetime64(s, "us")
    except ValueError:
        raise ValueError(
            f"{str(x)!r} is not an ISO 8601 time; write it as YYYY-MM-DDTHH:MM:SS[.ffffff] (UTC)"
        ) from None


def jd_from_datetime64(times) -> tuple[np.ndarray, np.ndarray]:
    """Split Julian dates of calendar times.

    Parameters
    ----------
    times : scalar or array_like
        Anything :func:`to_datetime64` takes, any shape (UTC).

    Returns
    -------
    jd : ndarray, float64, days
        The Julian date of the preceding midnight (x.5), the shape of times.
    fr : ndarray, float64, days
        The fraction of the day, in [0, 1), the shape of times.

    Raises
    ------
    ValueError
        As :func:`to_datetime64`.
    """
    t = to_datetime64(times)
    us = t.astype("int64")
    days, rem = np.divmod(us, _US_PER_DAY)
    return JD_UNIX_EPOCH + days.astype(np.float64), rem.astype(np.float64) / _US_PER_DAY


def datetime64_from_jd(jd, fr=0.0) -> np.ndarray:
    """Calendar times of split Julian dates.

    Parameters
    ----------
    jd : array_like, float64, days
        Julian dates (UTC), or their whole part.
    fr : array_like, float64, days
        The fractions of day added to jd (default 0), broadcastable against jd.

    Returns
    -------
    ndarray, datetime64[us]
        The broadcast shape, rounded to the microsecond.
    """
    jd = np.asarray(jd, dtype=np.float64)
    fr = np.asarray(fr, dtype=np.float64)
    whole = np.floor(jd - JD_UNIX_EPOCH)
    frac = (jd - JD_UNIX_EPOCH - whole) + fr
    us = whole.astype("int64") * _US_PER_DAY + np.rint(frac * _US_PER_DAY).astype("int64")
    return us.astype("datetime64[us]")
