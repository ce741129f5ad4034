"""Two-line and three-line element sets (TLE / 3LE) -> engine.Catalog.

Format: https://celestrak.org/columns/v04n03/ and Space-Track's TLE documentation. The
values are converted to Satrec units with the same floating-point operations, in the same
order, as Vallado's SGP4.cpp twoline2rv and python-sgp4's wrapper, so every field of the
Catalog equals the Satrec's bit for bit.

Rules (a record is a name line, optional, then line 1 and line 2):
- blank lines and lines starting with '#' are ignored;
- a name line may start with '0 ' (Space-Track 3LE), which is dropped;
- a line whose first two characters are '1 ' or '2 ' and that is longer than 24
  characters is a TLE line, any other line is a name line; a TLE line indented by blanks
  or tabs is grouped as a TLE line and reported as indented (the format has fixed
  columns, and CelesTrak's and Space-Track's files never indent them);
- columns 1-69 are validated (line number, satnum, the fixed blanks and points, every
  field's digits, checksum, ranges); text after column 69 is ignored when column 70 is
  blank, as in Vallado's verification file SGP4-VER.TLE, whose line 2 carries
  start/stop/step columns there; a non-blank column 70 means a shifted line and is an error.
"""

from __future__ import annotations

import math
import re

import numpy as np

# engine.catalog imports engine.io helpers: bind the module, look names up at call time
from .. import catalog as _catalog
from . import _time
from ._common import BadRecord, TLEError, check_errors_option, check_some_records, read_source, report
from .alpha5 import from_alpha5

__all__ = ["load_tle", "parse_tle_lines"]

_XPDOTP = 1440.0 / (2.0 * math.pi)  # SGP4.cpp twoline2rv: 229.1831180523293
_DEG2RAD = math.pi / 180.0
_EXTENSIONS = (".tle", ".txt", ".3le", ".2le")

_BLANKS_1 = (1, 8, 17, 32, 43, 52, 61, 63)
_POINTS_1 = (23, 34)
_BLANKS_2 = (1, 7, 16, 25, 33, 42, 51)
_POINTS_2 = (11, 20, 37, 46, 54)

_RE_INTLDESG = re.compile(r"[0-9]{5}[A-Z]{1,3} *| {8}")
_RE_EPOCHDAYS = re.compile(r" *[0-9]{1,3}\.[0-9]{8}")
_RE_NDOT = re.compile(r"[ +-]\.[0-9]{8}")
_RE_EXP = re.compile(r"[ +-][0-9]{5}[+-][0-9]")
_RE_INT = re.compile(r" *[0-9]+")
_RE_ANGLE = re.compile(r" *[0-9]{1,3}\.[0-9]{4}")
_RE_ECC = re.compile(r"[0-9]{7}")
_RE_MM = re.compile(r" *[0-9]{1,2}\.[0-9]{8}")

_FIX_LAYOUT = ("TLE fields sit in fixed columns; restore the original spacing "
               "(see https://celestrak.org/columns/v04n03/)")
_FIX_CHECKSUM = "correct the digits or recompute the checksum"


class _Rec:
    """Problems of one record, collected before any BadRecord is made."""

    def __init__(self, index: int):
        self.index = index
        self.satnum: int | None = None
        self.problems: list[tuple[int, str, str, str]] = []

    def add(self, line: int, field: str, problem: str, fix: str) -> None:
        self.problems.append((line, field, problem, fix))

    def bad(self) -> list[BadRecord]:
        return [BadRecord(self.index, ln, self.satnum, f, p, x) for ln, f, p, x in self.problems]


def _is_tle_line(s: str) -> bool:
    return s[:2] in ("1 ", "2 ") and len(s.rstrip()) > 24


def _tle_line_number(s: str) -> str | None:
    """"1" or "2" for a TLE line, indented or not; None for a name line."""
    t = s.lstrip()
    return t[0] if _is_tle_line(t) else None


def load_tle(source, *, errors: str = "raise", whichconst: str = "wgs72",
             opsmode: str = "i", checksums: bool = True) -> "_catalog.Catalog":
    """Load 2-line or 3-line element sets into a Catalog.

    source: a path (str or os.PathLike; a str is a path when it names an existing file or
    holds no newline and ends in .tle/.txt/.3le/.2le), a string of TLE text, a file
    object, or an iterable of lines.
    errors: "raise" (default) -> one engine.io.TLEError (a ValueError) listing every
    problem of every bad record (record, line, satnum, field, problem, fix);
    "skip" -> the good records load, Catalog.rejected holds a BadRecord per problem and
    one engine.io.BadRecordsWarning summarises them.
    whichconst, opsmode: the SGP4 model the catalogue is meant for (stored on it).
    Input that is not text (binary, compressed, UTF-16 or another non-UTF-8 encoding), is
    empty, or holds no element set raises one engine.io.TLEError naming the source, the
    line and the fix before anything is parsed, whatever `errors` says.
    checksums: True (default) rejects a line whose column-69 digit is not its modulo-10
    checksum. False accepts any digit there, as python-sgp4's twoline2rv does; meant for
    hand-edited test files such as Vallado's SGP4-VER.TLE, never for downloaded data.
    """
    check_errors_option(errors)
    _catalog._check_model(whichconst, opsmode)
    data, desc = read_source(source, _EXTENSIONS, TLEError)
    lines = data.splitlines() if isinstance(data, str) else data
    return parse_tle_lines(lines, errors=errors, whichconst=whichconst, opsmode=opsmode,
                           source=desc, checksums=checksums)


