"""Plots of debris clouds (matplotlib, optional: ``pip install debris-engine[plot]``).

    engine.plots.gabbard([generated_catalog, real_catalog], ["debris-engine", "catalogued"],
                         path="gabbard.png")

:func:`gabbard_points` works without matplotlib.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["gabbard_points", "gabbard"]

from ._orbits import MU_KM3_S2, RE_KM, mean_a_period, osculating_aei


def gabbard_points(obj):
    """(period_min, apogee_km, perigee_km) arrays, altitudes above a 6378.135 km sphere.

    obj: an engine.Catalog (mean elements, un-Kozai'd as SGP4 does), engine.Fragments
    (osculating elements of the states at the event), or a tuple (r, v) of (N, 3) km and
    km/s. Unbound states give NaN.
    """
    from .breakup import Fragments
    from .catalog import Catalog

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


def gabbard(clouds, labels, *, path=None, title="Gabbard diagram", xlim=None, ylim=None):
    """Gabbard diagrams (apogee and perigee altitude against period) of one or more clouds
    side by side with shared axes. clouds: list of what gabbard_points takes; labels: one
    string each (the count is appended). path: write a PNG there (150 dpi). Returns the
    matplotlib Figure."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("engine.plots needs matplotlib: pip install 'debris-engine[plot]'") from exc
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
        ax.set_title(f"{label} ({int(ok.sum())} objects)")
        ax.set_xlabel("period (min)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("altitude (km)")
    axes[0][0].legend(loc="upper left", markerscale=2)
    if xlim:
        axes[0][0].set_xlim(*xlim)
    if ylim:
        axes[0][0].set_ylim(*ylim)
    fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=150)
    return fig
