"""Every kernels/*.cu compiles with NVRTC, as cupy.RawModule compiles it on a GPU machine.

nvcc (tests/test_kernels_compile.py) finds the C library headers; NVRTC, the runtime
compiler cupy uses, has none, so a source that compiles with nvcc can still fail there.
This runs NVRTC itself (libnvrtc from the nvidia-cuda-nvrtc wheel or the system) on the
exact text engine._kernels hands to cupy (read_source, #line prefix) with the loader's
options, to PTX for compute_80 and compute_90: no GPU is needed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

import pytest

from engine._kernels import BASE_OPTIONS, kernel_dir, read_source

ARCHS = ("compute_80", "compute_90")
SOURCES = sorted(p.name for p in kernel_dir().glob("*.cu"))


def _libnvrtc():
    try:
        import nvidia.cuda_nvrtc as pkg

        for base in pkg.__path__:
            for path in sorted(Path(base, "lib").glob("libnvrtc.so*")):
                return ctypes.CDLL(str(path))
    except (ImportError, OSError):
        pass
    name = ctypes.util.find_library("nvrtc")
    return ctypes.CDLL(name) if name else None


LIB = _libnvrtc()
pytestmark = pytest.mark.skipif(LIB is None, reason="libnvrtc not found (pip install nvidia-cuda-nvrtc-cu12, "
                                                    "part of the test extra on Linux x86-64)")


def nvrtc_compile(name: str, text: str, options) -> tuple[int, str]:
    """(result code, compiler log) of compiling `text` with NVRTC."""
    prog = ctypes.c_void_p()
    rc = LIB.nvrtcCreateProgram(ctypes.byref(prog), text.encode(), name.encode(), 0, None, None)
    assert rc == 0, f"nvrtcCreateProgram returned {rc}"
    opts = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
    rc = LIB.nvrtcCompileProgram(prog, len(options), opts)
    size = ctypes.c_size_t()
    LIB.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    LIB.nvrtcGetProgramLog(prog, log)
    LIB.nvrtcDestroyProgram(ctypes.byref(prog))
    return rc, log.value.decode(errors="replace")


def test_there_are_kernels():
    assert {"sgp4.cu", "breakup.cu"} <= set(SOURCES), SOURCES


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("src", SOURCES)
def test_compiles_with_nvrtc(src, arch):
    options = [*BASE_OPTIONS, f"-I{kernel_dir().as_posix()}", f"--gpu-architecture={arch}"]
    rc, log = nvrtc_compile(src, read_source(src), options)
    assert rc == 0, f"NVRTC failed for {src} ({arch}, options {options}):\n{log}"


def test_nvrtc_rejects_what_it_cannot_compile():
    # the check can fail: a C library header, as NVRTC sees it
    rc, log = nvrtc_compile("bad.cu", '#include <stdio.h>\n__global__ void k() {}\n', list(BASE_OPTIONS))
    assert rc != 0 and "stdio.h" in log, log
    assert os.path.basename(str(kernel_dir()))
