"""CCSDS Orbit Mean-Elements Messages (OMM, CCSDS 502.0) with SGP4 theory -> arrays.

    fields, rejected = read(source)        # dict of (N,) arrays in Satrec units, BadRecords

engine.load_omm / engine.Catalog.from_omm build a Catalog from what `read` returns.

Four encodings, as CelesTrak (GP data, FORMAT=json|xml|csv|kvn) and Space-Track
(class gp / omm) publish them:
- JSON: a list of objects (or one object) with the OMM keywords as keys; values may be
  numbers (CelesTrak) or strings (Space-Track); unknown keys are ignored.
- XML: CCSDS NDM/XML, <ndm><omm>...</omm></ndm> or a bare <omm> root, namespaces allowed;
  every leaf element under an <omm> is a keyword (units attributes are ignored).
- CSV: a header row of keywords (CelesTrak's column set or any other order), one row per
  object.
- KVN: "KEYWORD = value [units]" lines, COMMENT lines, several messages concatenated;
  a new message starts at CCSDS_OMM_VERS or when a keyword repeats.

Conversion to Satrec units is python-sgp4's sgp4.omm.initialize, operation for
operation: epoch = (EPOCH - 1949-12-31) in days via timedelta.total_seconds() / 86400,
angles * (pi / 180), MEAN_MOTION / 720 * pi, MEAN_MOTION_DOT / (1036800 / pi),
MEAN_MOTION_DDOT / (2985984000 / 2 / pi), BSTAR as is; jdsatepoch, jdsatepochF,
epochdays as Satrec.sgp4init sets them.

Required keywords: EPOCH, MEAN_MOTION, ECCENTRICITY, INCLINATION, RA_OF_ASC_NODE,
ARG_OF_PERICENTER, MEAN_ANOMALY, NORAD_CAT_ID, BSTAR, MEAN_MOTION_DOT, MEAN_MOTION_DDOT.
Optional (default): OBJECT_NAME (''), OBJECT_ID (''), CLASSIFICATION_TYPE ('U'),
EPHEMERIS_TYPE, ELEMENT_SET_NO, REV_AT_EPOCH (0). MEAN_ELEMENT_THEORY must be SGP4 when
given (SGP4-XP and others are rejected); REF_FRAME TEME, CENTER_NAME EARTH and
TIME_SYSTEM UTC when given. EPOCH: YYYY-MM-DDThh:mm:ss[.ffffff][Z] or YYYY-DDDThh:mm:ss[...],
at most 6 fractional digits, years 1957-2056 (the TLE two-digit-year window).

Record numbers count objects from 1; record 0 is the file as a whole (a syntax error
there always raises, whatever `errors`). Line numbers are given for KVN and CSV (0 for
JSON and XML, whose parsers do not keep them).
"""

from __future__ import annotations

import csv
import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import numpy as np

from . import _time
from ._common import BadRecord, OMMError, check_errors_option, check_some_records, read_source, report
from .alpha5 import from_alpha5

__all__ = ["read", "FORMATS"]

FORMATS = ("json", "xml", "csv", "kvn")
_EXTENSIONS = (".json", ".xml", ".csv", ".kvn", ".omm")

# sgp4.omm constants, same expressions
_EPOCH0 = datetime(1949, 12, 31)
_TO_RADIANS = math.pi / 180.0
_NDOT_UNITS = 1036800.0 / math.pi
_NDDOT_UNITS = 2985984000.0 / 2.0 / math.pi

_RE_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_RE_INT = re.compile(r"[+-]?[0-9]+")
_RE_EPOCH_YMD = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?Z?")
_RE_EPOCH_DOY = re.compile(
    r"([0-9]{4})-([0-9]{3})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?Z?")
_RE_OBJECT_ID = re.compile(r"([0-9]{4})-([0-9]{3}[A-Z]{1,3})")
_RE_KVN = re.compile(r"\s*([A-Za-z0-9_]+)\s*=(.*)")
_RE_UNITS = re.compile(r"\s*\[[^\]]*\]\s*$")

