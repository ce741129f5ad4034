"""The error-code table exists once in Python and once in kernels/common.cuh: they must agree,
and codes 1-6 must be python-sgp4's."""

import re

from sgp4.api import SGP4_ERRORS

from engine import errors
from engine._kernels import kernel_dir


def _header_codes() -> dict[str, int]:
    text = (kernel_dir() / "common.cuh").read_text()
    body = re.search(r"enum\s+de_error_code\s*\{(.*?)\};", text, re.S)
    assert body, "kernels/common.cuh has no 'enum de_error_code { ... };'"
    pairs = re.findall(r"\b(DE_\w+)\s*=\s*(\d+)", body.group(1))
    return {name: int(value) for name, value in pairs}


def test_python_table_and_cuda_header_agree():
    header = _header_codes()
    python = {name: code for code, (name, _msg) in errors.ERROR_CODES.items()}
    assert header == python


def test_sgp4_codes_are_python_sgp4s():
    ours = set(errors.ERROR_CODES) - {errors.OK}
    assert {c for c in ours if c < 10} == set(SGP4_ERRORS)


def test_nan_codes_are_1_to_5():
    # python-sgp4's SatrecArray writes NaN for codes 1-5 and keeps the values for 6
    assert {c for c in errors.NAN_CODES if c < 10} == {1, 2, 3, 4, 5}
    assert errors.DECAYED == 6 and errors.DECAYED not in errors.NAN_CODES


def test_message_for_every_code_and_unknown_code_raises():
    for code in errors.ERROR_CODES:
        assert errors.message(code)
    try:
        errors.message(99)
    except KeyError:
        pass
    else:
        raise AssertionError("an unknown code must raise KeyError")


# ---- the same table as the kernels write it (issue 16): through the host executor
def _host_or_skip():
    import shutil

    import pytest

    if shutil.which("g++") is None:
        pytest.skip("g++ not found: the host executor needs it")


def test_numerical_codes_written_by_the_kernel_are_the_tables():
    """kernels/cowell.cu writes DE_ERR_REENTERED, DE_ERR_STEP_UNDERFLOW and DE_ERR_MAX_STEPS:
    run on the host executor, each case gives the code the header and engine.errors name,
    and the NumPy implementation gives the same codes."""
    import numpy as np

    import engine.numerical as en
    from engine.numerical import _numpy as nn

    _host_or_skip()
    header = _header_codes()
    epoch, day = (2459534.5, 0.0), 86400.0
    a_low, a_high = nn.WGS84_A + 160.0, nn.WGS84_A + 500.0
    r = np.array([[a_low, 0.0, 0.0], [a_high, 0.0, 0.0]])
    v = np.array([[0.0, np.sqrt(nn.GM / a_low) * np.cos(0.9), np.sqrt(nn.GM / a_low) * np.sin(0.9)],
                  [0.0, np.sqrt(nn.GM / a_high), 0.0]])
    t = np.linspace(0.0, day, 9)
    forces = en.Forces(zonal=6, drag="exponential", am=0.05)
    # 160 km re-enters within hours; 20 steps cannot cover a day; a 100 s minimum step
    # cannot hold 1e-13 through the low object's last revolutions in the atmosphere
    cases = (("DE_ERR_REENTERED", {}), ("DE_ERR_MAX_STEPS", dict(max_steps=20)),
             ("DE_ERR_STEP_UNDERFLOW", dict(hmin=100.0, hmax=200.0, rtol=1e-13)))
    for name, kw in cases:
        host = en.propagate(r, v, epoch, t, forces=forces, backend="host", **kw).status
        ref = en.propagate(r, v, epoch, t, forces=forces, backend="numpy", **kw).status
        np.testing.assert_array_equal(host, ref, err_msg=name)
        assert set(np.unique(host).tolist()) == {0, header[name]}, (name, np.unique(host))
        assert errors.ERROR_CODES[header[name]][0] == name


def test_sgp4_codes_written_by_the_kernel_are_python_sgp4s():
    """kernels/sgp4.cu's codes on the host executor for seeded random element sets
    (codes 0, 1, 4 and 6 occur) equal python-sgp4's, and each is in the header's table."""
    import numpy as np
    import engine
    from randomsets import random_satrecs

    _host_or_skip()
    sats = random_satrecs(2000, 5)
    t = np.linspace(-1440.0, 30 * 1440.0, 9)
    e, _, _ = engine.Catalog.from_satrecs(sats).sgp4_tsince(t, backend="host")
    ref = np.array([[s.sgp4_tsince(float(tt))[0] for tt in t] for s in sats])
    np.testing.assert_array_equal(e, ref)
    codes = set(np.unique(e).tolist())
    assert {1, 6} <= codes and codes <= set(_header_codes().values())


# ---- issue 15: every code table and every exception in engine.errors
def _header_enum(header: str, enum_re: str) -> dict[str, int]:
    text = (kernel_dir() / header).read_text()
    body = re.search(enum_re, text, re.S)
    assert body, f"kernels/{header} has no enum matching {enum_re!r}"
    return {name: int(value) for name, value in re.findall(r"\b(\w+)\s*=\s*(\d+)", body.group(1))}


def test_pc_flags_and_pc_cuh_agree():
    header = _header_enum("pc.cuh", r"enum\s+pc_flag\s*\{(.*?)\};")
    assert header == {f"PC_FLAG_{f.name}": int(f) for f in errors.PcFlag}
    assert set(errors.PC_FLAGS) == set(errors.PcFlag)
    assert all(errors.PC_FLAGS[f][0] == f.name for f in errors.PcFlag)


