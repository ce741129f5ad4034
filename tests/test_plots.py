"""The plots say what they show: axis labels, whole-number ticks on counts, bar edges, the
orbit-averaged flux, what a clipped Gabbard diagram leaves out, and bench axes that do not
blow up small differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from engine import plots  # noqa: E402
from engine._orbits import MU_KM3_S2, RE_KM  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(ax):
    return ax.get_xlabel().strip() and ax.get_ylabel().strip()


def test_approaches_whole_number_ticks_and_edged_bars():
    # the default run's counts: with matplotlib's default locator the y ticks were 0, 0.5, ...
    fig = plots.approaches([3, 0, 1, 0, 1, 3, 0], [3.6, 4.1, 6.0, 7.7, 8.2, 9.0, 9.5, 9.9], 10.0)
    for ax in fig.axes:
        assert _labelled(ax)
        ticks = ax.get_yticks()
        assert np.array_equal(ticks, np.round(ticks)), ticks
        assert ax.patches, "no bars drawn"
        for bar in ax.patches:
            assert bar.get_edgecolor()[3] > 0 and bar.get_linewidth() > 0
    days = fig.axes[0].get_xticks()
    assert np.array_equal(days, np.round(days)), days


def test_on_orbit_and_density_axes_are_labelled():
    times = np.datetime64("2021-11-15") + np.arange(0, 400, 10).astype("timedelta64[D]")
    fig = plots.on_orbit(times, np.linspace(1201, 44, times.size).astype(int))
    assert _labelled(fig.axes[0]), "on_orbit has no x-axis label"
    edges = np.arange(150.0, 2001.0, 25.0)
    rng = np.random.default_rng(3)
    fig = plots.density_altitude(edges, rng.random((3, edges.size - 1)) * 1e-8, band_km=(400, 430))
    assert _labelled(fig.axes[0])


def test_orbit_average_removes_the_once_per_orbit_swing():
    # y = trend + swing once per orbit; the mean over one period of the swing is 0 and of
    # the linear trend is the trend at the window's centre (exact), so only the trapezoid
    # and interpolation errors remain: O((step / period)^2) of the swing
    period = 5580.0
    t = np.arange(0.0, 7 * 86400.0, 120.0)
    trend = 2.0 + t / 86400.0
    y = trend + 1.5 * np.sin(2 * np.pi * t / period + 0.3)
    mid, avg = plots.orbit_average(t, y, period)
    assert mid[0] >= period / 2 and mid[-1] <= t[-1] - period / 2 and mid.size > t.size - period / 120 - 2
    exact = 2.0 + mid / 86400.0
    assert np.max(np.abs(avg - exact)) < 1e-2 * 1.5
    with pytest.raises(ValueError, match="less than one period"):
        plots.orbit_average(t[:10], y[:10], period)


def test_flux_plot_is_orbit_averaged_and_its_reference_line_is_per_m2():
    period_min = 93.0
    times = np.datetime64("2021-11-15T03:00") + np.arange(0, 3 * 86400, 120).astype("timedelta64[s]")
    t = (times - times[0]) / np.timedelta64(1, "s")
    raw = 1e-6 * (1.0 + 0.8 * np.sin(2 * np.pi * t / (period_min * 60.0)))
    fig = plots.flux_on_target(times, raw, period_min, reference=(1.1e-4, "reference per m^2"))
    ax = fig.axes[0]
    assert _labelled(ax) and "per m^2" in ax.get_ylabel()
    line = ax.get_lines()[0]
    y = np.asarray(line.get_ydata())
    # the drawn series' swing is far below the raw series' (peak to peak 1.6e-6)
    assert np.ptp(y) < 0.02 * np.ptp(raw)
    assert abs(np.mean(y) - 1e-6) < 1e-8
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("averaged over one" in s for s in labels) and "reference per m^2" in labels


def test_gabbard_says_how_many_objects_fall_outside_its_axes():
    # circular orbits at 500 km (inside) and 2,000 km (127 min, outside 110 min / 1,600 km)
    alt = np.array([500.0, 520.0, 2000.0])
    r = np.zeros((3, 3))
    r[:, 0] = RE_KM + alt
    v = np.zeros((3, 3))
    v[:, 1] = np.sqrt(MU_KM3_S2 / r[:, 0])
    fig = plots.gabbard([(r, v)], ["test"], xlim=(86, 110), ylim=(0, 1600))
    title = fig.axes[0].get_title()
    assert "3 objects" in title and "1 of them partly or wholly outside 86-110 min, 0-1600 km" in title, title
    fig = plots.gabbard([(r[:2], v[:2])], ["test"], xlim=(86, 110), ylim=(0, 1600))
    assert "outside" not in fig.axes[0].get_title()


def _records(spread):
    return [{"kernel": "sgp4", "backend": b, "n_objects": n, "n_times": 1, "evals_per_s": 1e7 * f}
            for b, f0 in (("numpy", 1.0), ("python-sgp4", 1.0 + spread))
            for n, f in ((1000, f0), (10000, f0 * (1 + spread)))]


def test_bench_plot_axes_do_not_exaggerate_a_one_percent_range(tmp_path):
    from engine import bench

    fig = bench.plot(_records(0.01), tmp_path / "close.png")
    ax = fig.axes[0]
    assert ax.get_yscale() == "linear" and ax.get_ylim()[0] == 0.0
    assert ax.get_xscale() == "log"          # sizes span a decade
    fig = bench.plot(_records(30.0), tmp_path / "wide.png")
    assert fig.axes[0].get_yscale() == "log"
    assert (tmp_path / "close.png").read_bytes()[:4] == b"\x89PNG"


def test_orbit_average_of_a_constant_is_the_constant():
    t = np.cumsum(np.random.default_rng(7).uniform(50.0, 150.0, 400))
    mid, avg = plots.orbit_average(t, np.full(t.size, math.pi), 3000.0)
    np.testing.assert_allclose(avg, math.pi, rtol=1e-12)


@pytest.mark.parametrize("lc_min, word", [(0.1, "not comparable"), (0.01, "compare")])
def test_report_says_what_the_nasa_figure_is_compared_with(lc_min, word):
    from types import SimpleNamespace

    from engine.scenario import ScenarioResult

    res = SimpleNamespace(fragments=SimpleNamespace(event={"lc_min": lc_min}))
    text = ScenarioResult._nasa_comparison(res, 1.6e-7)
    assert text.strip().startswith(word + ":"), text
    if lc_min > 0.01:
        # 10 cm impacts are not set beside the penetration risk as if alike
        assert "every size" in text and "--lc-min 0.01" in text
    else:
        # the rise NASA published: 1/33,000 - 1/50,000 and 1/25,000 - 1/50,000 per orbit
        assert f"{1 / 33_000 - 1 / 50_000:.1e}" in text and f"{1 / 25_000 - 1 / 50_000:.1e}" in text
