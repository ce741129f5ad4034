"""CCSDS Conjunction Data Message (CDM), 508.0-B-1, KVN (keyword = value) form: the codec.

engine.cdm is the public face (it adds writing one message per conjunction of a screening,
with Pc); this module reads and writes messages and imports no capability.

    cdm = engine.cdm.read("event.cdm")          # path, or the message text itself
    cdm.tca, cdm.miss_distance_m, cdm.hbr_m
    o1 = cdm.object1                            # CdmObject
    o1.position_km, o1.velocity_km_s            # (3,) inertial, the frame named by REF_FRAME
    o1.covariance_rtn()                         # (6, 6) km^2, km^2/s, km^2/s^2 (RTN)
    o1.covariance_inertial()                    # (6, 6) same units, rotated to the state's frame
    engine.cdm.write(cdm, "out.cdm")            # cdm = engine.cdm.CDM.from_states(tca=..., r1=..., ...)
    text = engine.cdm.dumps(cdm)

Layout (508.0-B-1 section 3: header, relative metadata/data, then one metadata + data
segment per object, OBJECT1 then OBJECT2): the keyword tables below hold, per section,
every keyword in the order the standard lists it, with its unit and whether it is
mandatory. The writer emits the mandatory keywords (and any optional ones present) in that
order; COMMENT lines are written at the start of their section. Numbers are written with
Python's shortest round-trip repr (exponent as E), so write -> read gives back every float64
exactly; times are kept as the ASCII text of the message (CCSDS ASCII time code A,
YYYY-MM-DDThh:mm:ss[.d...], UTC in practice).

Reading is strict about structure and lenient about decoration: units in [brackets] are
ignored (CDMs in circulation carry wrong ones), keywords this table does not know are kept
as text in their section (CDM 2.0 additions, for instance), COMMENT lines anywhere are kept
with the section they appear in (CARA writes 'COMMENT HBR = 15.0' after the relative data;
hbr_m reads it). Anything malformed raises one ValueError naming the line number, the
keyword and how to fix it.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# (keyword, unit or "", mandatory, kind) with kind "s" text, "f" float, "i" integer, "t" time
_HEADER = (
    ("CCSDS_CDM_VERS", "", True, "s"),
    ("CREATION_DATE", "", True, "t"),
    ("ORIGINATOR", "", True, "s"),
    ("MESSAGE_FOR", "", False, "s"),
    ("MESSAGE_ID", "", True, "s"),
)
_RELATIVE = (
    ("TCA", "", True, "t"),
    ("MISS_DISTANCE", "m", True, "f"),
    ("RELATIVE_SPEED", "m/s", False, "f"),
    ("RELATIVE_POSITION_R", "m", False, "f"),
    ("RELATIVE_POSITION_T", "m", False, "f"),
    ("RELATIVE_POSITION_N", "m", False, "f"),
    ("RELATIVE_VELOCITY_R", "m/s", False, "f"),
    ("RELATIVE_VELOCITY_T", "m/s", False, "f"),
    ("RELATIVE_VELOCITY_N", "m/s", False, "f"),
    ("START_SCREEN_PERIOD", "", False, "t"),
    ("STOP_SCREEN_PERIOD", "", False, "t"),
    ("SCREEN_VOLUME_FRAME", "", False, "s"),
    ("SCREEN_VOLUME_SHAPE", "", False, "s"),
    ("SCREEN_VOLUME_X", "m", False, "f"),
    ("SCREEN_VOLUME_Y", "m", False, "f"),
    ("SCREEN_VOLUME_Z", "m", False, "f"),
    ("SCREEN_ENTRY_TIME", "", False, "t"),
    ("SCREEN_EXIT_TIME", "", False, "t"),
    ("COLLISION_PROBABILITY", "", False, "f"),
    ("COLLISION_PROBABILITY_METHOD", "", False, "s"),
)
_METADATA = (
    ("OBJECT", "", True, "s"),
    ("OBJECT_DESIGNATOR", "", True, "s"),
    ("CATALOG_NAME", "", True, "s"),
    ("OBJECT_NAME", "", True, "s"),
    ("INTERNATIONAL_DESIGNATOR", "", True, "s"),
    ("OBJECT_TYPE", "", False, "s"),
    ("OPERATOR_CONTACT_POSITION", "", False, "s"),
    ("OPERATOR_ORGANIZATION", "", False, "s"),
    ("OPERATOR_PHONE", "", False, "s"),
    ("OPERATOR_EMAIL", "", False, "s"),
    ("EPHEMERIS_NAME", "", True, "s"),
    ("COVARIANCE_METHOD", "", True, "s"),
    ("MANEUVERABLE", "", True, "s"),
    ("ORBIT_CENTER", "", False, "s"),
    ("REF_FRAME", "", True, "s"),
    ("GRAVITY_MODEL", "", False, "s"),
    ("ATMOSPHERIC_MODEL", "", False, "s"),
    ("N_BODY_PERTURBATIONS", "", False, "s"),
    ("SOLAR_RAD_PRESSURE", "", False, "s"),
    ("EARTH_TIDES", "", False, "s"),
    ("INTRACK_THRUST", "", False, "s"),
)
_OD = (
    ("TIME_LASTOB_START", "", False, "t"),
    ("TIME_LASTOB_END", "", False, "t"),
    ("RECOMMENDED_OD_SPAN", "d", False, "f"),
    ("ACTUAL_OD_SPAN", "d", False, "f"),
    ("OBS_AVAILABLE", "", False, "i"),
    ("OBS_USED", "", False, "i"),
    ("TRACKS_AVAILABLE", "", False, "i"),
    ("TRACKS_USED", "", False, "i"),
    ("RESIDUALS_ACCEPTED", "%", False, "f"),
    ("WEIGHTED_RMS", "", False, "f"),
)
_ADDITIONAL = (
    ("AREA_PC", "m**2", False, "f"),
    ("AREA_DRG", "m**2", False, "f"),
    ("AREA_SRP", "m**2", False, "f"),
    ("MASS", "kg", False, "f"),
    ("CD_AREA_OVER_MASS", "m**2/kg", False, "f"),
    ("CR_AREA_OVER_MASS", "m**2/kg", False, "f"),
    ("THRUST_ACCELERATION", "m/s**2", False, "f"),
    ("SEDR", "W/kg", False, "f"),
)
_STATE = (
    ("X", "km", True, "f"),
    ("Y", "km", True, "f"),
    ("Z", "km", True, "f"),
    ("X_DOT", "km/s", True, "f"),
    ("Y_DOT", "km/s", True, "f"),
    ("Z_DOT", "km/s", True, "f"),
)
#: RTN covariance rows (lower triangle, row by row) of the 9x9 matrix R T N RDOT TDOT NDOT DRG SRP THR
_COV_AXES = ("R", "T", "N", "RDOT", "TDOT", "NDOT", "DRG", "SRP", "THR")
_COV_ROW_NAME = ("R", "T", "N", "RDOT", "TDOT", "NDOT", "DRG", "SRP", "THR")


def _cov_unit(i: int, j: int) -> str:
    # position m, velocity m/s, drag/SRP coefficient m**2/kg, thrust m/s**2
    dims = ("m", "m", "m", "m/s", "m/s", "m/s", "m**2/kg", "m**2/kg", "m/s**2")
    if i < 6 and j < 6:
        return ("m**2", "m**2/s", "m**2/s**2")[(i >= 3) + (j >= 3)]
    return {("m", "m**2/kg"): "m**3/kg", ("m/s", "m**2/kg"): "m**3/(kg*s)",
            ("m**2/kg", "m**2/kg"): "m**4/kg**2", ("m", "m/s**2"): "m**2/s**2",
            ("m/s", "m/s**2"): "m**2/s**3", ("m**2/kg", "m/s**2"): "m**3/(kg*s**2)",
            ("m/s**2", "m/s**2"): "m**2/s**4"}[(dims[j], dims[i])]


_COVARIANCE = tuple(
    (f"C{_COV_ROW_NAME[i]}_{_COV_AXES[j]}", _cov_unit(i, j), i < 6, "f")
    for i in range(9) for j in range(i + 1)
)
#: the 21 keywords of the mandatory 6x6 RTN covariance, row-major lower triangle
COVARIANCE_6X6_KEYWORDS = tuple(k for k, _, mand, _ in _COVARIANCE if mand)

_OBJECT_SECTIONS = {"metadata": _METADATA, "od": _OD, "additional": _ADDITIONAL,
                    "state": _STATE, "covariance": _COVARIANCE}
_KIND = {k: kind for table in (_HEADER, _RELATIVE, *_OBJECT_SECTIONS.values()) for k, _, _, kind in table}
_UNIT = {k: u for table in (_HEADER, _RELATIVE, *_OBJECT_SECTIONS.values()) for k, u, _, _ in table}
_OBJECT_KEY_SECTION = {k: s for s, table in _OBJECT_SECTIONS.items() for k, _, _, _ in table}
_HEADER_KEYS = {k for k, *_ in _HEADER}
_RELATIVE_KEYS = {k for k, *_ in _RELATIVE}

_LINE = re.compile(r"^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$")
_UNITS = re.compile(r"^(.*?)\s*\[([^\]]*)\]\s*$")
_TIME = re.compile(r"^\d{4}-(\d{2}-\d{2}|\d{3})T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")


# --------------------------------------------------------------------------- data model


def rtn_basis(r, v) -> np.ndarray:
    """Columns R, T, N (unit vectors in the frame of r and v) of the RTN frame of each state.

    The frame the CDM's covariance is given in (508.0-B-1 section 3.5, annex: R along the
    position, N along the orbit normal r x v, T = N x R completing the right-handed set).

    Parameters
    ----------
    r : array_like, (N, 3) float64
        Positions, km (any inertial frame).
    v : array_like, (N, 3) float64
        Velocities in the same frame, km/s.

    Returns
    -------
    ndarray, (N, 3, 3) float64
        Q with columns R, T, N, so that C_inertial = Q C_rtn Q^T.
    """
    r = np.asarray(r, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    rh = r / np.linalg.norm(r, axis=-1, keepdims=True)
    n = np.cross(r, v)
    nh = n / np.linalg.norm(n, axis=-1, keepdims=True)
    th = np.cross(nh, rh)
    return np.stack([rh, th, nh], axis=-1)



@dataclass(eq=False)
class CdmObject:
    """One object's segment of a CDM.

    Attributes
    ----------
    metadata, od, additional : dict
        Keyword -> value (text, float, or int), in message order.
    state : (6,) float64
        X..Z_DOT in km, km/s, in REF_FRAME.
    covariance : dict
        Keyword -> float in the message's units (m**2 ...), lower triangle CR_R..CNDOT_NDOT
        and optional CDRG_*/CSRP_*/CTHR_* rows.
    comments : dict
        {section: [text, ...]} for the sections metadata, od, additional, state, covariance.
    """

    metadata: dict = field(default_factory=dict)
    od: dict = field(default_factory=dict)
    additional: dict = field(default_factory=dict)
    state: np.ndarray = field(default_factory=lambda: np.full(6, np.nan))
    covariance: dict = field(default_factory=dict)
    comments: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.metadata.get("OBJECT_NAME", ""))

    @property
    def designator(self) -> str:
        return str(self.metadata.get("OBJECT_DESIGNATOR", ""))

    @property
    def ref_frame(self) -> str:
        return str(self.metadata.get("REF_FRAME", ""))

    @property
    def position_km(self) -> np.ndarray:
        """(3,) km, in REF_FRAME."""
        return np.array(self.state[:3], dtype=np.float64)

    @property
    def velocity_km_s(self) -> np.ndarray:
        """(3,) km/s, in REF_FRAME."""
        return np.array(self.state[3:6], dtype=np.float64)

    def covariance_rtn(self, units: str = "km") -> np.ndarray:
        """Symmetric RTN covariance of position and velocity.

        Parameters
        ----------
        units : {"km", "m"}, optional
            "km" (default): km^2, km^2/s, km^2/s^2 (the message's m-based values / 1e6);
            "m": as in the message (m^2, m^2/s, m^2/s^2).

        Returns
        -------
        (6, 6) float64
            A NumPy (host) array: a message holds one small matrix per object.

        Raises
        ------
        ValueError
            units other than "km" or "m".
        KeyError
            A CR_R..CNDOT_NDOT keyword missing from the covariance.
        """
        if units not in ("km", "m"):
            raise ValueError(f"units must be 'km' or 'm', not {units!r}")
        c = np.empty((6, 6))
        for k, (i, j) in zip(COVARIANCE_6X6_KEYWORDS, ((i, j) for i in range(6) for j in range(i + 1))):
            c[i, j] = c[j, i] = self.covariance[k]
        return c * 1e-6 if units == "km" else c

    def rtn_basis(self) -> np.ndarray:
        """The RTN basis of this object's state.

        Returns
        -------
        (3, 3) float64
            Q with columns R, T, N (unit vectors in REF_FRAME), as :func:`rtn_basis`; a
            NumPy (host) array.
        """
        return rtn_basis(self.position_km[None], self.velocity_km_s[None])[0]

    def covariance_inertial(self, units: str = "km") -> np.ndarray:
        """Covariance rotated from RTN to the frame of the state (REF_FRAME).

        C = B C_rtn B^T with B = blockdiag(Q, Q), Q = [R T N] of this object's state (the RTN
        velocity components are projections on the same axes, as CARA's RIC-to-ECI conversion
        does).

        Parameters
        ----------
        units : {"km", "m"}, optional
            As covariance_rtn().

        Returns
        -------
        (6, 6) float64
            Symmetric; a NumPy (host) array, as covariance_rtn().

        Raises
        ------
        ValueError, KeyError
            As covariance_rtn().
        """
        q = self.rtn_basis()
        b = np.zeros((6, 6))
        b[:3, :3] = q
        b[3:, 3:] = q
        c = b @ self.covariance_rtn(units) @ b.T
        return 0.5 * (c + c.T)


@dataclass
class CDM:
    """A parsed CCSDS 508.0-B-1 conjunction data message.

    Attributes
    ----------
    header, relative : dict
        Keyword -> value in message order (times as their text).
    objects : list of CdmObject
        [OBJECT1, OBJECT2].
    comments : dict
        {"header": [...], "relative": [...]}.
    """

    header: dict = field(default_factory=dict)
    relative: dict = field(default_factory=dict)
    objects: list = field(default_factory=list)
    comments: dict = field(default_factory=dict)

    @property
    def object1(self) -> CdmObject:
        return self.objects[0]

    @property
    def object2(self) -> CdmObject:
        return self.objects[1]

    @property
    def tca(self) -> np.datetime64:
        """TCA as numpy datetime64[us] (UTC as written)."""
        return _to_datetime64(self.relative["TCA"])

    @property
    def miss_distance_m(self) -> float:
        return float(self.relative["MISS_DISTANCE"])

    @property
    def relative_speed_m_s(self) -> float | None:
        v = self.relative.get("RELATIVE_SPEED")
        return None if v is None else float(v)

    @property
    def hbr_m(self) -> float | None:
        """Combined hard-body radius, metres: an HBR keyword, else a 'HBR = <m>' comment
        (CARA convention) in the header or relative section; None if neither."""
        if "HBR" in self.relative:
            return float(self.relative["HBR"])
        for sec in ("relative", "header"):
            for c in self.comments.get(sec, []):
                m = re.match(r"^\s*HBR\s*[=:]\s*([-+0-9.eEdD]+)\s*(\[\s*m\s*\])?\s*$", c)
                if m:
                    return float(m.group(1))
        return None

    def __eq__(self, other) -> bool:
        """Same KVN text (so NaN equals NaN and float64 values compare exactly)."""
        if not isinstance(other, CDM):
            return NotImplemented
        try:
            return dumps(self) == dumps(other)
        except ValueError:  # incomplete messages: only identical objects are equal
            return self is other

    @classmethod
    def from_states(cls, *, tca, r1, v1, cov1, r2, v2, cov2, miss_distance_km=None,
                    relative_speed_km_s=None, object1=None, object2=None, originator="debris-engine",
                    message_id=None, creation_date=None, ref_frame="EME2000", hbr_km=None,
                    collision_probability=None, collision_probability_method=None,
                    message_for=None, comments=None) -> "CDM":
        """Build a CDM from inertial states at TCA.

        Parameters
        ----------
        tca : numpy datetime64, datetime or ISO text
            Time of closest approach (UTC).
        r1, r2 : (3,) float64
            Positions, km, in ref_frame.
        v1, v2 : (3,) float64
            Velocities, km/s, in ref_frame.
        cov1, cov2 : (3, 3) or (6, 6) float64
            Inertial covariance, km^2 (km^2/s, km^2/s^2), rotated to RTN (m-based units) for
            the message; a 3x3 gives zero velocity rows and a comment.
        miss_distance_km, relative_speed_km_s : float, optional
            Default |r1 - r2| and |v1 - v2|.
        object1, object2 : dict, optional
            Metadata keywords (OBJECT_DESIGNATOR, OBJECT_NAME, ...); missing mandatory ones
            get neutral defaults ('UNKNOWN', 'NONE', ...).
        originator : str, optional
            ORIGINATOR of the header.
        message_id : str, optional
            MESSAGE_ID (default "<originator>_<TCA>").
        creation_date : datetime64, datetime or ISO text, optional
            CREATION_DATE (default now, UTC).
        ref_frame : str, optional
            REF_FRAME of both objects (default "EME2000").
        hbr_km : float, optional
            Combined hard-body radius (km), written as 'COMMENT HBR = <m>' (CARA convention;
            read back by hbr_m).
        collision_probability : float, optional
            COLLISION_PROBABILITY.
        collision_probability_method : str, optional
            COLLISION_PROBABILITY_METHOD.
        message_for : str, optional
            MESSAGE_FOR of the header.
        comments : iterable of str, optional
            Header comments.

        Returns
        -------
        CDM
            The message, relative position and velocity in OBJECT1's RTN frame (m, m/s).

        Raises
        ------
        ValueError
            An unknown metadata keyword, or a covariance that is neither (3, 3) nor (6, 6).
        """
        r1, v1, r2, v2 = (np.asarray(a, dtype=np.float64).reshape(3) for a in (r1, v1, r2, v2))
        tca_s = _format_time(tca)
        created = _format_time(np.datetime64("now", "ms") if creation_date is None else creation_date)
        dr, dv = r2 - r1, v2 - v1
        miss = float(np.linalg.norm(dr)) if miss_distance_km is None else float(miss_distance_km)
        speed = float(np.linalg.norm(dv)) if relative_speed_km_s is None else float(relative_speed_km_s)
        q1 = rtn_basis(r1[None], v1[None])[0]
        rel = {"TCA": tca_s, "MISS_DISTANCE": miss * 1e3, "RELATIVE_SPEED": speed * 1e3}
        for ax, val in zip("RTN", q1.T @ dr):
            rel[f"RELATIVE_POSITION_{ax}"] = float(val) * 1e3
        for ax, val in zip("RTN", q1.T @ dv):
            rel[f"RELATIVE_VELOCITY_{ax}"] = float(val) * 1e3
        if collision_probability is not None:
            rel["COLLISION_PROBABILITY"] = float(collision_probability)
        if collision_probability_method is not None:
            rel["COLLISION_PROBABILITY_METHOD"] = str(collision_probability_method)
        header = {"CCSDS_CDM_VERS": "1.0", "CREATION_DATE": created, "ORIGINATOR": str(originator)}
        if message_for is not None:
            header["MESSAGE_FOR"] = str(message_for)
        header["MESSAGE_ID"] = str(message_id) if message_id is not None else f"{originator}_{tca_s}"
        cdm = cls(header=header, relative=rel, objects=[], comments={"header": [], "relative": []})
        if comments:
            cdm.comments["header"].extend(str(c) for c in comments)
        if hbr_km is not None:
            cdm.comments["relative"].append(f"HBR = {_fmt_float(float(hbr_km) * 1e3)} [m]")
        for label, r, v, cov, meta in (("OBJECT1", r1, v1, cov1, object1), ("OBJECT2", r2, v2, cov2, object2)):
            obj = CdmObject()
            md = {"OBJECT": label}
            defaults = {"OBJECT_DESIGNATOR": "UNKNOWN", "CATALOG_NAME": "SATCAT", "OBJECT_NAME": "UNKNOWN",
                        "INTERNATIONAL_DESIGNATOR": "UNKNOWN", "EPHEMERIS_NAME": "NONE",
                        "COVARIANCE_METHOD": "CALCULATED", "MANEUVERABLE": "N/A", "REF_FRAME": ref_frame}
            given = {str(k).upper(): v for k, v in (meta or {}).items()}
            for k, _, mand, _ in _METADATA[1:]:
                if k in given:
                    md[k] = str(given.pop(k))
                elif mand:
                    md[k] = defaults[k]
            if given:
                raise ValueError(f"{label}: unknown metadata keyword(s) {sorted(given)}; use the 508.0-B-1 "
                                 f"object metadata keywords ({', '.join(k for k, *_ in _METADATA[1:])})")
            obj.metadata = md
            obj.state = np.concatenate([r, v])
            c = np.asarray(cov, dtype=np.float64)
            if c.shape not in ((3, 3), (6, 6)):
                raise ValueError(f"{label}: covariance shape {c.shape}; give (3, 3) or (6, 6) km^2")
            full = np.zeros((6, 6))
            full[: c.shape[0], : c.shape[1]] = c
            q = rtn_basis(r[None], v[None])[0]
            b = np.zeros((6, 6))
            b[:3, :3] = q
            b[3:, 3:] = q
            crtn = b.T @ (0.5 * (full + full.T)) @ b * 1e6
            pairs = ((i, j) for i in range(6) for j in range(i + 1))
            obj.covariance = {k: float(crtn[i, j]) for k, (i, j) in zip(COVARIANCE_6X6_KEYWORDS, pairs)}
            if c.shape == (3, 3):
                obj.comments = {"covariance": ["velocity covariance not available: set to zero"]}
            cdm.objects.append(obj)
        return cdm


# --------------------------------------------------------------------------- formatting


def _fmt_float(x: float) -> str:
    """Shortest text that reads back as the same float64 (exponent as E); NaN as NaN."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    s = repr(x)
    return s.replace("e", "E")


