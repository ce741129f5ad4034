"""Representative fragments in the scenario's ensemble stage (engine.scenario.represent):
every fragment >= KEEP_LC_M and a seeded random sample of the smaller ones, each weighted
by 1 / its sampling fraction, stand for a member's whole cloud.

Authority: the complete cloud. A 1 cm-like cloud (fragments >= 3 cm, ~8,700 in orbit, of
which ~7,400 below 10 cm) is decayed complete and sampled at 20 %; the weighted on-orbit
counts and ISS flux of the sample must agree with the complete cloud's within 5 standard
deviations of the estimator, computed exactly from the complete cloud: a simple random
sample of k of n small fragments estimates their sum with variance n^2 (1 - k/n) S^2 / k,
S^2 the quantity's variance over the n (Cochran, Sampling Techniques, 3rd ed., eq. 2.8).
The sample is seeded, so the outcome is fixed; 5 sigma is a deviation of probability
~6e-7 under the normal approximation. Dropping the weights must break the agreement.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine import events, exposure, longterm, scenario

SIGMA = 5.0
FRACTION = 0.2
DAYS = 180


def _srs_sigma(y_small, k):
    """(T,) standard deviation of the weighted-sample estimate of sum(y_small, axis=1):
    y_small (T, n) the quantity on each of the n small fragments; k sampled of them."""
    n = y_small.shape[1]
    return np.sqrt(n * n * (1.0 - k / n) * np.var(y_small, axis=1, ddof=1) / k)


@pytest.fixture(scope="module")
def cloud():
    frags = events.cosmos1408(lc_min=0.03, seed=3, backend="numpy")
    cat = frags.to_catalog()
    lc = scenario._lc_in_catalog(frags, cat)
    epoch = events.COSMOS_1408_EPOCH
    stop = np.datetime64(epoch) + np.timedelta64(DAYS, "D")
    full = longterm.decay(cat, epoch, stop, atmosphere="exponential", backend="numpy", ballistic="bstar",
                          record_days=7.0)
    idx, w = scenario.represent(lc, FRACTION, seed=3)
    part = longterm.decay(cat[idx], epoch, stop, atmosphere="exponential", backend="numpy", ballistic="bstar",
                          record_days=7.0)
    return dict(lc=lc, full=full, idx=idx, w=w, part=part)


def test_represent_keeps_the_large_and_weights_the_sample(cloud):
    lc, idx, w = cloud["lc"], cloud["idx"], cloud["w"]
    small = lc < scenario.KEEP_LC_M
    n, k = int(small.sum()), int(round(FRACTION * small.sum()))
    assert np.all(np.diff(idx) > 0)
    assert set(np.flatnonzero(~small)) <= set(idx)                       # every large fragment kept ...
    assert np.all(w[~small[idx]] == 1.0)                                 # ... with weight 1
    assert int(small[idx].sum()) == k and np.all(w[small[idx]] == n / k)
    assert w.sum() == pytest.approx(lc.size, rel=1e-12)                  # the start's count is exact
    again, _ = scenario.represent(lc, FRACTION, seed=3)
    other, _ = scenario.represent(lc, FRACTION, seed=4)
    assert np.array_equal(again, idx) and not np.array_equal(other, idx)
    every, ones = scenario.represent(lc, 1.0, seed=3)
    assert np.array_equal(every, np.arange(lc.size)) and np.all(ones == 1.0)
    with pytest.raises(ValueError, match="fraction"):
        scenario.represent(lc, 0.0, seed=3)


def test_sample_fraction_fills_the_budget():
    # the default run: 12 members of ~1,400 fragments >= 10 cm and none smaller: no sampling
    assert scenario.sample_fraction([1400] * 12, [0] * 12) == 1.0
    assert scenario.sample_fraction([1400, 1500], [46_000, 47_000], budget=None) == 1.0
    assert scenario.sample_fraction([1400, 1500], [46_000, 47_000], budget=95_900) == 1.0
    large, small = [1400] * 12, [46_000] * 12
    f = scenario.sample_fraction(large, small, budget=64_000)
    assert f == pytest.approx((64_000 - 16_800) / 552_000, rel=1e-12)
    # the large fragments alone over the budget: the fewest sampled per member
    assert scenario.sample_fraction(large, small, budget=10_000) == pytest.approx(
        12 * scenario.MIN_SAMPLED / 552_000, rel=1e-12)


def test_the_sample_decays_as_its_fragments_in_the_complete_cloud(cloud):
    """The premise of sampling after the breakup: each fragment's decay does not depend on
    the others decayed with it."""
    full, part, idx = cloud["full"], cloud["part"], cloud["idx"]
    assert np.array_equal(part.reentry, full.reentry[idx], equal_nan=True)
    assert np.array_equal(part.history["a_km"], full.history["a_km"][:, idx], equal_nan=True)


def test_weighted_on_orbit_counts_are_unbiased(cloud):
    full, part, lc, idx, w = cloud["full"], cloud["part"], cloud["lc"], cloud["idx"], cloud["w"]
    truth = full.on_orbit.astype(np.float64)
    est = scenario._member_decay(part, slice(None), w).on_orbit
    alive = full.history["alive"]                                        # (T, N), at the records
    rec = np.searchsorted(full.times, full.history["times"])
    small = lc < scenario.KEEP_LC_M
    sigma = _srs_sigma(alive[:, small].astype(np.float64), int(small[idx].sum()))
    # the records are the decay's weekly times: the counts there are the alive sums
    assert np.array_equal(alive.sum(axis=1), full.on_orbit[rec])
    assert truth[rec][-1] < 0.8 * truth[0]                               # the cloud did decay
    # at the start the weighted count is exact up to the rounding of n / k summed k times
    dev = np.abs(est[rec] - truth[rec])
    assert np.all(dev <= SIGMA * sigma + 1e-9 * truth[0]), (dev / np.maximum(sigma, 1e-300)).max()
    assert 0 < sigma[-1] < 0.05 * truth[rec][-1]                   # the bound is not loose
    unweighted = scenario._member_decay(part, slice(None)).on_orbit
    assert np.all(np.abs(unweighted[rec][1:] - truth[rec][1:]) > SIGMA * sigma[1:])


def test_weighted_flux_on_the_iss_is_unbiased(cloud):
    full, part, lc, idx, w = cloud["full"], cloud["part"], cloud["lc"], cloud["idx"], cloud["w"]
    tg = exposure.Targets.iss()
    kw = dict(lc_classes_m=(0.03,), stop_fraction=None)
    truth = exposure.exposure(exposure.history_from_decay(full, lc), tg, **kw).flux_per_m2_s[:, 0, 0]
    h = exposure.history_from_decay(part, lc[idx], weights=w)
    est = exposure.exposure(h, tg, **kw).flux_per_m2_s[:, 0, 0]
    # each fragment's own flux on the ISS at each record: the variance of the estimator
    hf = exposure.history_from_decay(full, lc)
    small = np.flatnonzero(lc < scenario.KEEP_LC_M)
    y = np.zeros((len(hf.times), small.size))
    for t in range(len(hf.times)):
        on = hf.alive[t, small]
        y[t, on] = exposure.object_flux((tg.a_km[0], tg.ecco[0], tg.inclo[0]), hf.a_km[t, small[on]],
                                        hf.ecco[t, small[on]], hf.inclo[t, small[on]]) * 1e-6   # per m^2
    sigma = _srs_sigma(y, int((lc[idx] < scenario.KEEP_LC_M).sum()))
    assert np.all(sigma > 0) and np.all(sigma < 0.1 * truth)                # the bound is not loose
    dev = np.abs(est - truth)
    assert np.all(dev <= SIGMA * sigma), (dev / sigma).max()
    unweighted = exposure.exposure(exposure.history_from_decay(part, lc[idx]), tg, **kw).flux_per_m2_s[:, 0, 0]
    assert np.all(np.abs(unweighted - truth) > SIGMA * sigma)


def test_weights_of_one_give_todays_figures_exactly(cloud):
    full, lc = cloud["full"], cloud["lc"]
    tg = exposure.Targets.iss()
    plain = exposure.exposure(exposure.history_from_decay(full, lc), tg, lc_classes_m=(0.1, 0.03))
    ones = exposure.exposure(exposure.history_from_decay(full, lc, weights=np.ones(lc.size)), tg,
                             lc_classes_m=(0.1, 0.03))
    for name in ("remaining", "flux_per_m2_s", "impacts_per_orbit", "approaches_per_day", "cumulative_impacts"):
        assert np.array_equal(getattr(plain, name), getattr(ones, name)), name
    counted = scenario._member_decay(full, slice(None))
    weighted = scenario._member_decay(full, slice(None), np.ones(lc.size))
    assert counted.on_orbit.dtype == np.int64 and np.array_equal(counted.on_orbit, full.on_orbit)
    assert np.array_equal(weighted.on_orbit, full.on_orbit.astype(np.float64))


@pytest.mark.parametrize("bad", [np.nan, 0.0, -2.0, np.inf])
def test_bad_weights_raise_naming_the_field_and_the_fragment(bad):
    t = np.array(["2022-01-01", "2022-01-08"], dtype="datetime64[us]")
    a = np.full((2, 4), 6800.0)
    w = np.array([1.0, 1.0, bad, 1.0])
    with pytest.raises(ValueError, match=r"weights must be finite and > 0.*fragment 2"):
        exposure.CloudHistory(t, a, a * 0 + 0.001, a * 0 + 0.9, np.ones((2, 4), bool), np.full(4, 0.05), w)
    with pytest.raises(ValueError, match="weights"):
        exposure.CloudHistory(t, a, a * 0 + 0.001, a * 0 + 0.9, np.ones((2, 4), bool), np.full(4, 0.05),
                              np.ones(3))


def test_scenario_represents_small_fragments_beyond_the_budget(tmp_path):
    """A run whose members exceed ensemble_fragments: member 0's screening and flux keep
    its whole cloud, the ensemble decays the sample, and the counts stand for every
    fragment in orbit."""
    pytest.importorskip("matplotlib", reason="the scenario's report needs matplotlib")
    res = scenario.cosmos1408(lc_min=0.05, days=0.25, years=0.1, seed=2, members=2, backend="numpy",
                              threshold_km=25.0, quiet=True, log=lambda *a: None, ensemble_fragments=4000,
                              out=str(tmp_path / "run"))
    m0 = res.members[0]
    assert m0["n_represented"] == m0["in_orbit"] == len(res.cloud) > m0["n_fragments"]
    assert sum(i["n_fragments"] for i in res.members) <= 4000 + len(res.members)   # k rounded per member
    for info, start in zip(res.members, res.on_orbit_members[:, 0]):
        assert sum(w * n for w, n in info["weights"]) == pytest.approx(info["n_represented"], rel=1e-12)
        assert start == pytest.approx(info["n_represented"], rel=1e-12)
    assert "representative fragments" in res.summary()
    text = (tmp_path / "run" / "report.html").read_text()
    assert "representative fragments" in text and "fragments decayed per member" in text
    rows = (tmp_path / "run" / "ensemble_members.csv").read_text().splitlines()
    assert rows[0].endswith("n_fragments,n_represented,small_weight") and len(rows) == 3
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())["ensemble_sampling"]
    assert summary["fragments_decayed"] == sum(i["n_fragments"] for i in res.members)
    assert summary["fragments_represented"] == sum(i["in_orbit"] for i in res.members)
    assert summary["small_fragment_weights"] == sorted(w for i in res.members for w, _ in i["weights"] if w != 1)
    full = scenario.cosmos1408(lc_min=0.05, days=0.25, years=0.1, seed=2, members=1, backend="numpy",
                               threshold_km=25.0, quiet=True, log=lambda *a: None, ensemble_fragments=None)
    # member 0's first-week stages do not depend on the ensemble's sampling
    assert full.flux.flux_per_m2_yr == res.flux.flux_per_m2_yr
    assert np.array_equal(full.conjunctions.miss_km, res.conjunctions.miss_km)
    assert full.members[0]["n_fragments"] == full.members[0]["n_represented"]
    assert full.members[0]["weights"] == [[1.0, len(full.cloud)]]