def parse_tle_lines(lines, *, errors="raise", whichconst="wgs72", opsmode="i", source="",
                    checksums=True):
    """load_tle on a list of lines (line numbers count from 1)."""
    check_errors_option(errors)
    records, bad = _group(lines)
    check_some_records(len(records) + len(bad), TLEError, source or "input lines")
    good = []
    for rec, name, (n1, l1), (n2, l2) in records:
        vals = _parse_record(rec, l1, n1, l2, n2, checksums)
        if rec.problems:
            bad.extend(rec.bad())
        else:
            vals["name"] = name
            good.append(vals)
    bad.sort(key=lambda b: (b.record, b.line))
    rejected = report(bad, errors, TLEError, source, len(good), stacklevel=4)
    cat = _build(good, whichconst, opsmode)
    cat.rejected = rejected
    return cat


def _group(lines):
    """Split lines into (rec, name, (lineno, line1), (lineno, line2)) and misfit reports."""
    records = []
    bad: list[BadRecord] = []
    counter = 0
    pend_name = None  # (lineno, text)
    pend_l1 = None    # (lineno, text, name)

    def new_rec():
        nonlocal counter
        counter += 1
        return _Rec(counter)

    def orphan_l1(p):
        rec = new_rec()
        rec.satnum = _try_satnum(p[1])
        rec.add(p[0], "line 2", "line 1 is not followed by its line 2",
                "add the missing line 2 or delete this line 1")
        bad.extend(rec.bad())

    def orphan_name(p):
        rec = new_rec()
        rec.add(p[0], "name line", f"{p[1].strip()!r} is not followed by a TLE line 1",
                "add the element set's two lines, or delete (or comment out with '#') this line")
        bad.extend(rec.bad())

    for lineno, raw in enumerate(lines, 1):
        s = raw.rstrip("\r\n")
        st = s.strip()
        if not st or st.startswith("#"):
            continue
        kind = _tle_line_number(s)
        if kind == "1":
            if pend_l1 is not None:
                orphan_l1(pend_l1)
            pend_l1 = (lineno, s, pend_name)
            pend_name = None
        elif kind == "2":
            if pend_l1 is None:
                if pend_name is not None:
                    orphan_name(pend_name)
                    pend_name = None
                rec = new_rec()
                rec.satnum = _try_satnum(s)
                rec.add(lineno, "line 1", "line 2 has no line 1 before it",
                        "add the missing line 1 or delete this line 2")
                bad.extend(rec.bad())
            else:
                n1, l1, nm = pend_l1
                name = ""
                if nm is not None:
                    name = nm[1].strip()
                    if name.startswith("0 "):
                        name = name[2:].strip()
                records.append((new_rec(), name, (n1, l1), (lineno, s)))
                pend_l1 = None
        else:
            if pend_l1 is not None:
                orphan_l1(pend_l1)
                pend_l1 = None
            if pend_name is not None:
                orphan_name(pend_name)
            pend_name = (lineno, s)
    if pend_l1 is not None:
        orphan_l1(pend_l1)
    if pend_name is not None:
        orphan_name(pend_name)
    return records, bad


def _try_satnum(line: str):
    try:
        return from_alpha5(line.lstrip()[2:7])
    except (ValueError, IndexError):
        return None


