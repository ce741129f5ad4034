"""The one cached loader of the CUDA sources in kernels/.

    kernel_dir() -> pathlib.Path          where kernels/*.cu, *.cuh live
    get_function("sgp4.cu", "sgp4_propagate_f64") -> cupy.RawKernel

Sources are read as text, prefixed with `#line 1 "<real path>"` so that compile errors
name the real file, and compiled with cupy.RawModule (NVRTC) for the current device's
architecture, without fast-math. Modules are cached per (file, options, device).
cupy is imported inside the functions only: importing this module touches no GPU.
"""

from __future__ import annotations

import functools
import importlib.resources
import threading
from pathlib import Path

#: compile options shared by every kernel family; no --use_fast_math on purpose
#: (SGP4 must agree with python-sgp4 to < 1 mm; fast-math sin/cos/div would not)
BASE_OPTIONS: tuple[str, ...] = ("-std=c++17",)

_lock = threading.Lock()
_modules: dict[tuple, object] = {}


@functools.lru_cache(maxsize=1)
def kernel_dir() -> Path:
    """Directory holding the CUDA sources.

    Installed wheels map the repository's kernels/ to engine/kernels; in a source
    checkout the directory is kernels/ next to engine/.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        Neither directory exists (a broken install).
    """
    try:
        installed = importlib.resources.files("engine") / "kernels"
        if installed.is_dir():
            return Path(str(installed))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - namespace oddities
        pass
    repo = Path(__file__).resolve().parent.parent / "kernels"
    if repo.is_dir():
        return repo
    raise FileNotFoundError(
        "debris-engine's CUDA sources were not found: looked for engine/kernels (installed "
        f"wheel) and {repo} (source checkout); reinstall the package"
    )


def read_source(filename: str) -> str:
    """Text of kernels/<filename> with a #line directive naming the real file.

    Parameters
    ----------
    filename : str
        A file of kernels/, e.g. "sgp4.cu".

    Returns
    -------
    str
        The source, so that compile errors name the real file and line.
    """
    path = kernel_dir() / filename
    text = path.read_text(encoding="utf-8")
    return f'#line 1 "{path.as_posix()}"\n{text}'


def _device_arch(cupy) -> str:
    dev = cupy.cuda.Device()
    return f"sm_{dev.compute_capability}"


def get_module(filename: str, options: tuple[str, ...] = ()):
    """cupy.RawModule for kernels/<filename>, compiled on first use, cached.

    The cache key is (file, options, device id, architecture); the include path points
    at kernels/ so that relative #include "sgp4.cuh" and "common.cuh" resolve.

    Parameters
    ----------
    filename : str
        A .cu file of kernels/.
    options : tuple of str
        NVRTC options added to BASE_OPTIONS.

    Returns
    -------
    cupy.RawModule
        Compiled for the current device.

    Raises
    ------
    ImportError
        CuPy is not installed.
    cupy.cuda.compiler.CompileException
        The source does not compile (the message names the file and line).
    """
    import cupy  # lazy: no GPU work at import time

    dev_id = cupy.cuda.runtime.getDevice()
    arch = _device_arch(cupy)
    # cupy.RawModule itself compiles for the current device's architecture (-arch from the
    # device); arch is in the cache key so that two devices never share a module
    opts = (*BASE_OPTIONS, f"-I{kernel_dir().as_posix()}", *options)
    key = (filename, opts, dev_id, arch)
    with _lock:
        mod = _modules.get(key)
        if mod is None:
            mod = cupy.RawModule(code=read_source(filename), options=opts)
            mod.compile()  # compile now so that errors surface here, naming the file
            _modules[key] = mod
        return mod


def get_function(filename: str, name: str, options: tuple[str, ...] = ()):
    """cupy.RawKernel `name` from kernels/<filename> (see get_module).

    Parameters
    ----------
    filename : str
        A .cu file of kernels/.
    name : str
        The extern "C" entry point.
    options : tuple of str
        As :func:`get_module`.

    Returns
    -------
    cupy.RawKernel
    """
    return get_module(filename, options).get_function(name)


def grid_blocks(n: int, threads: int) -> tuple[int]:
    """Grid of a grid-stride kernel over n elements with `threads` per block: enough blocks
    to cover n, capped (the loop inside the kernel covers the rest).

    Parameters
    ----------
    n : int
        Elements.
    threads : int
        Threads per block.

    Returns
    -------
    (int,)
        Blocks, between 1 and 65535 * 8.
    """
    return (int(max(1, min((n + threads - 1) // threads, 65535 * 8))),)


def clear_cache() -> None:
    """Forget compiled modules (tests; a new device context).

    Returns
    -------
    None
    """
    with _lock:
        _modules.clear()
