"""engine.cdm: CCSDS 508.0-B-1 KVN read / write.

- A hand-written example (tests/data/cdm_example_iss.cdm) parses into the documented fields
  and units; RTN -> inertial covariance conversion checked against its defining properties.
- write -> read is exact for every float64 (seeded random states and covariances) and the
  written keywords follow the standard's order with every mandatory keyword present.
- Malformed messages raise one ValueError naming the line, the keyword and the fix.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from engine import cdm as C
from engine import pc
from engine.io import cdm as codec  # the codec's keyword tables

EXAMPLE = Path(__file__).parent / "data" / "cdm_example_iss.cdm"
ONE_MICRON = 1e-9  # km


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


# ---------------------------------------------------------------- reading


def test_read_example_fields_and_units():
    m = C.read(EXAMPLE)
    assert m.header["CCSDS_CDM_VERS"] == "1.0" and m.header["MESSAGE_FOR"] == "ISS"
    assert m.tca == np.datetime64("2021-11-18T03:47:31.512", "us")
    assert m.miss_distance_m == 338.971 and m.relative_speed_m_s == 12167.491
    assert m.relative["SCREEN_VOLUME_SHAPE"] == "ELLIPSOID"
    assert m.hbr_m == 66.2
    o1, o2 = m.objects
    assert (o1.name, o1.designator, o2.name) == ("ISS (ZARYA)", "25544", "COSMOS 1408 DEB")
    assert o1.ref_frame == "EME2000"
    assert o1.od["OBS_USED"] == 409 and isinstance(o1.od["OBS_USED"], int)
    assert o1.additional["MASS"] == 419725.0
    np.testing.assert_array_equal(o1.position_km, [-2521.143775, 4517.526858, 4392.675694])
    np.testing.assert_array_equal(o2.velocity_km_s, [4.4902, -1.3377, 6.3211])
    assert o1.covariance["CDRG_DRG"] == 2.5e-07  # optional drag rows are kept
    c = o1.covariance_rtn("m")
    assert c[1, 0] == c[0, 1] == -387.0 and c[5, 5] == 1.09e-04 and c[4, 3] == -4.3e-04
    np.testing.assert_array_equal(o1.covariance_rtn("km"), c * 1e-6)
    assert m.comments["relative"][-1] == "HBR = 66.2 [m]"
    assert o2.comments["covariance"] == ["Fresh fragment: large in-track uncertainty"]


def test_read_accepts_text_path_and_bytes():
    a = C.read(EXAMPLE)
    assert C.read(str(EXAMPLE)) == a
    assert C.read(example_text()) == a
    assert C.read(example_text().encode()) == a


def test_covariance_inertial_is_the_rtn_rotation():
    o = C.read(EXAMPLE).object1
    ci = o.covariance_inertial()
    crtn = o.covariance_rtn()
    r, v = o.position_km, o.velocity_km_s
    rhat = r / np.linalg.norm(r)
    nhat = np.cross(r, v) / np.linalg.norm(np.cross(r, v))
    that = np.cross(nhat, rhat)
    # radial variance, radial/normal covariance and velocity-radial terms recovered by projection
    assert rhat @ ci[:3, :3] @ rhat == pytest.approx(crtn[0, 0], rel=1e-12)
    assert nhat @ ci[:3, :3] @ rhat == pytest.approx(crtn[2, 0], rel=1e-9)
    assert that @ ci[3:, :3] @ rhat == pytest.approx(crtn[4, 0], rel=1e-9)
    np.testing.assert_allclose(np.linalg.eigvalsh(ci[:3, :3]), np.linalg.eigvalsh(crtn[:3, :3]), rtol=1e-10)
    np.testing.assert_array_equal(ci, ci.T)


def test_pc_from_example():
    res = pc.from_cdm(C.read(EXAMPLE), backend="numpy")
    assert 0 < res.pc[0] < 1 and res.flag_names(0) == []
    # the HBR argument is only a fallback: the message's 66.2 m wins
    assert pc.from_cdm(C.read(EXAMPLE), hbr_km=0.001, backend="numpy").pc[0] == res.pc[0]


# ---------------------------------------------------------------- writing


def _random_states(seed):
    rng = np.random.default_rng(seed)
    r1 = rng.normal(size=3) * 7000.0
    v1 = rng.normal(size=3) * 5.0
    r2 = r1 + rng.normal(size=3)
    v2 = rng.normal(size=3) * 5.0
    a = rng.normal(size=(6, 6)) * rng.uniform(1e-6, 1e-1)
    b = rng.normal(size=(3, 3)) * 1e-2
    return dict(r1=r1, v1=v1, cov1=a @ a.T, r2=r2, v2=v2, cov2=b @ b.T)


@pytest.mark.parametrize("seed", range(5))
def test_write_read_round_trip_exact(tmp_path, seed):
    st = _random_states(seed)
    path = tmp_path / "rt.cdm"
    text = C.write(C.CDM.from_states(
        tca="2021-11-15T02:47:31.123456", hbr_km=0.0661 + seed * 1e-3,
        object1={"OBJECT_DESIGNATOR": "25544", "OBJECT_NAME": "ISS (ZARYA)"},
        object2={"OBJECT_DESIGNATOR": "49863", "OBJECT_NAME": "COSMOS 1408 DEB", "OBJECT_TYPE": "DEBRIS"},
        message_id=f"RT{seed}", creation_date="2021-11-15T00:00:00.000", **st), path)
    assert path.read_text() == text
    m = C.read(path)
    built = C.CDM.from_states(tca="2021-11-15T02:47:31.123456", hbr_km=0.0661 + seed * 1e-3,
                              object1={"OBJECT_DESIGNATOR": "25544", "OBJECT_NAME": "ISS (ZARYA)"},
                              object2={"OBJECT_DESIGNATOR": "49863", "OBJECT_NAME": "COSMOS 1408 DEB",
                                       "OBJECT_TYPE": "DEBRIS"},
                              message_id=f"RT{seed}", creation_date="2021-11-15T00:00:00.000", **st)
    # every float64 comes back bit-for-bit
    for got, want in zip(m.objects, built.objects):
        np.testing.assert_array_equal(got.state, want.state)
        assert got.covariance == want.covariance
        assert got.metadata == want.metadata
    assert m.relative == built.relative and m.header == built.header
    assert m.hbr_m == pytest.approx((0.0661 + seed * 1e-3) * 1e3, rel=1e-15)
    assert C.dumps(m) == text
    # the states and the (position) covariance survive the RTN round trip
    np.testing.assert_array_equal(m.object1.position_km, st["r1"])
    np.testing.assert_allclose(m.object1.covariance_inertial(), 0.5 * (st["cov1"] + st["cov1"].T),
                               rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(m.object2.covariance_inertial()[:3, :3], st["cov2"], rtol=1e-9, atol=1e-15)
    assert not m.object2.covariance_inertial()[3:].any()  # 3x3 input: no velocity covariance
    assert m.object2.comments["covariance"] == ["velocity covariance not available: set to zero"]
    assert m.miss_distance_m == pytest.approx(np.linalg.norm(st["r2"] - st["r1"]) * 1e3, rel=1e-15)


def test_read_write_read_preserves_example():
    a = C.read(EXAMPLE)
    text = C.dumps(a)
    b = C.read(text)
    assert b == a and C.dumps(b) == text
    for o, p in zip(a.objects, b.objects):
        np.testing.assert_array_equal(o.state, p.state)
        assert o.covariance == p.covariance and o.od == p.od and o.comments == p.comments


def test_written_keywords_follow_the_standard_order():
    text = C.dumps(C.read(EXAMPLE))
    keys = [ln.split("=")[0].strip() for ln in text.splitlines() if not ln.startswith("COMMENT")]
    order = [k for table in (codec._HEADER, codec._RELATIVE) for k, *_ in table]
    obj = [k for table in codec._OBJECT_SECTIONS.values() for k, *_ in table]
    first_obj = keys.index("OBJECT")
    second_obj = keys.index("OBJECT", first_obj + 1)
    mandatory_top = [k for k, _, m, _ in codec._HEADER + codec._RELATIVE if m]
    mandatory_obj = [k for t in codec._OBJECT_SECTIONS.values() for k, _, m, _ in t if m]
    for part, table, mandatory in ((keys[:first_obj], order, mandatory_top),
                                   (keys[first_obj:second_obj], obj, mandatory_obj),
                                   (keys[second_obj:], obj, mandatory_obj)):
        assert part == sorted(part, key=table.index)
        assert set(mandatory) <= set(part), set(mandatory) - set(part)
    assert re.search(r"^MISS_DISTANCE\s+= 338\.971 \[m\]$", text, re.M)
    assert re.search(r"^CR_R\s+= 152\.1 \[m\*\*2\]$", text, re.M)


def test_write_refuses_missing_mandatory(tmp_path):
    m = C.read(EXAMPLE)
    del m.object2.metadata["REF_FRAME"]
    with pytest.raises(ValueError, match="REF_FRAME"):
        C.write(m, tmp_path / "x.cdm")


# ---------------------------------------------------------------- malformed input


def _mutate(pattern, repl, count=1):
    text, n = re.subn(pattern, repl, example_text(), count=count, flags=re.M)
    assert n, pattern
    return text


def _line_of(text, needle):
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


@pytest.mark.parametrize("pattern,repl,keyword,fix", [
    (r"^(Y_DOT\s+=) -4\.3308", r"\1 -4.33O8", "Y_DOT", "number"),
    (r"^(TCA\s+=) 2021-11-18T03:47:31\.512", r"\1 18 Nov 2021 03:47", "TCA", "YYYY-MM-DD"),
    (r"^OBJECT\s+= OBJECT2", "OBJECT = OBJECT3", "OBJECT", "OBJECT2"),
    (r"^(CN_N\s+= 1\.47E\+03.*)$", r"\1\nCN_N = 1.0", "CN_N", "twice"),
    (r"^MISS_DISTANCE.*$", "MISS_DISTANCE 338.971", "MISS_DISTANCE", "KEYWORD = value"),
])
def test_malformed_value_errors_name_line_keyword_fix(pattern, repl, keyword, fix):
    text = _mutate(pattern, repl)
    with pytest.raises(ValueError) as exc:
        C.read(text)
    msg = str(exc.value)
    bad_line = re.search(r"line (\d+)", msg)
    assert bad_line, msg
    assert keyword in msg and fix in msg, msg
    assert str(exc.value).count("line ") == 1


def test_missing_mandatory_keyword_names_it():
    text = _mutate(r"^Z_DOT\s+= 6\.3211.*\n", "")
    with pytest.raises(ValueError, match=r"line \d+: OBJECT2 segment ends without mandatory keyword Z_DOT; add"):
        C.read(text)
    text = _mutate(r"^ORIGINATOR.*\n", "")
    with pytest.raises(ValueError, match=r"line 7: the header section ends without mandatory keyword ORIGINATOR"):
        C.read(text)


def test_missing_object_and_bad_start():
    text = example_text()
    cut = text[: text.index("OBJECT                         = OBJECT2")]
    with pytest.raises(ValueError, match="OBJECT2"):
        C.read(cut)
    with pytest.raises(ValueError, match=r"line 1: keyword TCA: a CDM starts with CCSDS_CDM_VERS"):
        C.read("TCA = 2021-11-18T03:47:31.512\n" + text)


def test_error_line_number_is_exact():
    text = _mutate(r"^(X_DOT\s+=) 4\.4902", r"\1 fast")
    with pytest.raises(ValueError) as exc:
        C.read(text)
    assert f"line {_line_of(text, '= fast')}:" in str(exc.value)


def test_write_conjunctions_one_message_each(tmp_path):
    """engine.cdm.write(conj, directory): the Iridium 33 / Cosmos 2251 approach as a CDM in
    GCRF with assumed covariances; reading it back gives the screening's miss distance and
    speed, the states rotated (lengths kept), and the written probability equals from_cdm's."""
    import engine
    from engine import events, frames

    cat = engine.load_tle(events.IRIDIUM_33_TLE + events.COSMOS_2251_TLE)
    conj = engine.screen(cat[:1], cat[1:], "2009-02-10T00:00", "2009-02-11T00:00", threshold_km=5.0, backend="numpy")
    assert len(conj) == 1
    paths = C.write(conj, tmp_path, hbr_km=0.02)
    assert len(paths) == 1 and paths[0].name.endswith("_24946_22675.cdm")
    m = C.read(paths[0])
    assert m.miss_distance_m == pytest.approx(conj.miss_km[0] * 1e3, rel=1e-15)
    assert m.relative_speed_m_s == pytest.approx(conj.vrel_kms[0] * 1e3, rel=1e-15)
    assert m.object1.metadata["REF_FRAME"] == "GCRF" and m.object1.metadata["COVARIANCE_METHOD"] == "DEFAULT"
    r1, v1 = frames.teme_to_gcrf(conj.r_primary[0], conj.v_primary[0], conj.tca_jd[0], conj.tca_fr[0])
    np.testing.assert_array_equal(m.object1.position_km, r1)
    assert np.linalg.norm(r1) == pytest.approx(np.linalg.norm(conj.r_primary[0]), rel=1e-14)
    assert np.linalg.norm(m.object1.position_km - m.object2.position_km) == pytest.approx(conj.miss_km[0], rel=1e-9)
    paths = C.write_conjunctions(conj, tmp_path / "hbr", hbr_km=0.02)
    m = C.read(paths[0])
    assert m.relative["COLLISION_PROBABILITY"] == pytest.approx(float(engine.pc.from_cdm(m).pc[0]), rel=1e-12)
    with pytest.raises(TypeError, match="CDM"):
        C.write("not a message", tmp_path / "x.cdm")


