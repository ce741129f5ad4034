"""Host (CPU) build of the CUDA device math, for tests on machines without a GPU.

kernels/*.cuh is written as host+device functions; kernels/host/<name>_host.cpp wraps it
in plain extern "C" loops. This module compiles such a shim with g++ into a shared
library, caches it by a hash of every source it reads plus the compiler flags, and
loads it with ctypes. Nothing is compiled at import time.

    lib = build("sgp4")              # -> ctypes.CDLL, compiled on first use
    host = Sgp4Host()                 # typed wrapper over the sgp4 shim

Cache directory: $DEBRIS_ENGINE_CACHE, else $XDG_CACHE_HOME/debris-engine, else
~/.cache/debris-engine, else a temporary directory.

Optimisation level: $DEBRIS_ENGINE_HOST_OPT (one of -O0, -O1, -O2, -O3, -Os; default -O2).
Results must not depend on it (no fast-math, no FMA contraction at any level); the
variable exists so that the test suite can be run against -O0 and -O3 builds to show it.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from engine._kernels import kernel_dir

#: no fast-math; no FMA contraction so results match python-sgp4's x86-64 build;
#: -ffloat-store is what python-sgp4's setup.py passes (a no-op on SSE2, kept for parity).
#: The optimisation level is added by cxxflags() ($DEBRIS_ENGINE_HOST_OPT, default -O2).
CXXFLAGS = ("-std=c++17", "-shared", "-fPIC", "-ffp-contract=off", "-ffloat-store")
OPT_LEVELS = ("-O0", "-O1", "-O2", "-O3", "-Os")
DEFAULT_OPT = "-O2"

_lock = threading.Lock()
_loaded: dict[str, ctypes.CDLL] = {}


class HostBuildError(RuntimeError):
    """The host build of a kernel shim failed (compiler missing or compile error)."""


def cache_dir() -> Path:
    """Directory where compiled host libraries are kept (created on demand)."""
    env = os.environ.get("DEBRIS_ENGINE_CACHE")
    if env:
        base = Path(env)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) / "debris-engine" if xdg else Path.home() / ".cache" / "debris-engine"
    try:
        base.mkdir(parents=True, exist_ok=True)
        probe = base / ".write-test"
        probe.touch()
        probe.unlink()
    except OSError:
        base = Path(tempfile.gettempdir()) / "debris-engine-cache"
        base.mkdir(parents=True, exist_ok=True)
    return base


def compiler() -> str:
    """Path of the C++ compiler ($CXX or g++); raises HostBuildError naming g++ if absent."""
    cxx = os.environ.get("CXX", "g++")
    path = shutil.which(cxx)
    if path is None:
        raise HostBuildError(
            f"the host build of the CUDA device math needs a C++17 compiler: {cxx!r} (g++) "
            "was not found on PATH; install g++ (e.g. apt-get install g++) or set $CXX"
        )
    return path


def cxxflags() -> tuple[str, ...]:
    """Compiler flags of the host builds: CXXFLAGS plus the optimisation level.

    The level comes from $DEBRIS_ENGINE_HOST_OPT (default -O2); anything but one of
    OPT_LEVELS raises HostBuildError naming the variable and the accepted values.
    """
    opt = os.environ.get("DEBRIS_ENGINE_HOST_OPT", "").strip() or DEFAULT_OPT
    if opt not in OPT_LEVELS:
        raise HostBuildError(
            f"DEBRIS_ENGINE_HOST_OPT={opt!r} is not an optimisation level: use one of "
            f"{', '.join(OPT_LEVELS)} (or unset it for {DEFAULT_OPT})"
        )
    return (opt, *CXXFLAGS)


def _sources_digest(shim: Path, cxx: str, flags: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    h.update(" ".join(flags).encode())
    h.update(cxx.encode())
    kdir = shim.parent.parent
    for p in [shim, *sorted(kdir.glob("*.cuh"))]:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def build(name: str) -> ctypes.CDLL:
    """Compile (or reuse from the cache) kernels/host/<name>_host.cpp and load it.

    Raises HostBuildError when the compiler is missing or the compile fails (the
    message carries the compiler's output).
    """
    with _lock:
        if name in _loaded:
            return _loaded[name]
        shim = kernel_dir() / "host" / f"{name}_host.cpp"
        if not shim.is_file():
            raise HostBuildError(f"no host shim {shim}")
        cxx = compiler()
        flags = cxxflags()
        lib_path = cache_dir() / f"{name}_host-{_sources_digest(shim, cxx, flags)}.so"
        if not lib_path.is_file():
            # compile to a private temporary name, then rename: safe under concurrent builds
            fd, tmp = tempfile.mkstemp(suffix=".so", dir=lib_path.parent)
            os.close(fd)
            cmd = [cxx, *flags, "-o", tmp, str(shim)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                os.unlink(tmp)
                raise HostBuildError(
                    f"host build of {shim} failed ({' '.join(cmd)}):\n{proc.stderr}"
                )
            os.replace(tmp, lib_path)
        lib = ctypes.CDLL(str(lib_path))
        _loaded[name] = lib
        return lib


_dp = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
_fp = np.ctypeslib.ndpointer(dtype=np.float32, flags="C_CONTIGUOUS")
_ip = np.ctypeslib.ndpointer(dtype=np.int32, flags="C_CONTIGUOUS")
_up = np.ctypeslib.ndpointer(dtype=np.uint8, flags="C_CONTIGUOUS")
_ll = ctypes.c_longlong

#: element field order of the (NELEM, N) input, as in kernels/sgp4.cuh (ElementField)
ELEMENT_FIELDS = (
    "jdsatepoch", "jdsatepochF", "no_kozai", "ecco", "inclo", "nodeo", "argpo", "mo",
    "bstar", "ndot", "nddot", "sgp4init_epoch",
)


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
GRAVITY = {"wgs72old": 0, "wgs72": 1, "wgs84": 2}


class Sgp4Host:
    """SGP4 through the g++ build of kernels/sgp4.cuh (a test oracle for the CUDA kernel).

    init(elements, whichconst, opsmode) -> (rec (NREC, N) float64, flags (N,) int32)
    propagate(rec, flags, tsince (N, M) or (M,) minutes, dtype) -> e (N, M) uint8,
        r, v (N, M, 3) km, km/s, TEME in dtype
    """

    def __init__(self) -> None:
        lib = build("sgp4")
        lib.sgp4_init_f64.argtypes = [_dp, _ll, ctypes.c_int, ctypes.c_int, _dp, _ip]
        lib.sgp4_init_f64.restype = None
        for name, p in (("sgp4_propagate_f64", _dp), ("sgp4_propagate_f32", _fp)):
            fn = getattr(lib, name)
            fn.argtypes = [_dp, _ip, _ll, _ll, _ll, _dp, _dp, _ll, ctypes.c_int, _ll, _up, p, p]
            fn.restype = None
        self.nrec = lib.sgp4_nrec()
        self.nelem = lib.sgp4_nelem()
        self._lib = lib

    def init(self, elements: dict, whichconst="wgs72", opsmode="i"):
        if isinstance(whichconst, str):
            whichconst = GRAVITY[whichconst.lower()]
        if opsmode not in ("a", "i"):
            raise ValueError(f"opsmode must be 'a' or 'i', not {opsmode!r}")
        cols = element_columns(elements)
        n = cols[0].size
        el = np.ascontiguousarray(np.stack(cols))
        rec = np.zeros((self.nrec, n), dtype=np.float64)
        flags = np.zeros(n, dtype=np.int32)
        self._lib.sgp4_init_f64(el, n, int(whichconst), int(opsmode == "a"), rec, flags)
        return rec, flags

    def _run(self, rec, flags, t1, t2, time_kind, dtype):
        dtype = np.dtype(dtype)
        n = flags.size
        t1 = np.asarray(t1, dtype=np.float64)
        t2 = t1 if t2 is None else np.asarray(t2, dtype=np.float64)
        if t1.ndim == 1:
            m, t_obj_stride = t1.size, 0
        else:
            if t1.shape[0] != n:
                raise ValueError(f"times have {t1.shape[0]} rows for {n} objects")
            m, t_obj_stride = t1.shape[1], t1.shape[1]
        t1 = np.ascontiguousarray(t1)
        t2 = np.ascontiguousarray(np.broadcast_to(t2, t1.shape))
        e = np.empty((n, m), dtype=np.uint8)
        r = np.empty((n, m, 3), dtype=dtype)
        v = np.empty((n, m, 3), dtype=dtype)
        fn = self._lib.sgp4_propagate_f64 if dtype == np.float64 else self._lib.sgp4_propagate_f32
        fn(np.ascontiguousarray(rec), np.ascontiguousarray(flags), n, n, m, t1, t2,
           t_obj_stride, time_kind, m, e, r, v)
        return e, r, v

    def propagate(self, rec, flags, tsince, dtype=np.float64):
        """tsince: minutes since each object's epoch, (M,) shared or (N, M)."""
        return self._run(rec, flags, tsince, None, 0, dtype)

    def propagate_jd(self, rec, flags, jd, fr, dtype=np.float64):
        """jd, fr: Julian date split as python-sgp4 takes it, (M,) shared or (N, M)."""
        return self._run(rec, flags, jd, fr, 1, dtype)


class BreakupHost:
    """Breakup sampling through the g++ build of kernels/breakup.cuh and philox.cuh (a test
    oracle for kernels/breakup.cu), with the signatures of engine._breakup_numpy.

    philox(ctr (n, 4) uint32, k0, k1) -> (n, 4) uint32
    sample_size(p, index0, n, lc=, am=, area=, mass=, parent=, kind=) fills the outputs
    sample_dv(seed, index0, am, slope, intercept, sigma, out=) fills out (n, 3) km/s
    """

    def __init__(self) -> None:
        lib = build("breakup")
        u4 = np.ctypeslib.ndpointer(dtype=np.uint32, flags="C_CONTIGUOUS")
        lib.philox4x32_10_host.argtypes = [u4, _ll, ctypes.c_uint, ctypes.c_uint, u4]
        lib.philox4x32_10_host.restype = None
        d = ctypes.c_double
        lib.breakup_size_f64.argtypes = [ctypes.c_ulonglong, _ll, d, d, d, d, d, d, d, ctypes.c_int,
                                         ctypes.c_int, _ll, _ll, _dp, _dp, _dp, _dp, _up, _up]
        lib.breakup_size_f64.restype = None
        lib.breakup_dv_f64.argtypes = [ctypes.c_ulonglong, d, d, d, _ll, _ll, _dp, _dp]
        lib.breakup_dv_f64.restype = None
        self._lib = lib

    def philox(self, ctr, k0: int, k1: int) -> np.ndarray:
        ctr = np.ascontiguousarray(ctr, dtype=np.uint32)
        out = np.empty_like(ctr)
        self._lib.philox4x32_10_host(ctr, ctr.shape[0], k0, k1, out)
        return out

    def sample_size(self, p, index0: int, n: int, *, lc, am, area, mass, parent, kind) -> None:
        self._lib.breakup_size_f64(p.seed, p.n_small, p.neg_beta_inv, p.small_lo, p.small_span,
                                   p.large_lo, p.large_span, p.q_projectile, p.lc_projectile,
                                   p.kind_target, p.kind_projectile, index0, n,
                                   lc, am, area, mass, parent, kind)

    def sample_dv(self, seed: int, index0: int, am, slope, intercept, sigma, *, out) -> None:
        self._lib.breakup_dv_f64(seed, slope, intercept, sigma, index0, len(am),
                                 np.ascontiguousarray(am, dtype=np.float64), out)
