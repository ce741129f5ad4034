"""Zarr stores of SGP4 states, written chunk by chunk (results larger than memory).

    g = engine.io.zarr.create("cloud.zarr", satnum=..., name=..., jd=..., fr=..., chunks=(4096, 1440))
    engine.io.zarr.write_block(g, slice(0, 4096), slice(0, 1440), e, r, v)
    engine.io.zarr.mark_complete(g)
    states = engine.io.zarr.read("cloud.zarr")          # small stores, or .open() and slice

Layout (Zarr format 3; dimension names as xarray reads them, so ``xarray.open_zarr``
gives a Dataset with the coordinates below):

    e       (object, time) uint8          SGP4 error codes (engine.errors; 0 ok); 255 = never written
    r       (object, time, xyz) float64   km, in the group's frame (TEME for SGP4)
    v       (object, time, xyz) float64   km/s
    satnum  (object,) int64               catalogue numbers
    name    (object,) str                 object names ("" when the input had none)
    time    (time,) int64                 microseconds since 1970-01-01 UTC (CF units, decoded by xarray)
    jd, fr  (time,) float64               the split Julian dates propagated to (exact, UTC)
    attrs   frame, format, complete (False until mark_complete), and the caller's extras

Chunks of e, r and v are (objects, times[, 3]); write_block regions aligned on them touch
disjoint chunk files, so blocks may be written by several processes at once (engine.dask)
and a block written twice (a retried task) holds the same bytes, never a duplicate.
An existing store is never replaced unless ``overwrite=True``. This module holds plain
arrays only: the propagation loop is engine.outofcore.
"""

from __future__ import annotations

import os

import numpy as np

from ..timeconv import datetime64_from_jd

__all__ = ["FORMAT", "create", "open", "write_block", "mark_complete", "read", "NOT_WRITTEN"]

#: the layout's name and version, in the group's attributes
FORMAT = "debris-engine-states/1"
#: e's fill value: the (object, time) pair of a chunk that was never written
NOT_WRITTEN = 255
#: CF time units of the "time" coordinate (xarray decodes them to datetime64)
_TIME_UNITS = "microseconds since 1970-01-01T00:00:00"


def _zarr():
    try:
        import zarr  # optional dependency (the dask extra): imported on first use
    except ImportError:
        raise ImportError("Zarr output needs the zarr package: pip install 'debris-engine[dask]'") from None
    return zarr


def create(path, *, satnum, name, jd, fr, chunks, frame: str = "TEME", overwrite: bool = False,
           attrs: dict | None = None):
    """Create an empty store for N objects x M times.

    Parameters
    ----------
    path : str or os.PathLike
        Where the store goes.
    satnum : (N,) int
        Catalogue numbers.
    name : (N,) str
        Object names.
    jd, fr : (M,) float64
        Split Julian dates (UTC).
    chunks : (int, int)
        (objects, times) per chunk, each >= 1 (clipped to N, M).
    frame : str, optional
        The coordinate frame of r and v (default "TEME").
    overwrite : bool, optional
        Replace an existing store at `path`.
    attrs : dict, optional
        Extra group attributes.

    Returns
    -------
    zarr.Group
        The open group, e filled with NOT_WRITTEN and r, v with NaN.

    Raises
    ------
    FileExistsError
        When `path` exists and overwrite is False, before anything is written.
    ValueError
        Inconsistent shapes or chunks, before anything is written.
    ImportError
        The zarr package is not installed.
    """
    zarr = _zarr()
    satnum = np.asarray(satnum, dtype=np.int64)
    name = np.asarray(name, dtype=object)
    jd = np.asarray(jd, dtype=np.float64)
    fr = np.asarray(fr, dtype=np.float64)
    n, m = satnum.shape[0], jd.shape[0]
    problems = []
    if satnum.ndim != 1 or name.shape != satnum.shape:
        problems.append(f"satnum and name must both be (N,), got {satnum.shape} and {name.shape}")
    if jd.ndim != 1 or fr.shape != jd.shape:
        problems.append(f"jd and fr must both be (M,), got {jd.shape} and {fr.shape}")
    co, ct = (int(c) for c in chunks)
    if co < 1 or ct < 1:
        problems.append(f"chunks={tuple(chunks)}: give (objects, times) per chunk, each >= 1")
    if problems:
        raise ValueError("zarr.create: " + "; ".join(problems))
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{os.fspath(path)!r} exists: choose a new path, remove it, or pass overwrite=True "
                              "(--overwrite on the command line) to replace it")
    co, ct = max(1, min(co, n)), max(1, min(ct, m))
    g = zarr.open_group(path, mode="w" if overwrite else "w-", zarr_format=3)
    g.create_array("e", shape=(n, m), chunks=(co, ct), dtype="u1", fill_value=NOT_WRITTEN,
                   dimension_names=("object", "time"),
                   attributes={"long_name": "SGP4 error code (engine.errors; 0 ok, 255 not written)"})
    for key, units in (("r", "km"), ("v", "km/s")):
        g.create_array(key, shape=(n, m, 3), chunks=(co, ct, 3), dtype="f8", fill_value=np.nan,
                       dimension_names=("object", "time", "xyz"), attributes={"units": units, "frame": frame})
    g.create_array("satnum", shape=(n,), dtype="i8", dimension_names=("object",))[:] = satnum
    g.create_array("name", shape=(n,), dtype=str, dimension_names=("object",))[:] = name.astype(str)
    us = datetime64_from_jd(jd, fr).astype(np.int64)
    g.create_array("time", shape=(m,), dtype="i8", dimension_names=("time",),
                   attributes={"units": _TIME_UNITS, "calendar": "proleptic_gregorian",
                               "standard_name": "time"})[:] = us
    g.create_array("jd", shape=(m,), dtype="f8", dimension_names=("time",),
                   attributes={"units": "day", "long_name": "Julian date, whole part (UTC)"})[:] = jd
    g.create_array("fr", shape=(m,), dtype="f8", dimension_names=("time",),
                   attributes={"units": "day", "long_name": "Julian date, fraction (UTC)"})[:] = fr
    g.attrs.update({"format": FORMAT, "frame": frame, "complete": False,
                    "coordinates": "satnum name time jd fr", **(attrs or {})})
    return g


