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
  5. ensemble     `members` breakups (member 0: seed `seed` and the central assumptions of
                  engine.events; the others: seeds seed + m and assumption values drawn
                  within their documented ranges, engine.events.cosmos1408_assumptions),
                  decayed together over `years` in ONE engine.longterm.decay call (one
                  NRLMSIS table, weekly records), each member's weekly history turned into
                  the risk it adds to the ISS and to the user's targets (engine.exposure):
                  flux, expected impacts per orbit, approaches per day, cumulative impacts,
                  with bands (median, 5-95 %) over the members and the one-line answer;
                  stages 2-4 run for member 0 only, on its whole cloud. Beyond
                  ENSEMBLE_FRAGMENTS fragments in all (the 1 cm run: ~580,000 in orbit over
                  12 members) each member is decayed as representative fragments: every
                  fragment >= KEEP_LC_M (10 cm) and a seeded random sample of the smaller
                  ones, each weighted by 1 / the sampled fraction (represent), so that every
                  count and rate above is a weighted sum; the members' info records
                  n_fragments (decayed), n_represented (in orbit) and the weights, and the
                  bands over the members include the sampling error;
  6. report       report.html (self-contained, engine.report), summary.json, CSVs,
                  report.md and the PNG figures in `out`.

Size classes: the figures for fragments >= 1 cm exist only when the run generates them
(lc_min <= 0.01); at the default lc_min 0.1 the report gives >= 10 cm only and says how to
get the 1 cm figures (a class below lc_min would silently repeat the 10 cm one).

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

from . import _backend, events, exposure, longterm, plots, report, risk
from ._orbits import RE_KM, REENTRY_KM
from ._progress import callback, progress
from .catalog import Catalog
from .io.satcat import Satcat
from .longterm import NEGATIVE_BSTAR, NOT_ORBITING, DecayResult
from .pc import FLAGS, PC_THRESHOLDS
from .report import Figure, Heading, Table, Text, on_orbit_block
from .screening import screen
from .timeconv import jd_from_datetime64, to_datetime64

__all__ = ["ScenarioResult", "cosmos1408", "sample_fraction", "represent", "ISS_CROSS_SECTION_M2", "ISS_HBR_KM",
           "NASA_ISS_PENETRATION_PER_ORBIT_BEFORE", "NASA_ISS_PENETRATION_PER_ORBIT_AFTER"]

#: ISS cross-section for the expected number of impacts (m^2): engine.events.ISS_CROSS_SECTION_M2
ISS_CROSS_SECTION_M2 = events.ISS_CROSS_SECTION_M2
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
#: ensemble members by default: sized so that the default run (fragments >= 10 cm, five
#: years of decay, risk over the whole life) stays within two minutes on a 2-core CPU
#: (benchmarks/test_scenario_bench.py); the decay of all members in one call dominates
MEMBERS = 12
#: fragments at or above this characteristic length (m) are all decayed in every ensemble
#: member; smaller ones may be represented by a seeded random sample (ENSEMBLE_FRAGMENTS).
#: 10 cm: the catalogued size, whose figures then carry no sampling error
KEEP_LC_M = 0.1
#: most fragments decayed in the ensemble stage, all members together, before the fragments
#: below KEEP_LC_M are represented by a sample ("representative particles", as long-term
#: debris environment models do: each sampled fragment carries a weight, the number of
#: real fragments it stands for). Sized on the 2-core CPU (benchmarks/NOTES.md, "The
#: scenario"): two complete 1 cm members (95,217 fragments) took 374 s of decay, and the
#: 1 cm run with 12 members also pays member 0's full screening and flux (~460 s), 11 more
#: breakups (~35 s) and the atmosphere table (~30 s) within its 15 minutes, so the decay
#: gets about two thirds of two complete members. The default run (fragments >= 10 cm,
#: 12 members, ~17,000 fragments) stays far below it and is never sampled
ENSEMBLE_FRAGMENTS = 64_000
#: fewest fragments below KEEP_LC_M sampled per member when the budget is spent on the
#: larger ones (many members): the small fragments' figures keep a sampling error of a few %
MIN_SAMPLED = 500
#: stream tag of the sampling's random numbers: with the member's seed it makes the sample
#: independent of the breakup's own draws (which use the seed alone) and of the backend
_SAMPLE_STREAM = 1408
#: cross-section (m^2) of the user's targets (--targets) unless given: the order of a
#: small to medium satellite's projected area with its arrays; an assumption, shown in the
#: report (the ranking scales with it)
TARGET_AREA_M2 = 10.0
#: the stated fraction of the first-week risk in the one-line answer
RISK_FRACTION = 0.1
#: spacing of the decay's element records, and so of the risk-over-time samples (days)
RECORD_DAYS = 7.0
#: the ISS's catalogue number: a user's target file that holds it keeps the preset ISS
ISS_SATNUM = 25544
#: what the pre-event background is, shown beside it in the report
BACKGROUND_TEXT = ("NASA's ISS debris penetration risk before the test, 1 in 50,000 orbits (R. Gatens, NASA ISS "
                   "programme, to the NASA Advisory Council, 18 Jan 2022, as reported by Aviation Week): the chance per "
                   "orbit that debris of any size penetrates the shielding.")


