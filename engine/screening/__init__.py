"""Conjunction screening: engine.screen and the engine.Conjunctions table.

    conj = engine.screen(iss, cloud, "2021-11-15", "2021-11-22", threshold_km=5.0)
    conj = engine.screen(None, catalogue, start, stop, threshold_km=5.0)   # all-vs-all
    conj.sort().to_csv("conjunctions.csv")
    conj = conj.with_pc(hbr_km=0.0661)      # + Pc, its flags and method (assumed covariances)

Layout: this module holds screen() and its host loop, with the one backend switch
(_backend.implementation); _numpy.py and _cuda.py (the kernels/screen.cu launcher, backends
"cuda" and "host") define the same building blocks (close_pairs_all, close_pairs_one,
hermite_tca); _table.py holds the Conjunctions table.

Pipeline (every stage on the chosen backend; see screen()):

1. Perigee/apogee prefilter (one-vs-many): a secondary whose radius band cannot come within
   the threshold of the primary's band is dropped before it is propagated.
2. Time-stepped sampling with SGP4 in blocks of samples (memory stays bounded; each block
   carries one extra sample on each side so that minima at block edges are not lost). At each
   sample, pairs closer than the capture radius D are found: one-vs-many by a direct distance
   test, all-vs-all by sort-based cell lists of cell size D.
3. Bracketing: around each flagged sample, a minimum of the range is bracketed by the sign
   change of rho . rhodot (negative, then >= 0) between two consecutive samples, and located
   on the cubic Hermite interpolant of the relative position (positions and velocities of
   both objects at both ends).
4. Refinement with the propagator itself: g(t) = rho . rhodot = 0 with SGP4 states, one
   Newton step (g' = |rhodot|^2 + rho . rhoddot, two-body accelerations) then secant steps,
   all safeguarded by bisection inside the SGP4 bracket; TCA to < 1 us, miss from the SGP4
   states at TCA.

Capture rule (why no encounter under the threshold d slips between samples). Let the true
closest approach, miss d_min <= d, happen at TCA, and let the nearest sample be tau <= dt / 2
away. Over |t - TCA| <= tau the relative motion is a straight line at the relative speed
v <= v_max plus a curvature term of at most a_max tau^2 / 2, so the sampled range is at most
sqrt(d^2 + (v_max tau)^2) + a_max tau^2 / 2 (the straight-line part is Pythagoras: at TCA the
relative position is perpendicular to the relative velocity). Every such pair is therefore
flagged at that sample when

    D >= sqrt(d^2 + (v_max dt / 2)^2) + a_max (dt / 2)^2 / 2,

with v_max the sum of the two objects' largest two-body speeds (perigee speeds from the mean
elements, plus 2 %; about 15.5 km/s for two LEO objects head-on) and a_max a bound of the
relative (tidal) acceleration, 3 mu / r_E^3 * D (the gravity gradient's largest eigenvalue is
2 mu / r^3). Reference: the conjunction research notes of the project, section 1.4; the rule
reproduces SIMPLETON's published capture-guarantee table. The TCA then lies in one of the
two steps next to the flagged sample, where rho . rhodot changes sign from - to +; as long as
one step holds at most one extremum of the range (steps of minutes against relative-motion
periods of tens of minutes) the bracket cannot be missed. dt and D are chosen together:
a small dt means more SGP4 evaluations, a large one a larger D and more pairs to test.
One-vs-many tests every secondary's distance to the primary at every sample directly: that
costs O(M) per sample like building a grid would, without the sort, and it is complete by
the same rule; all-vs-all uses cell lists with cell size D, so any two objects within D sit
in the same or adjacent cells. Before the Hermite solve, a step whose straight-line
closest approach from the flagged state, less the curvature bound a_max h^2 / 2, stays
above the threshold (plus HERMITE_MARGIN_KM) is dropped: a lower bound, so nothing is lost.

Objects that SGP4 cannot propagate at some time (error codes 1-6, decayed included) are
excluded at those samples and listed in Conjunctions.excluded (with a RuntimeWarning).
Secondaries that are not in orbit at their epoch by the engine's one definition
(engine._orbits: a mean perigee at or below 120 km, where the decay model counts them as
re-entered) are not screened: they are listed in Conjunctions.excluded with code
engine.errors.REENTERED for every sample, without a warning (an outcome, not an error).
"""