def open(path, mode: str = "r"):
    """The zarr.Group of an existing store.

    Parameters
    ----------
    path : str or os.PathLike
        The store.
    mode : str, optional
        "r" (default) or "r+".

    Returns
    -------
    zarr.Group
        The open group.

    Raises
    ------
    FileNotFoundError
        `path` does not exist.
    ValueError
        The store is not one of ours (format attribute other than FORMAT).
    """
    zarr = _zarr()
    if not os.path.exists(path):
        raise FileNotFoundError(f"{os.fspath(path)!r} does not exist")
    g = zarr.open_group(path, mode=mode)
    if g.attrs.get("format") != FORMAT:
        raise ValueError(f"{os.fspath(path)!r} is not a debris-engine states store (format {FORMAT!r})")
    return g


def write_block(group, objects: slice, times: slice, e, r, v) -> None:
    """Write one block at rows `objects`, columns `times`.

    Parameters
    ----------
    group : zarr.Group
        A store from create() or open(path, "r+").
    objects, times : slice
        Rows (objects) and columns (times) of the block; aligned on the chunks, blocks
        touch disjoint chunk files.
    e : (n, m) uint8
        Error codes.
    r, v : (n, m, 3) float64
        Positions (km) and velocities (km/s), in the group's frame.

    Returns
    -------
    None
    """
    group["e"][objects, times] = e
    group["r"][objects, times] = r
    group["v"][objects, times] = v


def mark_complete(group) -> None:
    """Record that every block was written (readers check ``attrs["complete"]``).

    Parameters
    ----------
    group : zarr.Group
        A store opened for writing.

    Returns
    -------
    None
    """
    group.attrs["complete"] = True


def read(path) -> dict:
    """Every array of a store held whole.

    For stores that fit in memory; slice open() otherwise.

    Parameters
    ----------
    path : str or os.PathLike
        The store.

    Returns
    -------
    dict
        e (N, M) uint8, r and v (N, M, 3) float64 (km, km/s), satnum (N,) int64, name (N,)
        str, jd and fr (M,) float64, times_utc (M,) datetime64[us], frame (str), complete
        (bool); NumPy (host) arrays, as read from the files.

    Raises
    ------
    FileNotFoundError, ValueError
        As for open().
    """
    g = open(path)
    out = {k: g[k][...] for k in ("e", "r", "v", "satnum", "jd", "fr")}
    out["name"] = np.array([str(s) for s in g["name"][...]])  # zarr hands back StringDType
    out["times_utc"] = g["time"][...].astype("datetime64[us]")
    out["frame"] = g.attrs["frame"]
    out["complete"] = bool(g.attrs["complete"])
    return out
