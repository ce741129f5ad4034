"""engine.Catalog: N objects' SGP4 mean elements as a struct of arrays.

Field names and units are exactly those of python-sgp4's Satrec after twoline2rv, so that
a Catalog and the Satrecs built from the same input propagate identically:

    satnum          (N,) int64    catalogue number (Alpha-5 decoded: 'A0000' -> 100000)
    classification  (N,) <U1      'U', 'C' or 'S'
    intldesg        (N,) str      international designator without the century, '98067A' ('' if none)
    name            (N,) str      object name ('' when absent)
    epochyr         (N,) int64    two-digit epoch year as in the TLE (57..99 -> 19xx, 00..56 -> 20xx)
    epochdays       (N,) float64  day of year with fraction (1.0 = 1 January 00:00 UT)
    jdsatepoch      (N,) float64  Julian date of the epoch, whole part (x.5, UT midnight)
    jdsatepochF     (N,) float64  Julian date of the epoch, fraction of day
    ndot            (N,) float64  first derivative of mean motion / 2, rad/min^2
    nddot           (N,) float64  second derivative of mean motion / 6, rad/min^3
    bstar           (N,) float64  drag term, 1/earth radii
    inclo, nodeo, argpo, mo (N,) float64  inclination, RAAN, argument of perigee, mean anomaly, rad
    ecco            (N,) float64  eccentricity
    no_kozai        (N,) float64  Kozai mean motion, rad/min
    elnum, revnum, ephtype (N,) int64  element set number, revolution number at epoch, ephemeris type

Arrays are read-only; slicing gives read-only views, fancy indexing copies, so nothing
done to a sub-catalogue can reach its parent.

Catalogue-level: whichconst ("wgs72" default | "wgs72old" | "wgs84"), opsmode ("i" default
| "a"), rejected (tuple of engine.io.BadRecord from a load with errors="skip"; a
sub-catalogue or a concatenation starts with an empty tuple).
"""

from __future__ import annotations

import math
import os
from typing import Iterable, Mapping

import numpy as np

from sgp4.api import WGS72, WGS72OLD, WGS84, Satrec
from sgp4.propagation import gstime

from .constants import SGP4_GRAVITY

from . import sgp4 as _sgp4
from .io import _time
from .io import omm as _omm
from .io import tle as _tle
from .io._common import BadRecord, CatalogInputError, check_errors_option
# the TLE text conventions live with the TLE reader and writer; these names stay importable here
from .io.tle import FMT_BSTAR_EXP_MINUS, FMT_EPHTYPE_BLANK, FMT_NDDOT_EXP_PLUS, checksum  # noqa: F401
from .timeconv import datetime64_from_jd

__all__ = ["Catalog", "WHICHCONST", "OPSMODES", "load_tle", "load_omm"]

WHICHCONST = ("wgs72", "wgs72old", "wgs84")
OPSMODES = ("i", "a")

_F8 = np.dtype(np.float64)
_I8 = np.dtype(np.int64)
_STR = "U"

#: public fields, in TLE order, with their dtype kind
FIELDS: dict[str, object] = {
    "satnum": _I8,
    "classification": "U1",
    "intldesg": _STR,
    "name": _STR,
    "epochyr": _I8,
    "epochdays": _F8,
    "jdsatepoch": _F8,
    "jdsatepochF": _F8,
    "ndot": _F8,
    "nddot": _F8,
    "bstar": _F8,
    "inclo": _F8,
    "nodeo": _F8,
    "argpo": _F8,
    "mo": _F8,
    "ecco": _F8,
    "no_kozai": _F8,
    "elnum": _I8,
    "revnum": _I8,
    "ephtype": _I8,
}

# Private per-object arrays carried through slicing, concatenation and pickling:
#   _epoch1950: days since 1949-12-31 00:00 UT exactly as the reference Satrec passed it to
#       sgp4init (twoline2rv: (jd + unrounded fr) - 2433281.5; omm.initialize: the OMM EPOCH).
#       It fixes gsto, which the deep-space (SDP4) resonance terms use.
#   _tle_fmt: presentation hints so that to_tle reproduces the input text; bit flags
#       engine.io.tle.FMT_*.
_PRIVATE: dict[str, object] = {"_epoch1950": _F8, "_tle_fmt": np.dtype(np.uint8)}
_ALL = {**FIELDS, **_PRIVATE}

#: float64 arrays the propagator needs (Catalog.elements())
ELEMENT_KEYS = ("jdsatepoch", "jdsatepochF", "no_kozai", "ecco", "inclo", "nodeo",
                "argpo", "mo", "bstar", "ndot", "nddot")

