"""The two executors of kernels/*.cu: CUDA through CuPy, and the host executor on the CPU.

Each kernel family has one launcher (engine/_<family>_cuda.py) written over an
*executor*: an array module plus a way to get a kernel by (file, name) and launch it
as ``kernel(grid, block, args)``, cupy.RawKernel's calling convention.

    ex = executor("cuda")    # cupy arrays, cupy.RawModule (engine/_kernels.py)
    ex = executor("host")    # NumPy arrays, kernels/<name>.cu compiled unchanged by g++
    fn = ex.kernel("sgp4.cu", "sgp4_init_f64")
    fn(grid_blocks(n, 128), (128,), (el, np.int64(n), np.int32(1), np.int32(0), rec, flags))

The host executor compiles kernels/<name>.cu with kernels/host/cuda_host.h (what CUDA
provides: qualifiers, blockIdx/threadIdx/blockDim/gridDim, math.h) and one generated
launcher per ``extern "C" __global__`` entry point, which runs the whole grid: blocks
spread over OpenMP threads, the threads of a block one after another. Build flags are
engine/_hostbuild.py's (no fast-math, no FMA contraction, $DEBRIS_ENGINE_HOST_OPT) plus
-fopenmp; compiled on first use and cached like the other host builds.

cupy.RawKernel checks nothing: it passes a NumPy scalar's bytes as they are, a Python int
as a 64-bit long long, a float as a double, an array as its data pointer (strides
ignored). The host executor reads every argument the same way, and refuses what the
device would misread: each argument is checked against the kernel's C signature (parsed
from the .cu), a scalar must be a NumPy scalar of exactly the parameter's type (a Python
int, or np.int64 where the kernel takes int, is an error naming the kernel, the argument
and the fix), a pointer must be a NumPy array of the pointee's dtype whose memory the
kernel can read from its first element on; the launch configuration must be within
CUDA's limits, and dynamic shared memory is refused.

Tests: ``with host_memory_limit(nbytes):`` makes the host executor report that little
free "device" memory, so that the launchers' device-memory chunking runs on CPU-only CI;
``get_module(name).set_threads(k)`` changes the OpenMP thread count (results must not
depend on it: every CUDA thread writes only its own outputs).
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import functools
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine import _hostbuild, _memory
from engine._kernels import get_function, kernel_dir
from engine.errors import KernelArgumentError  # defined there; this import path keeps working

#: C types a kernel parameter may have, and the NumPy dtype of their bytes (LP64: long
#: is left out on purpose, its width differs between platforms)
C_TYPES = {
    "double": np.dtype(np.float64), "float": np.dtype(np.float32),
    "int": np.dtype(np.int32), "unsigned int": np.dtype(np.uint32), "unsigned": np.dtype(np.uint32),
    "long long": np.dtype(np.int64), "long long int": np.dtype(np.int64),
    "unsigned long long": np.dtype(np.uint64), "unsigned long long int": np.dtype(np.uint64),
    "short": np.dtype(np.int16), "unsigned short": np.dtype(np.uint16),
    "char": np.dtype(np.int8), "signed char": np.dtype(np.int8), "unsigned char": np.dtype(np.uint8),
    "int8_t": np.dtype(np.int8), "uint8_t": np.dtype(np.uint8), "int16_t": np.dtype(np.int16),
    "uint16_t": np.dtype(np.uint16), "int32_t": np.dtype(np.int32), "uint32_t": np.dtype(np.uint32),
    "int64_t": np.dtype(np.int64), "uint64_t": np.dtype(np.uint64),
}

#: the numpy scalar constructor to name in error messages, per dtype
_CAST = {np.dtype(t): f"np.{np.dtype(t).name}" for t in set(C_TYPES.values())}

#: CUDA's launch limits (CUDA C++ Programming Guide, "Compute Capabilities", table of
#: technical specifications, identical for compute capability 5.0 to 9.0)
MAX_GRID = (2**31 - 1, 65535, 65535)
MAX_BLOCK = (1024, 1024, 64)
MAX_THREADS_PER_BLOCK = 1024

HEADER = "host/cuda_host.h"


@dataclass(frozen=True)
class Param:
    """One kernel parameter: C base type, pointer or not, const pointee, name."""

    ctype: str
    pointer: bool
    const: bool
    name: str

    @property
    def dtype(self) -> np.dtype:
        return C_TYPES[self.ctype]

    def decl(self) -> str:
        """The C type of the argument's storage, e.g. ``const double*`` or ``long long``."""
        return f"{'const ' if self.const else ''}{self.ctype}{'*' if self.pointer else ''}"

    def __str__(self) -> str:
        return f"{self.decl()} {self.name}"


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _extern_c_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in re.finditer(r'extern\s+"C"\s*\{', text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        spans.append((m.end(), i))
    return spans


def _param(kernel: str, text: str) -> Param:
    words = re.findall(r"[A-Za-z_]\w*|\*|&", text)
    if "&" in words:
        raise ValueError(f"kernel {kernel}: parameter {text.strip()!r} is a reference; kernels take values and pointers")
    const = "const" in words[:words.index("*")] if "*" in words else False
    stars = words.count("*")
    words = [w for w in words if w not in ("const", "volatile", "__restrict__", "*")]
    if len(words) < 2:
        raise ValueError(f"kernel {kernel}: cannot read parameter {text.strip()!r} (an unnamed parameter?)")
    ctype, name = " ".join(words[:-1]), words[-1]
    if ctype not in C_TYPES or stars > 1:
        raise ValueError(
            f"kernel {kernel}: parameter {text.strip()!r} has a type the host executor does not "
            f"know; use one of {', '.join(sorted(C_TYPES))} or a pointer to one")
    return Param(ctype, stars == 1, const, name)


def parse_kernels(text: str, filename: str = "<source>") -> dict[str, tuple[Param, ...]]:
    """The ``extern "C" __global__`` entry points of a .cu source and their parameters,
    in order. Raises ValueError for a __global__ function that is not extern "C" (its
    name would be mangled), a template, or a parameter type not in C_TYPES."""
    text = _strip_comments(text)
    spans = _extern_c_spans(text)
    out = {}
    for m in re.finditer(r"__global__", text):
        before = text[:m.start()].rstrip()
        sig = re.match(r"__global__\s+(?:__launch_bounds__\s*\([^)]*\)\s*)?void\s+(\w+)\s*\(([^)]*)\)", text[m.start():])
        if sig is None:
            raise ValueError(f"{filename}: cannot read the __global__ declaration at offset {m.start()}")
        name = sig.group(1)
        if before.endswith(">") or re.search(r"template\s*<[^;{}]*$", before):
            raise ValueError(f"{filename}: __global__ {name} is a template; give it an extern \"C\" entry point")
        if not (before.endswith('extern "C"') or any(a <= m.start() < b for a, b in spans)):
            raise ValueError(f"{filename}: __global__ {name} is not extern \"C\"; its name would be mangled")
        body = sig.group(2).strip()
        params = () if body in ("", "void") else tuple(_param(name, p) for p in body.split(","))
        out[name] = params
    return out


def _unit(filename: str, kernels: dict[str, tuple[Param, ...]]) -> str:
    """The generated translation unit: the header, the .cu unchanged, one launcher per kernel."""
    lines = [
        f"// generated by engine/_hostexec.py for kernels/{filename}",
        f'#include "{HEADER}"',
        f'#include "{filename}"',
        "#include <omp.h>",
        'extern "C" {',
        "void de_host_set_threads(int n) { omp_set_num_threads(n); }",
        "int de_host_max_threads(void) { return omp_get_max_threads(); }",
    ]
    for name, params in kernels.items():
        call = ", ".join(f"*({p.decl()}*)a[{i}]" for i, p in enumerate(params))
        lines.append(f"void de_launch_{name}(const unsigned int* cfg, void** a) "
                     f"{{ de_host::run_grid(cfg, [&]() {{ {name}({call}); }}); }}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dims(what: str, kernel: str, value, limits) -> tuple[int, int, int]:
    dims = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if not 1 <= len(dims) <= 3 or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                                            for d in dims):
        raise KernelArgumentError(f"{kernel}: {what} must be 1 to 3 integers, got {value!r}")
    dims = tuple(int(d) for d in dims) + (1,) * (3 - len(dims))
    for axis, d, lim in zip("xyz", dims, limits):
        if not 1 <= d <= lim:
            raise KernelArgumentError(
                f"{kernel}: {what}.{axis} = {d} is outside CUDA's limits 1..{lim} (the device "
                "would refuse the launch: invalid configuration argument)")
    return dims


def _readable(a: np.ndarray) -> bool:
    """True when the memory from a's first element to the end of its buffer holds a's
    elements the way the kernel reads them: a C-contiguous array, or a sub-block view of a
    C-contiguous base with the base's strides, starting inside it (the launchers pass
    rec[:, i0:] and t[i0:i1, j0:j1] with the row stride as a separate argument). A
    transposed or broadcast view is refused: the device would read the base's order."""
    if a.flags.c_contiguous:
        return True
    if any(s == 0 for s, n in zip(a.strides, a.shape) if n > 1):
        return False  # broadcast: the device would read past the few values that exist
    base = a
    while isinstance(base.base, np.ndarray):
        base = base.base
    if base is a or not base.flags.c_contiguous or base.ndim != a.ndim or base.strides != a.strides:
        return False
    start = base.ctypes.data
    return start <= a.ctypes.data < start + base.nbytes


class HostKernel:
    """One ``extern "C" __global__`` entry point run on the CPU; called like cupy.RawKernel."""

    def __init__(self, lib, filename: str, name: str, params: tuple[Param, ...]) -> None:
        self.filename = filename
        self.name = name
        self.params = params
        self._fn = getattr(lib, f"de_launch_{name}")
        self._fn.argtypes = [ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_void_p)]
        self._fn.restype = None

    def signature(self) -> str:
        return f"{self.name}({', '.join(map(str, self.params))})"

    def _arg(self, i: int, p: Param, a) -> np.ndarray:
        """The argument's storage as the kernel reads it: a 1-element array of the
        parameter's exact type (pointers: of the array's address)."""
        where = f"{self.name} argument {i} ({p})"
        if p.pointer:
            if type(a).__module__.split(".")[0] == "cupy":
                raise KernelArgumentError(f"{where}: got a cupy array; the host executor takes NumPy arrays")
            if not isinstance(a, np.ndarray):
                raise KernelArgumentError(f"{where}: need a NumPy array of {p.dtype}, got {type(a).__name__}")
            if a.dtype != p.dtype:
                raise KernelArgumentError(
                    f"{where}: array of {a.dtype}, but the kernel reads {p.dtype} ({p.ctype}); "
                    f"convert with .astype(np.{p.dtype.name})")
            if not _readable(a):
                raise KernelArgumentError(
                    f"{where}: the kernel reads contiguous memory from the first element on, and "
                    f"this {a.shape} view (strides {a.strides}) is not laid out that way; pass "
                    "np.ascontiguousarray(...)")
            if not p.const and not a.flags.writeable:
                raise KernelArgumentError(f"{where}: the kernel writes through this pointer, but the array is read-only")
            return np.array([a.ctypes.data], dtype=np.uintp)
        if isinstance(a, np.ndarray) or not isinstance(a, np.generic):
            kind = "a NumPy array" if isinstance(a, np.ndarray) else f"a Python {type(a).__name__}"
            how = {int: " (cupy would pass it as an 8-byte long long)",
                   float: " (cupy would pass it as an 8-byte double)"}.get(type(a), "")
            raise KernelArgumentError(
                f"{where}: got {kind}{how}; pass {_CAST[p.dtype]}(...) so that the bytes are "
                f"exactly the {p.dtype.itemsize}-byte {p.ctype} the kernel reads")
        if a.dtype != p.dtype:
            raise KernelArgumentError(
                f"{where}: got {type(a).__name__} ({a.dtype.itemsize} bytes), but the kernel reads "
                f"the {p.dtype.itemsize}-byte {p.ctype}; pass {_CAST[p.dtype]}(...)")
        return np.array([a], dtype=p.dtype)

    def __call__(self, grid, block, args, *, shared_mem: int = 0, stream=None) -> None:
        """Run the grid (blocks over OpenMP threads, a block's threads in turn) and return
        when every block is done (the host executor is synchronous)."""
        g = _dims("grid", self.name, grid, MAX_GRID)
        b = _dims("block", self.name, block, MAX_BLOCK)
        if b[0] * b[1] * b[2] > MAX_THREADS_PER_BLOCK:
            raise KernelArgumentError(f"{self.name}: block {b} has more than {MAX_THREADS_PER_BLOCK} threads")
        if shared_mem:
            raise KernelArgumentError(
                f"{self.name}: shared_mem={shared_mem}: the host executor runs a block's threads "
                "one after another and cannot provide block-shared memory")
        args = tuple(args)
        if len(args) != len(self.params):
            raise KernelArgumentError(
                f"{self.name} takes {len(self.params)} arguments, got {len(args)}: {self.signature()}")
        store = [self._arg(i, p, a) for i, (p, a) in enumerate(zip(self.params, args))]
        ptrs = (ctypes.c_void_p * max(1, len(store)))(*(s.ctypes.data for s in store))
        cfg = (ctypes.c_uint * 6)(*g, *b)
        self._fn(cfg, ptrs)


