"""The launcher of kernels/breakup.cu: validate, make contiguous, cast, launch.

Written once over an executor (engine/_hostexec.py): backend "cuda" takes cupy arrays and
launches through cupy.RawModule, backend "host" takes NumPy arrays and runs the same .cu
compiled for the CPU. The outputs are allocated by the caller (engine/breakup.py) as the
executor's arrays; this module only checks them and passes every scalar with the exact C
type of the kernel signature (cupy.RawKernel checks nothing: a Python int becomes long
long, a float double; the host executor checks each against the signature). The
kernels index fragments globally (index0 + i), so any split into launches draws the
same random numbers as one launch, and as the NumPy implementation.
"""

from __future__ import annotations

import numpy as np

from engine._hostexec import executor
from engine._kernels import grid_blocks

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


def sample_size(p, index0: int, n: int, *, lc, am, area, mass, parent, kind,
                backend: str = "cuda") -> None:
    """kernels/breakup.cu breakup_size_f64 for fragments index0 .. index0 + n - 1.
    p: engine._breakup_numpy.SizeParams; outputs (n,) float64 / uint8 arrays of the
    backend's executor (cupy on "cuda", NumPy on "host")."""
    ex = executor(backend)
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
              backend: str = "cuda") -> None:
    """kernels/breakup.cu breakup_dv_f64: am (n,) float64 m^2/kg -> out (n, 3) km/s, arrays
    of the backend's executor (cupy on "cuda", NumPy on "host")."""
    ex = executor(backend)
    n = int(am.shape[0])
    am = ex.xp.ascontiguousarray(am, dtype=np.float64)
    _check(ex, dict(dv=out), n, dict(dv=np.dtype(np.float64)))
    fn = ex.kernel(_SRC, "breakup_dv_f64")
    for b in range(0, n, _MAX_LAUNCH):
        m = min(_MAX_LAUNCH, n - b)
        fn(grid_blocks(m, _THREADS), (_THREADS,), (
            np.uint64(seed), np.float64(slope), np.float64(intercept), np.float64(sigma),
            np.int64(index0 + b), np.int64(m), am[b:], out[b:]))
