"""The Cosmos 1408 scenario end to end (``debris-engine scenario cosmos1408``).

    result = engine.scenario.cosmos1408(lc_min=0.1, days=7.0, seed=0, out="run/")

Stages, each with a progress bar on a terminal:
  1. breakup      the 15 Nov 2021 event (engine.events.cosmos1408), fragments fitted to
                  SGP4 element sets; those not in orbit (engine._orbits: sub-orbital,
                  escaping, or a mean perigee at or below 120 km, the decay model's
                  re-entry height) re-enter at once and are counted, not propagated;
  2. cloud        SGP4 of the whole cloud over the window: spatial density against
                  altitude, day by day;
  3. screening    the ISS (its element set of 15 Nov 2021) against the cloud over the
                  window: every close approach under threshold_km, refined, with a 2D
                  probability of collision from assumed covariances (element sets carry
                  none; engine.pc.default_covariance, flagged as assumed);
  4. flux         the cloud's flux on the ISS along its path (kinetic-gas model,
                  engine.risk.flux) and the expected number of impacts on the ISS's
                  cross-section over the window;
  5. decay        the cloud's long-term decay (engine.longterm.decay) over `years`;
  6. report       report.md and PNG plots in `out`.

The ISS figures compare the cloud with NASA's published ISS penetration risk (1 in 50,000
orbits before the test; 1 in 25,000 to 33,000 after: project reference breakup.md 3.2).
Only fragments large enough to penetrate the station's shielding add to that risk: run
with --lc-min 0.01 (1 cm, about the shielding's ballistic limit) to compare like with like.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import _backend, events, risk
from ._orbits import RE_KM, REENTRY_KM
from ._progress import progress
from .timeconv import jd_from_datetime64, to_datetime64

__all__ = ["ScenarioResult", "cosmos1408", "ISS_CROSS_SECTION_M2", "ISS_HBR_KM",
           "NASA_ISS_PENETRATION_PER_ORBIT_BEFORE", "NASA_ISS_PENETRATION_PER_ORBIT_AFTER"]

#: ISS cross-section used for the expected number of impacts (m^2): the order of the
#: station's projected area (truss, modules and arrays, about 100 m x 70 m seen broadside
#: is ~2,500 m^2 with the arrays; the pressurised modules alone are a few hundred). An
#: assumption: pass area_m2 to change it; the flux per m^2 does not depend on it.
ISS_CROSS_SECTION_M2 = 1000.0
#: hard-body radius of the ISS for the probability of collision (km), the screening
#: volume's scale used in conjunction assessment of large stations; an assumption
ISS_HBR_KM = 0.05
#: NASA ISS programme (R. Gatens, 18 Jan 2022): penetration risk per orbit
NASA_ISS_PENETRATION_PER_ORBIT_BEFORE = 1.0 / 50_000
NASA_ISS_PENETRATION_PER_ORBIT_AFTER = (1.0 / 33_000, 1.0 / 25_000)
#: ISS orbital period used to convert per-orbit figures (min; the 15 Nov 2021 element set)
ISS_PERIOD_MIN = 1440.0 / 15.48581038


@dataclass
class ScenarioResult:
    """What the scenario computed. Times UTC; see the module docstring for the stages."""

    fragments: object
    cloud: object
    n_suborbital: int                         # fragments not in orbit at the event (engine._orbits)
    epoch: np.datetime64
    days: float
    density_alt_edges_km: np.ndarray
    density_per_day: np.ndarray              # (D, A) objects/km^3, time average over each day
    conjunctions: object
    pc: np.ndarray                            # (K,) 2D probability of collision (assumed covariances)
    approaches_per_day: np.ndarray            # (D,) counts under the threshold
    threshold_km: float
    flux: object
    decay: object
    timings_s: dict = field(default_factory=dict)
    files: list = field(default_factory=list)

    def _not_in_orbit_text(self) -> str:
        out = getattr(self.cloud, "not_in_orbit", None)
        if out is None:
            return f"{self.n_suborbital:,} not in orbit"
        rejected = len(getattr(self.cloud, "rejected", ()))
        return out.summary() + (f"; {rejected:,} not fitted (errors)" if rejected else "")

    def summary(self) -> str:
        f = self.flux
        orbits = self.days * 1440.0 / ISS_PERIOD_MIN
        per_orbit = f.expected_impacts / orbits if orbits > 0 else float("nan")
        lines = [
            f"Cosmos 1408 breakup at {np.datetime_as_string(self.epoch, unit='s')} UTC: "
            f"{len(self.fragments):,} fragments >= {self.fragments.event['lc_min']:g} m "
            f"({len(self.cloud):,} in orbit; {self._not_in_orbit_text()})",
            f"  in orbit: a bound orbit whose mean perigee is above {REENTRY_KM:g} km over the ellipsoid "
            "(the decay model's re-entry height); the others fall back within a revolution",
            f"ISS close approaches under {self.threshold_km:g} km in {self.days:g} days: {len(self.conjunctions):,}"
            + (f"; closest {self.conjunctions.miss_km.min():.3f} km at "
               f"{np.datetime_as_string(self.conjunctions.tca[np.argmin(self.conjunctions.miss_km)], unit='s')}"
               if len(self.conjunctions) else ""),
            f"  per day: {', '.join(str(int(n)) for n in self.approaches_per_day)}",
            f"  largest 2D probability of collision (assumed covariances, HBR {ISS_HBR_KM * 1e3:g} m): "
            + (f"{np.nanmax(self.pc):.2e}" if len(self.pc) else "n/a"),
            f"Flux of the cloud on the ISS: {f.flux_per_m2_yr:.3e} per m^2 per year; expected impacts on "
            f"{f.area_m2:g} m^2 over {self.days:g} days: {f.expected_impacts:.3e} ({per_orbit:.2e} per orbit; "
            f"NASA's published penetration risk before the test: {NASA_ISS_PENETRATION_PER_ORBIT_BEFORE:.1e} per orbit)",
        ]
        if self.decay is not None:
            d = self.decay
            left = int(d.on_orbit[-1]) if len(d.on_orbit) else 0
            lines.append(f"Decay: {left:,} of {len(self.cloud):,} fragments still in orbit at "
                         f"{np.datetime_as_string(d.times[-1], unit='D')}; median lifetime of those that "
                         f"re-entered {np.nanmedian(d.lifetime_days()):.0f} days" if np.any(~np.isnat(d.reentry))
                         else f"Decay: all {left:,} fragments still in orbit at "
                         f"{np.datetime_as_string(d.times[-1], unit='D')}")
        lines.append("Stage times: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.timings_s.items()))
        return "\n".join(lines)


def _density_per_day(cloud, epoch, days, edges, backend, bar):
    """Time-averaged density (objects/km^3) per altitude shell for each day, from SGP4 every
    10 minutes (D, A)."""
    n_days = int(math.ceil(days))
    shell = risk.cell_volumes(edges, (-90.0, 90.0))[:, 0]
    out = np.zeros((n_days, edges.size - 1))
    for d in range(n_days):
        t = epoch + np.timedelta64(d, "D") + np.arange(0, 1440, 10).astype("timedelta64[m]")
        jd, fr = jd_from_datetime64(t)
        e, r, _ = cloud.sgp4(jd, fr, backend=backend, to_host=True)
        alt = np.linalg.norm(np.asarray(r), axis=-1) - RE_KM
        alt = alt[np.asarray(e) == 0]
        out[d] = np.histogram(alt, edges)[0] / t.size / shell
        bar.update(1)
    return out


def _pc_of(conj):
    """2D Pc of each conjunction with assumed covariances (element sets carry none)."""
    from . import pc

    if len(conj) == 0:
        return np.zeros(0)
    c1 = pc.default_covariance(conj.r_primary, conj.v_primary, np.abs(conj.dse_primary))
    c2 = pc.default_covariance(conj.r_secondary, conj.v_secondary, np.abs(conj.dse_secondary))
    res = pc.foster(conj.r_primary, conj.v_primary, c1, conj.r_secondary, conj.v_secondary, c2, ISS_HBR_KM,
                    backend="numpy")
    return np.asarray(res.pc)


def cosmos1408(*, lc_min: float = 0.1, days: float = 7.0, seed: int = 0, backend: str = "auto",
               out: str | None = None, threshold_km: float = 10.0, years: float = 5.0,
               area_m2: float = ISS_CROSS_SECTION_M2, real_cloud=None, quiet: bool = False,
               log=print) -> ScenarioResult:
    """Run the scenario (see the module docstring) and, with `out`, write report.md and
    the plots there. real_cloud: an engine.Catalog of catalogued fragments (e.g. the Nov
    2021 element sets) drawn beside the generated cloud in the Gabbard diagram.
    years: length of the decay run (0 skips it)."""
    from . import longterm
    from .screening import screen

    if not days > 0:
        raise ValueError(f"days must be positive, got {days!r}")
    if not threshold_km > 0:
        raise ValueError(f"threshold_km must be positive, got {threshold_km!r}")
    if not years >= 0:
        raise ValueError(f"years must be >= 0, got {years!r}")
    backend = _backend.resolve(backend)
    timings = {}
    enabled = not quiet
    stages = progress(6 if years > 0 else 5, "scenario", "stages", enabled=enabled)

    t0 = time.perf_counter()
    frags = events.cosmos1408(lc_min=lc_min, seed=seed, backend=backend)
    # fragments not in orbit are counted (cloud.not_in_orbit), not warned about; ids from
    # the analyst range, which no real catalogued object has (Fragments.to_catalog)
    cloud = frags.to_catalog()
    timings["breakup"] = time.perf_counter() - t0
    epoch = to_datetime64(frags.epoch)[()]
    stop = epoch + np.timedelta64(int(round(days * 86400e6)), "us")
    log(f"breakup: {len(frags):,} fragments, {len(cloud):,} in orbit ({timings['breakup']:.1f} s)")
    stages.update(1)

    t0 = time.perf_counter()
    edges = np.arange(150.0, 2001.0, 25.0)
    bar = progress(int(math.ceil(days)), "cloud", "days", enabled=enabled)
    try:
        density = _density_per_day(cloud, epoch, days, edges, backend, bar)
    finally:
        bar.close()
    timings["cloud"] = time.perf_counter() - t0
    stages.update(1)

    t0 = time.perf_counter()
    iss = events.iss()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # decaying fragments: listed in conj.excluded
        conj = screen(iss, cloud, epoch, stop, threshold_km=threshold_km, backend=backend)
    pcs = _pc_of(conj)
    day_index = ((conj.tca - epoch) / np.timedelta64(1, "D")).astype(int) if len(conj) else np.zeros(0, int)
    per_day = np.bincount(day_index, minlength=int(math.ceil(days)))[: int(math.ceil(days))]
    timings["screening"] = time.perf_counter() - t0
    log(f"screening: {len(conj):,} ISS approaches under {threshold_km:g} km ({timings['screening']:.1f} s)")
    stages.update(1)

    t0 = time.perf_counter()
    fl = risk.flux(iss, cloud, epoch, stop, step_s=120.0, area_m2=area_m2)
    timings["flux"] = time.perf_counter() - t0
    stages.update(1)

    dec = None
    if years > 0:
        t0 = time.perf_counter()
        end = epoch + np.timedelta64(int(round(years * 365.25 * 86400)), "s")
        # the cloud's B* is the fixed conversion of the breakup model's A/M: "bstar" turns
        # it back into that A/M exactly (matching SGP4's decay would not)
        dec = longterm.decay(cloud, epoch, end, backend=backend, ballistic="bstar")
        timings["decay"] = time.perf_counter() - t0
        log(f"decay: {int(dec.on_orbit[-1]):,} of {len(cloud):,} in orbit after {years:g} years "
            f"({timings['decay']:.1f} s)")
        stages.update(1)

    result = ScenarioResult(fragments=frags, cloud=cloud, n_suborbital=len(cloud.not_in_orbit), epoch=epoch,
                            days=float(days), density_alt_edges_km=edges, density_per_day=density,
                            conjunctions=conj, pc=pcs, approaches_per_day=per_day, threshold_km=float(threshold_km),
                            flux=fl, decay=dec, timings_s=timings)
    if out is not None:
        t0 = time.perf_counter()
        os.makedirs(out, exist_ok=True)
        result.files = _write_report(result, out, real_cloud)
        timings["report"] = time.perf_counter() - t0
    stages.update(1)
    stages.close()
    return result


def _write_report(res: ScenarioResult, out: str, real_cloud) -> list:
    """report.md, conjunctions.csv and the PNG plots (plots need matplotlib)."""
    files = []
    csv = os.path.join(out, "iss_conjunctions.csv")
    res.conjunctions.to_csv(csv)
    files.append(csv)
    plots = []
    try:
        plots = _plots(res, out, real_cloud)
    except ImportError:
        pass
    files += plots
    lines = ["# Cosmos 1408 scenario", "", "```", res.summary(), "```", ""]
    for p in plots:
        lines += [f"![{os.path.basename(p)}]({os.path.basename(p)})", ""]
    if not plots:
        lines += ["(no plots: matplotlib is not installed; pip install 'debris-engine[plot]')", ""]
    lines += ["Assumptions: interceptor mass and velocity as engine.events.cosmos1408 documents them; "
              f"ISS cross-section {res.flux.area_m2:g} m^2 and hard-body radius {ISS_HBR_KM * 1e3:g} m; "
              "covariances of the element sets assumed (engine.pc.default_covariance); drag from "
              "the breakup model's A/M (Cd = 2.2) and the default atmosphere of engine.longterm.decay.", ""]
    path = os.path.join(out, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return [path] + files


def _save(fig, path, files) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    import matplotlib.pyplot as plt

    plt.close(fig)
    files.append(path)


def _plots(res: ScenarioResult, out: str, real_cloud) -> list:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .plots import gabbard

    files = []
    clouds, labels = [res.cloud], [f"generated, Lc >= {res.fragments.event['lc_min']:g} m"]
    if real_cloud is not None and len(real_cloud):
        clouds.append(real_cloud)
        labels.append("catalogued")
    p = os.path.join(out, "gabbard.png")
    gabbard(clouds, labels, path=p, xlim=(86, 110), ylim=(0, 1600), title="Cosmos 1408 cloud")
    plt.close("all")
    files.append(p)

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    a1.bar(np.arange(len(res.approaches_per_day)), res.approaches_per_day, color="tab:blue")
    a1.set_xlabel("day after the breakup")
    a1.set_ylabel(f"ISS approaches < {res.threshold_km:g} km")
    a1.set_title("ISS close approaches per day")
    if len(res.conjunctions):
        a2.hist(res.conjunctions.miss_km, bins=np.linspace(0, res.threshold_km, 21), color="tab:orange")
    a2.set_xlabel("miss distance (km)")
    a2.set_ylabel("approaches")
    a2.set_title("miss distances")
    _save(fig, os.path.join(out, "iss_approaches.png"), files)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    mid = 0.5 * (res.density_alt_edges_km[1:] + res.density_alt_edges_km[:-1])
    for d, row in enumerate(res.density_per_day):
        ax.semilogx(np.where(row > 0, row, np.nan), mid, label=f"day {d}")
    ax.axhspan(400, 430, color="grey", alpha=0.2, label="ISS altitude")
    ax.set_xlabel("spatial density (objects / km^3)")
    ax.set_ylabel("altitude (km)")
    ax.set_title("Cloud density against altitude, by day")
    ax.legend(fontsize=7)
    _save(fig, os.path.join(out, "density_altitude.png"), files)

    if res.decay is not None:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        ax.step(res.decay.times, res.decay.on_orbit, where="post")
        ax.set_ylabel("fragments in orbit")
        ax.set_title("Fragments on orbit over time")
        ax.grid(alpha=0.3)
        fig.autofmt_xdate()
        _save(fig, os.path.join(out, "on_orbit.png"), files)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    f = res.flux
    hours = (f.times - f.times[0]) / np.timedelta64(1, "h")
    ax.plot(hours, f.flux_per_km2_s * 1e-6 * 365.25 * 86400, lw=0.8, label="Cosmos 1408 cloud (this run)")
    orbit_s = ISS_PERIOD_MIN * 60.0
    bg = NASA_ISS_PENETRATION_PER_ORBIT_BEFORE / orbit_s / f.area_m2 * 365.25 * 86400
    ax.axhline(bg, color="k", ls="--", label=f"NASA ISS penetration risk before the test, per {f.area_m2:g} m^2")
    ax.set_yscale("log")
    ax.set_xlabel("hours after the breakup")
    ax.set_ylabel("flux (per m^2 per year)")
    ax.set_title("Flux on the ISS")
    ax.legend(fontsize=7)
    _save(fig, os.path.join(out, "iss_flux.png"), files)
    return files
