"""The host executor (engine/_hostexec.py, kernels/host/cuda_host.h): every kernels/*.cu
compiles unchanged for the CPU, arguments are checked against the kernel's C signature the
way the device reads their bytes, what a block-serial executor cannot honour is refused,
and results do not depend on the number of OpenMP threads."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from engine import _hostexec as hx
from engine._hostbuild import HostBuildError
from engine._kernels import kernel_dir
from randomsets import elements_of, random_satrecs

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not found: the host executor needs it")

ALL_CU = sorted(p.name for p in kernel_dir().glob("*.cu"))


@pytest.mark.parametrize("filename", ALL_CU)
def test_every_cu_compiles_unchanged_with_a_launcher_per_entry_point(filename):
    mod = hx.get_module(filename)
    assert mod.kernels, f"{filename} declares no extern \"C\" __global__ entry point"
    for name in mod.kernels:
        assert mod.get_function(name).name == name


def test_signature_is_read_from_the_source():
    params = hx.parse_kernels((kernel_dir() / "sgp4.cu").read_text())["sgp4_init_f64"]
    assert [str(p) for p in params] == [
        "const double* elements", "long long n", "int whichconst", "int afspc", "double* rec", "int* flags"]


def test_a_mangled_or_template_global_is_refused():
    with pytest.raises(ValueError, match="not extern \"C\""):
        hx.parse_kernels("__global__ void k(double* a) {}")
    with pytest.raises(ValueError, match="template"):
        hx.parse_kernels('template <typename T> __global__ void k(T* a) {}')
    with pytest.raises(ValueError, match="type the host executor does not know"):
        hx.parse_kernels('extern "C" __global__ void k(long n) {}')


@pytest.fixture(scope="module")
def init_kernel():
    return hx.executor("host").kernel("sgp4.cu", "sgp4_init_f64")


def _init_args(n=4):
    return [np.zeros((12, n)), np.int64(n), np.int32(1), np.int32(0), np.zeros((80, n)), np.zeros(n, np.int32)]


@pytest.mark.parametrize("index, value, match", [
    (1, 4, r"argument 1 \(long long n\): got a Python int .*np\.int64"),
    (1, np.int32(4), r"argument 1 \(long long n\): got int32 \(4 bytes\).*8-byte long long; pass np\.int64"),
    (2, np.int64(1), r"argument 2 \(int whichconst\): got int64 \(8 bytes\).*4-byte int; pass np\.int32"),
    (2, 1.0, r"argument 2 \(int whichconst\): got a Python float"),
    (5, np.zeros(4, np.int64), r"argument 5 \(int\* flags\): array of int64.*int32"),
    (0, np.zeros((4, 12)).T, r"argument 0 \(const double\* elements\): .*not laid out that way"),
    (5, np.broadcast_to(np.zeros(1, np.int32), (4,)), r"argument 5 .*strides \(0,\)"),
    (4, [0.0] * 320, r"argument 4 \(double\* rec\): need a NumPy array"),
])
def test_arguments_are_checked_against_the_c_signature(init_kernel, index, value, match):
    args = _init_args()
    args[index] = value
    with pytest.raises(hx.KernelArgumentError, match=match):
        init_kernel((1,), (4,), args)


def test_read_only_output_and_argument_count(init_kernel):
    args = _init_args()
    args[4].flags.writeable = False
    with pytest.raises(hx.KernelArgumentError, match="writes through this pointer"):
        init_kernel((1,), (4,), args)
    with pytest.raises(hx.KernelArgumentError, match="takes 6 arguments, got 5"):
        init_kernel((1,), (4,), _init_args()[:5])


@pytest.mark.parametrize("grid, block, shared, match", [
    ((0,), (4,), 0, r"grid\.x = 0 is outside CUDA's limits"),
    ((1, 65536), (4,), 0, r"grid\.y = 65536"),
    ((1,), (1025,), 0, r"block\.x = 1025"),
    ((1,), (32, 64), 0, "more than 1024 threads"),
    ((1,), (4,), 1024, "shared_mem=1024"),
])
def test_launch_configuration_within_cuda_limits(init_kernel, grid, block, shared, match):
    with pytest.raises(hx.KernelArgumentError, match=match):
        init_kernel(grid, block, _init_args(), shared_mem=shared)


REFUSED = {
    "__shared__ double tile[32];": "__shared__ memory",
    "__syncthreads();": "__syncthreads",
    "atomicAdd(out, 1.0);": "atomicAdd",
    "__shfl_down_sync(0xffffffffu, out[0], 1);": "__shfl_down_sync",
}


@pytest.mark.parametrize("stmt", list(REFUSED))
def test_block_cooperation_is_refused_at_compile_time(tmp_path, stmt):
    src = tmp_path / "coop.cu"
    src.write_text('#include "common.cuh"\nextern "C" __global__ void coop(double* out) {\n'
                   f"    {stmt}\n    out[threadIdx.x] = 1.0;\n}}\n")
    with pytest.raises(HostBuildError, match=f"host executor .*cannot run {REFUSED[stmt].split()[0]}"):
        hx.get_module("coop.cu", tmp_path)


def test_grid_runs_every_thread_once_with_cuda_index_semantics(tmp_path):
    """A 3-d grid of 3-d blocks: each CUDA thread writes its own global id once."""
    src = tmp_path / "ids.cu"
    src.write_text(
        'extern "C" __global__ void ids(long long* out, int* hits) {\n'
        "    const long long b = blockIdx.x + (long long)gridDim.x * (blockIdx.y + (long long)gridDim.y * blockIdx.z);\n"
        "    const long long t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);\n"
        "    const long long g = b * (blockDim.x * blockDim.y * blockDim.z) + t;\n"
        "    out[g] = g; hits[g] += 1;\n}\n")
    fn = hx.get_module("ids.cu", tmp_path).get_function("ids")
    grid, block = (3, 2, 2), (4, 2, 3)
    n = 12 * 24
    out = np.full(n, -1, np.int64)
    hits = np.zeros(n, np.int32)
    fn(grid, block, (out, hits))
    np.testing.assert_array_equal(out, np.arange(n))
    np.testing.assert_array_equal(hits, np.ones(n, np.int32))


def test_results_do_not_depend_on_the_thread_count():
    from engine.sgp4 import _cuda as _sgp4_cuda

    mod = hx.get_module("sgp4.cu")
    default = mod.max_threads()
    el = elements_of(random_satrecs(700, seed=12))
    t = np.linspace(-1440.0, 20 * 1440.0, 9)
    runs = []
    try:
        for threads in (1, 2, 3):
            mod.set_threads(threads)
            model = _sgp4_cuda.init(el, backend="host")
            runs.append((model.rec, *_sgp4_cuda.propagate(model, tsince=t)))
    finally:
        mod.set_threads(default)
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)


def test_opt_level_gives_a_separate_build(monkeypatch):
    monkeypatch.setenv("DEBRIS_ENGINE_HOST_OPT", "-O0")
    m0 = hx.get_module("pc.cu")
    monkeypatch.setenv("DEBRIS_ENGINE_HOST_OPT", "-O1")
    m1 = hx.get_module("pc.cu")
    assert m0._lib._name != m1._lib._name




def _run_every_launcher():
    """Small calls of every converted launcher, on backend "host"."""
    import engine
    import engine.numerical as en
    from engine import pc
    from engine.screening import _cuda as _screen_cuda
    from randomsets import random_conjunctions

    cat = engine.Catalog.from_satrecs(random_satrecs(20, seed=8))
    cat.sgp4_tsince(np.array([0.0, 60.0]), backend="host")
    cat.sgp4_tsince(np.array([0.0, 60.0]), backend="host", dtype=np.float32)
    sc = _screen_cuda.Screen("host")
    r = np.random.default_rng(1).uniform(-50, 50, (30, 4, 3))
    sc.close_pairs_all(r, 20.0)
    sc.close_pairs_one(r[:2], r[2:], 20.0)
    p0 = np.array([[10.0, 0.0, 0.0]])
    sc.hermite_tca(p0, -p0, -p0, -p0, np.array([2.0]))
    rr = np.array([[7000.0, 0.0, 0.0]])
    vv = np.array([[0.0, 7.5, 0.0]])
    en.propagate(rr, vv, (2459534.5, 0.0), [60.0], forces=en.Forces(am=0.01), backend="host")
    pc.foster(*random_conjunctions(5, seed=3), backend="host")
    from engine.breakup import Body, collision

    r0, v0 = np.array([6851.0, 0.0, 0.0]), np.array([0.0, 7.5, 1.0])
    collision(Body(1740.0, r0, v0), Body(10.0, r0, v0 + np.array([3.0, -7.6, 0.0])), lc_min=0.1,
              seed=1, backend="host")
    from engine import longterm

    longterm.decay((rr, vv, np.array([0.05]), "2021-11-16"), "2021-11-16", "2021-11-20",
                   atmosphere="exponential", backend="host")


def test_every_entry_point_runs_through_its_launcher(monkeypatch):
    """Every extern "C" __global__ of kernels/*.cu is launched by its family's Python
    launcher on the host executor."""
    seen = set()
    call = hx.HostKernel.__call__

    def spy(self, grid, block, args, **kw):
        seen.add((self.filename, self.name))
        return call(self, grid, block, args, **kw)

    monkeypatch.setattr(hx.HostKernel, "__call__", spy)
    _run_every_launcher()
    every = {(f, k) for f in ALL_CU for k in hx.get_module(f).kernels}
    assert every - seen == set(), f"entry points no launcher ran: {sorted(every - seen)}"