def _fmt_value(key: str, value) -> str:
    kind = _KIND.get(key, "s")
    if kind == "f":
        return _fmt_float(value)
    if kind == "i":
        if isinstance(value, float):
            return _fmt_float(value)
        return str(int(value))
    return str(value)


def _to_datetime64(text: str) -> np.datetime64:
    t = str(text).rstrip("Z")
    m = re.match(r"^(\d{4})-(\d{3})T(.*)$", t)
    if m:  # day-of-year form YYYY-DDDThh:mm:ss
        base = np.datetime64(f"{m.group(1)}-01-01", "D") + np.timedelta64(int(m.group(2)) - 1, "D")
        t = f"{base}T{m.group(3)}"
    return np.datetime64(t, "us")


def _format_time(t) -> str:
    if isinstance(t, str):
        if not _TIME.match(t.strip()):
            raise ValueError(f"time {t!r} is not CCSDS ASCII time code A; write e.g. 2021-11-15T02:47:31.500")
        return t.strip()
    d = np.datetime64(t, "us")
    return str(d)


def dumps(cdm: CDM) -> str:
    """KVN text of a CDM: mandatory keywords checked, keywords in 508.0-B-1 order.

    Parameters
    ----------
    cdm : CDM
        The message.

    Returns
    -------
    str
        The text, '\\n' line endings, floats as their shortest round-trip repr.

    Raises
    ------
    ValueError
        A mandatory keyword is missing, or the message has not exactly two objects.
    """
    lines: list[str] = []
    w = max(len(k) for k, *_ in (*_HEADER, *_RELATIVE, *_METADATA, *_OD, *_ADDITIONAL, *_COVARIANCE))

    def emit(key, value):
        unit = _UNIT.get(key, "")
        text = f"{key:<{w}} = {_fmt_value(key, value)}"
        lines.append(f"{text} [{unit}]" if unit else text)

    def section(name, table, values, comments, after_first=False):
        def put_comments():
            for c in comments or []:
                lines.append(f"COMMENT {c}".rstrip())

        if not after_first:
            put_comments()
        known = set()
        for k, _, mand, _ in table:
            known.add(k)
            if k in values:
                emit(k, values[k])
                if after_first and k == table[0][0]:
                    put_comments()
            elif mand:
                raise ValueError(f"cannot write the CDM: mandatory keyword {k} of the {name} is missing; set it "
                                 f"(508.0-B-1 lists it as mandatory)")
        for k, v in values.items():
            if k not in known:
                emit(k, v)

    header = dict(cdm.header)
    # CCSDS_CDM_VERS is the first line; header comments follow it (508.0-B-1 header layout)
    if "CCSDS_CDM_VERS" not in header:
        raise ValueError("cannot write the CDM: mandatory keyword CCSDS_CDM_VERS of the header is missing; "
                         "set it to '1.0'")
    emit("CCSDS_CDM_VERS", header.pop("CCSDS_CDM_VERS"))
    section("header", _HEADER[1:], header, cdm.comments.get("header"))
    section("relative metadata", _RELATIVE, cdm.relative, cdm.comments.get("relative"))
    if len(cdm.objects) != 2:
        raise ValueError(f"cannot write the CDM: it has {len(cdm.objects)} object segments; a CDM has exactly two "
                         "(OBJECT1, OBJECT2)")
    for label, obj in zip(("OBJECT1", "OBJECT2"), cdm.objects):
        md = dict(obj.metadata)
        md.setdefault("OBJECT", label)
        section(f"{label} metadata", _METADATA, md, obj.comments.get("metadata"), after_first=True)
        section(f"{label} OD parameters", _OD, obj.od, obj.comments.get("od"))
        section(f"{label} additional parameters", _ADDITIONAL, obj.additional, obj.comments.get("additional"))
        st = np.asarray(obj.state, dtype=np.float64)
        section(f"{label} state vector", _STATE, dict(zip((k for k, *_ in _STATE), st.tolist())),
                obj.comments.get("state"))
        section(f"{label} covariance", _COVARIANCE, obj.covariance, obj.comments.get("covariance"))
    return "\n".join(lines) + "\n"


