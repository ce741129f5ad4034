"""Foster 2D probability of collision throughput (engine.pc.foster), "kernel": "pc" records.

Workload: 100,000 seeded conjunctions (LEO states, misses 10 m to 5 km, relative speeds
1 m/s to 15 km/s, random covariances with sigmas 1 m to 1 km, hard-body radii 5 to 70 m),
the mix of tests/test_pc.py's random_conjunctions, on numpy, on the host executor
(kernels/pc.cu on the CPU) and on cuda (1e6 conjunctions). Each timed call returns host
arrays, so the device is synchronised inside it; the kernel is compiled outside it.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import _backend, pc

N_CPU = 100_000
N_CUDA = 1_000_000


def conjunctions(n: int, seed: int = 0):
    """(r1, v1, cov1, r2, v2, cov2, hbr_km) of n seeded conjunctions (module docstring)."""
    rng = np.random.default_rng(seed)
    r1 = rng.normal(size=(n, 3))
    r1 *= (6778.0 + rng.uniform(0, 800, n))[:, None] / np.linalg.norm(r1, axis=1)[:, None]
    v1 = np.cross(r1, rng.normal(size=(n, 3)))
    v1 *= 7.5 / np.linalg.norm(v1, axis=1)[:, None]
    r2 = r1 + rng.normal(size=(n, 3)) * rng.choice([0.01, 0.1, 1.0, 5.0], size=(n, 1))
    v2 = v1 + rng.normal(size=(n, 3)) * rng.choice([0.001, 0.1, 5.0], size=(n, 1))

    def cov():
        a = rng.normal(size=(n, 3, 3)) * rng.choice([1e-3, 1e-2, 1e-1, 1.0], size=(n, 1, 1))
        return a @ a.transpose(0, 2, 1)

    return r1, v1, cov(), r2, v2, cov(), rng.choice([0.005, 0.02, 0.07], size=n)


def _run(benchmark, record, n, backend):
    args = conjunctions(n)
    pc.foster(*(a[:16] for a in args), backend=backend)  # compile outside the timed call

    def call():
        res = pc.foster(*args, backend=backend)
        return _backend.to_host(res.pc)  # host copy: the device is synchronised

    out = benchmark.pedantic(call, rounds=3, iterations=1)
    assert out.shape == (n,)
    record(kernel="pc", backend=backend, dtype="float64", device=_backend.device_name(backend),
           n_objects=n, n_times=1)


def test_pc_foster_numpy(benchmark, record):
    _run(benchmark, record, N_CPU, "numpy")


def test_pc_foster_host_executor(benchmark, record):
    _run(benchmark, record, N_CPU, "host")


def test_pc_foster_cuda(benchmark, record):
    ok, reason = _backend.cuda_status()
    if not ok:
        pytest.skip(f"no CUDA device: {reason}")
    _run(benchmark, record, N_CUDA, "cuda")
