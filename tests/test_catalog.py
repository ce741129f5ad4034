"""engine.Catalog: indexing, concatenation, pickling, constructors, Satrec interop."""

from __future__ import annotations

import importlib.resources
import pickle

import numpy as np
import pytest
from sgp4.api import WGS72, WGS84, Satrec, SatrecArray
from sgp4.api import WGS72OLD

from engine.catalog import ELEMENT_KEYS, FIELDS, Catalog, load_tle
from engine.io import CatalogInputError
from engine.io.tle import checksum

ISS = ("ISS (ZARYA)",
       "1 25544U 98067A   21319.86359406  .00001699  00000-0  39549-4 0  9996",
       "2 25544  51.6442 312.7312 0004574 201.3017 242.9752 15.48581038312108")


def _ver_lines() -> list[str]:
    text = (importlib.resources.files("sgp4") / "SGP4-VER.TLE").read_text()
    out = []
    for s in text.splitlines():
        if s[:2] in ("1 ", "2 "):
            s = s.rstrip()[:68]
            out.append(s + str(checksum(s)))
    return out


@pytest.fixture(scope="module")
def ver():
    return load_tle(_ver_lines())


def test_len_repr_and_fields(ver):
    assert len(ver) == 33
    r = repr(ver)
    assert r.startswith("Catalog(33 objects") and "wgs72" in r and "\n" not in r
    for k, dt in FIELDS.items():
        a = getattr(ver, k)
        assert a.shape == (33,) and not a.flags.writeable
        if dt is not None and not isinstance(dt, str):
            assert a.dtype == dt, k
    assert ver.classification.dtype == np.dtype("U1")


def test_arrays_are_read_only_and_slices_cannot_touch_parent(ver):
    sub = ver[2:5]
    with pytest.raises(ValueError):
        sub.ecco[0] = 0.5
    with pytest.raises(ValueError):
        ver.no_kozai[:] = 0
    fancy = ver[[0, 1]]
    with pytest.raises(ValueError):
        fancy.inclo[0] = 0
    # from_arrays copies caller arrays: later edits do not leak in
    e = np.array([0.1, 0.2])
    cat = Catalog.from_arrays(no_kozai=0.06, ecco=e, inclo=1.0, nodeo=1.0, argpo=1.0, mo=1.0,
                              epochyr=21, epochdays=100.5)
    e[0] = 0.9
    assert cat.ecco[0] == 0.1


def test_indexing_kinds(ver):
    one = ver[3]
    assert isinstance(one, Catalog) and len(one) == 1 and one.satnum[0] == ver.satnum[3]
    assert ver[-1].satnum[0] == ver.satnum[-1]
    assert ver[0:1].equals(ver[0])
    mask = ver.ecco > 0.5
    assert np.array_equal(ver[mask].satnum, ver.satnum[mask])
    idx = np.array([5, 0, 5])
    assert np.array_equal(ver[idx].no_kozai, ver.no_kozai[idx])
    assert len(ver[np.array([], dtype=int)]) == 0
    with pytest.raises(IndexError):
        ver[33]
    with pytest.raises(IndexError):
        ver[np.ones(3, bool)]
    with pytest.raises(TypeError):
        ver["satnum"]
    assert ver[1:3].whichconst == ver.whichconst


def test_concatenate_and_add(ver):
    a, b = ver[:10], ver[10:]
    assert Catalog.concatenate([a, b]).equals(ver)
    assert (a + b).equals(ver)
    assert (a + b) == ver
    other = load_tle(_ver_lines()[:2], whichconst="wgs84")
    with pytest.raises(ValueError, match="different models"):
        a + other
    with pytest.raises(ValueError, match="different models"):
        Catalog.concatenate([a, load_tle(_ver_lines()[:2], opsmode="a")])
    with pytest.raises(ValueError):
        Catalog.concatenate([])