def write(cdm: CDM, path=None) -> str:
    """KVN text of one CDM, written to `path` unless it is None.

    Parameters
    ----------
    cdm : CDM
        The message (build one from states with CDM.from_states).
    path : str or os.PathLike or None
        File to write (UTF-8, replaced if it exists); None only returns the text.

    Returns
    -------
    str
        The message text, as dumps(cdm).

    Raises
    ------
    TypeError
        `cdm` is not a CDM.
    ValueError
        A mandatory keyword is missing (as dumps), before the file is opened.
    """
    if not isinstance(cdm, CDM):
        raise TypeError(f"write() takes an engine.cdm.CDM or an engine.Conjunctions first, got "
                        f"{type(cdm).__name__}; build a CDM with engine.cdm.CDM.from_states(...)")
    text = dumps(cdm)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


# --------------------------------------------------------------------------- reading


def _parse_value(key, raw, lineno):
    kind = _KIND.get(key, "s")
    m = _UNITS.match(raw)
    val = m.group(1) if m else raw
    if kind in ("f", "i"):
        try:
            if kind == "i" and re.fullmatch(r"[+-]?\d+", val):
                return int(val)
            return float(val.replace("d", "e").replace("D", "E"))
        except ValueError:
            unit = _UNIT.get(key, "")
            raise ValueError(
                f"CDM line {lineno}: keyword {key}: value {val!r} is not a number; write a decimal number"
                + (f" in {unit}" if unit else "") + " such as 1.25 or -3.5E-04") from None
    if kind == "t" and not _TIME.match(val):
        raise ValueError(f"CDM line {lineno}: keyword {key}: {val!r} is not a CCSDS time; write "
                         "YYYY-MM-DDThh:mm:ss.sss (UTC), e.g. 2021-11-15T02:47:31.500")
    if val == "":
        raise ValueError(f"CDM line {lineno}: keyword {key} has no value; write '{key} = <value>' or drop the line")
    return val


