"""The Cosmos 1408 scenario end to end (``debris-engine scenario cosmos1408``).

    result = engine.scenario.cosmos1408(lc_min=0.1, days=7.0, seed=0, out="run/")

Stages (the long ones with a progress bar, with the time remaining, on a terminal):
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
from ._progress import callback, progress
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
#: fragment size (m) from which the cloud's impacts are compared with NASA's penetration
#: risk: about the smallest debris the station's shielding cannot stop (the module
#: docstring; an assumption, as the README's Cosmos 1408 section says)
SHIELD_LIMIT_M = 0.01
#: ISS orbital period used to convert per-orbit figures (min; the 15 Nov 2021 element set)
ISS_PERIOD_MIN = 1440.0 / 15.48581038
#: atmosphere of the decay stage (engine.longterm.decay): NRLMSIS 2.1 with the file's
#: observed and predicted space weather, and past the file's end (2041 for the shipped
#: file) the solar cycle of 11 years earlier repeated, as the summary states
DECAY_ATMOSPHERE = "nrlmsis-repeat-cycle"


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
    pc: np.ndarray                            # (K,) 2D probability of collision (assumed covariances),
                                              # the same as conjunctions.pc
    approaches_per_day: np.ndarray            # (D,) counts under the threshold
    threshold_km: float
    flux: object
    decay: object
    timings_s: dict = field(default_factory=dict)
    files: list = field(default_factory=list)

    def _nasa_comparison(self, per_orbit: float) -> str:
        """What the expected impacts per orbit may be compared with, in words."""
        lc = self.fragments.event["lc_min"]
        before = NASA_ISS_PENETRATION_PER_ORBIT_BEFORE
        rise = [a - before for a in NASA_ISS_PENETRATION_PER_ORBIT_AFTER]
        if lc <= SHIELD_LIMIT_M:
            return (f"  compare: the {per_orbit:.2e} impacts per orbit of fragments >= {lc:g} m (about the size the "
                    f"shielding cannot stop) with the rise in penetration risk NASA published after the test, "
                    f"{rise[0]:.1e} to {rise[1]:.1e} per orbit (1 in 50,000 orbits before, 1 in 33,000 to 25,000 "
                    f"after); same kind of quantity, with the cross-section and the shielding limit assumed")
        return (f"  not comparable: the {per_orbit:.2e} per orbit counts only this cloud's fragments >= {lc:g} m; "
                f"NASA's ISS penetration risk ({before:.1e} per orbit before the test, 1 in 50,000 orbits) is the "
                f"chance of a penetration by debris of every size down to about {SHIELD_LIMIT_M * 100:g} cm; run "
                f"with lc_min {SHIELD_LIMIT_M:g} (--lc-min {SHIELD_LIMIT_M:g}) to compare this cloud with its rise")

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
            *_pc_summary(self.conjunctions),
            f"Flux of the cloud on the ISS: {f.flux_per_m2_yr:.3e} per m^2 per year; expected impacts on "
            f"{f.area_m2:g} m^2 over {self.days:g} days: {f.expected_impacts:.3e} ({per_orbit:.2e} per orbit)",
            self._nasa_comparison(per_orbit),
        ]
        if self.decay is not None:
            d = self.decay
            left = int(d.on_orbit[-1]) if len(d.on_orbit) else 0
            lines.append(f"Decay: {left:,} of {len(self.cloud):,} fragments still in orbit at "
                         f"{np.datetime_as_string(d.times[-1], unit='D')}; median lifetime of those that "
                         f"re-entered {np.nanmedian(d.lifetime_days()):.0f} days" if np.any(~np.isnat(d.reentry))
                         else f"Decay: all {left:,} fragments still in orbit at "
                         f"{np.datetime_as_string(d.times[-1], unit='D')}")
            lines.append(f"  atmosphere: {d.info.get('atmosphere', 'n/a')}")
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


def _approach_text(conj, k) -> str:
    """One approach in words: TCA, secondary object, miss, speed, Pc and its flags."""
    name = str(conj.secondary_name[k]).strip()
    flags = conj.pc_flag_text(k).replace("|", ", ")
    return (f"{np.datetime_as_string(conj.tca[k], unit='s')} UTC, object {int(conj.secondary_satnum[k])}"
            + (f" ({name})" if name else "") + f", miss {conj.miss_km[k]:.3f} km, {conj.vrel_kms[k]:.2f} km/s, "
            f"Pc {conj.pc[k]:.2e}" + (f" [{flags}]" if flags else ""))


def _above(conj, level):
    """Indices of the approaches with Pc > level, largest Pc first (NaN never counts)."""
    idx = np.flatnonzero(np.nan_to_num(conj.pc, nan=-1.0) > level)
    return idx[np.argsort(-conj.pc[idx], kind="stable")]


def _pc_summary(conj) -> list:
    """Summary lines on the probability of collision (conj carries with_pc's fields): the
    largest Pc named by its approach, and the counts above engine.pc.PC_THRESHOLDS."""
    from .pc import PC_THRESHOLDS

    head = (f"  2D probability of collision ({conj.pc_method if conj.has_pc else 'FOSTER-1992'}, "
            f"HBR {ISS_HBR_KM * 1e3:g} m, covariances ASSUMED: element sets carry none)")
    if not len(conj) or not np.isfinite(conj.pc).any():
        return [head + ": n/a"]
    k = int(np.nanargmax(conj.pc))
    lines = [head + f": largest {_approach_text(conj, k)}"]
    lines.append("  approaches above operators' levels: " + ", ".join(
        f"Pc > {level:.0e} ({label}): {_above(conj, level).size}" for level, label, _ in PC_THRESHOLDS))
    return lines


def _pc_report(conj) -> list:
    """report.md section: every approach above the operators' Pc levels, as a table."""
    from .pc import FLAGS, PC_THRESHOLDS

    lines = ["## Approaches above the operators' probability levels", "",
             f"Probability of collision: {conj.pc_method} 2D (engine.pc.foster) with hard-body radius "
             f"{ISS_HBR_KM * 1e3:g} m and ASSUMED covariances (engine.pc.default_covariance: element sets "
             "carry none), so every value below is an estimate of the order of magnitude, not an operational "
             "Pc. Levels: " + "; ".join(f"{level:.0e}: {what}" for level, _, what in PC_THRESHOLDS)
             + " (sources in engine.pc.PC_THRESHOLDS).", ""]
    lowest = min(t[0] for t in PC_THRESHOLDS)
    idx = _above(conj, lowest) if len(conj) else np.zeros(0, int)
    if idx.size == 0:
        return lines + [f"No approach has Pc above {lowest:.0e}.", ""]
    lines += ["| above | TCA (UTC) | object | miss (km) | speed (km/s) | Pc | flags |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for k in idx:
        level = max(t[0] for t in PC_THRESHOLDS if conj.pc[k] > t[0])
        name = str(conj.secondary_name[k]).strip()
        lines.append(f"| {level:.0e} | {np.datetime_as_string(conj.tca[k], unit='s')} | "
                     f"{int(conj.secondary_satnum[k])}{f' {name}' if name else ''} | {conj.miss_km[k]:.3f} | "
                     f"{conj.vrel_kms[k]:.2f} | {conj.pc[k]:.2e} | {conj.pc_flag_text(k).replace('|', ', ')} |")
    used = sorted({bit for k in idx for bit in FLAGS if int(conj.pc_flags[k]) & bit})
    lines += [""] + [f"- {FLAGS[b][0]}: {FLAGS[b][1]}" for b in used] + [""]
    return lines


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
    if out is not None:
        _check_out(out)
    backend = _backend.resolve(backend)
    timings = {}
    enabled = not quiet

    t0 = time.perf_counter()
    frags = events.cosmos1408(lc_min=lc_min, seed=seed, backend=backend)
    # fragments not in orbit are counted (cloud.not_in_orbit), not warned about; ids from
    # the analyst range, which no real catalogued object has (Fragments.to_catalog)
    cloud = frags.to_catalog()
    timings["breakup"] = time.perf_counter() - t0
    epoch = to_datetime64(frags.epoch)[()]
    stop = epoch + np.timedelta64(int(round(days * 86400e6)), "us")
    log(f"breakup: {len(frags):,} fragments, {len(cloud):,} in orbit ({timings['breakup']:.1f} s)")

    t0 = time.perf_counter()
    edges = np.arange(150.0, 2001.0, 25.0)
    bar = progress(int(math.ceil(days)), "cloud", "days", enabled=enabled)
    try:
        density = _density_per_day(cloud, epoch, days, edges, backend, bar)
    finally:
        bar.close()
    timings["cloud"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    iss = events.iss()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # decaying fragments: listed in conj.excluded
        with progress(0, "screening", "samples", enabled=enabled) as bar:
            conj = screen(iss, cloud, epoch, stop, threshold_km=threshold_km, backend=backend,
                          progress=callback(bar))
    conj = conj.with_pc(ISS_HBR_KM, backend=backend)   # assumed covariances, flagged in the table
    pcs = conj.pc
    day_index = ((conj.tca - epoch) / np.timedelta64(1, "D")).astype(int) if len(conj) else np.zeros(0, int)
    per_day = np.bincount(day_index, minlength=int(math.ceil(days)))[: int(math.ceil(days))]
    timings["screening"] = time.perf_counter() - t0
    log(f"screening: {len(conj):,} ISS approaches under {threshold_km:g} km ({timings['screening']:.1f} s)")

    t0 = time.perf_counter()
    with progress(len(cloud), "flux", "objects", enabled=enabled) as bar:
        fl = risk.flux(iss, cloud, epoch, stop, step_s=120.0, area_m2=area_m2, progress=callback(bar))
    timings["flux"] = time.perf_counter() - t0
    log(f"flux: {fl.flux_per_m2_yr:.3g} per m^2 per year on the ISS ({timings['flux']:.1f} s)")

    dec = None
    if years > 0:
        t0 = time.perf_counter()
        end = epoch + np.timedelta64(int(round(years * 365.25 * 86400)), "s")
        # NRLMSIS 2.1 from the space-weather file; past its end the last solar cycle
        # repeats, which the summary states (info['atmosphere']). The cloud's B* is the fixed
        # conversion of the breakup model's A/M: "bstar" turns it back into that A/M exactly
        # (matching SGP4's decay would not)
        with progress(0, "atmosphere", "samples", enabled=enabled) as bar:
            table = longterm.atmosphere_table(DECAY_ATMOSPHERE, epoch, end, cloud.epoch, progress=callback(bar))
        with progress(0, "decay", "object-days", enabled=enabled) as bar:
            dec = longterm.decay(cloud, epoch, end, atmosphere=table, backend=backend, ballistic="bstar",
                                 progress=callback(bar))
        timings["decay"] = time.perf_counter() - t0
        log(f"decay: {int(dec.on_orbit[-1]):,} of {len(cloud):,} in orbit after {years:g} years "
            f"({timings['decay']:.1f} s)")

    result = ScenarioResult(fragments=frags, cloud=cloud, n_suborbital=len(cloud.not_in_orbit), epoch=epoch,
                            days=float(days), density_alt_edges_km=edges, density_per_day=density,
                            conjunctions=conj, pc=pcs, approaches_per_day=per_day, threshold_km=float(threshold_km),
                            flux=fl, decay=dec, timings_s=timings)
    if out is not None:
        t0 = time.perf_counter()
        os.makedirs(out, exist_ok=True)
        result.files = _write_report(result, out, real_cloud)
        timings["report"] = time.perf_counter() - t0
    return result


def _check_out(out: str) -> None:
    """Refuse, before any work, an output directory that cannot be made: an existing file,
    or a path under one (ValueError naming the path and the fix)."""
    probe = os.path.abspath(out)
    while not os.path.exists(probe):   # makedirs creates what is missing below this
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        what = "is an existing file" if probe == os.path.abspath(out) else f"is under the file {probe!r}"
        raise ValueError(f"out={out!r} {what}, so the report directory cannot be made there: "
                         "give a directory name (it is created when missing)")


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
    lines = ["# Cosmos 1408 scenario", "", "```", res.summary(), "```", ""] + _pc_report(res.conjunctions)
    for p in plots:
        lines += [f"![{os.path.basename(p)}]({os.path.basename(p)})", ""]
    if not plots:
        lines += ["(no plots: matplotlib is not installed; pip install 'debris-engine[plot]')", ""]
    lines += ["Assumptions: interceptor mass and velocity as engine.events.cosmos1408 documents them; "
              f"ISS cross-section {res.flux.area_m2:g} m^2 and hard-body radius {ISS_HBR_KM * 1e3:g} m; "
              "covariances of the element sets assumed (engine.pc.default_covariance); drag from "
              "the breakup model's A/M (Cd = 2.2) and the atmosphere stated above.", ""]
    path = os.path.join(out, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return [path] + files


def _plots(res: ScenarioResult, out: str, real_cloud) -> list:
    """The PNGs of the report, drawn by engine.plots (needs matplotlib)."""
    from . import plots

    plt = plots._pyplot()
    files = []

    def save(fig, name):
        path = os.path.join(out, name)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        files.append(path)

    clouds, labels = [res.cloud], [f"generated, Lc >= {res.fragments.event['lc_min']:g} m"]
    if real_cloud is not None and len(real_cloud):
        clouds.append(real_cloud)
        labels.append("catalogued")
    save(plots.gabbard(clouds, labels, xlim=(86, 110), ylim=(0, 1600), title="Cosmos 1408 cloud"), "gabbard.png")
    save(plots.approaches(res.approaches_per_day, res.conjunctions.miss_km, res.threshold_km),
         "iss_approaches.png")
    save(plots.density_altitude(res.density_alt_edges_km, res.density_per_day, band_km=(400, 430)),
         "density_altitude.png")
    if res.decay is not None:
        save(plots.on_orbit(res.decay.times, res.decay.on_orbit), "on_orbit.png")
    f = res.flux
    # NASA's figure is a probability of penetration per orbit; spread over the assumed
    # cross-section it becomes penetrations per m^2 per year, comparable in unit only
    nasa = NASA_ISS_PENETRATION_PER_ORBIT_BEFORE / (ISS_PERIOD_MIN * 60.0) / f.area_m2 * 365.25 * 86400
    lc = res.fragments.event["lc_min"]
    ref = (nasa, f"NASA: ISS debris penetration risk before the test (1 in 50,000 orbits)\n"
                 f"per m^2 of an assumed {f.area_m2:g} m^2: penetrations by debris of every size,\n"
                 f"not this cloud's fragments >= {lc:g} m")
    save(plots.flux_on_target(f.times, f.flux_per_km2_s * 1e-6 * 365.25 * 86400, ISS_PERIOD_MIN, reference=ref,
                              label=f"Cosmos 1408 fragments >= {lc:g} m (this run)"), "iss_flux.png")
    return files
