"""Breakup benchmark: fragments per second for a 1e7-fragment catastrophic collision
(Lc >= 1 mm), NumPy on every machine and CUDA where a device answers, plus the host
memory high-water mark of the NumPy run (limit: 1.5 GB for 1e7 fragments).

Anchor (../shared/reference/breakup.md section 2.1): ESA's C++ implementation made
3.18 M fragments in 0.17 s (18.7 M/s) and 10.4 M in 0.74 s (14.1 M/s), parallel, on an
unstated multi-core CPU. Goal on an H100: >= 10x that rate.

The event: a 6,500 kg spacecraft hit by a 150 kg body at 10 km/s: M = 6,650 kg,
N(>= 1 mm) = 0.1 M^0.75 0.001^-1.71 = 9.93 M fragments.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from engine import _backend, breakup
from engine.breakup import Body

R0 = np.array([6851.0, 0.0, 0.0])
V0 = np.array([0.0, 7.5, 1.0])
LC_MIN = 0.001
HOST_LIMIT_BYTES = 1.5e9


def _bodies():
    return Body(6500.0, R0, V0), Body(150.0, R0, V0 + np.array([0.0, -10.0, 0.0]))


def _expected_n():
    return round(0.1 * 6650.0**0.75 * LC_MIN**-1.71)


def _cpu_run(benchmark, record, backend):
    """The 1e7-fragment collision on a CPU backend ("numpy", or "host": kernels/breakup.cu)."""
    t, p = _bodies()
    breakup.collision(t, p, lc_min=0.1, seed=0, backend=backend)  # compile (host) outside the timing
    f = benchmark.pedantic(breakup.collision, args=(t, p), kwargs=dict(lc_min=LC_MIN, seed=0, backend=backend),
                           rounds=3, iterations=1, warmup_rounds=0)
    n = len(f)
    assert n == _expected_n()
    record(kernel="breakup", backend=backend, dtype="float64", device=_backend.cpu_name(),
           n_objects=n, fragments_per_s=lambda s: n / s)


def test_breakup_numpy_1e7(benchmark, record):
    _cpu_run(benchmark, record, "numpy")


def test_breakup_host_executor_1e7(benchmark, record):
    """kernels/breakup.cu on the CPU (backend "host"): the NumPy benchmark's workload."""
    _cpu_run(benchmark, record, "host")


def test_breakup_cuda_1e7(benchmark, record):
    ok, reason = _backend.cuda_status()
    if not ok:
        pytest.skip(f"no CUDA device: {reason}")
    import cupy as cp

    t, p = _bodies()
    breakup.collision(t, p, lc_min=0.01, seed=0, backend="cuda")  # compile outside the timing

    def run():
        f = breakup.collision(t, p, lc_min=LC_MIN, seed=0, backend="cuda")
        cp.cuda.Device().synchronize()
        return f

    f = benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    n = len(f)
    record(kernel="breakup", backend="cuda", dtype="float64", device=_backend.device_name(),
           n_objects=n, fragments_per_s=lambda s: n / s)


# VmHWM (peak resident set of this process image; unlike ru_maxrss it does not inherit
# the parent's high-water mark across fork + exec)
_PEAK = """
import json, numpy as np

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

from engine import breakup
from engine.breakup import Body
r0 = np.array([6851.0, 0.0, 0.0]); v0 = np.array([0.0, 7.5, 1.0])
base = hwm()
f = breakup.collision(Body(6500.0, r0, v0), Body(150.0, r0, v0 + np.array([0.0, -10.0, 0.0])),
                      lc_min=0.001, seed=0, backend="numpy")
peak = hwm()
print(json.dumps({"n": len(f), "peak": peak, "base": base,
                  "arrays": sum(getattr(f, k).nbytes for k in ("lc", "am", "area", "mass", "dv", "r", "v", "parent", "kind", "role"))}))
"""


def test_breakup_numpy_1e7_host_memory(benchmark, record):
    """High-water mark of the resident set of a fresh process that makes the 1e7 cloud
    (Linux /proc; skips elsewhere)."""
    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs Linux /proc/self/status (VmHWM)")
    out = {}

    def run():
        proc = subprocess.run([sys.executable, "-c", _PEAK], capture_output=True, text=True, check=True)
        out.update(json.loads(proc.stdout))

    benchmark.pedantic(run, rounds=1, iterations=1)
    record(kernel="breakup_memory", backend="numpy", dtype="float64", device=_backend.cpu_name(),
           n_objects=out["n"], host_peak_bytes=out["peak"], interpreter_bytes=out["base"],
           fragment_array_bytes=out["arrays"], host_limit_bytes=HOST_LIMIT_BYTES)
