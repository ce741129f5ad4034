"""NumPy implementation of the screening kernels (the reference for kernels/screen.cu).

Three building blocks, each with the same name and signature in engine/screening/_cuda.py
(the keyword backend is the launcher's executor; here it is taken and unused):

    close_pairs_all(r, radius_km)       sort-based cell lists: pairs within radius, one catalogue
    close_pairs_one(rp, rs, radius_km)  direct distance test: K primaries x M secondaries
    hermite_tca(p0, w0, p1, w1, h)      minimum of |rho| on the cubic Hermite interpolant

Shapes: positions r (N, B, 3) km (object, sample, xyz), NaN where an object is excluded
at a sample; the pair lists come back as int64 arrays (i, j, b) with i < j for one catalogue.
Everything is float64, vectorised over objects x samples; nothing here calls SGP4.
"""

from __future__ import annotations

import numpy as np

#: bits per cell coordinate in the packed cell key (3 x 17 + 10 sample bits < 63)
CELL_BITS = 17
#: samples per block the packed key can hold (10 bits)
MAX_BLOCK_SAMPLES = 1 << 10
#: screen() may run its blocks of samples on threads with this implementation: NumPy
#: releases the GIL in its array loops
BLOCK_THREADS = True
_CELL_MAX = (1 << CELL_BITS) - 2  # coordinates are clamped to [1, 2^17 - 2]: +-1 never carries
_CELL_OFFSET = 1 << (CELL_BITS - 1)
#: Newton / bisection iterations of hermite_tca (kernels/screen.cuh de_screen hermite_tca: 16)
HERMITE_ITERATIONS = 16

def cell_keys(r: np.ndarray, inv_cell: float) -> np.ndarray:
    """Packed cell keys of points r (N, B, 3) km: (sample, cx, cy, cz) in one int64, (N, B).

    Cell coordinates floor(x / cell) are clamped to 17 bits; clamping is monotone and moves
    neighbours by at most one cell, so two points within one cell size stay in adjacent
    cells (far points only share edge cells, which costs distance tests, not completeness).
    NaN positions get -1. The same packing as de_screen::cell_key in kernels/screen.cuh.
    """
    ok = np.isfinite(r).all(axis=-1)
    c = np.floor(np.where(ok[..., None], r, 0.0) * inv_cell)
    c = np.clip(c + _CELL_OFFSET, 1, _CELL_MAX).astype(np.int64)
    b = np.arange(r.shape[1], dtype=np.int64)[None, :]
    key = (((b << CELL_BITS | c[..., 0]) << CELL_BITS | c[..., 1]) << CELL_BITS) | c[..., 2]
    return np.where(ok, key, -1)