from __future__ import annotations

import math
import threading
import warnings

import numpy as np

from .. import _backend, _parallel, _progress
from .. import errors as _errors
from .._orbits import IN_ORBIT, catalog_orbit_status
from ..catalog import Catalog
from ..constants import SECONDS_PER_DAY, SGP4_WGS72
from ..timeconv import datetime64_from_jd, jd_from_datetime64, to_datetime64
from ._table import _EXCLUDED_DTYPE, Conjunctions

__all__ = ["screen", "Conjunctions", "capture_radius"]

#: WGS-72 gravitational parameter, km^3/s^2 (SGP4's default model)
MU_KM3_S2 = SGP4_WGS72.mu
#: smallest radius an orbiting object can have, km (below it SGP4 reports decay, code 6)
R_EARTH_KM = SGP4_WGS72.radiusearthkm
#: relative speed margin on the two-body perigee speeds (SGP4 perturbations, decay)
SPEED_MARGIN = 1.02
#: a Hermite minimum this far above the threshold is still refined with SGP4: the
#: interpolant's position error is below 10 m for steps up to 120 s in LEO
HERMITE_MARGIN_KM = 1.0
#: Newton / secant on rho . rhodot stops when the correction is below this, s
TCA_TOLERANCE_S = 1e-7
MAX_TCA_ITERATIONS = 30
#: default sample steps, s: one-vs-many spends its time in SGP4 (fewer samples is faster),
#: all-vs-all in pair tests (a smaller capture radius is faster)
DEFAULT_STEP_ONE_S = 60.0
DEFAULT_STEP_ALL_S = 30.0
#: memory for one block of propagated states, bytes
BLOCK_BYTES = {"numpy": 256 << 20, "cuda": 4 << 30, "host": 256 << 20}
#: with a progress callback, a block holds at most 1/PROGRESS_BLOCKS of the samples
#: (reports every few per cent), but at least PROGRESS_MIN_SAMPLES: smaller blocks would
#: spend their time in per-call overhead rather than in SGP4 and the pair tests
PROGRESS_BLOCKS = 40
PROGRESS_MIN_SAMPLES = 32

def capture_radius(threshold_km: float, step_s: float, max_speed_kms: float) -> float:
    """Capture radius D, km, of the sampled screening (module docstring, capture rule).

    D = sqrt(d^2 + (v dt/2)^2) / (1 - k (dt/2)^2 / 2) with k = 3 mu / r_E^3: the implicit
    form of D >= sqrt(d^2 + (v dt/2)^2) + (k D) (dt/2)^2 / 2.

    Parameters
    ----------
    threshold_km : float
        Miss threshold d, km.
    step_s : float
        Sample step dt, s.
    max_speed_kms : float
        Bound v of the relative speed, km/s.

    Returns
    -------
    float
        D, km.

    Raises
    ------
    ValueError
        For a step too long for the rule (the curvature term would exceed half of D).
    """
    tau = 0.5 * step_s
    k = 3.0 * MU_KM3_S2 / R_EARTH_KM ** 3
    shrink = 1.0 - 0.5 * k * tau * tau
    if shrink <= 0.5:
        raise ValueError(f"step_s={step_s} s is too long for the capture rule; use a step below 600 s")
    return math.hypot(threshold_km, max_speed_kms * tau) / shrink


def _max_speed(cat: Catalog) -> float:
    """Largest two-body speed (perigee) over a catalogue, km/s, times SPEED_MARGIN."""
    if len(cat) == 0:
        return 0.0
    n = cat.no_kozai / 60.0  # rad/s
    a = (MU_KM3_S2 / (n * n)) ** (1.0 / 3.0)
    e = cat.ecco
    return float(np.max(np.sqrt(MU_KM3_S2 * (1.0 + e) / (a * (1.0 - e))))) * SPEED_MARGIN


