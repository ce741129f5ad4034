"""engine.longterm.decay(threads=...): the NumPy implementation's blocks of objects on a pool
of threads (issue 17, point 1).

The blocks are the same for any thread count and each writes its own slices of the
outputs, so one and three threads must agree to the bit, status codes included; the
setting must reach the block loop; a bad value is refused before any work, naming the
argument.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_longterm import START, random_states

from engine import _parallel
from engine import longterm as lt
from engine.longterm import _numpy as lt_numpy


def _objects(n=90, seed=23):
    """Seeded states of 180-600 km perigee (e up to 0.05, A/M 0.005-0.5 m^2/kg): some
    re-enter within the 60 days, some stay; one is hyperbolic (NOT_ORBITING)."""
    rng = np.random.default_rng(seed)
    r, v = random_states(rng, n, hp=(180.0, 600.0), emax=0.05)
    if n > 7:
        v[7] *= 1.6   # above escape speed: not an orbit, reported and skipped
    am = 10.0 ** rng.uniform(np.log10(0.005), np.log10(0.5), n)
    return r, v, am, np.datetime64(START)


def _same_bits(a, b):
    for name in ("reentry", "status", "final_time", "on_orbit", "am"):
        np.testing.assert_array_equal(getattr(a, name).view(np.uint8), getattr(b, name).view(np.uint8),
                                      err_msg=name)
    for k in lt.ELEMENTS:
        np.testing.assert_array_equal(a.elements[k].view(np.uint64), b.elements[k].view(np.uint64), err_msg=k)


@pytest.mark.parametrize("record_days", [None, 10.0])
def test_decay_threads_bit_identical(monkeypatch, record_days):
    # blocks of 8 objects: 12 blocks, so three threads share them out (BLOCK is 16,384 in use)
    monkeypatch.setattr(lt_numpy, "BLOCK", 8)
    objs = _objects()
    kw = dict(atmosphere="exponential", backend="numpy", record_days=record_days)
    one = lt.decay(objs, START, "2022-01-14", threads=1, **kw)
    assert np.any(one.status == lt.REENTERED) and np.any(one.status == lt.IN_ORBIT)
    assert one.status[7] == lt.NOT_ORBITING
    three = lt.decay(objs, START, "2022-01-14", threads=3, **kw)
    _same_bits(one, three)
    if record_days is not None:
        for k in ("a_km", "ecco", "inclo", "alive"):
            np.testing.assert_array_equal(one.history[k].view(np.uint8), three.history[k].view(np.uint8))


@pytest.mark.parametrize("threads, env, want", [(3, None, 3), (None, "2", 2), (None, None, None)])
def test_decay_threads_reach_the_block_loop(monkeypatch, threads, env, want):
    """threads=, else $DEBRIS_ENGINE_THREADS, else every usable core, at the block loop."""
    counts = []
    real = _parallel.run_blocks
    monkeypatch.setattr(_parallel, "run_blocks", lambda items, work, n: (counts.append(n), real(items, work, n)))
    if env is None:
        monkeypatch.delenv("DEBRIS_ENGINE_THREADS", raising=False)
    else:
        monkeypatch.setenv("DEBRIS_ENGINE_THREADS", env)
    lt.decay(_objects(n=12), START, "2021-11-25", atmosphere="exponential", backend="numpy", threads=threads)
    assert counts == [want or _parallel.usable_cores()]


@pytest.mark.parametrize("bad", [0, -1, 2.5, "x", True])
def test_decay_refuses_a_bad_thread_count(bad, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    monkeypatch.setattr(lt_numpy, "run", no_work)
    with pytest.raises(ValueError, match=r"^threads=.*whole number of threads >= 1"):
        lt.decay(_objects(n=3), START, "2021-11-25", atmosphere="exponential", backend="numpy", threads=bad)
