"""The scenario's risk over time (issue 14, points 3 and 4): the ensemble over seeds and
interceptor assumptions, the one-line answer, the targets' ranking, report.html and
summary.json. Small configuration: fragments >= 20 cm, 4 members, one year.

Authorities: exact invariants (percentiles of the members, the answer's crossing against
the series it came from, the ranking against the cumulative impacts), a run of member 0
alone (the joint decay must give each member its own result), the published element sets
of engine.events as targets, and a SATCAT table written here.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
from html.parser import HTMLParser

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the scenario's report.html needs matplotlib")

import engine  # noqa: E402
from engine import events, scenario  # noqa: E402
from engine.cli import main  # noqa: E402
from engine.io.satcat import load_satcat  # noqa: E402

FRACTION = 0.5
#: public CelesTrak-style SATCAT rows (made-up debris rows; the test checks the drawing, not the data)
SATCAT_TEXT = """OBJECT_NAME,OBJECT_ID,NORAD_CAT_ID,OBJECT_TYPE,OPS_STATUS_CODE,OWNER,LAUNCH_DATE,LAUNCH_SITE,DECAY_DATE,PERIOD,INCLINATION,APOGEE,PERIGEE,RCS,DATA_STATUS_CODE,ORBIT_CENTER,ORBIT_TYPE
DEB A,1982-092C,49516,DEB,,CIS,1982-09-16,PLMSC,2021-12-20,92.0,82.5,400,380,,,EA,IMP
DEB B,1982-092D,49517,DEB,,CIS,1982-09-16,PLMSC,2022-01-10,92.0,82.5,400,380,0.01,,EA,IMP
DEB C,1982-092E,49518,DEB,,CIS,1982-09-16,PLMSC,2022-02-01,92.0,82.5,400,380,,,EA,IMP
DEB D,1982-092F,49519,DEB,,CIS,1982-09-16,PLMSC,,95.0,82.5,600,500,,,EA,ORB
"""
#: the user's targets: the ISS (left to the preset), Iridium 33, Cosmos 2251 and Cosmos 1408 itself
TARGETS_TLE = events.ISS_2021_11_15_TLE + events.IRIDIUM_33_TLE + events.COSMOS_2251_TLE + events.COSMOS_1408_TLE
KW = dict(lc_min=0.2, days=1.0, years=1.0, seed=3, backend="numpy", threshold_km=25.0, quiet=True,
          log=lambda *a: None, fraction=FRACTION)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("risk")
    res = scenario.cosmos1408(out=str(out), members=4, targets=engine.load_tle(TARGETS_TLE), target_area_m2=7.0,
                              real_satcat=load_satcat(SATCAT_TEXT), **KW)
    return res, out


def test_assumptions_member_0_central_others_within_documented_ranges():
    draws = events.cosmos1408_assumptions(6, seed=3)
    assert draws == events.cosmos1408_assumptions(6, seed=3)          # same seed, same ensemble
    m0 = draws[0]
    assert (m0["seed"], m0["mass_kg"], m0["projectile_mass_kg"]) == (3, events.COSMOS_1408_MASS_KG,
                                                                      events.INTERCEPTOR_MASS_KG)
    assert m0["projectile_velocity_rtn_kms"] == tuple(events.INTERCEPTOR_VELOCITY_RTN_KMS)
    assert [d["seed"] for d in draws] == list(range(3, 9))
    for d in draws[1:]:
        for key, rng in (("mass_kg", events.COSMOS_1408_MASS_RANGE_KG),
                         ("projectile_mass_kg", events.INTERCEPTOR_MASS_RANGE_KG),
                         ("speed_kms", events.INTERCEPTOR_SPEED_RANGE_KMS),
                         ("off_vertical_deg", events.INTERCEPTOR_OFF_VERTICAL_RANGE_DEG)):
            assert rng[0] <= d[key] <= rng[1], (key, d)
        v = np.array(d["projectile_velocity_rtn_kms"])
        assert math.isclose(np.linalg.norm(v), d["speed_kms"], rel_tol=1e-12)
        assert math.isclose(math.degrees(math.acos(v[0] / d["speed_kms"])), d["off_vertical_deg"], abs_tol=1e-9)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="members"):
            events.cosmos1408_assumptions(bad)


def test_size_classes_never_below_the_generated_fragments():
    assert scenario.size_classes(0.1) == (0.1,)
    assert scenario.size_classes(0.01) == (0.1, 0.01)
    assert scenario.size_classes(0.2) == (0.2,)


def test_bad_arguments_rejected_before_any_work(tmp_path):
    for kw, match in ((dict(members=0), "members"), (dict(target_area_m2=-1.0), "target_area_m2"),
                      (dict(targets="file.tle"), "engine.Catalog"), (dict(real_satcat="x.csv"), "Satcat"),
                      (dict(fraction=1.5), "fraction")):
        with pytest.raises((ValueError, TypeError), match=match):
            scenario.cosmos1408(out=str(tmp_path / "never"), **{**KW, **kw})
    assert not (tmp_path / "never").exists()


def test_member_0_of_the_joint_decay_is_member_0_alone(run, tmp_path):
    """All members decay in one call; each member's slice must be its own run: member 0 of
    the ensemble equals a one-member run (same seed, same central assumptions)."""
    res, _ = run
    alone = scenario.cosmos1408(members=1, **KW)
    assert np.array_equal(res.on_orbit_members[0], alone.decay.on_orbit)
    np.testing.assert_array_equal(res.decay.reentry, alone.decay.reentry)       # NaT where still in orbit
    np.testing.assert_array_equal(res.decay.history["a_km"], alone.decay.history["a_km"])   # NaN once re-entered
    a, b = res.ensemble.members[0], alone.ensemble.members[0]
    np.testing.assert_array_equal(a.impacts_per_orbit[:, 0], b.impacts_per_orbit[:, 0])
    # a one-member ensemble's band is member 0 itself
    band = alone.ensemble.band("impacts_per_orbit", 0, lc_m=0.2)
    assert np.array_equal(band["p05"], b.impacts_per_orbit[:, 0, 0])
    assert np.array_equal(band["p95"], b.impacts_per_orbit[:, 0, 0])
    # the members differ (seeds and assumptions), so the band is not one curve
    assert len({m["fragments"] for m in res.members}) > 1


def test_bands_hold_the_members(run):
    res, _ = run
    ens = res.ensemble
    assert len(ens.members) == 4
    for q in ("impacts_per_orbit", "cumulative_impacts"):
        x = np.stack([getattr(m, q)[:, 0, 0] for m in ens.members])
        b = ens.band(q, 0, lc_m=0.2)
        assert np.all(x.min(0) <= b["p05"]) and np.all(b["p05"] <= b["median"])
        assert np.all(b["median"] <= b["p95"]) and np.all(b["p95"] <= x.max(0))
        assert np.array_equal(b["median"], np.median(x, axis=0))


def test_answer_against_the_series_it_came_from(run):
    res, _ = run
    ens = res.ensemble
    days = ens.members[0].days
    crossed = []
    for m in ens.members:
        rate = m.impacts_per_orbit[:, 0, 0]
        # first-week risk: expected impacts in the first 7 days over the ISS's orbits in them
        week = np.interp(7.0, days, m.cumulative_impacts[:, 0, 0]) / (7 * 86400.0 / m.period_s[0])
        a = m.answer(0, lc_m=0.2, fraction=FRACTION)
        assert math.isclose(a.first_week_per_orbit, week, rel_tol=1e-12)
        level = FRACTION * week
        if a.days_above_fraction is None:
            assert rate[-1] >= level
            continue
        d = a.days_above_fraction
        crossed.append(d)
        # at the reported day the rate (linear between samples) is at the level, and it
        # stays below it at every later sample
        assert math.isclose(np.interp(d, days, rate), level, rel_tol=1e-9)
        assert np.all(rate[days > d] < level) and rate[days <= d][-1] >= level
    assert crossed, "no member crossed within the horizon: the test needs a larger fraction or horizon"
    dur = np.array([a.days_above_fraction if a.days_above_fraction is not None else a.horizon_days
                    for a in (m.answer(0, lc_m=0.2, fraction=FRACTION) for m in ens.members)])
    got = res.risk["classes"][0]["days_above_fraction"]
    assert got["median"] == float(np.median(dur))
    # the ISS's rate of >= 20 cm impacts never reaches NASA's background: the answer says so
    peak = max(float(m.impacts_per_orbit[:, 0, 0].max()) for m in ens.members)
    assert peak < scenario.NASA_ISS_PENETRATION_PER_ORBIT_BEFORE
    assert "stay below the background" in res.risk["answer"]


def test_targets_ranked_by_cumulative_impacts(run):
    res, _ = run
    names = list(res.targets.names)
    # the ISS first (preset, its own cross-section); the user's ISS element set left out
    assert names == ["ISS (ZARYA)", "IRIDIUM 33", "COSMOS 2251", "COSMOS 1408"]
    assert list(res.targets.area_m2) == [scenario.ISS_CROSS_SECTION_M2, 7.0, 7.0, 7.0]
    tot = np.median(np.stack([m.cumulative_impacts[-1, :, 0] for m in res.ensemble.members]), axis=0)
    ranking = res.risk["ranking"]
    assert [r["target"] for r in ranking] == [names[k] for k in np.argsort(-tot, kind="stable")]
    assert [r["cumulative_impacts_median"] for r in ranking] == sorted(tot, reverse=True)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.refs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [(tag, k, v or "") for k, v in attrs if k in ("src", "href", "srcset", "data", "style",
                                                                  "action", "poster", "background")]

    def handle_data(self, data):
        self.text.append(data)


def test_report_html_self_contained_every_figure_decodes(run):
    import matplotlib.image as mpimg

    _, out = run
    page = (out / "report.html").read_text(encoding="utf-8")
    p = _Page()
    p.feed(page)
    assert not {"script", "link", "iframe", "object", "embed"} & set(p.tags)
    imgs = [v for tag, k, v in p.refs if tag == "img" and k == "src"]
    assert len(imgs) == len(p.refs) == page.count("What to conclude:") == 7
    for src in imgs:
        assert src.startswith("data:image/png;base64,")
        img = mpimg.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1], validate=True)), format="png")
        assert img.ndim == 3 and min(img.shape[:2]) > 100
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page).lower()
    assert not re.search(r"(https?|ftp|file):|//|url\(|@import", text)


def test_summary_json_has_the_headline_figures_and_matches_the_page(run):
    res, out = run
    s = json.loads((out / "summary.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    for key in ("event", "members", "screening_member_0", "flux_member_0", "decay", "risk", "background"):
        assert key in s, key
    assert s["event"]["fragments"] == len(res.fragments) and s["event"]["in_orbit"] == len(res.cloud)
    assert len(s["members"]) == 4 and s["size_classes_m"] == [0.2]
    assert s["background"]["per_orbit"] == scenario.NASA_ISS_PENETRATION_PER_ORBIT_BEFORE
    page = " ".join(_text(out))
    cls = s["risk"]["classes"][0]
    fw, dur = cls["first_week_impacts_per_orbit"], cls["days_above_fraction"]
    assert f"first-week risk {fw['median']:.2e} expected impacts per orbit" in page
    assert f"(5-95 %: {fw['p05']:.2e} to {fw['p95']:.2e})" in page
    assert f"for {dur['median']:.0f} days (5-95 %: {dur['p05']:.0f} to {dur['p95']:.0f})" in page
    area = {t["name"]: t["area_m2"] for t in s["risk"]["targets"]}
    for r in s["risk"]["ranking"]:        # the ranking table's rows: target, cross-section, median
        assert f"{r['target']} {area[r['target']]:.4g} {r['cumulative_impacts_median']:.4g}" in page
    sc = s["screening_member_0"]
    assert f"{sc['approaches']} approaches in 1 days" in page
    assert f"{int(s['decay']['in_orbit_at_end']['median'])} fragments are still in orbit (median of 4 members" in page
    assert s["risk"]["answer"] in page


def _text(out):
    p = _Page()
    p.feed((out / "report.html").read_text(encoding="utf-8"))
    return [t.strip() for t in p.text if t.strip()]


def test_real_satcat_curve_drawn_beside_the_simulated_one(run):
    res, out = run
    page = " ".join(_text(out))
    real = load_satcat(SATCAT_TEXT).on_orbit(res.epoch, since=res.epoch)[0]
    assert real == 4
    assert (f"and the catalogued fragments of the real event in the SATCAT given ({real} in orbit at the start)"
            in page)
    assert "the catalogued ones after" in page
    on = (out / "on_orbit.csv").read_text().splitlines()
    assert on[0] == "time_utc,days,member_0,member_1,member_2,member_3" and len(on) == len(res.decay.times) + 1


def test_cli_scenario_with_ensemble_targets_and_satcat(tmp_path, capsys):
    tle = tmp_path / "targets.tle"
    # one bad record (wrong checksums): reported, and the good element sets kept
    bad = events.IRIDIUM_33_TLE.replace("0  9994", "0  9990").replace("IRIDIUM 33", "BROKEN")
    tle.write_text(bad + events.IRIDIUM_33_TLE + events.COSMOS_2251_TLE)
    sat = tmp_path / "satcat.csv"
    sat.write_text(SATCAT_TEXT)
    out = tmp_path / "run"
    args = ["scenario", "cosmos1408", "--out", str(out), "--lc-min", "0.5", "--days", "1", "--years", "0.1",
            "--backend", "numpy", "--quiet", "--members", "2", "--targets", str(tle), "--target-area", "3",
            "--real-satcat", str(sat)]
    assert main(args) == 0
    cap = capsys.readouterr()
    text = cap.out
    assert "Risk over time (2 ensemble members" in text and "IRIDIUM 33" in text and "BROKEN" not in text
    assert "skipped 1 bad TLE record" in cap.err
    s = json.loads((out / "summary.json").read_text())
    assert [t["area_m2"] for t in s["risk"]["targets"]] == [scenario.ISS_CROSS_SECTION_M2, 3.0, 3.0]
    assert (out / "report.html").is_file() and (out / "risk_over_time.csv").is_file()
    for bad in (["--members", "0"], ["--target-area", "0"], ["--real-satcat", str(tmp_path / "missing.csv")],
                ["--targets", str(tmp_path / "missing.tle")]):
        assert main(args[:4] + bad) == 2
    capsys.readouterr()


def test_default_budget_decays_every_member_complete(run):
    """Runs whose members fit engine.scenario.ENSEMBLE_FRAGMENTS (the default 10 cm run
    among them) are not sampled: every fragment in orbit is decayed with weight 1, and the
    on-orbit counts are the integer counts."""
    res, out = run
    for info, counts in zip(res.members, res.on_orbit_members):
        assert info["n_fragments"] == info["n_represented"] == info["in_orbit"] == counts[0]
        assert info["weights"] == [[1.0, info["in_orbit"]]]
    assert res.on_orbit_members.dtype == np.int64 and "weights" not in res.decay.info
    assert res.sampling_text() == "" and "representative" not in res.summary()
    s = json.loads((out / "summary.json").read_text())["ensemble_sampling"]
    assert s["fragments_decayed"] == s["fragments_represented"] and s["small_fragment_weights"] == []


def test_tianhe_preset_is_its_public_element_set():
    """The preset embeds the 22 Oct 2021 element set of Tianhe (NORAD 48274) with checksums
    that load_tle verifies; its fields are the published ones."""
    cat = events.tianhe()
    assert len(cat) == 1 and int(cat.satnum[0]) == 48274 and cat.name[0] == "TIANHE"
    epoch = engine.datetime64_from_jd(cat.jdsatepoch[0], cat.jdsatepochF[0])
    assert abs(epoch - np.datetime64("2021-10-22T21:48:25.427")) < np.timedelta64(1, "ms")
    assert np.degrees(cat.inclo[0]) == pytest.approx(41.4697, abs=1e-9)
    assert cat.no_kozai[0] * 1440.0 / (2.0 * np.pi) == pytest.approx(15.60684462, abs=1e-9)
    assert set(events.TARGET_PRESETS) == {"iss", "tianhe"}


def test_cli_scenario_takes_a_target_preset_by_name(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["scenario", "cosmos1408", "--out", str(out), "--lc-min", "0.5", "--days", "1", "--years", "0.1",
            "--backend", "numpy", "--quiet", "--members", "1", "--targets", "tianhe", "--target-area", "1000"]
    assert main(args) == 0
    capsys.readouterr()
    s = json.loads((out / "summary.json").read_text())
    assert [(t["name"], t["area_m2"]) for t in s["risk"]["targets"]][1] == ("TIANHE", 1000.0)
