"""Every core of one machine (issue 17): each NumPy capability at threads=1 and threads=2,
side by side in one run, "kernel": "<capability>-threads" records.

Run together with benchmarks/test_sgp4_bench.py (NumPy SGP4 at 1 and 2 threads beside
heyoka at 1 and 2 threads) so that every ratio comes from one session of one machine:

    python -m pytest benchmarks/test_sgp4_bench.py benchmarks/test_threads_bench.py \
        --benchmark-enable --benchmark-only

Workloads are sized to take a few seconds each on a 2-core CPU:

* screening: the ISS against a Cosmos-1408-like cloud of 20,000 objects over half a day,
  5 km (blocks of samples on threads);
* breakup: a 6,500 + 150 kg catastrophic collision down to 3 mm (~1.5e6 fragments;
  blocks of fragments on threads);
* decay: 32,768 Cosmos 1408 fragments (1 cm, seed 0, resampled) over one year under the
  static exponential atmosphere (two blocks of 16,384 objects on threads);
* Cowell: 16,384 Cosmos-1408-like states over 2 hours, dp87 (streams of 8,192 objects on
  threads; results do not depend on the count).

Each call is timed three times (pedantic) and the minimum is recorded. Results are the
same bits for any thread count (tests/test_*threads*.py): only the time changes.
"""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import breakup, events, longterm, numerical
from engine._backend import cpu_name
from engine.breakup import Body

START = "2021-11-16T00:00"
THREADS = (1, 2)


def _record(record, kernel, threads, n, n_times=1, **extra):
    record(kernel=f"{kernel}-threads", backend=f"numpy-{threads}thread", dtype="float64", device=cpu_name(),
           n_objects=n, n_times=n_times, threads=threads, **extra)


@pytest.mark.parametrize("threads", THREADS)
def test_screen_threads(benchmark, record, cosmos_cloud, threads):
    n = 20_000
    cloud = engine.Catalog.from_arrays(**cosmos_cloud(n))
    iss = engine.events.iss()
    stop = np.datetime64(START) + np.timedelta64(12, "h")
    engine.screen(iss, cloud[:100], START, stop, threshold_km=5.0, backend="numpy")  # SGP4 models cached
    conj = benchmark.pedantic(engine.screen, args=(iss, cloud, START, stop),
                              kwargs=dict(threshold_km=5.0, backend="numpy", threads=threads),
                              rounds=3, iterations=1)
    _record(record, "screen", threads, n + 1, events=len(conj))


@pytest.mark.parametrize("threads", THREADS)
def test_breakup_threads(benchmark, record, threads):
    r0, v0 = np.array([6851.0, 0.0, 0.0]), np.array([0.0, 7.5, 1.0])
    target, projectile = Body(6500.0, r0, v0), Body(150.0, r0, v0 + np.array([0.0, -10.0, 0.0]))
    frags = benchmark.pedantic(breakup.collision, args=(target, projectile),
                               kwargs=dict(lc_min=0.003, seed=0, backend="numpy", threads=threads),
                               rounds=3, iterations=1)
    n = len(frags)
    _record(record, "breakup", threads, n, fragments_per_s=lambda s: n / s)


@pytest.fixture(scope="module")
def decay_states():
    frags = events.cosmos1408(lc_min=0.01, seed=0, backend="numpy")
    idx = np.random.default_rng(1).integers(0, len(frags), 32_768)
    return frags.r[idx], frags.v[idx], frags.am[idx], frags.epoch


@pytest.mark.parametrize("threads", THREADS)
def test_decay_threads(benchmark, record, decay_states, threads):
    r, v, am, epoch = decay_states
    stop = np.datetime64(epoch, "us") + np.timedelta64(int(365.25 * 86400), "s")
    res = benchmark.pedantic(longterm.decay, args=((r, v, am, epoch), epoch, stop),
                             kwargs=dict(atmosphere="exponential", backend="numpy", threads=threads),
                             rounds=2, iterations=1)
    n = len(r)
    _record(record, "decay", threads, n, fragment_days_per_s=lambda s: n * 365.25 / s,
            in_orbit_at_stop=int(np.sum(res.status == longterm.IN_ORBIT)))


@pytest.mark.parametrize("threads", THREADS)
def test_cowell_threads(benchmark, record, threads):
    n = 16_384
    rng = np.random.default_rng(0)
    a, inc = 6378.137 + 480.0, np.radians(82.56)
    vc = np.sqrt(398600.4415 / a)
    r = np.tile([a, 0.0, 0.0], (n, 1))
    v = np.tile([0.0, vc * np.cos(inc), vc * np.sin(inc)], (n, 1)) + rng.normal(0.0, 0.06, (n, 3))
    am = 10.0 ** rng.uniform(-3.0, -1.0, n)
    times = np.arange(0.0, 2 * 3600.0 + 1.0, 1200.0)
    forces = numerical.Forces(am=am)
    benchmark.pedantic(numerical.propagate, args=(r, v, (2459534.5, 0.0), times),
                       kwargs=dict(forces=forces, backend="numpy", threads=threads), rounds=3, iterations=1)
    _record(record, "cowell", threads, n, n_times=times.size, fragment_days_per_s=lambda s: n * (times[-1] / 86400.0) / s)
