"""SGP4/SDP4 propagation of a Catalog: backend dispatch, input checks, output layout.

The numerical work lives in engine/sgp4/_numpy.py (NumPy, float64) and in
kernels/sgp4.cu behind engine/sgp4/_cuda.py, its launcher (float64 or mixed-precision
float32, on CUDA or, backend "host", on the CPU through engine/_hostexec.py). Both expose
``init`` and ``propagate`` with the same parameters; this module only validates, resolves
the backend once (engine/_backend.py hands it the implementation module) and caches the
per-object initialisation on the Catalog. It takes the catalogue duck-typed (``len``,
``elements()``, ``whichconst``, ``opsmode``, ``_sgp4_cache``) and does not import
engine.catalog, which sits above it.

Output contract (the same as python-sgp4's ``SatrecArray.sgp4``):
    e: (N, M) uint8 error codes (engine.errors), r: (N, M, 3) km, v: (N, M, 3) km/s, TEME.
    Codes 1-5 give NaN r and v; code 6 (decayed) keeps the computed values.

The name ``sgp4`` inside the package is this subpackage only as ``engine.sgp4`` (or
``from . import sgp4``); ``from sgp4.api import Satrec`` stays the third-party python-sgp4.
"""

from __future__ import annotations

import numpy as np

from .. import _backend
# memory_available / check_memory live in the foundation module engine._memory (the host
# executor, decay and the CLI ask them too); these names keep working
from .._memory import check_memory, memory_available
from ..errors import InsufficientMemoryError  # this import path keeps working

__all__ = ["check_memory", "memory_available", "propagate_jd", "propagate_tsince"]

#: the NumPy backend's jd path also holds tsince (N, M) float64 and one (N, M) temporary
_TSINCE_BYTES = 16

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
        model = _backend.implementation(__name__, backend).init(
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
    set (engine/sgp4/_cuda.py checks its own host fallback and the device side).
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

    Parameters
    ----------
    catalog : engine.Catalog
        N element sets (anything with ``len``, ``elements()``, ``whichconst``, ``opsmode``
        and the ``_sgp4_cache`` dict, where the initialisation is kept per backend and dtype).
    jd, fr : float or (M,) float64
        Split Julian dates, days, UTC (broadcast against each other).
    backend : {"auto", "numpy", "cuda", "host"}
        Resolved once by engine._backend.
    dtype : numpy.float64 or numpy.float32
        float32 is the CUDA kernels' mixed-precision mode ("cuda" and "host" only).
    out : tuple, optional
        ``(e, r, v)`` buffers of the shapes below to fill (NumPy on "numpy" and "host",
        cupy on "cuda").
    to_host : bool
        Return NumPy arrays on backend "cuda".
    threads : int, optional
        NumPy backend's worker threads (None: $DEBRIS_ENGINE_THREADS, else every usable
        core); results are bit-identical for any count. Ignored by the kernel backends.

    Returns
    -------
    e : (N, M) uint8
        Error codes (engine.errors; 0 ok).
    r : (N, M, 3) float
        Position, km, TEME (NaN for codes 1-5).
    v : (N, M, 3) float
        Velocity, km/s, TEME. All three are arrays of the backend: cupy on "cuda" unless
        ``to_host=True``, or when the outputs exceed free device memory (the launcher then
        computes in device-sized chunks into NumPy arrays rather than fail).

    Raises
    ------
    ValueError
        For an unknown backend or dtype, float32 on "numpy", non-finite times or bad shapes.
    engine.errors.BackendUnavailable
        For "cuda" or "host" where they cannot run.
    engine.errors.InsufficientMemoryError
        Before any work, when the outputs cannot fit in host memory.
    """
    name = _backend.resolve(backend)
    dt = _check_dtype(dtype, name)
    jd = _times_1d("jd", jd)
    fr = _times_1d("fr", fr)
    if jd.shape != fr.shape:
        jd, fr = np.broadcast_arrays(jd, fr)
    _check_host(catalog, jd.shape[0], name, dt, out, to_host, "Catalog.sgp4", _TSINCE_BYTES)
    model = _model(catalog, name, dt)
    res = _backend.implementation(__name__, name).propagate(model, jd=jd, fr=fr, out=out, dtype=dt,
                                                            threads=threads)
    return tuple(_backend.to_host(a) for a in res) if to_host else res


def propagate_tsince(catalog, minutes, *, backend="auto", dtype=np.float64, out=None, to_host=False,
                     threads=None):
    """Propagate to ``minutes`` since each object's own epoch.

    Parameters
    ----------
    catalog : engine.Catalog
        N element sets, as :func:`propagate_jd` takes them.
    minutes : float, (M,) or (N, M) float64
        Minutes since each object's epoch: the same offsets for every object, or per object.
    backend, dtype, out, to_host, threads
        As :func:`propagate_jd`.

    Returns
    -------
    e, r, v
        As :func:`propagate_jd`: (N, M) uint8, (N, M, 3) km, (N, M, 3) km/s, TEME.

    Raises
    ------
    ValueError
        As :func:`propagate_jd`, and for minutes of another shape.
    engine.errors.BackendUnavailable, engine.errors.InsufficientMemoryError
        As :func:`propagate_jd`.
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
    res = _backend.implementation(__name__, name).propagate(model, tsince=t, out=out, dtype=dt,
                                                            threads=threads)
    return tuple(_backend.to_host(a) for a in res) if to_host else res
