"""CCSDS Orbit Ephemeris Message (OEM), 502.0-B-2, KVN form: write (and read back).

    engine.io.oem.write("cloud.oem", catalog, times, r, v)      # one segment per object

Each object becomes one segment: META_START .. META_STOP (OBJECT_NAME, OBJECT_ID,
CENTER_NAME EARTH, REF_FRAME, TIME_SYSTEM UTC, START_TIME, STOP_TIME) followed by one
line per time, "epoch x y z x_dot y_dot z_dot" in km and km/s (502.0-B-2 section 5.2).
SGP4 states are TEME, a frame the CCSDS reference-frame registry lists. States with a
non-zero error code (NaN positions, or a decayed object) are left out of the segment and
the segment says how many in a COMMENT; an object with no valid state gets no segment.
Numbers are written with Python's shortest round-trip repr, so read() gives every float64
back exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["write", "read"]


def _t(t) -> str:
    return np.datetime_as_string(np.datetime64(t, "us"), unit="us")


def write(path, catalog, times, r, v, *, e=None, frame: str = "TEME", originator: str = "debris-engine") -> int:
    """Write an OEM for N objects at M times.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write (replaced if it exists).
    catalog : engine.Catalog
        N objects (names, catalogue numbers).
    times : (M,) datetime64
        UTC.
    r, v : (N, M, 3) float64
        Positions (km) and velocities (km/s) in `frame`, as host (NumPy) arrays: the
        numbers are formatted into text on the host.
    e : (N, M) int, optional
        Error codes (default: 0 where r is finite); states with a non-zero code are left out.
    frame : str, optional
        REF_FRAME of every segment (default "TEME", the frame of SGP4 states).
    originator : str, optional
        ORIGINATOR of the header.

    Returns
    -------
    int
        The number of segments written (objects with at least one valid state).

    Raises
    ------
    ValueError
        Shapes of times, r, v that do not match each other or len(catalog), before
        anything is written.
    """
    times = np.asarray(times).astype("datetime64[us]")
    r = np.asarray(r, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    n, m = r.shape[:2]
    if times.shape != (m,) or v.shape != r.shape or r.shape[2:] != (3,) or len(catalog) != n:
        raise ValueError(f"OEM write: need times (M,), r and v (N, M, 3) with N = len(catalog) = {len(catalog)}; "
                         f"got times {times.shape}, r {r.shape}, v {v.shape}")
    ok = np.isfinite(r).all(axis=2) & np.isfinite(v).all(axis=2)
    if e is not None:
        ok &= np.asarray(e) == 0
    created = _t(np.datetime64("now", "us"))
    iso = np.datetime_as_string(times, unit="us")  # every epoch formatted once
    segments = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(["CCSDS_OEM_VERS = 2.0", f"CREATION_DATE = {created}",
                           f"ORIGINATOR = {originator}", ""]))
        for i in range(n):
            k = np.flatnonzero(ok[i])
            if k.size == 0:
                continue
            segments += 1
            name = str(catalog.name[i]) or f"OBJECT {int(catalog.satnum[i])}"
            lines = ["META_START", f"OBJECT_NAME = {name}", f"OBJECT_ID = {int(catalog.satnum[i])}",
                     "CENTER_NAME = EARTH", f"REF_FRAME = {frame}", "TIME_SYSTEM = UTC",
                     f"START_TIME = {iso[k[0]]}", f"STOP_TIME = {iso[k[-1]]}", "META_STOP"]
            if k.size < m:
                lines.append(f"COMMENT {m - k.size} of {m} states left out (SGP4 error codes or non-finite)")
            for j in k:
                lines.append(" ".join([str(iso[j])] + [repr(float(x)) for x in (*r[i, j], *v[i, j])]))
            # each segment (and the header) ends in an empty line, as the list joined whole did
            f.write("\n" + "\n".join(lines) + "\n")
    return segments


def read(path):
    """Segments of an OEM written in KVN.

    Parameters
    ----------
    path : str or os.PathLike
        The OEM file.

    Returns
    -------
    list of dict
        One per segment: the metadata keywords and 'times' (K,) datetime64[us], 'r' (K, 3)
        float64 km, 'v' (K, 3) float64 km/s; NumPy (host) arrays, as file contents are.

    Raises
    ------
    ValueError
        Naming the line, for anything malformed.
    """
    segments, meta, rows, state = [], None, [], "header"
    for no, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("COMMENT"):
            continue
        if line == "META_START":
            if meta is not None:
                segments.append(_segment(meta, rows, no))
            meta, rows, state = {}, [], "meta"
        elif line == "META_STOP":
            state = "data"
        elif state in ("header", "meta"):
            if "=" not in line:
                raise ValueError(f"OEM line {no}: expected KEYWORD = value, got {line!r}")
            k, val = (x.strip() for x in line.split("=", 1))
            if state == "meta":
                meta[k] = val
        else:
            parts = line.split()
            if len(parts) != 7:
                raise ValueError(f"OEM line {no}: expected 'epoch x y z x_dot y_dot z_dot', got {len(parts)} fields")
            try:
                rows.append((np.datetime64(parts[0], "us"), [float(x) for x in parts[1:]]))
            except ValueError:
                raise ValueError(f"OEM line {no}: unreadable epoch or number in {line!r}") from None
    if meta is not None:
        segments.append(_segment(meta, rows, 0))
    return segments


def _segment(meta, rows, no):
    if not rows:
        raise ValueError(f"OEM segment ending before line {no} has no ephemeris lines")
    t = np.array([a for a, _ in rows], dtype="datetime64[us]")
    x = np.array([b for _, b in rows], dtype=np.float64)
    return dict(meta, times=t, r=x[:, :3], v=x[:, 3:])
