"""The launcher of kernels/sgp4.cu: validate, make contiguous, allocate, cast, launch.

Written once over an executor (engine/_hostexec.py): backend "cuda" runs it on cupy
arrays through cupy.RawModule, backend "host" on NumPy arrays through the same .cu
compiled for the CPU; the validation, casts, allocation and chunking are the same.

    model = init(elements, whichconst="wgs72", opsmode="i", dtype=np.float64)
    e, r, v = propagate(model, tsince=minutes)         # (N, M) or (M,) minutes since epoch
    e, r, v = propagate(model, jd=jd, fr=fr)           # (M,) or (N, M) split Julian dates
    e, r, v = propagate(model, tsince=t_n, zipped=True)  # one time per object: (N,) -> (N, 1)

Outputs are arrays of the executor (cupy on the current device, NumPy on "host"): e (N, M) uint8 error codes
(engine.errors), r (N, M, 3) km and v (N, M, 3) km/s, TEME, in ``dtype`` (float64, or
float32 = mixed precision: secular terms in float64, periodics in float32).

cupy.RawKernel checks nothing (a Python int becomes long long, strides are ignored), so
every argument is cast here to the exact C type of kernels/sgp4.cu (the host executor
checks each against the signature). Work is split in launches of at most ``max_pairs``
(object, time) pairs; when the outputs do not fit in free device memory, propagate()
computes in device-sized chunks and returns NumPy arrays instead of failing (never an
out-of-memory crash). On "host" the "device" memory is host memory, capped in tests by
engine._hostexec.host_memory_limit so that this chunking runs without a GPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import _memory
from engine._backend import to_host
from engine._hostexec import executor
from engine._kernels import grid_blocks

_SRC = "sgp4.cu"
#: element field order of the (NELEM, N) input, as in kernels/sgp4.cuh (ElementField)
ELEMENT_FIELDS = (
    "jdsatepoch", "jdsatepochF", "no_kozai", "ecco", "inclo", "nodeo", "argpo", "mo",
    "bstar", "ndot", "nddot", "sgp4init_epoch",
)
#: whichconst codes of kernels/sgp4.cu (python-sgp4's 0, 1, 2)
GRAVITY = {"wgs72old": 0, "wgs72": 1, "wgs84": 2}
#: NREC / NELEM of kernels/sgp4.cuh (checked against the header by tests/test_sgp4_host.py)
NREC = 80
NELEM = len(ELEMENT_FIELDS)
_THREADS = 128
#: fraction of free device memory a propagate call may use for its outputs
_MEM_FRACTION = 0.8
#: bytes per (object, time) pair: e + r + v
_PAIR_BYTES = {np.dtype(np.float64): 1 + 48, np.dtype(np.float32): 1 + 24}


def element_columns(elements: dict) -> list[np.ndarray]:
    """(N,) float64 columns in ELEMENT_FIELDS order.

    sgp4init_epoch (days since 1949 Dec 31 0h, as handed to sgp4init) is optional: when
    absent it is formed as twoline2rv does, (jdsatepoch + jdsatepochF) - 2433281.5.
    """
    cols = {}
    for k in ELEMENT_FIELDS[:-1]:
        if k not in elements:
            raise ValueError(f"elements is missing the field {k!r}")
        cols[k] = np.asarray(elements[k], dtype=np.float64).ravel()
    if "sgp4init_epoch" in elements:
        ep = np.asarray(elements["sgp4init_epoch"], dtype=np.float64).ravel()
    else:
        ep = (cols["jdsatepoch"] + cols["jdsatepochF"]) - 2433281.5
    return [*cols.values(), ep]


@dataclass(frozen=True)
class CudaSgp4Model:
    """Per-object SGP4 coefficients on the executor's memory.

    rec: (NREC, N) float64 array (layout: kernels/sgp4.cuh RecField), cupy on "cuda",
    NumPy on "host"; flags: (N,) int32; dtype: default output dtype of propagate();
    backend: "cuda" or "host", the executor that made it and propagates it.
    """

    rec: object
    flags: object
    n: int
    whichconst: str
    opsmode: str
    dtype: np.dtype
    backend: str = "cuda"

    def __len__(self) -> int:
        return self.n


def _check_dtype(dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in _PAIR_BYTES:
        raise ValueError(f"dtype must be numpy.float64 or numpy.float32, not {dt}")
    return dt


def init(elements: dict, whichconst="wgs72", opsmode: str = "i", dtype=np.float64,
         backend: str = "cuda") -> CudaSgp4Model:
    """Initialise SGP4 for N objects with kernels/sgp4.cu on ``backend`` ("cuda" or "host").

    Parameters
    ----------
    elements : dict of str to (N,) float64 arrays (host or device)
        Satrec units: jdsatepoch, jdsatepochF (days), no_kozai (rad/min), ecco, inclo,
        nodeo, argpo, mo (rad), bstar (1/earth radii), ndot, nddot, and optionally
        sgp4init_epoch (days since 1949 Dec 31).
    whichconst : {"wgs72", "wgs72old", "wgs84"} or {0, 1, 2}
        Gravity model (python-sgp4's codes accepted).
    opsmode : {"i", "a"}
        Improved or AFSPC mode.
    dtype : numpy.float64 or numpy.float32
        Default output precision of :func:`propagate`.
    backend : {"cuda", "host"}
        The executor (engine/_hostexec.py).

    Returns
    -------
    CudaSgp4Model
        Coefficients on the executor's memory (cupy on "cuda", NumPy on "host").

    Raises
    ------
    ValueError
        One message listing every bad argument (gravity model, opsmode, dtype, element fields).
    """
    ex = executor(backend)
    xp = ex.xp

    errors = []
    wc = whichconst.lower() if isinstance(whichconst, str) else whichconst
    if isinstance(wc, str):
        if wc not in GRAVITY:
            errors.append(f"whichconst={whichconst!r}: use one of {sorted(GRAVITY)}")
        wc_code = GRAVITY.get(wc, 1)
    else:
        wc_code = int(wc)
        if wc_code not in (0, 1, 2):
            errors.append(f"whichconst={whichconst!r}: use 0 (wgs72old), 1 (wgs72) or 2 (wgs84)")
        wc = {v: k for k, v in GRAVITY.items()}.get(wc_code, "wgs72")
    if opsmode not in ("i", "a"):
        errors.append(f"opsmode={opsmode!r}: use 'i' (improved) or 'a' (AFSPC)")
    try:
        dt = _check_dtype(dtype)
    except ValueError as exc:
        errors.append(str(exc))
    host = {k: to_host(v) for k, v in elements.items()}
    try:
        cols = element_columns(host)
    except ValueError as exc:
        errors.append(str(exc))
        cols = []
    n = cols[0].size if cols else 0
    for name, c in zip(ELEMENT_FIELDS, cols):
        if c.size != n:
            errors.append(f"elements[{name!r}] has {c.size} values, expected {n}")
    if errors:
        raise ValueError("invalid SGP4 init arguments:\n  " + "\n  ".join(errors))

    el = xp.asarray(np.ascontiguousarray(np.stack(cols)), dtype=xp.float64)
    rec = xp.zeros((NREC, n), dtype=xp.float64)
    flags = xp.zeros(n, dtype=xp.int32)
    if n:
        ex.kernel(_SRC, "sgp4_init_f64")(
            grid_blocks(n, _THREADS), (_THREADS,),
            (el, np.int64(n), np.int32(wc_code), np.int32(opsmode == "a"), rec, flags),
        )
    return CudaSgp4Model(rec=rec, flags=flags, n=int(n), whichconst=wc, opsmode=opsmode, dtype=dt,
                         backend=ex.name)


def _times(xp, model, tsince, jd, fr, zipped):
    """-> (t1, t2, time_kind, m, per_object) as float64 arrays of the array module xp."""
    cp = xp

    if (tsince is None) == (jd is None):
        raise ValueError("give either tsince= (minutes since epoch) or jd= and fr=")
    if tsince is not None:
        if (isinstance(tsince, np.ndarray) and tsince.ndim == 2 and tsince.strides[0] == 0
                and tsince.shape[0] > 0 and not zipped):
            tsince = tsince[0]  # (M,) broadcast over objects: send M values, not N*M
        t1 = cp.ascontiguousarray(cp.asarray(tsince, dtype=cp.float64))
        t2, kind = t1, 0
    else:
        if fr is None:
            raise ValueError("jd= needs fr= (split Julian date, as python-sgp4 takes it)")
        t1 = cp.asarray(jd, dtype=cp.float64)
        t2 = cp.asarray(fr, dtype=cp.float64)
        t1, t2 = cp.broadcast_arrays(t1, t2)
        t1, t2 = cp.ascontiguousarray(t1), cp.ascontiguousarray(t2)
        kind = 1
    if t1.ndim == 0:
        t1, t2 = t1.reshape(1), t2.reshape(1)
    if zipped:
        if t1.shape != (model.n,):
            raise ValueError(f"zipped=True needs one time per object, shape ({model.n},), got {t1.shape}")
        return t1.reshape(model.n, 1), t2.reshape(model.n, 1), kind, 1, True
    if t1.ndim == 1:
        return t1, t2, kind, t1.shape[0], False
    if t1.ndim == 2 and t1.shape[0] == model.n:
        return t1, t2, kind, t1.shape[1], True
    raise ValueError(f"times must have shape (M,) or (N, M) with N = {model.n}, got {t1.shape}")


def _check_out(ex, out, n, m, dt):
    e, r, v = out
    want = ((n, m), (n, m, 3), (n, m, 3))
    bad = []
    for name, a, shape, d in (("e", e, want[0], np.uint8), ("r", r, want[1], dt), ("v", v, want[2], dt)):
        if not ex.is_array(a):
            bad.append(f"out {name} must be a {ex.array_name}")
        elif a.shape != shape or a.dtype != d or not a.flags.c_contiguous:
            bad.append(f"out {name} must be C-contiguous {np.dtype(d)} of shape {shape}, "
                       f"got {a.dtype} {a.shape}")
    if bad:
        raise ValueError("invalid out= buffers:\n  " + "\n  ".join(bad))
    return e, r, v


def _check_time_upload(ex, model, tsince, jd, zipped: bool, dt) -> None:
    """Refuse per-object (N, M) times from the host that cannot fit on the device.

    The outputs are chunked to device memory, but _times uploads (N, M) times whole
    (8 bytes per value; jd and fr: 16) and each chunk needs at least one row of scratch.
    Times of shape (M,), or already on the device, are not checked.
    """
    src = tsince if tsince is not None else jd
    if ex.name == "host":
        return  # the times already are in host memory: nothing is uploaded
    if zipped or type(src).__module__.split(".")[0] == "cupy" or np.ndim(src) != 2:
        return
    if tsince is not None and isinstance(src, np.ndarray) and src.strides[0] == 0:
        return  # (M,) broadcast over objects: _times sends one row
    n, m = np.shape(src)
    per_pair = 8 if tsince is not None else 16
    free, _total = ex.mem_info()
    # one row of output scratch must fit beside the times (the chunk loop's minimum)
    _memory.check_memory(n, m, per_pair, what="SGP4 on cuda: per-object times uploaded whole",
                       where="device", available=max(0, int(_MEM_FRACTION * free) - m * _PAIR_BYTES[dt]),
                       ways_out="fewer objects per call (catalog[i:j]), or the same (M,) times for every "
                       "object (uploaded once, not per object), or backend='numpy'")


def propagate(model: CudaSgp4Model, tsince=None, *, jd=None, fr=None, out=None, dtype=None,
              threads: int | None = None, zipped: bool = False, max_pairs: int | None = None):
    """Propagate every object of ``model``; returns (e, r, v).

    Parameters
    ----------
    model : CudaSgp4Model
        From :func:`init`.
    tsince : (M,) or (N, M) float64, optional
        Minutes since each object's epoch; or give ``jd`` and ``fr`` instead.
    jd, fr : (M,) or (N, M) float64, optional
        Split Julian dates (days, UTC); tsince formed as python-sgp4 does.
    out : tuple, optional
        ``(e, r, v)`` C-contiguous buffers of the model's executor (cupy on "cuda",
        NumPy on "host") to fill: e (N, M) uint8, r and v (N, M, 3) of ``dtype``.
    dtype : numpy.float64 or numpy.float32, optional
        Output precision (default: the model's).
    threads : int, optional
        Accepted so that both implementations take the same call; ignored here (the
        kernels' parallelism is the grid's; the host executor's OpenMP thread count is
        set on its module, engine/_hostexec.py).
    zipped : bool
        Launcher only: one time per object, (N,) -> outputs (N, 1).
    max_pairs : int, optional
        Launcher only: at most this many (object, time) pairs per launch.

    Returns
    -------
    e : (N, M) uint8
        Error codes (engine.errors; 0 ok).
    r : (N, M, 3) dtype
        Position, km, TEME.
    v : (N, M, 3) dtype
        Velocity, km/s, TEME.
        The executor's arrays, or NumPy arrays when the outputs exceed free device memory
        (computed in device-sized chunks instead of failing).

    Raises
    ------
    ValueError
        For neither or both of tsince and jd, bad shapes, dtype or out= buffers.
    engine.errors.InsufficientMemoryError
        When per-object times cannot be uploaded, or host results cannot fit.
    """
    ex = executor(model.backend)
    cp = ex.xp
    dt = _check_dtype(model.dtype if dtype is None else dtype)
    _check_time_upload(ex, model, tsince, jd, zipped, dt)
    t1, t2, kind, m, per_object = _times(cp, model, tsince, jd, fr, zipped)
    n = model.n
    kern = ex.kernel(_SRC, "sgp4_propagate_f64" if dt == np.float64 else "sgp4_propagate_f32")

    free, _total = ex.mem_info()
    need = n * m * _PAIR_BYTES[dt]
    on_device = out is not None or need <= _MEM_FRACTION * free
    if out is not None:
        e, r, v = _check_out(ex, out, n, m, dt)
    elif on_device:
        e = cp.empty((n, m), dtype=cp.uint8)
        r = cp.empty((n, m, 3), dtype=dt)
        v = cp.empty((n, m, 3), dtype=dt)
    else:  # too big for the device: chunk through device scratch into host arrays
        _memory.check_memory(n, m, _PAIR_BYTES[dt], what=f"SGP4 on {ex.name} (results larger than the "
                           "device memory go to host memory)")
        e = np.empty((n, m), dtype=np.uint8)
        r = np.empty((n, m, 3), dtype=dt)
        v = np.empty((n, m, 3), dtype=dt)

    # chunk sizes: rows of objects x columns of times, bounded by memory and max_pairs
    budget = int(_MEM_FRACTION * free // _PAIR_BYTES[dt]) if not on_device else n * m
    limit = max(1, min(budget, max_pairs or (1 << 30)))
    cols = max(1, min(m, limit))
    rows = max(1, min(n, limit // cols))
    t_obj_stride = np.int64(m if per_object else 0)

    for i0 in range(0, n, rows):
        i1 = min(n, i0 + rows)
        for j0 in range(0, m, cols):
            j1 = min(m, j0 + cols)
            ni, nj = i1 - i0, j1 - j0
            # views start at (i0, j0); the kernel gets their data pointers and strides
            tt1 = t1[i0:i1, j0:j1] if per_object else t1[j0:j1]
            tt2 = t2[i0:i1, j0:j1] if per_object else t2[j0:j1]
            if on_device:
                ee, rr, vv, stride = e[i0:i1, j0:j1], r[i0:i1, j0:j1], v[i0:i1, j0:j1], m
            else:
                ee = cp.empty((ni, nj), dtype=cp.uint8)
                rr = cp.empty((ni, nj, 3), dtype=dt)
                vv = cp.empty((ni, nj, 3), dtype=dt)
                stride = nj
            kern(
                grid_blocks(ni * nj, _THREADS), (_THREADS,),
                (model.rec[:, i0:], model.flags[i0:], np.int64(n), np.int64(ni), np.int64(nj),
                 tt1, tt2, t_obj_stride, np.int32(kind), np.int64(stride), ee, rr, vv),
            )
            if not on_device:
                e[i0:i1, j0:j1] = ex.to_host(ee)
                r[i0:i1, j0:j1] = ex.to_host(rr)
                v[i0:i1, j0:j1] = ex.to_host(vv)
    return e, r, v
