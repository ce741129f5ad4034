"""The wheel is what users install: build it, install it into a fresh virtual environment,
and from an empty directory import engine, find the CUDA sources and run the command."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd, cwd, timeout=600):
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is needed to copy the tracked sources for the build")
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)], cwd=tmp)
    wheels = list(dist.glob("debris_engine-*.whl"))
    assert len(wheels) == 1, wheels
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp)
    py = venv / "bin" / "python"
    _run([str(py), "-m", "pip", "install", "-q", str(wheels[0])], cwd=tmp)
    empty = tmp / "empty"
    empty.mkdir()
    return py, empty


def test_wheel_ships_kernel_sources(installed):
    py, empty = installed
    code = (
        "import engine, engine._kernels as k, pathlib; d = k.kernel_dir(); "
        "print(d); print(*sorted(p.name for p in d.iterdir() if p.suffix in ('.cu', '.cuh')))"
    )
    out = _run([str(py), "-c", code], cwd=empty).splitlines()
    kdir, names = Path(out[0]), set(out[1].split())
    assert "site-packages" in kdir.parts, f"kernels found outside the installed package: {kdir}"
    expected = {p.name for p in (ROOT / "kernels").iterdir() if p.suffix in (".cu", ".cuh")}
    assert "common.cuh" in expected
    assert names == expected


def test_wheel_console_script_runs_the_example(installed):
    py, empty = installed
    script = py.parent / "debris-engine"
    out = _run([str(script), "propagate", "--example", "--step", "3600", "--quiet"], cwd=empty)
    assert "1000 objects x 25 times" in out
    assert "evaluations        25,000" in out
