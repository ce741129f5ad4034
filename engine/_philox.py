"""Philox4x32-10 in NumPy: the counter-based generator of every random kernel.

Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11
(2011), section 3.3. The same function is written for the device in kernels/philox.cuh;
both are checked against Random123's published known-answer vectors and against each
other (tests/test_philox.py).

Counter layout: (index low word, index high word, draw, stream); key: (seed low word,
seed high word). A (seed, stream, index, draw) names one fixed block of 128 random bits
on every backend, so results never depend on chunking or launch geometry.
"""

from __future__ import annotations

import numpy as np

__all__ = ["philox4x32_10", "uniform_pair", "check_seed"]

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_MASK32 = 0xFFFFFFFF
_SHIFT32 = np.uint64(32)
_TWO_M53 = 2.0**-53


def check_seed(seed) -> int:
    """The seed as a Python int in [0, 2**64); a clear error otherwise."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer in [0, 2**64), got {seed!r}; pass e.g. seed=0")
    s = int(seed)
    if not 0 <= s < 2**64:
        raise ValueError(f"seed must be in [0, 2**64), got {s}; pass a non-negative 64-bit integer")
    return s


def philox4x32_10(c0, c1, c2, c3, k0: int, k1: int):
    """Philox4x32-10 of counters (c0, c1, c2, c3) (uint32 arrays, broadcast) under key (k0, k1).

    Returns four uint32 arrays. The multiplications are done in uint64 and split into
    high and low words, as the reference's mulhilo.
    """
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint32) for c in (c0, c1, c2, c3))
    c0, c1, c2, c3 = np.broadcast_arrays(c0, c1, c2, c3)
    for _ in range(10):
        p0 = c0.astype(np.uint64) * _M0
        p1 = c2.astype(np.uint64) * _M1
        hi0 = (p0 >> _SHIFT32).astype(np.uint32)
        hi1 = (p1 >> _SHIFT32).astype(np.uint32)
        c0, c1, c2, c3 = (
            hi1 ^ c1 ^ np.uint32(k0),
            p1.astype(np.uint32),
            hi0 ^ c3 ^ np.uint32(k1),
            p0.astype(np.uint32),
        )
        k0 = (k0 + _W0) & _MASK32
        k1 = (k1 + _W1) & _MASK32
    return c0, c1, c2, c3


def _open_unit(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    # 53 random bits, then the middle of the 2^-53 cell: u in the open interval (0, 1)
    bits = ((hi >> np.uint32(5)).astype(np.uint64) << np.uint64(26)) | (lo >> np.uint32(6)).astype(np.uint64)
    return (bits.astype(np.float64) + 0.5) * _TWO_M53


def uniform_pair(seed: int, stream: int, index: np.ndarray, draw: int):
    """Two float64 uniforms in (0, 1) per element of `index` (uint64 array), as
    de_philox::uniform_pair in kernels/philox.cuh."""
    index = np.asarray(index, dtype=np.uint64)
    lo = index.astype(np.uint32)
    hi = (index >> _SHIFT32).astype(np.uint32)
    r0, r1, r2, r3 = philox4x32_10(lo, hi, np.uint32(draw), np.uint32(stream),
                                   seed & _MASK32, seed >> 32)
    return _open_unit(r0, r1), _open_unit(r2, r3)
