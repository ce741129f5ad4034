"""The launcher of kernels/screen.cu: validate, make contiguous, cast, launch.

The same three building blocks, with the same names and signatures, as
engine/screening/_numpy.py, written once over an executor (engine/_hostexec.py): cupy
arrays through cupy.RawModule on backend "cuda", NumPy arrays through the same .cu
compiled for the CPU on backend "host".

    close_pairs_all(r, radius_km, backend="host") -> (i, j, b)   sort-based cell lists
    close_pairs_one(rp, rs, radius_km, backend="host") -> (k, m, b)   direct distance test
    hermite_tca(p0, w0, p1, w1, h, backend="host") -> (s, dmin)
    Screen("host").close_pairs_all(r, radius_km)   the same, bound to one executor

Cell lists: screen_cell_keys_f64 packs (sample, cell) keys, cupy.argsort sorts them,
screen_pair_count_f64 counts every point's partners, cupy.cumsum gives the output
offsets, screen_pair_emit_f64 writes the pairs (two passes: no atomics, deterministic
order). cupy.RawKernel checks nothing, so every scalar is cast to the exact C type here
(the host executor checks each against the kernel's signature).
"""

from __future__ import annotations

import numpy as np

from engine._hostexec import executor
from engine._kernels import grid_blocks

_SRC = "screen.cu"
_THREADS = 256
#: samples per block the packed cell key can hold (kernels/screen.cuh MAX_BLOCK_SAMPLES)
MAX_BLOCK_SAMPLES = 1 << 10
#: screen() runs its blocks one after another: the kernels bring their own parallelism
#: (CUDA threads, or OpenMP on the host)
BLOCK_THREADS = False


class Screen:
    """The screening kernels on one executor: ``Screen("cuda")`` (cupy arrays in and out)
    or ``Screen("host")`` (NumPy arrays in and out)."""

    MAX_BLOCK_SAMPLES = MAX_BLOCK_SAMPLES

    def __init__(self, backend: str = "cuda") -> None:
        self.ex = executor(backend)

    def _kernel(self, name: str):
        return self.ex.kernel(_SRC, name)

    def _f64(self, a, name: str, shape_tail: tuple):
        if not self.ex.is_array(a):
            raise ValueError(f"{name}: must be a {self.ex.array_name}, got {type(a).__name__}")
        if a.shape[len(a.shape) - len(shape_tail):] != shape_tail and shape_tail:
            raise ValueError(f"{name}: need shape (..., {', '.join(map(str, shape_tail))}), got {a.shape}")
        return self.ex.xp.ascontiguousarray(a, dtype=np.float64)

    def close_pairs_all(self, r, radius_km: float):
        """Pairs (i < j) closer than radius_km at the same sample; r (N, B, 3) float64 km
        (the executor's arrays), NaN where excluded. Returns (i, j, b) int64 arrays."""
        return _close_pairs_all(self, r, radius_km)

    def close_pairs_one(self, rp, rs, radius_km: float):
        """Primary-secondary pairs closer than radius_km; rp (K, B, 3), rs (M, B, 3)
        float64 km. Returns (k, m, b) int64 arrays."""
        return _close_pairs_one(self, rp, rs, radius_km)

    def hermite_tca(self, p0, w0, p1, w1, h):
        """p0, w0, p1, w1 (K, 3), h (K,) float64 -> s (K,), dmin (K,) km."""
        return _hermite_tca(self, p0, w0, p1, w1, h)


def close_pairs_all(r, radius_km: float, *, backend: str | None = None):
    """Pairs (i < j) closer than radius_km at the same sample (kernels/screen.cu cell lists).

    Parameters
    ----------
    r : executor array, (N, B, 3) float64
        Positions, km, NaN where excluded; B <= MAX_BLOCK_SAMPLES.
    radius_km : float
        Capture radius, km (the cell size).
    backend : {"cuda", "host"} or None
        The executor; None is "cuda" (cupy arrays).

    Returns
    -------
    i, j, b : executor arrays, (P,) int64
        Object pairs (i < j) and their sample.

    Raises
    ------
    ValueError
        For an array of the wrong kind or shape, or a block of too many samples.
    """
    return _close_pairs_all(Screen(backend or "cuda"), r, radius_km)