def _radius_band(cat: Catalog, jd0, fr0, span_s, backend, threads):
    """(N,) lowest perigee and highest apogee radius, km, over the window: from the mean
    elements and from the osculating orbits at the window's start and end (which brackets
    the decay), widened by nothing (the caller adds the pad). NaN-free: objects SGP4
    cannot propagate at either end get (0, inf) and are never dropped."""
    n = cat.no_kozai / 60.0
    a = (MU_KM3_S2 / (n * n)) ** (1.0 / 3.0)
    q = a * (1.0 - cat.ecco)
    big_q = a * (1.0 + cat.ecco)
    e, r, v = cat.sgp4(np.full(2, jd0), fr0 + np.array([0.0, span_s / SECONDS_PER_DAY]), backend=backend,
                       to_host=True, threads=threads)
    with np.errstate(invalid="ignore", divide="ignore"):
        rn = np.linalg.norm(r, axis=2)
        vv = np.einsum("nmi,nmi->nm", v, v)
        ao = 1.0 / (2.0 / rn - vv / MU_KM3_S2)
        h = np.cross(r, v)
        ecc = np.sqrt(np.maximum(0.0, 1.0 - np.einsum("nmi,nmi->nm", h, h) / (MU_KM3_S2 * ao)))
    lo = np.minimum(q, np.min(ao * (1.0 - ecc), axis=1))
    hi = np.maximum(big_q, np.max(ao * (1.0 + ecc), axis=1))
    bad = (e != 0).any(axis=1) | ~np.isfinite(lo) | ~np.isfinite(hi) | (ao <= 0).any(axis=1)
    lo[bad] = 0.0
    hi[bad] = np.inf
    return lo, hi


class _Side:
    """One side of the screening: a catalogue, its role name and its sampled states."""

    def __init__(self, cat: Catalog, role: str, index: np.ndarray):
        self.cat = cat
        self.role = role
        self.index = index  # positions in the user's catalogue
        self.n_bad = np.zeros(len(cat), np.int64)
        self.first_bad = np.full(len(cat), -1, np.int64)  # sample index
        self.first_code = np.zeros(len(cat), np.uint8)

    def sample(self, jd, fr, own, b0, backend, threads):
        """States (N, M, 3) r km, v km/s at (jd, fr), NaN where SGP4 reports an error
        (codes 1-6), and what record() needs to count those errors per object over the
        block's own samples ``own`` (a slice; b0: global index of that slice's first sample).
        Nothing on the side changes here, so that blocks can run on threads."""
        e, r, v = self.cat.sgp4(jd, fr, backend=backend, threads=threads)
        bad = e != 0
        info = None
        if bool(bad.any()):
            r[bad] = np.nan
            v[bad] = np.nan
            # counted over the block's own samples only: the samples it shares with the
            # blocks next to it are theirs, so the counts do not depend on the block size
            bh = _backend.to_host(bad)[:, own]
            eh = _backend.to_host(e)[:, own]
            cnt = bh.sum(axis=1)
            first = np.argmax(bh, axis=1)
            info = (cnt, b0 + first, eh[np.arange(len(eh)), first])
        return r, v, info

    def record(self, info) -> None:
        """Add one block's error counts (from sample(); blocks in time order)."""
        if info is None:
            return
        cnt, first, code = info
        new = (cnt > 0) & (self.first_bad < 0)
        self.first_bad[new] = first[new]
        self.first_code[new] = code[new]
        self.n_bad += cnt

    def excluded(self, jd0, fr0, h):
        idx = np.flatnonzero(self.n_bad > 0)
        out = np.zeros(idx.size, _EXCLUDED_DTYPE)
        out["role"] = self.role
        out["index"] = self.index[idx]
        out["satnum"] = self.cat.satnum[idx]
        out["code"] = self.first_code[idx]
        out["n_samples"] = self.n_bad[idx]
        out["first_time"] = datetime64_from_jd(jd0, fr0 + self.first_bad[idx] * h / SECONDS_PER_DAY)
        return out


def _fallen(cat, idx, t0, nt):
    """Conjunctions.excluded rows of secondaries idx that are not in orbit: code
    engine.errors.REENTERED at all nt samples from t0."""
    out = np.zeros(idx.size, _EXCLUDED_DTYPE)
    out["role"] = "secondary"
    out["index"] = idx
    out["satnum"] = cat.satnum[idx]
    out["code"] = _errors.REENTERED
    out["n_samples"] = nt
    out["first_time"] = t0
    return out