_TWO_PI = 2.0 * math.pi

# Earth models by (radiusearthkm, mu) as sgp4init sets them (SGP4.cpp getgravconst)
_GRAV = {(g.radiusearthkm, g.mu): name for name, g in SGP4_GRAVITY.items()}


def _check_model(whichconst: str, opsmode: str) -> None:
    if whichconst not in WHICHCONST:
        raise ValueError(f"whichconst must be one of {WHICHCONST}, got {whichconst!r}")
    if opsmode not in OPSMODES:
        raise ValueError(f"opsmode must be 'i' (improved) or 'a' (AFSPC), got {opsmode!r}")


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def validate_elements(d: Mapping[str, np.ndarray]) -> list[BadRecord]:
    """Range checks on SGP4 elements in Satrec units; one BadRecord per bad (object, field).

    Same limits as the readers: 0 <= ecco < 1, no_kozai > 0, 0 <= inclo <= pi,
    0 <= nodeo, argpo, mo <= 2 pi, every float finite, satnum >= 0, epochdays 1..<367.

    Parameters
    ----------
    d : mapping of str to (N,) ndarray
        The fields of :data:`FIELDS` in Satrec units.

    Returns
    -------
    list of BadRecord
        Empty when every value is in range (record = position + 1).
    """
    bad: list[BadRecord] = []
    satnum = d["satnum"]

    def add(mask, field, problem, fix):
        for i in np.flatnonzero(mask):
            bad.append(BadRecord(int(i) + 1, 0, int(satnum[i]), field,
                                 problem.format(v=d[field][i] if field in d else None), fix))

    for k, dt in FIELDS.items():
        if dt is _F8:
            add(~np.isfinite(d[k]), k, "value {v} is not finite", "give a finite number")
    with np.errstate(invalid="ignore"):
        add(satnum < 0, "satnum", "value {v} is negative", "give a catalogue number >= 0")
        add(~((d["ecco"] >= 0) & (d["ecco"] < 1)), "ecco", "value {v} is outside 0 <= ecco < 1",
            "give a bound-orbit eccentricity")
        add(~(d["no_kozai"] > 0), "no_kozai", "value {v} rad/min is not positive",
            "give the mean motion in rad/min (rev/day * 2 pi / 1440)")
        add(~((d["inclo"] >= 0) & (d["inclo"] <= math.pi)), "inclo",
            "value {v} rad is outside 0..pi", "give the inclination in radians, 0..pi")
        for k in ("nodeo", "argpo", "mo"):
            add(~((d[k] >= 0) & (d[k] <= _TWO_PI)), k, "value {v} rad is outside 0..2 pi",
                "wrap the angle into 0..2 pi, e.g. numpy.mod(x, 2 * numpy.pi)")
        add(~((d["epochdays"] >= 1) & (d["epochdays"] < 367)), "epochdays",
            "value {v} is outside 1 <= day of year < 367", "give the day of year, 1.0 = 1 January 00:00 UT")
    for k in ("elnum", "revnum", "ephtype", "epochyr"):
        add(d[k] < 0, k, "value {v} is negative", "give a non-negative integer")
    return bad


