"""Out-of-core propagation: chunk by chunk to a callback or a Zarr store, bit-identical to
the whole Catalog.sgp4 call (error codes included), memory bounded by the chunk, an
existing store never replaced unless asked; and the CLI's DIR.zarr output."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from randomsets import CLASSES, random_satrecs

import engine
from engine import outofcore
from engine.cli import main
from engine.timeconv import datetime64_from_jd

pytest.importorskip("zarr", reason="zarr is not installed (pip install 'debris-engine[dask]')")

from engine.io import zarr as zstore  # noqa: E402


def _catalog(n, seed=5):
    # every orbit class in turn: near and deep space interleaved; "decaying" and
    # "high_ecc" give error codes 1, 3, 4 and 6 inside the window
    return engine.Catalog.from_satrecs(random_satrecs(n, seed, classes=CLASSES, epoch_days=(26250.0, 26252.0)))


def _times(m):
    return np.full(m, 2459531.5), np.linspace(0.0, 3.0, m)


def _same_bits(a, b):
    np.testing.assert_array_equal(np.asarray(a).view(np.uint8), np.asarray(b).view(np.uint8))


def test_zarr_store_equals_the_whole_call(tmp_path):
    cat = _catalog(95)
    jd, fr = _times(41)
    path = tmp_path / "states.zarr"
    # chunks that divide neither N nor M: ragged last blocks on both axes
    outofcore.propagate_to_zarr(cat, jd, fr, path, chunks=(13, 9), backend="numpy")
    got = zstore.read(path)
    e, r, v = cat.sgp4(jd, fr, backend="numpy")
    assert set(np.unique(e)) >= {0, 6} and len(np.unique(e)) >= 3  # failures travel too
    _same_bits(got["e"], e)
    _same_bits(got["r"], r)
    _same_bits(got["v"], v)
    np.testing.assert_array_equal(got["satnum"], cat.satnum)
    np.testing.assert_array_equal(got["name"], cat.name.astype(str))
    _same_bits(got["jd"], jd)
    _same_bits(got["fr"], fr)
    np.testing.assert_array_equal(got["times_utc"], datetime64_from_jd(jd, fr))
    assert got["frame"] == "TEME" and got["complete"] is True
    g = zstore.open(path)
    assert g["r"].chunks == (13, 9, 3) and g["r"].metadata.dimension_names == ("object", "time", "xyz")
    assert g["time"].attrs["units"].startswith("microseconds since 1970-01-01")


def test_callback_sees_every_pair_once_in_bounded_chunks():
    cat = _catalog(50, seed=9)
    jd, fr = _times(23)
    seen = np.zeros((50, 23), np.int64)
    e_all = np.empty((50, 23), np.uint8)

    def cb(rows, cols, e, r, v):
        assert e.shape[0] <= 8 and e.shape[1] <= 5 and r.shape == e.shape + (3,)
        seen[rows, cols] += 1
        e_all[rows, cols] = e

    outofcore.propagate_chunks(cat, jd, fr, cb, chunks=(8, 5), backend="numpy")
    assert np.all(seen == 1)
    _same_bits(e_all, cat.sgp4(jd, fr, backend="numpy")[0])


def test_memory_is_bounded_by_the_chunk(tmp_path):
    """The writer's peak is set by the chunk, not by the number of objects: 2,000 and 8,000
    objects x 500 times in chunks of (100, 500) peak alike, far below the whole result."""
    peaks = {}
    for n in (2000, 8000):
        cat = _catalog(n, seed=1)
        jd, fr = _times(500)
        tracemalloc.start()  # NumPy reports its array buffers to tracemalloc
        try:
            outofcore.propagate_to_zarr(cat, jd, fr, tmp_path / f"m{n}.zarr", chunks=(100, 500), backend="numpy",
                                        threads=1)
            _, peaks[n] = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    whole = 8000 * 500 * (1 + 48)  # the e, r, v that Catalog.sgp4 would hold: 196 MB
    # one chunk: 50,000 pairs x 65 bytes = 3.3 MB, plus one SGP4 evaluation block's working
    # set (~24 MB measured: ~60 arrays of 50,000 pairs and temporaries) and codec buffers
    assert peaks[8000] < whole / 4, f"peak {peaks[8000] / 1e6:.1f} MB against {whole / 1e6:.1f} MB for the whole"
    # four times the objects, the same peak (1 MB of slack for the allocator)
    assert peaks[8000] < peaks[2000] * 1.05 + 1e6, {k: round(v / 1e6, 1) for k, v in peaks.items()}


def test_existing_store_is_not_replaced_unless_asked(tmp_path):
    cat = _catalog(10)
    jd, fr = _times(4)
    path = tmp_path / "s.zarr"
    outofcore.propagate_to_zarr(cat, jd, fr, path, backend="numpy")
    before = zstore.read(path)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        outofcore.propagate_to_zarr(cat[:3], jd[:2], fr[:2], path, backend="numpy")
    after = zstore.read(path)
    assert after["e"].shape == (10, 4)
    _same_bits(after["r"], before["r"])
    outofcore.propagate_to_zarr(cat[:3], jd[:2], fr[:2], path, backend="numpy", overwrite=True)
    assert zstore.read(path)["e"].shape == (3, 2)


def test_bad_chunks_refused_before_anything_is_written(tmp_path):
    cat = _catalog(5)
    jd, fr = _times(3)
    path = tmp_path / "bad.zarr"
    with pytest.raises(ValueError, match="chunks="):
        outofcore.propagate_to_zarr(cat, jd, fr, path, chunks=(0, 3))
    with pytest.raises(ValueError, match=r"jd\[1\]"):
        outofcore.propagate_to_zarr(cat, np.array([2459531.5, np.nan, 2459531.5]), fr, path)
    assert not path.exists()


def test_cli_propagate_zarr_matches_npz_and_refuses_to_overwrite(tmp_path, capsys):
    base = ["propagate", "--example", "--start", "2021-11-15T03:00", "--stop", "2021-11-15T09:00",
            "--step", "1800", "--backend", "numpy", "--quiet"]
    zpath, npz = tmp_path / "ex.zarr", tmp_path / "ex.npz"
    assert main(base + ["--out", str(zpath)]) == 0 and main(base + ["--out", str(npz)]) == 0
    z, d = zstore.read(zpath), np.load(npz)
    for a, b in (("e", "e"), ("r", "r_km"), ("v", "v_km_s"), ("satnum", "satnum"), ("jd", "jd"), ("fr", "fr")):
        _same_bits(z[a], d[b])
    np.testing.assert_array_equal(z["times_utc"], d["times_utc"])
    assert z["complete"] is True
    capsys.readouterr()
    assert main(base + ["--out", str(zpath)]) == 2
    err = capsys.readouterr().err
    assert "exists" in err and "--overwrite" in err and "Traceback" not in err
    assert main(base + ["--out", str(zpath), "--overwrite", "--step", "3600"]) == 0
    assert zstore.read(zpath)["e"].shape == (1000, 7)
