"""Risk a debris cloud adds over its life, for the ISS and any other target (kinetic-gas model).

    res = engine.longterm.decay(frags, start, stop, record_days=7)   # elements every week
    hist = engine.exposure.history_from_decay(res, frags.to_host().lc)
    # or any history: CloudHistory(times, a_km, ecco, inclo, alive, lc_m)  # (T,), 4 x (T, N), (N,)
    tg = engine.exposure.Targets.iss()       # or Targets.from_catalog(engine.load_tle(path), area_m2=10.0)
    ex = engine.exposure.exposure(hist, tg)
    ex.impacts_per_orbit[:, 0, 1]            # (T,) the ISS, fragments >= 1 cm
    print(ex.answer(0, lc_m=0.01).line)      # how long, and when below the pre-event background
    ex.ranking(lc_m=0.1)                     # which targets carry most of the cloud's risk

    ens = engine.exposure.ensemble([hist_seed0, hist_seed1, ...], tg)
    ens.band("impacts_per_orbit", target=0, lc_m=0.01)   # median, 5 % and 95 % per sample time

The input is the cloud's history: the mean elements (a, e, i) of every fragment at
sample times (daily or weekly) and whether it is still in orbit, as a long-term decay
propagation gives them. At every sample time the flux each fragment puts on each target
is the kinetic-gas flux (reference breakup.md section 5.1, as in engine.risk) averaged
over both orbits:

    F = sum over cells c of  f_t(c) x sum_i  w_i f_i(c) / V(c) x <|v_t - v_i|>_c

with cells c = altitude shell x latitude band around the target's orbit, f(c) the
fraction of time an orbit spends in the cell (engine.risk.time_fraction_radius times
engine.risk.time_fraction_latitude: mean anomaly uniform in time, argument of latitude
and node uniform because J2 precession spreads them over weeks), V(c) the cell's volume
(engine.risk.cell_volumes), w_i the fragment's weight and <|v_t - v_i|> the relative
speed averaged over the ways the fragment can cross the cell (engine.risk.mean_relative_speed:
north- and south-going, climbing and descending). The target's own four ways of crossing
the cell give the same mean (reflecting the local north or up axis maps the fragment's four
states onto themselves), so one target state per cell is enough. This is the orbit average
of the target's flux, the quantity a day- or week-scale figure needs; it differs from a
flux along one propagated path (engine.risk.flux) by the target's position in its orbit,
which averages out over days.

Derived figures, for each target and each size class (fragments with characteristic
length lc >= the class's threshold):

- expected impacts per orbit = F x A x P (A the target's cross-section, P its period);
- expected approaches within d km per day = F x pi d^2 x 86,400 s: the rate at which
  fragments cross a disc of radius d moving with the target, the same kinetic-gas
  assumption (fragment density uniform over d around the target, straight-line relative
  motion, fragments independent of the target's phase); it holds for d well below the
  cloud's thickness (tens to hundreds of km) and says nothing about which fragment;
- cumulative expected impacts since the first sample (trapezoidal rule over time).

The targets keep their elements over the horizon (stations are reboosted; pass the
elements a target is kept at). Checked in tests/test_exposure.py against a Monte Carlo
of random positions and velocities on both orbits (not the kinetic-gas formulas) and
against exact invariants.

Units: km, km/s, km^3 inside; flux reported per m^2 per s.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import events, risk
from ._orbits import MU_KM3_S2, RE_KM, aei_of, j2_radius_offset
from .io import BadRecord, BadRecordsWarning
from .timeconv import to_datetime64

__all__ = ["CloudHistory", "Targets", "Exposure", "Answer", "EnsembleExposure", "exposure", "ensemble",
           "history_from_decay", "object_flux", "SHELL_KM", "LAT_BAND_DEG", "LC_CLASSES_M", "APPROACH_KM", "STOP_FRACTION"]

#: largest width of the altitude shells that cover the target's radial range (km): a finite
#: cloud's density is rough on the km scale (each orbit's is singular at its perigee and
#: apogee); on 1,500 Cosmos-like orbits at the ISS, 2 km shells are within 0.3 % of 0.25 km
#: ones, 5 km shells 1.3 %
SHELL_KM = 2.0
#: largest width of the latitude bands that cover the target's latitudes (deg)
LAT_BAND_DEG = 2.5
#: most shells per target (an eccentric target gets wider shells instead of more)
MAX_SHELLS = 32
#: relative speeds are evaluated once per this many km of the target's radial range: over
#: +-10 km both speeds change by 0.07 % (v ~ r^-1/2), below the cells' discretization
VREL_KM = 20.0
#: size classes reported by default: fragments with lc >= 10 cm (the catalogued ones)
#: and >= 1 cm (m)
LC_CLASSES_M = (0.10, 0.01)
#: approach distances reported by default (km): operators' screening volumes
APPROACH_KM = (10.0, 1.0)
#: objects per chunk in object_flux (its (chunk, cells) temporaries stay tens of MB)
CHUNK = 8192
#: the cloud's life ends, for these figures, when fewer than this fraction of its
#: fragments (weighted) remain in orbit
STOP_FRACTION = 0.01
_DAY_S = 86_400.0


# ----------------------------------------------------------------------------------
# inputs


@dataclass
class CloudHistory:
    """A cloud's mean elements at T sample times for N fragments.

    Parameters
    ----------
    times : (T,) datetime64[us]
        Strictly increasing, UTC; times[0] is the start of the figures (e.g. the event)
        and the first week is counted from it.
    a_km, ecco, inclo : (T, N) float64
        Mean semi-major axis (km; the radius averaged over the short-period terms, as
        engine._orbits.aei_of gives for a Catalog), eccentricity, inclination (rad).
        Values where alive is False are not read.
    alive : (T, N) bool
        The fragment is in orbit at that time.
    lc_m : (N,) float64
        Characteristic length (m), for the size classes.
    weights : (N,) float64, optional
        How many real fragments each one stands for (default 1; a sample of a larger
        cloud carries 1 / its sampling fraction, engine.scenario.represent). Every count
        and rate (remaining, the flux and all that derives from it) is the weighted sum.
    label : str, optional
        What the history is (e.g. "seed 3, 1,750 kg"), for reports.

    Attributes
    ----------
    bad : tuple of engine.io.BadRecord
        The fragments left out, with the field and the fix.

    Raises
    ------
    ValueError
        Inconsistent shapes or times; weights that are not finite and > 0 (naming the
        fragments, since leaving a fragment out would bias every count of a sample
        silently).

    Warns
    -----
    BadRecordsWarning
        Fragments whose values are unusable (non-finite or out-of-range elements while
        alive, lc not positive finite) are reported once (listed in .bad with the field and
        the fix) and left out (alive set to False, weight 0); the rest are kept.
    """

    times: np.ndarray
    a_km: np.ndarray
    ecco: np.ndarray
    inclo: np.ndarray
    alive: np.ndarray
    lc_m: np.ndarray
    weights: np.ndarray | None = None
    label: str = ""
    bad: tuple = field(default=(), repr=False)

    def __post_init__(self):
        self.times = to_datetime64(self.times).astype("datetime64[us]")
        a = np.array(self.a_km, dtype=np.float64, ndmin=2)
        e = np.array(self.ecco, dtype=np.float64, ndmin=2)
        i = np.array(self.inclo, dtype=np.float64, ndmin=2)
        alive = np.array(self.alive, dtype=bool, ndmin=2)
        lc = np.array(self.lc_m, dtype=np.float64, ndmin=1)
        w = np.ones(lc.shape) if self.weights is None else np.array(self.weights, dtype=np.float64, ndmin=1)
        problems = []
        if self.times.ndim != 1 or self.times.size < 1:
            problems.append("times must be a (T,) array of at least one time")
        elif np.any(np.isnat(self.times)) or np.any(np.diff(self.times) <= np.timedelta64(0, "us")):
            problems.append("times must be strictly increasing, without NaT")
        t = self.times.shape[0] if self.times.ndim == 1 else -1
        shape = (t, lc.shape[0])
        for name, arr in (("a_km", a), ("ecco", e), ("inclo", i), ("alive", alive)):
            if arr.shape != shape:
                problems.append(f"{name} has shape {arr.shape}, expected (T, N) = {shape} "
                                "(T = len(times), N = len(lc_m))")
        if lc.ndim != 1 or w.shape != lc.shape:
            problems.append(f"lc_m and weights must both be (N,), got {lc.shape} and {w.shape}")
        if problems:
            raise ValueError("CloudHistory: " + "; ".join(problems))
        with np.errstate(invalid="ignore"):
            wrong = np.flatnonzero(~(np.isfinite(w) & (w > 0)))
        if wrong.size:
            shown = ", ".join(f"fragment {j} ({w[j]!r})" for j in wrong[:5])
            raise ValueError(f"CloudHistory{' ' + self.label if self.label else ''}: weights must be finite and > 0 "
                             f"(the number of real fragments each stands for); {wrong.size} are not: {shown}"
                             f"{' ...' if wrong.size > 5 else ''}; give 1 for a complete cloud, 1 / the sampling "
                             "fraction for a sample, and leave out the fragments that stand for none")
        bad = []

        def flag(mask, field_, problem, fix):
            for j in np.nonzero(mask)[0]:
                bad.append(BadRecord(int(j) + 1, 0, None, field_, problem, fix))

        with np.errstate(invalid="ignore"):
            flag(np.any(alive & ~(np.isfinite(a) & (a > 0)), axis=0), "a_km",
                 "not a positive finite semi-major axis while alive", "give km, or mark the fragment not alive")
            flag(np.any(alive & ~((e >= 0) & (e < 1)), axis=0), "ecco",
                 "eccentricity outside [0, 1) while alive", "give bound orbits, or mark the fragment not alive")
            flag(np.any(alive & ~((i >= 0) & (i <= math.pi)), axis=0), "inclo",
                 "inclination outside [0, pi] rad while alive", "give radians")
            flag(~(np.isfinite(lc) & (lc > 0)), "lc_m", "not a positive finite length", "give metres")
        if bad:
            out = np.zeros(lc.shape, dtype=bool)
            out[[b.record - 1 for b in bad]] = True
            alive = alive & ~out[None, :]
            w = np.where(out, 0.0, w)
            lc = np.where(out, 0.0, lc)
            n = int(out.sum())
            shown = "; ".join(f"fragment {b.record - 1}: {b.field} {b.problem} ({b.fix})" for b in bad[:5])
            warnings.warn(f"CloudHistory{' ' + self.label if self.label else ''}: {n} of {lc.size} fragments "
                          f"left out: {shown}{' ...' if len(bad) > 5 else ''} (all in .bad)",
                          BadRecordsWarning, stacklevel=3)
        self.a_km, self.ecco, self.inclo, self.alive, self.lc_m, self.weights = a, e, i, alive, lc, w
        self.bad = tuple(bad)

    def __len__(self) -> int:
        return int(self.lc_m.shape[0])

    def remaining(self) -> np.ndarray:
        """Weighted fraction of the first sample's fragments still in orbit.

        Returns
        -------
        (T,) float64
            NumPy (host) array: the history itself is held in NumPy.
        """
        tot = self.alive.astype(np.float64) @ self.weights
        return tot / tot[0] if tot[0] > 0 else np.zeros_like(tot)

    @classmethod
    def from_snapshots(cls, times, objects, lc_m, *, weights=None, label: str = "") -> "CloudHistory":
        """From one set of objects per time.

        Parameters
        ----------
        times : (T,) datetime64 or what engine.timeconv.to_datetime64 takes
            Sample times, UTC, strictly increasing.
        objects : list of T objects
            What engine.risk takes (engine.Catalog, engine.Fragments or (a_km, e, i_rad)),
            each with the same N fragments in the same order; unbound or NaN ones count as
            not alive.
        lc_m : (N,) float64
            Characteristic lengths (m).
        weights : (N,) float64, optional
            As for CloudHistory.
        label : str, optional
            As for CloudHistory.

        Returns
        -------
        CloudHistory
            Its arrays are NumPy (host) arrays whatever the objects: a history is a small
            per-sample table read on the host.
        """
        els = [aei_of(o) for o in objects]
        a, e, i = (np.stack([x[k] for x in els]) for k in range(3))
        with np.errstate(invalid="ignore"):
            alive = np.isfinite(a) & (a > 0) & (e < 1)
        return cls(times, a, e, i, alive, lc_m, weights, label)


def history_from_decay(result, lc_m, *, weights=None, label: str = "") -> CloudHistory:
    """The CloudHistory of an engine.longterm.decay run made with record_days.

    Parameters
    ----------
    result : engine.longterm.DecayResult
        A result with .history (decay run with record_days).
    lc_m : (N,) float64
        The fragments' characteristic lengths (m; e.g. Fragments.lc, in the order given to
        decay).
    weights : (N,) float64, optional
        As for CloudHistory.
    label : str, optional
        As for CloudHistory.

    Returns
    -------
    CloudHistory
        NumPy (host) arrays, as decay's recorded history is.

    Raises
    ------
    ValueError
        The result has no recorded elements (decay was run without record_days).

    Notes
    -----
    The decay model's mean semi-major axis becomes the radius convention
    of CloudHistory by adding the mean short-period J2 offset of the radius that decay
    itself flies (engine._orbits.j2_radius_offset; -10 to +5 km in LEO), so that the
    shells the fragments are counted in are those decay's re-entry test uses (to within
    e x the offset, < 0.1 km for the cloud's e < 0.01).
    """
    hist = getattr(result, "history", None)
    if hist is None:
        raise ValueError("result has no recorded elements; run engine.longterm.decay(..., record_days=7) "
                         "(or another spacing in days)")
    a = np.asarray(hist["a_km"], dtype=np.float64)
    inc = np.asarray(hist["inclo"], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        a_r = a + j2_radius_offset(a, np.sin(inc))
    return CloudHistory(hist["times"], a_r, np.asarray(hist["ecco"], dtype=np.float64), inc, hist["alive"],
                        lc_m, weights, label)


@dataclass
class Targets:
    """K spacecraft whose risk is computed.

    Parameters
    ----------
    names : (K,) str
        Target names.
    a_km, ecco, inclo : (K,) float64
        Mean elements (km, -, rad; the same convention as CloudHistory).
    area_m2 : (K,) float64 or float
        Cross-section for impacts (m^2).
    satnum : (K,) int64, optional
        Catalogue numbers (0 where unknown).
    source : str, optional
        Where the elements and areas come from.

    Raises
    ------
    ValueError
        Shapes unlike names, or elements and areas out of range (naming the target, the
        field and the fix).
    """

    names: np.ndarray
    a_km: np.ndarray
    ecco: np.ndarray
    inclo: np.ndarray
    area_m2: np.ndarray
    satnum: np.ndarray | None = None
    source: str = ""

    def __post_init__(self):
        self.names = np.array(self.names, dtype=str, ndmin=1)
        k = self.names.shape[0]
        self.a_km, self.ecco, self.inclo = (np.array(x, dtype=np.float64, ndmin=1)
                                            for x in (self.a_km, self.ecco, self.inclo))
        self.area_m2 = np.broadcast_to(np.array(self.area_m2, dtype=np.float64), (k,)).copy()
        self.satnum = (np.zeros(k, dtype=np.int64) if self.satnum is None
                       else np.array(self.satnum, dtype=np.int64, ndmin=1))
        problems = []
        for name in ("a_km", "ecco", "inclo", "satnum"):
            if getattr(self, name).shape != (k,):
                problems.append(f"{name} has shape {getattr(self, name).shape}, expected ({k},) like names")
        if problems:
            raise ValueError("Targets: " + "; ".join(problems))
        with np.errstate(invalid="ignore"):
            checks = [("a_km", ~(np.isfinite(self.a_km) & (self.a_km * (1 - self.ecco) > RE_KM)),
                       "perigee below the Earth's surface or not finite", "give the target's mean elements in km"),
                      ("ecco", ~((self.ecco >= 0) & (self.ecco < 1)), "outside [0, 1)", "give a bound orbit"),
                      ("inclo", ~((self.inclo >= 0) & (self.inclo <= math.pi)), "outside [0, pi] rad", "give radians"),
                      ("area_m2", ~(np.isfinite(self.area_m2) & (self.area_m2 > 0)), "not a positive area",
                       "give the cross-section in m^2")]
        msgs = [f"target {j} ({self.names[j] or self.satnum[j]}): {f} {p}; {fix}"
                for f, mask, p, fix in checks for j in np.nonzero(mask)[0]]
        if msgs:
            raise ValueError("Targets: " + "; ".join(msgs))

    def __len__(self) -> int:
        return int(self.names.shape[0])

    @property
    def period_s(self) -> np.ndarray:
        """(K,) orbital period (s) of the mean semi-major axis."""
        return 2.0 * math.pi * np.sqrt(self.a_km**3 / MU_KM3_S2)

    @classmethod
    def from_catalog(cls, cat, *, area_m2, source: str = "") -> "Targets":
        """From an engine.Catalog: names and numbers from the catalogue, a, e, i from its
        SGP4 mean elements (engine._orbits.aei_of).

        Parameters
        ----------
        cat : engine.Catalog
            K objects, e.g. engine.load_tle or engine.load_omm of the user's file.
        area_m2 : float or (K,) float64
            Cross-sections (m^2); required, because the ranking of targets depends on it
            (1.0 ranks by flux per m^2).
        source : str, optional
            Where the elements and areas come from.

        Returns
        -------
        Targets
            NumPy (host) arrays: K targets are a small table.
        """
        a, e, i = aei_of(cat)
        names = np.array([str(n).strip() or str(int(s)) for n, s in zip(cat.name, cat.satnum)])
        return cls(names, a, e, i, area_m2, np.asarray(cat.satnum, dtype=np.int64), source)

    @classmethod
    def concatenate(cls, targets) -> "Targets":
        """One Targets of several in order.

        Parameters
        ----------
        targets : non-empty iterable of Targets
            E.g. [Targets.iss(), Targets.from_catalog(engine.load_tle(path), area_m2=10.0)].

        Returns
        -------
        Targets
            All targets in order; sources joined by "; ".

        Raises
        ------
        TypeError
            An empty list, or an item that is not a Targets.
        """
        ts = list(targets)
        if not ts or not all(isinstance(t, Targets) for t in ts):
            raise TypeError("concatenate takes a non-empty list of engine.exposure.Targets")
        return cls(*(np.concatenate([getattr(t, f) for t in ts])
                     for f in ("names", "a_km", "ecco", "inclo", "area_m2", "satnum")),
                   source="; ".join(t.source for t in ts if t.source))

    @classmethod
    def iss(cls, *, area_m2: float | None = None) -> "Targets":
        """The ISS: element set of 15 Nov 2021 (engine.events.ISS_2021_11_15_TLE).

        Parameters
        ----------
        area_m2 : float, optional
            Cross-section (m^2); default engine.events.ISS_CROSS_SECTION_M2 (an
            assumption, see there).

        Returns
        -------
        Targets
            One target.
        """
        return cls.from_catalog(events.iss(), area_m2=events.ISS_CROSS_SECTION_M2 if area_m2 is None else area_m2,
                                source="ISS element set of 15 Nov 2021 (US Space Force catalogue via CelesTrak)")


# ----------------------------------------------------------------------------------
# the flux of one fragment on one target, both orbit-averaged


def _cells(a_t, e_t, i_t, shell_km, lat_band_deg):
    """Shell radii edges (R+1,) km and latitude edges (L+1,) rad covering the target's orbit."""
    rp, ra = a_t * (1.0 - e_t), a_t * (1.0 + e_t)
    span = ra - rp
    if span < shell_km:
        # one shell of the nominal width around a (near-)circular target's radius
        r_edges = np.array([0.5 * (rp + ra) - 0.5 * shell_km, 0.5 * (rp + ra) + 0.5 * shell_km])
    else:
        r_edges = np.linspace(rp, ra, min(MAX_SHELLS, math.ceil(span / shell_km)) + 1)
    # bands end at the target's highest latitude, where its own latitude density is singular
    reach = max(min(i_t, math.pi - i_t), math.radians(0.5 * lat_band_deg))
    nl = 2 * max(1, math.ceil(math.degrees(reach) / lat_band_deg))   # even: mirror pairs of bands
    return r_edges, np.linspace(-reach, reach, nl + 1)


