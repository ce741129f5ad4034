"""CelesTrak's SATCAT CSV: launch and decay dates of catalogued objects.

    sc = engine.io.satcat.load_satcat("satcat.csv")        # path, text, file object or lines
    sc.norad, sc.decay_date                                  # (N,) int64, (N,) datetime64[D] (NaT: in orbit)
    sc.on_orbit(times, since="2021-11-15")                   # (T,) objects in orbit at each time

Columns are CelesTrak's (celestrak.org/satcat/satcat-format.php, CSV form): NORAD_CAT_ID
and DECAY_DATE are required; OBJECT_NAME, OBJECT_ID, OBJECT_TYPE, LAUNCH_DATE and RCS
(m^2) are read when present. Dates are YYYY-MM-DD, blank DECAY_DATE = still in orbit,
blank RCS = not published. Bad rows follow the catalogue readers' rules: one SatcatError
listing every problem (errors="raise") or the good rows kept, .rejected listing the bad
ones and one BadRecordsWarning (errors="skip").
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np

from ..errors import SatcatError  # defined there; this import path keeps working
from ..timeconv import to_datetime64
from ._common import BadRecord, check_errors_option, read_source, report

__all__ = ["Satcat", "SatcatError", "load_satcat"]


@dataclass
class Satcat:
    """SATCAT rows.

    Attributes
    ----------
    norad : (N,) int64
        Catalogue numbers.
    name, object_id, object_type : (N,) str
        OBJECT_NAME, OBJECT_ID, OBJECT_TYPE ("" where absent).
    launch_date, decay_date : (N,) datetime64[D]
        NaT where blank (a blank decay date: still in orbit).
    rcs_m2 : (N,) float64
        Radar cross-section (m^2), NaN where blank.
    rejected : tuple of engine.io.BadRecord
        The rows left out (errors="skip").
    """

    norad: np.ndarray
    name: np.ndarray
    object_id: np.ndarray
    object_type: np.ndarray
    launch_date: np.ndarray
    decay_date: np.ndarray
    rcs_m2: np.ndarray
    rejected: tuple = ()

    def __len__(self) -> int:
        return int(self.norad.shape[0])

    def on_orbit(self, times, *, since=None) -> np.ndarray:
        """Objects not decayed at each of `times`.

        An object counts as gone from 00:00 UTC of its decay date (the catalogue gives days).

        Parameters
        ----------
        times : (T,) datetime64 or ISO strings
            UTC.
        since : datetime64 or ISO string, optional
            Count only objects not decayed before it (e.g. the event, for a cloud whose
            parent's row is included); None counts every row.

        Returns
        -------
        (T,) int64
            Counts, a NumPy (host) array: the catalogue is a host table.
        """
        t = np.atleast_1d(to_datetime64(times)).astype("datetime64[us]")
        dec = self.decay_date.astype("datetime64[us]")
        keep = np.ones(len(self), dtype=bool) if since is None else (
            np.isnat(dec) | (dec >= to_datetime64(since).astype("datetime64[us]")))
        gone = np.sort(dec[keep & ~np.isnat(dec)])
        return (int(keep.sum()) - np.searchsorted(gone, t, side="right")).astype(np.int64)


_REQUIRED = ("NORAD_CAT_ID", "DECAY_DATE")


def _date(text: str):
    return np.datetime64(text, "D") if text else np.datetime64("NaT", "D")


def load_satcat(source, *, errors: str = "raise") -> Satcat:
    """Read a CelesTrak SATCAT CSV (see the module docstring).

    Parameters
    ----------
    source : path, str, file object or list of str
        The CSV: a path, its text, a file object or its lines.
    errors : {"raise", "skip"}, optional
        "raise" (default): one SatcatError listing every bad row; "skip": the good rows
        kept, the bad ones in .rejected and one BadRecordsWarning.

    Returns
    -------
    Satcat
        The rows, as NumPy (host) arrays (file contents).

    Raises
    ------
    SatcatError
        A header without NORAD_CAT_ID or DECAY_DATE; with errors="raise", every bad row.
    ValueError
        An errors option other than "raise" or "skip".
    """
    check_errors_option(errors)
    data, desc = read_source(source, (".csv",), SatcatError)
    lines = data.splitlines() if isinstance(data, str) else [ln.rstrip("\r\n") for ln in data]
    rows = csv.reader(lines)
    header = [h.strip().upper() for h in next(rows)]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise SatcatError([BadRecord(0, 1, None, ", ".join(missing), "column missing from the header",
                                     "give CelesTrak's SATCAT CSV (header line with NORAD_CAT_ID and DECAY_DATE)")],
                          desc)
    col = {h: j for j, h in enumerate(header)}
    out = {k: [] for k in ("norad", "name", "object_id", "object_type", "launch_date", "decay_date", "rcs_m2")}
    bad = []
    for rec, row in enumerate(rows, start=1):
        if not any(c.strip() for c in row):
            continue
        line = rec + 1

        def get(name):
            j = col.get(name)
            return row[j].strip() if j is not None and j < len(row) else ""

        problems = []
        sat = None
        try:
            sat = int(get("NORAD_CAT_ID"))
        except ValueError:
            problems.append(("NORAD_CAT_ID", f"{get('NORAD_CAT_ID')!r} is not a catalogue number",
                             "give the integer catalogue number"))
        dates = {}
        for name in ("LAUNCH_DATE", "DECAY_DATE"):
            try:
                dates[name] = _date(get(name))
            except ValueError:
                problems.append((name, f"{get(name)!r} is not a date", "give YYYY-MM-DD or leave it blank"))
        try:
            rcs = float(get("RCS")) if get("RCS") else float("nan")
        except ValueError:
            problems.append(("RCS", f"{get('RCS')!r} is not a number", "give m^2 or leave it blank"))
        if problems:
            bad += [BadRecord(rec, line, sat, f, p, fix) for f, p, fix in problems]
            continue
        out["norad"].append(sat)
        out["name"].append(get("OBJECT_NAME"))
        out["object_id"].append(get("OBJECT_ID"))
        out["object_type"].append(get("OBJECT_TYPE"))
        out["launch_date"].append(dates["LAUNCH_DATE"])
        out["decay_date"].append(dates["DECAY_DATE"])
        out["rcs_m2"].append(rcs)
    rejected = report(bad, errors, SatcatError, desc, len(out["norad"]), stacklevel=3)
    return Satcat(norad=np.array(out["norad"], dtype=np.int64), name=np.array(out["name"], dtype=str),
                  object_id=np.array(out["object_id"], dtype=str), object_type=np.array(out["object_type"], dtype=str),
                  launch_date=np.array(out["launch_date"], dtype="datetime64[D]"),
                  decay_date=np.array(out["decay_date"], dtype="datetime64[D]"),
                  rcs_m2=np.array(out["rcs_m2"], dtype=np.float64), rejected=rejected)
