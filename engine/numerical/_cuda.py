"""The launcher of kernels/cowell.cu: validate, make contiguous, allocate, cast, launch.

Called by engine.numerical.propagate (through :func:`propagate_states`, the NumPy
driver's signature) with host inputs already checked there (states in the integration
frame); this module moves them to the device. Written once over an executor (engine/_hostexec.py): cupy arrays
and cupy.RawModule on backend "cuda", NumPy arrays and the same .cu compiled for the CPU
on backend "host" (which also checks every argument against the kernel's signature). cupy.RawKernel checks nothing, so every scalar goes with the
exact C type of the kernel signature (int -> np.int32, long long -> np.int64, double ->
np.float64). Objects are split into launches of at most _MAX_LAUNCH threads, each
launch offset into the same output arrays.
"""

from __future__ import annotations

import ctypes

import numpy as np

from .._hostbuild import build
from .._hostexec import executor
from . import _model
from ._model import Model

_SRC = "cowell.cu"
_THREADS = 128
#: objects per launch (bounded so that one launch never runs for minutes)
_MAX_LAUNCH = 1 << 18


def atmosphere_bands(atmosphere):
    """(h0_km, rho0, scale_km) float64 arrays of a piecewise-exponential atmosphere, or
    three empty arrays without drag. The kernel evaluates only that form: other
    atmospheres (NRLMSIS tables) cannot run on the GPU."""
    if atmosphere is None:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    cols = _model.piecewise_arrays(atmosphere)
    if cols is None:
        raise ValueError(
            f"backend='cuda' (and 'host') needs a piecewise-exponential atmosphere (engine.numerical."
            f"Exponential or engine.atmosphere.Exponential); {type(atmosphere).__name__} is "
            "not one: use backend='numpy' for it")
    h0, rho0, hs = cols
    if not (h0.ndim == 1 and h0.shape == rho0.shape == hs.shape and h0.size > 0):
        raise ValueError("atmosphere.bands(): need three 1-d arrays of the same, non-zero length")
    return h0, rho0, hs


def model_arrays(model):
    """Host arrays and scalars of an engine.numerical._model.Model in the kernel's argument
    order from nzonal to t2000: (nzonal, bdrag (n,), nbands, h0, rho0, hs, sun_moon,
    fsrp (n,), t2000). Band arrays hold one dummy element when there is no drag."""
    n = len(model.bdrag)
    h0, rho0, hs = atmosphere_bands(model.atmosphere)
    nbands = h0.size
    bdrag = np.ascontiguousarray(model.bdrag if nbands else np.zeros(n), dtype=np.float64)
    h0, rho0, hs = (a if a.size else np.zeros(1) for a in (h0, rho0, hs))
    fsrp = (np.zeros(n) if model.srp is None
            else np.ascontiguousarray(_model.P_SRP * 1e-3 * model.srp, dtype=np.float64))
    return (int(model.nzonal), bdrag, int(nbands), h0, rho0, hs, int(model.sun_moon), fsrp,
            float(model.t2000))


def _settings(method, rtol, step, hmax, hmin, reentry_km, max_steps, dense):
    """The kernel's arguments from method to dense, as Python numbers."""
    return (_model.METHOD_CODES[method], float(rtol), 0.0 if step is None else float(step),
            float(hmax), float(hmin), float(reentry_km), int(max_steps), int(bool(dense)))


#: exact C types of the kernel's scalar arguments, in order (None: a pointer)
_MODEL_TYPES = (np.int32, None, np.int32, None, None, None, np.int32, None, np.float64)
_SETTING_TYPES = (np.int32, np.float64, np.float64, np.float64, np.float64, np.float64, np.int64,
                  np.int32)


def propagate_states(y0, t_out, model: Model, rot, *, method: str, rtol: float, step, hmax: float,
                     hmin: float, reentry_km: float, max_steps: int, dense: bool = True,
                     backend: str | None = None, threads: int | None = None):
    """engine.numerical.propagate's work on a kernel backend (engine/numerical/_numpy.py's
    propagate_states has the same signature).

    Parameters
    ----------
    y0 : ndarray, shape (N, 6), float64
        Host states in the integration frame at the epoch, km and km/s.
    t_out : ndarray, shape (M,), float64
        Output times, s since the epoch.
    model : engine.numerical._model.Model
        The force model (a piecewise-exponential atmosphere or none).
    rot : ndarray, shape (3, 3), float64
        r_out = rot @ r_int (host array; moved to the device here).
    method, rtol, step, hmax, hmin, reentry_km, max_steps, dense
        As engine.numerical.propagate.
    backend : {"cuda", "host"} or None
        The executor (None: "cuda").
    threads : int or None
        Ignored: the kernels' parallelism is the executor's (the GPU's, or OpenMP's).

    Returns
    -------
    r, v : array, shape (N, M, 3), float64
        km, km/s in the output frame; arrays of the executor (cupy on "cuda", NumPy on
        "host").
    status : array, shape (N, M), uint8
    t_reentry : array, shape (N,), float64
    nsteps : array, shape (N,), int64

    Raises
    ------
    ValueError
        For an atmosphere the kernel cannot evaluate, or states of the wrong shape.
    """
    backend = backend or "cuda"
    y, status, t_re, nsteps = propagate(y0, t_out, model, method=method, rtol=rtol, step=step, hmax=hmax,
                                        hmin=hmin, reentry_km=reentry_km, max_steps=max_steps, dense=dense,
                                        backend=backend)
    r, v = _model.from_integration_frame(y, executor(backend).xp.asarray(rot))
    return r, v, status, t_re, nsteps