def _target_states(rc, phi, a_t, e_t, i_t):
    """Target position (C, 3) km and velocity (C, 3) km/s at radius rc and latitude phi
    (C,), at longitude 0, north-going and climbing (the other three give the same mean
    relative speed: see the module docstring)."""
    cp, sp = np.cos(phi), np.sin(phi)
    r = np.stack([rc * cp, np.zeros_like(rc), rc * sp], axis=1)
    speed = np.sqrt(MU_KM3_S2 * (2.0 / rc - 1.0 / a_t))
    cos_g = np.clip(math.sqrt(MU_KM3_S2 * a_t * (1.0 - e_t * e_t)) / (rc * speed), -1.0, 1.0)
    sin_az = np.clip(math.cos(i_t) / cp, -1.0, 1.0)
    hor, up = speed * cos_g, speed * np.sqrt(1.0 - cos_g**2)
    ve, vn = hor * sin_az, hor * np.sqrt(1.0 - sin_az**2)
    # east (0, 1, 0), north (-sin phi, 0, cos phi), up (cos phi, 0, sin phi)
    v = np.stack([-vn * sp + up * cp, ve, vn * cp + up * sp], axis=1)
    return r, v


def object_flux(target, a, e, inc, *, shell_km: float = SHELL_KM, lat_band_deg: float = LAT_BAND_DEG) -> np.ndarray:
    """Orbit-averaged flux (objects/km^2/s) that each object puts on one target.

    See the module docstring for the model.

    Parameters
    ----------
    target : (a_km, ecco, inclo) floats
        The target's orbit (km, -, rad).
    a, e, inc : (N,) float64
        Objects' mean semi-major axes (km), eccentricities, inclinations (rad).
    shell_km, lat_band_deg : float, optional
        Largest cell sizes (km, deg) of the altitude x latitude cells that cover the
        target's orbit.

    Returns
    -------
    (N,) float64
        Flux (objects/km^2/s), zero for objects whose orbits do not reach the target's
        cells. A NumPy (host) array: this model runs in NumPy only.
    """
    a_t, e_t, i_t = (float(x) for x in target)
    a, e, inc = (np.asarray(x, dtype=np.float64) for x in (a, e, inc))
    r_edges, lat = _cells(a_t, e_t, i_t, shell_km, lat_band_deg)
    out = np.zeros(a.shape)
    # objects whose radius range misses the target's shells contribute nothing
    near = (a * (1.0 - e) < r_edges[-1]) & (a * (1.0 + e) > r_edges[0])
    if not near.any():
        return out
    idx = np.flatnonzero(near)
    for s in range(0, idx.size, CHUNK):
        sl = idx[s:s + CHUNK]
        out[sl] = _flux_of((a_t, e_t, i_t), r_edges, lat, a[sl], e[sl], inc[sl])
    return out