class Catalog:
    """N objects' SGP4 mean elements as read-only NumPy arrays (see the module docstring).

    Build one with engine.load_tle / Catalog.from_tle, engine.load_omm / Catalog.from_omm,
    Catalog.from_satrecs or Catalog.from_arrays; Catalog(...) itself is the internal
    constructor and trusts its input (the arrays engine.io's readers return).

    Parameters
    ----------
    fields : mapping of str to (N,) array_like
        Every field of :data:`FIELDS` (and the internal ones), in Satrec units.
    whichconst : str
        'wgs72', 'wgs72old' or 'wgs84'.
    opsmode : str
        'i' or 'a'.
    rejected : iterable of BadRecord
        Records the reader left out (errors="skip").

    Attributes
    ----------
    whichconst, opsmode : str
        The SGP4 model the elements are meant for.
    rejected : list of BadRecord
        As given.

    Raises
    ------
    ValueError
        A bad whichconst or opsmode.
    """


    def __init__(self, fields: Mapping[str, np.ndarray], *, whichconst: str = "wgs72",
                 opsmode: str = "i", rejected: Iterable[BadRecord] = (), _owned: bool = False):
        _check_model(whichconst, opsmode)
        d = {}
        n = None
        for k, dt in _ALL.items():
            a = np.asarray(fields[k])
            a = a.astype(dt, copy=False) if dt != _STR else a.astype(str, copy=False)
            if a.ndim != 1:
                raise ValueError(f"field {k} must be 1-D, got shape {a.shape}")
            if n is None:
                n = len(a)
            elif len(a) != n:
                raise ValueError(f"field {k} has length {len(a)}, expected {n}")
            if a.flags.writeable:
                if not _owned:  # the caller may keep a writable alias: take a copy
                    a = a.copy()
                a.flags.writeable = False
            d[k] = a
        self._d = d
        self.whichconst = whichconst
        self.opsmode = opsmode
        self.rejected = tuple(rejected)
        self._sgp4_cache = {}  # per (backend, dtype) initialisation, owned by engine.sgp4

    # ------------------------------------------------------------------ fields
    def __getattr__(self, name):
        # only reached when normal lookup fails: expose the field arrays
        try:
            return object.__getattribute__(self, "_d")[name]
        except KeyError:
            raise AttributeError(f"'Catalog' object has no attribute {name!r}") from None

    def __dir__(self):
        return list(super().__dir__()) + list(FIELDS)

    def __len__(self) -> int:
        return len(self._d["satnum"])

    @property
    def epoch(self) -> np.ndarray:
        """Epochs (UT), rounded to the microsecond: (N,) datetime64[us]."""
        return datetime64_from_jd(self._d["jdsatepoch"], self._d["jdsatepochF"])

    def elements(self) -> dict[str, np.ndarray]:
        """The (N,) float64 read-only arrays the propagator needs, in Satrec units.

        Keys: jdsatepoch, jdsatepochF (epoch, split Julian date), no_kozai (rad/min), ecco,
        inclo, nodeo, argpo, mo (rad), bstar (1/earth radii), ndot (rad/min^2),
        nddot (rad/min^3), and sgp4init_epoch: days since 1949-12-31 00:00 UT exactly as
        python-sgp4 passed it to sgp4init for the same input (gsto is computed from it).

        Returns
        -------
        dict of str to (N,) ndarray, float64
            Read-only host arrays, keys as above.
        """
        out = {k: self._d[k] for k in ELEMENT_KEYS}
        out["sgp4init_epoch"] = self._d["_epoch1950"]
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        """Every public field.

        Returns
        -------
        dict of str to (N,) ndarray
            Name -> read-only host array (:data:`FIELDS`).
        """
        return {k: self._d[k] for k in FIELDS}

    # ---------------------------------------------------------------- indexing
    def __getitem__(self, key) -> "Catalog":
        n = len(self)
        if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
            i = int(key)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of range for a Catalog of {n} objects")
            i %= n
            key = slice(i, i + 1)
        elif isinstance(key, slice):
            pass
        else:
            idx = np.asarray(key)
            if idx.dtype == bool:
                if idx.shape != (n,):
                    raise IndexError(f"boolean mask must have shape ({n},), got {idx.shape}")
            elif idx.dtype.kind in "iu" and idx.ndim == 1:
                if idx.size and not (-n <= idx.min() and idx.max() < n):
                    raise IndexError(f"index array has values outside -{n}..{n - 1}")
            elif idx.size == 0 and idx.ndim == 1:
                idx = idx.astype(np.intp)
            else:
                raise TypeError(
                    "a Catalog is indexed by an int, a slice, a boolean mask of shape (N,) "
                    f"or a 1-D integer array, got {type(key).__name__} of dtype {idx.dtype}"
                )
            key = idx
        return Catalog({k: a[key] for k, a in self._d.items()},
                       whichconst=self.whichconst, opsmode=self.opsmode, _owned=True)

    @classmethod
    def concatenate(cls, catalogs: Iterable["Catalog"]) -> "Catalog":
        """Join catalogues with the same whichconst and opsmode.

        Parameters
        ----------
        catalogs : iterable of Catalog
            At least one.

        Returns
        -------
        Catalog
            The objects of each in order.

        Raises
        ------
        ValueError
            No catalogue, or catalogues built for different models.
        TypeError
            Something that is not a Catalog.
        """
        cats = list(catalogs)
        if not cats:
            raise ValueError("Catalog.concatenate needs at least one Catalog")
        for c in cats:
            if not isinstance(c, Catalog):
                raise TypeError(f"Catalog.concatenate takes Catalogs, got {type(c).__name__}")
        models = {(c.whichconst, c.opsmode) for c in cats}
        if len(models) > 1:
            raise ValueError(
                "cannot concatenate catalogues built for different models "
                f"(whichconst, opsmode): {sorted(models)}; reload them with the same "
                "whichconst= and opsmode="
            )
        whichconst, opsmode = models.pop()
        return cls({k: np.concatenate([c._d[k] for c in cats]) for k in _ALL},
                   whichconst=whichconst, opsmode=opsmode, _owned=True)

    def __add__(self, other):
        if not isinstance(other, Catalog):
            return NotImplemented
        return Catalog.concatenate([self, other])

    # ------------------------------------------------------- equality, pickling
    def equals(self, other) -> bool:
        """Whether every field (bit for bit, NaN equal to NaN) and the model agree.

        Parameters
        ----------
        other : object
            Anything; a non-Catalog is never equal.

        Returns
        -------
        bool
        """
        if not isinstance(other, Catalog):
            return False
        if (self.whichconst, self.opsmode, len(self)) != (other.whichconst, other.opsmode, len(other)):
            return False
        for k in _ALL:
            a, b = self._d[k], other._d[k]
            if a.dtype.kind == "f":
                if not np.array_equal(a.view(np.int64), b.view(np.int64)):
                    return False
            elif not np.array_equal(a, b):
                return False
        return True

    __eq__ = equals
    __hash__ = None  # mutable-looking container semantics, like numpy arrays

    def __reduce__(self):
        return (_rebuild, ({k: np.array(a) for k, a in self._d.items()},
                           self.whichconst, self.opsmode, self.rejected))

    def __repr__(self) -> str:
        n = len(self)
        extra = f", rejected={len(self.rejected)}" if self.rejected else ""
        if n == 0:
            return f"Catalog(0 objects, whichconst={self.whichconst!r}, opsmode={self.opsmode!r}{extra})"
        ep = self.epoch
        lo, hi = str(ep.min())[:19], str(ep.max())[:19]
        s = self._d["satnum"]
        return (f"Catalog({n} object{'s' if n != 1 else ''}, satnum {s.min()}..{s.max()}, "
                f"epochs {lo} .. {hi} UT, whichconst={self.whichconst!r}, "
                f"opsmode={self.opsmode!r}{extra})")

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_arrays(cls, *, whichconst: str = "wgs72", opsmode: str = "i", **fields) -> "Catalog":
        """Build a catalogue from arrays in Satrec units (synthetic clouds, fitted elements).

        Required: no_kozai (rad/min), ecco, inclo, nodeo, argpo, mo (rad), and the epoch as
        exactly one of: jdsatepoch + jdsatepochF (split Julian date, UT); epochyr + epochdays
        (TLE convention, converted exactly as Satrec.twoline2rv); epoch (datetime64, UT,
        converted as sgp4.omm.initialize does).
        Optional, with defaults: satnum (0..N-1), bstar, ndot, nddot (0.0),
        classification ('U'), intldesg (''), name (''), elnum, revnum, ephtype (0).
        Scalars broadcast to N. Every bad value of every field is reported in one
        engine.io.CatalogInputError (a ValueError); angles may equal 2 pi.

        Parameters
        ----------
        whichconst : str
            'wgs72' (default), 'wgs72old' or 'wgs84'.
        opsmode : str
            'i' (improved) or 'a' (AFSPC).
        **fields
            The element arrays, (N,) each or scalars, as above.

        Returns
        -------
        Catalog
            N objects.

        Raises
        ------
        CatalogInputError
            Every bad value of every field, in one error.
        ValueError
            Unknown or missing fields (the epoch among them), fields of the wrong shape or
            dtype, or a bad whichconst or opsmode.
        """
        _check_model(whichconst, opsmode)
        known = set(FIELDS) | {"epoch"}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise ValueError(f"Catalog.from_arrays got unknown fields {unknown}; known: {sorted(known)}")
        required = ("no_kozai", "ecco", "inclo", "nodeo", "argpo", "mo")
        missing = [k for k in required if k not in fields]
        routes = [r for r in (("jdsatepoch", "jdsatepochF"), ("epochyr", "epochdays"), ("epoch",))
                  if any(k in fields for k in r)]
        if len(routes) != 1 or not all(k in fields for k in routes[0]):
            missing.append("the epoch: jdsatepoch + jdsatepochF, or epochyr + epochdays, or epoch")
        if missing:
            raise ValueError(f"Catalog.from_arrays is missing {', '.join(missing)}")
        n = max(np.size(v) if np.ndim(v) else 1 for v in fields.values())

        def arr(k, dt, default=None):
            v = fields.get(k, default)
            a = np.asarray(v)
            if a.ndim > 1 or (a.ndim == 1 and len(a) != n):
                raise ValueError(f"field {k} must be a scalar or have shape ({n},), got {a.shape}")
            a = np.broadcast_to(a, (n,))
            if dt == _STR:
                return np.array(a, dtype=str)
            if dt is _I8:
                if a.dtype.kind not in "iub":
                    if a.dtype.kind != "f" or not np.all(np.isfinite(a) & (a == np.round(a))):
                        raise ValueError(f"field {k} must hold integers, got dtype {a.dtype}")
                return np.array(a, dtype=np.int64)
            if dt is _F8:
                if a.dtype.kind not in "iuf":
                    raise ValueError(f"field {k} must be numeric, got dtype {a.dtype}")
            return np.array(a, dtype=dt)

        d = {k: arr(k, dt) for k, dt in FIELDS.items()
             if k in fields and k not in ("epochyr", "epochdays", "jdsatepoch", "jdsatepochF")}
        d.setdefault("satnum", np.arange(n, dtype=np.int64))
        for k in ("bstar", "ndot", "nddot"):
            d.setdefault(k, np.zeros(n))
        for k in ("elnum", "revnum", "ephtype"):
            d.setdefault(k, np.zeros(n, np.int64))
        d.setdefault("classification", np.full(n, "U"))
        d.setdefault("intldesg", np.full(n, ""))
        d.setdefault("name", np.full(n, ""))
        if "epoch" in fields:
            t = np.broadcast_to(np.asarray(fields["epoch"]), (n,))
            if t.dtype.kind != "M":
                raise ValueError(f"epoch must be datetime64, got dtype {t.dtype}")
            e1950 = _time.datetime64_to_epoch1950(t)
            d["jdsatepoch"], d["jdsatepochF"], d["epochyr"], d["epochdays"] = _time.epoch1950_to_fields(e1950)
        elif "epochyr" in fields:
            d["epochyr"] = arr("epochyr", _I8)
            d["epochdays"] = arr("epochdays", _F8)
            bad = (d["epochyr"] < 0) | (d["epochyr"] > 99) | ~(d["epochdays"] >= 1) | ~(d["epochdays"] < 367)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"epochyr/epochdays: {int(bad.sum())} bad, first at index {i} "
                    f"({d['epochyr'][i]}, {d['epochdays'][i]}); fix: epochyr is 0..99, epochdays 1 <= d < 367")
            d["jdsatepoch"], d["jdsatepochF"], fr_unrounded = _time.tle_epoch_to_jd(d["epochyr"], d["epochdays"])
            e1950 = (d["jdsatepoch"] + fr_unrounded) - _time.JD_1950
        else:
            d["jdsatepoch"] = arr("jdsatepoch", _F8)
            d["jdsatepochF"] = arr("jdsatepochF", _F8)
            if not np.all(np.isfinite(d["jdsatepoch"]) & np.isfinite(d["jdsatepochF"])):
                raise ValueError("jdsatepoch and jdsatepochF must be finite")
            e1950 = (d["jdsatepoch"] - _time.JD_1950) + d["jdsatepochF"]
            d["epochyr"], d["epochdays"] = _time.jd_to_tle_fields(d["jdsatepoch"], d["jdsatepochF"])
        bad = validate_elements(d)
        cls_ok = np.isin(d["classification"], ["U", "C", "S"])
        for i in np.flatnonzero(~cls_ok):
            bad.append(BadRecord(int(i) + 1, 0, int(d["satnum"][i]), "classification",
                                 f"value {d['classification'][i]!r} is not U, C or S", "use 'U'"))
        if bad:
            bad.sort(key=lambda b: b.record)
            raise CatalogInputError(bad, "Catalog.from_arrays (record = index + 1)")
        d["_epoch1950"] = e1950
        d["_tle_fmt"] = np.zeros(n, np.uint8)
        return cls(d, whichconst=whichconst, opsmode=opsmode, _owned=True)

    @classmethod
    def from_tle(cls, source, *, errors: str = "raise", whichconst: str = "wgs72", opsmode: str = "i",
                 checksums: bool = True) -> "Catalog":
        """engine.load_tle as a constructor.

        Parameters
        ----------
        source, errors, whichconst, opsmode, checksums
            As :func:`load_tle`.

        Returns
        -------
        Catalog

        Raises
        ------
        TLEError, ValueError, FileNotFoundError
            As :func:`load_tle`.
        """
        return _load(cls, _tle.read, source, errors, whichconst, opsmode, checksums=checksums)

    @classmethod
    def from_omm(cls, source, *, format: str | None = None, errors: str = "raise", whichconst: str = "wgs72",
                 opsmode: str = "i") -> "Catalog":
        """engine.load_omm as a constructor.

        Parameters
        ----------
        source, format, errors, whichconst, opsmode
            As :func:`load_omm`.

        Returns
        -------
        Catalog

        Raises
        ------
        OMMError, ValueError, FileNotFoundError
            As :func:`load_omm`.
        """
        return _load(cls, _omm.read, source, errors, whichconst, opsmode, format=format)

    @classmethod
    def from_satrecs(cls, satrecs: Iterable, *, names: Iterable[str] | None = None) -> "Catalog":
        """Copy the fields of sgp4.api.Satrec objects (all of one Earth model and opsmode).

        whichconst is inferred from each Satrec's gravity constants (radiusearthkm, mu) and
        opsmode from its operationmode; mixed models raise ValueError.

        Parameters
        ----------
        satrecs : iterable of sgp4.api.Satrec
            N initialised Satrecs.
        names : iterable of str, optional
            (N,) object names (Satrec has none).

        Returns
        -------
        Catalog
            N objects.

        Raises
        ------
        ValueError
            Unknown gravity constants, mixed models, or names of another length.
        CatalogInputError
            Element values out of range (record = position + 1).
        """
        sats = list(satrecs)
        models = []
        for s in sats:
            key = (float(getattr(s, "radiusearthkm", float("nan"))), float(getattr(s, "mu", float("nan"))))
            if key not in _GRAV:
                raise ValueError(
                    f"Satrec for satnum {getattr(s, 'satnum', '?')} has gravity constants "
                    f"radiusearthkm={key[0]}, mu={key[1]}, which match none of {WHICHCONST}; "
                    "initialise it with sgp4init or twoline2rv first")
            models.append((_GRAV[key], s.operationmode))
        mset = sorted(set(models))
        if len(mset) > 1:
            raise ValueError(
                f"Satrecs use mixed models (whichconst, opsmode) {mset}: a Catalog has one; "
                "split them and build one Catalog per model")
        whichconst, opsmode = mset[0] if mset else ("wgs72", "i")
        n = len(sats)
        d: dict[str, np.ndarray] = {}
        for k, dt in FIELDS.items():
            if k == "name":
                continue
            vals = [getattr(s, k) for s in sats]
            d[k] = np.array(vals, dtype=(str if dt == _STR else dt)) if n else np.zeros(0, dtype=(str if dt == _STR else dt))
        d["epochyr"] = d["epochyr"] % 100  # sgp4init stores year % 1000, old API 4 digits
        d["name"] = np.array(list(names), dtype=str) if names is not None else np.full(n, "")
        if len(d["name"]) != n:
            raise ValueError(f"names has {len(d['name'])} entries for {n} Satrecs")
        d["_epoch1950"] = np.array([_satrec_init_epoch(s) for s in sats], dtype=np.float64)
        d["_tle_fmt"] = np.zeros(n, np.uint8)
        bad = validate_elements(d)
        if bad:
            raise CatalogInputError(bad, "Catalog.from_satrecs (record = position + 1)")
        return cls(d, whichconst=whichconst, opsmode=opsmode, _owned=True)

    def to_satrecs(self) -> list:
        """One sgp4.api.Satrec per object, initialised with this catalogue's model.

        Elements and the sgp4init epoch are passed as python-sgp4 itself passes them, then
        the TLE bookkeeping fields (jdsatepoch, jdsatepochF, epochyr, epochdays,
        classification, intldesg, elnum, revnum, ephtype) are copied over.

        Returns
        -------
        list of sgp4.api.Satrec
            N objects, in order.
        """
        grav = {"wgs72": WGS72, "wgs72old": WGS72OLD, "wgs84": WGS84}[self.whichconst]
        d = self._d
        out = []
        for i in range(len(self)):
            s = Satrec()
            s.sgp4init(grav, self.opsmode, int(d["satnum"][i]), float(d["_epoch1950"][i]),
                       float(d["bstar"][i]), float(d["ndot"][i]), float(d["nddot"][i]),
                       float(d["ecco"][i]), float(d["argpo"][i]), float(d["inclo"][i]),
                       float(d["mo"][i]), float(d["no_kozai"][i]), float(d["nodeo"][i]))
            s.jdsatepoch = float(d["jdsatepoch"][i])
            s.jdsatepochF = float(d["jdsatepochF"][i])
            s.epochyr = int(d["epochyr"][i])
            s.epochdays = float(d["epochdays"][i])
            s.classification = str(d["classification"][i]) or "U"
            s.intldesg = str(d["intldesg"][i])
            s.elnum = int(d["elnum"][i])
            s.revnum = int(d["revnum"][i])
            s.ephtype = int(d["ephtype"][i])
            out.append(s)
        return out

    # ------------------------------------------------------------------ output
    def to_tle(self, names: bool = False) -> list[str]:
        """TLE lines: 2 per object, or 3 (name line first) when names=True.

        Loading canonically formatted TLEs and writing them back gives identical lines,
        checksums included (columns 1-69; name lines are written stripped, without a
        '0 ' prefix, and objects with no name get no name line). Canonical means the
        fields as CelesTrak and Space-Track write them; load_tle remembers which of the
        two conventions for a zero exponent ('-0' / '+0') each record used and whether
        the ephemeris type was blank. Not reproduced (the values still are, exactly):
        leading blanks instead of zeros in numbers, a '+' sign on ndot or on a mantissa,
        unnormalised mantissas such as ' 01234-5', a negative-zero mantissa
        ('-00000-0'), lower-case or blank classification.
        Parameters
        ----------
        names : bool
            Write a name line before each object that has a name.

        Returns
        -------
        list of str
            The lines, without line endings.

        Raises
        ------
        ValueError
            An object a TLE cannot hold (satnum > 339999, |ndot| in rev/day^2 >= 1, mean
            motion >= 100 rev/day, elnum > 9999, revnum > 99999).
        """
        return _tle.to_lines(self._d, names=names)

    def write_tle(self, path: str | os.PathLike, names: bool = True) -> None:
        """Write to_tle(names) to `path`, one line each, ASCII, '\\n' line endings.

        Parameters
        ----------
        path : str or os.PathLike
            The file.
        names : bool
            As :meth:`to_tle` (default True).

        Returns
        -------
        None

        Raises
        ------
        ValueError
            As :meth:`to_tle`, before the file is opened.
        """
        _tle.write(self._d, path, names=names)

    # ---- propagation (engine/sgp4/ does the work) -------------------------

    def sgp4(self, jd, fr, *, backend="auto", dtype=np.float64, out=None, to_host=False, threads=None):
        """Propagate every object to the split Julian dates ``jd + fr`` (UTC) with SGP4/SDP4.

        Parameters
        ----------
        jd, fr : float or (M,) float64
            Split Julian dates, days, UTC, as python-sgp4's ``SatrecArray.sgp4`` takes them.
        backend : {"auto", "numpy", "cuda", "host"}
            "host" runs kernels/sgp4.cu on the CPU (NumPy arrays).
        dtype : numpy.float64 or numpy.float32
            float32 is the kernels' mixed precision ("cuda" or "host" only).
        out : tuple, optional
            ``(e, r, v)`` arrays of the shapes below to fill and return.
        to_host : bool
            On "cuda", return NumPy arrays instead of cupy arrays.
        threads : int, optional
            NumPy backend's worker threads (None: $DEBRIS_ENGINE_THREADS, else every usable
            core); the results are bit-identical for any count.

        Returns
        -------
        e : (N, M) uint8
            Error codes (engine.errors). Codes 1-5 give NaN r and v; code 6 (decayed) keeps them.
        r : (N, M, 3) float
            Position, km, TEME.
        v : (N, M, 3) float
            Velocity, km/s, TEME. cupy arrays on "cuda" unless ``to_host=True``.

        Raises
        ------
        ValueError, engine.errors.BackendUnavailable, engine.errors.InsufficientMemoryError
            Before any work: see :func:`engine.sgp4.propagate_jd`.
        """
        return _sgp4.propagate_jd(self, jd, fr, backend=backend, dtype=dtype, out=out, to_host=to_host,
                                  threads=threads)

    def sgp4_tsince(self, minutes, *, backend="auto", dtype=np.float64, out=None, to_host=False, threads=None):
        """Propagate to ``minutes`` since each object's own epoch.

        Parameters
        ----------
        minutes : float, (M,) or (N, M) float64
            Minutes since each object's epoch: the same offsets for every object, or per object.
        backend, dtype, out, to_host, threads
            As :meth:`sgp4`.

        Returns
        -------
        e, r, v
            As :meth:`sgp4`: (N, M) uint8, (N, M, 3) km, (N, M, 3) km/s, TEME.

        Raises
        ------
        ValueError, engine.errors.BackendUnavailable, engine.errors.InsufficientMemoryError
            Before any work: see :func:`engine.sgp4.propagate_tsince`.
        """
        return _sgp4.propagate_tsince(self, minutes, backend=backend, dtype=dtype, out=out, to_host=to_host,
                                      threads=threads)


