"""Conjunction screening: engine.screen and the engine.Conjunctions table.

    conj = engine.screen(iss, cloud, "2021-11-15", "2021-11-22", threshold_km=5.0)
    conj = engine.screen(None, catalogue, start, stop, threshold_km=5.0)   # all-vs-all
    conj.sort().to_csv("conjunctions.csv")
    conj = conj.with_pc(hbr_km=0.0661)      # + Pc, its flags and method (assumed covariances)

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

import csv
import math
import warnings

import numpy as np

from . import _backend
from . import errors as _errors
from ._orbits import IN_ORBIT, catalog_orbit_status
from .constants import SECONDS_PER_DAY, SGP4_WGS72
from .catalog import Catalog
from .timeconv import datetime64_from_jd, jd_from_datetime64, to_datetime64

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

_EXCLUDED_DTYPE = np.dtype([("role", "U9"), ("index", np.int64), ("satnum", np.int64),
                            ("code", np.uint8), ("n_samples", np.int64),
                            ("first_time", "datetime64[us]")])


def capture_radius(threshold_km: float, step_s: float, max_speed_kms: float) -> float:
    """Capture radius D, km, for a miss threshold d (km), sample step dt (s) and relative speed
    bound v (km/s): D = (sqrt(d^2 + (v dt/2)^2)) / (1 - k (dt/2)^2 / 2) with k = 3 mu / r_E^3,
    the implicit form of D >= sqrt(d^2 + (v dt/2)^2) + (k D) (dt/2)^2 / 2 (module docstring)."""
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


def _radius_band(cat: Catalog, jd0, fr0, span_s, backend):
    """(N,) lowest perigee and highest apogee radius, km, over the window: from the mean
    elements and from the osculating orbits at the window's start and end (which brackets
    the decay), widened by nothing (the caller adds the pad). NaN-free: objects SGP4
    cannot propagate at either end get (0, inf) and are never dropped."""
    n = cat.no_kozai / 60.0
    a = (MU_KM3_S2 / (n * n)) ** (1.0 / 3.0)
    q = a * (1.0 - cat.ecco)
    big_q = a * (1.0 + cat.ecco)
    e, r, v = cat.sgp4(np.full(2, jd0), fr0 + np.array([0.0, span_s / SECONDS_PER_DAY]), backend=backend, to_host=True)
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

    def sample(self, jd, fr, b0, backend):
        """States (N, M, 3) r km, v km/s at (jd, fr); NaN where SGP4 reports an error
        (codes 1-6), which are counted per object (b0: global index of sample 0)."""
        e, r, v = self.cat.sgp4(jd, fr, backend=backend)
        bad = e != 0
        if bool(bad.any()):
            r[bad] = np.nan
            v[bad] = np.nan
            bh = _backend.to_host(bad)
            eh = _backend.to_host(e)
            cnt = bh.sum(axis=1)
            first = np.argmax(bh, axis=1)
            new = (cnt > 0) & (self.first_bad < 0)
            self.first_bad[new] = b0 + first[new]
            self.first_code[new] = eh[new, first[new]]
            self.n_bad += cnt
        return r, v

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


def _check_inputs(primary, secondaries, start, stop, threshold_km, step_s):
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
    if problems:
        raise ValueError("engine.screen: " + "; ".join(problems))
    return t[0], t[1]


def screen(primary, secondaries, start, stop, *, threshold_km: float = 5.0, step_s: float | None = None,
           prefilter_pad_km: float | None = 20.0, hbr_km: float | None = None,
           backend: str = "auto", progress=None) -> "Conjunctions":
    """Find every closest approach closer than ``threshold_km`` between ``start`` and ``stop``.

    primary: engine.Catalog (K objects, usually one: one-vs-many) or None: all-vs-all among
        ``secondaries`` (each unordered pair once, index primary < secondary).
    secondaries: engine.Catalog (M objects). Propagation: SGP4/SDP4 of each catalogue's model.
    start, stop: ISO 8601 strings or numpy.datetime64, UTC.
    threshold_km: miss-distance threshold d, km.
    step_s: sample step dt, s (default 60 s one-vs-many, 30 s all-vs-all); the capture radius
        follows from it (module docstring, :func:`capture_radius`).
    prefilter_pad_km: pad on the perigee/apogee prefilter (one-vs-many), km, on top of the
        threshold; None switches the prefilter off. The radius bands come from the mean
        elements and from the osculating orbits at both ends of the window, so decay is in
        the band; the pad covers SGP4 short-period terms (~10 km in LEO).
    hbr_km: combined hard-body radius, km; when given, the table carries the 2D probability
        of collision of every event with assumed covariances (Conjunctions.with_pc).
    backend: "auto" | "numpy" | "cuda" | "host" (kernels/screen.cu and sgp4.cu on the CPU).
    progress: None or a callable progress(done, total), called from the host loop after
        each block of samples (done, total: samples of the time grid, int) and once more
        with done == total after refinement; engine._progress.callback adapts a bar. With
        it, blocks hold at most PROGRESS_BLOCKS-th of the grid (not fewer than
        PROGRESS_MIN_SAMPLES samples) so that the reports come often; results are the same.

    Returns :class:`Conjunctions` (local minima of the range strictly inside the window; a
    range still falling at ``stop`` is not an event), sorted by TCA. A pair of the same
    object (same catalogue number and epoch on both sides) is skipped.
    Raises ValueError naming each bad argument.
    """
    t0, t1 = _check_inputs(primary, secondaries, start, stop, threshold_km, step_s)
    if hbr_km is not None and not (isinstance(hbr_km, (int, float, np.floating, np.integer))
                                   and not isinstance(hbr_km, bool) and float(hbr_km) >= 0):
        raise ValueError(f"engine.screen: hbr_km: {hbr_km!r} is not a hard-body radius >= 0 km; "
                         "e.g. hbr_km=0.02 (20 m), or None for no probability of collision")
    name = _backend.resolve(backend)
    xp = _backend.xp(name)
    if name in _backend.KERNEL_BACKENDS:
        from ._screen_cuda import Screen

        impl = Screen(name)  # kernels/screen.cu on the device, or on the CPU ("host")
    else:
        from . import _screen_numpy as impl
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
            plo, phi = _radius_band(primary, jd0, fr0, span, name)
            slo, shi = _radius_band(secondaries[sec_index], jd0, fr0, span, name)
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
    nb = int(max(2, min(impl.MAX_BLOCK_SAMPLES - 2, BLOCK_BYTES[name] // per_sample)))
    if progress is not None:
        nb = min(nb, max(PROGRESS_MIN_SAMPLES, -(-nt // PROGRESS_BLOCKS)))
    brackets = []
    if n_obj and (all_vs_all or (len(pri.cat) and len(sec.cat))):
        for b0 in range(0, nt, nb):
            b1 = min(nt, b0 + nb)
            lo, hi = max(0, b0 - 1), min(nt, b1 + 1)
            t = np.arange(lo, hi) * h
            jd = np.full(t.size, jd0)
            fr = fr0 + t / SECONDS_PER_DAY
            rs, vs = sec.sample(jd, fr, lo, name)
            rp, vp = (rs, vs) if all_vs_all else pri.sample(jd, fr, lo, name)
            own = slice(b0 - lo, b1 - lo)
            if all_vs_all:
                i, j, b = impl.close_pairs_all(rs[:, own], radius)
            else:
                i, j, b = impl.close_pairs_one(rp[:, own], rs[:, own], radius)
                if same is not None:
                    ok = ~xp.asarray(same[2])[j] | (xp.asarray(same[0])[i] != xp.asarray(same[1])[j])
                    i, j, b = i[ok], j[ok], b[ok]
            b = b + (b0 - lo)  # local sample index within the propagated block
            brackets.append(_brackets(impl, xp, rp, vp, rs, vs, i, j, b, h, d + HERMITE_MARGIN_KM, lo,
                                      accel_bound))
            if progress is not None:
                # the last sample is reported after refinement, so a full bar means done
                progress(min(b1, nt - 1), nt)
    if brackets:
        cand = np.concatenate([c for c in brackets], axis=0)
    else:
        cand = np.zeros((0, 4))
    if cand.shape[0]:
        _, u = np.unique(cand[:, :3].astype(np.int64), axis=0, return_index=True)
        cand = cand[np.sort(u)]
    res = _refine(pri.cat, sec.cat, cand, jd0, fr0, h, name)
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


def _brackets(impl, xp, rp, vp, rs, vs, i, j, b, h, keep_km, lo, accel_bound):
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
    s, dmin = impl.hermite_tca(p0[m], w0[m], p1[m], w1[m], xp.full(int(m.sum()), h))
    k = dmin <= keep_km
    out = xp.stack([ii[m][k].astype(xp.float64), jj[m][k].astype(xp.float64),
                    (kk[m][k] + lo).astype(xp.float64), s[k]], axis=1)
    return _backend.to_host(out)


def _states(ca: Catalog, cb: Catalog, base_a, base_b, t, backend):
    ta = (base_a + t / 60.0)[:, None]
    tb = (base_b + t / 60.0)[:, None]
    ea, ra, va = ca.sgp4_tsince(ta, backend=backend, to_host=True)
    eb, rb, vb = cb.sgp4_tsince(tb, backend=backend, to_host=True)
    return ea[:, 0], ra[:, 0], va[:, 0], eb[:, 0], rb[:, 0], vb[:, 0]


def _refine(cat_p: Catalog, cat_s: Catalog, cand: np.ndarray, jd0, fr0, h, backend) -> dict:
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
        ea, ra, va, eb, rb, vb = _states(ca[idx], cb[idx], base_a[idx], base_b[idx], t[idx], backend)
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
    ea, ra, va, eb, rb, vb = _states(ca, cb, base_a, base_b, t, backend)
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


class Conjunctions:
    """Closest approaches as a struct of arrays (K events), host NumPy arrays.

    Per event (K,):
        primary, secondary           int64 indices in the primary / secondary catalogue (the
                                     one catalogue for all-vs-all, primary < secondary)
        primary_satnum, secondary_satnum  int64 catalogue (NORAD) numbers
        primary_name, secondary_name str object names ('' when the catalogue has none)
        tca                          datetime64[us] time of closest approach, UTC
        tca_jd, tca_fr               float64 the same as a split Julian date (sub-us precision)
        miss_km                      float64 miss distance, km
        vrel_kms                     float64 relative speed at TCA, km/s
        miss_r_km, miss_t_km, miss_n_km  float64 secondary - primary position in the primary's
                                     RTN frame (R = r/|r|, N = r x v/|r x v|, T = N x R), km
        approach_angle_deg           float64 angle between the two velocity vectors, deg
        r_primary, v_primary, r_secondary, v_secondary  (K, 3) float64 TEME states at TCA,
                                     km and km/s
        dse_primary, dse_secondary   float64 days since each element set's epoch at TCA
    Probability of collision (present after :meth:`with_pc`, or screen(..., hbr_km=...);
    None before):
        pc                           float64 2D probability of collision (engine.pc.foster)
        pc_flags                     uint8 bit field of engine.pc.FLAGS (SLOW, LONG, OFFSET:
                                     the 2D method's assumptions are doubtful; NPD;
                                     ASSUMED_COVARIANCE)
        hbr_km                       float64 combined hard-body radius used, km
        covariance_assumed           bool, True where a covariance is an assumed default
                                     (element sets carry none), not an estimate
    and the metadata pc_method (CCSDS COLLISION_PROBABILITY_METHOD text, "FOSTER-1992").
    Screening metadata: threshold_km, start, stop (datetime64[us]), step_s, capture_radius_km,
    max_speed_kms, backend, excluded (structured array: role, index, satnum, code,
    n_samples, first_time of objects SGP4 could not propagate at some samples).
    """

    FIELDS = ("primary", "secondary", "primary_satnum", "secondary_satnum", "primary_name",
              "secondary_name", "tca", "tca_jd", "tca_fr", "miss_km", "vrel_kms", "miss_r_km",
              "miss_t_km", "miss_n_km", "approach_angle_deg", "r_primary", "v_primary",
              "r_secondary", "v_secondary", "dse_primary", "dse_secondary")
    #: per-event probability-of-collision fields: all present (with_pc) or all None
    PC_FIELDS = ("pc", "pc_flags", "hbr_km", "covariance_assumed")
    META = ("threshold_km", "start", "stop", "step_s", "capture_radius_km", "max_speed_kms",
            "backend", "excluded", "pc_method")

    #: SOCRATES-like CSV columns (the first nine as in CelesTrak's SOCRATES CSV)
    CSV_COLUMNS = ("NORAD_CAT_ID_1", "OBJECT_NAME_1", "DSE_1", "NORAD_CAT_ID_2", "OBJECT_NAME_2",
                   "DSE_2", "TCA", "TCA_RANGE", "TCA_RELATIVE_SPEED", "TCA_RANGE_R", "TCA_RANGE_T",
                   "TCA_RANGE_N", "APPROACH_ANGLE")

    def __init__(self, **fields):
        missing = [k for k in self.FIELDS if k not in fields]
        unknown = sorted(set(fields) - set(self.FIELDS) - set(self.PC_FIELDS) - set(self.META))
        if missing or unknown:
            raise ValueError(f"Conjunctions: missing fields {missing}, unknown fields {unknown}")
        given = [k for k in self.PC_FIELDS if fields.get(k) is not None]
        if given and len(given) != len(self.PC_FIELDS):
            raise ValueError(f"Conjunctions: probability fields {given} given without "
                             f"{[k for k in self.PC_FIELDS if k not in given]}; give all of "
                             f"{self.PC_FIELDS} (Conjunctions.with_pc does) or none")
        n = len(fields["miss_km"])
        for k in self.FIELDS + (self.PC_FIELDS if given else ()):
            a = np.asarray(fields[k])
            if a.shape[:1] != (n,):
                raise ValueError(f"Conjunctions: field {k} has shape {a.shape}, expected ({n}, ...)")
            setattr(self, k, a)
        if not given:
            for k in self.PC_FIELDS:
                setattr(self, k, None)
        for k in self.META:
            setattr(self, k, fields.get(k))
        if self.excluded is None:
            self.excluded = np.zeros(0, _EXCLUDED_DTYPE)

    def __len__(self) -> int:
        return len(self.miss_km)

    def __getitem__(self, key) -> "Conjunctions":
        """Rows by int, slice, boolean mask or index array; always a Conjunctions."""
        if isinstance(key, (int, np.integer)):
            n = len(self)
            if not -n <= key < n:
                raise IndexError(f"index {key} is out of range for {n} conjunctions")
            key = slice(key % n, key % n + 1)
        return Conjunctions(**{k: getattr(self, k)[key] for k in self._fields()},
                            **{k: getattr(self, k) for k in self.META})

    @property
    def has_pc(self) -> bool:
        """True when the table carries the probability-of-collision fields (with_pc)."""
        return self.pc is not None

    def _fields(self) -> tuple:
        return self.FIELDS + (self.PC_FIELDS if self.has_pc else ())

    def sort(self, by: str = "miss_km") -> "Conjunctions":
        """A copy sorted by one field (default: miss distance, closest first; stable).
        by="pc" sorts by probability, smallest first: use sort("pc")[::-1] for the largest."""
        if by not in self._fields() or getattr(self, by).ndim != 1:
            raise ValueError(f"sort: by={by!r} is not a per-event field; use one of "
                             "'miss_km', 'tca', 'vrel_kms', 'primary_satnum', ... ('pc' after with_pc)")
        return self[np.argsort(getattr(self, by), kind="stable")]

    def with_pc(self, hbr_km, *, cov_primary=None, cov_secondary=None, backend: str = "auto") -> "Conjunctions":
        """A copy carrying the 2D probability of collision of every event (fields pc,
        pc_flags, hbr_km, covariance_assumed, metadata pc_method).

        hbr_km: combined hard-body radius of the two objects, km: scalar or (K,).
        cov_primary, cov_secondary: None (default) or (3, 3), (6, 6), (K, 3, 3), (K, 6, 6)
            position(-velocity) covariances, km^2, in the TEME frame of the table's states.
            None: element sets carry no covariance, so each object gets
            engine.pc.default_covariance for its |days since epoch| at TCA, and the events
            are marked covariance_assumed (flag ASSUMED_COVARIANCE).
        backend: "auto" | "numpy" | "cuda" (the fields come back as host arrays).
        Method: engine.pc.foster (Foster & Estes 1992), see engine.pc.for_conjunctions.
        Raises ValueError naming the field and the rows when an input is bad, before any work.
        """
        from . import pc as pcmod

        res = pcmod.for_conjunctions(self, hbr_km, cov_primary=cov_primary, cov_secondary=cov_secondary,
                                     backend=backend)
        flags = _backend.to_host(res.flags).astype(np.uint8)
        hbr = np.broadcast_to(np.asarray(hbr_km, dtype=np.float64), (len(self),)).copy()
        return Conjunctions(**{k: getattr(self, k) for k in self.FIELDS},
                            pc=np.asarray(_backend.to_host(res.pc), dtype=np.float64), pc_flags=flags,
                            hbr_km=hbr, covariance_assumed=(flags & pcmod.FLAG_ASSUMED_COVARIANCE) != 0,
                            **{k: getattr(self, k) for k in self.META if k != "pc_method"},
                            pc_method=res.method)

    def pc_flag_text(self, i: int) -> str:
        """Names of the engine.pc flags of event i joined by '|' ('' when none), e.g. 'LONG|ASSUMED_COVARIANCE'."""
        from .pc import FLAGS

        f = int(self.pc_flags[i])
        return "|".join(name for bit, (name, _) in FLAGS.items() if f & bit)

    def to_dict(self) -> dict:
        """Per-event fields as a dict of arrays (3-vectors split into _x, _y, _z columns);
        with the probability fields, also pc_method (text) for every event."""
        out = {}
        for k in self._fields():
            a = getattr(self, k)
            if a.ndim == 2:
                for c, ax in enumerate("xyz"):
                    out[f"{k}_{ax}"] = a[:, c]
            else:
                out[k] = a
        if self.has_pc:
            out["pc_method"] = np.full(len(self), self.pc_method)
        return out

    #: columns added by the probability fields (with_pc)
    CSV_PC_COLUMNS = ("PC", "PC_METHOD", "HBR", "COVARIANCE", "PC_FLAGS")

    def to_csv(self, path) -> None:
        """Write a SOCRATES-like CSV: NORAD_CAT_ID_1, OBJECT_NAME_1, DSE_1 (days since epoch),
        the same for object 2, TCA ('YYYY-MM-DD hh:mm:ss.sss' UTC), TCA_RANGE (km),
        TCA_RELATIVE_SPEED (km/s), then TCA_RANGE_R/T/N (km, primary's RTN frame) and
        APPROACH_ANGLE (deg). Object 1 is the primary. With the probability fields
        (with_pc) also PC (7 significant digits), PC_METHOD (e.g. FOSTER-1992), HBR (combined
        hard-body radius, km), COVARIANCE ('ASSUMED': engine.pc.default_covariance, or
        'GIVEN') and PC_FLAGS (engine.pc.FLAGS names joined by '|')."""
        tca = np.datetime_as_string(self.tca.astype("datetime64[ms]"), unit="ms")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(self.CSV_COLUMNS + (self.CSV_PC_COLUMNS if self.has_pc else ()))
            for n in range(len(self)):
                row = [int(self.primary_satnum[n]), self.primary_name[n], f"{self.dse_primary[n]:.3f}",
                       int(self.secondary_satnum[n]), self.secondary_name[n],
                       f"{self.dse_secondary[n]:.3f}", tca[n].replace("T", " "),
                       f"{self.miss_km[n]:.3f}", f"{self.vrel_kms[n]:.3f}", f"{self.miss_r_km[n]:.3f}",
                       f"{self.miss_t_km[n]:.3f}", f"{self.miss_n_km[n]:.3f}",
                       f"{self.approach_angle_deg[n]:.2f}"]
                if self.has_pc:
                    row += [f"{self.pc[n]:.6e}", self.pc_method, f"{self.hbr_km[n]:.6g}",
                            "ASSUMED" if self.covariance_assumed[n] else "GIVEN", self.pc_flag_text(n)]
                w.writerow(row)

    def to_parquet(self, path) -> None:
        """Write every per-event field (to_dict columns) to a Parquet file; needs pyarrow."""
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise ImportError("Conjunctions.to_parquet needs pyarrow: pip install pyarrow "
                              "(or use to_csv)") from exc
        pq.write_table(pa.table({k: pa.array(v) for k, v in self.to_dict().items()}), path)

    def __repr__(self) -> str:
        n = len(self)
        s = f"Conjunctions({n} event{'s' if n != 1 else ''}"
        if n:
            s += f", miss {self.miss_km.min():.3f}..{self.miss_km.max():.3f} km"
        if n and self.has_pc:
            top = np.nanmax(self.pc) if np.isfinite(self.pc).any() else float("nan")
            s += f", largest Pc {top:.2e} ({self.pc_method})"
        if self.threshold_km is not None:
            s += f", threshold {self.threshold_km:g} km, {self.start} .. {self.stop} UTC"
        return s + ")"
