"""SGP4/SDP4 propagation of a Catalog: backend dispatch, input checks, output layout.

The numerical work lives in engine/_sgp4_numpy.py (NumPy, float64) and in
kernels/sgp4.cu behind engine/_sgp4_cuda.py (CUDA, float64 or mixed-precision
float32). This module only validates, picks the backend (through engine/_backend.py)
and caches the per-object initialisation on the Catalog.

Output contract (the same as python-sgp4's ``SatrecArray.sgp4``):
    e: (N, M) uint8 error codes (engine.errors), r: (N, M, 3) km, v: (N, M, 3) km/s, TEME.
    Codes 1-5 give NaN r and v; code 6 (decayed) keeps the computed values.
"""

from __future__ import annotations

import numpy as np

from . import _backend

_DTYPES = {np.dtype(np.float64): "f64", np.dtype(np.float32): "f32"}


def _check_dtype(dtype, backend: str) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in _DTYPES:
        raise ValueError(f"dtype={dt} is not supported; use numpy.float64 (default) or numpy.float32 (cuda only)")
    if dt == np.float32 and backend != "cuda":
        raise ValueError(
            "dtype=float32 is the CUDA kernels' mixed-precision mode; the NumPy backend computes "
            "in float64 only: drop dtype or use backend='cuda'"
        )
    return dt


def _model(catalog, backend: str, dtype: np.dtype):
    """Per-object SGP4 initialisation, cached on the catalog per (backend, dtype)."""
    cache = catalog._sgp4_cache
    key = (backend, dtype.str)
    model = cache.get(key)
    if model is None:
        if backend == "numpy":
            from . import _sgp4_numpy

            model = _sgp4_numpy.sgp4init(
                catalog.elements(), whichconst=catalog.whichconst, opsmode=catalog.opsmode
            )
        else:
            from . import _sgp4_cuda

            model = _sgp4_cuda.init(
                catalog.elements(), whichconst=catalog.whichconst, opsmode=catalog.opsmode, dtype=dtype
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


def propagate_jd(catalog, jd, fr, *, backend="auto", dtype=np.float64, out=None, to_host=False):
    """Propagate every object of ``catalog`` to the split Julian dates ``jd + fr``.

    jd, fr: scalars or (M,) float64 (UTC). Returns ``(e, r, v)``: e (N, M) uint8,
    r (N, M, 3) km, v (N, M, 3) km/s in TEME; cupy arrays on backend "cuda" unless
    ``to_host=True``. ``out``: optional ``(e, r, v)`` buffers of those shapes to fill.
    """
    name = _backend.resolve(backend)
    dt = _check_dtype(dtype, name)
    jd = _times_1d("jd", jd)
    fr = _times_1d("fr", fr)
    if jd.shape != fr.shape:
        jd, fr = np.broadcast_arrays(jd, fr)
    model = _model(catalog, name, dt)
    if name == "numpy":
        from . import _sgp4_numpy

        return _sgp4_numpy.sgp4(model, _sgp4_numpy.tsince_minutes(model, jd, fr), out=out)
    from . import _sgp4_cuda

    res = _sgp4_cuda.propagate(model, jd=jd, fr=fr, out=out, dtype=dt)
    return tuple(_backend.to_host(a) for a in res) if to_host else res


def propagate_tsince(catalog, minutes, *, backend="auto", dtype=np.float64, out=None, to_host=False):
    """Propagate to ``minutes`` since each object's own epoch.

    minutes: (M,) float64 (the same offsets for every object) or (N, M).
    Returns ``(e, r, v)`` as :func:`propagate_jd`.
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
    model = _model(catalog, name, dt)
    if name == "numpy":
        from . import _sgp4_numpy

        return _sgp4_numpy.sgp4(model, t, out=out)
    from . import _sgp4_cuda

    res = _sgp4_cuda.propagate(model, tsince=t, out=out, dtype=dt)
    return tuple(_backend.to_host(a) for a in res) if to_host else res
