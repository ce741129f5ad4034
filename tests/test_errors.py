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
    from engine import _numerical_numpy as nn

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