def test_pickle_round_trip(ver):
    cat = load_tle(list(ISS), errors="skip")
    for c in (ver, ver[3:7], cat):
        back = pickle.loads(pickle.dumps(c))
        assert back.equals(c) and back.rejected == c.rejected
        assert not back.ecco.flags.writeable


def test_elements_for_the_propagator(ver):
    el = ver.elements()
    for k in ELEMENT_KEYS:
        assert el[k].dtype == np.float64 and el[k].shape == (33,)
    assert "sgp4init_epoch" in el


def test_epoch_datetime64():
    cat = load_tle(list(ISS))
    assert cat.epoch.dtype == np.dtype("datetime64[us]")
    # 21319.86359406: day 319 of 2021 = 15 Nov, .86359406 d = 20:43:34.526784
    assert cat.epoch[0] == np.datetime64("2021-11-15T20:43:34.526784")


def test_from_satrecs_equals_twoline2rv_fields(ver):
    lines = _ver_lines()
    sats = [Satrec.twoline2rv(a, b) for a, b in zip(lines[::2], lines[1::2])]
    cat = Catalog.from_satrecs(sats)
    for k in FIELDS:
        if k != "name":
            assert np.array_equal(cat.arrays()[k], np.array([getattr(s, k) for s in sats])), k
    assert np.array_equal(cat.elements()["sgp4init_epoch"], ver.elements()["sgp4init_epoch"])
    assert (cat.whichconst, cat.opsmode) == ("wgs72", "i")


def test_from_satrecs_infers_model_and_rejects_mixed():
    def mk(grav, mode):
        s = Satrec()
        s.sgp4init(grav, mode, 5, 26000.5, 1e-4, 0.0, 0.0, 0.01, 1.0, 1.0, 1.0, 0.06, 1.0)
        return s

    for grav, name in ((WGS72, "wgs72"), (WGS72OLD, "wgs72old"), (WGS84, "wgs84")):
        for mode in "ia":
            c = Catalog.from_satrecs([mk(grav, mode)])
            assert (c.whichconst, c.opsmode) == (name, mode)
    with pytest.raises(ValueError, match="mixed models"):
        Catalog.from_satrecs([mk(WGS72, "i"), mk(WGS84, "i")])
    with pytest.raises(ValueError, match="mixed models"):
        Catalog.from_satrecs([mk(WGS72, "i"), mk(WGS72, "a")])
    assert len(Catalog.from_satrecs([])) == 0


def test_to_satrecs_propagate_identically(ver):
    """Catalog -> Satrec reproduces twoline2rv's Satrec: same positions bit for bit."""
    lines = _ver_lines()
    ref = SatrecArray([Satrec.twoline2rv(a, b) for a, b in zip(lines[::2], lines[1::2])])
    mine = SatrecArray(ver.to_satrecs())
    jd = ver.jdsatepoch[0] + np.array([0.0, 0.0, 1.0, 3.0])
    fr = np.array([0.0, 0.37, 0.5, 0.25])
    e1, r1, v1 = ref.sgp4(jd, fr)
    e2, r2, v2 = mine.sgp4(jd, fr)
    assert np.array_equal(e1, e2)
    assert np.array_equal(r1, r2, equal_nan=True) and np.array_equal(v1, v2, equal_nan=True)


def test_to_satrecs_keeps_model(ver):
    c = load_tle(_ver_lines()[:2], whichconst="wgs84", opsmode="a")
    s = c.to_satrecs()[0]
    assert s.operationmode == "a" and s.radiusearthkm == 6378.137
    assert Catalog.from_satrecs(c.to_satrecs()).equals(Catalog.from_satrecs([s]))


