"""Issue 13, points 5 and 6: bad input files and oversized requests are refused before any
work starts, with one message that names the source, where the problem is and the fix."""

from __future__ import annotations

import gzip
import io
import os

import numpy as np
import pytest

import engine
import engine.sgp4 as sgp4_mod
from engine.cli import example_path
from engine.errors import InsufficientMemoryError
from engine.io import OMMError, TLEError, load_omm, load_tle

ISS = ("ISS (ZARYA)",
       "1 25544U 98067A   21319.86359406  .00001699  00000-0  39549-4 0  9996",
       "2 25544  51.6442 312.7312 0004574 201.3017 242.9752 15.48581038312108")
ISS_JSON = ('[{"OBJECT_NAME":"ISS (ZARYA)","OBJECT_ID":"1998-067A","EPOCH":"2021-11-15T20:43:34.526784",'
            '"MEAN_MOTION":15.48581038,"ECCENTRICITY":0.0004574,"INCLINATION":51.6442,'
            '"RA_OF_ASC_NODE":312.7312,"ARG_OF_PERICENTER":201.3017,"MEAN_ANOMALY":242.9752,'
            '"EPHEMERIS_TYPE":0,"CLASSIFICATION_TYPE":"U","NORAD_CAT_ID":25544,"ELEMENT_SET_NO":999,'
            '"REV_AT_EPOCH":31210,"BSTAR":3.9549e-05,"MEAN_MOTION_DOT":1.699e-05,"MEAN_MOTION_DDOT":0}]')


def _one(exc) -> engine.io.BadRecord:
    assert len(exc.bad) == 1, str(exc)
    return exc.bad[0]


# ------------------------------------------------------------ 6. binary and non-UTF-8 files

@pytest.mark.parametrize("load, cls, name", [(load_tle, TLEError, "cat.tle"), (load_omm, OMMError, "cat.json")])
def test_gzip_file_named_with_its_fix_not_a_codec_error(tmp_path, load, cls, name):
    """Was: "'utf-8' codec can't decode byte 0x8b in position 1" (a UnicodeDecodeError, no file name)."""
    path = tmp_path / name
    path.write_bytes(gzip.compress("\n".join(ISS).encode()))
    with pytest.raises(cls) as ei:
        load(path)
    b = _one(ei.value)
    assert (b.field, b.line) == ("encoding", 1)
    assert "gzip" in b.problem and "gunzip" in b.fix
    assert repr(str(path)) in str(ei.value)


def test_non_utf8_byte_located_by_line_and_column(tmp_path):
    """A Latin-1 name line: the message gives the byte, its line and column, and the fix."""
    path = tmp_path / "latin1.tle"
    path.write_bytes(("\n".join(ISS) + "\nCAF\u00c9 SAT\n" + "\n".join(ISS[1:]) + "\n").encode("latin-1"))
    with pytest.raises(TLEError) as ei:
        load_tle(str(path))
    b = _one(ei.value)
    assert (b.field, b.line) == ("encoding", 4)
    assert "byte 0xc9 at column 4" in b.problem and "UTF-8" in b.fix
    assert "Traceback" not in str(ei.value) and "codec" not in str(ei.value)


