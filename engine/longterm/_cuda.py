"""The launcher of kernels/longterm.cu over both executors, and a CPU oracle of the kernel.

run(p, el, bc, t0, t_stop, nodes, backend=...) is what engine.longterm.decay calls on backend
"cuda" or "host" (engine.longterm._numpy.run, of the same signature, on "numpy"): it
validates and copies the per-object arrays to the executor's memory (cupy on "cuda"; NumPy copies on "host", through kernels/longterm.cu compiled for the CPU
by engine/_hostexec.py), passes every scalar with the exact C type of the kernel
signature (cupy.RawKernel checks nothing: a Python int becomes long long, a float double;
the host executor checks each against the signature), launches one thread per object and
copies the results back (they are per-object summaries, small next to the work).

LongtermHost: run() is that launcher on the host executor; rates() is the orbit-averaged
rates alone, from kernels/host/longterm_host.cpp (a g++ build of kernels/longterm.cuh: no
entry point exposes them), as the CPU tests' oracle.
"""

from __future__ import annotations

import ctypes

import numpy as np

from .._hostbuild import build
from .._hostexec import executor
from ._params import IN_ORBIT, STEP_FAILED, STEP_LIMIT

_SRC = "longterm.cu"
_THREADS = 128
#: objects per launch (bounded so that one launch never runs for minutes)
_MAX_LAUNCH = 1 << 20


def _check(el, bc, t0):
    el = np.ascontiguousarray(el, dtype=np.float64)
    bc = np.ascontiguousarray(bc, dtype=np.float64)
    t0 = np.ascontiguousarray(t0, dtype=np.float64)
    n = bc.shape[0]
    bad = []
    if el.shape != (n, 5):
        bad.append(f"el: need (n, 5) = ({n}, 5), got {el.shape}")
    if t0.shape != (n,):
        bad.append(f"t0: need ({n},), got {t0.shape}")
    if not (np.isfinite(el).all() and np.isfinite(bc).all() and np.isfinite(t0).all()):
        bad.append("el, bc, t0: must be finite")
    if bad:
        raise ValueError("longterm kernel inputs:\n  " + "\n  ".join(bad))
    return el, bc, t0


def _codes(run_status):
    """kernels/longterm.cuh Status (RUN_OK, RUN_STEP_LIMIT, RUN_STEP_FAILED) -> the status
    codes of engine.longterm."""
    table = np.array([IN_ORBIT, STEP_LIMIT, STEP_FAILED], dtype=np.uint8)
    return table[np.asarray(run_status, dtype=np.intp)]


def _scalars(p, nodes, t_stop):
    """The kernel's scalar arguments after coef, in order, with exact numpy types."""
    return (np.float64(p.alt0), np.float64(p.dalt), np.int32(p.na), np.float64(p.jd0),
            np.float64(p.djd), np.int32(p.nd), np.float64(p.jd_ref), np.float64(p.step_days),
            np.float64(p.reentry_km), np.int32(0 if nodes is None else nodes),
            np.int64(p.max_steps), np.float64(t_stop))


def run(p, el, bc, t0, t_stop: float, nodes=None, *, backend: str = "cuda", progress=None,
        threads: int | None = None):
    """kernels/longterm.cu longterm_decay_f64 for n objects on backend "cuda" or "host".

    The same signature as engine.longterm._numpy.run, which engine.longterm.decay calls
    on backend "numpy".

    Parameters
    ----------
    p, el, bc, t0, t_stop, nodes
        As engine.longterm._numpy.run: the flat table parameters, (n, 5) mean elements
        (km, rad; not modified), (n,) ballistic factors km^2/kg, (n,) start times and the
        stop time in days after p.jd_ref, quadrature nodes (None: adaptive).
    backend : str
        "cuda" (the GPU, through CuPy) or "host" (the kernel compiled for the CPU).
    progress, threads
        Ignored: the kernel runs every object in one launch per _MAX_LAUNCH objects and
        reports nothing until it ends; its threads are the executor's (one per object).

    Returns
    -------
    el : (n, 5) float64, t : (n,) float64, t_re : (n,) float64, code : (n,) uint8
        NumPy arrays as engine.longterm._numpy.run returns them: final elements, final times
        and re-entry times (days after p.jd_ref, NaN where none), and IN_ORBIT, STEP_LIMIT
        or STEP_FAILED. Copied to the host: they are per-object summaries, small next to
        the work.

    Raises
    ------
    ValueError
        For per-object arrays of the wrong shape or not finite.
    """
    ex = executor(backend)
    cp = ex.xp
    el, bc, t0 = _check(el, bc, t0)
    n = bc.shape[0]
    fn = ex.kernel(_SRC, "longterm_decay_f64")
    coef = cp.asarray(np.ascontiguousarray(p.coef, dtype=np.float64))
    # el and t are written in place: copies (a device upload, or a host copy), never the caller's
    d_el, d_bc, d_t = cp.array(el), cp.asarray(bc), cp.array(t0)
    d_re = cp.empty(n, dtype=cp.float64)
    d_st = cp.empty(n, dtype=cp.int32)
    sc = _scalars(p, nodes, t_stop)
    for b in range(0, n, _MAX_LAUNCH):
        m = min(_MAX_LAUNCH, n - b)
        grid = (int(max(1, (m + _THREADS - 1) // _THREADS)),)
        fn(grid, (_THREADS,), (coef, *sc, np.int64(m), d_el[b:], d_bc[b:], d_t[b:], d_re[b:], d_st[b:]))
    ex.synchronize()
    return ex.to_host(d_el), ex.to_host(d_t), ex.to_host(d_re), _codes(ex.to_host(d_st))


class LongtermHost:
    """kernels/longterm.cu's entry point on the host executor, and the rates of
    kernels/longterm.cuh alone through their g++ build (the CPU tests' oracle of the kernel).

    run(p, el, bc, t0, t_stop, nodes) -> as :func:`run` on backend "host"
    rates(p, y (n, 5), t (n,), bc (n,), nodes) -> (n, 5) orbit-averaged rates per day
    """

    def __init__(self) -> None:
        lib = build("longterm")
        dp = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
        d, i, ll = ctypes.c_double, ctypes.c_int, ctypes.c_longlong
        lib.longterm_rates_f64.argtypes = [dp, d, d, i, d, d, i, d, i, ll, dp, dp, dp, dp]
        lib.longterm_rates_f64.restype = None
        self._lib = lib

    def run(self, p, el, bc, t0, t_stop: float, nodes=None):
        return run(p, el, bc, t0, t_stop, nodes, backend="host")

    def rates(self, p, y, t, bc, nodes=None):
        y = np.ascontiguousarray(y, dtype=np.float64)
        t = np.ascontiguousarray(t, dtype=np.float64)
        bc = np.ascontiguousarray(bc, dtype=np.float64)
        out = np.empty_like(y)
        self._lib.longterm_rates_f64(np.ascontiguousarray(p.coef), p.alt0, p.dalt, p.na, p.jd0,
                                     p.djd, p.nd, p.jd_ref, 0 if nodes is None else int(nodes),
                                     y.shape[0], y, t, bc, out)
        return out