def _flux_of(target, r_edges, lat, a, e, inc):
    """object_flux of objects a, e, inc (n,) that reach the target's cells (r_edges, lat)."""
    a_t, e_t, i_t = target
    fr_t = risk.time_fraction_radius(r_edges[:-1], r_edges[1:], a_t, e_t)              # (R,)
    fl_t = risk.time_fraction_latitude(lat[:-1], lat[1:], i_t)                         # (L,)
    fr = risk.time_fraction_radius(r_edges[None, :-1], r_edges[None, 1:], a[:, None], e[:, None])   # (N, R)
    fl = risk.time_fraction_latitude(lat[None, :-1], lat[None, 1:], inc[:, None])                   # (N, L)
    vol = risk.cell_volumes(r_edges - RE_KM, np.degrees(lat))                          # (R, L)
    nr, nl = vol.shape
    # relative speeds: at VREL_KM-wide groups of shells (one radius for a near-circular
    # target), and on the northern bands only, mirrored: reflecting through the equator maps
    # the target's and the object's crossing states at -phi onto those at +phi
    shell_mid = 0.5 * (r_edges[:-1] + r_edges[1:])
    ng = min(nr, max(1, math.ceil((r_edges[-1] - r_edges[0]) / VREL_KM)))
    group = np.minimum(((shell_mid - r_edges[0]) / (r_edges[-1] - r_edges[0]) * ng).astype(int), ng - 1)
    r_group = np.array([shell_mid[group == g].mean() for g in range(ng)])
    north = np.arange(nl // 2, nl)                      # bands with centre >= 0 (bands are symmetric)
    lo, hi = lat[:-1][north], lat[1:][north]
    rc = np.repeat(r_group, north.size)
    phi = np.tile(0.5 * (lo + hi), ng)
    vrel = risk.mean_relative_speed(*_target_states(rc, phi, a_t, e_t, i_t), a, e, inc)    # (G x L/2, N)
    miss = np.isnan(vrel)
    if miss.any():
        # the object turns back inside the band and cannot reach its centre: take its speed at
        # the band's equator-side edge, which it reaches (its fraction there is what is counted)
        v2 = risk.mean_relative_speed(*_target_states(rc, np.tile(np.maximum(lo, 0.0), ng), a_t, e_t, i_t),
                                      a, e, inc)
        vrel = np.where(miss, v2, vrel)
    vrel = np.nan_to_num(vrel).reshape(ng, north.size, -1)                             # (G, L/2, N)
    member = (group[:, None] == np.arange(ng)[None, :]).astype(np.float64)            # (R, G)
    w_cell = (fr_t[:, None] * fl_t[None, :]) / vol                                     # (R, L) 1/km^3
    dens = np.einsum("rl,nr,rg->ngl", w_cell, fr, member) * fl[:, None, :]             # (N, G, L)
    return np.einsum("ngl,gln->n", dens[:, :, north] + dens[:, :, nl - 1 - north], vrel)


# ----------------------------------------------------------------------------------
# risk over time


@dataclass
class Answer:
    """The one-line answer for one target and size class.

    Attributes
    ----------
    target : str
        The target's name.
    lc_m : float
        The size class (fragments >= lc_m, m).
    first_week_per_orbit : float
        Mean expected impacts per orbit over the first 7 days.
    fraction : float
        The stated fraction f of it.
    days_above_fraction : float or None
        Days from times[0] until the rate falls below f x first_week_per_orbit for the
        last time (linear interpolation between samples); None when still above at the
        end (horizon_days).
    background_per_orbit : float or None
        The caller's pre-event background (expected events per orbit), None when not given.
    below_background : numpy.datetime64
        The time after which the cloud's rate stays below it (times[0] when never above
        it), NaT when still above at the end.
    horizon_days : float
        Days from times[0] to the last sample.
    line : str
        The answer in words, saying what each compared number is.
    """

    target: str
    lc_m: float
    first_week_per_orbit: float
    fraction: float
    days_above_fraction: float | None
    background_per_orbit: float | None
    below_background: np.datetime64
    horizon_days: float
    line: str


def _last_crossing(days, rate, level):
    """Days at which rate falls below level for the last time: 0 when never at or above,
    None when at or above at the last sample; linear interpolation in between."""
    above = np.nonzero(rate >= level)[0]
    if above.size == 0:
        return 0.0
    k = int(above[-1])
    if k == rate.size - 1:
        return None
    r0, r1 = rate[k], rate[k + 1]
    return float(days[k] + (days[k + 1] - days[k]) * (r0 - level) / (r0 - r1))


@dataclass
class Exposure:
    """Risk a cloud adds to K targets at T sample times, for S size classes and D distances.

    All arrays are NumPy (host) arrays: small per-time, per-target tables.

    Attributes
    ----------
    times : (T,) datetime64[us]
        Sample times, UTC.
    remaining : (T,) float64
        Weighted fraction of the cloud in orbit.
    names : (K,) str
        Target names.
    area_m2 : (K,) float64
        Cross-sections (m^2).
    period_s : (K,) float64
        Orbital periods (s).
    lc_classes_m : (S,) float64
        Size thresholds (m).
    approach_km : (D,) float64
        Approach distances (km).
    flux_per_m2_s : (T, K, S) float64
        Orbit-averaged flux (per m^2 per s) of fragments with lc >= lc_classes_m[s].
    impacts_per_orbit : (T, K, S) float64
        Flux x area x period.
    approaches_per_day : (T, K, S, D) float64
        Flux x pi d^2 x 86,400 s.
    cumulative_impacts : (T, K, S) float64
        Expected impacts since times[0] (trapezoidal rule).
    label : str
        The history's label.
    """

    times: np.ndarray
    remaining: np.ndarray
    names: np.ndarray
    area_m2: np.ndarray
    period_s: np.ndarray
    lc_classes_m: np.ndarray
    approach_km: np.ndarray
    flux_per_m2_s: np.ndarray
    impacts_per_orbit: np.ndarray
    approaches_per_day: np.ndarray
    cumulative_impacts: np.ndarray
    label: str = ""

    @property
    def days(self) -> np.ndarray:
        """(T,) float64 days since times[0]."""
        return (self.times - self.times[0]) / np.timedelta64(1, "D")

    def _index(self, target, lc_m):
        """(k, s): index of target (index or name) and of the size class lc_m."""
        if isinstance(target, (int, np.integer)) and 0 <= int(target) < len(self.names):
            k = int(target)
        else:
            hit = np.nonzero(self.names == str(target))[0]
            if isinstance(target, (int, np.integer)) or hit.size == 0:
                raise ValueError(f"target {target!r} is not one of {list(self.names)}; give its index or name")
            k = int(hit[0])
        s = np.nonzero(np.isclose(self.lc_classes_m, lc_m, rtol=1e-9, atol=0))[0]
        if s.size == 0:
            raise ValueError(f"lc_m={lc_m!r} is not a computed size class {list(self.lc_classes_m)}; "
                             "pass it in lc_classes_m")
        return k, int(s[0])

    def answer(self, target=0, *, lc_m: float = 0.01, fraction: float = 0.1,
               background_per_orbit: float | None = None) -> Answer:
        """How long the cloud adds more than `fraction` of its first-week risk to `target`,
        and when its added risk falls below background_per_orbit.

        Parameters
        ----------
        target : int or str, optional
            Index or name of the target (default 0).
        lc_m : float, optional
            Size class (m): fragments >= lc_m; one of lc_classes_m.
        fraction : float, optional
            Fraction of the first-week risk, in (0, 1).
        background_per_orbit : float, optional
            Expected events per orbit before the event; for the ISS
            engine.scenario.NASA_ISS_PENETRATION_PER_ORBIT_BEFORE is NASA's penetration
            risk, which counts penetrations by debris and meteoroids of every size: the
            comparison is then between the cloud's impacts of fragments >= lc_m and that
            figure, and the line says so.

        Returns
        -------
        Answer
            The figures and the line in words.

        Raises
        ------
        ValueError
            fraction outside (0, 1), a background that is not a positive number, an unknown
            target or size class, or a history shorter than 7 days.
        """
        if not (0.0 < fraction < 1.0):
            raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
        if background_per_orbit is not None and not (math.isfinite(background_per_orbit)
                                                     and background_per_orbit > 0):
            raise ValueError(f"background_per_orbit must be a positive number of events per orbit, "
                             f"got {background_per_orbit!r}")
        k, s = self._index(target, lc_m)
        days = self.days
        if days[-1] < 7.0:
            raise ValueError(f"the history covers {days[-1]:g} days; the first-week level needs at least 7")
        week_orbits = 7.0 * _DAY_S / self.period_s[k]
        first = float(np.interp(7.0, days, self.cumulative_impacts[:, k, s])) / week_orbits
        rate = self.impacts_per_orbit[:, k, s]
        above = _last_crossing(days, rate, fraction * first) if first > 0 else 0.0
        name, horizon = str(self.names[k]), float(days[-1])
        size = f"fragments >= {lc_m * 100:g} cm"
        txt = (f"{name}, {size}: first-week risk {first:.2e} expected impacts per orbit; the cloud adds more than "
               f"{fraction:.0%} of it for " + (f"{above:.0f} days" if above is not None
                                               else f"more than the {horizon:.0f} days computed"))
        below = np.datetime64("NaT", "us")
        if background_per_orbit is not None:
            d = _last_crossing(days, rate, background_per_orbit)
            if d is not None:
                below = self.times[0] + np.timedelta64(int(round(d * _DAY_S * 1e6)), "us")
            bg = f"{background_per_orbit:.2e} per orbit (the pre-event background given)"
            if d is None:
                txt += f"; its expected impacts per orbit ({size}) stay above {bg} over the {horizon:.0f} days computed"
            elif d == 0.0:
                txt += f"; its expected impacts per orbit ({size}) stay below {bg} throughout"
            else:
                txt += f"; its expected impacts per orbit ({size}) fall below {bg} for good on {str(below)[:10]}"
        return Answer(name, float(lc_m), first, float(fraction), above, background_per_orbit, below, horizon, txt)

    def ranking(self, *, lc_m: float = 0.01) -> list[tuple[str, float, float]]:
        """Targets by cumulative expected impacts over the whole history, largest first.

        Parameters
        ----------
        lc_m : float, optional
            Size class (m): fragments >= lc_m; one of lc_classes_m.

        Returns
        -------
        list of (str, float, float)
            (name, expected impacts, share of the sum over targets), K entries.

        Raises
        ------
        ValueError
            lc_m is not a computed size class.
        """
        _, s = self._index(0, lc_m)
        tot = self.cumulative_impacts[-1, :, s]
        share = tot / tot.sum() if tot.sum() > 0 else np.zeros_like(tot)
        order = np.argsort(-tot, kind="stable")
        return [(str(self.names[k]), float(tot[k]), float(share[k])) for k in order]


def _check_options(lc_classes_m, approach_km, stop_fraction):
    lc = np.array(lc_classes_m, dtype=np.float64, ndmin=1)
    d = np.array(approach_km, dtype=np.float64, ndmin=1)
    if lc.ndim != 1 or not np.all(np.isfinite(lc) & (lc > 0)):
        raise ValueError(f"lc_classes_m must be positive lengths in m, got {lc_classes_m!r}")
    if d.ndim != 1 or not np.all(np.isfinite(d) & (d > 0)):
        raise ValueError(f"approach_km must be positive distances in km, got {approach_km!r}")
    if stop_fraction is not None and not 0.0 <= stop_fraction < 1.0:
        raise ValueError(f"stop_fraction must be in [0, 1) or None, got {stop_fraction!r}")
    return lc, d


def exposure(history: CloudHistory, targets: Targets, *, lc_classes_m=LC_CLASSES_M, approach_km=APPROACH_KM,
             stop_fraction: float | None = STOP_FRACTION, shell_km: float = SHELL_KM,
             lat_band_deg: float = LAT_BAND_DEG) -> Exposure:
    """Risk the cloud of `history` adds to each of `targets` at each sample time.

    Parameters
    ----------
    history : CloudHistory
        T samples of N fragments.
    targets : Targets
        K targets.
    lc_classes_m : (S,) float64, optional
        Size thresholds (m).
    approach_km : (D,) float64, optional
        Approach distances (km).
    stop_fraction : float or None, optional
        The figures end at the first sample where fewer than this weighted fraction of the
        first sample's fragments remain (None: every sample).
    shell_km, lat_band_deg : float, optional
        Cell sizes (km, deg) of object_flux.

    Returns
    -------
    Exposure
        NumPy (host) arrays: per-time, per-target tables computed in NumPy.

    Raises
    ------
    TypeError
        history or targets of the wrong type.
    ValueError
        Size thresholds or distances that are not positive, stop_fraction outside [0, 1).
    """
    if not isinstance(history, CloudHistory):
        raise TypeError(f"history must be an engine.exposure.CloudHistory, got {type(history).__name__}")
    if not isinstance(targets, Targets):
        raise TypeError(f"targets must be an engine.exposure.Targets (e.g. Targets.iss() or "
                        f"Targets.from_catalog(cat, area_m2=...)), got {type(targets).__name__}")
    lc, dist = _check_options(lc_classes_m, approach_km, stop_fraction)
    rem = history.remaining()
    t = len(rem)
    if stop_fraction is not None and stop_fraction > 0:
        low = np.nonzero(rem < stop_fraction)[0]
        t = int(low[0]) + 1 if low.size else t
    k_n, s_n = len(targets), lc.size
    cls = history.lc_m[None, :] >= lc[:, None]                      # (S, N)
    wc = np.where(cls, history.weights[None, :], 0.0)               # (S, N)
    flux = np.zeros((t, k_n, s_n))
    for j in range(t):
        alive = np.nonzero(history.alive[j])[0]
        if alive.size == 0:
            continue
        a, e, i = history.a_km[j, alive], history.ecco[j, alive], history.inclo[j, alive]
        for k in range(k_n):
            f = object_flux((targets.a_km[k], targets.ecco[k], targets.inclo[k]), a, e, i,
                            shell_km=shell_km, lat_band_deg=lat_band_deg)
            flux[j, k] = wc[:, alive] @ f
    flux_m2 = flux * 1e-6                                           # per km^2 -> per m^2
    rate = flux_m2 * targets.area_m2[None, :, None]                 # impacts per second
    dt = np.diff((history.times[:t] - history.times[0]) / np.timedelta64(1, "s"))
    cum = np.concatenate([np.zeros((1, k_n, s_n)), np.cumsum(0.5 * (rate[1:] + rate[:-1]) * dt[:, None, None], axis=0)])
    return Exposure(
        times=history.times[:t].copy(), remaining=rem[:t], names=targets.names.copy(),
        area_m2=targets.area_m2.copy(), period_s=targets.period_s, lc_classes_m=lc, approach_km=dist,
        flux_per_m2_s=flux_m2, impacts_per_orbit=rate * targets.period_s[None, :, None],
        approaches_per_day=flux[..., None] * (math.pi * dist**2 * _DAY_S),
        cumulative_impacts=cum, label=history.label)


# ----------------------------------------------------------------------------------
# ensembles


_QUANTITIES = ("flux_per_m2_s", "impacts_per_orbit", "approaches_per_day", "cumulative_impacts")


@dataclass
class EnsembleExposure:
    """Exposures of M ensemble members (seeds and assumptions) on one time grid.

    band() gives median and 5-95 % per sample time; answers() the distribution of the
    one-line answers.

    Attributes
    ----------
    members : list of M Exposure
        All with the same times, targets, classes and distances (sample times up to the
        first where every member has fewer than stop_fraction of its fragments left).
    """

    members: list

    @property
    def times(self) -> np.ndarray:
        return self.members[0].times

    def band(self, quantity: str = "impacts_per_orbit", target=0, *, lc_m: float = 0.01,
             approach_km: float | None = None) -> dict:
        """Median and 5-95 % over the members of one quantity, per sample time.

        Parameters
        ----------
        quantity : str, optional
            One of flux_per_m2_s, impacts_per_orbit, approaches_per_day (give
            approach_km), cumulative_impacts.
        target : int or str, optional
            Index or name of the target.
        lc_m : float, optional
            Size class (m): fragments >= lc_m.
        approach_km : float, optional
            Approach distance (km), for approaches_per_day.

        Returns
        -------
        dict
            {"median", "p05", "p95"}: (T,) float64 NumPy (host) percentiles.

        Raises
        ------
        ValueError
            An unknown quantity, target, size class or distance.
        """
        if quantity not in _QUANTITIES:
            raise ValueError(f"quantity must be one of {_QUANTITIES}, got {quantity!r}")
        m0 = self.members[0]
        k, s = m0._index(target, lc_m)
        if quantity == "approaches_per_day":
            hit = np.nonzero(np.isclose(m0.approach_km, approach_km if approach_km is not None else np.nan))[0]
            if hit.size == 0:
                raise ValueError(f"approach_km={approach_km!r} is not a computed distance {list(m0.approach_km)}")
            x = np.stack([m.approaches_per_day[:, k, s, hit[0]] for m in self.members])
        else:
            x = np.stack([getattr(m, quantity)[:, k, s] for m in self.members])
        p05, med, p95 = np.percentile(x, [5.0, 50.0, 95.0], axis=0)
        return {"median": med, "p05": p05, "p95": p95}

    def answers(self, target=0, **kw) -> dict:
        """Exposure.answer for every member, and the spread of days_above_fraction.

        Parameters
        ----------
        target : int or str, optional
            Index or name of the target.
        **kw
            As for Exposure.answer.

        Returns
        -------
        dict
            "members": list of M Answer; "days_above_fraction": {"median", "p05", "p95"}
            (days; members still above at the end count as the horizon: the percentiles
            are then lower bounds); "censored": how many members were still above.
        """
        ans = [m.answer(target, **kw) for m in self.members]
        d = np.array([a.days_above_fraction if a.days_above_fraction is not None else a.horizon_days
                      for a in ans])
        p05, med, p95 = np.percentile(d, [5.0, 50.0, 95.0])
        return {"members": ans, "days_above_fraction": {"median": med, "p05": p05, "p95": p95},
                "censored": int(sum(a.days_above_fraction is None for a in ans))}


def ensemble(histories, targets: Targets, *, stop_fraction: float | None = STOP_FRACTION, **kw) -> EnsembleExposure:
    """Exposure of every history (one per ensemble member: seed and assumption values) on
    `targets`.

    Parameters
    ----------
    histories : iterable of M CloudHistory
        All with the same sample times.
    targets : Targets
        K targets.
    stop_fraction : float or None, optional
        The result ends at the first sample where every member has fewer than this
        weighted fraction of its fragments left (None: every sample).
    **kw
        As for :func:`exposure`.

    Returns
    -------
    EnsembleExposure
        NumPy (host) arrays, as :func:`exposure`'s.

    Raises
    ------
    TypeError
        A history that is not a CloudHistory.
    ValueError
        No histories, histories with other sample times, or bad options.
    """
    hs = list(histories)
    if not hs:
        raise ValueError("histories is empty; give one CloudHistory per ensemble member")
    for j, h in enumerate(hs):
        if not isinstance(h, CloudHistory):
            raise TypeError(f"histories[{j}] is a {type(h).__name__}, not an engine.exposure.CloudHistory")
        if h.times.shape != hs[0].times.shape or np.any(h.times != hs[0].times):
            raise ValueError(f"histories[{j}] ({h.label or 'no label'}) has other sample times than histories[0]; "
                             "record every member at the same times")
    _check_options(kw.get("lc_classes_m", LC_CLASSES_M), kw.get("approach_km", APPROACH_KM), stop_fraction)
    t = len(hs[0].times)
    if stop_fraction is not None and stop_fraction > 0:
        low = np.all(np.stack([h.remaining() for h in hs]) < stop_fraction, axis=0)
        t = int(np.nonzero(low)[0][0]) + 1 if low.any() else t
    members = [exposure(_head(h, t), targets, stop_fraction=None, **kw) for h in hs]
    return EnsembleExposure(members)


def _head(h: CloudHistory, t: int) -> CloudHistory:
    """The first t samples of h (already validated: no second report of bad fragments)."""
    out = CloudHistory.__new__(CloudHistory)
    out.__dict__.update(h.__dict__)
    out.times, out.a_km, out.ecco, out.inclo, out.alive = h.times[:t], h.a_km[:t], h.ecco[:t], h.inclo[:t], h.alive[:t]
    return out