@dataclass
class ScenarioResult:
    """What the scenario computed. Times UTC; see the module docstring for the stages.

    The tables are NumPy (host) arrays whatever the backend: they are per-day and
    per-member summaries, read on the host for the report.

    Attributes
    ----------
    fragments : engine.Fragments
        Member 0's breakup.
    cloud : engine.Catalog
        Member 0's fragments in orbit.
    n_suborbital : int
        Fragments not in orbit at the event (engine._orbits).
    epoch : numpy.datetime64
        The event.
    days : float
        Window of member 0's screening and flux.
    density_alt_edges_km : (A + 1,) float64
        Altitude shell edges, km.
    density_per_day : (D, A) float64
        Objects/km^3, time average over each day.
    conjunctions : engine.Conjunctions
        ISS close approaches, with Pc columns.
    pc : (K,) float64
        2D probability of collision (assumed covariances), the same as conjunctions.pc.
    approaches_per_day : (D,) int64
        Counts under the threshold.
    threshold_km : float
        The screening threshold, km.
    flux : engine.risk.FluxResult
        The cloud's flux on the ISS over the window.
    decay : engine.longterm.DecayResult or None
        Member 0's decay (None: years 0).
    timings_s : dict
        Stage -> seconds.
    files : list
        Files written under `out`.
    members : list of dict
        Per member: assumptions, fragments, in orbit.
    targets : engine.exposure.Targets
        The ISS first, then the user's.
    ensemble : engine.exposure.EnsembleExposure or None
        None: no decay run, or < 7 days.
    on_orbit_members : (M, T) array or None
        Fragments in orbit per member at decay.times (weighted, float, when sampled).
    risk : dict
        Headline risk figures (engine.report.risk_blocks' summary).
    report_parts : tuple
        risk_blocks' blocks and CSVs for the report.
    """

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
    decay: object                             # member 0's engine.longterm.DecayResult (None: years 0)
    timings_s: dict = field(default_factory=dict)
    files: list = field(default_factory=list)
    members: list = field(default_factory=list)   # per member: assumptions, fragments, in orbit
    targets: object = None                    # engine.exposure.Targets: the ISS first, then the user's
    ensemble: object = None                   # engine.exposure.EnsembleExposure (None: no decay run, or < 7 days)
    on_orbit_members: np.ndarray | None = None    # (M, T) fragments in orbit per member at decay.times
    risk: dict = field(default_factory=dict)  # headline risk figures (engine.report.risk_blocks' summary)
    report_parts: tuple = field(default=(), repr=False)   # risk_blocks' blocks and CSVs for the report

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

    def sampling_text(self, *, sentence: bool = False) -> str:
        """How the ensemble stage represented the fragments below KEEP_LC_M, in words.

        Parameters
        ----------
        sentence : bool, optional
            As a sentence of the report's intro (default: a clause of the summary).

        Returns
        -------
        str
            The text; "" when every member was decayed complete.
        """
        m = self.members
        if not m or all(i.get("n_fragments", i["in_orbit"]) == i.get("n_represented", i["in_orbit"]) for i in m):
            return ""
        small = [w for i in m for w, _ in i["weights"] if w != 1.0]
        n, rep = sum(i["n_fragments"] for i in m), sum(i["n_represented"] for i in m)
        how = (f"every fragment >= {KEEP_LC_M * 100:g} cm (weight 1) and a seeded random sample of the smaller ones, "
               f"each standing for {_range(small, 'fragments', '{:.2f}')} (1 / the sampled fraction): {n:,} "
               f"fragments decayed for {rep:,} in orbit over the {len(m)} members (member 0: "
               f"{m[0]['n_fragments']:,} for {m[0]['n_represented']:,})")
        if sentence:
            return (f"To fit the time budget each member was decayed as representative fragments: {how}. Every count "
                    "and rate of the risk over time is the weighted sum, and the bands over the members include the "
                    "sampling error.")
        return f"ensemble decay by representative fragments: {how}; the bands over the members include the sampling error"

    def summary(self) -> str:
        """The scenario's results in words, as the command line prints them.

        Returns
        -------
        str
            Lines: the breakup, ISS close approaches and Pc, flux and expected impacts (with
            what NASA's figures may be compared with), decay, risk over time, stage times.
        """
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
            left = float(d.on_orbit[-1]) if len(d.on_orbit) else 0.0
            w = d.info.get("weights")   # the sample's weights when member 0 was represented by one
            life = (np.nanmedian(d.lifetime_days()) if w is None else _weighted_median(d.lifetime_days(), w))
            lines.append(f"Decay: {left:,.0f} of {len(self.cloud):,} fragments still in orbit at "
                         f"{np.datetime_as_string(d.times[-1], unit='D')}; median lifetime of those that "
                         f"re-entered {life:.0f} days" if np.any(~np.isnat(d.reentry))
                         else f"Decay: all {left:,.0f} fragments still in orbit at "
                         f"{np.datetime_as_string(d.times[-1], unit='D')}")
            lines.append(f"  atmosphere: {d.info.get('atmosphere', 'n/a')}")
            sampled = self.sampling_text()
            if sampled:
                lines.append(f"  {sampled}")
        if self.ensemble is not None and self.risk:
            lines.append(f"Risk over time ({len(self.members)} ensemble members, weekly samples, until fewer than "
                         f"1 % of the fragments remain or the {self.risk['classes'][0]['horizon_days']:.0f} days "
                         "computed): " + self.risk["answer"])
            for r in self.risk.get("ranking", [])[:10]:
                lines.append(f"  {r['target']}: {r['cumulative_impacts_median']:.2e} expected impacts "
                             f"(median), {r['share']:.1%} of the targets' sum")
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
    lines += ["| " + " | ".join(row) + " |" for row in _pc_rows(conj)]
    used = sorted({bit for k in idx for bit in FLAGS if int(conj.pc_flags[k]) & bit})
    lines += [""] + [f"- {FLAGS[b][0]}: {FLAGS[b][1]}" for b in used] + [""]
    return lines


