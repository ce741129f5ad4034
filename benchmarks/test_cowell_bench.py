"""Cowell propagation throughput (engine.numerical.propagate): fragment-days per second on
a Cosmos-1408-like cloud (480 km circular, i = 82.56 deg, isotropic delta-v of 100 m/s
rms, A/M log-uniform 0.001-0.1 m^2/kg; a few percent re-enter within the day), J2-J6 +
Vallado's exponential drag, one day with hourly outputs, each integrator at its default
settings (engine.numerical.DEFAULTS).

Every record carries "fragment_days_per_s" and "max_error_m" / "median_error_m": the
position error after one day of the first N_ERR fragments against dp87 at rtol 1e-13
(not timed). The NumPy case runs on one thread (DEBRIS_ENGINE_THREADS asks for more);
the CUDA case skips without a device, and its timed call synchronises the device and
excludes NVRTC compilation (a warm-up call first). Nothing asserts on time.
"""

from __future__ import annotations

import numpy as np
import pytest

import engine.numerical as en
from engine import _backend
from engine._backend import cpu_name, cuda_status

EPOCH = (2459534.5, 0.0)
DAY = 86400.0
TIMES = np.arange(0.0, DAY + 1.0, 3600.0)
#: 2,000: one working set, whose last iterations run a few slow fragments (the fixed cost
#: of an iteration dominates); 20,000: the set stays full until the queue runs out
N_NUMPY = (2_000, 20_000)
N_CUDA = (100_000, 1_000_000)
N_ERR = 200


def cosmos_like_states(n: int, seed: int = 0):
    """r, v (n, 3) km, km/s and am (n,) m^2/kg of a seeded Cosmos-1408-like cloud."""
    # separate streams, so that the first k objects are the same for every n
    dv_rng, am_rng = (np.random.default_rng([seed, k]) for k in (0, 1))
    a = 6378.137 + 480.0
    inc = np.radians(82.56)
    vc = np.sqrt(398600.4415 / a)
    r = np.tile([a, 0.0, 0.0], (n, 1))
    dv = dv_rng.normal(0.0, 0.1 / np.sqrt(3.0), (n, 3))
    v = np.tile([0.0, vc * np.cos(inc), vc * np.sin(inc)], (n, 1)) + dv
    am = 10.0 ** am_rng.uniform(-3.0, -1.0, n)
    return r, v, am


@pytest.fixture(scope="module")
def reference():
    """dp87 at rtol 1e-13, the first N_ERR fragments, positions after one day."""
    r, v, am = cosmos_like_states(N_ERR)
    res = en.propagate(r, v, EPOCH, [DAY], forces=en.Forces(am=am), rtol=1e-13, backend="numpy")
    return res.r[:, -1], res.status[:, -1]


def _error_m(r_day, reference):
    r_ref, st = reference
    ok = st == 0
    err = np.linalg.norm(_backend.to_host(r_day)[:N_ERR][ok] - r_ref[ok], axis=-1) * 1e3
    return float(err.max()), float(np.median(err))


def _record(record, benchmark, backend, device, n, integrator, err):
    rec = record(kernel="cowell", backend=backend, dtype="float64", device=device, n_objects=n,
                 n_times=TIMES.size)
    if rec is None:
        return
    extra = {"integrator": integrator, "fragment_days_per_s": n * (TIMES[-1] / DAY) / rec["seconds"],
             "max_error_m": err[0], "median_error_m": err[1]}
    rec.update(extra)
    benchmark.extra_info.update(extra)


@pytest.mark.parametrize("n", N_NUMPY)
def test_cowell_numpy(benchmark, record, reference, n):
    r, v, am = cosmos_like_states(n)
    forces = en.Forces(am=am)
    res = benchmark.pedantic(en.propagate, args=(r, v, EPOCH, TIMES),
                             kwargs=dict(forces=forces, backend="numpy"), rounds=1, iterations=1)
    assert res.r.shape == (n, TIMES.size, 3)
    _record(record, benchmark, "numpy", cpu_name(), n, "dp87", _error_m(res.r[:, -1], reference))


@pytest.mark.parametrize("n", N_NUMPY)
def test_cowell_host_executor(benchmark, record, reference, n):
    """kernels/cowell.cu on the CPU (one OpenMP thread per block of objects): the NumPy
    benchmark's workload and integrator."""
    r, v, am = cosmos_like_states(n)
    forces = en.Forces(am=am)
    en.propagate(r[:4], v[:4], EPOCH, TIMES, forces=en.Forces(am=am[:4]), backend="host")  # compile
    res = benchmark.pedantic(en.propagate, args=(r, v, EPOCH, TIMES),
                             kwargs=dict(forces=forces, backend="host"), rounds=1, iterations=1)
    assert res.r.shape == (n, TIMES.size, 3)
    _record(record, benchmark, "host", cpu_name(), n, "dp87", _error_m(res.r[:, -1], reference))


CUDA_OK, CUDA_WHY = cuda_status()


@pytest.mark.skipif(not CUDA_OK, reason=f"no CUDA device: {CUDA_WHY}")
@pytest.mark.parametrize("integrator", ["dp87", "dp54", "rk4"])
@pytest.mark.parametrize("n", N_CUDA)
def test_cowell_cuda(benchmark, record, reference, n, integrator):
    import cupy as cp

    r, v, am = cosmos_like_states(n)
    forces = en.Forces(am=am)
    en.propagate(r[:256], v[:256], EPOCH, TIMES, forces=en.Forces(am=am[:256]),
                 integrator=integrator, backend="cuda")  # compile outside the timed call

    def run():
        out = en.propagate(r, v, EPOCH, TIMES, forces=forces, integrator=integrator, backend="cuda")
        cp.cuda.Device().synchronize()
        return out

    res = benchmark.pedantic(run, rounds=3, iterations=1)
    _record(record, benchmark, "cuda", _backend.cuda_status()[1], n, integrator,
            _error_m(res.r[:N_ERR, -1], reference))
