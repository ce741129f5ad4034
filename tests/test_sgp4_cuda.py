"""engine/sgp4/_cuda.py, the launcher of kernels/sgp4.cu, on both executors: "host" (the
.cu compiled for the CPU, engine/_hostexec.py) on every machine, "cuda" on a real device
(skipped with "no CUDA device" elsewhere). The kernels against python-sgp4, and float32
against the float64 host run of the same source.
"""

from __future__ import annotations

import numpy as np
import pytest
from sgp4.api import SatrecArray

from engine import _backend
from randomsets import elements_of, random_satrecs



ONE_MM = 1e-6  # km
ONE_MICRON_PER_S = 1e-9  # km/s
TEN_METRES = 10e-3  # km: float32 near-earth; the host build gets < 5 m, device sinf is 2 ulp


@pytest.fixture(scope="module", params=["host", "cuda"])
def kb(request):
    """(backend, array module) of one kernel executor."""
    if request.param == "cuda" and not _backend.cuda_status()[0]:
        pytest.skip(f"no CUDA device: {_backend.cuda_status()[1]}")
    return request.param, _backend.xp(request.param)


def _window(n_times, lo):
    return np.full(n_times, lo + 2433281.5), np.linspace(-9.0, 30.0, n_times)


def _worst(diff):
    i = np.unravel_index(np.nanargmax(diff), diff.shape)
    return f"max {np.nanmax(diff):.3e} at (object, time, axis) = {i}"


@pytest.mark.parametrize("opsmode", ["i", "a"])
def test_sgp4_cuda_f64_matches_python_sgp4(kb, opsmode):
    backend, cp = kb
    from engine.sgp4 import _cuda as _sgp4_cuda

    lo = 27000.0
    sats = random_satrecs(20_000, seed=5, opsmode=opsmode, epoch_days=(lo, lo + 1.0))
    jd, fr = _window(21, lo)
    model = _sgp4_cuda.init(elements_of(sats), "wgs72", opsmode, backend=backend)
    e, r, v = _sgp4_cuda.propagate(model, jd=jd, fr=fr)
    assert isinstance(e, cp.ndarray) and r.dtype == np.float64
    e, r, v = _backend.to_host(e), _backend.to_host(r), _backend.to_host(v)
    E, R, V = SatrecArray(sats).sgp4(jd, fr)
    bad = np.flatnonzero((e != E).ravel())
    assert bad.size == 0, f"{bad.size} error-code mismatches, first at {np.unravel_index(bad[0], e.shape)}"
    assert np.array_equal(np.isnan(r), np.isnan(R))
    assert np.nanmax(np.abs(r - R)) < ONE_MM, _worst(np.abs(r - R))
    assert np.nanmax(np.abs(v - V)) < ONE_MICRON_PER_S, _worst(np.abs(v - V))


def test_sgp4_cuda_f32_matches_host_f64(kb):
    backend, cp = kb
    from engine.sgp4 import _cuda as _sgp4_cuda
    from engine.sgp4._host import Sgp4Host

    sats = random_satrecs(10_000, seed=11, classes=("leo", "polar", "retrograde", "low_ecc", "neg_bstar"))
    el = elements_of(sats)
    t = np.array([0.0, 7 * 1440.0, 30 * 1440.0])
    host = Sgp4Host()
    rec, flags = host.init(el)
    e64, r64, _ = host.propagate(rec, flags, t)
    model = _sgp4_cuda.init(el, dtype=np.float32, backend=backend)
    e, r, _ = _sgp4_cuda.propagate(model, tsince=t)
    assert r.dtype == np.float32
    e, r = _backend.to_host(e), _backend.to_host(r)
    ok = e64 == 0
    assert np.array_equal(e[ok], e64[ok])
    d = np.linalg.norm(r.astype(np.float64) - r64, axis=-1)[ok]
    print(f"\nfloat32 on device: |dr| median {np.median(d) * 1e3:.2f} m, p99 "
          f"{np.percentile(d, 99) * 1e3:.2f} m, max {d.max() * 1e3:.2f} m")
    assert d.max() < TEN_METRES


def test_sgp4_cuda_tsince_zipped_chunked_and_out(kb):
    backend, cp = kb
    from engine.sgp4 import _cuda as _sgp4_cuda

    sats = random_satrecs(3_000, seed=2)
    el = elements_of(sats)
    model = _sgp4_cuda.init(el, backend=backend)
    minutes = np.linspace(-1440.0, 10 * 1440.0, 17)
    e, r, v = _sgp4_cuda.propagate(model, tsince=minutes)
    # chunked launches give the same bits
    e2, r2, v2 = _sgp4_cuda.propagate(model, tsince=minutes, max_pairs=1000)
    assert cp.array_equal(e, e2) and cp.allclose(r, r2, equal_nan=True, rtol=0, atol=0)
    # out= buffers are filled in place and returned
    out = (cp.empty_like(e), cp.empty_like(r), cp.empty_like(v))
    got = _sgp4_cuda.propagate(model, tsince=np.broadcast_to(minutes, (3_000, 17)), out=out)
    assert all(a is b for a, b in zip(got, out))
    assert cp.array_equal(out[0], e) and cp.allclose(out[1], r, equal_nan=True, rtol=0, atol=0)
    # zipped: one time per object equals the diagonal of the outer product
    k = np.arange(3_000) % 17
    ez, rz, _ = _sgp4_cuda.propagate(model, tsince=minutes[k], zipped=True)
    assert ez.shape == (3_000, 1)
    idx = cp.arange(3_000)
    assert cp.array_equal(ez[:, 0], e[idx, cp.asarray(k)])
    assert cp.allclose(rz[:, 0], r[idx, cp.asarray(k)], equal_nan=True, rtol=0, atol=0)


def test_sgp4_cuda_rejects_bad_arguments(kb):
    backend, cp = kb
    from engine.sgp4 import _cuda as _sgp4_cuda

    el = elements_of(random_satrecs(4, seed=1))
    with pytest.raises(ValueError, match="opsmode") as info:
        _sgp4_cuda.init(el, whichconst="wgs99", opsmode="x", backend=backend)
    assert "whichconst" in str(info.value)  # one message lists every bad field
    model = _sgp4_cuda.init(el, backend=backend)
    with pytest.raises(ValueError, match="shape"):
        _sgp4_cuda.propagate(model, tsince=np.zeros((3, 2)))


def test_sgp4_host_device_memory_chunking_gives_the_same_bits():
    """The launcher's "outputs larger than the device memory" path (chunks through scratch
    into NumPy arrays), run on the host executor with a small memory limit set here."""
    from engine import _hostexec
    from engine.sgp4 import _cuda as _sgp4_cuda

    el = elements_of(random_satrecs(300, seed=4))
    model = _sgp4_cuda.init(el, backend="host")
    minutes = np.linspace(-1440.0, 10 * 1440.0, 17)
    whole = _sgp4_cuda.propagate(model, tsince=minutes)
    per_obj = np.ascontiguousarray(np.tile(minutes, (300, 1)))
    # 300 x 17 pairs need 250 kB; 20 kB gives chunks of 19 objects x 17 times
    with _hostexec.host_memory_limit(20_000):
        chunked = _sgp4_cuda.propagate(model, tsince=minutes)
        chunked_obj = _sgp4_cuda.propagate(model, tsince=per_obj)
    for got in (chunked, chunked_obj):
        for a, b in zip(whole, got):
            np.testing.assert_array_equal(a, b)
