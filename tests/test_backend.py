"""engine/_backend.py is the one place that decides numpy vs cuda. These tests simulate
machines without CuPy, with CuPy but no device, and with a device."""

import logging
import sys
import types

import numpy as np
import pytest

from engine import _backend


def _fake_cupy(device_count=None, raises=None, name=b"Fake GPU"):
    runtime = types.SimpleNamespace()

    def get_device_count():
        if raises is not None:
            raise raises
        return device_count

    runtime.getDeviceCount = get_device_count
    runtime.getDeviceProperties = lambda i: {"name": name}
    mod = types.ModuleType("cupy")
    mod.cuda = types.SimpleNamespace(runtime=runtime)
    return mod


@pytest.fixture
def machine(monkeypatch):
    """Install a simulated cupy (or its absence) and reset the cached probe around the test."""

    def install(module):
        monkeypatch.setitem(sys.modules, "cupy", module)
        _backend.reset()

    yield install
    _backend.reset()


def test_no_cupy_gives_numpy_silently(machine, caplog):
    machine(None)  # sys.modules[name] = None makes the import raise ImportError
    with caplog.at_level(logging.DEBUG, logger="engine"):
        assert _backend.resolve("auto") == "numpy"
    assert caplog.records == []
    assert _backend.device_name("auto") == _backend.cpu_name()
    assert _backend.cpu_name().endswith("cores)")


def test_cupy_without_device_falls_back_with_one_log_message(machine, caplog):
    machine(_fake_cupy(raises=RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")))
    with caplog.at_level(logging.INFO, logger="engine"):
        for _ in range(3):
            assert _backend.resolve("auto") == "numpy"
    msgs = [r.getMessage() for r in caplog.records]
    assert len(msgs) == 1, msgs
    assert "falls back to numpy" in msgs[0] and "cudaErrorNoDevice" in msgs[0]


def test_cupy_with_zero_devices_falls_back(machine, caplog):
    machine(_fake_cupy(device_count=0))
    with caplog.at_level(logging.INFO, logger="engine"):
        assert _backend.resolve("auto") == "numpy"
    assert len(caplog.records) == 1


def test_explicit_cuda_without_device_raises_clear_error(machine):
    machine(_fake_cupy(raises=RuntimeError("no device")))
    with pytest.raises(_backend.BackendUnavailable, match="backend='cuda' cannot run here.*backend='numpy'"):
        _backend.resolve("cuda")


def test_auto_picks_cuda_when_a_device_answers(machine):
    machine(_fake_cupy(device_count=1, name=b"NVIDIA H100"))
    assert _backend.resolve("auto") == "cuda"
    assert _backend.device_name("auto") == "NVIDIA H100"


def test_unknown_backend_name():
    with pytest.raises(ValueError, match="backend='gpu' is not one of"):
        _backend.resolve("gpu")


def test_numpy_is_always_available():
    assert _backend.resolve("numpy") == "numpy"


def test_host_needs_a_compiler_and_is_never_auto(machine, monkeypatch):
    """backend='host' runs the kernels on the CPU: NumPy arrays, the CPU's name; without a
    C++ compiler it is refused naming the fix; 'auto' never picks it."""
    machine(None)
    assert _backend.resolve("auto") == "numpy"
    monkeypatch.setenv("CXX", "no-such-compiler-here")
    with pytest.raises(_backend.BackendUnavailable, match="backend='host' cannot run here.*g\\+\\+.*backend='numpy'"):
        _backend.resolve("host")
    monkeypatch.delenv("CXX")
    import shutil

    if shutil.which("g++") is None:
        pytest.skip("g++ not found")
    assert _backend.resolve("host") == "host"
    assert _backend.xp("host") is np
    assert _backend.device_name("host") == _backend.cpu_name()


def test_implementation_needs_a_resolved_backend():
    with pytest.raises(ValueError, match="resolved backend.*resolve"):
        _backend.implementation("engine.sgp4", "auto")
