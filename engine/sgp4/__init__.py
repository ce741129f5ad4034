"""SGP4/SDP4 propagation of a Catalog: backend dispatch, input checks, output layout.

The numerical work lives in engine/_sgp4_numpy.py (NumPy, float64) and in
kernels/sgp4.cu behind engine/_sgp4_cuda.py (float64 or mixed-precision float32, on
CUDA or, backend "host", on the CPU through engine/_hostexec.py). This module only validates, picks the backend (through engine/_backend.py)
and caches the per-object initialisation on the Catalog.

Output contract (the same as python-sgp4's ``SatrecArray.sgp4``):
    e: (N, M) uint8 error codes (engine.errors), r: (N, M, 3) km, v: (N, M, 3) km/s, TEME.
    Codes 1-5 give NaN r and v; code 6 (decayed) keeps the computed values.
"""

from __future__ import annotations

import os

import numpy as np

from .. import _backend
from ..errors import InsufficientMemoryError

#: the NumPy backend's jd path also holds tsince (N, M) float64 and one (N, M) temporary
_TSINCE_BYTES = 16
_MEMINFO = "/proc/meminfo"
#: requests below this are not checked: any machine that imports NumPy has that much
_CHECK_FLOOR_BYTES = 1 << 20


def memory_available() -> int | None:
    """Bytes of host memory a new allocation can get without swapping, or None if unknown.

    Linux: MemAvailable of /proc/meminfo (kernel >= 3.14: free memory plus the page
    cache and slabs it can reclaim, the kernel's own estimate). Elsewhere:
    os.sysconf free pages x page size (free memory only, an underestimate).
    The one place that answers this; tests monkeypatch it.
    """
    try:
        with open(_MEMINFO, "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024  # the value is in kB (KiB)
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:,.1f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:,.1f} MiB"


