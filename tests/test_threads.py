"""Threads in the NumPy SGP4 path: bit-identical results for any thread count.

The blocks of objects (engine.sgp4._numpy._run_subset) are the same for any thread
count and each writes its own rows, so 1, 2 and 3 threads must agree to the bit,
error codes included; the threads= setting must reach the block loop.
"""

from __future__ import annotations

import numpy as np
import pytest
from randomsets import CLASSES, random_satrecs

import engine
from engine import _parallel
from engine.sgp4 import _numpy as _sgp4_numpy


def _mixed_catalog(n=600, seed=17):
    # every class in turn: near-earth and deep-space rows interleave, so both the
    # contiguous-row and the scatter (scratch buffer) paths run; "decaying" gives codes 1, 4, 6
    sats = random_satrecs(n, seed, classes=CLASSES, epoch_days=(26250.0, 26252.0))
    return engine.Catalog.from_satrecs(sats)


def _times(m=37):
    jd = np.full(m, 2459530.5)  # 2021-11-15 0h UTC and the next ~2.5 days
    fr = np.linspace(0.0, 2.5, m)
    return jd, fr


@pytest.mark.parametrize("m", [1, 37, 9000])
def test_sgp4_threads_bit_identical(m, monkeypatch):
    # blocks of 8,192 pairs (65,536 in use): several groups of rows, and at m = 9000 blocks
    # that split the times, so that threads really share the work out
    monkeypatch.setattr(_sgp4_numpy, "_BLOCK", 8192)
    cat = _mixed_catalog(n=600 if m < 9000 else 40)
    jd, fr = _times(m)
    e1, r1, v1 = cat.sgp4(jd, fr, backend="numpy", threads=1)
    assert np.any(e1 != 0) and np.any(e1 == 0)  # the batch has failing and good pairs
    for nt in (2, 3):
        e, r, v = cat.sgp4(jd, fr, backend="numpy", threads=nt)
        np.testing.assert_array_equal(e, e1)
        # bit for bit, NaN in the same places (assert_array_equal treats NaN == NaN)
        np.testing.assert_array_equal(r.view(np.uint64), r1.view(np.uint64))
        np.testing.assert_array_equal(v.view(np.uint64), v1.view(np.uint64))


def test_sgp4_tsince_threads_bit_identical(monkeypatch):
    monkeypatch.setattr(_sgp4_numpy, "_BLOCK", 2048)  # 41 rows per block: 8 groups
    cat = _mixed_catalog(n=300, seed=3)
    t = np.linspace(-720.0, 4320.0, 50)
    a = cat.sgp4_tsince(t, backend="numpy", threads=1)
    b = cat.sgp4_tsince(t, backend="numpy", threads=2)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.view(np.uint8), y.view(np.uint8))


def test_threads_setting_reaches_the_block_loop(monkeypatch):
    seen = []
    real = _parallel.run_blocks

    def spy(items, work, nthreads):
        seen.append(nthreads)
        return real(items, work, nthreads)

    monkeypatch.setattr(_parallel, "run_blocks", spy)
    cat = _mixed_catalog(n=60)
    jd, fr = _times(5)
    cat.sgp4(jd, fr, backend="numpy", threads=3)
    assert seen and set(seen) == {3}
    seen.clear()
    monkeypatch.setenv("DEBRIS_ENGINE_THREADS", "2")
    cat.sgp4(jd, fr, backend="numpy")
    assert seen and set(seen) == {2}
    seen.clear()
    monkeypatch.delenv("DEBRIS_ENGINE_THREADS")
    cat.sgp4(jd, fr, backend="numpy")
    assert set(seen) == {_parallel.usable_cores()}


def test_threads_below_one_is_refused():
    cat = _mixed_catalog(n=4)
    with pytest.raises(ValueError, match="threads=0"):
        cat.sgp4(2459530.5, 0.0, backend="numpy", threads=0)
    with pytest.raises(ValueError, match="threads=0"):
        _sgp4_numpy.sgp4(cat._sgp4_cache.get(("numpy", "<f8")) or _sgp4_numpy.sgp4init(cat.elements()),
                         np.zeros(3), threads=0)


@pytest.mark.parametrize("bad", [-1, 2.5, "x", True])
def test_sgp4_refuses_a_thread_count_that_is_not_a_whole_number(bad):
    """2.5 used to be truncated to 2 threads without a word; every capability now shares
    engine._parallel.resolve_threads."""
    cat = _mixed_catalog(n=4)
    with pytest.raises(ValueError, match=r"threads=.*whole number of threads >= 1"):
        cat.sgp4(2459530.5, 0.0, backend="numpy", threads=bad)