def _check_inputs(primary, secondaries, start, stop, threshold_km, step_s, threads=None):
    problems = []
    if primary is not None and not isinstance(primary, Catalog):
        problems.append(f"primary: must be an engine.Catalog or None (all-vs-all), got {type(primary).__name__}")
    if not isinstance(secondaries, Catalog):
        problems.append(f"secondaries: must be an engine.Catalog, got {type(secondaries).__name__}; "
                        "load one with engine.load_tle or engine.load_omm")
    t = []
    for name, val in (("start", start), ("stop", stop)):
        try:
            a = to_datetime64(val)
            if a.ndim != 0:
                raise ValueError(f"a single time is needed, got shape {a.shape}")
            if np.isnat(a):
                raise ValueError("it is NaT")
            t.append(a)
        except ValueError as exc:
            problems.append(f"{name}: {exc}; give one ISO 8601 string or numpy.datetime64 (UTC)")
    if len(t) == 2 and not t[1] > t[0]:
        problems.append(f"stop: {t[1]} is not after start {t[0]}; give stop > start")
    try:
        d = float(threshold_km)
        if not (math.isfinite(d) and d > 0):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(f"threshold_km: {threshold_km!r} is not a positive number of km; e.g. threshold_km=5.0")
    if step_s is not None:
        try:
            s = float(step_s)
            if not (math.isfinite(s) and 0 < s <= 300):
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"step_s: {step_s!r} is not a step in seconds in (0, 300]; "
                            "leave it None for the default")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, (int, np.integer))
                                or threads < 1):
        problems.append(f"threads: {threads!r} is not a whole number of threads >= 1; e.g. threads=4, or None "
                        "for $DEBRIS_ENGINE_THREADS, else every usable core")
    if problems:
        raise ValueError("engine.screen: " + "; ".join(problems))
    return t[0], t[1]


