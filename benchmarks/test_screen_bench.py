"""Conjunction screening throughput (engine.screen), "kernel": "screen" records.

Workloads (the project's screening goals; CPU anchors from the conjunction research notes:
SIMPLETON screens ~30k objects all-vs-all for 24 h at 5 km in ~20 s, ESA cascade 19.6k
LEO objects for a week in < 30 s on 32 threads):

* one-vs-many: the ISS (element set of 15 Nov 2021) against a Cosmos-1408-like cloud,
  5 km; NumPy with 1e4 fragments over 1 day, CUDA with 1e6 fragments over 7 days;
* all-vs-all: a catalogue-like LEO population (random planes, 400-1200 km), 1 day, 5 km;
  NumPy with 5,000 objects, CUDA with 1e5 objects.

n_times in a record is the number of samples of the time grid, so evals_per_s counts
object-samples per second. The CUDA cases warm up (kernel compilation) on a small case
first; every timed call returns host results, so the device is synchronised inside it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import engine
from engine import _backend
from engine.screening import DEFAULT_STEP_ALL_S, DEFAULT_STEP_ONE_S, screen

START = "2021-11-16T00:00"


def leo_catalogue(n: int, seed: int = 0) -> engine.Catalog:
    """n objects on random planes, 400-1200 km, near-circular, epoch 2021-11-16 00:00 UTC."""
    rng = np.random.default_rng(seed)
    a = 6378.135 + rng.uniform(400.0, 1200.0, n)
    return engine.Catalog.from_arrays(
        jdsatepoch=np.full(n, 2459534.5), jdsatepochF=np.zeros(n),
        no_kozai=np.sqrt(398600.8 / a ** 3) * 60.0, ecco=10 ** rng.uniform(-4, -2, n),
        inclo=np.arccos(rng.uniform(-1, 1, n)), nodeo=rng.uniform(0, 2 * math.pi, n),
        argpo=rng.uniform(0, 2 * math.pi, n), mo=rng.uniform(0, 2 * math.pi, n),
        bstar=10 ** rng.uniform(-5, -3.5, n), satnum=np.arange(n))


def _stop(days: float) -> np.datetime64:
    return np.datetime64(START) + np.timedelta64(int(days * 86400), "s")


def _n_samples(days: float, step: float) -> int:
    return int(math.ceil(days * 86400 / step - 1e-9)) + 1


def _cuda_or_skip():
    ok, reason = _backend.cuda_status()
    if not ok:
        pytest.skip(f"no CUDA device: {reason}")


def _iss_vs_cloud(benchmark, record, cosmos_cloud, n, days, backend):
    cloud = engine.Catalog.from_arrays(**cosmos_cloud(n))
    iss = engine.events.iss()
    if backend != "numpy":  # compile the kernels outside the timed call
        screen(iss, cloud[:100], START, _stop(0.05), threshold_km=5.0, backend=backend)
    conj = benchmark.pedantic(screen, args=(iss, cloud, START, _stop(days)),
                              kwargs=dict(threshold_km=5.0, backend=backend), rounds=1, iterations=1)
    benchmark.extra_info["events"] = len(conj)
    record(kernel="screen", backend=backend, dtype="float64", device=_backend.device_name(backend),
           n_objects=n + 1, n_times=_n_samples(days, DEFAULT_STEP_ONE_S))


def _all_vs_all(benchmark, record, n, days, backend):
    cat = leo_catalogue(n)
    if backend != "numpy":
        screen(None, cat[:200], START, _stop(0.05), threshold_km=5.0, backend=backend)
    conj = benchmark.pedantic(screen, args=(None, cat, START, _stop(days)),
                              kwargs=dict(threshold_km=5.0, backend=backend), rounds=1, iterations=1)
    benchmark.extra_info["events"] = len(conj)
    record(kernel="screen", backend=backend, dtype="float64", device=_backend.device_name(backend),
           n_objects=n, n_times=_n_samples(days, DEFAULT_STEP_ALL_S))


def test_screen_iss_vs_1e4_numpy(benchmark, record, cosmos_cloud):
    _iss_vs_cloud(benchmark, record, cosmos_cloud, 10_000, 1.0, "numpy")


def test_screen_all_vs_all_5000_numpy(benchmark, record):
    _all_vs_all(benchmark, record, 5_000, 1.0, "numpy")


def test_screen_iss_vs_1e4_host_executor(benchmark, record, cosmos_cloud):
    """kernels/screen.cu and sgp4.cu on the CPU: the NumPy benchmark's workload."""
    _iss_vs_cloud(benchmark, record, cosmos_cloud, 10_000, 1.0, "host")


def test_screen_all_vs_all_5000_host_executor(benchmark, record):
    _all_vs_all(benchmark, record, 5_000, 1.0, "host")


def test_screen_iss_vs_1e6_7days_cuda(benchmark, record, cosmos_cloud):
    _cuda_or_skip()
    _iss_vs_cloud(benchmark, record, cosmos_cloud, 1_000_000, 7.0, "cuda")


def test_screen_all_vs_all_1e5_cuda(benchmark, record):
    _cuda_or_skip()
    _all_vs_all(benchmark, record, 100_000, 1.0, "cuda")
