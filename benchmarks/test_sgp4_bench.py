"""SGP4 throughput: debris-engine's NumPy backend against python-sgp4's SatrecArray (the
reference, C++ in one thread) and heyoka (when installed), on the same element sets and
the same times. Workload as in shared reference propagation.md section 2.2: a
Cosmos-1408-like cloud (near-earth, WGS72, opsmode 'i'), 100 times over one day.

Initialisation is excluded from every timed call (done in setup); each timed call
produces the full (N, M) error codes and (N, M, 3) positions and velocities.
"""

from __future__ import annotations

import numpy as np
import pytest
from sgp4.api import SatrecArray, jday

import engine
from engine._backend import cpu_name

N_OBJECTS = 10_000
N_TIMES = 100


@pytest.fixture(scope="module")
def workload(cosmos_cloud, cosmos_satrecs):
    sats = cosmos_satrecs(cosmos_cloud(N_OBJECTS))
    jd0, fr0 = jday(2021, 11, 16, 0, 0, 0)
    fr = fr0 + np.linspace(0.0, 1.0, N_TIMES)
    jd = np.full(N_TIMES, jd0)
    return sats, jd, fr


@pytest.mark.parametrize("threads", [1, 2])
def test_sgp4_numpy(benchmark, record, workload, threads):
    """threads: the NumPy backend's block threads (threads=), side by side with heyoka's."""
    sats, jd, fr = workload
    cat = engine.Catalog.from_satrecs(sats)
    cat.sgp4(jd[:1], fr[:1], backend="numpy")  # initialise once, outside the timed call
    e, r, v = benchmark(cat.sgp4, jd, fr, backend="numpy", threads=threads)
    assert e.shape == (N_OBJECTS, N_TIMES) and r.shape == (N_OBJECTS, N_TIMES, 3)
    record(kernel="sgp4", backend=f"numpy-{threads}thread", dtype="float64", device=cpu_name(),
           n_objects=N_OBJECTS, n_times=N_TIMES)


def test_sgp4_host_executor(benchmark, record, workload):
    """kernels/sgp4.cu on the CPU (backend "host", OpenMP over every core), the NumPy
    benchmark's workload: whether the host executor beats NumPy here (benchmarks/NOTES.md)."""
    sats, jd, fr = workload
    cat = engine.Catalog.from_satrecs(sats)
    cat.sgp4(jd[:1], fr[:1], backend="host")  # compile and initialise outside the timed call
    e, r, v = benchmark(cat.sgp4, jd, fr, backend="host")
    assert e.shape == (N_OBJECTS, N_TIMES) and r.shape == (N_OBJECTS, N_TIMES, 3)
    record(kernel="sgp4", backend="host", dtype="float64", device=cpu_name(), n_objects=N_OBJECTS, n_times=N_TIMES)


def test_sgp4_python_sgp4_satrecarray(benchmark, record, workload):
    sats, jd, fr = workload
    arr = SatrecArray(sats)
    e, r, v = benchmark(arr.sgp4, jd, fr)
    assert e.shape == (N_OBJECTS, N_TIMES)
    record(kernel="sgp4", backend="python-sgp4", dtype="float64", device=cpu_name(), n_objects=N_OBJECTS, n_times=N_TIMES)


@pytest.mark.parametrize("threads", [1, 2])
def test_sgp4_heyoka(benchmark, record, workload, threads):
    hy = pytest.importorskip("heyoka", reason="heyoka is not installed (pip install debris-engine[bench])")
    sats, jd, fr = workload
    prop = hy.model.sgp4_propagator(sats)
    # heyoka's fastest input is minutes since epoch (its jd/frac input is ~2x slower here);
    # every object of this cloud has the same epoch, so this is the same work
    epoch = sats[0].jdsatepoch + sats[0].jdsatepochF
    assert all(s.jdsatepoch + s.jdsatepochF == epoch for s in sats)
    minutes = ((jd - sats[0].jdsatepoch) + (fr - sats[0].jdsatepochF)) * 1440.0
    tm = np.ascontiguousarray(np.repeat(minutes[:, None], N_OBJECTS, axis=1))
    hy.set_nthreads(threads)
    try:
        out = benchmark(prop, tm)
    finally:
        hy.set_nthreads(0)
    assert out.shape == (N_TIMES, 7, N_OBJECTS)
    record(kernel="sgp4", backend=f"heyoka-{threads}thread", dtype="float64", device=cpu_name(), n_objects=N_OBJECTS, n_times=N_TIMES)
