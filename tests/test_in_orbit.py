"""One definition of "in orbit" across the engine (issue 13.3) and catalogue numbers of
generated fragments that no real object has (issue 13.7).

In orbit: a bound orbit whose mean perigee is above engine._orbits.REENTRY_KM (120 km)
over the WGS-84 ellipsoid. Fragments.to_catalog, engine.longterm.decay, engine.screen and
the scenario must all draw the line in the same place; the tests below check that they do
against each other and against the two-body orbit of the fragments' states.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from engine import Catalog, _orbits, errors, events, screen
from engine import longterm as lt
from engine.breakup import Fragments
from engine.io import BadRecordsWarning, from_alpha5

DEG = np.pi / 180.0


@pytest.fixture(scope="module")
def cloud():
    frags = events.cosmos1408(lc_min=0.2, seed=1, backend="numpy")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        cat = frags.to_catalog()
    return frags, cat, seen


def test_fragments_not_in_orbit_are_an_outcome_not_bad_records_regression(cloud):
    """Issue 13.3: to_catalog warned "skipped 199 bad state records" for the pieces the
    model expects to fall back, and kept those with a mean perigee below 120 km."""
    frags, cat, seen = cloud
    assert not [w for w in seen if issubclass(w.category, BadRecordsWarning)]
    out = cat.not_in_orbit
    assert len(cat) + len(out) + len(cat.rejected) == len(frags) and len(cat.rejected) == 0
    # sub-orbital: exactly the fragments whose two-body (osculating) perigee is inside the Earth
    h = frags.to_host()
    a, e, _ = _orbits.osculating_aei(h.r, h.v)
    inside = np.flatnonzero(np.isfinite(a) & (a * (1.0 - e) < _orbits.RE_KM))
    np.testing.assert_array_equal(out.index[out.reason == _orbits.SUBORBITAL], inside)
    assert np.all(out.perigee_km[out.reason == _orbits.SUBORBITAL] < 0.0)
    low = out.reason == _orbits.REENTERS
    assert low.any() and np.all(out.perigee_km[low] <= _orbits.REENTRY_KM)
    counts = out.counts()
    assert sum(counts.values()) == len(out) and str(len(out)) in out.summary()


def test_decay_of_the_catalogue_starts_with_every_object_in_orbit(cloud):
    """decay draws the re-entry line where to_catalog does: no object of the catalogue is
    below it at epoch, and the on-orbit curve starts at the catalogue's size."""
    frags, cat, _ = cloud
    ep = np.datetime64(frags.epoch)
    res = lt.decay(cat, ep, ep + np.timedelta64(2, "D"), backend="numpy", ballistic="bstar")
    assert not np.any(res.status == lt.BELOW_AT_EPOCH)
    assert res.on_orbit[0] == len(cat)


def _boundary_catalog(n=60, seed=7):
    """n near-circular element sets (seeded) with mean perigee heights 100-140 km and
    inclinations 0-98 deg, so that both sides of 120 km are populated."""
    rng = np.random.default_rng(seed)
    inc = rng.uniform(0.0, 98.0, n) * DEG
    ecc = rng.uniform(0.0, 0.004, n)
    a = _orbits.RE_KM + rng.uniform(100.0, 140.0, n) + ecc * 6500.0
    no = np.sqrt(_orbits.MU_KM3_S2 / a**3) * 60.0  # rad/min; the un-Kozai shift is ~1 km
    return Catalog.from_arrays(no_kozai=no, ecco=ecc, inclo=inc, nodeo=rng.uniform(0, 2 * np.pi, n),
                               argpo=rng.uniform(0, 2 * np.pi, n), mo=rng.uniform(0, 2 * np.pi, n),
                               bstar=np.full(n, 1e-4), satnum=270000 + np.arange(n),
                               epoch=np.datetime64("2021-11-15T12:00:00"))


def test_decay_and_screening_leave_out_the_same_objects():
    cat = _boundary_catalog()
    ep = np.datetime64("2021-11-15T12:00:00")
    res = lt.decay(cat, ep, ep + np.timedelta64(1, "D"), backend="numpy")
    below = np.flatnonzero(res.status == lt.BELOW_AT_EPOCH)
    assert 0 < below.size < len(cat)
    primary = events.iss()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # SGP4 may call the low ones decayed
        conj = screen(primary, cat, ep, ep + np.timedelta64(10, "m"), threshold_km=5.0, backend="numpy")
    ex = conj.excluded
    fallen = np.sort(ex["index"][(ex["role"] == "secondary") & (ex["code"] == errors.REENTERED)])
    np.testing.assert_array_equal(fallen, below)
    assert not np.isin(conj.secondary, below).any()


def test_fragment_ids_are_analyst_numbers_regression(cloud):
    """Issue 13.7: fragment ids started at 0, so a CDM named "object 1363", a real satellite."""
    frags, cat, _ = cloud
    keep = np.setdiff1d(np.arange(len(frags)), cat.not_in_orbit.index)
    np.testing.assert_array_equal(cat.satnum, Fragments.ANALYST_SATNUMS[0] + keep)
    assert cat.satnum.max() <= Fragments.ANALYST_SATNUMS[1]
    # written as Alpha-5 ('T0000' = 270000) and read back by python-sgp4
    sgp4_api = pytest.importorskip("sgp4.api", reason="python-sgp4 not installed: pip install sgp4")
    l1, l2 = cat[np.array([0])].to_tle()
    assert l1[2] in "TUVWXYZ" and from_alpha5(l1[2:7]) == cat.satnum[0]
    assert sgp4_api.Satrec.twoline2rv(l1, l2).satnum == cat.satnum[0]


def test_large_cloud_ids_leave_the_tle_range(cloud, monkeypatch):
    frags, _, _ = cloud
    # a cloud larger than the analyst range (shrunk here to 10 numbers to keep the test small)
    monkeypatch.setattr(Fragments, "ANALYST_SATNUMS", (270_000, 270_009))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cat = frags.to_catalog()
    assert cat.satnum.min() >= Fragments.INTERNAL_SATNUMS[0]
    with pytest.raises(ValueError, match="cannot be written in a TLE"):
        cat.to_tle()


@pytest.mark.parametrize("bad", [-1, 999_999_999, 1.5, True])
def test_first_satnum_checked(cloud, bad):
    frags, _, _ = cloud
    with pytest.raises(ValueError, match="first_satnum"):
        frags.to_catalog(first_satnum=bad)
