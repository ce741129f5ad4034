"""SGP4 throughput on a CUDA device: debris-engine's kernels (float64 and mixed-precision
float32) on a Cosmos-1408-like near-earth cloud of 1e3 .. 1e6 objects x 1,440 times (one
day at one-minute steps), with peers at the sizes they can take: our NumPy backend and
python-sgp4's SatrecArray on the host (1e4 objects), heyoka on every host core (1e5, when
installed) and ESA's dSGP4 through PyTorch on the same device (1e4, zipped).

Every timed call produces the full e (N, M) uint8, r and v (N, M, 3) and leaves them where
the backend computes (device memory for cuda: what a screening step would consume next).
Excluded from the timings: NVRTC compilation and per-object initialisation (warm-up
calls first), output allocation (out= buffers reused), transfers to the host. The timed
function synchronises the device before it returns. Nothing asserts on time.

floor_fraction = evals_per_s / min(compute floor, memory floor) for our cuda backend:
compute floor = vector FP64 (FP32) peak / 550 FLOP per evaluation (reference
propagation.md 3.2), memory floor = HBM bandwidth / output bytes per evaluation (49 B f64:
e + r + v; 25 B f32), from datasheet numbers (propagation.md 3.3); None for a device not
in the table. Outputs bigger than 60% of free device memory are computed in time chunks
into one reused buffer set (propagation.md 3.3: 1e6 x 1,440 f64 is 71 GB).

Run by ci/gpu-check.sh bench; DEBRIS_GPU_BENCH_MAX_OBJECTS caps every size (quick runs).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import engine
from engine._backend import cpu_name, cuda_status
from engine.bench import dsgp4_batch

CUDA_OK, CUDA_WHY = cuda_status()
pytestmark = pytest.mark.skipif(not CUDA_OK, reason=f"no CUDA device: {CUDA_WHY}")

N_TIMES = 1440
_CAP = int(float(os.environ.get("DEBRIS_GPU_BENCH_MAX_OBJECTS", "1e6")))
SIZES = sorted({min(n, _CAP) for n in (1_000, 10_000, 100_000, 1_000_000)})
N_HOST_PEERS = min(10_000, _CAP)  # numpy backend, python-sgp4: ~2-5 M evals/s on one core
N_HEYOKA = min(100_000, _CAP)
N_DSGP4 = min(10_000, _CAP)  # zipped: 1.44e7 (object, time) pairs, ~20 GB of torch temporaries

#: FLOP-equivalents per near-earth evaluation (propagation.md 3.2: 400-800, ~550)
FLOP_PER_EVAL = 550
#: output bytes per evaluation: e (1 B) + r, v (6 values)
OUT_BYTES = {"float64": 1 + 48, "float32": 1 + 24}
#: datasheet (HBM bytes/s, vector FP64 FLOP/s, vector FP32 FLOP/s), propagation.md 3.3.
#: Matched in order on the CUDA device name; the first key whose words all occur wins.
PEAKS = (
    (("H200",), (4.8e12, 33.5e12, 67e12)),
    (("H100", "PCIe"), (2.0e12, 25.6e12, 51e12)),
    (("H100", "HBM3"), (3.35e12, 33.5e12, 67e12)),  # "NVIDIA H100 80GB HBM3" is the SXM part
    (("H100", "SXM"), (3.35e12, 33.5e12, 67e12)),
)


def device_peaks(name: str):
    """(HBM bytes/s, FP64 FLOP/s, FP32 FLOP/s) for a CUDA device name, or None if unknown."""
    for words, peaks in PEAKS:
        if all(w.lower() in name.lower() for w in words):
            return peaks
    return None


def floor_evals_per_s(name: str, dtype: str):
    """min(compute floor, memory floor) in evaluations/s, or None for an unknown device."""
    peaks = device_peaks(name)
    if peaks is None:
        return None
    bw, fp64, fp32 = peaks
    flops = fp64 if dtype == "float64" else fp32
    return min(flops / FLOP_PER_EVAL, bw / OUT_BYTES[dtype])


def floor_fraction(evals_per_s: float, name: str, dtype: str):
    floor = floor_evals_per_s(name, dtype)
    return None if floor is None else evals_per_s / floor


def day_of_minutes(m: int = N_TIMES):
    """(jd, fr): m times one minute apart from the cloud's epoch, as split Julian dates."""
    jd = np.full(m, 2459534.5)  # benchmarks/conftest.py COSMOS_EPOCH_JD
    fr = np.arange(m) / 1440.0
    return jd, fr