_KVN_MARKERS = {"META_START", "META_STOP", "DATA_START", "DATA_STOP", "COVARIANCE_START",
                "COVARIANCE_STOP", "USER_DEFINED_START", "USER_DEFINED_STOP"}

# keyword, lower, upper, upper inclusive, what to fix
_FLOATS = (
    ("MEAN_MOTION", 0.0, None, False, "give the mean motion in rev/day, > 0"),
    ("ECCENTRICITY", 0.0, 1.0, False, "give the eccentricity, 0 <= e < 1"),
    ("INCLINATION", 0.0, 180.0, True, "give the inclination in degrees, 0 <= i <= 180"),
    ("RA_OF_ASC_NODE", 0.0, 360.0, False, "give the angle in degrees, 0 <= angle < 360"),
    ("ARG_OF_PERICENTER", 0.0, 360.0, False, "give the angle in degrees, 0 <= angle < 360"),
    ("MEAN_ANOMALY", 0.0, 360.0, False, "give the angle in degrees, 0 <= angle < 360"),
    ("BSTAR", None, None, False, "give BSTAR in 1/earth radii"),
    ("MEAN_MOTION_DOT", None, None, False, "give MEAN_MOTION_DOT in rev/day^2 (TLE ndot)"),
    ("MEAN_MOTION_DDOT", None, None, False, "give MEAN_MOTION_DDOT in rev/day^3 (TLE nddot)"),
)
_INTS = (("EPHEMERIS_TYPE", 0), ("ELEMENT_SET_NO", 0), ("REV_AT_EPOCH", 0))


def read(source, *, format: str | None = None, errors: str = "raise",
         stacklevel: int = 1) -> tuple[dict[str, np.ndarray], tuple[BadRecord, ...]]:
    """Read CCSDS OMM element sets (SGP4 theory) into arrays in Satrec units (engine.load_omm's reader).

    Parameters
    ----------
    source, format, errors
        As engine.load_omm: a path, text, file object or lines; "json", "xml", "csv",
        "kvn" or None (detected); "raise" or "skip".
    stacklevel : int
        As engine.io.tle.read.

    Returns
    -------
    fields : dict of str to ndarray
        The keys of engine.io.tle.FIELD_DTYPES, each (N,) over the N good records in input
        order, in the Satrec's units; _epoch1950 as sgp4.omm.initialize computes it,
        _tle_fmt zeros.
    rejected : tuple of BadRecord
        One per problem (empty with errors="raise").

    Raises
    ------
    OMMError
        Bad records with errors="raise"; in either mode input that is not text, is empty,
        holds no element set or is not well-formed, before anything is parsed.
    ValueError, FileNotFoundError
        A bad `errors` or `format`, an encoding that cannot be told from the content; a
        path that does not exist.
    """
    check_errors_option(errors)
    if format is not None and format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS} or None, got format={format!r}")
    data, desc = read_source(source, _EXTENSIONS, OMMError)
    text = data if isinstance(data, str) else "\n".join(s.rstrip("\r\n") for s in data)
    text = text.lstrip("\ufeff")  # a byte-order mark would stick to the first CSV column
    fmt = format or _detect(text, desc)
    parse = {"json": _parse_json, "xml": _parse_xml, "csv": _parse_csv, "kvn": _parse_kvn}[fmt]
    records, bad = parse(text, desc)
    check_some_records(len(records) + len(bad), OMMError, f"{desc} ({fmt.upper()})")
    good = []
    for index, line, fields, lines in records:
        vals, problems = _convert(index, line, fields, lines)
        if problems:
            bad.extend(problems)
        else:
            good.append(vals)
    bad.sort(key=lambda b: (b.record, b.line))
    rejected = report(bad, errors, OMMError, f"{desc} ({fmt.upper()})", len(good), stacklevel=stacklevel + 2)
    return _arrays(good), rejected


def _detect(text: str, desc: str) -> str:
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith(("[", "{")):
        return "json"
    if head.startswith("<"):
        return "xml"
    for line in head.splitlines():
        s = line.strip()
        if not s or s.startswith("COMMENT"):
            continue
        if _RE_KVN.match(s):
            return "kvn"
        if "," in s:
            return "csv"
        break
    low = desc.lower().strip("'\"")
    for ext in FORMATS:
        if low.endswith("." + ext):
            return ext
    raise ValueError(
        f"cannot tell the OMM encoding of {desc}: it starts with {head[:40]!r}; "
        "pass format='json', 'xml', 'csv' or 'kvn'")


