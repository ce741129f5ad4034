"""Issue 13, points 5 and 6: bad input files and oversized requests are refused before any
work starts, with one message that names the source, where the problem is and the fix."""

from __future__ import annotations

import gzip
import io
import os

import numpy as np
import pytest

import engine
import engine._memory as memory_mod
from engine.cli import example_path
from engine.errors import InsufficientMemoryError
from engine.catalog import load_omm, load_tle
from engine.io import OMMError, TLEError

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


def test_binary_without_nul_told_from_legacy_text(tmp_path):
    """Seeded random bytes 1..255 (no NUL): binary, not "another encoding"."""
    path = tmp_path / "noise.tle"
    path.write_bytes(np.random.default_rng(5).integers(1, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(TLEError) as ei:
        load_tle(path)
    b = _one(ei.value)
    assert b.field == "encoding" and "looks binary (control bytes)" in b.problem and "plain-text" in b.fix


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
    monkeypatch.setattr(memory_mod, "_MEMINFO", str(fake))
    assert memory_mod.memory_available() == 1234567 * 1024
    monkeypatch.setattr(memory_mod, "_MEMINFO", str(tmp_path / "absent"))
    if hasattr(os, "sysconf") and "SC_AVPHYS_PAGES" in os.sysconf_names:
        assert memory_mod.memory_available() > 0


def test_sgp4_larger_than_memory_refused_before_any_work(example, monkeypatch):
    """Was: numpy's raw "MemoryError: Unable to allocate 106. GiB" after the initialisation."""
    monkeypatch.setattr(memory_mod, "memory_available", lambda: 2 * 2**20)
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
    monkeypatch.setattr(memory_mod, "memory_available", lambda: 2 * 2**20)  # tsince: 1.6 MB < 2 MiB
    out = (np.empty((1000, 100), np.uint8), np.empty((1000, 100, 3)), np.empty((1000, 100, 3)))
    got = example.sgp4(jd, fr, backend="numpy", out=out)
    for a, b in zip(got, want):
        assert np.array_equal(a, b, equal_nan=True)
    monkeypatch.setattr(memory_mod, "memory_available", lambda: 0)
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


# ------------------------------------------------------------ 5 and 6 on the command line

def _cli(capsys, argv):
    from engine.cli import main

    rc = main(argv)
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    return rc, cap.out, cap.err


def _never(*args, **kwargs):
    raise AssertionError("the work started although an output check should have refused it first")


def test_propagate_prints_its_estimate_on_stderr(capsys):
    rc, out, err = _cli(capsys, ["propagate", "--example", "--start", "2021-11-15T03:00", "--stop",
                                 "2021-11-15T09:00", "--step", "1800", "--backend", "numpy"])
    assert rc == 0
    assert "1,000 objects x 13 times = 13,000 evaluations on numpy; estimated " in err
    assert "us per evaluation, measured on 256 objects x 13 times" in err
    assert "estimated" not in out


def test_propagate_without_out_refuses_a_long_run_unless_summary_only(capsys, monkeypatch):
    """Was: a ~4.5 h run started without a word, its states discarded."""
    import engine.cli as cli

    monkeypatch.setattr(cli, "MAX_DISCARDED_SECONDS", 0.0)
    argv = ["propagate", "--example", "--step", "3600", "--backend", "numpy", "--quiet"]
    rc, out, err = _cli(capsys, argv)
    assert rc == 2 and out == ""
    assert "without --out the 25,000 states" in err and "--out FILE.csv" in err and "--summary-only" in err
    rc, out, err = _cli(capsys, argv + ["--summary-only"])
    assert rc == 0 and "evaluations        25,000" in out


def test_propagate_npz_larger_than_memory_refused(capsys, monkeypatch, tmp_path):
    """Was: a fixed 8 GiB rule, blind to the memory the machine has."""
    monkeypatch.setattr(memory_mod, "memory_available", lambda: 2 * 2**20)
    out = tmp_path / "states.npz"
    rc, _, err = _cli(capsys, ["propagate", "--example", "--step", "60", "--backend", "numpy", "--out", str(out)])
    assert rc == 2 and not out.exists()
    # held whole: 1000 x 1441 x 49 bytes; one block (256 objects, the smallest block the
    # progress reports use) of outputs and tsince: 256 x 1441 x 65 bytes; together
    # 94,587,240 bytes = 90.21 MiB
    assert "1,000 objects x 1,441 times would need 90.2 MiB of memory for .npz output" in err
    assert "2.0 MiB is available" in err and ".csv output (streamed)" in err


def test_propagate_out_larger_than_free_disk_refused(capsys, monkeypatch, tmp_path):
    import engine.cli as cli

    monkeypatch.setattr(cli.shutil, "disk_usage", lambda p: shutil_usage(10**9, 10**9 - 1000, 1000))
    out = tmp_path / "states.csv"
    rc, _, err = _cli(capsys, ["propagate", "--example", "--step", "3600", "--backend", "numpy", "--out", str(out)])
    assert rc == 2 and not out.exists()
    assert "MiB to write, 0.0 MiB free on its file system" in err


def shutil_usage(total, used, free):
    import shutil

    return shutil._ntuple_diskusage(total, used, free)


def test_propagate_out_in_missing_directory_refused_before_loading(capsys, monkeypatch, tmp_path):
    """Was: the whole run, then "No such file or directory" when the file was opened."""
    import engine.cli as cli

    monkeypatch.setattr(cli, "_load_catalog", _never)
    out = tmp_path / "no" / "states.csv"
    rc, _, err = _cli(capsys, ["propagate", "--example", "--out", str(out)])
    assert rc == 2 and f"the directory {str(out.parent)!r} does not exist" in err
    (tmp_path / "d.csv").mkdir()
    rc, _, err = _cli(capsys, ["propagate", "--example", "--out", str(tmp_path / "d.csv")])
    assert rc == 2 and "is a directory: give a file name" in err


def test_scenario_out_existing_file_refused_before_computing(capsys, monkeypatch, tmp_path):
    """Was: the whole scenario ran, then os.makedirs failed on the file."""
    import engine.scenario

    monkeypatch.setattr(engine.scenario, "cosmos1408", _never)
    out = tmp_path / "report"
    out.write_text("not a directory")
    rc, _, err = _cli(capsys, ["scenario", "cosmos1408", "--out", str(out), "--quiet"])
    assert rc == 2 and "is an existing file, not a directory" in err


def test_screen_parquet_without_pyarrow_refused_before_screening(capsys, monkeypatch, tmp_path):
    """Was: the whole screening ran, then Conjunctions.to_parquet raised ImportError."""
    import sys

    import engine.screening

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow fails, find_spec says None
    monkeypatch.setattr(engine.screening, "screen", _never)
    rc, _, err = _cli(capsys, ["screen", example_path(), "--all", "--out", str(tmp_path / "c.parquet")])
    assert rc == 2 and "needs pyarrow, which is not installed" in err and "write .csv" in err
    (tmp_path / "cdm").write_text("")
    rc, _, err = _cli(capsys, ["screen", example_path(), "--all", "--cdm", str(tmp_path / "cdm")])
    assert rc == 2 and "--cdm" in err and "is an existing file" in err


def test_breakup_gabbard_without_matplotlib_refused_before_the_cloud(capsys, monkeypatch, tmp_path):
    import sys

    import engine.events

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setattr(engine.events, "cosmos1408", _never)
    rc, _, err = _cli(capsys, ["breakup", "cosmos1408", "--gabbard", str(tmp_path / "g.png")])
    assert rc == 2 and "needs matplotlib" in err and "leave out --gabbard" in err


def test_all_nan_objects_leak_no_warning(capsys, tmp_path):
    """Was: numpy's "All-NaN slice encountered" RuntimeWarning when an object had no valid time."""
    import warnings

    from engine.io.tle import checksum

    l1 = ISS[1][:53] + " 99999+1" + ISS[1][61:]  # BSTAR 9.9999: error code 1 from a day after epoch
    src = tmp_path / "two.tle"
    src.write_text("\n".join([*ISS, "DRAGGY", l1[:68] + str(checksum(l1)), ISS[2]]) + "\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rc, out, err = _cli(capsys, ["propagate", str(src), "--start", "2021-11-17", "--step", "3600",
                                     "--backend", "numpy", "--quiet"])
    assert rc == 0
    assert "error code 1       25 evaluations, 1 objects" in out
    assert not [w for w in caught if "All-NaN" in str(w.message)] and "All-NaN" not in err