def cosmos1408(*, lc_min: float = 0.1, days: float = 7.0, seed: int = 0, backend: str = "auto",
               out: str | None = None, threshold_km: float = 10.0, years: float = 5.0,
               area_m2: float = ISS_CROSS_SECTION_M2, real_cloud=None, quiet: bool = False,
               log=print, members: int = MEMBERS, targets=None, target_area_m2: float = TARGET_AREA_M2,
               real_satcat=None, fraction: float = RISK_FRACTION,
               ensemble_fragments: int | None = ENSEMBLE_FRAGMENTS) -> ScenarioResult:
    """Run the scenario (see the module docstring) and, with `out`, write report.html,
    summary.json, the CSVs, report.md and the figures there.

    Every argument is checked before any work starts.

    Parameters
    ----------
    lc_min : float, optional
        Smallest fragment size (m).
    days : float, optional
        Window of member 0's screening and flux (days, > 0).
    seed : int, optional
        Member 0's breakup seed.
    backend : {"auto", "numpy", "cuda"}, optional
        Where the heavy stages run.
    out : str, optional
        Directory for the report (created when missing); None writes nothing.
    threshold_km : float, optional
        Screening threshold for ISS close approaches (km, > 0).
    years : float, optional
        Length of the decay and of the risk over time (0 skips both).
    area_m2 : float, optional
        The ISS's cross-section (m^2).
    real_cloud : engine.Catalog, optional
        Catalogued fragments drawn beside the generated cloud in the Gabbard diagram.
    quiet : bool, optional
        No progress bars.
    log : callable, optional
        Receives one line of text per stage (default print).
    members : int, optional
        Ensemble size (>= 1; member 0 = seed and the central assumptions).
    targets : engine.Catalog, optional
        Further targets (e.g. the user's TLE/OMM file), each with cross-section
        target_area_m2, ranked with the ISS (an element set of the ISS itself, number
        25544, is left to the preset).
    target_area_m2 : float, optional
        Cross-section of each further target (m^2).
    real_satcat : engine.io.satcat.Satcat, optional
        The real fragments, whose decay is drawn beside the simulated one.
    fraction : float, optional
        The stated fraction of the first-week risk, in (0, 1).
    ensemble_fragments : int or None, optional
        Most fragments decayed in the ensemble stage, all members together (None: every
        member complete); beyond it each member keeps its fragments >= KEEP_LC_M and a
        seeded random sample of the smaller ones, weighted (represent), and every count and
        rate of stage 5 is a weighted sum. Member 0's stages 2-4 always use its whole cloud.

    Returns
    -------
    ScenarioResult
        Its tables are NumPy (host) arrays whatever the backend (see ScenarioResult).

    Raises
    ------
    ValueError
        A non-positive days, threshold_km, area_m2 or target_area_m2, negative years,
        members or ensemble_fragments not a whole number >= 1, fraction outside (0, 1), or
        an `out` that cannot be a directory.
    TypeError
        targets not an engine.Catalog, real_satcat not a Satcat.
    engine.errors.BackendUnavailable
        backend="cuda" where it cannot run.
    """

    if not days > 0:
        raise ValueError(f"days must be positive, got {days!r}")
    if not threshold_km > 0:
        raise ValueError(f"threshold_km must be positive, got {threshold_km!r}")
    if not years >= 0:
        raise ValueError(f"years must be >= 0, got {years!r}")
    if isinstance(members, bool) or not isinstance(members, (int, np.integer)) or members < 1:
        raise ValueError(f"members must be a whole number >= 1 (ensemble size), got {members!r}")
    if not (isinstance(target_area_m2, (int, float, np.integer, np.floating)) and math.isfinite(target_area_m2)
            and target_area_m2 > 0):
        raise ValueError(f"target_area_m2 must be a positive cross-section in m^2, got {target_area_m2!r}")
    if not (isinstance(area_m2, (int, float, np.integer, np.floating)) and math.isfinite(area_m2) and area_m2 > 0):
        raise ValueError(f"area_m2 (the ISS's cross-section) must be positive m^2, got {area_m2!r}")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    if ensemble_fragments is not None and (isinstance(ensemble_fragments, bool)
                                           or not isinstance(ensemble_fragments, (int, np.integer))
                                           or ensemble_fragments < 1):
        raise ValueError(f"ensemble_fragments must be a whole number >= 1 (most fragments decayed in the ensemble "
                         f"stage) or None (every member complete), got {ensemble_fragments!r}")
    if targets is not None and not isinstance(targets, Catalog):
        raise TypeError(f"targets must be an engine.Catalog (engine.load_tle or engine.load_omm of a file), "
                        f"got {type(targets).__name__}")
    if real_satcat is not None and not isinstance(real_satcat, Satcat):
        raise TypeError(f"real_satcat must be an engine.io.satcat.Satcat (engine.io.satcat.load_satcat of "
                        f"CelesTrak's SATCAT CSV), got {type(real_satcat).__name__}")
    tg = _targets(area_m2, targets, target_area_m2)
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

    draws = events.cosmos1408_assumptions(int(members), int(seed))
    member_info = [dict(draws[0], fragments=len(frags), in_orbit=len(cloud))]
    dec, ens, counts = None, None, None
    if years > 0:
        t0 = time.perf_counter()
        # members 1.. : their own seeds and assumption values; member 0 is the cloud above
        clouds, lcs = [cloud], [_lc_in_catalog(frags, cloud)]
        for a in draws[1:]:
            f = events.cosmos1408(lc_min=lc_min, seed=a["seed"], mass_kg=a["mass_kg"],
                                  projectile_mass_kg=a["projectile_mass_kg"],
                                  projectile_velocity_rtn_kms=a["projectile_velocity_rtn_kms"], backend=backend)
            c = f.to_catalog()
            clouds.append(c)
            lcs.append(_lc_in_catalog(f, c))
            member_info.append(dict(a, fragments=len(f), in_orbit=len(c)))
        # representative particles: every fragment >= KEEP_LC_M, and of the smaller ones a
        # seeded sample weighted by the inverse of its fraction when all members together
        # exceed ensemble_fragments (the 1 cm run); member 0's stages 2-4 above used its
        # whole cloud. Sampling the fragments in orbit only: the others are never decayed
        n_large = [int(np.sum(lc >= KEEP_LC_M)) for lc in lcs]
        share = sample_fraction(n_large, [lc.size - n for lc, n in zip(lcs, n_large)], ensemble_fragments)
        weights = [None] * len(clouds)
        for m, info in enumerate(member_info):
            if share < 1.0:
                idx, weights[m] = represent(lcs[m], share, info["seed"])
                clouds[m], lcs[m] = clouds[m][idx], lcs[m][idx]
            w = weights[m]
            info.update(n_fragments=len(clouds[m]), n_represented=info["in_orbit"],
                        weights=[[1.0, len(clouds[m])]] if w is None else
                        [[float(v), int(np.sum(w == v))] for v in np.unique(w)])
        timings["ensemble breakups"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        end = epoch + np.timedelta64(int(round(years * 365.25 * 86400)), "s")
        every = Catalog.concatenate(clouds)
        # NRLMSIS 2.1 from the space-weather file; past its end the last solar cycle
        # repeats, which the summary states (info['atmosphere']). The table is built once
        # and every member is decayed in ONE call, so that its per-call cost is paid once.
        # The cloud's B* is the fixed conversion of the breakup model's A/M: "bstar" turns it
        # back into that A/M exactly (matching SGP4's decay would not). Weekly records of the
        # mean elements feed the risk over time; float32 halves them for very large runs
        # (0.5 m in a, far below the exposure's 2 km shells)
        with progress(0, "atmosphere", "samples", enabled=enabled) as bar:
            table = longterm.atmosphere_table(DECAY_ATMOSPHERE, epoch, end, every.epoch, progress=callback(bar))
        timings["atmosphere"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        with progress(0, "decay", "object-days", enabled=enabled) as bar:
            whole = longterm.decay(every, epoch, end, atmosphere=table, backend=backend, ballistic="bstar",
                                   record_days=RECORD_DAYS,
                                   record_dtype=np.float32 if len(every) > 200_000 else np.float64,
                                   progress=callback(bar))
        bounds = np.cumsum([0] + [len(c) for c in clouds])
        parts = [_member_decay(whole, slice(bounds[m], bounds[m + 1]), weights[m]) for m in range(len(clouds))]
        dec = parts[0]
        counts = np.stack([p.on_orbit for p in parts])
        for info, p in zip(member_info, parts):
            info["in_orbit_at_end"] = p.on_orbit[-1].item()   # weighted (float) when sampled
        timings["decay"] = time.perf_counter() - t0
        log(f"decay: {dec.on_orbit[-1]:,.0f} of {len(cloud):,} in orbit after {years:g} years (member 0; "
            f"{len(clouds)} members, {len(every):,} fragments in one run"
            + (f" standing for {sum(i['n_represented'] for i in member_info):,}" if share < 1.0 else "")
            + f", {timings['decay']:.1f} s)")
        if years * 365.25 >= 7.0:
            t0 = time.perf_counter()
            hists = [exposure.history_from_decay(p, lc, weights=w, label=f"member {m}")
                     for m, (p, lc, w) in enumerate(zip(parts, lcs, weights))]
            ens = exposure.ensemble(hists, tg, lc_classes_m=size_classes(lc_min))
            timings["exposure"] = time.perf_counter() - t0
            log(f"exposure: {len(ens.times)} weekly samples x {len(tg)} targets x {len(hists)} members "
                f"({timings['exposure']:.1f} s)")
        else:
            log("exposure: skipped (the risk over time needs at least 7 days of decay: years >= 0.02)")

    result = ScenarioResult(fragments=frags, cloud=cloud, n_suborbital=len(cloud.not_in_orbit), epoch=epoch,
                            days=float(days), density_alt_edges_km=edges, density_per_day=density,
                            conjunctions=conj, pc=pcs, approaches_per_day=per_day, threshold_km=float(threshold_km),
                            flux=fl, decay=dec, timings_s=timings, members=member_info, targets=tg,
                            ensemble=ens, on_orbit_members=counts)
    if ens is not None:
        t0 = time.perf_counter()
        try:

            blocks, result.risk, csvs = report.risk_blocks(
                ens, target=0, lc_classes_m=size_classes(lc_min), fraction=fraction,
                background_per_orbit=NASA_ISS_PENETRATION_PER_ORBIT_BEFORE, background_text=BACKGROUND_TEXT)
            result.report_parts = (blocks, csvs)
        except ImportError:   # the figures need matplotlib; the summary then says so
            result.risk = {}
        timings["risk figures"] = time.perf_counter() - t0
    if out is not None:
        t0 = time.perf_counter()
        os.makedirs(out, exist_ok=True)
        result.files = _write_report(result, out, real_cloud, real_satcat, fraction)
        timings["report"] = time.perf_counter() - t0
    return result


def sample_fraction(n_large, n_small, budget: int | None = ENSEMBLE_FRAGMENTS) -> float:
    """Fraction of the fragments below KEEP_LC_M that the ensemble stage decays.

    Parameters
    ----------
    n_large, n_small : (M,) int
        Counts per member of in-orbit fragments at or above KEEP_LC_M (all kept) and below it.
    budget : int or None, optional
        Most fragments decayed, all members together (None: no limit).

    Returns
    -------
    float
        1.0 when everything fits (the default 10 cm run), else the fraction that fills the
        budget left by the large fragments, with at least MIN_SAMPLED small fragments per
        member (so the budget is exceeded only when the large ones alone fill it).
    """
    large, small = int(np.sum(n_large)), int(np.sum(n_small))
    if budget is None or small == 0 or large + small <= budget:
        return 1.0
    room = max(budget - large, MIN_SAMPLED * len(np.atleast_1d(n_small)))
    return min(1.0, room / small)


def represent(lc_m, fraction: float, seed: int):
    """The fragments that stand for one member in the ensemble stage, and their weights.

    Parameters
    ----------
    lc_m : (N,) float64
        Characteristic lengths (m) of the member's in-orbit fragments.
    fraction : float
        Share of the fragments below KEEP_LC_M to keep, in (0, 1] (sample_fraction).
    seed : int
        The member's breakup seed.

    Returns
    -------
    idx : (K,) int64
        Increasing indices of the kept fragments.
    weights : (K,) float64
        How many fragments each stands for. Both NumPy (host) arrays: the sample is drawn
        on the host so that it is the same on every backend.

    Raises
    ------
    ValueError
        fraction outside (0, 1].

    Notes
    -----
    Every fragment >= KEEP_LC_M is kept with weight 1; of the n
    smaller ones a simple random sample of k = max(1, round(fraction x n)) is drawn without
    replacement (NumPy's PCG64 seeded from (seed, a fixed stream tag): the same sample on
    every backend and machine), each with weight n / k. The weighted sum of any quantity
    over the kept fragments is then an unbiased estimate of its sum over all N (the
    Horvitz-Thompson estimator of a simple random sample; its variance,
    n^2 (1 - k/n) S^2 / k with S^2 the quantity's variance over the n small fragments, is
    what tests/test_scenario_sampling.py bounds), and the weighted count at the start is n
    exactly.
    """
    lc = np.asarray(lc_m, dtype=np.float64)
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    if fraction == 1.0:
        return np.arange(lc.size), np.ones(lc.size)
    large = lc >= KEEP_LC_M
    small = np.flatnonzero(~large)
    k = max(1, int(round(fraction * small.size))) if small.size else 0
    rng = np.random.default_rng(np.random.SeedSequence([_SAMPLE_STREAM, int(seed) % 2**63]))
    pick = small[rng.choice(small.size, size=k, replace=False)] if k else small[:0]
    idx = np.sort(np.concatenate([np.flatnonzero(large), pick]))
    weights = np.where(large[idx], 1.0, small.size / k if k else 1.0)
    return idx, weights


def _weighted_median(x, w) -> float:
    """Median of x (n,) with weights w (n,) > 0: the smallest x whose cumulative weight
    reaches half the total (NaN where x is NaN are left out; NaN when none is left)."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    ok = ~np.isnan(x)
    if not ok.any():
        return float("nan")
    order = np.argsort(x[ok], kind="stable")
    cw = np.cumsum(w[ok][order])
    return float(x[ok][order][np.searchsorted(cw, 0.5 * cw[-1])])


def size_classes(lc_min: float) -> tuple:
    """The size classes of the risk figures for a run down to lc_min.

    A class below lc_min would count only the fragments >= lc_min and repeat the larger
    class's figures under a smaller size, so the >= 1 cm figures appear only when the run
    generates 1 cm fragments (--lc-min 0.01).

    Parameters
    ----------
    lc_min : float
        The run's smallest fragment size (m).

    Returns
    -------
    tuple of float
        Those of engine.exposure.LC_CLASSES_M at or above lc_min (m); lc_min above every
        class gives the class of lc_min itself.
    """
    keep = tuple(c for c in exposure.LC_CLASSES_M if c >= lc_min * (1.0 - 1e-12))
    return keep if keep else (float(lc_min),)


def _targets(area_m2, targets, target_area_m2):
    """engine.exposure.Targets: the ISS (area_m2) first, then the user's catalogue without
    its ISS element sets (the preset, of the day of the test, stays)."""
    iss = exposure.Targets.iss(area_m2=area_m2)
    if targets is None or not len(targets):
        return iss
    keep = np.flatnonzero(np.asarray(targets.satnum) != ISS_SATNUM)
    if keep.size == 0:
        return iss
    user = exposure.Targets.from_catalog(targets[keep], area_m2=target_area_m2,
                                         source=f"the user's {keep.size} element sets, {target_area_m2:g} m^2 each")
    return exposure.Targets.concatenate([iss, user])


def _first_satnum(frags) -> int:
    """The catalogue number of fragment 0 that Fragments.to_catalog gives by default."""
    lo, hi = frags.ANALYST_SATNUMS
    return lo if len(frags) <= hi - lo + 1 else frags.INTERNAL_SATNUMS[0]


def _lc_in_catalog(frags, cat) -> np.ndarray:
    """(N,) characteristic lengths (m) of the fragments of cat (satnum = first + fragment
    index, Fragments.to_catalog)."""
    return np.asarray(frags.to_host().lc, dtype=np.float64)[np.asarray(cat.satnum) - _first_satnum(frags)]


def _member_decay(whole, sl, weights=None):
    """The DecayResult of the objects sl of a decay run of several members: their own
    re-entries, statuses, elements and record, and their own on-orbit counts (the formula
    of engine.longterm.decay for objects whose epoch is the start). weights (n,) float64:
    the real fragments each object stands for (represent); the on-orbit counts are then
    the weighted sums (float64) and info["weights"] holds them; None: int64 counts."""

    status, reentry = whole.status[sl], whole.reentry[sl]
    ok = ~np.isin(status, (NOT_ORBITING, NEGATIVE_BSTAR))
    if weights is None:
        gone = np.sort(reentry[ok & ~np.isnat(reentry)])
        on = (int(ok.sum()) - np.searchsorted(gone, whole.times, side="right")).astype(np.int64)
    else:
        sel = ok & ~np.isnat(reentry)
        order = np.argsort(reentry[sel], kind="stable")
        gone_w = np.concatenate([[0.0], np.cumsum(weights[sel][order])])
        on = float(weights[ok].sum()) - gone_w[np.searchsorted(reentry[sel][order], whole.times, side="right")]
    hist = None
    if whole.history is not None:
        hist = {k: (v if k == "times" else v[:, sl]) for k, v in whole.history.items()}
    info = {k: (v[sl] if isinstance(v, np.ndarray) and v.shape[:1] == (len(whole),) else v)
            for k, v in whole.info.items()}   # per-object entries (epoch) sliced too
    if weights is not None:
        info["weights"] = weights
    return DecayResult(reentry=reentry, status=status, times=whole.times, on_orbit=on,
                       elements={k: v[sl] for k, v in whole.elements.items()}, final_time=whole.final_time[sl],
                       am=whole.am[sl], cd=whole.cd, history=hist, info=info)


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


def _pc_rows(conj) -> list:
    """(level, TCA, object, miss km, speed km/s, Pc, flags) of every approach above the
    lowest of engine.pc.PC_THRESHOLDS, largest Pc first."""

    lowest = min(t[0] for t in PC_THRESHOLDS)
    idx = _above(conj, lowest) if len(conj) else np.zeros(0, int)
    rows = []
    for k in idx:
        level = max(t[0] for t in PC_THRESHOLDS if conj.pc[k] > t[0])
        name = str(conj.secondary_name[k]).strip()
        rows.append([f"{level:.0e}", np.datetime_as_string(conj.tca[k], unit="s"),
                     f"{int(conj.secondary_satnum[k])}{f' {name}' if name else ''}", f"{conj.miss_km[k]:.3f}",
                     f"{conj.vrel_kms[k]:.2f}", f"{conj.pc[k]:.2e}", conj.pc_flag_text(k).replace("|", ", ")])
    return rows


def _write_report(res: ScenarioResult, out: str, real_cloud, real_satcat=None, fraction=RISK_FRACTION) -> list:
    """iss_conjunctions.csv, the PNG figures, report.md, and (with matplotlib) report.html,
    summary.json and the CSVs of engine.report."""
    files = []
    csv = os.path.join(out, "iss_conjunctions.csv")
    res.conjunctions.to_csv(csv)
    files.append(csv)
    try:
        figs = _figures(res, real_cloud, real_satcat)
    except ImportError:
        figs = {}
    for name, fig in figs.items():
        path = os.path.join(out, name)
        with open(path, "wb") as f:
            f.write(fig.png)
        files.append(path)
    lines = ["# Cosmos 1408 scenario", "",
             "The full report, with every figure explained, is report.html beside this file.", "",
             "```", res.summary(), "```", ""] + _pc_report(res.conjunctions)
    for name in figs:
        lines += [f"![{name}]({name})", ""]
    if not figs:
        lines += ["(no figures and no report.html: matplotlib is not installed; pip install 'debris-engine[plot]')", ""]
    lines += ["Assumptions: interceptor mass and velocity as engine.events.cosmos1408 documents them; "
              f"ISS cross-section {res.flux.area_m2:g} m^2 and hard-body radius {ISS_HBR_KM * 1e3:g} m; "
              "covariances of the element sets assumed (engine.pc.default_covariance); drag from "
              "the breakup model's A/M (Cd = 2.2) and the atmosphere stated above.", ""]
    path = os.path.join(out, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    files.insert(0, path)
    if figs:

        paths = report.write(out, title="Cosmos 1408 breakup of 15 Nov 2021: what the cloud adds to the risk "
                                        "of the ISS and other spacecraft", intro=_intro(res),
                             assumptions=_assumption_rows(res), blocks=_html_blocks(res, figs),
                             summary=_summary_json(res, fraction), csvs=_csvs(res))
        files = [paths["report.html"], paths["summary.json"]] + [p for k, p in paths.items()
                                                                  if k not in ("report.html", "summary.json")] + files
    return files


def _ensemble_text(res) -> str:
    m = len(res.members)
    if m <= 1:
        return "one member (seed and the central assumptions)"
    return (f"{m} members: member 0 with breakup seed {res.members[0]['seed']} and the central assumptions, "
            f"members 1-{m - 1} with seeds {res.members[1]['seed']}-{res.members[-1]['seed']} and parent mass, "
            "interceptor mass, speed and direction drawn uniformly within their documented ranges")


def _intro(res) -> str:
    lc = res.fragments.event["lc_min"]
    classes = size_classes(lc)
    sizes = " and ".join(f">= {c * 100:g} cm" for c in classes)
    ens = res.ensemble
    span = ((res.decay.times[-1] - res.epoch) / np.timedelta64(1, "D")) if res.decay is not None else 0.0
    risk = (f"Each member's fragments were decayed together for {span:.0f} days ({span / 365.25:.1f} years) "
            f"(one engine.longterm.decay run, elements recorded every {RECORD_DAYS:g} days), and at every weekly "
            f"sample the orbit-averaged flux each member puts on the ISS"
            + (f" and on {len(res.targets) - 1} further target{'s' if len(res.targets) > 2 else ''}"
               if len(res.targets) > 1 else "")
            + f" was computed (engine.exposure, kinetic-gas model) for fragments {sizes}, until fewer than 1 % of "
            "the fragments remain or the horizon ends. Bands are the 5-95 % range over the members, lines their "
            "median." if ens is not None else "No risk over time was computed (no decay run of at least a week).")
    risk += (" " + res.sampling_text(sentence=True) if ens is not None and res.sampling_text() else "")
    one_cm = ("" if 0.01 in classes else
              f" Figures for fragments >= 1 cm (about the smallest the ISS's shielding cannot stop) need a run "
              f"that generates them (--lc-min 0.01); this run generates fragments >= {lc * 100:g} cm only, so "
              "it gives none rather than repeating the larger class under a smaller size.")
    return (f"What was simulated: the destruction of Cosmos 1408 by a Russian direct-ascent interceptor at "
            f"{np.datetime_as_string(res.epoch, unit='s')} UTC, as a catastrophic collision under the NASA "
            f"Standard Breakup Model (fragments >= {lc * 100:g} cm), in an ensemble of {_ensemble_text(res)}: the "
            "interceptor's mass, speed and geometry are not public, so the answer is a range, not one run. "
            + risk + one_cm
            + f"\n\nThe first week's close-approach screening of the ISS (SGP4, every approach under "
            f"{res.threshold_km:g} km, with a probability of collision from assumed covariances) and its flux along "
            "its propagated path were run for member 0 only. Every figure below says what it shows and what to "
            "conclude; numbers are compared only with numbers of the same kind, and where a comparison is with a "
            "different quantity (NASA's penetration risk) the text says so.")


def _range(values, unit, fmt="{:,.0f}"):
    """'lo-hi unit', or 'lo unit' when both read the same in fmt (e.g. weights 11.491 and 11.493)."""
    lo, hi = fmt.format(min(values)), fmt.format(max(values))
    return f"{lo} {unit}" if lo == hi else f"{lo}-{hi} {unit}"


def _assumption_rows(res) -> list:
    m = res.members
    m0 = m[0]
    drawn = len(m) > 1
    rows = [
        ("breakup time", f"{np.datetime_as_string(res.epoch, unit='s')} UTC",
         "least dispersion of the early element sets propagated back; another reconstruction finds 02:53 UTC "
         "(engine.events.COSMOS_1408_EPOCH)"),
        ("parent mass", f"{m0['mass_kg']:,.0f} kg (member 0)" + (f"; members: {_range([x['mass_kg'] for x in m], 'kg')}"
                                                               if drawn else ""),
         f"published 1,750 kg (McDowell) and ~2,200 kg (LeoLabs): range {events.COSMOS_1408_MASS_RANGE_KG[0]:,.0f}-"
         f"{events.COSMOS_1408_MASS_RANGE_KG[1]:,.0f} kg"),
        ("interceptor mass", f"{m0['projectile_mass_kg']:g} kg (member 0)"
         + (f"; members: {_range([x['projectile_mass_kg'] for x in m], 'kg', '{:.0f}')}" if drawn else ""),
         f"not public; assumed range {events.INTERCEPTOR_MASS_RANGE_KG[0]:g}-{events.INTERCEPTOR_MASS_RANGE_KG[1]:g} "
         "kg (every value catastrophic)"),
        ("interceptor speed (inertial)", f"{m0['speed_kms']:g} km/s (member 0)"
         + (f"; members: {_range([x['speed_kms'] for x in m], 'km/s', '{:.1f}')}" if drawn else ""),
         f"not public; assumed range {events.INTERCEPTOR_SPEED_RANGE_KMS[0]:g}-"
         f"{events.INTERCEPTOR_SPEED_RANGE_KMS[1]:g} km/s"),
        ("interceptor direction", f"{m0['off_vertical_deg']:g} deg from the vertical (member 0)"
         + (f"; members: {_range([x['off_vertical_deg'] for x in m], 'deg', '{:.0f}')}, any azimuth" if drawn else ""),
         f"not public; assumed {events.INTERCEPTOR_OFF_VERTICAL_RANGE_DEG[0]:g}-"
         f"{events.INTERCEPTOR_OFF_VERTICAL_RANGE_DEG[1]:g} deg off the vertical"),
        ("breakup seeds", f"{m0['seed']}" + (f"-{m[-1]['seed']}" if drawn else ""), "one per member"),
        ("ISS cross-section", f"{res.flux.area_m2:g} m^2", "an assumption (engine.scenario.ISS_CROSS_SECTION_M2); "
                                                          "expected impacts scale with it"),
    ]
    if res.targets is not None and len(res.targets) > 1:
        rows.append(("other targets' cross-section", f"{res.targets.area_m2[1]:g} m^2",
                     "an assumption (--target-area); their ranking scales with it"))
    rows += [
        ("targets' orbits", "fixed mean elements over the horizon", "stations and satellites are kept in their "
                                                                   "orbits (engine.exposure)"),
        ("ISS hard-body radius", f"{ISS_HBR_KM * 1e3:g} m", "the screening volume's scale for large stations"),
        ("covariances", "assumed (engine.pc.default_covariance)", "element sets carry none: Pc is an order of "
                                                                  "magnitude"),
        ("drag", "the breakup model's A/M, Cd 2.2", "engine.longterm.decay(ballistic='bstar')"),
    ]
    if res.sampling_text():
        m0 = res.members[0]
        rows.append(("fragments decayed per member", f"{m0['n_fragments']:,} standing for {m0['n_represented']:,} "
                     f"(member 0); {sum(i['n_fragments'] for i in m):,} for {sum(i['n_represented'] for i in m):,} "
                     "in all", f"every fragment >= {KEEP_LC_M * 100:g} cm, the smaller ones by a seeded random "
                     "sample, each weighted by 1 / its fraction (engine.scenario.represent): the bands include the "
                     "sampling error"))
    if res.decay is not None:
        rows.append(("atmosphere", res.decay.info.get("atmosphere", "n/a"), "NRLMSIS 2.1 with the space-weather "
                                                                             "file (engine.longterm)"))
    rows.append(("pre-event background", f"{NASA_ISS_PENETRATION_PER_ORBIT_BEFORE:.1e} per orbit", BACKGROUND_TEXT))
    return rows


def _figures(res, real_cloud, real_satcat) -> dict:
    """{PNG file name: engine.report.Figure} of the run, in reading order (needs matplotlib)."""

    figs = {}
    lc = res.fragments.event["lc_min"]
    clouds, labels = [res.cloud], [f"generated, Lc >= {lc:g} m (member 0)"]
    if real_cloud is not None and len(real_cloud):
        clouds.append(real_cloud)
        labels.append("catalogued")
    _, apo, peri = plots.gabbard_points(res.cloud)
    iss_alt = 420.0
    below = float(np.mean(peri < iss_alt)) if len(peri) else 0.0
    figs["gabbard.png"] = Figure.from_matplotlib(
        plots.gabbard(clouds, labels, xlim=(86, 110), ylim=(0, 1600), title="Cosmos 1408 cloud"),
        "The cloud just after the breakup (Gabbard diagram)",
        "Apogee (upper branch) and perigee (lower branch) altitude against orbital period of every fragment in "
        "orbit of member 0" + (", beside the catalogued element sets given (--real)" if len(clouds) > 1 else "")
        + ".",
        f"The fragments spread above and below the parent's 465-490 km orbit; {below:.0%} of member 0's fragments "
        f"have a perigee below the ISS's ~{iss_alt:.0f} km, so they cross its altitude twice per revolution.")
    n = len(res.conjunctions)
    figs["iss_approaches.png"] = Figure.from_matplotlib(
        plots.approaches(res.approaches_per_day, res.conjunctions.miss_km, res.threshold_km),
        f"Close approaches of the ISS in the first {res.days:g} days (member 0)",
        f"Left: number of member 0's fragments passing within {res.threshold_km:g} km of the ISS each day (SGP4 "
        "screening of the ISS element set of 15 Nov 2021); right: their miss distances.",
        f"{n} approaches in {res.days:g} days, {int(res.approaches_per_day[0]) if len(res.approaches_per_day) else 0}"
        " on the first day" + (f"; the closest at {res.conjunctions.miss_km.min():.2f} km" if n else "")
        + ": which fragments pass is one seed's outcome; the expected rate over the ensemble is in the approaches "
          "figure above.")
    edges, dens = res.density_alt_edges_km, res.density_per_day
    mid = 0.5 * (edges[1:] + edges[:-1])
    band = (mid >= 400) & (mid <= 430)
    d_first, d_last = float(dens[0, band].mean()), float(dens[-1, band].mean())
    figs["density_altitude.png"] = Figure.from_matplotlib(
        plots.density_altitude(edges, dens, band_km=(400, 430)),
        "Density of the cloud against altitude, day by day (member 0)",
        "Number of member 0's fragments per km^3 in 25 km altitude shells, averaged over each day (SGP4 every "
        "10 min); the shaded band is the ISS's altitude (400-430 km).",
        f"The cloud spreads from the breakup altitude within days: at the ISS's altitude its density goes from "
        f"{d_first:.2e} per km^3 on day 1 to {d_last:.2e} on day {dens.shape[0]}.")
    f = res.flux
    nasa = NASA_ISS_PENETRATION_PER_ORBIT_BEFORE / (ISS_PERIOD_MIN * 60.0) / f.area_m2 * 365.25 * 86400
    ref = (nasa, f"NASA: ISS debris penetration risk before the test (1 in 50,000 orbits)\n"
                 f"per m^2 of an assumed {f.area_m2:g} m^2: penetrations by debris of every size,\n"
                 f"not this cloud's fragments >= {lc:g} m")
    orbits = res.days * 1440.0 / ISS_PERIOD_MIN
    figs["iss_flux.png"] = Figure.from_matplotlib(
        plots.flux_on_target(f.times, f.flux_per_km2_s * 1e-6 * 365.25 * 86400, ISS_PERIOD_MIN, reference=ref,
                             label=f"Cosmos 1408 fragments >= {lc:g} m (this run)"),
        f"Flux of member 0's cloud on the ISS along its path, first {res.days:g} days",
        "Kinetic-gas flux (per m^2 per year) of member 0's fragments on the ISS along its SGP4 path, averaged over "
        "each orbit; the dashed line is NASA's pre-event penetration risk spread over the assumed cross-section: "
        "a different quantity (penetrations by debris of every size), shown for its order of magnitude only.",
        f"Mean flux {f.flux_per_m2_yr:.2e} per m^2 per year: {f.expected_impacts / orbits:.2e} expected impacts "
        f"per orbit of fragments >= {lc * 100:g} cm on {f.area_m2:g} m^2." if orbits > 0 else "n/a")
    if res.decay is not None:

        c = res.on_orbit_members
        sim = (c[0] if len(c) == 1 else {"median": np.median(c, 0), "p05": np.percentile(c, 5, 0),
                                         "p95": np.percentile(c, 95, 0)})
        figs["on_orbit.png"] = on_orbit_block(res.decay.times, sim, satcat=real_satcat, since=res.epoch,
                                              label=f"simulated fragments >= {lc * 100:g} cm")
    if res.report_parts:
        risk_figs = [b for b in res.report_parts[0] if isinstance(b, Figure)]
        for name, fig in zip(("iss_risk.png", "iss_approach_rate.png"), risk_figs):
            figs[name] = fig
    return figs


def _html_blocks(res, figs) -> list:

    blocks = []
    if res.report_parts:
        blocks += res.report_parts[0]
    blocks += [Heading("The cloud"), Text(res.summary().split("\n")[0] + ". In orbit means a bound orbit whose "
                                          f"mean perigee is above {REENTRY_KM:g} km (the decay model's re-entry "
                                          "height); the others fall back within a revolution."),
               figs["gabbard.png"], figs["density_altitude.png"]]
    if res.decay is not None:
        c = res.on_orbit_members
        blocks += [Heading("How long the cloud stays"),
                   Text(f"At {np.datetime_as_string(res.decay.times[-1], unit='D')} "
                        + (f"{int(np.median(c[:, -1]))} fragments are still in orbit (median of {len(c)} members; "
                           f"5-95 %: {np.percentile(c[:, -1], 5):.0f} to {np.percentile(c[:, -1], 95):.0f}) of "
                           f"{int(np.median(c[:, 0]))} at the start." if len(c) > 1 else
                           f"{int(c[0, -1])} of {int(c[0, 0])} fragments are still in orbit.")
                        + f" Atmosphere: {res.decay.info.get('atmosphere', 'n/a')}."),
                   figs["on_orbit.png"]]
    blocks += [Heading("The first week: close approaches of the ISS (member 0 only)"), figs["iss_approaches.png"]]
    rows = _pc_rows(res.conjunctions)
    levels = "; ".join(f"{level:.0e}: {what}" for level, _, what in PC_THRESHOLDS)
    blocks.append(Table("Approaches above the operators' probability levels", ["above", "TCA (UTC)", "object",
                        "miss (km)", "speed (km/s)", "Pc", "flags"], rows,
                        f"2D probability of collision with hard-body radius {ISS_HBR_KM * 1e3:g} m and ASSUMED "
                        "covariances (element sets carry none): an order of magnitude, not an operational Pc. "
                        f"Levels: {levels}." + ("" if rows else " No approach is above the lowest level.")))
    per_orbit = res.flux.expected_impacts / (res.days * 1440.0 / ISS_PERIOD_MIN)
    blocks += [figs["iss_flux.png"], Text("Against NASA's figure: " + res._nasa_comparison(per_orbit).strip()),
               Heading("Run"), Text("Stage times: " + ", ".join(f"{k} {v:.1f} s" for k, v in res.timings_s.items())
                                    + ". Files beside this page: summary.json (every headline figure), "
                                    "risk_over_time.csv, on_orbit.csv, ensemble_members.csv, iss_conjunctions.csv, "
                                    "report.md and the figures as PNG.")]
    return blocks


def _summary_json(res, fraction) -> dict:
    """Every headline figure of the run (report.html shows the same numbers)."""
    conj, f = res.conjunctions, res.flux
    orbits = res.days * 1440.0 / ISS_PERIOD_MIN
    above = {}

    for level, label, _ in PC_THRESHOLDS:
        above[f"{level:.0e}"] = int(_above(conj, level).size) if len(conj) else 0
    out = {
        "event": {"name": "Cosmos 1408", "epoch_utc": res.epoch, "lc_min_m": res.fragments.event["lc_min"],
                  "fragments": len(res.fragments), "in_orbit": len(res.cloud), "not_in_orbit": res.n_suborbital},
        "size_classes_m": list(size_classes(res.fragments.event["lc_min"])),
        "members": res.members,
        "screening_member_0": {"days": res.days, "threshold_km": res.threshold_km, "approaches": len(conj),
                               "per_day": res.approaches_per_day,
                               "closest_km": float(conj.miss_km.min()) if len(conj) else None,
                               "largest_pc": float(np.nanmax(conj.pc)) if len(conj) and np.isfinite(conj.pc).any()
                               else None, "above_pc_levels": above},
        "flux_member_0": {"flux_per_m2_yr": f.flux_per_m2_yr, "area_m2": f.area_m2,
                          "expected_impacts": f.expected_impacts,
                          "expected_impacts_per_orbit": f.expected_impacts / orbits if orbits > 0 else None},
        "background": {"per_orbit": NASA_ISS_PENETRATION_PER_ORBIT_BEFORE, "what": BACKGROUND_TEXT},
        "timings_s": res.timings_s,
    }
    if res.decay is not None and res.members and "n_fragments" in res.members[0]:
        m = res.members
        out["ensemble_sampling"] = {
            "kept_whole_from_lc_m": KEEP_LC_M, "fragments_decayed": sum(i["n_fragments"] for i in m),
            "fragments_represented": sum(i["n_represented"] for i in m),
            "small_fragment_weights": sorted({w for i in m for w, _ in i["weights"] if w != 1.0}),
            "what": res.sampling_text() or "every member decayed complete (weights 1)"}
    if res.decay is not None:
        c = res.on_orbit_members
        out["decay"] = {"end_utc": res.decay.times[-1], "atmosphere": res.decay.info.get("atmosphere"),
                        "in_orbit_at_start": {"median": float(np.median(c[:, 0]))},
                        "in_orbit_at_end": {"median": float(np.median(c[:, -1])),
                                            "p05": float(np.percentile(c[:, -1], 5)),
                                            "p95": float(np.percentile(c[:, -1], 95))}}
    if res.risk:
        out["risk"] = res.risk
        out["risk"]["targets"] = [{"name": str(n), "area_m2": float(a)} for n, a in
                                  zip(res.targets.names, res.targets.area_m2)]
    return out


def _csvs(res) -> dict:
    """{file name: (header, rows)}: the risk bands, the on-orbit counts and the members."""
    out = dict(res.report_parts[1]) if res.report_parts else {}
    if res.decay is not None:
        c = res.on_orbit_members
        days = (res.decay.times - res.epoch) / np.timedelta64(1, "D")
        out["on_orbit.csv"] = (["time_utc", "days"] + [f"member_{m}" for m in range(len(c))],
                               [[res.decay.times[t], float(days[t])] + [x.item() for x in c[:, t]]
                                for t in range(c.shape[1])])
    keys = ["seed", "mass_kg", "projectile_mass_kg", "speed_kms", "off_vertical_deg", "azimuth_deg", "fragments",
            "in_orbit"] + (["in_orbit_at_end", "n_fragments", "n_represented"] if res.decay is not None else [])
    # n_fragments decayed standing for n_represented in orbit; small_weight: what each sampled
    # fragment below KEEP_LC_M stands for (1: the member was decayed complete)
    rows = [[m] + [info.get(k) for k in keys]
            + ([max(w for w, _ in info["weights"])] if res.decay is not None else [])
            for m, info in enumerate(res.members)]
    out["ensemble_members.csv"] = (["member"] + keys + (["small_weight"] if res.decay is not None else []), rows)
    return out