def _check_line(rec: _Rec, line: str, lineno: int, which: int, blanks, points,
                checksums: bool = True) -> str | None:
    """Length, characters, fixed columns and checksum; returns columns 1-69 or None."""
    tag = f"line {which}"
    indent = len(line) - len(line.lstrip())
    if indent:
        # fixed columns: an indented line shifts every field, so nothing else is checked
        rec.add(lineno, f"{tag} indentation",
                f"the line is indented: {indent} blank character{'s' if indent != 1 else ''} (spaces or tabs) "
                f"before its line number {which}",
                "remove the leading blanks so that the line number is in column 1 (TLE fields sit in "
                "fixed columns 1-69)")
        return None
    core = line.rstrip()[:69]
    if len(core) < 69:
        rec.add(lineno, f"{tag} length",
                f"{len(core)} characters, a TLE line has 69",
                "restore the missing columns (truncated line or missing checksum?)")
        return None
    if len(line.rstrip()) > 69 and not line[69].isspace():
        rec.add(lineno, f"{tag} length",
                f"{len(line.rstrip())} characters with column 70 not blank, a TLE line has 69",
                "remove the extra character (a column shifted by an inserted character?); text after "
                "column 69 must be separated by a blank")
        return None
    if not core.isascii() or not core.isprintable():
        rec.add(lineno, f"{tag} characters", "non-ASCII or control characters in columns 1-69",
                "retype the line in plain ASCII")
        return None
    ok = True
    for c in blanks:
        if core[c] != " ":
            rec.add(lineno, f"{tag} column {c + 1}", f"expected a blank, found {core[c]!r}", _FIX_LAYOUT)
            ok = False
    for c in points:
        if core[c] != ".":
            rec.add(lineno, f"{tag} column {c + 1}", f"expected '.', found {core[c]!r}", _FIX_LAYOUT)
            ok = False
    if not core[68].isdigit():
        rec.add(lineno, f"{tag} checksum", f"column 69 is {core[68]!r}, not a digit",
                "append the modulo-10 checksum of columns 1-68")
        ok = False
    elif checksums:
        expected = _catalog.checksum(core)
        if int(core[68]) != expected:
            rec.add(lineno, f"{tag} checksum",
                    f"expected {expected} from the modulo-10 sum, found {core[68]}", _FIX_CHECKSUM)
            ok = False
    return core if ok else None


def _field(rec, lineno, tag, text, regex, what, fix):
    if regex.fullmatch(text) is None:
        rec.add(lineno, f"{tag} {what}", f"{text!r} is not a valid {what}", fix)
        return None
    return text


def _parse_record(rec: _Rec, l1: str, n1: int, l2: str, n2: int, checksums: bool = True) -> dict:
    v: dict = {}
    rec.satnum = _try_satnum(l1) if l1[2:7] else None
    c1 = _check_line(rec, l1, n1, 1, _BLANKS_1, _POINTS_1, checksums)
    c2 = _check_line(rec, l2, n2, 2, _BLANKS_2, _POINTS_2, checksums)
    if c1 is not None:
        _parse_line1(rec, c1, n1, v)
    if c2 is not None:
        _parse_line2(rec, c2, n2, v)
    if "satnum" in v and "satnum2" in v and v["satnum"] != v["satnum2"]:
        rec.add(n2, "line 2 satnum",
                f"{c2[2:7]!r} differs from line 1's {c1[2:7]!r}",
                "pair each line 1 with the line 2 of the same object")
    return v


def _parse_line1(rec, c, n, v):
    t = "line 1"
    try:
        v["satnum"] = from_alpha5(c[2:7])
        rec.satnum = v["satnum"]
    except ValueError as e:
        rec.add(n, f"{t} satnum", str(e), "write 5 digits, or Alpha-5 for numbers above 99999")
    cls = c[7]
    if cls in "UCS":
        v["classification"] = cls
    elif cls == " ":
        v["classification"] = "U"
    else:
        rec.add(n, f"{t} classification", f"{cls!r} is not U, C or S", "write U (unclassified)")
    if _field(rec, n, t, c[9:17], _RE_INTLDESG, "international designator",
              "write 2-digit year, 3-digit launch number and 1-3 upper-case letters, e.g. '98067A  ', or 8 blanks"):
        v["intldesg"] = c[9:17].rstrip()
    if not (c[18:20].isdigit()):
        rec.add(n, f"{t} epoch year", f"{c[18:20]!r} is not two digits", "write the year's last two digits")
    else:
        v["epochyr"] = int(c[18:20])
    if _field(rec, n, t, c[20:32], _RE_EPOCHDAYS, "epoch day", "write the day of year as DDD.DDDDDDDD"):
        d = float(c[20:32])
        if not 1.0 <= d < 367.0:
            rec.add(n, f"{t} epoch day", f"{d!r} is outside 1 <= day < 367",
                    "the day of year starts at 1.0 for 1 January 00:00 UT")
        else:
            v["epochdays"] = d
    if _field(rec, n, t, c[33:43], _RE_NDOT, "mean motion first derivative (ndot)",
              "write sign and 8 decimals, e.g. ' .00001699' or '-.00000084'"):
        v["ndot"] = float(c[33:43])
    for key, sl, what, zbit, zsign in (("nddot", slice(44, 52), "mean motion second derivative (nddot)",
                                        _catalog.FMT_NDDOT_EXP_PLUS, "+"),
                                       ("bstar", slice(53, 61), "BSTAR drag term", _catalog.FMT_BSTAR_EXP_MINUS, "-")):
        f = c[sl]
        if _field(rec, n, t, f, _RE_EXP, what,
                  "write sign, 5-digit mantissa (implied leading '0.') and signed exponent, e.g. ' 12345-4'"):
            # SGP4.cpp: value = (sign . mantissa) * pow(10, exponent)
            v[key] = float(f[0].replace(" ", "") + "." + f[1:6]) * math.pow(10.0, int(f[6:8]))
            if int(f[7]) == 0 and f[6] == zsign:
                v["fmt"] = v.get("fmt", 0) | zbit
    if c[62] == " ":
        v["ephtype"] = 0
        v["fmt"] = v.get("fmt", 0) | _catalog.FMT_EPHTYPE_BLANK
    elif c[62].isdigit():
        v["ephtype"] = int(c[62])
    else:
        rec.add(n, f"{t} ephemeris type", f"{c[62]!r} is not a digit", "write 0 (SGP4)")
    if _field(rec, n, t, c[64:68], _RE_INT, "element set number", "write up to 4 digits, right-aligned"):
        v["elnum"] = int(c[64:68])