def propagate(y0, t_out, model, *, method: str, rtol: float, step, hmax: float, hmin: float,
              reentry_km: float, max_steps: int, dense: bool = True, backend: str = "cuda"):
    """kernels/cowell.cu cowell_propagate_f64 on (N, 6) host states y0 (integration frame)
    with the force model of an engine.numerical._model.Model, on backend "cuda" or "host".

    Returns the executor's arrays (cupy on "cuda", NumPy on "host"): y (N, M, 6),
    status (N, M) uint8, t_reentry (N,) s, nsteps (N,) int64.
    """
    ex = executor(backend)
    cp = ex.xp

    y0 = np.ascontiguousarray(y0, dtype=np.float64)
    n = y0.shape[0]
    m = int(t_out.size)
    if y0.shape != (n, 6) or len(model.bdrag) != n:
        raise ValueError(f"y0: need shape (N, 6) with N = len(model.bdrag), got {y0.shape}")
    margs = model_arrays(model)
    d_y0 = cp.asarray(y0)
    d_t = cp.asarray(np.ascontiguousarray(t_out, dtype=np.float64))
    dm = [cp.asarray(a) if typ is None else typ(a) for a, typ in zip(margs, _MODEL_TYPES)]
    settings = [typ(a) for a, typ in zip(_settings(method, rtol, step, hmax, hmin, reentry_km,
                                                   max_steps, dense), _SETTING_TYPES)]
    out = cp.empty((n, m, 6), dtype=cp.float64)
    status = cp.zeros((n, m), dtype=cp.uint8)
    t_re = cp.full(n, np.nan)
    nsteps = cp.zeros(n, dtype=cp.int64)
    fn = ex.kernel(_SRC, "cowell_propagate_f64")
    for b in range(0, n, _MAX_LAUNCH):
        k = min(_MAX_LAUNCH, n - b)
        grid = (int((k + _THREADS - 1) // _THREADS),)
        # per-object arrays (bdrag, fsrp) are offset with the launch; band arrays are shared
        margs_b = list(dm)
        margs_b[1] = dm[1][b:]
        margs_b[7] = dm[7][b:]
        fn(grid, (_THREADS,), (d_y0[b:], np.int64(k), d_t, np.int64(m), *margs_b, *settings,
                               out[b:], status[b:], t_re[b:], nsteps[b:]))
    return out, status, t_re, nsteps


class CowellHost:
    """The Cowell kernels on the CPU, as the tests' oracle: :meth:`propagate` is
    kernels/cowell.cu's own entry point through :func:`propagate` on the host executor;
    :meth:`derivative` is the force model alone, from kernels/host/cowell_host.cpp (a
    g++ build of kernels/cowell.cuh: the device has no entry point for it)."""

    def __init__(self) -> None:
        lib = build("cowell")
        dp = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
        ll, i32, d = ctypes.c_longlong, ctypes.c_int, ctypes.c_double
        model = [i32, dp, i32, dp, dp, dp, i32, dp, d]
        lib.cowell_derivative_f64.argtypes = [dp, dp, ll, *model, dp]
        lib.cowell_derivative_f64.restype = None
        self._lib = lib

    def propagate(self, y0, t_out, model, *, method: str, rtol: float, step, hmax: float,
                  hmin: float, reentry_km: float, max_steps: int, dense: bool = True):
        """As :func:`propagate` on backend "host": y (N, M, 6), status (N, M),
        t_reentry (N,), nsteps (N,) NumPy arrays."""
        return propagate(y0, t_out, model, method=method, rtol=rtol, step=step, hmax=hmax,
                         hmin=hmin, reentry_km=reentry_km, max_steps=max_steps, dense=dense,
                         backend="host")

    def derivative(self, y, t, model):
        """dy/dt of (N, 6) states (integration frame) at t (N,) s after the epoch: (N, 6)."""
        y = np.ascontiguousarray(y, dtype=np.float64)
        t = np.ascontiguousarray(np.broadcast_to(t, y.shape[:1]), dtype=np.float64)
        dy = np.empty_like(y)
        self._lib.cowell_derivative_f64(y, t, y.shape[0], *model_arrays(model), dy)
        return dy
