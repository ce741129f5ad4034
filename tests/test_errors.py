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