def check_memory(n: int, m: int, bytes_per_pair: int, *, what: str, where: str = "host",
                 available: int | None = None, extra_bytes: int = 0, ways_out: str | None = None) -> None:
    """Refuse, before any allocation, a request of n objects x m times that cannot fit.

    bytes_per_pair: bytes allocated per (object, time); extra_bytes: bytes needed besides
    (scratch); where: "host" (available from memory_available()) or "device" (pass the
    free device bytes as `available`); ways_out: the remedies to name, when not the
    default (fewer times or objects per call, out= buffers, numpy.memmap out of core).
    Raises engine.errors.InsufficientMemoryError with the size, the memory available
    and the ways out; returns None when the request fits or the memory is unknown.
    """
    need = int(n) * int(m) * int(bytes_per_pair) + int(extra_bytes)
    if need < _CHECK_FLOOR_BYTES:
        return
    if available is None:
        if where != "host":
            raise ValueError("check_memory: give available= for device memory")
        available = memory_available()
    if available is None or need <= available:
        return
    if ways_out is None:
        per_call = max(1, int(available // max(1, int(n) * int(bytes_per_pair))))
        ways_out = (f"fewer times per call (at most ~{per_call:,} times for all {int(n):,} objects: loop over "
                    "slices of jd, fr), or fewer objects per call (catalog[i:j]); pass out=(e, r, v) buffers "
                    "allocated once and reused, or numpy.memmap arrays on disk for out-of-core propagation; "
                    "or a coarser time grid")
    raise InsufficientMemoryError(
        f"{what}: {int(n):,} objects x {int(m):,} times need {_gib(need)} of {where} memory "
        f"({bytes_per_pair} bytes per object and time) but {_gib(available)} is available. Ways out: "
        f"{ways_out}",
        need_bytes=need, available_bytes=available, where=where,
    )

_DTYPES = {np.dtype(np.float64): "f64", np.dtype(np.float32): "f32"}


def _check_dtype(dtype, backend: str) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in _DTYPES:
        raise ValueError(f"dtype={dt} is not supported; use numpy.float64 (default) or numpy.float32 (cuda only)")
    if dt == np.float32 and backend == "numpy":
        raise ValueError(
            "dtype=float32 is the CUDA kernels' mixed-precision mode; the NumPy backend computes "
            "in float64 only: drop dtype or use backend='cuda' (or 'host', the kernels on the CPU)"
        )
    return dt


def _model(catalog, backend: str, dtype: np.dtype):
    """Per-object SGP4 initialisation, cached on the catalog per (backend, dtype)."""
    cache = catalog._sgp4_cache
    key = (backend, dtype.str)
    model = cache.get(key)
    if model is None:
        if backend == "numpy":
            from . import _numpy as _sgp4_numpy

            model = _sgp4_numpy.sgp4init(
                catalog.elements(), whichconst=catalog.whichconst, opsmode=catalog.opsmode
            )
        else:
            from . import _cuda as _sgp4_cuda

            model = _sgp4_cuda.init(
                catalog.elements(), whichconst=catalog.whichconst, opsmode=catalog.opsmode, dtype=dtype,
                backend=backend,
            )
        cache[key] = model
    return model


def _times_1d(name: str, a) -> np.ndarray:
    arr = np.asarray(_backend.to_host(a), dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array of shape (M,), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"{name}[{bad}] is {arr[bad]}: every time must be finite")
    return arr


def _check_host(catalog, m: int, backend: str, dt: np.dtype, out, to_host: bool, what: str,
                scratch: int) -> None:
    """Host-memory check of a propagation before anything is allocated.

    The NumPy backend allocates the outputs (unless out= is given) and `scratch` bytes
    per (object, time) of times; the host executor (backend "host") allocates the
    outputs in host memory; the CUDA backend allocates host outputs when to_host is
    set (engine/_sgp4_cuda.py checks its own host fallback and the device side).
    """
    outputs = 1 + 6 * dt.itemsize  # e uint8, r and v (3,) of dt
    if backend == "numpy":
        per_pair = scratch + (0 if out is not None else outputs)
    elif backend == "host":
        per_pair = 0 if out is not None else outputs
    elif to_host:
        per_pair = outputs  # the device results are copied to new host arrays, out= or not
    else:
        return
    check_memory(len(catalog), m, per_pair, what=what)


def propagate_jd(catalog, jd, fr, *, backend="auto", dtype=np.float64, out=None, to_host=False,
                 threads=None):
    """Propagate every object of ``catalog`` to the split Julian dates ``jd + fr``.

    jd, fr: scalars or (M,) float64 (UTC). Returns ``(e, r, v)``: e (N, M) uint8,
    r (N, M, 3) km, v (N, M, 3) km/s in TEME; cupy arrays on backend "cuda" unless
    ``to_host=True``. ``out``: optional ``(e, r, v)`` buffers of those shapes to fill.
    threads: NumPy backend's worker threads (None: $DEBRIS_ENGINE_THREADS, else every
    usable core); results are bit-identical for any count. Ignored by the CUDA backend.
    """
    name = _backend.resolve(backend)
    dt = _check_dtype(dtype, name)
    jd = _times_1d("jd", jd)
    fr = _times_1d("fr", fr)
    if jd.shape != fr.shape:
        jd, fr = np.broadcast_arrays(jd, fr)
    _check_host(catalog, jd.shape[0], name, dt, out, to_host, "Catalog.sgp4", _TSINCE_BYTES)
    model = _model(catalog, name, dt)
    if name == "numpy":
        from . import _numpy as _sgp4_numpy

        return _sgp4_numpy.sgp4(model, _sgp4_numpy.tsince_minutes(model, jd, fr), out=out, threads=threads)
    from . import _cuda as _sgp4_cuda

    res = _sgp4_cuda.propagate(model, jd=jd, fr=fr, out=out, dtype=dt)
    return tuple(_backend.to_host(a) for a in res) if to_host else res


def propagate_tsince(catalog, minutes, *, backend="auto", dtype=np.float64, out=None, to_host=False,
                     threads=None):
    """Propagate to ``minutes`` since each object's own epoch.

    minutes: (M,) float64 (the same offsets for every object) or (N, M).
    Returns ``(e, r, v)`` as :func:`propagate_jd`; threads as there.
    """
    name = _backend.resolve(backend)
    dt = _check_dtype(dtype, name)
    n = len(catalog)
    t = np.asarray(_backend.to_host(minutes), dtype=np.float64)
    if t.ndim == 0:
        t = t.reshape(1)
    if t.ndim == 1:
        t = np.broadcast_to(t, (n, t.shape[0]))
    if t.ndim != 2 or t.shape[0] != n:
        raise ValueError(f"minutes must have shape (M,) or (N, M) with N = {n} objects, got {t.shape}")
    if not np.all(np.isfinite(t)):
        i, j = np.argwhere(~np.isfinite(t))[0]
        raise ValueError(f"minutes[{i}, {j}] is {t[i, j]}: every time must be finite")
    _check_host(catalog, t.shape[1], name, dt, out, to_host, "Catalog.sgp4_tsince", 0)
    model = _model(catalog, name, dt)
    if name == "numpy":
        from . import _numpy as _sgp4_numpy

        return _sgp4_numpy.sgp4(model, t, out=out, threads=threads)
    from . import _cuda as _sgp4_cuda

    res = _sgp4_cuda.propagate(model, tsince=t, out=out, dtype=dt)
    return tuple(_backend.to_host(a) for a in res) if to_host else res