def screen(primary, secondaries, start, stop, *, threshold_km: float = 5.0, step_s: float | None = None,
           prefilter_pad_km: float | None = 20.0, hbr_km: float | None = None,
           backend: str = "auto", progress=None, threads: int | None = None) -> "Conjunctions":
    """Find every closest approach closer than ``threshold_km`` between ``start`` and ``stop``.

    Parameters
    ----------
    primary : engine.Catalog or None
        K objects (usually one: one-vs-many), or None: all-vs-all among ``secondaries``
        (each unordered pair once, index primary < secondary).
    secondaries : engine.Catalog
        M objects. Propagation: SGP4/SDP4 of each catalogue's gravity model.
    start, stop : str or numpy.datetime64
        The window, ISO 8601 or datetime64, UTC.
    threshold_km : float
        Miss-distance threshold d, km.
    step_s : float or None
        Sample step dt, s, in (0, 300] (None: 60 s one-vs-many, 30 s all-vs-all); the
        capture radius follows from it (module docstring, :func:`capture_radius`).
    prefilter_pad_km : float or None
        Pad on the perigee/apogee prefilter (one-vs-many), km, on top of the threshold;
        None switches the prefilter off. The radius bands come from the mean elements and
        from the osculating orbits at both ends of the window, so decay is in the band;
        the pad covers SGP4 short-period terms (~10 km in LEO).
    hbr_km : float or None
        Combined hard-body radius, km; when given, the table carries the 2D probability of
        collision of every event with assumed covariances (Conjunctions.with_pc).
    backend : {"auto", "numpy", "cuda", "host"}
        "host": kernels/screen.cu and sgp4.cu compiled for the CPU.
    progress : callable or None
        progress(done, total), called after each block of samples (done, total: samples of
        the time grid, int; from the engine's threads, under a lock, with done increasing)
        and once more with done == total after refinement; engine._progress.callback adapts
        a bar. With it, blocks hold at most PROGRESS_BLOCKS-th of the grid (not fewer than
        PROGRESS_MIN_SAMPLES samples) so that the reports come often; results are the same.
    threads : int or None
        Worker threads of the NumPy backend: blocks of samples run on that many threads,
        each within BLOCK_BYTES["numpy"] / threads of memory; None: $DEBRIS_ENGINE_THREADS,
        else every usable core. The table is the same, bit for bit, for any value. Ignored
        by "cuda" and "host", whose kernels bring their own parallelism.

    Returns
    -------
    Conjunctions
        Local minima of the range strictly inside the window (a range still falling at
        ``stop`` is not an event), sorted by TCA. A pair of the same object (same catalogue
        number and epoch on both sides) is skipped. Host NumPy arrays on every backend: the
        refinement and the table are assembled on the host (a few values per event), and
        the device arrays of the sampling are freed block by block.

    Raises
    ------
    ValueError
        Naming each bad argument (catalogues, times, threshold_km, step_s, hbr_km,
        threads), before any work.
    engine.errors.BackendUnavailable
        For backend "cuda" or "host" on a machine that cannot run it.
    """
    t0, t1 = _check_inputs(primary, secondaries, start, stop, threshold_km, step_s, threads)
    if hbr_km is not None and not (isinstance(hbr_km, (int, float, np.floating, np.integer))
                                   and not isinstance(hbr_km, bool) and float(hbr_km) >= 0):
        raise ValueError(f"engine.screen: hbr_km: {hbr_km!r} is not a hard-body radius >= 0 km; "
                         "e.g. hbr_km=0.02 (20 m), or None for no probability of collision")
    name = _backend.resolve(backend)
    xp = _backend.xp(name)
    # the NumPy building blocks, or kernels/screen.cu on the device or on the CPU ("host")
    impl = _backend.implementation(__name__, name)
    # blocks of samples on threads where the implementation computes on the host in Python's
    # threads (NumPy); the kernel backends have their own parallelism and take one thread
    nthreads = (_parallel.threads("cores") if threads is None else int(threads)) if impl.BLOCK_THREADS else 1
    d = float(threshold_km)
    all_vs_all = primary is None
    dt = float(step_s) if step_s is not None else (DEFAULT_STEP_ALL_S if all_vs_all else DEFAULT_STEP_ONE_S)
    jd0, fr0 = (float(x) for x in jd_from_datetime64(t0))
    span = (t1 - t0) / np.timedelta64(1, "us") * 1e-6
    nt = int(math.ceil(span / dt - 1e-9)) + 1
    h = span / (nt - 1)

    # the engine's one definition of in orbit (engine._orbits): the others have re-entered
    flying = catalog_orbit_status(secondaries) == IN_ORBIT
    sec_index = np.flatnonzero(flying).astype(np.int64)
    fallen = _fallen(secondaries, np.flatnonzero(~flying), t0, nt)
    if all_vs_all:
        vmax = 2.0 * _max_speed(secondaries[sec_index])
    else:
        if prefilter_pad_km is not None and len(primary) and sec_index.size:
            plo, phi = _radius_band(primary, jd0, fr0, span, name, nthreads)
            slo, shi = _radius_band(secondaries[sec_index], jd0, fr0, span, name, nthreads)
            pad = d + float(prefilter_pad_km)
            keep = (slo - pad <= phi.max()) & (shi + pad >= plo.min())
            sec_index = sec_index[keep]
        vmax = _max_speed(primary) + _max_speed(secondaries[sec_index])
    # the whole catalogue when nothing is left out keeps its cached SGP4 initialisation
    sec = _Side(secondaries if sec_index.size == len(secondaries) else secondaries[sec_index],
                "secondary", sec_index)
    pri = sec if all_vs_all else _Side(primary, "primary", np.arange(len(primary), dtype=np.int64))
    radius = capture_radius(d, h, vmax) if vmax > 0 else d
    # relative (tidal) acceleration bound over a step, km/s^2 (module docstring)
    accel_bound = 3.0 * MU_KM3_S2 / R_EARTH_KM ** 3 * (radius + vmax * h)

    # same object on both sides (one-vs-many): skip those pairs
    same = None
    if not all_vs_all and len(sec.cat) and len(pri.cat):
        same_m = np.zeros(len(sec.cat), bool)
        for k in range(len(pri.cat)):
            same_m |= ((sec.cat.satnum == pri.cat.satnum[k]) & (sec.cat.jdsatepoch == pri.cat.jdsatepoch[k])
                       & (sec.cat.jdsatepochF == pri.cat.jdsatepochF[k]))
        if same_m.any():
            same = (pri.cat.satnum, sec.cat.satnum, same_m)

    n_obj = len(sec.cat) + (0 if all_vs_all else len(pri.cat))
    per_sample = max(1, n_obj) * 7 * 8 * 3  # r, v, e and temporaries
    # the memory bound holds for all threads together: each block gets its share of BLOCK_BYTES
    nb = int(max(2, min(impl.MAX_BLOCK_SAMPLES - 2, BLOCK_BYTES[name] // (per_sample * nthreads))))
    if progress is not None:
        nb = min(nb, max(PROGRESS_MIN_SAMPLES, -(-nt // PROGRESS_BLOCKS)))
    blocks = [(b0, min(nt, b0 + nb)) for b0 in range(0, nt, nb)]
    # blocks of samples on threads (NumPy), else SGP4's own threads inside each block; block 0
    # runs alone first (below), so the pool serves the others
    block_threads = min(nthreads, len(blocks) - 1)
    sgp4_threads = 1 if block_threads > 1 else nthreads
    # the last sample is reported after refinement, so a full bar means done
    tally = _progress.Tally(None if progress is None else (lambda done, total: progress(min(done, nt - 1), nt)), nt)
    found = [None] * len(blocks)

    def run_block(k):
        b0, b1 = blocks[k]
        lo, hi = max(0, b0 - 1), min(nt, b1 + 1)
        t = np.arange(lo, hi) * h
        jd = np.full(t.size, jd0)
        fr = fr0 + t / SECONDS_PER_DAY
        own = slice(b0 - lo, b1 - lo)
        rs, vs, bad_s = sec.sample(jd, fr, own, b0, name, sgp4_threads)
        rp, vp, bad_p = (rs, vs, None) if all_vs_all else pri.sample(jd, fr, own, b0, name, sgp4_threads)
        if all_vs_all:
            i, j, b = impl.close_pairs_all(rs[:, own], radius, backend=name)
        else:
            i, j, b = impl.close_pairs_one(rp[:, own], rs[:, own], radius, backend=name)
            if same is not None:
                ok = ~xp.asarray(same[2])[j] | (xp.asarray(same[0])[i] != xp.asarray(same[1])[j])
                i, j, b = i[ok], j[ok], b[ok]
        b = b + (b0 - lo)  # local sample index within the propagated block
        found[k] = (_brackets(impl, name, xp, rp, vp, rs, vs, i, j, b, h, d + HERMITE_MARGIN_KM, lo, accel_bound),
                    bad_s, bad_p)
        tally.add(b1 - b0)

    brackets = []
    if n_obj and (all_vs_all or (len(pri.cat) and len(sec.cat))):
        # block 0 first, alone: it builds each catalogue's SGP4 model (cached on the catalogue)
        # before threads share it
        run_block(0)
        _parallel.run_blocks(range(1, len(blocks)), run_block, block_threads)
        for cand_k, bad_s, bad_p in found:  # in time order, whatever order the threads ran in
            brackets.append(cand_k)
            sec.record(bad_s)
            if not all_vs_all:
                pri.record(bad_p)
    if brackets:
        cand = np.concatenate([c for c in brackets], axis=0)
    else:
        cand = np.zeros((0, 4))
    if cand.shape[0]:
        # one bracket per (pair, step), in (i, j, step) order: a pair flagged at both ends of a
        # step gives it twice, and the order must not depend on how samples were blocked
        _, u = np.unique(cand[:, :3].astype(np.int64), axis=0, return_index=True)
        cand = cand[u]
    res = _refine(pri.cat, sec.cat, cand, jd0, fr0, h, name, nthreads)
    if progress is not None:
        progress(nt, nt)
    excluded = np.concatenate([sec.excluded(jd0, fr0, h)] +
                              ([] if all_vs_all else [pri.excluded(jd0, fr0, h)]))
    excluded = np.concatenate([excluded, res.pop("excluded")])
    if excluded.size:
        warnings.warn(f"engine.screen: {excluded.size} object(s) could not be propagated at some "
                      "times and were excluded there (SGP4 error codes); see Conjunctions.excluded",
                      RuntimeWarning, stacklevel=2)
    excluded = np.concatenate([excluded, fallen])
    keep = res["miss_km"] <= d
    out = {k: v[keep] for k, v in res.items()}
    ip, js = out.pop("i"), out.pop("j")
    out["primary"] = pri.index[ip]
    out["secondary"] = sec.index[js]
    out["primary_satnum"] = pri.cat.satnum[ip]
    out["secondary_satnum"] = sec.cat.satnum[js]
    out["primary_name"] = pri.cat.name[ip]
    out["secondary_name"] = sec.cat.name[js]
    meta = dict(threshold_km=d, start=t0, stop=t1, step_s=h, capture_radius_km=radius,
                max_speed_kms=vmax, backend=name, excluded=excluded)
    conj = Conjunctions(**out, **meta).sort("tca")
    return conj if hbr_km is None else conj.with_pc(float(hbr_km), backend=name)


def _brackets(impl, name, xp, rp, vp, rs, vs, i, j, b, h, keep_km, lo, accel_bound):
    """Brackets of minima next to flagged samples: (K, 4) float64 host array of
    (i, j, global index of the step's first sample, Hermite TCA as a fraction of the step).

    A pair flagged at sample b (the sample nearest its TCA, by the capture rule) has its
    minimum in the next step when it is approaching there (rho . rhodot < 0), else in the
    previous one. Before the Hermite solve, a step is dropped when even the straight line
    from the state at b, minus the curvature bound accel_bound h^2 / 2 (km), stays above
    keep_km over the whole step.
    """
    nloc = rs.shape[1]
    p = rs[j, b] - rp[i, b]
    w = vs[j, b] - vp[i, b]
    f = (p * w).sum(axis=1)
    left = xp.where(f < 0, b, b - 1)
    ww = (w * w).sum(axis=1)
    t_lo = (left - b) * h
    tau = xp.clip(-f / xp.where(ww > 0, ww, 1.0), t_lo, t_lo + h)
    dlin = xp.sqrt(((p + tau[:, None] * w) ** 2).sum(axis=1))
    ok = (left >= 0) & (left + 1 < nloc) & (dlin - 0.5 * accel_bound * h * h <= keep_km)
    ii, jj, kk = i[ok], j[ok], left[ok]
    if ii.size == 0:
        return np.zeros((0, 4))
    p0 = rs[jj, kk] - rp[ii, kk]
    w0 = vs[jj, kk] - vp[ii, kk]
    p1 = rs[jj, kk + 1] - rp[ii, kk + 1]
    w1 = vs[jj, kk + 1] - vp[ii, kk + 1]
    m = ((p0 * w0).sum(axis=1) < 0) & ((p1 * w1).sum(axis=1) >= 0)
    if not bool(m.any()):
        return np.zeros((0, 4))
    s, dmin = impl.hermite_tca(p0[m], w0[m], p1[m], w1[m], xp.full(int(m.sum()), h), backend=name)
    k = dmin <= keep_km
    out = xp.stack([ii[m][k].astype(xp.float64), jj[m][k].astype(xp.float64),
                    (kk[m][k] + lo).astype(xp.float64), s[k]], axis=1)
    return _backend.to_host(out)


def _states(ca: Catalog, cb: Catalog, base_a, base_b, t, backend, threads):
    ta = (base_a + t / 60.0)[:, None]
    tb = (base_b + t / 60.0)[:, None]
    ea, ra, va = ca.sgp4_tsince(ta, backend=backend, to_host=True, threads=threads)
    eb, rb, vb = cb.sgp4_tsince(tb, backend=backend, to_host=True, threads=threads)
    return ea[:, 0], ra[:, 0], va[:, 0], eb[:, 0], rb[:, 0], vb[:, 0]


def _refine(cat_p: Catalog, cat_s: Catalog, cand: np.ndarray, jd0, fr0, h, backend, threads) -> dict:
    """SGP4 root of rho . rhodot inside each bracket; states and derived quantities at TCA."""
    i = cand[:, 0].astype(np.int64)
    j = cand[:, 1].astype(np.int64)
    k = cand[:, 2]
    ca, cb = cat_p[i], cat_s[j]
    # minutes since each object's epoch at the window start, as python-sgp4 forms them
    base_a = (jd0 - ca.jdsatepoch) * 1440.0 + (fr0 - ca.jdsatepochF) * 1440.0
    base_b = (jd0 - cb.jdsatepoch) * 1440.0 + (fr0 - cb.jdsatepochF) * 1440.0
    lo = k * h
    hi = (k + 1.0) * h
    t = lo + cand[:, 3] * h
    active = np.ones(len(t), bool)
    t_prev = np.full(len(t), np.nan)
    g_prev = np.full(len(t), np.nan)
    for it in range(MAX_TCA_ITERATIONS):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        ea, ra, va, eb, rb, vb = _states(ca[idx], cb[idx], base_a[idx], base_b[idx], t[idx], backend, threads)
        rho, w = rb - ra, vb - va
        g = np.einsum("ij,ij->i", rho, w)
        ta = t[idx]
        la = np.where(g < 0, ta, lo[idx])
        ha = np.where(g < 0, hi[idx], ta)
        with np.errstate(invalid="ignore", divide="ignore"):
            if it == 0:
                # Newton with g' = |rhodot|^2 + rho . rhoddot, two-body accelerations
                acc = (-MU_KM3_S2 * rb / np.linalg.norm(rb, axis=1, keepdims=True) ** 3
                       + MU_KM3_S2 * ra / np.linalg.norm(ra, axis=1, keepdims=True) ** 3)
                gp = np.einsum("ij,ij->i", w, w) + np.einsum("ij,ij->i", rho, acc)
            else:  # secant on the SGP4 values themselves: superlinear whatever the model
                gp = (g - g_prev[idx]) / (ta - t_prev[idx])
            tn = ta - g / gp
        tn = np.where((tn >= la) & (tn <= ha) & np.isfinite(tn), tn, 0.5 * (la + ha))
        done = (np.abs(tn - ta) < TCA_TOLERANCE_S) | ~np.isfinite(g)
        t_prev[idx], g_prev[idx] = ta, g
        lo[idx], hi[idx], t[idx] = la, ha, tn
        active[idx[done]] = False
    ea, ra, va, eb, rb, vb = _states(ca, cb, base_a, base_b, t, backend, threads)
    bad = (ea != 0) | (eb != 0)
    excl = []
    for role, cat, idx, e in (("primary", ca, i, ea), ("secondary", cb, j, eb)):
        for n in np.flatnonzero(e != 0):
            rec = np.zeros(1, _EXCLUDED_DTYPE)
            rec["role"], rec["index"], rec["satnum"] = role, idx[n], cat.satnum[n]
            rec["code"], rec["n_samples"] = e[n], 1
            rec["first_time"] = datetime64_from_jd(jd0, fr0 + t[n] / SECONDS_PER_DAY)
            excl.append(rec)
    rho, w = rb - ra, vb - va
    miss = np.linalg.norm(rho, axis=1)
    miss[bad] = np.inf
    rhat = ra / np.linalg.norm(ra, axis=1, keepdims=True)
    nvec = np.cross(ra, va)
    nhat = nvec / np.linalg.norm(nvec, axis=1, keepdims=True)
    that = np.cross(nhat, rhat)
    cosang = np.einsum("ij,ij->i", va, vb) / (np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1))
    total = fr0 + t / SECONDS_PER_DAY
    whole = np.floor(total)
    tca_jd, tca_fr = jd0 + whole, total - whole
    return dict(
        i=i, j=j, tca=datetime64_from_jd(tca_jd, tca_fr), tca_jd=tca_jd, tca_fr=tca_fr,
        miss_km=miss, vrel_kms=np.linalg.norm(w, axis=1),
        miss_r_km=np.einsum("ij,ij->i", rho, rhat), miss_t_km=np.einsum("ij,ij->i", rho, that),
        miss_n_km=np.einsum("ij,ij->i", rho, nhat),
        approach_angle_deg=np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0))),
        r_primary=ra, v_primary=va, r_secondary=rb, v_secondary=vb,
        dse_primary=(base_a + t / 60.0) / 1440.0, dse_secondary=(base_b + t / 60.0) / 1440.0,
        excluded=np.concatenate(excl) if excl else np.zeros(0, _EXCLUDED_DTYPE),
    )
