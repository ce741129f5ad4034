"""Plots of debris clouds (matplotlib, optional: ``pip install debris-engine[plot]``).

    engine.plots.gabbard([generated_catalog, real_catalog], ["debris-engine", "catalogued"],
                         path="gabbard.png")

:func:`gabbard_points` works without matplotlib.
"""

from __future__ import annotations

import math

import numpy as np

from ._orbits import MU_KM3_S2, RE_KM, mean_a_period, osculating_aei
from .breakup import Fragments
from .catalog import Catalog

__all__ = ["gabbard_points", "gabbard", "approaches", "density_altitude", "on_orbit", "orbit_average",
           "flux_on_target"]


def gabbard_points(obj):
    """(period_min, apogee_km, perigee_km) arrays, altitudes above a 6378.135 km sphere.

    obj: an engine.Catalog (mean elements, un-Kozai'd as SGP4 does), engine.Fragments
    (osculating elements of the states at the event), or a tuple (r, v) of (N, 3) km and
    km/s. Unbound states give NaN.

    Parameters
    ----------
    obj : engine.Catalog, engine.Fragments or (r, v) tuple
        As above; Fragments on a device are brought to the host (a plot's input).

    Returns
    -------
    period_min, apogee_km, perigee_km : (N,) ndarray, float64
        Period (min) and apogee and perigee altitudes (km), NumPy arrays on the host.
    """
    if isinstance(obj, Catalog):
        a, period = mean_a_period(obj.no_kozai, obj.ecco, obj.inclo)
        e = obj.ecco
    else:
        if isinstance(obj, Fragments):
            h = obj.to_host()
            r, v = h.r, h.v
        else:
            r, v = (np.asarray(x, dtype=np.float64) for x in obj)
        a, e, _ = osculating_aei(r, v)
        period = 2.0 * math.pi * np.sqrt(a**3 / MU_KM3_S2) / 60.0
    return period, a * (1.0 + e) - RE_KM, a * (1.0 - e) - RE_KM


def _pyplot():
    """matplotlib.pyplot on the file-only Agg backend (unless one was chosen already)."""
    try:
        import matplotlib  # optional dependency: pip install 'debris-engine[plot]'

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt  # optional dependency, after the backend is chosen
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("engine.plots needs matplotlib: pip install 'debris-engine[plot]'") from exc
    return plt


def _finish(fig, path, dpi: int = 150):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig


def _integer_ticks(axis) -> None:
    """Whole-number ticks on an axis of counts (no 0.5 approaches)."""
    from matplotlib.ticker import MaxNLocator  # optional dependency, present once _pyplot() succeeded

    axis.set_major_locator(MaxNLocator(integer=True))


