"""A self-contained HTML report a person reads from top to bottom, with summary.json and CSVs.

    import engine.report
    blocks, summary, csvs = engine.report.risk_blocks(ens, background_per_orbit=2e-5,
                                                      background_text="NASA, 18 Jan 2022: ...")
    from engine.io.satcat import load_satcat
    blocks.append(engine.report.on_orbit_block(times, counts, satcat=load_satcat(path)))
    engine.report.write("out", title="Cosmos 1408", intro="What was simulated ...",
                        assumptions=[("parent mass", "1,750 kg", "McDowell")], blocks=blocks,
                        summary=summary, csvs=csvs)
    # out/report.html (figures inline as PNG, no network, no script), out/summary.json, out/*.csv

The page is built from blocks read in order: Heading, Text, Figure (a PNG with a caption
saying what it shows and what to conclude) and Table. write() escapes every text, embeds
every figure as a data: URI and links nothing outside the file. risk_blocks() and
on_orbit_block() build the risk-over-time and on-orbit parts from engine.exposure results
and from a SATCAT file of the real fragments; captions compare only like quantities and
say what each compared number is. Figures need matplotlib (pip install 'debris-engine[plot]').
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import os
from dataclasses import dataclass

import numpy as np

from .exposure import EnsembleExposure
from .plots import _pyplot
from .timeconv import to_datetime64

__all__ = ["Heading", "Text", "Figure", "Table", "write", "risk_blocks", "on_orbit_block", "json_ready"]


@dataclass
class Heading:
    """A section title.

    Attributes
    ----------
    text : str
        The title.
    level : int
        2 (default) or 3.
    """

    text: str
    level: int = 2


@dataclass
class Text:
    """One paragraph of plain text.

    Attributes
    ----------
    text : str
        The paragraph (escaped when written).
    """

    text: str


@dataclass
class Figure:
    """A figure with a caption saying what it shows and what to conclude.

    Attributes
    ----------
    title : str
        The figure's title.
    png : bytes
        PNG image (embedded as a data: URI when written).
    shows : str
        What it shows: axes, curves, bands.
    conclude : str
        What a reader should take from it.
    """

    title: str
    png: bytes
    shows: str
    conclude: str

    @classmethod
    def from_matplotlib(cls, fig, title: str, shows: str, conclude: str, *, dpi: int = 110) -> "Figure":
        """Render a matplotlib Figure to PNG bytes (and close it).

        Parameters
        ----------
        fig : matplotlib.figure.Figure
            The figure; closed once rendered.
        title, shows, conclude : str
            As the class's attributes.
        dpi : int, optional
            Resolution of the PNG (dots per inch, default 110).

        Returns
        -------
        Figure
            The rendered figure.
        """
        import matplotlib.pyplot as plt  # optional dependency (the plots extra): imported on first use

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        plt.close(fig)
        return cls(title, buf.getvalue(), shows, conclude)


@dataclass
class Table:
    """A table.

    Attributes
    ----------
    title : str
        The table's title.
    columns : list of C str
        Headers.
    rows : list of lists of C values
        Numbers are formatted with 4 significant digits.
    caption : str
        What the numbers are.
    """

    title: str
    columns: list
    rows: list
    caption: str = ""


# ----------------------------------------------------------------------------------
# writing


_CSS = """body{font-family:sans-serif;max-width:62em;margin:2em auto;padding:0 1em;line-height:1.45;color:#222}
h1{font-size:1.6em}h2{font-size:1.3em;margin-top:1.8em;border-bottom:1px solid #ccc}h3{font-size:1.1em}
figure{margin:1.2em 0}img{max-width:100%;height:auto}figcaption{font-size:.93em;color:#333}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}td,th{border:1px solid #bbb;padding:.25em .6em;
text-align:left}th{background:#f2f2f2}caption{caption-side:bottom;text-align:left;font-size:.9em;color:#444;
padding-top:.3em}.assumptions td:first-child{white-space:nowrap}"""


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(v):
            return "n/a"
        return f"{v:.4g}"
    if isinstance(v, np.datetime64):
        return "n/a" if np.isnat(v) else str(v)[:19].replace("T", " ")
    return str(v)


def _check_png(png, title):
    if not (isinstance(png, (bytes, bytearray)) and png[:8] == b"\x89PNG\r\n\x1a\n"):
        raise ValueError(f"figure {title!r}: png must be the bytes of a PNG image (Figure.from_matplotlib makes them)")


def _html(title, intro, assumptions, blocks) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(title)}</title><style>{_CSS}</style></head><body>", f"<h1>{e(title)}</h1>"]
    out += [f"<p>{e(p)}</p>" for p in intro.split("\n\n") if p.strip()]
    if assumptions:
        out.append("<h2>Assumptions</h2><table class=\"assumptions\"><tr><th>what</th><th>value</th>"
                   "<th>source or reason</th></tr>")
        out += [f"<tr><td>{e(str(a))}</td><td>{e(_fmt(b))}</td><td>{e(str(c))}</td></tr>" for a, b, c in assumptions]
        out.append("</table>")
    nfig = 0
    for b in blocks:
        if isinstance(b, Heading):
            lv = 3 if b.level >= 3 else 2
            out.append(f"<h{lv}>{e(b.text)}</h{lv}>")
        elif isinstance(b, Text):
            out.append(f"<p>{e(b.text)}</p>")
        elif isinstance(b, Figure):
            nfig += 1
            data = base64.b64encode(b.png).decode("ascii")
            out.append(f'<figure><img alt="{e(b.title)}" src="data:image/png;base64,{data}">'
                       f"<figcaption><b>Figure {nfig}. {e(b.title)}.</b> {e(b.shows)} "
                       f"<i>What to conclude:</i> {e(b.conclude)}</figcaption></figure>")
        elif isinstance(b, Table):
            out.append(f"<h3>{e(b.title)}</h3><table><caption>{e(b.caption)}</caption><tr>"
                       + "".join(f"<th>{e(str(c))}</th>" for c in b.columns) + "</tr>")
            out += ["<tr>" + "".join(f"<td>{e(_fmt(v))}</td>" for v in row) + "</tr>" for row in b.rows]
            out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def json_ready(obj):
    """obj in the form json.dump writes strictly.

    Parameters
    ----------
    obj : object
        Nested dicts, lists, tuples, NumPy scalars and arrays, datetime64, numbers.

    Returns
    -------
    object
        obj with NumPy scalars and arrays as Python numbers and lists, datetime64 as ISO
        strings (None for NaT), NaN and infinities as None, dict keys as str.
    """
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [json_ready(v) for v in obj.tolist()] if obj.dtype.kind != "M" else [json_ready(v) for v in obj]
    if isinstance(obj, np.datetime64):
        return None if np.isnat(obj) else str(obj)
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj


def write(out, *, title: str, intro: str = "", assumptions=(), blocks=(), summary=None, csvs=None) -> dict:
    """Write out/report.html, out/summary.json (when summary is given) and one CSV per
    entry of csvs; create out if needed.

    Everything is checked before any file is written.

    Parameters
    ----------
    out : str or os.PathLike
        The output folder.
    title : str
        The page's title.
    intro : str, optional
        The introduction (what was simulated).
    assumptions : iterable of (str, str, str), optional
        (what, value, source or reason) triples shown as a table under the introduction.
    blocks : iterable of Heading, Text, Figure and Table, optional
        In reading order.
    summary : dict, optional
        Written to summary.json through json_ready.
    csvs : dict, optional
        {file name: (header (C,), rows)}, each name a plain file name ending in .csv.

    Returns
    -------
    dict
        {"report.html": path, "summary.json": path, "<name>.csv": path, ...}: the files
        written.

    Raises
    ------
    TypeError
        A block that is not a Heading, Text, Figure or Table.
    ValueError
        A figure without PNG bytes or without both shows and conclude, a table row with the
        wrong number of values, or a CSV name that is not a plain .csv file name.
    """
    blocks = list(blocks)
    for j, b in enumerate(blocks):
        if not isinstance(b, (Heading, Text, Figure, Table)):
            raise TypeError(f"blocks[{j}] is a {type(b).__name__}; give engine.report Heading, Text, Figure or Table")
        if isinstance(b, Figure):
            _check_png(b.png, b.title)
            if not (b.shows.strip() and b.conclude.strip()):
                raise ValueError(f"figure {b.title!r}: give both what it shows and what to conclude")
        if isinstance(b, Table) and any(len(r) != len(b.columns) for r in b.rows):
            raise ValueError(f"table {b.title!r}: every row needs {len(b.columns)} values, one per column")
    csvs = dict(csvs or {})
    for name, (header, rows) in csvs.items():
        if os.path.basename(name) != name or not name.endswith(".csv"):
            raise ValueError(f"CSV name {name!r}: give a plain file name ending in .csv")
    page = _html(title, intro, list(assumptions), blocks)
    os.makedirs(out, exist_ok=True)
    paths = {"report.html": os.path.join(out, "report.html")}
    with open(paths["report.html"], "w", encoding="utf-8") as f:
        f.write(page)
    if summary is not None:
        paths["summary.json"] = os.path.join(out, "summary.json")
        with open(paths["summary.json"], "w", encoding="utf-8") as f:
            json.dump(json_ready(summary), f, indent=1, allow_nan=False)
    for name, (header, rows) in csvs.items():
        paths[name] = os.path.join(out, name)
        with open(paths[name], "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows([[_csv_value(v) for v in r] for r in rows])
    return paths


def _csv_value(v):
    if isinstance(v, np.datetime64):
        return "" if np.isnat(v) else str(v)
    if isinstance(v, (float, np.floating)):
        return "" if not math.isfinite(v) else repr(float(v))
    return v


# ----------------------------------------------------------------------------------
# the risk-over-time part


def _plt():
    """matplotlib.pyplot on the Agg backend (engine.plots' loader: one place says how to
    install matplotlib)."""

    return _pyplot()


def _size(lc_m):
    return f"fragments >= {lc_m * 100:g} cm"


def _band_plot(ax, days, band, color, label):
    """Median line and 5-95 % band; returns the band for _log_axis."""
    ax.fill_between(days, band["p05"], band["p95"], color=color, alpha=0.25, linewidth=0, label=f"{label}, 5-95 %")
    ax.plot(days, np.where(band["median"] > 0, band["median"], np.nan), color=color, label=f"{label}, median")
    return band


def _log_axis(ax, bands, extra=()):
    """Log y axis from a decade below the smallest positive median to twice the largest
    value; where fewer than 5 % of the members keep fragments the band reaches the bottom
    (zero cannot be drawn on a log axis)."""
    med = np.concatenate([b["median"] for b in bands])
    top = np.concatenate([b["p95"] for b in bands] + [np.atleast_1d(np.asarray(extra, dtype=np.float64))])
    ax.set_yscale("log")
    if np.any(med > 0):
        ax.set_ylim(0.1 * med[med > 0].min(), 2.0 * top[np.isfinite(top)].max())


def risk_blocks(ens, *, target=0, lc_classes_m=None, fraction: float = 0.1, background_per_orbit=None,
                background_text: str = "") -> tuple[list, dict, dict]:
    """Blocks, summary entries and CSVs of the risk a cloud adds over time.

    Parameters
    ----------
    ens : engine.exposure.EnsembleExposure
        One member is an ensemble of one.
    target : int or str, optional
        The main target (index or name; the others appear in the ranking).
    lc_classes_m : sequence of float, optional
        Size classes to show (m; default: every class computed).
    fraction : float, optional
        The stated fraction of the first-week risk.
    background_per_orbit : float, optional
        The pre-event background (expected events per orbit).
    background_text : str, optional
        What the background is and where it comes from (shown beside it; required when a
        background is given).

    Returns
    -------
    blocks : list
        Heading, Text, Figure and Table blocks for write().
    summary : dict
        Summary entries (per class: first-week risk, days above the fraction, cumulative
        impacts; the answer in words; the ranking), host Python numbers for summary.json.
    csvs : dict
        {"risk_over_time.csv": (header, rows)}: every quantity's band per sample time.

    Raises
    ------
    TypeError
        ens is not an EnsembleExposure.
    ValueError
        A background without background_text, or an unknown target or size class.
    ImportError
        matplotlib is not installed.
    """

    if not isinstance(ens, EnsembleExposure):
        raise TypeError(f"ens must be an engine.exposure.EnsembleExposure, got {type(ens).__name__}")
    if background_per_orbit is not None and not background_text.strip():
        raise ValueError("background_text: say what the background is and its source (e.g. NASA's ISS penetration "
                         "risk per orbit before the event, Gatens 18 Jan 2022)")
    plt = _plt()
    m0 = ens.members[0]
    k, _ = m0._index(target, m0.lc_classes_m[0])
    name = str(m0.names[k])
    classes = list(m0.lc_classes_m if lc_classes_m is None else lc_classes_m)
    days = m0.days
    n = len(ens.members)
    blocks = [Heading(f"Risk the cloud adds to {name} over time"),
              Text(f"Orbit-averaged kinetic-gas flux of the simulated cloud on {name} at each sample time, over "
                   f"{n} ensemble member{'s' if n != 1 else ''} (seeds and assumption values): the line is the median "
                   "member, the band holds 90 % of them (5-95 %). Expected impacts per orbit are the flux times the "
                   f"cross-section ({m0.area_m2[k]:g} m^2) and the orbital period; the figures end when fewer than "
                   "1 % of the fragments remain or at the horizon.")]
    summary = {"target": name, "members": n, "fraction_of_first_week": fraction,
               "background_per_orbit": background_per_orbit, "background": background_text or None, "classes": []}
    colors = ["tab:red", "tab:blue", "tab:green", "tab:purple"]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    lines, drawn = [], []
    for j, lc in enumerate(classes):
        band = ens.band("impacts_per_orbit", k, lc_m=lc)
        drawn.append(_band_plot(ax, days, band, colors[j % len(colors)], _size(lc)))
        kw = {"lc_m": lc, "fraction": fraction}
        if background_per_orbit is not None:
            kw["background_per_orbit"] = background_per_orbit
        ans = ens.answers(k, **kw)
        first = np.array([a.first_week_per_orbit for a in ans["members"]])
        below = np.array([a.below_background for a in ans["members"]], dtype="datetime64[us]")
        dur = ans["days_above_fraction"]
        cum = ens.band("cumulative_impacts", k, lc_m=lc)
        entry = {"lc_m": lc, "first_week_impacts_per_orbit": _pct(first),
                 "days_above_fraction": dur, "days_above_fraction_censored": ans["censored"],
                 "cumulative_impacts": {q: float(v[-1]) for q, v in cum.items()},
                 "horizon_days": float(days[-1])}
        line = (f"{_size(lc)}: first-week risk {np.median(first):.2e} expected impacts per orbit (5-95 %: "
                f"{np.percentile(first, 5):.2e} to {np.percentile(first, 95):.2e}); the cloud adds more than "
                f"{fraction:.0%} of it for {dur['median']:.0f} days (5-95 %: {dur['p05']:.0f} to {dur['p95']:.0f})"
                + (f", {ans['censored']} of {n} members still above at the end of the {days[-1]:.0f} days computed"
                   if ans["censored"] else ""))
        if background_per_orbit is not None:
            never = int(np.sum(np.isnat(below)))
            ok = below[~np.isnat(below)]
            med = np.sort(ok)[len(ok) // 2] if len(ok) else None
            entry["below_background_median"] = med
            entry["below_background_not_reached"] = never
            bg = f"the background ({background_per_orbit:.2e} per orbit)"
            if never == n:
                line += f"; its expected impacts per orbit stay above {bg} over the {days[-1]:.0f} days computed"
            elif never == 0 and np.all(ok == m0.times[0]):
                line += f"; its expected impacts per orbit stay below {bg} throughout"
            else:
                line += (f"; its expected impacts per orbit fall below {bg} for good on {str(med)[:10]} (median "
                         f"of the members that get there" + (f"; {never} of {n} do not within the horizon)"
                                                              if never else f"; all {n} do)"))
        lines.append(line + ".")
        summary["classes"].append(entry)
    if background_per_orbit is not None:
        ax.axhline(background_per_orbit, color="k", ls="--", lw=1, label="pre-event background")
    _log_axis(ax, drawn, () if background_per_orbit is None else (background_per_orbit,))
    ax.set_xlabel("days since the event")
    ax.set_ylabel("expected impacts per orbit")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    summary["answer"] = " ".join(lines)
    blocks.append(Text("The answer: " + summary["answer"]))
    bg = (f" The dashed line is the pre-event background: {background_text} It is a different quantity from the "
          "curves (they count the cloud's impacts of fragments above a size, not penetrations, and not the whole "
          "environment): compare the order of magnitude, and read the crossing date as indicative."
          if background_per_orbit is not None else "")
    blocks.append(Figure.from_matplotlib(
        fig, f"Expected impacts per orbit on {name} from the cloud",
        f"Expected number of impacts per orbit of {name} by fragments of each size class (log scale), median and "
        f"5-95 % over the ensemble, against days since the event.{bg}",
        "How large the added risk is at first and how fast it falls: " + lines[0]))
    # approaches
    fig, ax = plt.subplots(figsize=(8, 4.2))
    lc0 = classes[0]
    drawn = [_band_plot(ax, days, ens.band("approaches_per_day", k, lc_m=lc0, approach_km=float(d)),
                        colors[(j + 2) % len(colors)], f"within {d:g} km") for j, d in enumerate(m0.approach_km)]
    _log_axis(ax, drawn)
    ax.set_xlabel("days since the event")
    ax.set_ylabel("expected approaches per day")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ap = {f"{d:g}_km": ens.band("approaches_per_day", k, lc_m=lc0, approach_km=float(d)) for d in m0.approach_km}
    first_day = {key: float(np.interp(1.0, days, b["median"])) for key, b in ap.items()}
    blocks.append(Figure.from_matplotlib(
        fig, f"Expected close approaches per day between {name} and the cloud ({_size(lc0)})",
        "Expected number of fragments passing within each distance of the station per day, median and 5-95 % over "
        "the ensemble (kinetic-gas rate: flux x pi d^2; which fragments pass is not predicted, only how many).",
        "How often operators' screening volumes are entered: on day 1 the median is "
        + ", ".join(f"{v:.2g} per day within {key.replace('_', ' ')}" for key, v in first_day.items()) + "."))
    summary["approaches_per_day_on_day_1"] = {key: {"lc_m": lc0, "median": v} for key, v in first_day.items()}
    # ranking
    if len(m0.names) > 1:
        lc = classes[-1]
        _, s = m0._index(0, lc)
        tot = np.stack([m.cumulative_impacts[-1, :, s] for m in ens.members])      # (M, K)
        med = np.median(tot, axis=0)
        share = med / med.sum() if med.sum() > 0 else np.zeros_like(med)
        order = np.argsort(-med, kind="stable")
        rows = [[str(m0.names[j]), float(m0.area_m2[j]), float(med[j]), float(np.percentile(tot[:, j], 5)),
                 float(np.percentile(tot[:, j], 95)), f"{share[j]:.1%}"] for j in order]
        blocks.append(Table(f"For whom: targets ranked by the cloud's cumulative expected impacts ({_size(lc)})",
                            ["target", "cross-section (m^2)", "median", "5 %", "95 %", "share of the median sum"],
                            rows, f"Expected impacts over the {days[-1]:.0f} days computed, summed over time; each "
                                  "target's own cross-section. Shares compare targets with each other only."))
        summary["ranking"] = [{"target": r[0], "cumulative_impacts_median": r[2], "share": float(share[j])}
                              for r, j in zip(rows, order)]
    # CSV: every quantity's band per sample time
    header = ["time_utc", "days", "target", "lc_min_m", "quantity", "median", "p05", "p95"]
    rows = []
    for j in range(len(m0.names)):
        for lc in classes:
            for q in ("impacts_per_orbit", "cumulative_impacts", "flux_per_m2_s"):
                b = ens.band(q, j, lc_m=lc)
                rows += [[m0.times[t], days[t], str(m0.names[j]), lc, q, b["median"][t], b["p05"][t], b["p95"][t]]
                         for t in range(len(days))]
            for d in m0.approach_km:
                b = ens.band("approaches_per_day", j, lc_m=lc, approach_km=float(d))
                rows += [[m0.times[t], days[t], str(m0.names[j]), lc, f"approaches_per_day_{d:g}km",
                          b["median"][t], b["p05"][t], b["p95"][t]] for t in range(len(days))]
    return blocks, summary, {"risk_over_time.csv": (header, rows)}


def _pct(x):
    p05, med, p95 = np.percentile(np.asarray(x, dtype=np.float64), [5.0, 50.0, 95.0])
    return {"median": float(med), "p05": float(p05), "p95": float(p95)}


def on_orbit_block(times, simulated, *, satcat=None, since=None, label: str = "simulated cloud") -> Figure:
    """Figure: fragments in orbit against time, simulated beside the real catalogue.

    Both curves are numbers of objects in orbit, each divided by its own count at times[0]
    so that their decay is compared (the simulated cloud and the catalogue hold different
    size ranges); the caption gives both counts.

    Parameters
    ----------
    times : (T,) datetime64
        Sample times, UTC.
    simulated : (T,) counts, or dict
        Counts, or a dict {"median", "p05", "p95"} of (T,) over an ensemble.
    satcat : engine.io.satcat.Satcat, optional
        The real fragments (e.g. CelesTrak's rows of the event's international
        designator).
    since : datetime64, optional
        The event time: catalogue objects decayed before it are left out (default times[0]).
    label : str, optional
        Name of the simulated curve.

    Returns
    -------
    Figure
        The rendered figure.

    Raises
    ------
    ValueError
        simulated's shapes unlike times, or a first count that is not positive.
    ImportError
        matplotlib is not installed.
    """

    plt = _plt()
    t = np.atleast_1d(to_datetime64(times)).astype("datetime64[us]")
    days = (t - t[0]) / np.timedelta64(1, "D")
    sim = simulated if isinstance(simulated, dict) else {"median": np.asarray(simulated, dtype=np.float64)}
    for key, v in sim.items():
        if np.shape(v) != t.shape:
            raise ValueError(f"simulated[{key!r}] has shape {np.shape(v)}, expected {t.shape} like times")
    n0 = float(sim["median"][0])
    if not n0 > 0:
        raise ValueError("simulated: the first count must be positive (fragments in orbit at times[0])")
    fig, ax = plt.subplots(figsize=(8, 4.2))
    if "p05" in sim and "p95" in sim:
        ax.fill_between(days, np.asarray(sim["p05"]) / n0, np.asarray(sim["p95"]) / n0, color="tab:blue",
                        alpha=0.25, linewidth=0, label=f"{label}, 5-95 %")
    ax.plot(days, np.asarray(sim["median"]) / n0, color="tab:blue", label=f"{label} (median)" if "p05" in sim else label)
    half_sim = _half_life(days, np.asarray(sim["median"], dtype=np.float64))
    shows = (f"Fraction of the fragments still in orbit against days since {str(t[0])[:10]}: the {label} "
             f"({n0:.0f} at the start)")
    conclude = (f"The {label} halves after {half_sim:.0f} days" if half_sim is not None
                else f"The {label} keeps more than half its fragments over the {days[-1]:.0f} days shown")
    if satcat is not None:
        real = satcat.on_orbit(t, since=since if since is not None else t[0]).astype(np.float64)
        if real[0] > 0:
            ax.plot(days, real / real[0], color="k", lw=1.5, label=f"catalogued fragments ({real[0]:.0f})")
            half_real = _half_life(days, real)
            shows += (f", and the catalogued fragments of the real event in the SATCAT given ({real[0]:.0f} in orbit "
                      "at the start), each curve divided by its own starting count")
            conclude += ("; the catalogued ones after " + (f"{half_real:.0f} days" if half_real is not None
                                                             else f"more than {days[-1]:.0f} days"))
    ax.set_xlabel("days since the event")
    ax.set_ylabel("fraction in orbit")
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return Figure.from_matplotlib(fig, "Fragments in orbit", shows + ".", conclude + ".")


def _half_life(days, counts):
    """Days when counts first fall to half their first value (linear interpolation), None if never."""
    below = np.nonzero(counts <= 0.5 * counts[0])[0]
    if below.size == 0 or counts[0] <= 0:
        return None
    j = int(below[0])
    if j == 0:
        return 0.0
    c0, c1, h = counts[j - 1], counts[j], 0.5 * counts[0]
    return float(days[j - 1] + (days[j] - days[j - 1]) * (c0 - h) / (c0 - c1))