def _iridium_cosmos():
    import engine
    from engine import events

    cat = engine.load_tle(events.IRIDIUM_33_TLE + events.COSMOS_2251_TLE)
    return engine.screen(cat[:1], cat[1:], "2009-02-10T00:00", "2009-02-11T00:00", threshold_km=5.0,
                         backend="numpy")


def test_write_conjunctions_carries_pc(tmp_path):
    """Issue 13: engine.cdm.write(conj, directory) wrote CDMs without COLLISION_PROBABILITY and
    took no hard-body radius. Now write(conj, dir, hbr_km=...) or a table from with_pc gives
    messages with the Pc, its method and the radius; the Pc equals the table's (TEME and GCRF
    differ by a rotation, which leaves the 2D Pc unchanged) and engine.pc.from_cdm's; without
    a radius the call says how to give one before writing anything."""
    import engine

    bare = _iridium_cosmos()
    conj = bare.with_pc(0.02, backend="numpy")
    assert conj.covariance_assumed.tolist() == [True] and conj.pc[0] > 0
    for paths in (C.write(conj, tmp_path / "a"), C.write(bare, tmp_path / "b", hbr_km=0.02)):
        m = C.read(paths[0])
        assert m.relative["COLLISION_PROBABILITY_METHOD"] == "FOSTER-1992" and m.hbr_m == 20.0
        assert m.relative["COLLISION_PROBABILITY"] == pytest.approx(conj.pc[0], rel=1e-9)
        assert m.relative["COLLISION_PROBABILITY"] == pytest.approx(float(engine.pc.from_cdm(m).pc[0]), rel=1e-12)
        assert any("assumed" in c for c in m.comments["header"])
    with pytest.raises(ValueError, match="hbr_km="):
        C.write(bare, tmp_path / "c")
    assert not (tmp_path / "c").exists()
    with pytest.raises(TypeError, match="no options"):
        C.write(C.read(paths[0]), tmp_path / "x.cdm", hbr_km=0.02)


def test_write_conjunctions_given_covariances(tmp_path):
    """Covariances given in TEME are rotated with the states: the message's Pc is the table's
    (with_pc with the same covariances), COVARIANCE_METHOD is CALCULATED, and a table whose Pc
    came from given covariances cannot be written with assumed ones."""
    import engine

    conj = _iridium_cosmos()
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(3, 3)) * 0.1, rng.normal(size=(3, 3)) * 0.1
    c1, c2 = a @ a.T, b @ b.T
    tab = conj.with_pc(0.02, cov_primary=c1, cov_secondary=c2, backend="numpy")
    assert tab.covariance_assumed.tolist() == [False]
    with pytest.raises(ValueError, match="cov_primary= and cov_secondary="):
        C.write(tab, tmp_path / "a")
    m = C.read(C.write(tab, tmp_path / "b", cov_primary=c1, cov_secondary=c2)[0])
    assert m.object1.metadata["COVARIANCE_METHOD"] == "CALCULATED"
    assert m.relative["COLLISION_PROBABILITY"] == pytest.approx(tab.pc[0], rel=1e-9)
    assert m.relative["COLLISION_PROBABILITY"] == pytest.approx(float(engine.pc.from_cdm(m).pc[0]), rel=1e-12)