def _parse_line2(rec, c, n, v):
    t = "line 2"
    try:
        v["satnum2"] = from_alpha5(c[2:7])
        if rec.satnum is None:
            rec.satnum = v["satnum2"]
    except ValueError as e:
        rec.add(n, f"{t} satnum", str(e), "write 5 digits, or Alpha-5 for numbers above 99999")
    angles = (("inclo", slice(8, 16), "inclination", 180.0, True),
              ("nodeo", slice(17, 25), "right ascension of the ascending node", 360.0, False),
              ("argpo", slice(34, 42), "argument of perigee", 360.0, False),
              ("mo", slice(43, 51), "mean anomaly", 360.0, False))
    for key, sl, what, top, inclusive in angles:
        if _field(rec, n, t, c[sl], _RE_ANGLE, what, "write degrees as DDD.DDDD, right-aligned"):
            x = float(c[sl])
            if x > top or (x == top and not inclusive):
                rng = "0 <= i <= 180" if inclusive else "0 <= angle < 360"
                rec.add(n, f"{t} {what}", f"{x!r} degrees is outside {rng}",
                        "give the angle in degrees within that range")
            else:
                v[key] = x
    if _field(rec, n, t, c[26:33], _RE_ECC, "eccentricity",
              "write 7 digits with an implied leading '0.', e.g. 0004574"):
        v["ecco"] = float("0." + c[26:33])
    if _field(rec, n, t, c[52:63], _RE_MM, "mean motion", "write rev/day as DD.DDDDDDDD"):
        mm = float(c[52:63])
        if not mm > 0.0:
            rec.add(n, f"{t} mean motion", f"{mm!r} rev/day is not positive",
                    "mean motion must be > 0 rev/day")
        else:
            v["no_kozai"] = mm
    if _field(rec, n, t, c[63:68], _RE_INT, "revolution number", "write up to 5 digits, right-aligned"):
        v["revnum"] = int(c[63:68])


def _build(good: list[dict], whichconst: str, opsmode: str) -> "_catalog.Catalog":
    n = len(good)

    def col(k, dt, default=None):
        return np.array([g.get(k, default) for g in good], dtype=dt) if n else np.zeros(0, dtype=dt)

    d = {
        "satnum": col("satnum", np.int64),
        "classification": col("classification", "U1"),
        "intldesg": col("intldesg", str),
        "name": col("name", str),
        "epochyr": col("epochyr", np.int64),
        "epochdays": col("epochdays", np.float64),
        "elnum": col("elnum", np.int64),
        "revnum": col("revnum", np.int64),
        "ephtype": col("ephtype", np.int64),
        "_tle_fmt": col("fmt", np.uint8, 0),
    }
    # SGP4.cpp twoline2rv, "find no, ndot, nddot" and "convert to sgp4 units"
    d["no_kozai"] = col("no_kozai", np.float64) / _XPDOTP
    d["bstar"] = col("bstar", np.float64)
    d["ndot"] = col("ndot", np.float64) / (_XPDOTP * 1440.0)
    d["nddot"] = col("nddot", np.float64) / (_XPDOTP * 1440.0 * 1440)
    for k in ("inclo", "nodeo", "argpo", "mo"):
        d[k] = col(k, np.float64) * _DEG2RAD
    d["ecco"] = col("ecco", np.float64)
    jd, fr, fr_unrounded = _time.tle_epoch_to_jd(d["epochyr"], d["epochdays"])
    d["jdsatepoch"], d["jdsatepochF"] = jd, fr
    # twoline2rv passes (jdsatepoch + jdsatepochF) - 2433281.5, before the wrapper rounds F
    d["_epoch1950"] = (jd + fr_unrounded) - _time.JD_1950
    return _catalog.Catalog(d, whichconst=whichconst, opsmode=opsmode, _owned=True)
