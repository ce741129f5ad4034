"""Every kernels/*.cu compiles with nvcc for sm_80 and sm_90, and ptxas reports no spills
in the float64 SGP4 propagate kernel.

Runs on CPU-only CI (nvcc needs no GPU). The ptxas report (registers, stack frame, spill
stores/loads per entry point and architecture) is saved under the pytest tmp dir and
printed, so `pytest -rA -s tests/test_kernels_compile.py` shows it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from engine._kernels import kernel_dir

NVCC = shutil.which("nvcc")
pytestmark = pytest.mark.skipif(NVCC is None, reason="nvcc not found on PATH (CUDA toolkit absent)")

ARCHS = ("sm_80", "sm_90")
SOURCES = sorted(p.name for p in kernel_dir().glob("*.cu"))
#: entry points that must not spill (registers live in local memory = slow)
NO_SPILL = {"sgp4.cu": ("sgp4_propagate_f64",), "breakup.cu": ("breakup_size_f64", "breakup_dv_f64"),
            "pc.cu": ("pc_foster_f64",), "cowell.cu": ("cowell_propagate_f64",),
            "longterm.cu": ("longterm_decay_f64",)}

_ENTRY = re.compile(r"Compiling entry function '(\w+)' for '(sm_\d+)'")
_STACK = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_REGS = re.compile(r"Used (\d+) registers")


def parse_ptxas(text: str) -> dict[tuple[str, str], dict[str, int]]:
    """ptxas -v output -> {(entry, arch): {registers, stack, spill_stores, spill_loads}}."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    current = None
    for line in text.splitlines():
        m = _ENTRY.search(line)
        if m:
            current = (m.group(1), m.group(2))
            out[current] = {}
            continue
        if current is None:
            continue
        m = _STACK.search(line)
        if m and "stack" not in out[current]:
            out[current].update(stack=int(m.group(1)), spill_stores=int(m.group(2)),
                                spill_loads=int(m.group(3)))
        m = _REGS.search(line)
        if m:
            out[current]["registers"] = int(m.group(1))
            current = None  # the register line closes an entry's block
    return out


def _compile(src: str, arch: str, outdir) -> tuple[str, str, int, str]:
    cubin = outdir / f"{src}.{arch}.cubin"
    cmd = [NVCC, "-std=c++17", f"-arch={arch}", "-cubin", "-Xptxas", "-v",
           f"-I{kernel_dir()}", "-o", str(cubin), str(kernel_dir() / src)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return src, arch, proc.returncode, " ".join(cmd) + "\n" + proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Compile every (source, arch) pair, two at a time (CI has 2 cores)."""
    outdir = tmp_path_factory.mktemp("nvcc")
    jobs = [(s, a) for s in SOURCES for a in ARCHS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda sa: _compile(*sa, outdir), jobs))
    text = "\n".join(r[3] for r in results)
    (outdir / "ptxas_report.txt").write_text(text)
    table = ["entry point                  arch    regs  stack  spill-st  spill-ld"]
    for src, arch, rc, log in results:
        for (entry, a), d in sorted(parse_ptxas(log).items()):
            table.append(f"{entry:28s} {a:6s} {d.get('registers', -1):5d} {d.get('stack', -1):6d}"
                         f" {d.get('spill_stores', -1):9d} {d.get('spill_loads', -1):9d}")
    print(f"\nptxas report ({outdir / 'ptxas_report.txt'}):\n" + "\n".join(table))
    return {(src, arch): (rc, log) for src, arch, rc, log in results}


def test_there_are_kernels():
    assert "sgp4.cu" in SOURCES, f"kernels/sgp4.cu missing from {kernel_dir()}"


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("src", SOURCES)
def test_compiles(reports, src, arch):
    rc, log = reports[(src, arch)]
    assert rc == 0, f"nvcc failed for {src} ({arch}):\n{log}"
    assert parse_ptxas(log), f"no ptxas -v report for {src} ({arch}):\n{log}"


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("src,entry", [(s, e) for s, es in NO_SPILL.items() for e in es])
def test_no_spills(reports, src, entry, arch):
    rc, log = reports[(src, arch)]
    assert rc == 0, log
    info = parse_ptxas(log).get((entry, arch))
    assert info is not None, f"{entry} not in the ptxas report of {src} ({arch})"
    print(f"{entry} {arch}: {info}")
    assert info["spill_stores"] == 0 and info["spill_loads"] == 0, (
        f"{entry} ({arch}) spills: {info['spill_stores']} B stores, {info['spill_loads']} B loads, "
        f"{info['registers']} registers"
    )


def test_parse_ptxas_example():
    text = """ptxas info    : Compiling entry function 'k_f64' for 'sm_80'
ptxas info    : Function properties for k_f64
    40 bytes stack frame, 8 bytes spill stores, 16 bytes spill loads
ptxas info    : Used 140 registers, used 0 barriers, 40 bytes cumulative stack size
ptxas info    : Function properties for __internal_accurate_pow
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
"""
    assert parse_ptxas(text) == {("k_f64", "sm_80"): {
        "stack": 40, "spill_stores": 8, "spill_loads": 16, "registers": 140}}


def test_loader_source_names_the_real_file(tmp_path):
    """engine._kernels.read_source prefixes #line, so an error in the text it hands to
    the compiler is reported against kernels/<file>, not a temporary name."""
    from engine._kernels import read_source

    text = read_source("sgp4.cu") + '#error "deliberate"\n'
    src = tmp_path / "copy.cu"
    src.write_text(text)
    proc = subprocess.run([NVCC, "-std=c++17", "-E", f"-I{kernel_dir()}", str(src)],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    real = (kernel_dir() / "sgp4.cu").as_posix()
    assert real in proc.stderr and "copy.cu" not in proc.stderr.split("deliberate")[0], proc.stderr