def test_longterm_kernel_run_status_maps_to_decay_status():
    """kernels/longterm.cuh's enum Status is the kernel's own run outcome; the launcher maps
    RUN_<name> to DecayStatus.<name> (RUN_OK: still in orbit)."""
    from engine.longterm import _cuda as _longterm_cuda

    header = _header_enum("longterm.cuh", r"enum\s+Status\s*\{(.*?)\};")
    assert set(header) == {"RUN_OK", "RUN_STEP_LIMIT", "RUN_STEP_FAILED"}
    names = {"RUN_OK": "IN_ORBIT", "RUN_STEP_LIMIT": "STEP_LIMIT", "RUN_STEP_FAILED": "STEP_FAILED"}
    got = _longterm_cuda._codes([header[k] for k in names])
    assert got.tolist() == [int(errors.DecayStatus[v]) for v in names.values()]


def test_old_code_names_are_the_new_members():
    """The names the modules had keep their values, now those of one enum each; each table
    is the errors one, with a message for every member."""
    from engine import _orbits, fit, longterm, numerical, pc

    for enum_cls, module, prefix, table in (
            (errors.DecayStatus, longterm, "", longterm.STATUS_MESSAGES),
            (errors.FitStatus, fit, "FIT_", fit.FIT_STATUS),
            (errors.OrbitStatus, _orbits, "", _orbits.REASONS),
            (errors.PcFlag, pc, "FLAG_", pc.FLAGS)):
        for member in enum_cls:
            alias = getattr(module, prefix + member.name)
            assert alias == member and type(alias) is int, (module.__name__, member)
            assert member.message
        assert table is {errors.DecayStatus: errors.DECAY_STATUS_MESSAGES, errors.FitStatus: errors.FIT_STATUS_MESSAGES,
                         errors.OrbitStatus: errors.ORBIT_STATUS_MESSAGES, errors.PcFlag: errors.PC_FLAGS}[enum_cls]
        assert set(table) == set(enum_cls)
    for name in ("OK", "REENTERED", "STEP_UNDERFLOW", "MAX_STEPS"):
        assert getattr(numerical, name) == getattr(errors, name)
        assert numerical.STATUS_MESSAGES[getattr(errors, name)] == errors.message(getattr(errors, name))
    # the decay step limit is a count, not the numerical code 22
    assert longterm.MAX_STEPS_PER_OBJECT == longterm.MAX_STEPS == 1_000_000
    assert errors.DecayStatus.REENTERED == 1 and errors.REENTERED == 20
    assert f"{_orbits.REENTRY_KM:g} km" in errors.OrbitStatus.REENTERS.message


def test_flag_aliases_keep_uint8_arithmetic():
    """The module aliases are plain ints: NumPy 2 widens uint8 | IntFlag to int64, and
    refuses it in place, so a member in their place would change result dtypes."""
    import numpy as np

    from engine import pc

    flags = np.zeros(3, np.uint8)
    flags |= pc.FLAG_SLOW
    assert flags.dtype == np.uint8 and (flags | pc.FLAG_NPD).dtype == np.uint8
    assert pc.FLAG_SLOW | pc.FLAG_NPD == errors.PcFlag.SLOW | errors.PcFlag.NPD == 5


def test_every_exception_is_in_errors_and_exported():
    import engine
    from engine import _backend, _hostbuild, _hostexec, cli, fit
    from engine.io import _common, satcat

    names = ("BackendUnavailable", "HostBuildError", "KernelArgumentError", "CatalogInputError", "TLEError",
             "OMMError", "SatcatError", "FitError", "BadRecordsWarning", "InsufficientMemoryError", "UserError",
             "BackendUnavailableError")
    for name in names:
        cls = getattr(errors, name)
        assert cls.__module__ == "engine.errors" and name in errors.__all__
        assert getattr(engine, name) is cls and name in engine.__all__
    # the old import paths name the same classes
    old = {_backend: "BackendUnavailable", _hostbuild: "HostBuildError", _hostexec: "KernelArgumentError",
           _common: ("CatalogInputError", "TLEError", "OMMError", "BadRecordsWarning"), satcat: "SatcatError",
           fit: "FitError", cli: ("UserError", "BackendUnavailableError"), engine.io: ("CatalogInputError", "TLEError", "OMMError",
                                                          "BadRecordsWarning")}
    for module, which in old.items():
        for name in (which,) if isinstance(which, str) else which:
            assert getattr(module, name) is getattr(errors, name), (module.__name__, name)
    # no exception class is defined anywhere else in the package
    import ast
    from pathlib import Path

    root = Path(engine.__file__).parent
    for path in root.rglob("*.py"):
        if path.name == "errors.py" and path.parent == root:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b) for b in node.bases}
                assert not any(b.endswith(("Error", "Exception", "Warning", "Unavailable")) for b in bases), \
                    (str(path.relative_to(root)), node.name)


def test_errors_imports_nothing_from_engine():
    """engine.errors is the lowest layer: it imports only the standard library."""
    import ast
    import sys

    tree = ast.parse(__import__("pathlib").Path(errors.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module.split(".")[0] in sys.stdlib_module_names | {"__future__"}
        elif isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] in sys.stdlib_module_names for a in node.names)
