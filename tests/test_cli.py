"""The debris-engine command: results against python-sgp4, and user mistakes reported
in one message with exit code 2 (never a traceback)."""

import numpy as np
import pytest
from sgp4.api import Satrec, SatrecArray

from engine import _backend
from engine.cli import example_path, main

ONE_MM = 1e-6  # km


def _example_satrecs():
    lines = [ln for ln in open(example_path()).read().splitlines() if ln.startswith(("1 ", "2 "))]
    return [Satrec.twoline2rv(lines[k], lines[k + 1]) for k in range(0, len(lines), 2)]


def test_propagate_example_npz_matches_python_sgp4(tmp_path, capsys):
    out = tmp_path / "states.npz"
    rc = main(["propagate", "--example", "--start", "2021-11-15T03:00", "--stop", "2021-11-15T09:00",
               "--step", "1800", "--backend", "numpy", "--out", str(out), "--quiet"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "1000 objects x 13 times" in text and "evaluations        13,000" in text
    data = np.load(out)
    assert data["r_km"].shape == (1000, 13, 3) and str(data["frame"]) == "TEME"
    e, r, v = SatrecArray(_example_satrecs()).sgp4(data["jd"], data["fr"])
    assert np.array_equal(data["e"], e)
    assert np.nanmax(np.abs(data["r_km"] - r)) < ONE_MM
    assert np.nanmax(np.abs(data["v_km_s"] - v)) < 1e-9
    assert data["satnum"][0] == 13552 and data["satnum"][1] == 25544


def test_propagate_csv_rows_match_python_sgp4(tmp_path, capsys):
    src = tmp_path / "two.tle"
    src.write_text("\n".join(open(example_path()).read().splitlines()[9:15]) + "\n")  # COSMOS 1408, ISS
    out = tmp_path / "states.csv"
    rc = main(["propagate", str(src), "--start", "2021-11-15T00:00:00", "--stop", "2021-11-15T01:00:00",
               "--step", "600", "--out", str(out), "--quiet", "--backend", "numpy"])
    assert rc == 0
    rows = out.read_text().splitlines()
    assert rows[0].startswith("satnum,name,time_utc,error,x_km")
    assert len(rows) == 1 + 2 * 7
    sats = _example_satrecs()[:2]
    first = rows[1].split(",")
    assert first[0] == "13552" and first[2] == "2021-11-15T00:00:00.000000"
    err, r, v = sats[0].sgp4(2459533.5, 0.0)
    assert np.allclose([float(x) for x in first[4:7]], r, atol=ONE_MM, rtol=0)
    last = rows[-1].split(",")
    err, r, v = sats[1].sgp4(2459533.5, 1 / 24)
    assert last[0] == "25544" and np.allclose([float(x) for x in last[7:10]], v, atol=1e-9, rtol=0)


def _fails_cleanly(capsys, argv, *needles):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


def test_missing_input_file(capsys, tmp_path):
    _fails_cleanly(capsys, ["propagate", str(tmp_path / "nope.tle")], "nope.tle", "does not exist")


def test_no_input_at_all(capsys):
    _fails_cleanly(capsys, ["propagate"], "INPUT", "--example")


def test_bad_checksum_names_line_and_field(capsys, tmp_path):
    lines = open(example_path()).read().splitlines()[12:15]  # ISS, 3 lines
    lines[2] = lines[2][:-1] + str((int(lines[2][-1]) + 1) % 10)
    src = tmp_path / "bad.tle"
    src.write_text("\n".join(lines) + "\n")
    _fails_cleanly(capsys, ["propagate", str(src)], "line 3", "checksum")


def test_skip_bad_records_keeps_the_rest(capsys, tmp_path):
    lines = open(example_path()).read().splitlines()[9:15]
    lines[5] = lines[5][:-1] + str((int(lines[5][-1]) + 1) % 10)  # spoil the ISS
    src = tmp_path / "mixed.tle"
    src.write_text("\n".join(lines) + "\n")
    rc = main(["propagate", str(src), "--errors", "skip", "--step", "3600", "--quiet", "--backend", "numpy"])
    captured = capsys.readouterr()
    out = captured.out
    assert rc == 0
    # the warning as the command's own clean line, no Python "file.py:47: BadRecordsWarning" prefix
    assert captured.err.startswith("debris-engine: warning: skipped 1 bad TLE record")
    assert "Warning" not in captured.err and ".py:" not in captured.err
    assert "1 objects x 25 times" in out and "skipped records    1" in out


def test_stop_before_start_and_bad_step(capsys):
    _fails_cleanly(capsys, ["propagate", "--example", "--start", "2021-11-16", "--stop", "2021-11-15"], "before")
    _fails_cleanly(capsys, ["propagate", "--example", "--step", "-5"], "--step")
    _fails_cleanly(capsys, ["propagate", "--example", "--start", "yesterday"], "ISO 8601")
    _fails_cleanly(capsys, ["propagate", "--example", "--out", "states.txt"], ".npz, .csv, .oem or .zarr")


@pytest.mark.skipif(_backend.cuda_status()[0], reason="a CUDA device is present here")
def test_cuda_backend_without_device_exits_3(capsys):
    rc = main(["propagate", "--example", "--backend", "cuda", "--quiet"])
    assert rc == 3
    assert "backend='cuda' cannot run here" in capsys.readouterr().err


def test_help_exits_zero(capsys):
    for argv in (["--help"], ["propagate", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
    assert "--step" in capsys.readouterr().out


def test_breakup_writes_the_api_cloud_and_its_element_sets(tmp_path, capsys):
    """`debris-engine breakup` writes exactly what engine.events makes with the same seed,
    and element sets that python-sgp4 propagates back to the fragments' states."""
    import warnings

    from engine import events

    out, tle = tmp_path / "f.npz", tmp_path / "f.tle"
    assert main(["breakup", "cosmos1408", "--lc-min", "0.2", "--seed", "5", "--backend", "numpy",
                 "--out", str(out), "--tle", str(tle)]) == 0
    text = capsys.readouterr().out
    want = events.cosmos1408(lc_min=0.2, seed=5, backend="numpy")
    assert f"{len(want):,} fragments" in text
    d = np.load(out)
    np.testing.assert_array_equal(d["lc_m"], want.lc)
    np.testing.assert_array_equal(d["v_km_s"], want.v)
    lines = tle.read_text().splitlines()
    sats = [Satrec.twoline2rv(lines[i + 1], lines[i + 2]) for i in range(0, len(lines), 3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cat = want.to_catalog()
    assert len(sats) == len(cat) > 0
    jd, fr = want.epoch_jd
    from engine.plots import gabbard_points

    _, _, perigee = gabbard_points(cat)
    errs = []
    for s, q in zip(sats, perigee):
        e, r, _ = s.sgp4(jd, fr)
        assert e == 0
        if q > 150.0:   # below, SGP4's epoch state is sensitive to the rounded TLE fields (km)
            errs.append(float(np.linalg.norm(np.subtract(r, want.r[s.satnum - 270000]))))
    # the TLE text rounds the elements (8 digits of mean motion, 7 of e, 4 decimals of angles)
    assert len(errs) > 0.8 * len(sats) and max(errs) < 0.05, (len(errs), max(errs))


@pytest.mark.parametrize("argv, needle", [
    (["breakup", "cosmos1408", "--lc-min", "0.0001"], "1 mm floor"),
    (["breakup", "cosmos1408", "--seed", "-3"], "seed"),
    (["breakup", "cosmos1408", "--out", "x.txt"], ".npz or .csv"),
])
def test_breakup_user_mistakes_exit_2(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_bench_runs_side_by_side_and_saves_records(tmp_path, capsys):
    import json

    assert main(["bench", "--quick", "--sizes", "200", "--lc-min", "0.05", "--repeat", "1",
                 "--backend", "numpy", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    recs = json.loads(next(tmp_path.glob("bench-*.json")).read_text())
    impl = {(r["kernel"], r["backend"]) for r in recs}
    assert ("sgp4", "debris-engine-numpy") in impl and ("sgp4", "python-sgp4-SatrecArray") in impl
    assert ("breakup", "debris-engine-numpy") in impl
    for r in recs:
        assert r["evals_per_s"] > 0 and r["seconds"] > 0 and r["device"]
    assert "ratio" in out and "ESA C++ published" in out
    assert main(["bench", "--sizes", "abc"]) == 2


def test_screen_command_iridium_cosmos(tmp_path, capsys):
    from engine import events

    (tmp_path / "a.tle").write_text(events.IRIDIUM_33_TLE)
    (tmp_path / "b.tle").write_text(events.COSMOS_2251_TLE)
    assert main(["screen", str(tmp_path / "b.tle"), "--primary", str(tmp_path / "a.tle"), "--start",
                 "2009-02-10T00:00", "--stop", "2009-02-11T00:00", "--backend", "numpy",
                 "--out", str(tmp_path / "c.csv"), "--cdm", str(tmp_path / "cdm")]) == 0
    out = capsys.readouterr().out
    assert "2009-02-10T16:55:59.79" in out and "0.698 km" in out and "11.647 km/s" in out
    rows = (tmp_path / "c.csv").read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith("24946,")
    assert len(list((tmp_path / "cdm").glob("*.cdm"))) == 1
    assert main(["screen", str(tmp_path / "b.tle")]) == 2   # neither --primary nor --all
    assert "--primary" in capsys.readouterr().err


def test_propagate_oem_output_round_trips(tmp_path, capsys):
    from engine.io import oem

    path = tmp_path / "ex.oem"
    npz = tmp_path / "ex.npz"
    base = ["propagate", "--example", "--step", "3600", "--quiet"]
    assert main(base + ["--out", str(path)]) == 0 and main(base + ["--out", str(npz)]) == 0
    capsys.readouterr()
    segs = oem.read(path)
    d = np.load(npz)
    assert len(segs) == len(d["satnum"])
    for k in (0, 1, 500):
        s = segs[k]
        assert int(s["OBJECT_ID"]) == int(d["satnum"][k]) and s["REF_FRAME"] == "TEME"
        ok = d["e"][k] == 0
        np.testing.assert_array_equal(s["r"], d["r_km"][k][ok])
        np.testing.assert_array_equal(s["v"], d["v_km_s"][k][ok])
        np.testing.assert_array_equal(s["times"], d["times_utc"][ok].astype("datetime64[us]"))


def test_screen_command_writes_pc(tmp_path, capsys):
    """Issue 13: the screen command's CSV, CDMs and printed table carry the probability of
    collision (default radius engine.pc.DEFAULT_HBR_KM, --hbr-km to change it), equal to the
    library's screen(..., hbr_km=...)."""
    import csv

    import engine
    from engine import cdm, events

    (tmp_path / "a.tle").write_text(events.IRIDIUM_33_TLE)
    (tmp_path / "b.tle").write_text(events.COSMOS_2251_TLE)
    base = ["screen", str(tmp_path / "b.tle"), "--primary", str(tmp_path / "a.tle"), "--start",
            "2009-02-10T00:00", "--stop", "2009-02-11T00:00", "--backend", "numpy"]
    ref = {}
    for hbr in (None, 0.0661):
        d = tmp_path / str(hbr)
        args = base + ["--out", str(d / "c.csv"), "--cdm", str(d)] + ([] if hbr is None else ["--hbr-km", str(hbr)])
        d.mkdir()
        assert main(args) == 0
        out = capsys.readouterr().out
        h = engine.pc.DEFAULT_HBR_KM if hbr is None else hbr
        conj = engine.screen(engine.load_tle(events.IRIDIUM_33_TLE), engine.load_tle(events.COSMOS_2251_TLE),
                             "2009-02-10T00:00", "2009-02-11T00:00", threshold_km=5.0, hbr_km=h, backend="numpy")
        with open(d / "c.csv", newline="") as f:
            row = next(csv.DictReader(f))
        assert float(row["PC"]) == pytest.approx(conj.pc[0], rel=1e-6) and float(row["HBR"]) == h
        assert row["COVARIANCE"] == "ASSUMED" and row["PC_METHOD"] == "FOSTER-1992"
        assert f"Pc {conj.pc[0]:.2e}" in out and f"hard-body radius {h * 1e3:g} m" in out and "ASSUMED" in out
        m = cdm.read(next(d.glob("*.cdm")))
        assert m.relative["COLLISION_PROBABILITY"] == pytest.approx(conj.pc[0], rel=1e-9) and m.hbr_m == h * 1e3
        ref[hbr] = conj.pc[0]
    assert ref[0.0661] > ref[None]   # a larger radius, a larger probability
    assert main(base + ["--hbr-km", "-1"]) == 2
    assert "hbr_km" in capsys.readouterr().err
