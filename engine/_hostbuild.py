"""Host (CPU) build of the CUDA device math, for tests on machines without a GPU.

kernels/*.cuh is written as host+device functions. This module compiles C++ with g++
into a shared library, caches it by a hash of every source it reads plus the compiler
flags, and loads it with ctypes; nothing is compiled at import time. Two users:
engine/_hostexec.py (kernels/<name>.cu itself, through compile_library) and the probes
of kernels/host/<name>_host.cpp that expose device math no entry point returns (the
Philox generator, Cowell's force model, the Pc quadrature tables, longterm's rates).

    lib = build("breakup")           # kernels/host/breakup_host.cpp -> ctypes.CDLL

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

from engine._kernels import kernel_dir
from engine.errors import HostBuildError  # defined there; this import path keeps working

#: no fast-math; no FMA contraction so results match python-sgp4's x86-64 build;
#: -ffloat-store is what python-sgp4's setup.py passes (a no-op on SSE2, kept for parity).
#: The optimisation level is added by cxxflags() ($DEBRIS_ENGINE_HOST_OPT, default -O2).
CXXFLAGS = ("-std=c++17", "-shared", "-fPIC", "-ffp-contract=off", "-ffloat-store")
OPT_LEVELS = ("-O0", "-O1", "-O2", "-O3", "-Os")
DEFAULT_OPT = "-O2"

_lock = threading.Lock()
_loaded: dict[str, ctypes.CDLL] = {}


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


def _sources_digest(shim: Path, cxx: str, flags: tuple[str, ...], extra: bytes = b"") -> str:
    """Cache key of a host library: the flags, the compiler, the shim (or generated unit,
    passed as ``extra``) and every kernels/*.cuh and kernels/host/*.h it may include."""
    h = hashlib.sha256()
    h.update(" ".join(flags).encode())
    h.update(cxx.encode())
    h.update(extra)
    kdir = kernel_dir()
    for p in [shim, *sorted(kdir.glob("*.cuh")), *sorted((kdir / "host").glob("*.h"))]:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def compile_library(key: str, source: Path, *, text: str | None = None,
                    extra_flags: tuple[str, ...] = ()) -> ctypes.CDLL:
    """Compile (or reuse from the cache) one C++ translation unit into a shared library.

    source: the file compiled, or, with ``text``, the file the generated unit stands for
    (it goes into the cache key and the error message). key: the library's file-name stem;
    the file name also carries the digest of sources and flags, so a changed source or
    $DEBRIS_ENGINE_HOST_OPT loads a new library even within one process. Raises HostBuildError when the compiler is
    missing or the compile fails (the message carries the compiler's output).
    """
    with _lock:
        cxx = compiler()
        flags = (*cxxflags(), *extra_flags)
        digest = _sources_digest(source, cxx, flags, (text or "").encode())
        lib_path = cache_dir() / f"{key}-{digest}.so"
        if lib_path.name in _loaded:  # keyed by digest: a new -O level or source rebuilds
            return _loaded[lib_path.name]
        if not lib_path.is_file():
            # compile to a private temporary name, then rename: safe under concurrent builds
            fd, tmp = tempfile.mkstemp(suffix=".so", dir=lib_path.parent)
            os.close(fd)
            unit = None
            if text is not None:
                fd, unit = tempfile.mkstemp(suffix=".cpp", dir=lib_path.parent)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
            cmd = [cxx, *flags, f"-I{kernel_dir().as_posix()}", "-o", tmp, unit or str(source)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True)
            finally:
                if unit is not None:
                    os.unlink(unit)
            if proc.returncode != 0:
                os.unlink(tmp)
                raise HostBuildError(
                    f"host build of {source} failed ({' '.join(cmd)}):\n{proc.stderr}"
                )
            os.replace(tmp, lib_path)
        lib = ctypes.CDLL(str(lib_path))
        _loaded[lib_path.name] = lib
        return lib


def build(name: str) -> ctypes.CDLL:
    """Compile (or reuse from the cache) kernels/host/<name>_host.cpp and load it.

    Raises HostBuildError when the compiler is missing or the compile fails (the
    message carries the compiler's output).
    """
    shim = kernel_dir() / "host" / f"{name}_host.cpp"
    if not shim.is_file():
        raise HostBuildError(f"no host shim {shim}")
    return compile_library(f"{name}_host", shim)
