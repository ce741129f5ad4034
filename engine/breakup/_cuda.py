"""The launcher of kernels/breakup.cu: validate, make contiguous, cast, launch.

Written once over an executor (engine/_hostexec.py): backend "cuda" takes cupy arrays and
launches through cupy.RawModule, backend "host" takes NumPy arrays and runs the same .cu
compiled for the CPU. The outputs are allocated by the caller (engine.breakup) as the
executor's arrays; this module only checks them and passes every scalar with the exact C
type of the kernel signature (cupy.RawKernel checks nothing: a Python int becomes long
long, a float double; the host executor checks each against the signature). The
kernels index fragments globally (index0 + i), so any split into launches draws the
same random numbers as one launch, and as the NumPy implementation. sample_size and
sample_dv have the signatures of engine/breakup/_numpy.py's, so that engine.breakup calls
either through engine._backend.implementation.
"""

from __future__ import annotations

import ctypes

import numpy as np

from .._hostbuild import build
from .._hostexec import executor
from .._kernels import grid_blocks
from ._laws import SizeParams

_SRC = "breakup.cu"
_THREADS = 256
#: fragments per launch (bounded so that one launch never runs for seconds)
_MAX_LAUNCH = 1 << 24


def _check(ex, arrays: dict, n: int, dtypes: dict) -> None:
    bad = []
    for name, a in arrays.items():
        want_shape = (n, 3) if name == "dv" else (n,)
        if not ex.is_array(a):
            bad.append(f"{name}: must be a {ex.array_name}, got {type(a).__name__}")
        elif a.shape != want_shape or a.dtype != dtypes[name] or not a.flags.c_contiguous:
            bad.append(f"{name}: need C-contiguous {np.dtype(dtypes[name])} {want_shape}, "
                       f"got {a.dtype} {a.shape}")
    if bad:
        raise ValueError("breakup kernel outputs:\n  " + "\n  ".join(bad))


def sample_size(p: SizeParams, index0: int, n: int, *, lc, am, area, mass, parent, kind,
                backend: str | None = None, threads: int | None = None) -> None:
    """kernels/breakup.cu breakup_size_f64 for fragments index0 .. index0 + n - 1.

    Parameters
    ----------
    p : engine.breakup._laws.SizeParams
        The event's inputs of the size stage.
    index0, n : int
        First global fragment index (the Philox counter) and number of fragments.
    lc, am, area, mass : array, shape (n,), float64
        Outputs (m, m^2/kg, m^2, kg), arrays of the backend's executor (cupy on "cuda",
        NumPy on "host"), C-contiguous.
    parent, kind : array, shape (n,), uint8
        Outputs, as lc.
    backend : {"cuda", "host"} or None
        The executor (None: "cuda").
    threads : int or None
        Ignored: the kernels' parallelism is the executor's (the GPU's, or OpenMP's).

    Raises
    ------
    ValueError
        For an output of the wrong type, shape, dtype or layout.
    """
    ex = executor(backend or "cuda")
    f8, u1 = np.dtype(np.float64), np.dtype(np.uint8)
    _check(ex, dict(lc=lc, am=am, area=area, mass=mass, parent=parent, kind=kind), n,
           dict(lc=f8, am=f8, area=f8, mass=f8, parent=u1, kind=u1))
    fn = ex.kernel(_SRC, "breakup_size_f64")
    for b in range(0, n, _MAX_LAUNCH):
        m = min(_MAX_LAUNCH, n - b)
        fn(grid_blocks(m, _THREADS), (_THREADS,), (
            np.uint64(p.seed), np.int64(p.n_small), np.float64(p.neg_beta_inv),
            np.float64(p.small_lo), np.float64(p.small_span), np.float64(p.large_lo),
            np.float64(p.large_span), np.float64(p.q_projectile), np.float64(p.lc_projectile),
            np.int32(p.kind_target), np.int32(p.kind_projectile), np.int64(index0 + b), np.int64(m),
            lc[b:], am[b:], area[b:], mass[b:], parent[b:], kind[b:]))


def sample_dv(seed: int, index0: int, am, slope: float, intercept: float, sigma: float, *, out,
              backend: str | None = None, threads: int | None = None) -> None:
    """kernels/breakup.cu breakup_dv_f64.

    Parameters
    ----------
    seed, index0 : int
        Philox key and first global fragment index.
    am : array, shape (n,), float64
        A/M, m^2/kg, an array of the backend's executor (cupy on "cuda", NumPy on "host").
    slope, intercept, sigma : float
        The law's coefficients (Eq. 11 or 12) for log10(dv [m/s]).
    out : array, shape (n, 3), float64
        Output: ejection velocities, km/s, C-contiguous, of the executor.
    backend : {"cuda", "host"} or None
        The executor (None: "cuda").
    threads : int or None
        Ignored: the kernels' parallelism is the executor's.

    Raises
    ------
    ValueError
        For an output of the wrong type, shape, dtype or layout.
    """
    ex = executor(backend or "cuda")
    n = int(am.shape[0])
    am = ex.xp.ascontiguousarray(am, dtype=np.float64)
    _check(ex, dict(dv=out), n, dict(dv=np.dtype(np.float64)))
    fn = ex.kernel(_SRC, "breakup_dv_f64")
    for b in range(0, n, _MAX_LAUNCH):
        m = min(_MAX_LAUNCH, n - b)
        fn(grid_blocks(m, _THREADS), (_THREADS,), (
            np.uint64(seed), np.float64(slope), np.float64(intercept), np.float64(sigma),
            np.int64(index0 + b), np.int64(m), am[b:], out[b:]))


class BreakupHost:
    """Breakup sampling on the CPU (a test oracle for kernels/breakup.cu), with the
    signatures of engine/breakup/_numpy.py: sample_size / sample_dv are kernels/breakup.cu's
    own entry points through this launcher on the host executor; philox is the
    generator alone, from kernels/host/breakup_host.cpp (a g++ build of philox.cuh: no
    entry point exposes it).

    philox(ctr (n, 4) uint32, k0, k1) -> (n, 4) uint32
    sample_size(p, index0, n, lc=, am=, area=, mass=, parent=, kind=) fills the outputs
    sample_dv(seed, index0, am, slope, intercept, sigma, out=) fills out (n, 3) km/s
    """

    def __init__(self) -> None:
        lib = build("breakup")
        u4 = np.ctypeslib.ndpointer(dtype=np.uint32, flags="C_CONTIGUOUS")
        lib.philox4x32_10_host.argtypes = [u4, ctypes.c_longlong, ctypes.c_uint, ctypes.c_uint, u4]
        lib.philox4x32_10_host.restype = None
        self._lib = lib

    def philox(self, ctr, k0: int, k1: int) -> np.ndarray:
        ctr = np.ascontiguousarray(ctr, dtype=np.uint32)
        out = np.empty_like(ctr)
        self._lib.philox4x32_10_host(ctr, ctr.shape[0], k0, k1, out)
        return out

    def sample_size(self, p, index0: int, n: int, *, lc, am, area, mass, parent, kind) -> None:
        sample_size(p, index0, n, lc=lc, am=am, area=area, mass=mass, parent=parent, kind=kind,
                    backend="host")

    def sample_dv(self, seed: int, index0: int, am, slope, intercept, sigma, *, out) -> None:
        sample_dv(seed, index0, am, slope, intercept, sigma, out=out, backend="host")
