"""Two-line and three-line element sets (TLE / 3LE): read into arrays, write back as lines.

    fields, rejected = read(source)        # dict of (N,) arrays in Satrec units, BadRecords
    lines = to_lines(fields, names=True)   # the same element sets as TLE text

engine.load_tle / engine.Catalog.from_tle build a Catalog from what `read` returns.

Format: https://celestrak.org/columns/v04n03/ and Space-Track's TLE documentation. The
values are converted to Satrec units with the same floating-point operations, in the same
order, as Vallado's SGP4.cpp twoline2rv and python-sgp4's wrapper, so every array equals the
Satrec's field bit for bit.

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

from typing import Mapping

from . import _time
from ._common import BadRecord, TLEError, check_errors_option, check_some_records, read_source, report
from .alpha5 import MAX_SATNUM, from_alpha5, to_alpha5

__all__ = ["read", "read_lines", "to_lines", "write", "checksum", "FIELD_DTYPES",
           "FMT_NDDOT_EXP_PLUS", "FMT_BSTAR_EXP_MINUS", "FMT_EPHTYPE_BLANK"]

# presentation hints kept per record (the "_tle_fmt" array) so that to_lines reproduces the
# input text: which of the two conventions for a zero exponent ('-0' / '+0') it used and
# whether the ephemeris-type column was blank
FMT_NDDOT_EXP_PLUS = 1   # nddot written "...+0" rather than "...-0" when its exponent is 0
FMT_BSTAR_EXP_MINUS = 2  # bstar written "...-0" rather than "...+0" when its exponent is 0
FMT_EPHTYPE_BLANK = 4    # ephemeris type column blank (read as 0)

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


#: the arrays `read` returns: key -> dtype (every one (N,)), with the Satrec's field names
#: and units (see engine.catalog: angles rad, no_kozai rad/min, ndot rad/min^2, nddot
#: rad/min^3, bstar 1/earth radii), plus _epoch1950 (days since 1949-12-31 00:00 UT as
#: twoline2rv passes it to sgp4init) and _tle_fmt (FMT_* bit flags)
FIELD_DTYPES = {
    "satnum": np.int64, "classification": "U1", "intldesg": str, "name": str,
    "epochyr": np.int64, "epochdays": np.float64, "jdsatepoch": np.float64, "jdsatepochF": np.float64,
    "ndot": np.float64, "nddot": np.float64, "bstar": np.float64, "inclo": np.float64,
    "nodeo": np.float64, "argpo": np.float64, "mo": np.float64, "ecco": np.float64,
    "no_kozai": np.float64, "elnum": np.int64, "revnum": np.int64, "ephtype": np.int64,
    "_epoch1950": np.float64, "_tle_fmt": np.uint8,
}


def read(source, *, errors: str = "raise", checksums: bool = True,
         stacklevel: int = 1) -> tuple[dict[str, np.ndarray], tuple[BadRecord, ...]]:
    """Read 2-line or 3-line element sets into arrays in Satrec units (engine.load_tle's reader).

    Parameters
    ----------
    source, errors, checksums
        As engine.load_tle: a path, text, file object or lines; "raise" or "skip"; whether
        column 69 must be the modulo-10 checksum.
    stacklevel : int
        The BadRecordsWarning (errors="skip") names the frame this many levels above
        `read` (1: its caller).

    Returns
    -------
    fields : dict of str to ndarray
        The FIELD_DTYPES keys, each (N,) over the N good records in input order, in the
        Satrec's units (see FIELD_DTYPES).
    rejected : tuple of BadRecord
        One per problem (empty with errors="raise").

    Raises
    ------
    TLEError
        Bad records with errors="raise"; in either mode input that is not text, is empty
        or holds no element set, before anything is parsed.
    ValueError, FileNotFoundError
        A bad `errors`; a path that does not exist.
    """
    check_errors_option(errors)
    data, desc = read_source(source, _EXTENSIONS, TLEError)
    lines = data.splitlines() if isinstance(data, str) else data
    good, bad = _parse(lines, desc, checksums)
    rejected = report(bad, errors, TLEError, desc, len(good), stacklevel=stacklevel + 2)
    return _arrays(good), rejected


def read_lines(lines, *, errors: str = "raise", source: str = "", checksums: bool = True,
               stacklevel: int = 1) -> tuple[dict[str, np.ndarray], tuple[BadRecord, ...]]:
    """`read` on a list of str lines (line numbers count from 1).

    Parameters
    ----------
    lines : list of str
        The text's lines, line endings allowed.
    source : str
        How messages name the input ("input lines" when empty).
    errors, checksums, stacklevel
        As `read`.

    Returns
    -------
    fields, rejected
        As `read`.

    Raises
    ------
    TLEError, ValueError
        As `read`.
    """
    check_errors_option(errors)
    good, bad = _parse(lines, source, checksums)
    rejected = report(bad, errors, TLEError, source, len(good), stacklevel=stacklevel + 2)
    return _arrays(good), rejected


def _parse(lines, source: str, checksums: bool = True) -> tuple[list[dict], list[BadRecord]]:
    """Good records as dicts of TLE values, and every problem found, sorted by record and line."""
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
    return good, bad


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
        expected = checksum(core)
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
                                        FMT_NDDOT_EXP_PLUS, "+"),
                                       ("bstar", slice(53, 61), "BSTAR drag term", FMT_BSTAR_EXP_MINUS, "-")):
        f = c[sl]
        if _field(rec, n, t, f, _RE_EXP, what,
                  "write sign, 5-digit mantissa (implied leading '0.') and signed exponent, e.g. ' 12345-4'"):
            # SGP4.cpp: value = (sign . mantissa) * pow(10, exponent)
            v[key] = float(f[0].replace(" ", "") + "." + f[1:6]) * math.pow(10.0, int(f[6:8]))
            if int(f[7]) == 0 and f[6] == zsign:
                v["fmt"] = v.get("fmt", 0) | zbit
    if c[62] == " ":
        v["ephtype"] = 0
        v["fmt"] = v.get("fmt", 0) | FMT_EPHTYPE_BLANK
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


def _arrays(good: list[dict]) -> dict[str, np.ndarray]:
    """The records' TLE values as FIELD_DTYPES arrays in Satrec units."""
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
    return d


# ---------------------------------------------------------------- TLE text
# byte -> checksum weight: '0'..'9' their value, '-' one, everything else zero
_CHECKSUM_TABLE = bytes(
    (b - 48) if 48 <= b <= 57 else (1 if b == 45 else 0) for b in range(256))


def checksum(line: str) -> int:
    """TLE checksum of columns 1-68: digits count their value, '-' counts 1, modulo 10.

    Parameters
    ----------
    line : str
        A TLE line; only its first 68 characters count.

    Returns
    -------
    int
        0..9, the digit column 69 must hold.
    """
    return sum(line[:68].encode("ascii", "replace").translate(_CHECKSUM_TABLE)) % 10


def _exp_field(value: float, zero_exp_sign: str, what: str, satnum: int) -> str:
    """' 12345-5' style: sign, 5-digit mantissa with implied leading '0.', signed exponent."""
    sign = "-" if value < 0 else " "
    a = abs(value)
    if a == 0.0:
        return f"{sign}00000{zero_exp_sign}0"
    s = f"{a:.4e}"  # 'd.dddde+XX'
    mant = s[0] + s[2:6]
    exp = int(s[7:]) + 1
    if exp > 9:
        raise ValueError(f"satnum {satnum}: {what} {value:g} is too large for a TLE")
    if exp < -9:
        return f"{sign}00000{zero_exp_sign}0"  # below 1e-10: the format's zero
    esign = zero_exp_sign if exp == 0 else ("-" if exp < 0 else "+")
    return f"{sign}{mant}{esign}{abs(exp)}"


def _angle(rad: float) -> float:
    deg = rad / _DEG2RAD
    if f"{deg:8.4f}" == "360.0000":  # 2 pi from a synthetic catalogue
        deg = 0.0
    return deg


def to_lines(fields: Mapping[str, np.ndarray], names: bool = False) -> list[str]:
    """TLE lines: 2 per record, or 3 (name line first) when names=True.

    Parameters
    ----------
    fields : mapping of str to ndarray
        (N,) arrays with the FIELD_DTYPES keys in Satrec units, as `read` returns them
        (engine.Catalog holds the same arrays).
    names : bool
        Write each non-empty name, stripped and without a '0 ' prefix, on a line before
        the record (records with no name get no name line).

    Returns
    -------
    list of str
        2 N lines (or more with names), without line endings; columns 1-69, checksums
        computed. Reading canonically formatted TLEs and writing them back gives identical
        lines (see engine.Catalog.to_tle for what canonical means).

    Raises
    ------
    ValueError
        For a record a TLE cannot hold (satnum > 339999, |ndot| in rev/day^2 >= 1, mean
        motion >= 100 rev/day, elnum > 9999, revnum > 99999), naming its satnum.
    """
    lines: list[str] = []
    for i in range(len(fields["satnum"])):
        l1, l2 = _tle_lines(fields, i)
        name = str(fields["name"][i]).strip()
        if names and name:
            lines.append(name)
        lines.append(l1)
        lines.append(l2)
    return lines


def write(fields: Mapping[str, np.ndarray], path, names: bool = True) -> None:
    """Write to_lines(fields, names) to `path`, one line each, ASCII, '\\n' line endings.

    Parameters
    ----------
    fields : mapping of str to ndarray
        As `to_lines`.
    path : str or os.PathLike
        The file to write (replaced if it exists).
    names : bool
        As `to_lines` (default True: 3-line element sets).

    Returns
    -------
    None

    Raises
    ------
    ValueError
        As `to_lines`, before the file is opened.
    """
    lines = to_lines(fields, names=names)
    with open(path, "w", encoding="ascii", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")


def _tle_lines(d: Mapping[str, np.ndarray], i: int) -> tuple[str, str]:
    """Lines 1 and 2 of record i of `d` (the arrays `read` returns)."""
    satnum = int(d["satnum"][i])
    if satnum > MAX_SATNUM:
        raise ValueError(f"satnum {satnum} cannot be written in a TLE (Alpha-5 stops at {MAX_SATNUM})")
    sn = to_alpha5(satnum)
    fmt = int(d["_tle_fmt"][i])
    ndot = float(d["ndot"][i]) * (_XPDOTP * 1440.0)
    nd = f"{ndot:.8f}"
    if abs(float(nd)) >= 1.0:
        raise ValueError(f"satnum {satnum}: ndot {ndot} rev/day^2 is too large for a TLE")
    nd = nd.replace("0.", ".", 1)
    nd = nd if nd.startswith("-") else " " + nd
    nddot = _exp_field(float(d["nddot"][i]) * (_XPDOTP * 1440.0 * 1440), "+" if fmt & FMT_NDDOT_EXP_PLUS else "-",
                       "nddot", satnum)
    bstar = _exp_field(float(d["bstar"][i]), "-" if fmt & FMT_BSTAR_EXP_MINUS else "+", "bstar", satnum)
    eph = " " if fmt & FMT_EPHTYPE_BLANK else str(int(d["ephtype"][i]))
    elnum = int(d["elnum"][i])
    if not 0 <= elnum <= 9999 or len(eph) != 1:
        raise ValueError(f"satnum {satnum}: elnum {elnum} / ephtype {eph} do not fit a TLE")
    cls = str(d["classification"][i]) or "U"
    l1 = (f"1 {sn}{cls} {str(d['intldesg'][i]):<8} {int(d['epochyr'][i]) % 100:02d}"
          f"{float(d['epochdays'][i]):012.8f} {nd} {nddot} {bstar} {eph} {elnum:4d}")
    ecc = f"{float(d['ecco'][i]):.7f}"
    if not ecc.startswith("0."):
        raise ValueError(f"satnum {satnum}: eccentricity {d['ecco'][i]} rounds to 1 in a TLE")
    mm = float(d["no_kozai"][i]) * _XPDOTP
    mms = f"{mm:11.8f}"
    revnum = int(d["revnum"][i])
    if len(mms) != 11 or not 0 <= revnum <= 99999:
        raise ValueError(f"satnum {satnum}: mean motion {mm} rev/day or revnum {revnum} do not fit a TLE")
    l2 = (f"2 {sn} {_angle(float(d['inclo'][i])):8.4f} {_angle(float(d['nodeo'][i])):8.4f} {ecc[2:]} "
          f"{_angle(float(d['argpo'][i])):8.4f} {_angle(float(d['mo'][i])):8.4f} {mms}{revnum:5d}")
    return l1 + str(checksum(l1)), l2 + str(checksum(l2))