def _close_pairs_all(sc: Screen, r, radius_km: float):
    cp = sc.ex.xp
    r = sc._f64(r, "r", (3,))
    n, nb, _ = r.shape
    if nb > MAX_BLOCK_SAMPLES:
        raise ValueError(f"r: a block holds at most {MAX_BLOCK_SAMPLES} samples, got {nb}")
    total = n * nb
    keys = cp.empty(total, dtype=cp.int64)
    sc._kernel("screen_cell_keys_f64")(grid_blocks(total, _THREADS), (_THREADS,), (
        r, np.int64(n), np.int64(nb), np.float64(1.0 / radius_km), keys))
    order = cp.argsort(keys)
    keys = keys[order]
    first = int(cp.searchsorted(keys, 0))  # NaN positions have key -1 and sort first
    order = cp.ascontiguousarray(order[first:])
    keys = cp.ascontiguousarray(keys[first:])
    pts = cp.ascontiguousarray(r.reshape(-1, 3)[order])
    npt = int(keys.size)
    if npt == 0:
        z = cp.zeros(0, cp.int64)
        return z, z, z
    r2 = np.float64(radius_km * radius_km)
    count = cp.empty(npt, dtype=cp.int64)
    sc._kernel("screen_pair_count_f64")(grid_blocks(npt, _THREADS), (_THREADS,), (keys, pts, np.int64(npt), r2, count))
    end = cp.cumsum(count)
    npair = int(end[-1])
    offset = cp.ascontiguousarray(end - count)
    i = cp.empty(npair, dtype=cp.int64)
    j = cp.empty(npair, dtype=cp.int64)
    b = cp.empty(npair, dtype=cp.int64)
    if npair:
        sc._kernel("screen_pair_emit_f64")(grid_blocks(npt, _THREADS), (_THREADS,), (
            keys, pts, order, np.int64(npt), np.int64(nb), r2, offset, i, j, b))
    return i, j, b


def close_pairs_one(rp, rs, radius_km: float, *, backend: str | None = None):
    """Primary-secondary pairs closer than radius_km at the same sample (direct test).

    Parameters
    ----------
    rp : executor array, (K, B, 3) float64
        Primary positions, km, NaN where excluded.
    rs : executor array, (M, B, 3) float64
        Secondary positions, km, NaN where excluded.
    radius_km : float
        Capture radius, km.
    backend : {"cuda", "host"} or None
        The executor; None is "cuda" (cupy arrays).

    Returns
    -------
    k, m, b : executor arrays, (P,) int64

    Raises
    ------
    ValueError
        For arrays of the wrong kind or of different samples.
    """
    return _close_pairs_one(Screen(backend or "cuda"), rp, rs, radius_km)


def _close_pairs_one(sc: Screen, rp, rs, radius_km: float):
    cp = sc.ex.xp
    rp = sc._f64(rp, "rp", (3,))
    rs = sc._f64(rs, "rs", (3,))
    k, nb, _ = rp.shape
    m = rs.shape[0]
    if rs.shape[1] != nb:
        raise ValueError(f"rp and rs must have the same samples, got {rp.shape} and {rs.shape}")
    mask = cp.empty((k, m, nb), dtype=cp.uint8)
    if m * nb:
        sc._kernel("screen_direct_mask_f64")(grid_blocks(m * nb, _THREADS), (_THREADS,), (
            rp, rs, np.int64(k), np.int64(m), np.int64(nb), np.float64(radius_km * radius_km), mask))
    kk, mm, bb = cp.nonzero(mask)
    return kk.astype(cp.int64), mm.astype(cp.int64), bb.astype(cp.int64)


def hermite_tca(p0, w0, p1, w1, h, *, backend: str | None = None):
    """Closest approach on each step's Hermite interpolant (engine/screening/_numpy.hermite_tca).

    Parameters
    ----------
    p0, w0, p1, w1 : executor arrays, (K, 3) float64
        Relative positions (km) and velocities (km/s) at the step's ends.
    h : executor array, (K,) float64 (or a scalar)
        Step, s.
    backend : {"cuda", "host"} or None
        The executor; None is "cuda" (cupy arrays).

    Returns
    -------
    s : executor array, (K,) float64
        Time of the minimum as a fraction of the step, in [0, 1].
    dmin : executor array, (K,) float64
        Distance at the minimum, km.

    Raises
    ------
    ValueError
        For arrays of the wrong kind or shape.
    """
    return _hermite_tca(Screen(backend or "cuda"), p0, w0, p1, w1, h)


def _hermite_tca(sc: Screen, p0, w0, p1, w1, h):
    cp = sc.ex.xp
    args = [sc._f64(a, name, (3,)) for a, name in ((p0, "p0"), (w0, "w0"), (p1, "p1"), (w1, "w1"))]
    k = args[0].shape[0]
    if any(a.shape != (k, 3) for a in args):
        raise ValueError(f"p0, w0, p1, w1 must all be ({k}, 3), got {[a.shape for a in args]}")
    h = cp.ascontiguousarray(cp.broadcast_to(cp.asarray(h, dtype=cp.float64), (k,)))
    s = cp.empty(k, dtype=cp.float64)
    dmin = cp.empty(k, dtype=cp.float64)
    if k:
        sc._kernel("screen_hermite_tca_f64")(grid_blocks(k, _THREADS), (_THREADS,), (*args, h, np.int64(k), s, dmin))
    return s, dmin