def _time_chunks(n: int, m: int, pair_bytes: int, free: int) -> int:
    """Fewest equal time chunks whose (n, m / k) outputs fit in 60% of free device memory."""
    for k in range(1, m + 1):
        if m % k == 0 and n * (m // k) * pair_bytes <= 0.6 * free:
            return k
    raise MemoryError(f"{n} objects x 1 time do not fit in {free / 1e9:.1f} GB free")


def _worst(diff) -> str:
    i = np.unravel_index(np.nanargmax(diff), diff.shape)
    return f"max {np.nanmax(diff):.3e} km at (object, time, axis) = {i}"


@pytest.fixture(scope="module")
def cp():
    import cupy

    return cupy


@pytest.fixture(autouse=True)
def _release_device_memory(request):
    """Each size starts with the device memory the previous one used given back."""
    yield
    if "cp" in request.fixturenames:
        import cupy

        cupy.cuda.Device().synchronize()
        cupy.get_default_memory_pool().free_all_blocks()


# ---------------------------------------------------------------- our cuda backend


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", SIZES, ids=lambda n: f"{n:.0e}".replace("+0", ""))
def test_sgp4_cuda(benchmark, record, cosmos_cloud, cp, n, dtype):
    dt = np.dtype(dtype)
    el = cosmos_cloud(n)
    cat = engine.Catalog.from_arrays(**el)
    jd, fr = day_of_minutes()
    free, _ = cp.cuda.runtime.memGetInfo()
    k = _time_chunks(n, N_TIMES, OUT_BYTES[dtype], free)
    m = N_TIMES // k
    spans = [(jd[j:j + m], fr[j:j + m]) for j in range(0, N_TIMES, m)]
    out = (cp.empty((n, m), cp.uint8), cp.empty((n, m, 3), dt), cp.empty((n, m, 3), dt))
    out[0].fill(255)  # poison: every element must be written
    out[1].fill(np.nan)
    dev = cp.cuda.Device()

    def run():
        for a, b in spans:
            cat.sgp4(a, b, backend="cuda", dtype=dt, out=out)
        dev.synchronize()

    run()  # warm-up: NVRTC compile (cached per process), init (cached on the catalog)
    run()
    benchmark.extra_info["time_chunks"] = k
    benchmark(run)

    e, r, _v = out
    assert int((e == 255).sum()) == 0, "some error codes were never written"
    nan_ok = int(cp.count_nonzero(cp.isnan(r).any(axis=2) & (e == 0)))
    assert nan_ok == 0, f"{nan_ok} NaN positions where the error code is 0"
    # sanity against the NumPy backend (the oracle) on the last chunk of 50 objects;
    # the tests hold the tolerances, this only catches a benchmark measuring a broken kernel
    few = min(n, 50)
    _e, ref, _ = cat[:few].sgp4(spans[-1][0], spans[-1][1], backend="numpy")
    diff = np.abs(cp.asnumpy(r[:few]) - ref)
    tol = 1e-6 if dtype == "float64" else 0.02  # 1 mm; 20 m for mixed precision (goal 5 m at 7 days)
    assert np.nanmax(diff) < tol, _worst(diff)

    name = cuda_status()[1]
    rate = n * N_TIMES / benchmark.stats.stats.min
    record(kernel="sgp4", backend="cuda", dtype=dtype, device=name, n_objects=n, n_times=N_TIMES,
           floor_fraction=floor_fraction(rate, name, dtype))


# ---------------------------------------------------------------- peers on the host


def test_sgp4_numpy(benchmark, record, cosmos_cloud):
    n = N_HOST_PEERS
    cat = engine.Catalog.from_arrays(**cosmos_cloud(n))
    jd, fr = day_of_minutes()
    out = (np.empty((n, N_TIMES), np.uint8), np.empty((n, N_TIMES, 3)), np.empty((n, N_TIMES, 3)))
    cat.sgp4(jd[:1], fr[:1], backend="numpy")  # initialise once, outside the timed call
    benchmark.pedantic(cat.sgp4, args=(jd, fr), kwargs={"backend": "numpy", "out": out},
                       rounds=2, iterations=1)
    record(kernel="sgp4", backend="numpy", dtype="float64", device=cpu_name(), n_objects=n, n_times=N_TIMES)


def test_sgp4_python_sgp4_satrecarray(benchmark, record, cosmos_cloud, cosmos_satrecs):
    from sgp4.api import SatrecArray

    n = N_HOST_PEERS
    arr = SatrecArray(cosmos_satrecs(cosmos_cloud(n)))
    jd, fr = day_of_minutes()
    e, r, v = benchmark.pedantic(arr.sgp4, args=(jd, fr), rounds=2, iterations=1)
    assert e.shape == (n, N_TIMES)
    record(kernel="sgp4", backend="python-sgp4", dtype="float64", device=cpu_name(), n_objects=n, n_times=N_TIMES)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sgp4_heyoka(benchmark, record, cosmos_cloud, dtype):
    hy = pytest.importorskip("heyoka", reason="heyoka is not installed (its wheel, ~104 MB, is too big to carry)")
    n = N_HEYOKA
    el = cosmos_cloud(n)
    gpe = np.ascontiguousarray(np.stack([el["no_kozai"], el["ecco"], el["inclo"], el["nodeo"], el["argpo"],
                                         el["mo"], el["bstar"], el["jdsatepoch"], el["jdsatepochF"]]))
    dt = np.dtype(dtype)
    prop = hy.model.sgp4_propagator(gpe.astype(dt), fp_type=dt.type)
    # same instants as the others: minutes since the (common) epoch, one column per object
    tm = np.ascontiguousarray(np.broadcast_to(np.arange(N_TIMES, dtype=dt)[:, None], (N_TIMES, n)))
    out = np.empty((N_TIMES, 7, n), dtype=dt)
    prop(tm, out=out)  # warm-up (threads, pages)
    hy.set_nthreads(0)  # all host cores
    benchmark.pedantic(prop, args=(tm,), kwargs={"out": out}, rounds=3, iterations=1)
    record(kernel="sgp4", backend=f"heyoka-{os.cpu_count()}thread", dtype=dtype, device=cpu_name(),
           n_objects=n, n_times=N_TIMES)


# ---------------------------------------------------------------- dSGP4 on the same device


def _python_sgp4_last(el, n, m):
    """r (m, 3) km of object n - 1 of the cloud at day_of_minutes(m), from its TLE text."""
    from sgp4.api import WGS72, Satrec

    l1, l2 = engine.Catalog.from_arrays(**{k: v[n - 1:n] for k, v in el.items()}).to_tle()
    _e, r, _v = Satrec.twoline2rv(l1, l2, WGS72).sgp4_array(*day_of_minutes(m))
    return r


def test_sgp4_dsgp4_torch_cuda(benchmark, record, cosmos_cloud, cp):
    torch = pytest.importorskip("torch", reason="torch is not installed")
    if not torch.cuda.is_available():
        pytest.skip("torch sees no CUDA device")
    default_dtype = torch.get_default_dtype()
    dsgp4 = pytest.importorskip("dsgp4", reason="dsgp4 is not installed (bash ci/fetch-gpu-wheels.sh)")
    torch.set_default_dtype(default_dtype)  # `import dsgp4` sets float64 process-wide
    n, m = N_DSGP4, N_TIMES
    el = cosmos_cloud(n)
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        batch = dsgp4_batch(engine.Catalog.from_arrays(**{k: v[:n] for k, v in el.items()}), m, "cuda")
        tsince = torch.arange(m, dtype=torch.float64, device="cuda").repeat(n)  # minutes since epoch
        with torch.device("cuda"):  # dSGP4 makes its temporaries with torch.zeros(...)

            def run():
                state = dsgp4.propagate_batch(batch, tsince)
                torch.cuda.synchronize()
                return state

            run()  # warm-up
            state = benchmark.pedantic(run, rounds=3, iterations=1)
        assert state.shape == (n * m, 2, 3)
        # the replication must reproduce the same orbits: the last object against python-sgp4
        # reading the same TLE text
        diff = np.abs(state[-m:, 0, :].cpu().numpy() - _python_sgp4_last(el, n, m))
        assert np.nanmax(diff) < 1e-3, _worst(diff[None])  # 1 m
    finally:
        torch.set_default_dtype(prev)
        torch.cuda.empty_cache()
    name = cuda_status()[1]
    rate = n * m / benchmark.stats.stats.min
    record(kernel="sgp4", backend="dsgp4-torch", dtype="float64", device=name, n_objects=n, n_times=m,
           floor_fraction=floor_fraction(rate, name, "float64"))