def load_tle(source, *, errors: str = "raise", whichconst: str = "wgs72", opsmode: str = "i",
             checksums: bool = True) -> Catalog:
    """Load 2-line or 3-line element sets (TLE / 3LE) into a Catalog.

    Parameters
    ----------
    source : str, os.PathLike, file object or iterable of str
        A path (a str is a path when it names an existing file or holds no newline and
        ends in .tle/.txt/.3le/.2le), a string of TLE text, a file object, or lines.
    errors : {"raise", "skip"}
        "raise" (default): one engine.io.TLEError (a ValueError) listing every problem of
        every bad record (record, line, satnum, field, problem, fix); "skip": the good
        records load, Catalog.rejected holds a BadRecord per problem and one
        engine.io.BadRecordsWarning summarises them.
    whichconst : {"wgs72", "wgs72old", "wgs84"}
        The SGP4 gravity model the catalogue is meant for (stored on it).
    opsmode : {"i", "a"}
        SGP4 operation mode, improved or AFSPC (stored on it).
    checksums : bool
        True (default) rejects a line whose column-69 digit is not its modulo-10 checksum;
        False accepts any digit there, as python-sgp4's twoline2rv does; meant for
        hand-edited test files such as Vallado's SGP4-VER.TLE, never for downloaded data.

    Returns
    -------
    Catalog
        N objects in input order (see the module docstring for fields and units).

    Raises
    ------
    engine.io.TLEError
        With errors="raise" for any bad record; in either mode, before anything is parsed,
        for input that is not text (binary, compressed, UTF-16 or another non-UTF-8
        encoding), is empty, or holds no element set.
    ValueError
        A bad `errors`, `whichconst` or `opsmode` (checked before the source is read).
    FileNotFoundError
        A path that does not exist.
    """
    return _load(Catalog, _tle.read, source, errors, whichconst, opsmode, checksums=checksums)