def _file_error(desc: str, line: int, what: str, problem: str, fix: str):
    raise OMMError([BadRecord(0, line, None, what, problem, fix)], desc)


# ------------------------------------------------------------------ parsers
# each returns ([(record index, first line, {KEY: value}, {KEY: line}), ...], [BadRecord])

def _parse_json(text, desc):
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        _file_error(desc, e.lineno, "JSON syntax", e.msg + f" (column {e.colno})",
                    "fix the JSON, or check that the download is complete")
    if isinstance(obj, dict):
        obj = [obj]
    if not isinstance(obj, list):
        _file_error(desc, 0, "JSON structure", f"top level is a {type(obj).__name__}",
                    "give a list of OMM objects as CelesTrak's and Space-Track's JSON")
    records, bad = [], []
    for i, item in enumerate(obj, 1):
        if not isinstance(item, dict):
            bad.append(BadRecord(i, 0, None, "JSON structure", f"item is a {type(item).__name__}, not an object",
                                 "each list item must be one OMM as a JSON object"))
            continue
        fields = {str(k).strip().upper(): v for k, v in item.items() if v is not None}
        records.append((i, 0, fields, {}))
    return records, bad


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _parse_xml(text, desc):
    try:
        root = ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError as e:
        _file_error(desc, e.position[0], "XML syntax", str(e), "fix the XML, or check that the download is complete")
    omms = [root] if _local(root.tag).lower() == "omm" else [
        el for el in root.iter() if _local(el.tag).lower() == "omm"]
    if not omms:
        _file_error(desc, 0, "XML structure", f"no <omm> element under <{_local(root.tag)}>",
                    "give CCSDS NDM/XML with <omm> elements (e.g. CelesTrak FORMAT=xml)")
    records = []
    for i, omm in enumerate(omms, 1):
        fields = {}
        for el in omm.iter():
            if len(el) == 0 and el is not omm:
                key = _local(el.tag).upper()
                if key in ("COMMENT", "USER_DEFINED"):
                    continue
                fields[key] = (el.text or "").strip()
        records.append((i, 0, {k: v for k, v in fields.items() if v != ""}, {}))
    return records, []


def _parse_csv(text, desc):
    lines = text.splitlines()
    reader = csv.reader(lines)
    header = None
    records, bad = [], []
    index = 0
    for row in reader:
        if not row or all(not c.strip() for c in row):
            continue
        if header is None:
            header = [c.strip().upper() for c in row]
            if "EPOCH" not in header:
                _file_error(desc, reader.line_num, "CSV header",
                            f"first row {row[:4]}... names no EPOCH column",
                            "start the file with CelesTrak's header row (OBJECT_NAME,OBJECT_ID,EPOCH,...)")
            continue
        index += 1
        ln = reader.line_num
        if len(row) != len(header):
            bad.append(BadRecord(index, ln, None, "CSV row", f"{len(row)} values for {len(header)} columns",
                                 "give one value per header column (quote values that contain commas)"))
            continue
        fields = {k: v.strip() for k, v in zip(header, row) if v.strip() != ""}
        records.append((index, ln, fields, {k: ln for k in fields}))
    if header is None:
        _file_error(desc, 0, "CSV header", "the file is empty", "give a header row and one row per object")
    return records, bad