def _ranges(start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Concatenation of arange(start[k], start[k] + count[k]) over k (int64)."""
    count = count.astype(np.int64)
    total = int(count.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(count)
    return np.repeat(start.astype(np.int64) - (ends - count), count) + np.arange(total, dtype=np.int64)


def close_pairs_all(r: np.ndarray, radius_km: float, *, backend: str | None = None):
    """All pairs (i < j) of one catalogue closer than radius_km at the same sample.

    r: (N, B, 3) float64 km, NaN where excluded. Cell lists with cell size = radius (so a
    partner lies in the same or an adjacent cell), points sorted by packed (sample, cell)
    key. Cells adjacent in z are adjacent in key order, so the 13 half-shell neighbours
    plus the rest of a point's own cell are five contiguous key ranges per point: the own
    column from the point itself up to cell z + 1, and columns (dx, dy) = (0, 1), (1, -1),
    (1, 0), (1, 1) from z - 1 to z + 1. Returns (i, j, b) int64 arrays.
    """
    n, nb, _ = r.shape
    if nb > MAX_BLOCK_SAMPLES:
        raise ValueError(f"a block holds at most {MAX_BLOCK_SAMPLES} samples, got {nb}")
    key = cell_keys(r, 1.0 / radius_km).ravel()
    order = np.argsort(key)
    order = order[key[order] >= 0]  # NaN positions (excluded) have key -1
    key = key[order]
    pts = r.reshape(-1, 3)[order]
    if key.size == 0:
        z = np.zeros(0, np.int64)
        return z, z, z
    pos = np.arange(key.size, dtype=np.int64)
    starts = [pos + 1]
    ends = [np.searchsorted(key, key + 1, side="right")]
    for dx, dy in ((0, 1), (1, -1), (1, 0), (1, 1)):
        c = key + ((dx << (2 * CELL_BITS)) + (dy << CELL_BITS))
        starts.append(np.searchsorted(key, c - 1, side="left"))
        ends.append(np.searchsorted(key, c + 1, side="right"))
    start = np.concatenate(starts)
    cnt = np.concatenate(ends) - start
    qa = np.repeat(np.tile(pos, len(starts)), cnt)
    qb = _ranges(start, cnt)
    dv = pts[qa] - pts[qb]
    keep = np.einsum("ij,ij->i", dv, dv) <= radius_km * radius_km
    a, b = order[qa[keep]], order[qb[keep]]
    i, j, smp = a // nb, b // nb, a % nb
    return np.minimum(i, j), np.maximum(i, j), smp


def close_pairs_one(rp: np.ndarray, rs: np.ndarray, radius_km: float, *, backend: str | None = None):
    """Primary-secondary pairs closer than radius_km at the same sample (direct test).

    rp: (K, B, 3), rs: (M, B, 3) float64 km, NaN where excluded.
    Returns (k, m, b) int64 arrays.
    """
    out_k, out_m, out_b = [], [], []
    r2 = radius_km * radius_km
    for k in range(rp.shape[0]):
        d = rs - rp[k][None]
        with np.errstate(invalid="ignore"):
            m, b = np.nonzero(np.einsum("mbi,mbi->mb", d, d) <= r2)
        out_k.append(np.full(m.size, k, np.int64))
        out_m.append(m.astype(np.int64))
        out_b.append(b.astype(np.int64))
    if not out_k:
        z = np.zeros(0, np.int64)
        return z, z, z
    return np.concatenate(out_k), np.concatenate(out_m), np.concatenate(out_b)


def hermite_coefficients(p0, w0, p1, w1, h):
    """Cubic Hermite p(s) = c0 + c1 s + c2 s^2 + c3 s^3 on s in [0, 1] through relative
    positions p0, p1 (K, 3) km with relative velocities w0, w1 (K, 3) km/s, step h (K,) s."""
    h = np.asarray(h, dtype=np.float64)[..., None]
    c1 = w0 * h
    c2 = 3.0 * (p1 - p0) - h * (2.0 * w0 + w1)
    c3 = 2.0 * (p0 - p1) + h * (w0 + w1)
    return p0, c1, c2, c3


def hermite_tca(p0, w0, p1, w1, h, *, backend: str | None = None):
    """Time and distance of the closest approach on the Hermite interpolant of one step.

    p0, p1: (K, 3) relative position (secondary - primary) km at the step's ends; w0, w1:
    (K, 3) relative velocity km/s; h: (K,) step, s. The bracket must hold a minimum:
    p0.w0 < 0 <= p1.w1. Solves f(s) = p(s).p'(s) = 0 by Newton's method safeguarded by
    bisection on the bracket (f' = |p'|^2 + p.p''). Returns (s (K,) in [0, 1], dmin (K,) km).
    """
    c0, c1, c2, c3 = hermite_coefficients(p0, w0, p1, w1, h)
    lo = np.zeros(len(c0))
    hi = np.ones(len(c0))
    f0 = np.einsum("ij,ij->i", p0, w0)
    f1 = np.einsum("ij,ij->i", p1, w1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(f1 > f0, f0 / (f0 - f1), 0.5)
    s = np.clip(np.nan_to_num(s, nan=0.5), 0.0, 1.0)
    for _ in range(HERMITE_ITERATIONS):
        sc = s[:, None]
        p = c0 + sc * (c1 + sc * (c2 + sc * c3))
        dp = c1 + sc * (2.0 * c2 + 3.0 * sc * c3)
        ddp = 2.0 * c2 + 6.0 * sc * c3
        f = np.einsum("ij,ij->i", p, dp)
        df = np.einsum("ij,ij->i", dp, dp) + np.einsum("ij,ij->i", p, ddp)
        lo = np.where(f < 0, s, lo)
        hi = np.where(f < 0, hi, s)
        with np.errstate(invalid="ignore", divide="ignore"):
            sn = s - f / df
        bad = ~((sn >= lo) & (sn <= hi))
        s = np.where(bad, 0.5 * (lo + hi), sn)
    sc = s[:, None]
    p = c0 + sc * (c1 + sc * (c2 + sc * c3))
    return s, np.sqrt(np.einsum("ij,ij->i", p, p))
