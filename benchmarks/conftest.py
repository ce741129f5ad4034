"""Benchmark plumbing: device name in every record, and a flat results file.

Run with ``bash ci/bench.sh`` (or ``python -m pytest benchmarks --benchmark-enable``).
pytest-benchmark's own JSON goes where ``--benchmark-json`` says; in addition every
benchmark that calls :func:`record` adds a flat record
{"kernel", "backend", "dtype", "device", "n_objects", "n_times", "evals_per_s",
"seconds", "floor_fraction"} to ``$DEBRIS_BENCH_RECORDS`` (a JSON list) when that
variable is set. Benchmarks never assert on time.
"""

from __future__ import annotations

import json
import os

import pytest

from engine._backend import cpu_name

_RECORDS: list[dict] = []


@pytest.fixture
def record(benchmark):
    """Call ``record(kernel=..., backend=..., dtype=..., device=..., n_objects=..., n_times=...)``
    after ``benchmark(...)`` ran: throughput comes from the benchmark's minimum time."""

    def add(*, kernel, backend, dtype, device, n_objects, n_times, floor_fraction=None):
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