def _parse_kvn(text, desc):
    records, bad = [], []
    cur: dict = {}
    where: dict = {}
    start = 0
    index = 0
    stray: list[tuple[int, str]] = []

    def flush():
        nonlocal cur, where, stray, index
        if cur or stray:
            index += 1
            for ln, s in stray:
                bad.append(BadRecord(index, ln, None, "KVN line", f"{s[:40]!r} is not 'KEYWORD = value'",
                                     "write 'KEYWORD = value', 'COMMENT text', or delete the line"))
            if not stray:
                records.append((index, start, cur, where))
        cur, where, stray = {}, {}, []

    for ln, raw in enumerate(text.splitlines(), 1):
        s = raw.strip().lstrip("\ufeff")
        if not s or s.startswith("COMMENT") or s.upper() in _KVN_MARKERS:
            continue
        m = _RE_KVN.fullmatch(s)
        if m is None:
            if not cur and not stray:
                start = ln
            stray.append((ln, s))
            continue
        key = m.group(1).upper()
        value = _RE_UNITS.sub("", m.group(2)).strip()
        if key == "CCSDS_OMM_VERS" or key in cur:
            flush()
        if not cur and not stray:
            start = ln
        if key == "CCSDS_OMM_VERS":
            where[key] = ln
            cur[key] = value
            continue
        if value != "":
            cur[key] = value
            where[key] = ln
    flush()
    return records, bad


# --------------------------------------------------------------- conversion
def _convert(index: int, line: int, f: dict, lines: dict):
    problems: list[BadRecord] = []
    satnum = None

    def add(key, problem, fix):
        problems.append(BadRecord(index, lines.get(key, line), satnum, key, problem, fix))

    raw = f.get("NORAD_CAT_ID")
    if raw is None:
        add("NORAD_CAT_ID", "missing", "give the object's catalogue number")
    else:
        satnum = _to_int(raw)
        if satnum is None and isinstance(raw, str) and len(raw.strip()) == 5:
            try:
                satnum = from_alpha5(raw.strip())
            except ValueError:
                satnum = None
        if satnum is None or satnum < 0:
            satnum = None
            add("NORAD_CAT_ID", f"{raw!r} is not a non-negative integer", "give the catalogue number as digits")
    for problems_key, want in (("MEAN_ELEMENT_THEORY", "SGP4"), ("REF_FRAME", "TEME"),
                               ("CENTER_NAME", "EARTH"), ("TIME_SYSTEM", "UTC")):
        val = f.get(problems_key)
        if val is not None and str(val).strip().upper() != want:
            if problems_key == "MEAN_ELEMENT_THEORY" and str(val).strip().upper() == "SGP4-XP":
                fix = ("SGP4-XP elements need the SGP4-XP propagator and give wrong orbits in SGP4; "
                       "download the SGP4 element sets instead (MEAN_ELEMENT_THEORY = SGP4)")
            else:
                fix = f"only {problems_key} = {want} element sets can be propagated with SGP4"
            add(problems_key, f"{val!r} is not {want}", fix)
    out: dict = {"satnum": satnum}
    for key, lo, hi, incl, fix in _FLOATS:
        if key not in f:
            add(key, "missing", fix)
            continue
        x = _to_float(f[key])
        if x is None:
            add(key, f"{f[key]!r} is not a finite number", fix)
        elif (lo is not None and x < lo) or (hi is not None and (x > hi or (x == hi and not incl))) \
                or (key == "MEAN_MOTION" and not x > 0):
            add(key, f"{x!r} is out of range", fix)
        else:
            out[key] = x
    for key, default in _INTS:
        if key in f:
            x = _to_int(f[key])
            if x is None or x < 0:
                add(key, f"{f[key]!r} is not a non-negative integer", "give an integer >= 0")
            else:
                out[key] = x
        else:
            out[key] = default
    cls = str(f.get("CLASSIFICATION_TYPE", "U")).strip() or "U"
    if cls not in ("U", "C", "S"):
        add("CLASSIFICATION_TYPE", f"{cls!r} is not U, C or S", "give U (unclassified)")
    out["classification"] = cls
    oid = str(f.get("OBJECT_ID", "")).strip()
    m = _RE_OBJECT_ID.fullmatch(oid)
    if m:
        out["intldesg"] = oid[2:].replace("-", "")  # sgp4.omm: '1998-067A' -> '98067A'
    elif oid in ("", "UNKNOWN"):
        out["intldesg"] = ""
    else:
        add("OBJECT_ID", f"{oid!r} is not an international designator",
            "write YYYY-NNNP (e.g. 1998-067A), or leave OBJECT_ID out")
    out["name"] = str(f.get("OBJECT_NAME", "")).strip()
    if "EPOCH" not in f:
        add("EPOCH", "missing", "give the epoch as YYYY-MM-DDThh:mm:ss.ffffff (UTC)")
    else:
        ep = _parse_epoch(str(f["EPOCH"]).strip())
        if isinstance(ep, str):
            add("EPOCH", ep, "write the epoch as YYYY-MM-DDThh:mm:ss.ffffff (UTC, 1957-2056)")
        else:
            # sgp4.omm.initialize: days since 1949-12-31 00:00 via total_seconds()
            out["epoch1950"] = (ep - _EPOCH0).total_seconds() / 86400.0
    return out, problems