class HostModule:
    """kernels/<filename> compiled for the CPU: ``get_function(name)`` -> HostKernel."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        text = self.path.read_text(encoding="utf-8")
        self.kernels = parse_kernels(text, self.path.name)
        unit = _unit(self.path.as_posix(), self.kernels)
        # the cache key covers the .cu itself, the header and every .cuh (engine/_hostbuild.py)
        self._lib = _hostbuild.compile_library(
            f"{self.path.stem}_exec", self.path, text=unit, extra_flags=("-fopenmp",))

    def get_function(self, name: str) -> HostKernel:
        if name not in self.kernels:
            raise KeyError(f"{self.path.name} has no extern \"C\" __global__ {name}; it has {sorted(self.kernels)}")
        return HostKernel(self._lib, self.path.name, name, self.kernels[name])

    def set_threads(self, n: int) -> None:
        """Number of OpenMP threads of later launches (process-wide, as omp_set_num_threads)."""
        fn = self._lib.de_host_set_threads
        fn.argtypes = [ctypes.c_int]
        fn(int(n))

    def max_threads(self) -> int:
        return int(self._lib.de_host_max_threads())


_lock = threading.Lock()
_modules: dict[tuple, HostModule] = {}


def get_module(filename: str, directory: Path | None = None) -> HostModule:
    """kernels/<filename> (or directory/filename) compiled for the CPU, cached per
    (path, flags): a changed $DEBRIS_ENGINE_HOST_OPT gives a new build."""
    path = (directory or kernel_dir()) / filename
    key = (path.as_posix(), _hostbuild.cxxflags())
    with _lock:
        mod = _modules.get(key)
        if mod is None:
            mod = HostModule(path)
            _modules[key] = mod
        return mod


# ------------------------------------------------------------------ executors
_memory_limit: contextvars.ContextVar[int | None] = contextvars.ContextVar("host_memory_limit", default=None)


@contextlib.contextmanager
def host_memory_limit(nbytes: int):
    """Within the block, the host executor reports at most ``nbytes`` of free "device"
    memory, so that the launchers' device-memory chunking runs on a machine without a GPU."""
    token = _memory_limit.set(int(nbytes))
    try:
        yield
    finally:
        _memory_limit.reset(token)


