"""Benchmark plumbing: device name in every record, and a flat results file.

Run with ``bash ci/bench.sh`` (or ``python -m pytest benchmarks --benchmark-enable``).
pytest-benchmark's own JSON goes where ``--benchmark-json`` says; in addition every
benchmark that calls :func:`record` adds a flat record
{"kernel", "backend", "dtype", "device", "n_objects", "n_times", "evals_per_s",
"seconds", "floor_fraction"} plus kernel-specific figures (a callable gets the best time
in seconds: ``fragments_per_s=lambda s: n / s``) to ``$DEBRIS_BENCH_RECORDS`` (a JSON list) when that
variable is set. Benchmarks never assert on time.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

# the seeded generators of tests/randomsets.py serve the benchmarks too (one copy)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from engine._backend import cpu_name

#: epoch of the Cosmos-1408-like cloud: 2021-11-16 00:00 UT as a split Julian date
COSMOS_EPOCH_JD = (2459534.5, 0.0)

_RECORDS: list[dict] = []


@pytest.fixture
def record(benchmark):
    """Call ``record(kernel=..., backend=..., dtype=..., device=..., n_objects=..., n_times=...)``
    after ``benchmark(...)`` ran: throughput comes from the benchmark's minimum time."""

    def add(*, kernel, backend, dtype, device, n_objects, n_times=1, floor_fraction=None, **extra):
        """extra: kernel-specific figures, e.g. fragments_per_s, host_peak_bytes."""
        if benchmark.stats is None:  # --benchmark-disable: the body ran once, untimed
            return None
        seconds = benchmark.stats.stats.min
        evals = n_objects * n_times
        rec = {
            "kernel": kernel,
            "backend": backend,
            "dtype": dtype,
            "device": device,
            "n_objects": n_objects,
            "n_times": n_times,
            "evals_per_s": evals / seconds,
            "seconds": seconds,
            "floor_fraction": floor_fraction,
        }
        rec.update({k: (v(seconds) if callable(v) else v) for k, v in extra.items()})
        benchmark.extra_info.update(rec)
        _RECORDS.append(rec)
        return rec

    return add


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("DEBRIS_BENCH_RECORDS")
    if path and _RECORDS:
        with open(path, "w") as f:
            json.dump(_RECORDS, f, indent=1)


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["device"] = cpu_name()


def cosmos_like_elements(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Elements of n objects around Cosmos 1408's 2021 orbit (near-earth), seeded.

    The distribution of benchmarks/test_sgp4_bench.py's cloud, drawn column by column
    with NumPy (1e6 objects in well under a second, where building Satrecs takes ~30 s).
    Returns (n,) float64 arrays in Satrec units, ready for engine.Catalog.from_arrays:
    jdsatepoch, jdsatepochF (days), no_kozai (rad/min), ecco, inclo, nodeo, argpo,
    mo (rad), bstar (1/earth radii), ndot, nddot (0).
    """
    rng = np.random.default_rng(seed)
    deg = np.pi / 180
    xpdotp = 1440.0 / (2.0 * np.pi)  # rev/day -> rad/min
    return {
        "jdsatepoch": np.full(n, COSMOS_EPOCH_JD[0]),
        "jdsatepochF": np.full(n, COSMOS_EPOCH_JD[1]),
        "bstar": 10 ** rng.uniform(-5, -3, n),
        "ndot": np.zeros(n),
        "nddot": np.zeros(n),
        "ecco": 10 ** rng.uniform(-4, -2, n),
        "argpo": rng.uniform(0, 360, n) * deg,
        "inclo": (82.56 + rng.normal(0, 0.3, n)) * deg,
        "mo": rng.uniform(0, 360, n) * deg,
        "no_kozai": rng.uniform(15.0, 15.7, n) / xpdotp,
        "nodeo": (40 + rng.normal(0, 0.5, n)) * deg,
    }


def satrecs_from_elements(el: dict[str, np.ndarray], stop: int | None = None) -> list:
    """python-sgp4 Satrecs (WGS72, opsmode 'i') of the first ``stop`` objects of ``el``,
    for the peers that take Satrec objects; the same orbits as Catalog.from_arrays(**el)."""
    from sgp4.api import WGS72, Satrec

    n = len(el["ecco"]) if stop is None else stop
    epoch = el["jdsatepoch"] - 2433281.5 + el["jdsatepochF"]  # days since 1949 Dec 31 00:00 UT
    sats = []
    for k in range(n):
        s = Satrec()
        s.sgp4init(WGS72, "i", k % 100000, float(epoch[k]), float(el["bstar"][k]),
                   float(el["ndot"][k]), float(el["nddot"][k]), float(el["ecco"][k]),
                   float(el["argpo"][k]), float(el["inclo"][k]), float(el["mo"][k]),
                   float(el["no_kozai"][k]), float(el["nodeo"][k]))
        sats.append(s)
    return sats


@pytest.fixture(scope="session")
def cosmos_cloud():
    """``cosmos_cloud(n, seed=0)`` -> element arrays (see :func:`cosmos_like_elements`),
    cached per (n, seed) for the session so every backend sees the same objects."""
    cache: dict[tuple[int, int], dict[str, np.ndarray]] = {}

    def get(n: int, seed: int = 0) -> dict[str, np.ndarray]:
        if (n, seed) not in cache:
            cache[(n, seed)] = cosmos_like_elements(n, seed)
        return cache[(n, seed)]

    return get


@pytest.fixture(scope="session")
def cosmos_satrecs():
    """:func:`satrecs_from_elements` as a fixture (test files cannot import conftest)."""
    return satrecs_from_elements
