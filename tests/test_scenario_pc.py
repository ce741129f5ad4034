"""The scenario's probability-of-collision lines (issue 13): the summary names the approach
with the largest Pc, the report lists every approach above the operators' levels, and the
scenario's CSV carries the Pc columns. Built on a small synthetic table, no scenario run."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from engine import pc, scenario
from engine.screening import Conjunctions

#: Pc of the five approaches: above 1e-4, above 1e-5, between 1e-7 and 1e-5, below 1e-7, NaN
PCS = np.array([2.0e-4, 3.0e-5, 4.0e-7, 5.0e-9, np.nan])


def _table():
    k = PCS.size
    rng = np.random.default_rng(7)
    r1 = rng.normal(size=(k, 3)) * 10 + [6778.0, 0.0, 0.0]
    r2 = r1 + rng.normal(size=(k, 3))
    v = rng.normal(size=(k, 3))
    rho = r2 - r1
    flags = np.full(k, pc.FLAG_ASSUMED_COVARIANCE, np.uint8)
    flags[4] |= pc.FLAG_SLOW
    return Conjunctions(
        primary=np.zeros(k, np.int64), secondary=np.arange(k), primary_satnum=np.full(k, 25544),
        secondary_satnum=np.array([80011, 80022, 80033, 80044, 80055]), primary_name=np.full(k, "ISS (ZARYA)"),
        secondary_name=np.array(["F11", "F22", "F33", "F44", "F55"]),
        tca=np.datetime64("2021-11-16T00:00:00", "us") + np.arange(k) * np.timedelta64(3661, "s"),
        tca_jd=np.full(k, 2459534.5), tca_fr=np.arange(k) * 3661 / 86400.0, miss_km=np.linalg.norm(rho, axis=1),
        vrel_kms=np.full(k, 14.5), miss_r_km=rho[:, 0], miss_t_km=rho[:, 1], miss_n_km=rho[:, 2],
        approach_angle_deg=np.zeros(k), r_primary=r1, v_primary=v, r_secondary=r2, v_secondary=-v,
        dse_primary=np.ones(k), dse_secondary=np.ones(k), pc=PCS, pc_flags=flags,
        hbr_km=np.full(k, scenario.ISS_HBR_KM), covariance_assumed=np.ones(k, bool), pc_method="FOSTER-1992")


def test_summary_names_the_largest_pc_approach():
    """Issue 13: the summary gave only 'the largest' Pc; it now names the approach (TCA,
    object, miss) and counts the approaches above each operator level."""
    conj = _table()
    text = "\n".join(scenario._pc_summary(conj))
    assert "largest 2021-11-16T00:00:00 UTC, object 80011 (F11)" in text
    assert f"miss {conj.miss_km[0]:.3f} km" in text and "Pc 2.00e-04" in text
    assert "ASSUMED" in text and "FOSTER-1992" in text
    assert "Pc > 1e-04 (ISS manoeuvre): 1" in text
    counts = {t[0]: int(np.sum(PCS[np.isfinite(PCS)] > t[0])) for t in pc.PC_THRESHOLDS}
    assert counts == {1e-4: 1, 1e-5: 2, 1e-7: 3}
    for level, n in counts.items():
        assert f"Pc > {level:.0e} (" in text and f"): {n}" in text


def test_report_lists_every_approach_above_the_levels():
    conj = _table()
    lines = scenario._pc_report(conj)
    rows = [ln for ln in lines if ln.startswith("| 1e-")]
    assert len(rows) == 3                     # 2e-4, 3e-5, 4e-7; not 5e-9, not NaN
    assert rows[0].startswith("| 1e-04 | 2021-11-16T00:00:00 | 80011 F11 |")
    assert rows[1].startswith("| 1e-05 | 2021-11-16T01:01:01 | 80022 F22 |")
    assert rows[2].startswith("| 1e-07 | 2021-11-16T02:02:02 | 80033 F33 |")
    assert all("ASSUMED_COVARIANCE" in r for r in rows)
    assert any("ASSUMED covariances" in ln for ln in lines)
    assert scenario._pc_report(conj[3:4])[-2] == "No approach has Pc above 1e-07."


def test_scenario_csv_has_pc_columns(tmp_path):
    conj = _table()
    conj.to_csv(tmp_path / "c.csv")
    with open(tmp_path / "c.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["PC"]) for r in rows[:4]] == pytest.approx(PCS[:4].tolist(), rel=1e-6)
    assert rows[4]["PC"] == "nan" and rows[4]["PC_FLAGS"] == "SLOW|ASSUMED_COVARIANCE"
    assert {r["COVARIANCE"] for r in rows} == {"ASSUMED"} and {r["PC_METHOD"] for r in rows} == {"FOSTER-1992"}


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path, monkeypatch):
    """scenario.cosmos1408(out=EXISTING_FILE) used to fail only after the whole run: the
    check comes before the breakup (which is made to fail here if it is reached)."""
    from engine import events, scenario

    def reached(*args, **kwargs):
        raise AssertionError("the breakup ran before the output was checked")

    monkeypatch.setattr(events, "cosmos1408", reached)
    path = tmp_path / "report.md"
    path.write_text("already here\n")
    for out in (path, path / "sub"):
        with pytest.raises(ValueError, match="report directory cannot be made"):
            scenario.cosmos1408(out=str(out), quiet=True)
