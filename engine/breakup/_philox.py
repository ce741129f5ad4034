"""Philox4x32-10 in NumPy: the counter-based generator of every random kernel.

Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11
(2011), section 3.3. The same function is written for the device in kernels/philox.cuh;
both are checked against Random123's published known-answer vectors and against each
other (tests/test_breakup_kernels.py).

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
_LOW32 = np.uint64(0xFFFFFFFF)
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

    Returns four uint32 arrays. Inside, the words are held in uint64 so that the 32 x 32
    bit products (the reference's mulhilo) are exact and split by shift and mask, with
    no allocation per round.
    """
    words = np.broadcast_arrays(*(np.asarray(c, dtype=np.uint32) for c in (c0, c1, c2, c3)))
    return tuple(w.astype(np.uint32) for w in _rounds(*(w.astype(np.uint64) for w in words), k0, k1))


def _rounds(c0, c1, c2, c3, k0: int, k1: int):
    """The ten rounds on uint64 arrays holding 32-bit words (modified in place)."""
    p0 = np.empty_like(c0)
    p1 = np.empty_like(c0)
    for _ in range(10):
        np.multiply(c0, _M0, out=p0)
        np.multiply(c2, _M1, out=p1)
        np.right_shift(p1, _SHIFT32, out=c0)
        c0 ^= c1
        c0 ^= np.uint64(k0)
        np.bitwise_and(p1, _LOW32, out=c1)
        np.right_shift(p0, _SHIFT32, out=c2)
        c2 ^= c3
        c2 ^= np.uint64(k1)
        np.bitwise_and(p0, _LOW32, out=c3)
        k0 = (k0 + _W0) & _MASK32
        k1 = (k1 + _W1) & _MASK32
    return c0, c1, c2, c3


def _open_unit(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    # 53 random bits, then the middle of the 2^-53 cell: u in the open interval (0, 1);
    # hi, lo: uint64 arrays holding 32-bit words (consumed)
    hi >>= np.uint64(5)
    hi <<= np.uint64(26)
    lo >>= np.uint64(6)
    hi |= lo
    u = hi.astype(np.float64)
    u += 0.5
    u *= _TWO_M53
    return u


def uniform_pair(seed: int, stream: int, index: np.ndarray, draw: int):
    """Two float64 uniforms in (0, 1) per element of `index` (uint64 array), as
    de_philox::uniform_pair in kernels/philox.cuh."""
    index = np.asarray(index, dtype=np.uint64)
    c0 = index & _LOW32
    c1 = index >> _SHIFT32
    c2 = np.full_like(c0, draw)
    c3 = np.full_like(c0, stream)
    r0, r1, r2, r3 = _rounds(c0, c1, c2, c3, seed & _MASK32, seed >> 32)
    return _open_unit(r0, r1), _open_unit(r2, r3)