def _to_float(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        x = float(v)
    elif isinstance(v, str) and _RE_NUMBER.fullmatch(v.strip()):
        x = float(v.strip())
    else:
        return None
    return x if math.isfinite(x) else None


def _to_int(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v) if v.is_integer() else None
    if isinstance(v, str) and _RE_INT.fullmatch(v.strip()):
        return int(v.strip())
    return None


def _parse_epoch(s: str):
    """datetime, or a str saying what is wrong."""
    m = _RE_EPOCH_YMD.fullmatch(s)
    doy = None
    if m:
        y, mo, d, hh, mi, ss, frac = m.groups()
    else:
        m = _RE_EPOCH_DOY.fullmatch(s)
        if not m:
            return f"{s!r} is not an ISO date-time"
        y, doy, hh, mi, ss, frac = m.groups()
        mo, d = "1", "1"
    frac = frac or ""
    if len(frac) > 6:
        return f"{s!r} has {len(frac)} fractional-second digits, more than the 6 (microseconds) kept"
    try:
        dt = datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss), int(frac.ljust(6, "0")))
        if doy is not None:
            if not 1 <= int(doy) <= (366 if _leap(int(y)) else 365):
                return f"{s!r}: day of year {doy} does not exist"
            dt += timedelta(days=int(doy) - 1)
    except ValueError as e:
        return f"{s!r}: {e}"
    if not 1957 <= dt.year <= 2056:
        return f"{s!r}: year {dt.year} is outside 1957-2056 (the two-digit TLE epoch year window)"
    return dt


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _arrays(good: list[dict]) -> dict[str, np.ndarray]:
    """The records' OMM values as arrays in Satrec units (sgp4.omm.initialize's expressions)."""
    n = len(good)

    def col(k, dt):
        return np.array([g[k] for g in good], dtype=dt) if n else np.zeros(0, dtype=dt)

    e1950 = col("epoch1950", np.float64)
    jd, fr, epochyr, epochdays = _time.epoch1950_to_fields(e1950)
    d = {
        "satnum": col("satnum", np.int64),
        "classification": col("classification", "U1"),
        "intldesg": col("intldesg", str),
        "name": col("name", str),
        "epochyr": epochyr,
        "epochdays": epochdays,
        "jdsatepoch": jd,
        "jdsatepochF": fr,
        # sgp4.omm.initialize, same expressions
        "ndot": col("MEAN_MOTION_DOT", np.float64) / _NDOT_UNITS,
        "nddot": col("MEAN_MOTION_DDOT", np.float64) / _NDDOT_UNITS,
        "bstar": col("BSTAR", np.float64),
        "inclo": col("INCLINATION", np.float64) * _TO_RADIANS,
        "nodeo": col("RA_OF_ASC_NODE", np.float64) * _TO_RADIANS,
        "argpo": col("ARG_OF_PERICENTER", np.float64) * _TO_RADIANS,
        "mo": col("MEAN_ANOMALY", np.float64) * _TO_RADIANS,
        "ecco": col("ECCENTRICITY", np.float64),
        "no_kozai": col("MEAN_MOTION", np.float64) / 720.0 * math.pi,
        "elnum": col("ELEMENT_SET_NO", np.int64),
        "revnum": col("REV_AT_EPOCH", np.int64),
        "ephtype": col("EPHEMERIS_TYPE", np.int64),
        "_epoch1950": e1950,
        "_tle_fmt": np.zeros(n, np.uint8),
    }
    return d