def read(path_or_text) -> CDM:
    """Parse a KVN CDM.

    Parameters
    ----------
    path_or_text : str, os.PathLike or bytes
        A path, or the message text (a str containing a newline or starting with
        CCSDS_CDM_VERS; bytes are decoded as UTF-8).

    Returns
    -------
    CDM
        Header and relative data, the two object segments, comments by section.

    Raises
    ------
    ValueError
        Malformed input, naming the line, the keyword and the fix.
    FileNotFoundError
        A path that does not exist.
    """
    if isinstance(path_or_text, (bytes, bytearray)):
        text = path_or_text.decode("utf-8")
    elif isinstance(path_or_text, os.PathLike) or (
            isinstance(path_or_text, str) and "\n" not in path_or_text
            and not path_or_text.lstrip().startswith("CCSDS_CDM_VERS")):
        text = Path(path_or_text).read_text(encoding="utf-8")
    else:
        text = str(path_or_text)

    cdm = CDM(comments={"header": [], "relative": []})
    section = "header"  # header -> relative -> object
    obj: CdmObject | None = None
    obj_section = "metadata"
    seen: dict[int, set] = {}
    last_line = 0
    pending: list[str] = []

    def flush(sec, obj_sec):
        if pending:
            dest = obj.comments.setdefault(obj_sec, []) if sec == "object" else cdm.comments[sec]
            dest.extend(pending)
            pending.clear()

    def check_complete(where, lineno):
        if where == "object":
            o = cdm.objects[-1]
            label = o.metadata.get("OBJECT", "object")
            have = set(o.metadata) | seen[len(cdm.objects)]
            for sname, table in _OBJECT_SECTIONS.items():
                for k, _, m, _ in table:
                    if m and k not in have:
                        raise ValueError(f"CDM line {lineno}: {label} segment ends without mandatory keyword {k}; "
                                         f"add '{k} = <value>' to the {label} {sname} (508.0-B-1)")
            return
        table, have = (_HEADER, cdm.header) if where == "header" else (_RELATIVE, cdm.relative)
        for k, _, m, _ in table:
            if m and k not in have:
                raise ValueError(f"CDM line {lineno}: the {where} section ends without mandatory keyword {k}; "
                                 f"add '{k} = <value>' (508.0-B-1)")

    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s:
            continue
        last_line = lineno
        if s.startswith("COMMENT"):
            # a comment belongs to the section of the next keyword; comments just before an
            # OBJECT line (or at the end) close the section before it (CARA's 'COMMENT HBR')
            pending.append(s[len("COMMENT"):].strip())
            continue
        m = _LINE.match(s)
        if not m:
            raise ValueError(f"CDM line {lineno}: {s[:40]!r} is not 'KEYWORD = value' nor a COMMENT line; "
                             "write keywords in upper case followed by '=' and the value")
        key, raw = m.group(1), m.group(2)
        if not cdm.header and key != "CCSDS_CDM_VERS":
            raise ValueError(f"CDM line {lineno}: keyword {key}: a CDM starts with CCSDS_CDM_VERS; "
                             "put 'CCSDS_CDM_VERS = 1.0' first")
        value = _parse_value(key, raw, lineno)
        if key == "OBJECT":
            flush(section, obj_section)
            if section == "header":
                check_complete("header", lineno)
                section = "relative"
            if section == "relative":
                check_complete("relative", lineno)
            else:
                check_complete("object", lineno)
            expected = f"OBJECT{len(cdm.objects) + 1}"
            if value != expected or len(cdm.objects) >= 2:
                raise ValueError(f"CDM line {lineno}: keyword OBJECT: got {value!r}, expected {expected!r}; "
                                 "a CDM has OBJECT = OBJECT1 then OBJECT = OBJECT2")
            obj = CdmObject(metadata={"OBJECT": value})
            cdm.objects.append(obj)
            seen[len(cdm.objects)] = set()
            section, obj_section = "object", "metadata"
            continue
        if section == "object":
            sname = _OBJECT_KEY_SECTION.get(key, obj_section)
            obj_section = sname
            flush(section, sname)
            have = seen[len(cdm.objects)]
            if key in have or key in obj.metadata:
                raise ValueError(f"CDM line {lineno}: keyword {key} appears twice in {obj.metadata['OBJECT']}; "
                                 "keep one")
            have.add(key)
            if sname == "state":
                obj.state[[k for k, *_ in _STATE].index(key)] = value
            elif sname == "covariance":
                obj.covariance[key] = value
            else:
                getattr(obj, sname)[key] = value
            continue
        if section == "header" and key not in _HEADER_KEYS:
            check_complete("header", lineno)
            section = "relative"
        if section == "relative" and key in _HEADER_KEYS:
            raise ValueError(f"CDM line {lineno}: keyword {key} is out of place; header keywords "
                             "(CCSDS_CDM_VERS ... MESSAGE_ID) come before TCA and the relative data")
        target = cdm.header if section == "header" else cdm.relative
        flush(section, None)
        if key in target:
            raise ValueError(f"CDM line {lineno}: keyword {key} appears twice; keep one")
        target[key] = value

    if not cdm.header and not cdm.relative:
        raise ValueError("CDM line 1: no keywords found; a CDM starts with 'CCSDS_CDM_VERS = 1.0'")
    if len(cdm.objects) != 2:
        raise ValueError(f"CDM line {last_line}: message ends with {len(cdm.objects)} object segment(s); "
                         "add the missing 'OBJECT = OBJECT2' segment (metadata, state vector, covariance)"
                         if cdm.objects else
                         f"CDM line {last_line}: message ends without object segments; add 'OBJECT = OBJECT1' "
                         "and 'OBJECT = OBJECT2' segments")
    flush(section, obj_section)
    check_complete("object", last_line)
    return cdm