def gabbard(clouds, labels, *, path=None, title="Gabbard diagram", xlim=None, ylim=None):
    """Gabbard diagrams (apogee and perigee altitude against period) of one or more clouds
    side by side with shared axes. clouds: list of what gabbard_points takes; labels: one
    string each (the count is appended). xlim (min), ylim (km): (low, high) axis limits;
    objects with a point outside them are counted in each panel's title, so that a clipped
    diagram says what it leaves out. path: write a PNG there (150 dpi).

    Parameters
    ----------
    clouds : list
        What :func:`gabbard_points` takes, one per panel.
    labels : list of str
        One per cloud.
    path : str, optional
        PNG file to write.
    title : str
        The figure's title.
    xlim, ylim : (float, float), optional
        Axis limits, min and km.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        matplotlib is not installed (pip install 'debris-engine[plot]').
    ValueError
        Not one label per cloud.
    """
    plt = _pyplot()
    if len(clouds) != len(labels):
        raise ValueError(f"gabbard: {len(clouds)} clouds but {len(labels)} labels; give one label per cloud")
    fig, axes = plt.subplots(1, len(clouds), figsize=(5.5 * len(clouds), 4.5), sharex=True, sharey=True,
                             squeeze=False)
    for ax, cloud, label in zip(axes[0], clouds, labels):
        period, apo, per = gabbard_points(cloud)
        ok = np.isfinite(period)
        s = 6 if ok.sum() < 5000 else 1
        ax.scatter(period[ok], apo[ok], s=s, marker="^", color="tab:red", label="apogee", linewidths=0)
        ax.scatter(period[ok], per[ok], s=s, marker="v", color="tab:blue", label="perigee", linewidths=0)
        out = np.zeros(period.shape, dtype=bool)
        if xlim:
            out |= (period < xlim[0]) | (period > xlim[1])
        if ylim:
            out |= (per < ylim[0]) | (apo > ylim[1])
        n_out = int((out & ok).sum())
        box = ", ".join(f"{lim[0]:g}-{lim[1]:g} {u}" for lim, u in ((xlim, "min"), (ylim, "km")) if lim)
        ax.set_title(f"{label} ({int(ok.sum())} objects)"
                     + (f"\n{n_out} of them partly or wholly outside {box}" if n_out else ""), fontsize=10)
        ax.set_xlabel("period (min)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("altitude (km)")
    axes[0][0].legend(loc="upper left", markerscale=2)
    if xlim:
        axes[0][0].set_xlim(*xlim)
    if ylim:
        axes[0][0].set_ylim(*ylim)
    fig.suptitle(title)
    return _finish(fig, path)


def approaches(per_day, miss_km, threshold_km: float, *, path=None, target: str = "ISS"):
    """Close approaches of a target: count per day (bars) and miss distances (histogram).

    per_day: (D,) counts of approaches under threshold_km on day 0 .. D-1 after the event;
    miss_km: (K,) miss distances, km; threshold_km: the screening threshold, km.

    Parameters
    ----------
    per_day : (D,) array_like of int
        Approaches per day.
    miss_km : (K,) array_like, km
        Miss distances.
    threshold_km : float, km
        The screening threshold.
    path : str, optional
        PNG file to write.
    target : str
        The target's name for the labels.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        matplotlib is not installed (pip install 'debris-engine[plot]').
    """
    plt = _pyplot()
    per_day = np.asarray(per_day)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    a1.bar(np.arange(per_day.size), per_day, color="tab:blue", edgecolor="black", linewidth=0.8)
    a1.set_xlabel("day after the breakup")
    a1.set_ylabel(f"{target} approaches < {threshold_km:g} km")
    a1.set_title(f"{target} close approaches per day")
    _integer_ticks(a1.xaxis)
    _integer_ticks(a1.yaxis)
    if len(miss_km):
        a2.hist(np.asarray(miss_km), bins=np.linspace(0, threshold_km, 21), color="tab:orange",
                edgecolor="black", linewidth=0.8)
    a2.set_xlim(0, threshold_km)
    a2.set_xlabel("miss distance (km)")
    a2.set_ylabel("approaches")
    a2.set_title("miss distances")
    _integer_ticks(a2.yaxis)
    return _finish(fig, path, dpi=120)


def density_altitude(alt_edges_km, density_per_day, *, band_km=None, band_label="ISS altitude", path=None):
    """Spatial density against altitude, one line per day.

    alt_edges_km: (A+1,) shell edges, km; density_per_day: (D, A) objects/km^3;
    band_km: (low, high) km altitude band to shade (e.g. the ISS's).

    Parameters
    ----------
    alt_edges_km : (A+1,) array_like, km
        Shell edges.
    density_per_day : (D, A) array_like, objects/km^3
        One row per day.
    band_km : (float, float), optional, km
        Band to shade.
    band_label : str
        The band's legend entry.
    path : str, optional
        PNG file to write.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        matplotlib is not installed (pip install 'debris-engine[plot]').
    """
    plt = _pyplot()
    edges = np.asarray(alt_edges_km, dtype=np.float64)
    mid = 0.5 * (edges[1:] + edges[:-1])
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for d, row in enumerate(np.asarray(density_per_day)):
        ax.semilogx(np.where(row > 0, row, np.nan), mid, label=f"day {d}")
    if band_km is not None:
        ax.axhspan(*band_km, color="grey", alpha=0.2, label=band_label)
    ax.set_xlabel("spatial density (objects / km^3)")
    ax.set_ylabel("altitude (km)")
    ax.set_title("Cloud density against altitude, by day")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return _finish(fig, path, dpi=120)


def on_orbit(times, counts, *, path=None):
    """Objects still in orbit against time.

    Parameters
    ----------
    times : (T,) array_like, datetime64 (UTC)
        The sample times.
    counts : (T,) array_like of int
        Objects in orbit at each time.
    path : str, optional
        PNG file to write.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        matplotlib is not installed (pip install 'debris-engine[plot]').
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.step(np.asarray(times, dtype="datetime64[s]").astype(object), np.asarray(counts), where="post")
    ax.set_xlabel("date (UTC)")
    ax.set_ylabel("fragments in orbit")
    ax.set_title("Fragments on orbit over time")
    ax.set_ylim(bottom=0)
    _integer_ticks(ax.yaxis)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    return _finish(fig, path, dpi=120)


def orbit_average(t_s, y, period_s: float):
    """Running mean of y over one orbit: mean of y(t) over [t - P/2, t + P/2].

    t_s: (T,) increasing times, s; y: (T,) samples; period_s: the window P, s (the
    target's orbital period, which need not be a whole number of samples). The integral
    is the trapezoid rule on the samples, interpolated linearly at the window's ends.
    Returns (t, mean): the times whose whole window lies inside the series, and the means.
    A quantity that repeats once per orbit (a flux that follows the latitude) averages
    to its orbit mean; what is left shows how it changes from orbit to orbit.

    Parameters
    ----------
    t_s : (T,) array_like, float64, s
        Increasing times.
    y : (T,) array_like, float64
        Samples.
    period_s : float, s
        The window P.

    Returns
    -------
    t : ndarray, (K,) float64, s
        Times whose whole window lies inside the series.
    mean : ndarray, (K,) float64
        The means, in the unit of y.

    Raises
    ------
    ValueError
        Arrays of different lengths or times not increasing, period_s not positive, or a
        series shorter than one period.
    """
    t = np.asarray(t_s, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if t.ndim != 1 or t.shape != y.shape or t.size < 2 or np.any(np.diff(t) <= 0):
        raise ValueError("orbit_average: t_s and y must be (T,) arrays of the same length, T >= 2, "
                         "with t_s strictly increasing")
    if not period_s > 0:
        raise ValueError(f"orbit_average: period_s must be positive, got {period_s!r}")
    if t[-1] - t[0] < period_s:
        raise ValueError(f"orbit_average: the series spans {t[-1] - t[0]:g} s, less than one period "
                         f"({period_s:g} s); give a longer series")
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (y[1:] + y[:-1]) * np.diff(t))])
    half = 0.5 * period_s
    mid = t[(t - half >= t[0]) & (t + half <= t[-1])]
    return mid, (np.interp(mid + half, t, cum) - np.interp(mid - half, t, cum)) / period_s


def flux_on_target(times, flux_per_m2_yr, period_min: float, *, reference=None, label="cloud",
                   path=None, target: str = "ISS"):
    """Flux on a target, averaged over the target's orbit, against time.

    times: (T,) datetime64 UTC; flux_per_m2_yr: (T,) objects per m^2 per year at each
    time; period_min: the target's orbital period, min (the averaging window: the raw
    series swings once per orbit with latitude). reference: optional (value per m^2 per
    year, label) drawn as a dashed line; its label must say what it is.

    Parameters
    ----------
    times : (T,) array_like, datetime64 (UTC)
        The sample times.
    flux_per_m2_yr : (T,) array_like, 1/(m^2 yr)
        The flux at each time.
    period_min : float, min
        The target's orbital period.
    reference : (float, str), optional
        A reference flux, 1/(m^2 yr), and its label.
    label, target : str
        Names for the legend and the title.
    path : str, optional
        PNG file to write.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        matplotlib is not installed (pip install 'debris-engine[plot]').
    ValueError
        As :func:`orbit_average`.
    """
    plt = _pyplot()
    t = (np.asarray(times, dtype="datetime64[us]") - np.asarray(times, dtype="datetime64[us]")[0])
    t_s = t / np.timedelta64(1, "s")
    mid, avg = orbit_average(t_s, flux_per_m2_yr, period_min * 60.0)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(mid / 3600.0, avg, lw=1.5, label=f"{label}, averaged over one {target} orbit ({period_min:.1f} min)")
    if reference is not None:
        ax.axhline(reference[0], color="k", ls="--", label=reference[1])
    ax.set_yscale("log")
    ax.set_xlabel("hours after the breakup")
    ax.set_ylabel("flux (per m^2 per year)")
    ax.set_title(f"Flux on the {target}")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return _finish(fig, path, dpi=120)
