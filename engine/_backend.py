"""The one place that decides which backend runs: NumPy, CUDA (through CuPy), or the
CUDA kernels on the CPU (the host executor).

Every public function takes ``backend="auto" | "numpy" | "cuda" | "host"`` and asks
:func:`resolve` what that means on this machine. ``"auto"`` picks ``"cuda"`` when CuPy
imports *and* a CUDA device answers, else ``"numpy"``. ``"host"`` runs the same
kernels/*.cu as ``"cuda"``, compiled for the CPU by g++ (engine/_hostexec.py), on NumPy
arrays: the launchers, their chunking and the kernels' own code execute on any machine
with a C++17 compiler; it is never chosen by ``"auto"`` (benchmarks/NOTES.md has the
speed of each kernel on the host against NumPy). CuPy is imported lazily, inside
functions, so ``import engine`` never touches a GPU. When CuPy is installed but no
device answers, ``"auto"`` falls back to NumPy and says so once through the
``engine`` logger (level INFO).
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import platform

import numpy as np

from engine import _hostbuild
from engine.errors import HostBuildError

from .errors import BackendUnavailable  # defined there; this import path keeps working

BACKENDS = ("auto", "numpy", "cuda", "host")
#: the backends that run kernels/*.cu (through an executor of engine/_hostexec.py)
KERNEL_BACKENDS = ("cuda", "host")

log = logging.getLogger("engine")


@functools.lru_cache(maxsize=1)
def cuda_status() -> tuple[bool, str]:
    """Probe CuPy and the CUDA device once per process.

    Returns ``(available, reason)``: ``reason`` is the device's name when available,
    else why not (CuPy missing, or the runtime's own error). Cached: tests that
    simulate another machine call ``cuda_status.cache_clear()``.
    """
    try:
        cp = importlib.import_module("cupy")
    except Exception as exc:  # ImportError, or a broken CUDA install raising on import
        return False, f"cupy is not importable ({type(exc).__name__}: {exc})"
    try:
        count = int(cp.cuda.runtime.getDeviceCount())
        if count < 1:
            return False, "cupy is installed but the CUDA runtime reports no device"
        props = cp.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        name = name.decode() if isinstance(name, bytes) else str(name)
    except Exception as exc:
        return False, f"cupy is installed but no CUDA device answered ({type(exc).__name__}: {exc})"
    return True, name


@functools.lru_cache(maxsize=1)
def _auto_choice() -> str:
    ok, reason = cuda_status()
    if ok:
        return "cuda"
    if not reason.startswith("cupy is not importable"):
        # CuPy is there, so the user probably expected the GPU: say once why it is not used.
        log.info("backend='auto' falls back to numpy: %s", reason)
    return "numpy"


def resolve(backend: str = "auto") -> str:
    """Return the concrete backend, ``"numpy"``, ``"cuda"`` or ``"host"``, for a user's
    ``backend`` argument.

    Raises ValueError for an unknown name and :class:`BackendUnavailable` when
    ``"cuda"`` or ``"host"`` is asked for on a machine where it cannot run.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r} is not one of {', '.join(map(repr, BACKENDS))}")
    if backend == "auto":
        return _auto_choice()
    if backend == "cuda":
        ok, reason = cuda_status()
        if not ok:
            raise BackendUnavailable(f"backend='cuda' cannot run here: {reason}; use backend='numpy' or 'auto'")
    if backend == "host":
        try:
            _hostbuild.compiler()
        except HostBuildError as exc:
            raise BackendUnavailable(f"backend='host' cannot run here: {exc}; use backend='numpy'") from None
    return backend


#: implementation module of a capability subpackage for each resolved backend: the NumPy
#: reference, or the kernel launcher, which serves both kernel executors (GPU and host)
_IMPLEMENTATION = {"numpy": "_numpy", "cuda": "_cuda", "host": "_cuda"}


def implementation(capability: str, backend: str):
    """The module that implements a capability on a *resolved* backend.

    Parameters
    ----------
    capability : str
        The capability subpackage's dotted name, e.g. ``"engine.sgp4"`` (its ``__name__``).
    backend : str
        ``"numpy"``, ``"cuda"`` or ``"host"``, as returned by :func:`resolve`.

    Returns
    -------
    module
        ``<capability>._numpy`` for ``"numpy"``, ``<capability>._cuda`` (the launcher) for
        ``"cuda"`` and ``"host"``. Both expose the same names, so a capability's public
        functions call ``implementation(__name__, resolve(backend)).name(...)`` and never
        branch on the backend themselves. Imported on first use: ``import engine`` loads
        no launcher and no CuPy.

    Raises
    ------
    ValueError
        For a backend that is not resolved (``"auto"``) or unknown.
    """
    try:
        suffix = _IMPLEMENTATION[backend]
    except KeyError:
        raise ValueError(f"implementation() needs a resolved backend ('numpy', 'cuda' or 'host'), "
                         f"got {backend!r}: call resolve() first") from None
    return importlib.import_module(f"{capability}.{suffix}")


def device_name(backend: str = "auto") -> str:
    """Name of the device a backend computes on: the GPU's name, or the CPU's model and core count."""
    if resolve(backend) == "cuda":
        return cuda_status()[1]
    return cpu_name()


@functools.lru_cache(maxsize=1)
def cpu_name() -> str:
    """The CPU's model name and logical core count, e.g. ``"AMD EPYC 9B14 (2 cores)"``."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model} ({os.cpu_count()} cores)"


def xp(backend: str):
    """Array module for a *resolved* backend: numpy (``"numpy"``, ``"host"``), or cupy for ``"cuda"``."""
    if backend == "cuda":
        return importlib.import_module("cupy")
    if backend in ("numpy", "host"):
        return np
    raise ValueError(f"xp() needs a resolved backend ('numpy', 'cuda' or 'host'), got {backend!r}")


def is_device_array(a) -> bool:
    """True for a CuPy array (checked without importing CuPy)."""
    return type(a).__module__.split(".")[0] == "cupy"


def to_host(a):
    """Copy a CuPy array to a NumPy array; NumPy arrays and scalars pass through."""
    if is_device_array(a):
        return a.get()
    return a


def reset() -> None:
    """Forget the cached probe (for tests that simulate another machine)."""
    cuda_status.cache_clear()
    _auto_choice.cache_clear()
