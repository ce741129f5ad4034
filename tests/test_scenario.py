"""The Cosmos 1408 scenario end to end, on a small configuration (the default run is the
README's main command; its figures are in the README)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import longterm, scenario
from engine.cli import main

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "cosmos1408_debris_2021-11.tle"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("scenario")
    return scenario.cosmos1408(lc_min=0.2, days=2.0, years=0.5, seed=1, backend="numpy", out=str(out),
                               threshold_km=25.0, quiet=True, log=lambda *a: None), out


def test_every_stage_ran_and_agrees_with_itself(run):
    res, out = run
    n = len(res.fragments)
    assert n == round(0.1 * 1770.0**0.75 * 0.2**-1.71)
    assert len(res.cloud) + res.n_suborbital + len(res.cloud.rejected) == n
    assert res.n_suborbital == len(res.cloud.not_in_orbit) > 0
    # screening: every approach inside the window and under the threshold, counted per day
    c = res.conjunctions
    assert np.all(c.miss_km <= 25.0) and res.approaches_per_day.sum() == len(c)
    assert np.all((c.tca >= res.epoch) & (c.tca <= res.epoch + np.timedelta64(2, "D")))
    assert res.pc.shape == (len(c),) and np.all((res.pc >= 0) & (res.pc <= 1))
    # density: the cloud's mass of orbits sits around the breakup altitude (~480 km)
    mid = 0.5 * (res.density_alt_edges_km[1:] + res.density_alt_edges_km[:-1])
    assert 425 < mid[np.argmax(res.density_per_day[0])] < 525
    # decay: counts never grow, and re-entries are within the run
    d = res.decay
    assert np.all(np.diff(d.on_orbit) <= 0)
    # issue 13.3: one definition of in orbit, so the on-orbit curve starts at the cloud's size
    # (it started ~40 lower: pieces with a mean perigee under 120 km were in the cloud)
    assert d.on_orbit[0] == len(res.cloud) and not np.any(d.status == longterm.BELOW_AT_EPOCH)
    ok = ~np.isnat(d.reentry)
    assert np.all(d.reentry[ok] >= res.epoch)


def test_report_and_plots_written(run):
    res, out = run
    names = {Path(f).name for f in res.files}
    assert {"report.md", "iss_conjunctions.csv"} <= names
    text = (out / "report.md").read_text()
    assert "Cosmos 1408 breakup" in text and "ISS close approaches" in text
    # the report states the one definition of in orbit it counts with (issue 13.3)
    assert "in orbit: a bound orbit whose mean perigee is above 120 km" in text
    assert f"{len(res.cloud):,} in orbit; {len(res.cloud.not_in_orbit):,} not in orbit" in text
    pytest.importorskip("matplotlib")
    for png in ("gabbard.png", "iss_approaches.png", "density_altitude.png", "on_orbit.png", "iss_flux.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG", png


def test_cli_scenario(tmp_path, capsys):
    args = ["scenario", "cosmos1408", "--out", str(tmp_path), "--lc-min", "0.5", "--days", "1", "--years", "0.2",
            "--backend", "numpy", "--quiet"]
    if REAL.is_file():
        args += ["--real", str(REAL)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Cosmos 1408 breakup" in out and (tmp_path / "report.md").is_file()
    assert main(["scenario", "cosmos1408", "--out", str(tmp_path), "--days", "-1"]) == 2