class HostExecutor:
    """NumPy arrays and kernels/*.cu compiled for the CPU."""

    name = "host"
    xp = np
    array_name = "NumPy array"

    def kernel(self, filename: str, name: str) -> HostKernel:
        return get_module(filename).get_function(name)

    def mem_info(self) -> tuple[int, int]:
        """(free, free) bytes of the memory the kernels' arrays live in: available host
        memory (engine._memory.memory_available; unbounded when unknown), capped by
        :func:`host_memory_limit`. The launchers budget against the first value only."""
        free = _memory.memory_available()  # through the module: tests monkeypatch it there
        free = (1 << 62) if free is None else int(free)
        limit = _memory_limit.get()
        if limit is not None:
            free = min(free, limit)
        return free, free

    def is_array(self, a) -> bool:
        return isinstance(a, np.ndarray)

    def to_host(self, a):
        return a

    def synchronize(self) -> None:
        """Launches are synchronous on the host."""


class CudaExecutor:
    """CuPy arrays and kernels/*.cu through cupy.RawModule (engine/_kernels.py)."""

    name = "cuda"
    array_name = "cupy array"

    @property
    def xp(self):
        import cupy  # optional dependency: only the CUDA executor needs it

        return cupy

    def kernel(self, filename: str, name: str):
        return get_function(filename, name)

    def mem_info(self) -> tuple[int, int]:
        import cupy  # optional dependency: only the CUDA executor needs it

        free, total = cupy.cuda.runtime.memGetInfo()
        return int(free), int(total)

    def is_array(self, a) -> bool:
        return type(a).__module__.split(".")[0] == "cupy" and hasattr(a, "data")

    def to_host(self, a):
        return a.get() if self.is_array(a) else a

    def synchronize(self) -> None:
        self.xp.cuda.runtime.deviceSynchronize()


@functools.lru_cache(maxsize=None)
def executor(backend: str):
    """The executor of a resolved kernel backend: ``"cuda"`` or ``"host"``."""
    if backend == "cuda":
        return CudaExecutor()
    if backend == "host":
        return HostExecutor()
    raise ValueError(f"no kernel executor for backend={backend!r}: use 'cuda' or 'host'")