def load_omm(source, *, format: str | None = None, errors: str = "raise", whichconst: str = "wgs72",
             opsmode: str = "i") -> Catalog:
    """Load CCSDS OMM element sets (SGP4 theory) into a Catalog.

    Parameters
    ----------
    source : str, os.PathLike, file object or iterable of str
        A path (a str is a path when it names an existing file or holds no newline and ends
        in .json/.xml/.csv/.kvn/.omm), a string, a file object, or lines.
    format : {"json", "xml", "csv", "kvn"} or None
        None detects it from the content (then from the file name).
    errors : {"raise", "skip"}
        "raise" (default): one engine.io.OMMError (a ValueError) listing every problem of
        every bad record; "skip": good records load, Catalog.rejected lists the bad ones,
        one engine.io.BadRecordsWarning summarises them.
    whichconst, opsmode
        As load_tle.

    Returns
    -------
    Catalog
        N objects in input order.

    Raises
    ------
    engine.io.OMMError
        With errors="raise" for any bad record; in either mode, before anything is parsed,
        for input that is not text, is empty, holds no element set or is not well-formed.
    ValueError
        A bad `errors`, `whichconst`, `opsmode` or `format`, or an encoding that cannot be
        told from the content.
    FileNotFoundError
        A path that does not exist.
    """
    return _load(Catalog, _omm.read, source, errors, whichconst, opsmode, format=format)