def test_from_arrays_routes_match_sgp4():
    # TLE route: epochyr/epochdays as twoline2rv
    t = load_tle(list(ISS))
    kw = {k: t.arrays()[k] for k in ("no_kozai", "ecco", "inclo", "nodeo", "argpo", "mo",
                                     "bstar", "ndot", "nddot", "satnum")}
    a = Catalog.from_arrays(epochyr=t.epochyr, epochdays=t.epochdays, **kw)
    for k in ("jdsatepoch", "jdsatepochF", "epochyr", "epochdays", *kw):
        assert np.array_equal(a.arrays()[k], t.arrays()[k]), k
    # jd route and datetime64 route as Satrec.sgp4init
    b = Catalog.from_arrays(jdsatepoch=t.jdsatepoch, jdsatepochF=t.jdsatepochF, **kw)
    c = Catalog.from_arrays(epoch=t.epoch, **kw)
    s = Satrec()
    epoch = (t.epoch[0] - np.datetime64("1949-12-31T00:00")) / np.timedelta64(1, "us") / 1e6 / 86400.0
    s.sgp4init(WGS72, "i", 25544, epoch, *(float(kw[k][0]) for k in
               ("bstar", "ndot", "nddot", "ecco", "argpo", "inclo", "mo", "no_kozai", "nodeo")))
    for k in ("jdsatepoch", "jdsatepochF", "epochyr", "epochdays"):
        assert c.arrays()[k][0] == getattr(s, k), k
        assert b.arrays()[k][0] == getattr(t, k)[0], k


def test_from_arrays_defaults_and_broadcast():
    n = 4
    c = Catalog.from_arrays(no_kozai=np.full(n, 0.06), ecco=0.01, inclo=1.0, nodeo=0.0,
                            argpo=0.0, mo=np.linspace(0, 6, n), epoch=np.datetime64("2021-11-15T12:00"))
    assert len(c) == n
    assert list(c.satnum) == [0, 1, 2, 3]
    assert set(c.classification) == {"U"} and set(c.name) == {""} and set(c.intldesg) == {""}
    assert not c.bstar.any() and not c.elnum.any()
    assert len(c.to_tle()) == 2 * n
    assert load_tle(c.to_tle()).satnum.tolist() == [0, 1, 2, 3]


def test_from_arrays_reports_every_bad_value():
    with pytest.raises(CatalogInputError) as ei:
        Catalog.from_arrays(no_kozai=[0.06, -1.0, 0.06], ecco=[0.1, 0.1, 1.5], inclo=[1.0, 1.0, 4.0],
                            nodeo=[0.0, np.nan, 0.0], argpo=0.0, mo=[0.0, 0.0, 7.0],
                            epochyr=21, epochdays=100.0)
    bad = {(b.record, b.field) for b in ei.value.bad}
    assert bad == {(2, "no_kozai"), (2, "nodeo"), (3, "ecco"), (3, "inclo"), (3, "mo")}
    msg = str(ei.value)
    assert "record 2" in msg and "fix:" in msg
    with pytest.raises(ValueError, match="missing"):
        Catalog.from_arrays(no_kozai=0.06, ecco=0.1, inclo=1.0, nodeo=0.0, argpo=0.0, mo=0.0)
    with pytest.raises(ValueError, match="unknown fields"):
        Catalog.from_arrays(no_kozai=0.06, ecco=0.1, inclo=1.0, nodeo=0.0, argpo=0.0, mo=0.0,
                            epochyr=21, epochdays=1.0, eccentricity=0.1)


def test_to_tle_refuses_what_a_tle_cannot_hold():
    c = Catalog.from_arrays(satnum=340000, no_kozai=0.06, ecco=0.1, inclo=1.0, nodeo=0.0,
                            argpo=0.0, mo=0.0, epochyr=21, epochdays=1.0)
    with pytest.raises(ValueError, match="339999"):
        c.to_tle()


def test_sgp4_cache_is_per_catalog(ver):
    assert ver._sgp4_cache == {}
    ver._sgp4_cache["x"] = 1
    assert ver[0:2]._sgp4_cache == {}
    del ver._sgp4_cache["x"]
