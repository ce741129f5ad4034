"""Split Julian dates against python-sgp4's jday (the convention SGP4 users share)."""

import datetime as dt

import numpy as np
import pytest
from sgp4.api import jday

from engine.timeconv import datetime64_from_jd, jd_from_datetime64, to_datetime64

ONE_MICROSECOND_DAYS = 1e-6 / 86400


def test_jd_matches_sgp4_jday_on_random_times():
    rng = np.random.default_rng(7)
    us = rng.integers(
        np.datetime64("1957-10-04", "us").astype(np.int64),
        np.datetime64("2057-01-01", "us").astype(np.int64),
        size=2000,
    )
    times = us.astype("datetime64[us]")
    jd, fr = jd_from_datetime64(times)
    for k in range(0, 2000, 37):
        d = times[k].astype(dt.datetime)
        rjd, rfr = jday(d.year, d.month, d.day, d.hour, d.minute, d.second + d.microsecond * 1e-6)
        assert jd[k] == rjd
        assert abs(fr[k] - rfr) < 1e-3 * ONE_MICROSECOND_DAYS
    assert np.all((fr >= 0) & (fr < 1))
    assert np.all(np.mod(jd, 1.0) == 0.5)


def test_round_trip_to_the_microsecond():
    rng = np.random.default_rng(8)
    us = rng.integers(-10**15, 3 * 10**15, size=10_000).astype("datetime64[us]")
    jd, fr = jd_from_datetime64(us)
    assert np.array_equal(datetime64_from_jd(jd, fr), us)


def test_iso_strings_datetimes_and_utc_suffix():
    a = to_datetime64(["2021-11-15T02:47:00Z", "2021-11-15T02:47:00.5"])
    assert a[0] == np.datetime64("2021-11-15T02:47:00", "us")
    assert a[1] - a[0] == np.timedelta64(500_000, "us")
    aware = dt.datetime(2021, 11, 15, 3, 47, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert to_datetime64(np.array([aware], dtype=object))[0] == a[0]


def test_bad_time_names_the_value_and_the_format():
    with pytest.raises(ValueError, match="'15/11/2021' is not an ISO 8601 time.*YYYY-MM-DD"):
        to_datetime64(["2021-11-15", "15/11/2021"])
    with pytest.raises(ValueError, match="not calendar times"):
        to_datetime64([1.5, 2.5])
