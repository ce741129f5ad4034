"""Philox4x32-10 and the breakup kernel math: NumPy, kernels/breakup.cu's entry points on the
host executor (and on a GPU) and the g++ build of philox.cuh give the same random numbers
and the same fragments.

Authority for the generator: Random123's published known-answer vectors (kat_vectors,
"philox4x32 10" lines: counter, key -> output).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from engine.breakup import _numpy as bn
from engine import breakup
from engine.breakup._philox import philox4x32_10, uniform_pair
from engine.breakup import Body

KAT = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]
REL_1E12 = 1e-12
needs_gxx = pytest.mark.skipif(shutil.which("g++") is None,
                               reason="g++ not found: the host build of kernels/breakup.cuh needs it")


@pytest.mark.parametrize("ctr, key, want", KAT)
def test_philox_numpy_known_answers(ctr, key, want):
    got = philox4x32_10(*ctr, *key)
    assert tuple(int(x) for x in got) == want


@pytest.fixture(scope="module")
def host():
    from engine.breakup._cuda import BreakupHost

    return BreakupHost()


@needs_gxx
@pytest.mark.parametrize("ctr, key, want", KAT)
def test_philox_host_build_known_answers(host, ctr, key, want):
    out = host.philox(np.array([ctr], dtype=np.uint32), *key)
    assert tuple(int(x) for x in out[0]) == want


@needs_gxx
def test_philox_numpy_equals_host_build_on_random_counters(host):
    rng = np.random.default_rng(2024)
    ctr = rng.integers(0, 2**32, size=(100_000, 4), dtype=np.uint64).astype(np.uint32)
    k0, k1 = 0x12345678, 0x9ABCDEF0
    want = host.philox(ctr, k0, k1)
    got = np.stack(philox4x32_10(ctr[:, 0], ctr[:, 1], ctr[:, 2], ctr[:, 3], k0, k1), axis=1)
    np.testing.assert_array_equal(got, want)


def test_uniforms_open_interval_and_uniform():
    u0, u1 = uniform_pair(7, 1, np.arange(200_000, dtype=np.uint64), 0)
    u = np.concatenate([u0, u1])
    assert u.min() > 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 3e-3 and abs(u.var() - 1 / 12) < 1e-3
    assert np.corrcoef(u0, u1)[0, 1] < 0.01


def _params(seed):
    beta = 1.71
    return bn.SizeParams(seed=seed, n_small=150_000, neg_beta_inv=-1 / beta,
                         small_lo=0.001**-beta, small_span=0.001**-beta - 1.0,
                         large_lo=1.0, large_span=1.0 - 4.0**-beta, q_projectile=0.3,
                         lc_projectile=0.2, kind_target=0, kind_projectile=1)


def _run(fn, p, index0, n):
    o = dict(lc=np.empty(n), am=np.empty(n), area=np.empty(n), mass=np.empty(n),
             parent=np.empty(n, np.uint8), kind=np.empty(n, np.uint8))
    fn(p, index0, n, **o)
    return o


def _assert_same(a, b, what):
    for k in a:
        if a[k].dtype == np.uint8:
            bad = np.flatnonzero(a[k] != b[k])
            assert bad.size == 0, f"{what} {k}: {bad.size} differ, first at {bad[:5]}"
        else:
            rel = np.abs(a[k] - b[k]) / np.abs(b[k])
            i = int(np.argmax(rel))
            assert rel[i] <= REL_1E12, f"{what} {k}: max rel diff {rel[i]:.2e} at {i}"


@needs_gxx
@pytest.mark.parametrize("seed", [0, 2**63 + 12345])
def test_size_stage_host_build_equals_numpy(host, seed):
    p = _params(seed)
    n = 200_000   # spans both ranges and the 8-11 cm bridge; 64-bit seeds and indices
    _assert_same(_run(host.sample_size, p, 5, n), _run(bn.sample_size, p, 5, n), "host vs numpy")


@needs_gxx
def test_dv_stage_host_build_equals_numpy(host):
    am = 10.0 ** np.random.default_rng(1).uniform(-3, 1, 100_000)
    a, b = np.empty((am.size, 3)), np.empty((am.size, 3))
    host.sample_dv(11, 2**40, am, 0.9, 2.9, 0.4, out=a)
    bn.sample_dv(11, 2**40, am, 0.9, 2.9, 0.4, out=b)
    rel = np.abs(a - b).max(axis=1) / np.linalg.norm(b, axis=1)
    assert rel.max() <= REL_1E12, f"max rel diff {rel.max():.2e} at {int(np.argmax(rel))}"


def test_draws_do_not_depend_on_chunking():
    p = _params(3)
    whole = _run(bn.sample_size, p, 0, 300_000)
    parts = [_run(bn.sample_size, p, i, 100_000) for i in (0, 100_000, 200_000)]
    for k in whole:
        np.testing.assert_array_equal(whole[k], np.concatenate([q[k] for q in parts]))


@needs_gxx
def test_launch_chunks_draw_the_same_numbers(monkeypatch):
    """The launcher's split into launches (index0 + b, offset outputs) on the host executor
    gives the bits of one launch."""
    from engine.breakup import _cuda as _breakup_cuda

    p = _params(7)
    whole = _run(lambda *a, **k: _breakup_cuda.sample_size(*a, **k, backend="host"), p, 9, 50_000)
    monkeypatch.setattr(_breakup_cuda, "_MAX_LAUNCH", 7_001)
    parts = _run(lambda *a, **k: _breakup_cuda.sample_size(*a, **k, backend="host"), p, 9, 50_000)
    for k in whole:
        np.testing.assert_array_equal(whole[k], parts[k])
    am = 10.0 ** np.random.default_rng(2).uniform(-3, 1, 20_000)
    a, b = np.empty((am.size, 3)), np.empty((am.size, 3))
    _breakup_cuda.sample_dv(5, 3, am, 0.9, 2.9, 0.4, out=b, backend="host")
    monkeypatch.setattr(_breakup_cuda, "_MAX_LAUNCH", 999)
    _breakup_cuda.sample_dv(5, 3, am, 0.9, 2.9, 0.4, out=a, backend="host")
    np.testing.assert_array_equal(a, b)


def test_backends_agree(backend):
    """The public API on each backend against NumPy: same seed, same fragments."""
    r0 = np.array([6851.0, 0.0, 0.0])
    v0 = np.array([0.0, 7.5, 1.0])
    t = Body(1740.0, r0, v0)
    p = Body(10.0, r0, v0 + np.array([3.0, -7.6, 0.0]))
    want = breakup.collision(t, p, lc_min=0.002, seed=17, backend="numpy")
    got = breakup.collision(t, p, lc_min=0.002, seed=17, backend=backend).to_host()
    assert len(got) == len(want) > 300_000
    for k in ("parent", "kind", "role"):
        np.testing.assert_array_equal(getattr(got, k), getattr(want, k))
    for k in ("lc", "am", "area", "mass", "dv", "v"):
        a, b = getattr(got, k), getattr(want, k)
        if b.ndim == 2:   # vectors: relative to their length (components may be ~0)
            rel = np.linalg.norm(a - b, axis=1) / np.linalg.norm(b, axis=1)
        else:
            rel = np.abs(a - b) / np.abs(b)
        i = int(np.argmax(rel))
        assert rel[i] <= REL_1E12, f"{k}: max rel diff {rel[i]:.2e} at fragment {i}"