def test_binary_with_nul_bytes_is_refused(tmp_path):
    """NUL is valid UTF-8 but never element-set text: seeded random bytes after a NUL."""
    rng = np.random.default_rng(13)
    path = tmp_path / "random.tle"
    path.write_bytes(b"\x00" + rng.integers(0, 128, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(TLEError) as ei:
        load_tle(path)
    b = _one(ei.value)
    assert b.field == "encoding" and "binary" in b.problem


def test_utf16_and_binary_file_objects_and_lines():
    with pytest.raises(OMMError, match="UTF-16"):
        load_omm(io.BytesIO(ISS_JSON.encode("utf-16")))
    with pytest.raises(TLEError) as ei:
        load_tle([ISS[0].encode(), b"1 25544U \xbd\xff"])
    b = _one(ei.value)
    assert (b.line, b.field) == (2, "encoding") and "byte 0xbd at column 10" in b.problem
    with pytest.raises(TLEError, match="encoding.*binary mode"):
        load_tle(io.TextIOWrapper(io.BytesIO(b"ab\xbd\xff\n"), encoding="utf-8"))


# ------------------------------------------------------------ 6. empty input

@pytest.mark.parametrize("text, problem", [
    ("", "is empty (0 bytes)"),
    ("\n  \n\t\n", "holds only blank lines"),
    ("# a comment and nothing else\n", "holds no element sets"),
])
def test_empty_tle_file_raises_instead_of_empty_catalog(tmp_path, text, problem):
    """Was: engine.load_tle returned an empty Catalog without a word."""
    path = tmp_path / "empty.tle"
    path.write_text(text)
    for errors in ("raise", "skip"):
        with pytest.raises(TLEError) as ei:
            load_tle(path, errors=errors)
        b = _one(ei.value)
        assert b.field == "content" and problem in b.problem
        assert str(ei.value).startswith(f"bad TLE input in {str(path)!r}")


@pytest.mark.parametrize("text, problem", [
    ("", "is empty"),
    ("   \n", "holds only blank lines"),
    ("[]", "holds no element sets"),
    ("OBJECT_NAME,OBJECT_ID,EPOCH,MEAN_MOTION\n", "holds no element sets"),
])
def test_empty_omm_input_raises(tmp_path, text, problem):
    """Was: "cannot tell the OMM encoding" for an empty file, an empty Catalog for "[]"."""
    path = tmp_path / ("empty.csv" if "," in text else "empty.json")
    path.write_text(text)
    with pytest.raises(OMMError) as ei:
        load_omm(path)
    b = _one(ei.value)
    assert b.field == "content" and problem in b.problem


# ------------------------------------------------------------ 6. indented TLE lines

def test_indented_tle_lines_reported_as_indentation():
    """Was: six "name line ... is not followed by a TLE line 1" errors for two indented 3LEs."""
    lines = []
    for _ in range(2):
        lines += [ISS[0], "  " + ISS[1], "  " + ISS[2]]
    with pytest.raises(TLEError) as ei:
        load_tle(lines)
    found = [(b.record, b.line, b.satnum, b.field) for b in ei.value.bad]
    assert found == [(1, 2, 25544, "line 1 indentation"), (1, 3, 25544, "line 2 indentation"),
                     (2, 5, 25544, "line 1 indentation"), (2, 6, 25544, "line 2 indentation")]
    assert all("2 blank characters" in b.problem and "column 1" in b.fix for b in ei.value.bad)
    assert str(ei.value).startswith("2 bad TLE records (4 problems)")
    assert "name line" not in str(ei.value)


def test_indented_record_skipped_and_the_rest_kept():
    text = [*ISS, ISS[0], "\t" + ISS[1], ISS[2]]
    with pytest.warns(engine.io.BadRecordsWarning, match="skipped 1 bad TLE record"):
        cat = load_tle(text, errors="skip")
    assert len(cat) == 1 and cat.satnum[0] == 25544
    assert [(b.record, b.line, b.field) for b in cat.rejected] == [(2, 5, "line 1 indentation")]


# ------------------------------------------------------------ 5. memory checked before the work

@pytest.fixture(scope="module")
def example():
    return load_tle(example_path())


def _times(m):
    return np.full(m, 2459533.5), np.linspace(0.0, 1.0, m)


def test_memory_available_reads_meminfo(tmp_path, monkeypatch):
    fake = tmp_path / "meminfo"
    fake.write_text("MemTotal:       32000000 kB\nMemFree:         1000000 kB\nMemAvailable:    1234567 kB\n")
    monkeypatch.setattr(sgp4_mod, "_MEMINFO", str(fake))
    assert sgp4_mod.memory_available() == 1234567 * 1024
    monkeypatch.setattr(sgp4_mod, "_MEMINFO", str(tmp_path / "absent"))
    if hasattr(os, "sysconf") and "SC_AVPHYS_PAGES" in os.sysconf_names:
        assert sgp4_mod.memory_available() > 0


def test_sgp4_larger_than_memory_refused_before_any_work(example, monkeypatch):
    """Was: numpy's raw "MemoryError: Unable to allocate 106. GiB" after the initialisation."""
    monkeypatch.setattr(sgp4_mod, "memory_available", lambda: 2 * 2**20)
    cat = example[:]
    jd, fr = _times(100)
    with pytest.raises(InsufficientMemoryError) as ei:
        cat.sgp4(jd, fr, backend="numpy")
    exc = ei.value
    assert isinstance(exc, MemoryError)
    # outputs (1 + 48 bytes) and the NumPy backend's tsince (8) and its temporary (8)
    assert (exc.need_bytes, exc.available_bytes, exc.where) == (1000 * 100 * 65, 2 * 2**20, "host")
    msg = str(exc)
    assert "1,000 objects x 100 times need 6.2 MiB" in msg and "2.0 MiB is available" in msg
    assert "out=" in msg and "memmap" in msg and "at most ~32 times" in msg
    assert cat._sgp4_cache == {}  # refused before the SGP4 initialisation
    with pytest.raises(InsufficientMemoryError):
        cat.sgp4_tsince(np.linspace(0.0, 1440.0, 100), backend="numpy")


def test_out_buffers_are_a_way_out(example, monkeypatch):
    jd, fr = _times(100)
    want = example.sgp4(jd, fr, backend="numpy")
    monkeypatch.setattr(sgp4_mod, "memory_available", lambda: 2 * 2**20)  # tsince: 1.6 MB < 2 MiB
    out = (np.empty((1000, 100), np.uint8), np.empty((1000, 100, 3)), np.empty((1000, 100, 3)))
    got = example.sgp4(jd, fr, backend="numpy", out=out)
    for a, b in zip(got, want):
        assert np.array_equal(a, b, equal_nan=True)
    monkeypatch.setattr(sgp4_mod, "memory_available", lambda: 0)
    got = example.sgp4_tsince(np.linspace(0.0, 1440.0, 100), backend="numpy", out=out)
    assert got[0] is out[0]


def test_cuda_per_object_times_checked_against_device_memory(example, monkeypatch):
    from engine import _backend

    ok, reason = _backend.cuda_status()
    if not ok:
        pytest.skip(f"no CUDA device: {reason}")
    import cupy as cp

    monkeypatch.setattr(cp.cuda.runtime, "memGetInfo", lambda: (4 * 2**20, 8 * 2**30))
    with pytest.raises(InsufficientMemoryError) as ei:
        example.sgp4_tsince(np.zeros((1000, 1000)), backend="cuda")
    assert ei.value.where == "device" and ei.value.need_bytes == 1000 * 1000 * 8