def _load(cls, read, source, errors: str, whichconst: str, opsmode: str, **options) -> Catalog:
    """Options checked before the source is read, then a `cls` built from what `read` (an
    engine.io reader) returns. Called directly by the public loaders only: the reader's
    BadRecordsWarning names the loader's caller (3 frames above the reader)."""
    check_errors_option(errors)
    _check_model(whichconst, opsmode)
    fields, rejected = read(source, errors=errors, stacklevel=3, **options)
    return cls(fields, whichconst=whichconst, opsmode=opsmode, rejected=rejected, _owned=True)


def _rebuild(d, whichconst, opsmode, rejected):
    return Catalog(d, whichconst=whichconst, opsmode=opsmode, rejected=rejected, _owned=True)


def _satrec_init_epoch(s) -> float:
    """The epoch (days since 1949-12-31) a Satrec was initialised with, recovered from gsto."""
    jd, fr = float(s.jdsatepoch), float(s.jdsatepochF)
    cands = [(jd - _time.JD_1950) + fr]  # sgp4init route (exact for omm.initialize)
    try:
        yr, dd = int(s.epochyr) % 100, float(s.epochdays)
        j2, _, fu = _time.tle_epoch_to_jd(np.array([yr]), np.array([dd]))
        cands.insert(0, (float(j2[0]) + float(fu[0])) - _time.JD_1950)  # twoline2rv route
    except (ValueError, OverflowError):
        pass
    cands.append((jd + fr) - _time.JD_1950)
    gsto = float(s.gsto)
    for c in cands:
        if gstime(c + _time.JD_1950) == gsto:
            return c
    return cands[-2] if len(cands) > 2 else cands[0]
