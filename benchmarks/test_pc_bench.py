"""Foster 2D probability of collision throughput (engine.pc.foster), "kernel": "pc" records.

Workload: 100,000 seeded conjunctions (LEO states, misses 10 m to 5 km, relative speeds
1 m/s to 15 km/s, random covariances with sigmas 1 m to 1 km, hard-body radii 5 to 70 m),
tests/randomsets.py's random_conjunctions, on numpy, on the host executor
(kernels/pc.cu on the CPU) and on cuda (1e6 conjunctions). Each timed call returns host
arrays, so the device is synchronised inside it; the kernel is compiled outside it.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import _backend, pc
from randomsets import random_conjunctions  # tests/randomsets.py (benchmarks/conftest.py)

N_CPU = 100_000
N_CUDA = 1_000_000


def _run(benchmark, record, n, backend):
    args = random_conjunctions(n, seed=0)
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
