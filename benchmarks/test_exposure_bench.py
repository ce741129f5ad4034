"""Risk over time (engine.exposure.exposure): fragment-samples per second.

Workload: a Cosmos-1408-like cloud of N fragments (perigees 300-480 km, apogees 480-1,000
km, inclination 82.6 +- 0.4 deg, seeded) held at fixed elements and all in orbit over T
sample times (T = 52 weekly samples, or 365 daily ones), against the ISS
(engine.exposure.Targets.iss) and against four targets. Throughput is N * T * targets /
seconds. Fixed elements keep every fragment near the ISS at every sample, the most work a
sample can take; a decaying cloud thins out. The (100,000, weekly) case runs only when
DEBRIS_BENCH_LONG=1.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from engine import _backend, exposure
from engine._orbits import RE_KM

LONG = os.environ.get("DEBRIS_BENCH_LONG") == "1"


def _history(n: int, t: int, step_days: float) -> exposure.CloudHistory:
    rng = np.random.default_rng(0)
    hp, ha = rng.uniform(300, 480, n), rng.uniform(480, 1000, n)
    a = RE_KM + 0.5 * (hp + ha)
    e = (ha - hp) / (2 * a)
    inc = np.radians(rng.normal(82.6, 0.4, n))
    times = np.datetime64("2021-11-15T02:48", "us") + (np.arange(t) * step_days * 86400e6).astype("timedelta64[us]")
    rep = (np.broadcast_to(x[None, :], (t, n)) for x in (a, e, inc))
    return exposure.CloudHistory(times, *rep, np.ones((t, n), dtype=bool), 10 ** rng.uniform(-2, 0, n))


def _four_targets() -> exposure.Targets:
    return exposure.Targets(["ISS-like", "SSO 550", "41.5 deg 390", "SSO 700"],
                            RE_KM + np.array([420.0, 550.0, 390.0, 700.0]), [0.0005, 0.001, 0.001, 0.001],
                            np.radians([51.6, 97.5, 41.5, 98.2]), [1000.0, 10.0, 300.0, 5.0])


CASES = [(1_500, 52, 7.0, 1), (1_500, 365, 1.0, 1), (1_500, 52, 7.0, 4), (100_000, 52, 7.0, 1)]


@pytest.mark.parametrize("n,t,step,k", CASES)
def test_exposure_numpy(benchmark, record, n, t, step, k):
    if n > 10_000 and not LONG:
        pytest.skip("large case: set DEBRIS_BENCH_LONG=1 to run it")
    hist = _history(n, t, step)
    targets = exposure.Targets.iss() if k == 1 else _four_targets()
    ex = benchmark.pedantic(exposure.exposure, args=(hist, targets), kwargs={"stop_fraction": None},
                            rounds=1, iterations=1)
    assert ex.flux_per_m2_s.shape == (t, k, 2) and math.isfinite(float(ex.flux_per_m2_s.sum()))
    record(kernel="exposure", backend="numpy", dtype="float64", device=_backend.cpu_name(),
           n_objects=n, n_times=t * k, targets=k, step_days=step,
           fragment_samples_per_s=lambda s: n * t * k / s)
