"""Vectorised NumPy SGP4/SDP4: the CPU implementation and the oracle for the CUDA kernels.

This is an independent implementation of the algorithm in
Vallado, Crawford, Hujsak and Kelso, "Revisiting Spacetrack Report #3",
AIAA 2006-6753 (2006), as revised in Vallado's C++ SGP4 (the "sgp4fix" notes in
that code; version of 2020 shipped inside python-sgp4 2.x as extension/SGP4.cpp).
Where the C++ and python-sgp4's pure-Python transcription differ, the C++ is followed,
because python-sgp4's Satrec / SatrecArray (the reference of our tests) run the C++:

* angles are reduced with C ``fmod`` (sign of the dividend), not Python's ``%``;
* the Lyddane branch of dpper sums ``xls`` as the C++ does;
* gsto is always the IAU-82 gstime of the epoch. The AFSPC formula of the 1970
  epoch (``opsmode == 'a'``) is still computed by Vallado's initl, but its value is
  discarded there (sgp4fix, "use old way of finding gst" is commented out);
  :func:`gsto_afspc` keeps it for reference. opsmode 'a' therefore only changes
  the Lyddane node wrap-around in dpper.

Everything per object is computed once by :func:`sgp4init` into an
:class:`Sgp4Model` (struct of (N,) arrays, near-earth and deep-space objects in two
separate subsets). :func:`sgp4` evaluates (object, time) pairs in cache-sized blocks;
no Python loop runs over objects or times (loops run over blocks, Kepler iterations
and resonance integration steps only).

Units: distances in earth radii inside, km on output; time in minutes since epoch;
angles in radians; velocities km/s on output; frame TEME.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _parallel
from ..constants import SGP4_GRAVITY, Gravity  # Gravity: defined there, this name keeps working
from ..errors import DECAYED, MEAN_ECC, MEAN_MOTION, PERT_ECC, SEMI_LATUS

__all__ = [
    "GRAVITY_MODELS",
    "Gravity",
    "Sgp4Model",
    "gravity",
    "gstime",
    "gsto_afspc",
    "init",
    "propagate",
    "sgp4",
    "sgp4init",
    "tsince_minutes",
]

GRAVITY_MODELS = ("wgs72old", "wgs72", "wgs84")

_TWOPI = 2.0 * math.pi
_X2O3 = 2.0 / 3.0
_TEMP4 = 1.5e-12  # sgp4fix divisor guard for 1 + cos(i) ~ 0 (Vallado 2006, sec. "Divide by zero")

# Cody-Waite split of the float64 2*pi: k * _TWOPI_HI is exact for |k| < 2**26, so
# _rem2pi(x) equals C fmod(x, 2*pi) to about one ulp of the result at a fraction of its cost
_TWOPI_HI = 6.283185243606567  # float64 2*pi with the low 27 mantissa bits cleared
_TWOPI_LO = _TWOPI - _TWOPI_HI  # exact
_INV_TWOPI = 1.0 / _TWOPI
#: elements every caller must supply (Satrec names and units)
ELEMENT_FIELDS = ("jdsatepoch", "jdsatepochF", "no_kozai", "ecco", "inclo", "nodeo", "argpo", "mo", "bstar")

#: (object, time) pairs per evaluation block. Blocks run on threads: at 8,192 pairs each
#: ufunc call was too short for NumPy's release of the GIL to pay (two threads 0.78x of
#: one on a 2-core CPU), at 65,536 two threads run 1.45-1.69x faster and one thread keeps
#: its speed (benchmarks/NOTES.md, "Every core"). Results do not depend on the block.
_BLOCK = 65536


def gravity(whichconst: str) -> Gravity:
    """Constants of 'wgs72old', 'wgs72' or 'wgs84' exactly as Vallado's getgravconst
    (engine.constants.SGP4_GRAVITY); raises ValueError naming the choices for another name."""
    if whichconst not in SGP4_GRAVITY:
        raise ValueError(f"whichconst must be one of {GRAVITY_MODELS}, got {whichconst!r}")
    return SGP4_GRAVITY[whichconst]


def gstime(jdut1):
    """Greenwich sidereal time (rad, [0, 2pi)) of a UT1 Julian date, IAU-82 (Vallado 2013 eq. 3-45)."""
    tut1 = (jdut1 - 2451545.0) / 36525.0
    temp = (
        -6.2e-6 * tut1 * tut1 * tut1
        + 0.093104 * tut1 * tut1
        + (876600.0 * 3600 + 8640184.812866) * tut1
        + 67310.54841
    )  # seconds
    temp = np.fmod(temp * (math.pi / 180.0) / 240.0, _TWOPI)
    return np.where(temp < 0.0, temp + _TWOPI, temp)


def gsto_afspc(epoch):
    """AFSPC (opsmode 'a') sidereal time at ``epoch`` (days since 1949 Dec 31 0h), rad.

    The 1970-based formula of Spacetrack Report #3 kept by Vallado's initl; the current
    C++ computes but discards it (see module doc), so sgp4init does not use it.
    """
    ts70 = epoch - 7305.0
    ds70 = np.floor(ts70 + 1.0e-8)
    tfrac = ts70 - ds70
    c1 = 1.72027916940703639e-2
    thgr70 = 1.7321343856509374
    fk5r = 5.07551419432269442e-15
    g = np.fmod(thgr70 + c1 * ds70 + (c1 + _TWOPI) * tfrac + ts70 * ts70 * fk5r, _TWOPI)
    return np.where(g < 0.0, g + _TWOPI, g)


def _rem2pi(x):
    """C ``fmod(x, 2*pi)`` (sign of x) to ~1 ulp, by Cody-Waite reduction; 15-30x faster."""
    k = np.multiply(x, _INV_TWOPI)
    np.trunc(k, out=k)
    r = k * _TWOPI_HI
    np.subtract(x, r, out=r)
    k *= _TWOPI_LO
    r -= k
    return r


def _sincos(x):
    """sin(x) and cos(x) from one tan(x / 2): s = 2t / (1 + t^2), c = (1 - t)(1 + t) / (1 + t^2).

    NumPy evaluates float64 sin and cos with scalar libm calls (~20 ns each on x86-64),
    while tan, like arctan2 and sqrt, has a SIMD loop (~3 ns on AVX-512); one tan and
    five cheap operations replace two library calls. The error stays at rounding level:
    within 1.5 ulp(1) in absolute terms over [-2pi, 2pi] against libm (cos near its
    zeros is absolute-, not relative-accurate, as the rounding of x itself already is).
    (1 - t)(1 + t) rather than 1 - t^2 avoids the cancellation near t = 1 (x near pi/2).
    NumPy's tan reduces large arguments accurately (1 ulp up to |x| = 1e7 checked), so
    unreduced secular angles are fine; |x| must stay below ~1e16 (|tan| < 1e154).
    Not bit-identical to libm: where the C++ result is ill-conditioned (deep-space
    sin/cos(argpp) with ep -> 1) the callers keep np.sin / np.cos.
    """
    t, inv = _tan_half(x)
    return _sin_of(t, inv), _cos_of(t, inv)


def _tan_half(x):
    """t = tan(x / 2) and 1 / (1 + t^2), the shared part of _sincos."""
    t = np.multiply(x, 0.5)
    np.tan(t, out=t)
    inv = t * t
    inv += 1.0
    np.divide(1.0, inv, out=inv)
    return t, inv


def _sin_of(t, inv):
    s = t * inv
    s += s  # 2 t / (1 + t^2); doubling is exact
    return s


def _cos_of(t, inv):
    c = np.subtract(1.0, t)
    c *= np.add(1.0, t)
    c *= inv
    return c


# ----------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------

# per-object coefficients evaluated by _eval_near (Vallado 2006, sgp4init near-earth part)
_NEAR_FIELDS = (
    "mo", "mdot", "argpo", "argpdot", "nodeo", "nodedot", "nodecf", "cc1", "bcc4", "t2cof",
    "omgcof", "eta", "xmcof", "delmo", "d2", "d3", "d4", "bcc5", "sinmao", "t3cof", "t4cof",
    "t5cof", "no_unkozai", "ecco", "inclo", "am0", "aycof", "xlcof", "con41", "x1mth2",
    "x7thm1", "sinio", "cosio",
)  # fmt: skip

# per-object coefficients evaluated by _eval_deep (dscom / dpper / dsinit / dspace)
_DEEP_FIELDS = (
    "mo", "mdot", "argpo", "argpdot", "nodeo", "nodedot", "nodecf", "cc1", "bcc4", "t2cof",
    "no_unkozai", "ecco", "inclo", "am0", "gsto",
    "dedt", "didt", "dmdt", "dnodt", "domdt",
    "e3", "ee2", "se2", "se3", "sgh2", "sgh3", "sgh4", "sh2", "sh3", "si2", "si3",
    "sl2", "sl3", "sl4", "xgh2", "xgh3", "xgh4", "xh2", "xh3", "xi2", "xi3",
    "xl2", "xl3", "xl4", "zmol", "zmos",
    "irez", "d2201", "d2211", "d3210", "d3222", "d4410", "d4422", "d5220", "d5232",
    "d5421", "d5433", "del1", "del2", "del3", "xfact", "xlamo",
)  # fmt: skip


class Sgp4Model:
    """Initialised SGP4/SDP4 coefficients of N objects (struct of arrays, picklable).

    Attributes
    ----------
    n : int, number of objects (``len(model)``)
    whichconst, opsmode : gravity model name and 'a' / 'i'
    grav : Gravity constants
    jdsatepoch, jdsatepochF : (N,) float64, split Julian date of each epoch (days)
    near, deep : dict name -> (K,) array for the near-earth / deep-space subsets;
        ``near["index"]`` / ``deep["index"]`` (int64) are their positions in 0..N-1.
    """

    def __init__(self, *, whichconst, opsmode, jdsatepoch, jdsatepochF, near, deep):
        self.whichconst = whichconst
        self.opsmode = opsmode
        self.grav = gravity(whichconst)
        self.jdsatepoch = jdsatepoch
        self.jdsatepochF = jdsatepochF
        self.near = near
        self.deep = deep
        self.n = int(jdsatepoch.shape[0])

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return (
            f"Sgp4Model(n={self.n}, near={self.near['index'].size}, deep={self.deep['index'].size}, "
            f"whichconst={self.whichconst!r}, opsmode={self.opsmode!r})"
        )

    @property
    def method(self) -> np.ndarray:
        """(N,) '<U1' array: 'n' near-earth (SGP4) or 'd' deep-space (SDP4), as Satrec.method."""
        m = np.full(self.n, "n")
        m[self.deep["index"]] = "d"
        return m

    def take(self, indices) -> "Sgp4Model":
        """Model of the objects ``indices`` (int array or (N,) bool mask), in that order."""
        idx = np.asarray(indices)
        if idx.dtype == bool:
            if idx.shape != (self.n,):
                raise ValueError(f"boolean mask must have shape ({self.n},), got {idx.shape}")
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64, copy=False).ravel()
        if idx.size and (idx.min() < -self.n or idx.max() >= self.n):
            raise IndexError(f"indices out of range for a model of {self.n} objects")
        idx = np.where(idx < 0, idx + self.n, idx)
        kind = np.zeros(self.n, np.int8)  # 0 near, 1 deep
        pos = np.empty(self.n, np.int64)
        kind[self.deep["index"]] = 1
        pos[self.near["index"]] = np.arange(self.near["index"].size)
        pos[self.deep["index"]] = np.arange(self.deep["index"].size)
        subsets = []
        for k, sub in ((0, self.near), (1, self.deep)):
            sel = np.flatnonzero(kind[idx] == k)
            src = pos[idx[sel]]
            new = {name: arr[src] for name, arr in sub.items() if name != "index"}
            new["index"] = sel.astype(np.int64)
            subsets.append(new)
        return Sgp4Model(
            whichconst=self.whichconst,
            opsmode=self.opsmode,
            jdsatepoch=self.jdsatepoch[idx],
            jdsatepochF=self.jdsatepochF[idx],
            near=subsets[0],
            deep=subsets[1],
        )


# ----------------------------------------------------------------------------------
# Initialisation (sgp4init, initl, dscom, dsinit)
# ----------------------------------------------------------------------------------


def sgp4init(elements, *, whichconst: str = "wgs72", opsmode: str = "i") -> Sgp4Model:
    """Initialise SGP4/SDP4 for N element sets.

    elements: mapping with (N,) float64 arrays, units as python-sgp4's Satrec stores them:
        jdsatepoch, jdsatepochF (split Julian date of epoch, days), no_kozai (rad/min),
        ecco, inclo, nodeo, argpo, mo (rad), bstar (1/earth radii); ndot and nddot
        may be present and are ignored (SGP4 does not use them).
    whichconst: 'wgs72old', 'wgs72' (default, as the TLEs are fitted) or 'wgs84'.
    opsmode: 'i' (improved) or 'a' (AFSPC).

    The epoch in days since 1949 Dec 31 0h UT is formed as
    ``(jdsatepoch + jdsatepochF) - 2433281.5``, the same operations Vallado's
    twoline2rv uses to hand it to sgp4init.
    Returns an Sgp4Model; errors are reported per evaluation by :func:`sgp4`, never here.
    """
    if opsmode not in ("a", "i"):
        raise ValueError(f"opsmode must be 'a' or 'i', got {opsmode!r}")
    g = gravity(whichconst)
    missing = [f for f in ELEMENT_FIELDS if f not in elements]
    if missing:
        raise ValueError(f"elements lack field(s) {missing}; need {ELEMENT_FIELDS}")
    el = {f: np.ascontiguousarray(elements[f], dtype=np.float64) for f in ELEMENT_FIELDS}
    n = el["jdsatepoch"].shape[0]
    bad = [f for f, a in el.items() if a.shape != (n,)]
    if bad:
        raise ValueError(f"element field(s) {bad} must be 1-D arrays of length {n} like jdsatepoch")

    with np.errstate(all="ignore"):
        near, deep = _init_arrays(el, g, opsmode)
    return Sgp4Model(
        whichconst=whichconst,
        opsmode=opsmode,
        jdsatepoch=el["jdsatepoch"].copy(),
        jdsatepochF=el["jdsatepochF"].copy(),
        near=near,
        deep=deep,
    )


def _init_arrays(el, g: Gravity, opsmode):
    """Vallado's initl + sgp4init for all objects, then dscom/dsinit for deep space."""
    xke, j2, j4, j3oj2 = g.xke, g.j2, g.j4, g.j3oj2
    re = g.radiusearthkm
    ecco, inclo, no_kozai = el["ecco"], el["inclo"], el["no_kozai"]
    argpo, mo, nodeo, bstar = el["argpo"], el["mo"], el["nodeo"], el["bstar"]
    epoch = (el["jdsatepoch"] + el["jdsatepochF"]) - 2433281.5

    # ---- initl: un-Kozai the mean motion (Hoots & Roehrich 1980, eqs. for a1, delta1, a0'')
    eccsq = ecco * ecco
    omeosq = 1.0 - eccsq
    rteosq = np.sqrt(omeosq)
    cosio = np.cos(inclo)
    cosio2 = cosio * cosio
    ak = np.power(xke / no_kozai, _X2O3)
    d1 = 0.75 * j2 * (3.0 * cosio2 - 1.0) / (rteosq * omeosq)
    del_ = d1 / (ak * ak)
    adel = ak * (1.0 - del_ * del_ - del_ * (1.0 / 3.0 + 134.0 * del_ * del_ / 81.0))
    del_ = d1 / (adel * adel)
    no_unkozai = no_kozai / (1.0 + del_)
    ao = np.power(xke / no_unkozai, _X2O3)
    sinio = np.sin(inclo)
    po = ao * omeosq
    con42 = 1.0 - 5.0 * cosio2
    con41 = -con42 - cosio2 - cosio2
    posq = po * po
    rp = ao * (1.0 - ecco)
    # sgp4fix: the C++ always uses the IAU-82 gstime here (module doc)
    gsto = gstime(epoch + 2433281.5)

    # ---- sgp4init near-earth coefficients (Vallado 2006, sgp4init; Spacetrack #3 sec. 6)
    ss = 78.0 / re + 1.0
    qzms2ttemp = (120.0 - 78.0) / re
    qzms2t = qzms2ttemp * qzms2ttemp * qzms2ttemp * qzms2ttemp
    # the whole block is skipped by Vallado when omeosq < 0 and no < 0 (all stays 0)
    valid = (omeosq >= 0.0) | (no_unkozai >= 0.0)
    isimp = rp < (220.0 / re + 1.0)  # perigee below 220 km: truncated drag terms
    perige = (rp - 1.0) * re
    # perigee below 156 km: s and qoms2t altered (Spacetrack #3 eq. for s*)
    sfour = np.where(perige < 98.0, 20.0, perige - 78.0)
    qzms24temp = (120.0 - sfour) / re
    low = perige < 156.0
    qzms24 = np.where(low, qzms24temp * qzms24temp * qzms24temp * qzms24temp, qzms2t)
    sfour = np.where(low, sfour / re + 1.0, ss)
    pinvsq = 1.0 / posq
    tsi = 1.0 / (ao - sfour)
    eta = ao * ecco * tsi
    etasq = eta * eta
    eeta = ecco * eta
    psisq = np.abs(1.0 - etasq)
    coef = qzms24 * np.power(tsi, 4.0)
    coef1 = coef / np.power(psisq, 3.5)
    cc2 = (
        coef1
        * no_unkozai
        * (
            ao * (1.0 + 1.5 * etasq + eeta * (4.0 + etasq))
            + 0.375 * j2 * tsi / psisq * con41 * (8.0 + 3.0 * etasq * (8.0 + etasq))
        )
    )
    cc1 = bstar * cc2
    ecc_ok = ecco > 1.0e-4  # sgp4fix: the 1e-4 guard on cc3 and xmcof
    cc3 = np.where(ecc_ok, -2.0 * coef * tsi * j3oj2 * no_unkozai * sinio / ecco, 0.0)
    x1mth2 = 1.0 - cosio2
    cc4 = (
        2.0
        * no_unkozai
        * coef1
        * ao
        * omeosq
        * (
            eta * (2.0 + 0.5 * etasq)
            + ecco * (0.5 + 2.0 * etasq)
            - j2
            * tsi
            / (ao * psisq)
            * (
                -3.0 * con41 * (1.0 - 2.0 * eeta + etasq * (1.5 - 0.5 * eeta))
                + 0.75 * x1mth2 * (2.0 * etasq - eeta * (1.0 + etasq)) * np.cos(2.0 * argpo)
            )
        )
    )
    cc5 = 2.0 * coef1 * ao * omeosq * (1.0 + 2.75 * (etasq + eeta) + eeta * etasq)
    cosio4 = cosio2 * cosio2
    temp1 = 1.5 * j2 * pinvsq * no_unkozai
    temp2 = 0.5 * temp1 * j2 * pinvsq
    temp3 = -0.46875 * j4 * pinvsq * pinvsq * no_unkozai
    mdot = (
        no_unkozai
        + 0.5 * temp1 * rteosq * con41
        + 0.0625 * temp2 * rteosq * (13.0 - 78.0 * cosio2 + 137.0 * cosio4)
    )
    argpdot = (
        -0.5 * temp1 * con42
        + 0.0625 * temp2 * (7.0 - 114.0 * cosio2 + 395.0 * cosio4)
        + temp3 * (3.0 - 36.0 * cosio2 + 49.0 * cosio4)
    )
    xhdot1 = -temp1 * cosio
    nodedot = xhdot1 + (0.5 * temp2 * (4.0 - 19.0 * cosio2) + 2.0 * temp3 * (3.0 - 7.0 * cosio2)) * cosio
    xpidot = argpdot + nodedot
    omgcof = bstar * cc3 * np.cos(argpo)
    xmcof = np.where(ecc_ok, -_X2O3 * coef * bstar / eeta, 0.0)
    nodecf = 3.5 * omeosq * xhdot1 * cc1
    t2cof = 1.5 * cc1
    # sgp4fix divide-by-zero guard for i = 180 deg
    den = np.where(np.abs(cosio + 1.0) > 1.5e-12, 1.0 + cosio, _TEMP4)
    xlcof = -0.25 * j3oj2 * sinio * (3.0 + 5.0 * cosio) / den
    aycof = -0.5 * j3oj2 * sinio
    delmotemp = 1.0 + eta * np.cos(mo)
    delmo = delmotemp * delmotemp * delmotemp
    sinmao = np.sin(mo)
    x7thm1 = 7.0 * cosio2 - 1.0
    # deep space when the period is 225 min or more (Spacetrack #3, SDP4)
    isdeep = valid & ((_TWOPI / no_unkozai) >= 225.0)
    isimp = isimp | isdeep

    # higher-order drag terms exist only when isimp == 0
    full = valid & ~isimp
    cc1sq = cc1 * cc1
    d2 = 4.0 * ao * tsi * cc1sq
    temp = d2 * tsi * cc1 / 3.0
    d3 = (17.0 * ao + sfour) * temp
    d4 = 0.5 * temp * ao * tsi * (221.0 * ao + 31.0 * sfour) * cc1
    t3cof = d2 + 2.0 * cc1sq
    t4cof = 0.25 * (3.0 * d3 + cc1 * (12.0 * d2 + 10.0 * cc1sq))
    t5cof = 0.2 * (3.0 * d4 + 12.0 * cc1 * d3 + 6.0 * d2 * d2 + 15.0 * cc1sq * (2.0 * d2 + cc1sq))

    def z(a, keep=valid):
        # Vallado zeroes every coefficient before the (possibly skipped) blocks
        return np.where(keep, a, 0.0)

    # in the near-earth evaluation isimp == 1 objects get zero higher-order terms, which
    # leaves mm, argpm, tempa, tempe, templ bit-identical to Vallado's skipped branch
    common = {
        "mo": mo, "mdot": z(mdot), "argpo": argpo, "argpdot": z(argpdot), "nodeo": nodeo,
        "nodedot": z(nodedot), "nodecf": z(nodecf), "cc1": z(cc1), "bcc4": bstar * z(cc4),
        "t2cof": z(t2cof), "no_unkozai": no_unkozai, "ecco": ecco, "inclo": inclo,
        "am0": np.power(xke / no_unkozai, _X2O3),
    }  # fmt: skip
    near_extra = {
        "omgcof": z(omgcof, full), "eta": z(eta, full), "xmcof": z(xmcof, full),
        "delmo": z(delmo, full), "d2": z(d2, full), "d3": z(d3, full), "d4": z(d4, full),
        "bcc5": bstar * z(cc5, full), "sinmao": z(sinmao, full), "t3cof": z(t3cof, full),
        "t4cof": z(t4cof, full), "t5cof": z(t5cof, full), "aycof": z(aycof), "xlcof": z(xlcof),
        "con41": con41, "x1mth2": z(x1mth2), "x7thm1": z(x7thm1), "sinio": sinio, "cosio": cosio,
    }  # fmt: skip

    ni = np.flatnonzero(~isdeep)
    di = np.flatnonzero(isdeep)
    near = {k: np.ascontiguousarray(common[k][ni] if k in common else near_extra[k][ni]) for k in _NEAR_FIELDS}
    near["index"] = ni.astype(np.int64)

    sub = lambda a: np.ascontiguousarray(a[di])  # noqa: E731
    ds = _init_deep(
        g,
        epoch=sub(epoch), ecco=sub(ecco), argpo=sub(argpo), inclo=sub(inclo), nodeo=sub(nodeo),
        mo=sub(mo), no=sub(no_unkozai), gsto=sub(gsto), mdot=sub(mdot), nodedot=sub(nodedot),
        xpidot=sub(xpidot), eccsq=sub(eccsq),
    )  # fmt: skip
    deep = {k: (sub(common[k]) if k in common else ds[k]) for k in _DEEP_FIELDS if k != "gsto"}
    deep["gsto"] = sub(gsto)
    deep["index"] = di.astype(np.int64)
    return near, deep


def _init_deep(g, *, epoch, ecco, argpo, inclo, nodeo, mo, no, gsto, mdot, nodedot, xpidot, eccsq):
    """dscom + dsinit of Vallado 2006 for the deep-space subset, (K,) arrays in and out.

    dpper at initialisation (init = 'y') computes the periodics but does not apply
    them (and peo, pinco, plo, pgho, pho stay 0 as set in dscom), so it leaves the
    elements unchanged and is not repeated here.
    """
    out = {}
    # ---- dscom: solar and lunar terms (Hujsak 1979 / Spacetrack #6)
    zes, zel = 0.01675, 0.05490
    c1ss, c1l = 2.9864797e-6, 4.7968065e-7
    zsinis, zcosis = 0.39785416, 0.91744867
    zcosgs, zsings = 0.1945905, -0.98088458
    nm, em = no, ecco
    snodm, cnodm = np.sin(nodeo), np.cos(nodeo)
    sinomm, cosomm = np.sin(argpo), np.cos(argpo)
    sinim, cosim = np.sin(inclo), np.cos(inclo)
    emsq = em * em
    betasq = 1.0 - emsq
    rtemsq = np.sqrt(betasq)
    day = epoch + 18261.5 + 0.0 / 1440.0  # tc = 0 at initialisation
    xnodce = np.fmod(4.5236020 - 9.2422029e-4 * day, _TWOPI)
    stem, ctem = np.sin(xnodce), np.cos(xnodce)
    zcosil = 0.91375164 - 0.03568096 * ctem
    zsinil = np.sqrt(1.0 - zcosil * zcosil)
    zsinhl = 0.089683511 * stem / zsinil
    zcoshl = np.sqrt(1.0 - zsinhl * zsinhl)
    gam = 5.8351514 + 0.0019443680 * day
    zx = 0.39785416 * stem / zsinil
    zy = zcoshl * ctem + 0.91744867 * zsinhl * stem
    zx = np.arctan2(zx, zy)
    zx = gam + zx - xnodce
    zcosgl, zsingl = np.cos(zx), np.sin(zx)

    zcosg, zsing, zcosi, zsini, zcosh, zsinh = zcosgs, zsings, zcosis, zsinis, cnodm, snodm
    cc = c1ss
    xnoi = 1.0 / nm
    res = []
    for lsflg in (1, 2):  # 1: sun, 2: moon
        a1 = zcosg * zcosh + zsing * zcosi * zsinh
        a3 = -zsing * zcosh + zcosg * zcosi * zsinh
        a7 = -zcosg * zsinh + zsing * zcosi * zcosh
        a8 = zsing * zsini
        a9 = zsing * zsinh + zcosg * zcosi * zcosh
        a10 = zcosg * zsini
        a2 = cosim * a7 + sinim * a8
        a4 = cosim * a9 + sinim * a10
        a5 = -sinim * a7 + cosim * a8
        a6 = -sinim * a9 + cosim * a10
        x1 = a1 * cosomm + a2 * sinomm
        x2 = a3 * cosomm + a4 * sinomm
        x3 = -a1 * sinomm + a2 * cosomm
        x4 = -a3 * sinomm + a4 * cosomm
        x5 = a5 * sinomm
        x6 = a6 * sinomm
        x7 = a5 * cosomm
        x8 = a6 * cosomm
        z31 = 12.0 * x1 * x1 - 3.0 * x3 * x3
        z32 = 24.0 * x1 * x2 - 6.0 * x3 * x4
        z33 = 12.0 * x2 * x2 - 3.0 * x4 * x4
        z1 = 3.0 * (a1 * a1 + a2 * a2) + z31 * emsq
        z2 = 6.0 * (a1 * a3 + a2 * a4) + z32 * emsq
        z3 = 3.0 * (a3 * a3 + a4 * a4) + z33 * emsq
        z11 = -6.0 * a1 * a5 + emsq * (-24.0 * x1 * x7 - 6.0 * x3 * x5)
        z12 = -6.0 * (a1 * a6 + a3 * a5) + emsq * (-24.0 * (x2 * x7 + x1 * x8) - 6.0 * (x3 * x6 + x4 * x5))
        z13 = -6.0 * a3 * a6 + emsq * (-24.0 * x2 * x8 - 6.0 * x4 * x6)
        z21 = 6.0 * a2 * a5 + emsq * (24.0 * x1 * x5 - 6.0 * x3 * x7)
        z22 = 6.0 * (a4 * a5 + a2 * a6) + emsq * (24.0 * (x2 * x5 + x1 * x6) - 6.0 * (x4 * x7 + x3 * x8))
        z23 = 6.0 * a4 * a6 + emsq * (24.0 * x2 * x6 - 6.0 * x4 * x8)
        z1 = z1 + z1 + betasq * z31
        z2 = z2 + z2 + betasq * z32
        z3 = z3 + z3 + betasq * z33
        s3 = cc * xnoi
        s2 = -0.5 * s3 / rtemsq
        s4 = s3 * rtemsq
        s1 = -15.0 * em * s4
        s5 = x1 * x3 + x2 * x4
        s6 = x2 * x3 + x1 * x4
        s7 = x2 * x4 - x1 * x3
        res.append(dict(
            s1=s1, s2=s2, s3=s3, s4=s4, s5=s5, s6=s6, s7=s7, z1=z1, z2=z2, z3=z3,
            z11=z11, z12=z12, z13=z13, z21=z21, z22=z22, z23=z23, z31=z31, z32=z32, z33=z33,
        ))  # fmt: skip
        zcosg, zsing, zcosi, zsini = zcosgl, zsingl, zcosil, zsinil
        zcosh = zcoshl * cnodm + zsinhl * snodm
        zsinh = snodm * zcoshl - cnodm * zsinhl
        cc = c1l
    S, L = res  # solar ("ss*", "sz*") and lunar ("s*", "z*") terms
    out["zmol"] = np.fmod(4.7199672 + 0.22997150 * day - gam, _TWOPI)
    out["zmos"] = np.fmod(6.2565837 + 0.017201977 * day, _TWOPI)
    out["se2"] = 2.0 * S["s1"] * S["s6"]
    out["se3"] = 2.0 * S["s1"] * S["s7"]
    out["si2"] = 2.0 * S["s2"] * S["z12"]
    out["si3"] = 2.0 * S["s2"] * (S["z13"] - S["z11"])
    out["sl2"] = -2.0 * S["s3"] * S["z2"]
    out["sl3"] = -2.0 * S["s3"] * (S["z3"] - S["z1"])
    out["sl4"] = -2.0 * S["s3"] * (-21.0 - 9.0 * emsq) * zes
    out["sgh2"] = 2.0 * S["s4"] * S["z32"]
    out["sgh3"] = 2.0 * S["s4"] * (S["z33"] - S["z31"])
    out["sgh4"] = -18.0 * S["s4"] * zes
    out["sh2"] = -2.0 * S["s2"] * S["z22"]
    out["sh3"] = -2.0 * S["s2"] * (S["z23"] - S["z21"])
    out["ee2"] = 2.0 * L["s1"] * L["s6"]
    out["e3"] = 2.0 * L["s1"] * L["s7"]
    out["xi2"] = 2.0 * L["s2"] * L["z12"]
    out["xi3"] = 2.0 * L["s2"] * (L["z13"] - L["z11"])
    out["xl2"] = -2.0 * L["s3"] * L["z2"]
    out["xl3"] = -2.0 * L["s3"] * (L["z3"] - L["z1"])
    out["xl4"] = -2.0 * L["s3"] * (-21.0 - 9.0 * emsq) * zel
    out["xgh2"] = 2.0 * L["s4"] * L["z32"]
    out["xgh3"] = 2.0 * L["s4"] * (L["z33"] - L["z31"])
    out["xgh4"] = -18.0 * L["s4"] * zel
    out["xh2"] = -2.0 * L["s2"] * L["z22"]
    out["xh3"] = -2.0 * L["s2"] * (L["z23"] - L["z21"])

    # ---- dsinit: secular rates and resonance coefficients (Spacetrack #3, SDP4 DEEP)
    q22, q31, q33 = 1.7891679e-6, 2.1460748e-6, 2.2123015e-7
    root22, root44, root54 = 1.7891679e-6, 7.3636953e-9, 2.1765803e-9
    root32, root52 = 3.7393792e-7, 1.1428639e-7
    rptim = 4.37526908801129966e-3  # earth rotation, rad/min
    znl, zns = 1.5835218e-4, 1.19459e-5
    irez = np.zeros(nm.shape, np.int8)
    irez[(0.0034906585 < nm) & (nm < 0.0052359877)] = 1  # 24 h (geosynchronous)
    irez[(8.26e-3 <= nm) & (nm <= 9.24e-3) & (em >= 0.5)] = 2  # 12 h (Molniya)
    ses = S["s1"] * zns * S["s5"]
    sis = S["s2"] * zns * (S["z11"] + S["z13"])
    sls = -zns * S["s3"] * (S["z1"] + S["z3"] - 14.0 - 6.0 * emsq)
    sghs = S["s4"] * zns * (S["z31"] + S["z33"] - 6.0)
    shs = -zns * S["s2"] * (S["z21"] + S["z23"])
    polar_guard = (inclo < 5.2359877e-2) | (inclo > math.pi - 5.2359877e-2)  # i < 3 deg or > 177 deg
    shs = np.where(polar_guard, 0.0, shs)
    nz = sinim != 0.0
    shs = np.where(nz, shs / sinim, shs)
    sgs = sghs - cosim * shs
    out["dedt"] = ses + L["s1"] * znl * L["s5"]
    out["didt"] = sis + L["s2"] * znl * (L["z11"] + L["z13"])
    out["dmdt"] = sls - znl * L["s3"] * (L["z1"] + L["z3"] - 14.0 - 6.0 * emsq)
    sghl = L["s4"] * znl * (L["z31"] + L["z33"] - 6.0)
    shll = -znl * L["s2"] * (L["z21"] + L["z23"])
    shll = np.where(polar_guard, 0.0, shll)
    domdt = sgs + sghl
    dnodt = shs
    domdt = np.where(nz, domdt - cosim / sinim * shll, domdt)
    dnodt = np.where(nz, dnodt + shll / sinim, dnodt)
    out["domdt"], out["dnodt"] = domdt, dnodt
    theta = np.fmod(gsto + 0.0 * rptim, _TWOPI)  # tc = 0

    aonv = np.power(nm / g.xke, _X2O3)
    # 12 h resonance (irez == 2): uses the epoch eccentricity (Vallado 2006, dsinit)
    cosisq = cosim * cosim
    em2, emsq2 = ecco, eccsq
    eoc = em2 * emsq2
    w = np.where
    g201 = -0.306 - (em2 - 0.64) * 0.440
    lo = em2 <= 0.65
    g211 = w(lo, 3.616 - 13.2470 * em2 + 16.2900 * emsq2,
             -72.099 + 331.819 * em2 - 508.738 * emsq2 + 266.724 * eoc)
    g310 = w(lo, -19.302 + 117.3900 * em2 - 228.4190 * emsq2 + 156.5910 * eoc,
             -346.844 + 1582.851 * em2 - 2415.925 * emsq2 + 1246.113 * eoc)
    g322 = w(lo, -18.9068 + 109.7927 * em2 - 214.6334 * emsq2 + 146.5816 * eoc,
             -342.585 + 1554.908 * em2 - 2366.899 * emsq2 + 1215.972 * eoc)
    g410 = w(lo, -41.122 + 242.6940 * em2 - 471.0940 * emsq2 + 313.9530 * eoc,
             -1052.797 + 4758.686 * em2 - 7193.992 * emsq2 + 3651.957 * eoc)
    g422 = w(lo, -146.407 + 841.8800 * em2 - 1629.014 * emsq2 + 1083.4350 * eoc,
             -3581.690 + 16178.110 * em2 - 24462.770 * emsq2 + 12422.520 * eoc)
    g520 = w(lo, -532.114 + 3017.977 * em2 - 5740.032 * emsq2 + 3708.2760 * eoc,
             w(em2 > 0.715, -5149.66 + 29936.92 * em2 - 54087.36 * emsq2 + 31324.56 * eoc,
               1464.74 - 4664.75 * em2 + 3763.64 * emsq2))
    lo7 = em2 < 0.7
    g533 = w(lo7, -919.22770 + 4988.6100 * em2 - 9064.7700 * emsq2 + 5542.21 * eoc,
             -37995.780 + 161616.52 * em2 - 229838.20 * emsq2 + 109377.94 * eoc)
    g521 = w(lo7, -822.71072 + 4568.6173 * em2 - 8491.4146 * emsq2 + 5337.524 * eoc,
             -51752.104 + 218913.95 * em2 - 309468.16 * emsq2 + 146349.42 * eoc)
    g532 = w(lo7, -853.66600 + 4690.2500 * em2 - 8624.7700 * emsq2 + 5341.4 * eoc,
             -40023.880 + 170470.89 * em2 - 242699.48 * emsq2 + 115605.82 * eoc)  # fmt: skip
    sini2 = sinim * sinim
    f220 = 0.75 * (1.0 + 2.0 * cosim + cosisq)
    f221 = 1.5 * sini2
    f321 = 1.875 * sinim * (1.0 - 2.0 * cosim - 3.0 * cosisq)
    f322 = -1.875 * sinim * (1.0 + 2.0 * cosim - 3.0 * cosisq)
    f441 = 35.0 * sini2 * f220
    f442 = 39.3750 * sini2 * sini2
    f522 = 9.84375 * sinim * (
        sini2 * (1.0 - 2.0 * cosim - 5.0 * cosisq) + 0.33333333 * (-2.0 + 4.0 * cosim + 6.0 * cosisq)
    )
    f523 = sinim * (
        4.92187512 * sini2 * (-2.0 - 4.0 * cosim + 10.0 * cosisq) + 6.56250012 * (1.0 + 2.0 * cosim - 3.0 * cosisq)
    )
    f542 = 29.53125 * sinim * (2.0 - 8.0 * cosim + cosisq * (-12.0 + 8.0 * cosim + 10.0 * cosisq))
    f543 = 29.53125 * sinim * (-2.0 - 8.0 * cosim + cosisq * (12.0 + 8.0 * cosim - 10.0 * cosisq))
    xno2 = nm * nm
    ainv2 = aonv * aonv
    temp1 = 3.0 * xno2 * ainv2
    temp = temp1 * root22
    d2201 = temp * f220 * g201
    d2211 = temp * f221 * g211
    temp1 = temp1 * aonv
    temp = temp1 * root32
    d3210 = temp * f321 * g310
    d3222 = temp * f322 * g322
    temp1 = temp1 * aonv
    temp = 2.0 * temp1 * root44
    d4410 = temp * f441 * g410
    d4422 = temp * f442 * g422
    temp1 = temp1 * aonv
    temp = temp1 * root52
    d5220 = temp * f522 * g520
    d5232 = temp * f523 * g532
    temp = 2.0 * temp1 * root54
    d5421 = temp * f542 * g521
    d5433 = temp * f543 * g533
    xlamo2 = np.fmod(mo + nodeo + nodeo - theta - theta, _TWOPI)
    xfact2 = mdot + out["dmdt"] + 2.0 * (nodedot + dnodt - rptim) - no

    # 24 h resonance (irez == 1)
    g200 = 1.0 + emsq * (-2.5 + 0.8125 * emsq)
    g310_1 = 1.0 + 2.0 * emsq
    g300 = 1.0 + emsq * (-6.0 + 6.60937 * emsq)
    f220_1 = 0.75 * (1.0 + cosim) * (1.0 + cosim)
    f311 = 0.9375 * sinim * sinim * (1.0 + 3.0 * cosim) - 0.75 * (1.0 + cosim)
    f330 = 1.0 + cosim
    f330 = 1.875 * f330 * f330 * f330
    del1 = 3.0 * nm * nm * aonv * aonv
    del2 = 2.0 * del1 * f220_1 * g200 * q22
    del3 = 3.0 * del1 * f330 * g300 * q33 * aonv
    del1 = del1 * f311 * g310_1 * q31 * aonv
    xlamo1 = np.fmod(mo + nodeo + argpo - theta, _TWOPI)
    xfact1 = mdot + xpidot - rptim + out["dmdt"] + domdt + dnodt - no

    r1, r2 = irez == 1, irez == 2
    zero = np.zeros_like(nm)
    for name, val in (
        ("d2201", d2201), ("d2211", d2211), ("d3210", d3210), ("d3222", d3222),
        ("d4410", d4410), ("d4422", d4422), ("d5220", d5220), ("d5232", d5232),
        ("d5421", d5421), ("d5433", d5433),
    ):  # fmt: skip
        out[name] = np.where(r2, val, zero)
    out["del1"] = np.where(r1, del1, zero)
    out["del2"] = np.where(r1, del2, zero)
    out["del3"] = np.where(r1, del3, zero)
    out["xlamo"] = np.where(r1, xlamo1, np.where(r2, xlamo2, zero))
    out["xfact"] = np.where(r1, xfact1, np.where(r2, xfact2, zero))
    out["irez"] = irez
    return {k: np.ascontiguousarray(v) for k, v in out.items()}


# ----------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------


def tsince_minutes(model: Sgp4Model, jd, fr) -> np.ndarray:
    """Minutes since each object's epoch: (N, M) float64.

    jd, fr: (M,) or (N, M) split Julian dates (days). Same operations as python-sgp4's
    C++ wrapper: ``(jd - jdsatepoch) * 1440 + (fr - jdsatepochF) * 1440``.
    """
    jd = np.asarray(jd, dtype=np.float64)
    fr = np.asarray(fr, dtype=np.float64)
    if jd.shape != fr.shape:
        raise ValueError(f"jd and fr must have the same shape, got {jd.shape} and {fr.shape}")
    if jd.ndim == 0:
        jd, fr = jd[None], fr[None]
    if jd.ndim == 1:
        jd, fr = jd[None, :], fr[None, :]
    elif jd.ndim != 2 or jd.shape[0] != model.n:
        raise ValueError(f"jd and fr must be (M,) or ({model.n}, M), got {jd.shape}")
    e0 = model.jdsatepoch[:, None]
    f0 = model.jdsatepochF[:, None]
    # the same operations in place: two (N, M) allocations instead of five
    out = np.subtract(jd, e0)
    out *= 1440.0
    dfr = np.subtract(fr, f0)
    dfr *= 1440.0
    out += dfr
    return out


def sgp4(model: Sgp4Model, tsince, *, out=None, threads: int | None = None):
    """Propagate every object to ``tsince`` minutes after its epoch.

    tsince: (N, M) or (M,) float64, minutes since each object's epoch.
    out: optional (e, r, v) of C-contiguous arrays, e (N, M) uint8, r and v (N, M, 3)
        float64, to be filled and returned.
    threads: worker threads for the blocks of objects (None: every usable core, or
        $DEBRIS_ENGINE_THREADS; engine._parallel). The blocks are the same for any thread
        count and each writes its own rows, so the results are bit-identical to one thread.
    Returns e: (N, M) uint8 error codes (engine.errors; 0 ok), r: (N, M, 3) float64 km,
    v: (N, M, 3) float64 km/s, TEME. As python-sgp4's SatrecArray.sgp4: r and v are NaN
    for codes 1-5; code 6 (decayed) keeps the computed values; the first error wins.
    """
    t = np.asarray(tsince, dtype=np.float64)
    n = model.n
    if t.ndim == 1:
        t = np.broadcast_to(t[None, :], (n, t.shape[0]))
    elif t.ndim != 2 or t.shape[0] != n:
        raise ValueError(f"tsince must be (M,) or ({n}, M) float64 minutes, got shape {t.shape}")
    m = t.shape[1]
    if out is None:
        e = np.empty((n, m), np.uint8)
        r = np.empty((n, m, 3), np.float64)
        v = np.empty((n, m, 3), np.float64)
    else:
        e, r, v = out
        problems = []
        for name, arr, shape, dt in (("e", e, (n, m), np.uint8), ("r", r, (n, m, 3), np.float64),
                                     ("v", v, (n, m, 3), np.float64)):  # fmt: skip
            if not isinstance(arr, np.ndarray) or arr.shape != shape or arr.dtype != dt:
                problems.append(f"{name} must be a {np.dtype(dt).name} ndarray of shape {shape}")
            elif not arr.flags.c_contiguous or not arr.flags.writeable:
                problems.append(f"{name} must be C-contiguous and writeable")
        if problems:
            raise ValueError("bad out= buffers: " + "; ".join(problems))
    threads = _parallel.resolve_threads(threads, "cores")
    if n == 0 or m == 0:
        return e, r, v
    _run_subset(model, model.near, t, e, r, v, _eval_near, int(threads))
    if model.deep["index"].size:
        _run_subset(model, model.deep, t, e, r, v, _eval_deep, int(threads))
    return e, r, v


# ----------------------------------------------------------------------------------
# The interface engine.sgp4 dispatches to (the same names and parameters as the kernel
# launcher engine/sgp4/_cuda.py, so that engine.sgp4 never branches on the backend)
# ----------------------------------------------------------------------------------


def _float64_only(dtype) -> None:
    if dtype is not None and np.dtype(dtype) != np.float64:
        raise ValueError(
            f"dtype={np.dtype(dtype)}: the NumPy backend computes in float64 only (float32 is the CUDA "
            "kernels' mixed-precision mode): drop dtype or use backend='cuda' (or 'host')"
        )


def init(elements, whichconst="wgs72", opsmode: str = "i", dtype=np.float64,
         backend: str = "numpy") -> Sgp4Model:
    """Initialise SGP4/SDP4 for N element sets: :func:`sgp4init` behind the launcher's signature.

    Parameters
    ----------
    elements : mapping of str to (N,) float64 arrays
        Satrec names and units, as :func:`sgp4init` takes them.
    whichconst : {"wgs72", "wgs72old", "wgs84"}
        Gravity model (engine.constants.SGP4_GRAVITY).
    opsmode : {"i", "a"}
        Improved or AFSPC mode.
    dtype : numpy.float64
        The only precision of this backend; anything else raises.
    backend : "numpy"
        This backend (the parameter exists so that both implementations take the same call).

    Returns
    -------
    Sgp4Model

    Raises
    ------
    ValueError
        For float32 (the CUDA kernels' mode), another backend, a bad gravity model,
        opsmode or element field.
    """
    _float64_only(dtype)
    if backend != "numpy":
        raise ValueError(f"engine.sgp4._numpy serves backend 'numpy', not {backend!r}")
    return sgp4init(elements, whichconst=whichconst, opsmode=opsmode)


def propagate(model: Sgp4Model, tsince=None, *, jd=None, fr=None, out=None, dtype=None,
              threads: int | None = None):
    """Propagate every object of ``model``: :func:`sgp4` behind the launcher's signature.

    Parameters
    ----------
    model : Sgp4Model
        From :func:`init`.
    tsince : (M,) or (N, M) float64, optional
        Minutes since each object's epoch; or give ``jd`` and ``fr`` instead.
    jd, fr : (M,) or (N, M) float64, optional
        Split Julian dates (days, UTC); tsince is formed by :func:`tsince_minutes`.
    out : tuple of ndarray, optional
        ``(e, r, v)`` buffers to fill, as :func:`sgp4` takes them.
    dtype : None or numpy.float64
        The only precision of this backend.
    threads : int, optional
        Worker threads (None: every usable core, or $DEBRIS_ENGINE_THREADS); results
        are bit-identical for any count.

    Returns
    -------
    e : (N, M) uint8
        Error codes (engine.errors; 0 ok).
    r : (N, M, 3) float64
        Position, km, TEME.
    v : (N, M, 3) float64
        Velocity, km/s, TEME.

    Raises
    ------
    ValueError
        For neither or both of tsince and jd, jd without fr, float32, bad shapes or bad
        out= buffers.
    """
    _float64_only(dtype)
    if (tsince is None) == (jd is None):
        raise ValueError("give either tsince= (minutes since epoch) or jd= and fr=")
    if jd is not None:
        if fr is None:
            raise ValueError("jd= needs fr= (split Julian date, as python-sgp4 takes it)")
        tsince = tsince_minutes(model, jd, fr)
    return sgp4(model, tsince, out=out, threads=threads)


def _run_subset(model, sub, t, e, r, v, evaluate, nthreads: int = 1):
    """Evaluate one subset in blocks of rows x columns, writing into the outputs.

    When a block's objects are consecutive rows of the output (always for an all
    near-earth or all deep-space catalog), the kernel writes straight into views of
    e, r and v: no per-block result arrays and no copy. Otherwise it fills scratch
    buffers (one set per group of rows, so threads never share them) that are scattered
    to the rows afterwards. Groups of rows run on `nthreads` threads: NumPy releases
    the GIL inside each ufunc over a block (_BLOCK pairs), and the groups write disjoint
    rows, so the thread count changes neither the blocks nor any result bit.
    """
    idx = sub["index"]
    k = idx.size
    if k == 0:
        return
    m = t.shape[1]
    cols = min(m, _BLOCK)
    rows = max(1, _BLOCK // cols)

    def work(i0):
        i1 = min(k, i0 + rows)
        g = idx[i0:i1]
        # contiguous global rows let us use slices (views) instead of fancy indexing
        gsel = slice(int(g[0]), int(g[-1]) + 1) if int(g[-1]) - int(g[0]) == i1 - i0 - 1 else g
        coeffs = {name: a[i0:i1, None] for name, a in sub.items() if name != "index"}
        scratch = None
        # errstate is thread-local in NumPy (a context variable): set it in the worker
        with np.errstate(all="ignore"):
            for j0 in range(0, m, cols):
                j1 = min(m, j0 + cols)
                tb = np.ascontiguousarray(t[gsel, j0:j1])
                if isinstance(gsel, slice):
                    evaluate(model, coeffs, tb, (e[gsel, j0:j1], r[gsel, j0:j1], v[gsel, j0:j1]))
                    continue
                if scratch is None:
                    scratch = (np.empty((rows, cols), np.uint8), np.empty((rows, cols, 3)),
                               np.empty((rows, cols, 3)))  # fmt: skip
                eb, rb, vb = (x[: i1 - i0, : j1 - j0] for x in scratch)
                evaluate(model, coeffs, tb, (eb, rb, vb))
                e[gsel, j0:j1] = eb
                r[gsel, j0:j1, :] = rb
                v[gsel, j0:j1, :] = vb

    _parallel.run_blocks(range(0, k, rows), work, nthreads)


def _eval_near(model, c, t, out):
    """SGP4 (near-earth) for a block: c: coefficient (rows, 1) arrays; t: (rows, cols) min.

    out: (e, r, v) views of shapes (rows, cols), (rows, cols, 3), (rows, cols, 3) to fill.
    """
    grav = model.grav
    nm, am, em, argpm, nodem, mm, bad_nm, bad_em = _secular_near(grav, c, t)
    # near-earth orbits (period < 225 min, perigee above the surface) have ep < ~0.5,
    # far from the ep -> 1 cancellation that makes _eval_deep use libm here
    _finish(
        grav, out, nm=nm, am=am, ep=em, argpp=argpm, sincos_argpp=_sincos(argpm), nodep=nodem, mp=mm,
        xincp=c["inclo"],
        sinip=c["sinio"], cosip=c["cosio"], aycof=c["aycof"], xlcof=c["xlcof"], con41=c["con41"],
        x1mth2=c["x1mth2"], x7thm1=c["x7thm1"], bad_nm=bad_nm, bad_em=bad_em, bad_ep=None,
    )  # fmt: skip


def _secular_near(grav, c, t):
    """Secular gravity and drag of SGP4 for a block: nm, am, em, argpm, nodem, mm, bad_nm, bad_em.

    A function of its own so that its ~20 intermediate (rows, cols) arrays are freed
    before _finish runs, which keeps the block's working set small (cache-resident).
    """
    # ---- secular gravity and atmospheric drag (Vallado 2006, sgp4; Spacetrack #3 sec. 6)
    # Updated in place (a * b == b * a and a + b == b + a exactly; every chain keeps the
    # C++ left-to-right order), so results are bit-identical to the plain expressions
    # while the block holds ~10 arrays instead of ~25. The C++ form is in each comment.
    t2 = t * t
    xmdf = c["mdot"] * t
    xmdf += c["mo"]  # xmdf = mo + mdot * t
    argpm = c["argpdot"] * t
    argpm += c["argpo"]  # argpdf = argpo + argpdot * t
    nodem = c["nodedot"] * t
    nodem += c["nodeo"]
    tmp = c["nodecf"] * t2
    nodem += tmp  # nodem = (nodeo + nodedot * t) + nodecf * t2
    tempa = c["cc1"] * t
    np.subtract(1.0, tempa, out=tempa)  # tempa = 1 - cc1 * t
    tempe = c["bcc4"] * t
    templ = c["t2cof"] * t2
    # higher-order drag (isimp == 0); zero coefficients for isimp == 1 leave values unchanged
    delmtemp = _cos_of(*_tan_half(xmdf))  # unreduced, as Vallado's cos(xmdf)
    delmtemp *= c["eta"]
    delmtemp += 1.0  # delmtemp = 1 + eta * cos(xmdf)
    delm = delmtemp * delmtemp
    delm *= delmtemp
    delm -= c["delmo"]
    delm *= c["xmcof"]  # delm = xmcof * (delmtemp^3 - delmo)
    temp = c["omgcof"] * t
    temp += delm  # temp = delomg + delm
    del delmtemp, delm
    mm = xmdf
    mm += temp  # mm = xmdf + temp
    argpm -= temp  # argpm = argpdf - temp
    del temp
    t3 = t2 * t
    np.multiply(c["d2"], t2, out=tmp)
    tempa -= tmp
    np.multiply(c["d3"], t3, out=tmp)
    tempa -= tmp
    t4 = t3 * t
    np.multiply(c["d4"], t4, out=tmp)
    tempa -= tmp  # tempa = tempa - d2 * t2 - d3 * t3 - d4 * t4
    sinmm = _sin_of(*_tan_half(mm))
    sinmm -= c["sinmao"]
    sinmm *= c["bcc5"]
    tempe += sinmm  # tempe = tempe + bcc5 * (sin(mm) - sinmao)
    del sinmm
    np.multiply(c["t3cof"], t3, out=tmp)
    templ += tmp
    np.multiply(t, c["t5cof"], out=tmp)
    tmp += c["t4cof"]
    tmp *= t4
    templ += tmp  # templ = templ + t3cof * t3 + t4 * (t4cof + t * t5cof)
    del t2, t3, t4, tmp

    nm = c["no_unkozai"]
    bad_nm = np.broadcast_to(nm <= 0.0, t.shape)
    am = c["am0"] * tempa
    am *= tempa  # am = am0 * tempa * tempa; am0 = pow(xke / no_unkozai, 2/3), per object
    nm = np.sqrt(am)
    nm *= am
    np.divide(grav.xke, nm, out=nm)  # xke / (am * sqrt(am)): sqrt is faster than pow, within 1 ulp
    em = np.subtract(c["ecco"], tempe, out=tempe)  # em = ecco - tempe
    bad_em = (em >= 1.0) | (em < -0.001)
    np.maximum(em, 1.0e-6, out=em, where=em < 1.0e-6)  # sgp4fix: avoid divide by zero
    templ *= c["no_unkozai"]
    mm += templ  # mm = mm + no_unkozai * templ
    xlm = mm + argpm
    xlm += nodem  # xlm = mm + argpm + nodem
    # Vallado's fmod reductions; _rem2pi differs from fmod by ~1 ulp of the result
    nodem = _rem2pi(nodem)
    argpm = _rem2pi(argpm)
    xlm = _rem2pi(xlm)
    mm = _rem2pi(xlm - argpm - nodem)
    return nm, am, em, argpm, nodem, mm, bad_nm, bad_em


def _finish(grav, out, *, nm, am, ep, argpp, sincos_argpp, nodep, mp, xincp, sinip, cosip, aycof, xlcof,
            con41, x1mth2, x7thm1, bad_nm, bad_em, bad_ep):  # fmt: skip
    """Long-period periodics, Kepler solve, short-period periodics, r and v (Vallado 2006, sgp4).

    Every argument is an array broadcastable to (rows, cols); sincos_argpp is
    (sin(argpp), cos(argpp)). Fills out = (e, r, v):
    e (rows, cols) uint8, r and v (rows, cols, 3) float64 in km and km/s (views allowed).
    """
    e, r, v = out
    shape = e.shape
    # ---- long-period periodics (Spacetrack #3 sec. 6, Lyddane-free form)
    sinargp, cosargp = sincos_argpp
    axnl = ep * cosargp
    temp = 1.0 / (am * (1.0 - ep * ep))
    aynl = ep * sinargp + temp * aycof
    xl = mp + argpp + nodep + temp * xlcof * axnl

    # ---- Kepler's equation for E + omega (sgp4fix: 10 iterations, step clamped at 0.95)
    u = _rem2pi(xl - nodep)
    del xl, temp
    u, axnl, aynl = np.broadcast_arrays(u, axnl, aynl)
    sineo1, coseo1 = _kepler(u.ravel(), axnl.ravel(), aynl.ravel())
    sineo1 = sineo1.reshape(shape)
    coseo1 = coseo1.reshape(shape)

    mrt, mvt, rvdot, su, xnode, xinc, bad_pl = _short_period(
        grav, nm, am, axnl, aynl, sineo1, coseo1, nodep, xincp, sinip, cosip, con41, x1mth2, x7thm1
    )
    del u, axnl, aynl, sineo1, coseo1  # dead from here: free them for what follows

    # ---- orientation vectors
    sinsu, cossu = _sincos(su)
    snod, cnod = _sincos(xnode)
    sini, cosi = _sincos(xinc)
    xmx = -snod * cosi
    xmy = cnod * cosi
    vk = grav.radiusearthkm * grav.xke / 60.0
    re = grav.radiusearthkm
    ux = xmx * sinsu + cnod * cossu
    uy = xmy * sinsu + snod * cossu
    uz = sini * sinsu
    vx = xmx * cossu - cnod * sinsu
    vy = xmy * cossu - snod * sinsu
    vz = sini * cossu
    # components go straight into the (strided) output views, in Vallado's operation order
    mrt_re = mrt * re
    for k, uk, vk_ in ((0, ux, vx), (1, uy, vy), (2, uz, vz)):
        np.multiply(mrt_re, uk, out=r[..., k])
        vel = np.multiply(mvt, uk, out=uk)
        vel += rvdot * vk_
        np.multiply(vel, vk, out=v[..., k])

    # ---- error codes: Vallado returns at the first failed check, in this order:
    # nm <= 0 (2), em out of range (1), [deep] ep out of range (3), pl < 0 (4), mrt < 1 (6)
    # (later codes overwrite earlier ones; all-good blocks only pay for the any() checks)
    np.multiply(mrt < 1.0, np.uint8(DECAYED), out=e)
    nanm = None  # union of the codes 1-5, which get NaN r and v
    for bad, code in ((bad_pl, SEMI_LATUS), (bad_ep, PERT_ECC), (bad_em, MEAN_ECC), (bad_nm, MEAN_MOTION)):
        if bad is not None and bad.any():
            np.copyto(e, np.uint8(code), where=bad)
            nanm = bad if nanm is None else nanm | bad
    if nanm is not None:
        r[nanm] = np.nan
        v[nanm] = np.nan


def _short_period(grav, nm, am, axnl, aynl, sineo1, coseo1, nodep, xincp, sinip, cosip, con41, x1mth2, x7thm1):
    """Short-period periodics after the Kepler solve (Vallado 2006, sgp4).

    Returns mrt, mvt, rvdot, su (argument of latitude), xnode, xinc and bad_pl (pl < 0);
    a function of its own so that its ~25 intermediates are freed on return.
    """
    # ---- short-period preliminary quantities
    ecose = axnl * coseo1 + aynl * sineo1
    esine = axnl * sineo1 - aynl * coseo1
    el2 = axnl * axnl + aynl * aynl
    pl = am * (1.0 - el2)
    bad_pl = pl < 0.0
    rl = am * (1.0 - ecose)
    rdotl = np.sqrt(am) * esine / rl
    rvdotl = np.sqrt(pl) / rl
    betal = np.sqrt(1.0 - el2)
    temp = esine / (1.0 + betal)
    amrl = am / rl
    sinu = amrl * (sineo1 - aynl - axnl * temp)
    cosu = amrl * (coseo1 - axnl + aynl * temp)
    sin2u = (cosu + cosu) * sinu
    cos2u = 1.0 - 2.0 * sinu * sinu
    temp = 1.0 / pl
    temp1 = 0.5 * grav.j2 * temp
    temp2 = temp1 * temp

    # ---- short-period periodics (Brouwer; Spacetrack #3 sec. 6)
    # common left-to-right prefixes are computed once: bit-identical to the C++ expressions
    c15 = 1.5 * temp2
    c15cos = c15 * cosip
    nmt1 = nm * temp1
    mrt = rl * (1.0 - c15 * betal * con41) + 0.5 * temp1 * x1mth2 * cos2u
    dsu = -0.25 * temp2 * x7thm1 * sin2u  # su = atan2(sinu, cosu) + dsu
    xnode = nodep + c15cos * sin2u
    dinc = c15cos * sinip * cos2u  # xinc = xincp + dinc
    mvt = rdotl - nmt1 * x1mth2 * sin2u / grav.xke
    rvdot = rvdotl + nmt1 * (x1mth2 * cos2u + 1.5 * con41) / grav.xke
    su = np.arctan2(sinu, cosu) + dsu
    return mrt, mvt, rvdot, su, xnode, xincp + dinc, bad_pl


def _kepler(u, axnl, aynl):
    """Solve u = E + axnl sin E - aynl cos E (E = eccentric longitude) as Vallado's loop.

    Flat (K,) arrays in; returns sin and cos of the last iterate *at which the loop
    evaluated them* (Vallado uses those, not of the final update). Each element stops
    after the step where |delta| < 1e-12, or after 10 evaluations.

    Near-circular orbits all converge within the same 3-4 steps, so the loop runs on the
    whole block and freezes converged elements with a mask (cheaper than gathering and
    scattering 8 arrays per step); once fewer than a quarter are left (high
    eccentricity), the stragglers are compacted and iterated alone.
    """
    eo1 = u
    sineo1, coseo1 = _sincos(eo1)
    tem5 = _newton_step(u, eo1, sineo1, coseo1, axnl, aynl)
    act = np.abs(tem5) >= 1.0e-12
    ktr = 1  # evaluations done
    # phase 1: full arrays, converged elements masked
    while ktr < 10 and 4 * np.count_nonzero(act) >= act.size:
        eo1 = eo1 + tem5
        s, c = _sincos(eo1)
        np.copyto(sineo1, s, where=act)
        np.copyto(coseo1, c, where=act)
        tem5 = _newton_step(u, eo1, s, c, axnl, aynl)
        act &= np.abs(tem5) >= 1.0e-12
        ktr += 1
    # phase 2: the few unconverged elements, compacted
    idx = np.flatnonzero(act)
    if ktr < 10 and idx.size:
        e = eo1[idx] + tem5[idx]
        uu, ax, ay = u[idx], axnl[idx], aynl[idx]
        while True:
            s, c = _sincos(e)
            sineo1[idx] = s
            coseo1[idx] = c
            d = _newton_step(uu, e, s, c, ax, ay)
            ktr += 1
            keep = np.abs(d) >= 1.0e-12
            if ktr >= 10 or not keep.any():
                break
            if not keep.all():
                idx, e, d, uu, ax, ay = (x[keep] for x in (idx, e, d, uu, ax, ay))
            e = e + d
    return sineo1, coseo1


def _newton_step(u, eo1, sineo1, coseo1, axnl, aynl):
    """Vallado's Newton step for Kepler's equation, clamped at +-0.95 rad (sgp4fix)."""
    tem5 = (u - aynl * coseo1 + axnl * sineo1 - eo1) / (1.0 - coseo1 * axnl - sineo1 * aynl)
    return np.clip(tem5, -0.95, 0.95, out=tem5)


def _eval_deep(model, c, t, out):
    """SDP4 (deep space) for a block: c: coefficient (rows, 1) arrays; t: (rows, cols) min; out as _eval_near."""
    grav = model.grav
    opsmode_a = model.opsmode == "a"
    xmdf = c["mo"] + c["mdot"] * t
    argpm = c["argpo"] + c["argpdot"] * t
    nodedf = c["nodeo"] + c["nodedot"] * t
    t2 = t * t
    nodem = nodedf + c["nodecf"] * t2
    tempa = 1.0 - c["cc1"] * t
    tempe = c["bcc4"] * t
    templ = c["t2cof"] * t2
    no = c["no_unkozai"]

    # ---- dspace: lunar-solar secular rates and resonance (Vallado 2006, dspace)
    rptim = 4.37526908801129966e-3
    theta = np.fmod(c["gsto"] + t * rptim, _TWOPI)
    em = c["ecco"] + c["dedt"] * t
    inclm = c["inclo"] + c["didt"] * t
    argpm = argpm + c["domdt"] * t
    nodem = nodem + c["dnodt"] * t
    mm = xmdf + c["dmdt"] * t
    nm = np.broadcast_to(no, t.shape)
    irez = c["irez"]
    if np.any(irez != 0):
        nm_r, xl = _resonance(c, t)
        res = np.broadcast_to(irez != 0, t.shape)
        mm_r = np.where(irez == 2, xl - 2.0 * nodem + 2.0 * theta, xl - nodem - argpm + theta)
        nm_r = no + (nm_r - no)  # dndt = nm - no; nm = no + dndt
        mm = np.where(res, mm_r, mm)
        nm = np.where(res, nm_r, nm)

    bad_nm = nm <= 0.0
    am = np.power(grav.xke / nm, _X2O3) * tempa * tempa
    nm = grav.xke / (am * np.sqrt(am))
    em = em - tempe
    bad_em = (em >= 1.0) | (em < -0.001)
    np.maximum(em, 1.0e-6, out=em, where=em < 1.0e-6)
    mm = mm + no * templ
    xlm = mm + argpm + nodem
    nodem = np.fmod(nodem, _TWOPI)
    argpm = np.fmod(argpm, _TWOPI)
    xlm = np.fmod(xlm, _TWOPI)
    mm = np.fmod(xlm - argpm - nodem, _TWOPI)

    # ---- dpper: lunar-solar periodics (init = 'n'; peo..pho are 0, see _init_deep)
    zns, zes, znl, zel = 1.19459e-5, 0.01675, 1.5835218e-4, 0.05490
    zm = c["zmos"] + zns * t
    zf = zm + 2.0 * zes * np.sin(zm)
    sinzf = np.sin(zf)
    f2 = 0.5 * sinzf * sinzf - 0.25
    f3 = -0.5 * sinzf * np.cos(zf)
    ses = c["se2"] * f2 + c["se3"] * f3
    sis = c["si2"] * f2 + c["si3"] * f3
    sls = c["sl2"] * f2 + c["sl3"] * f3 + c["sl4"] * sinzf
    sghs = c["sgh2"] * f2 + c["sgh3"] * f3 + c["sgh4"] * sinzf
    shs = c["sh2"] * f2 + c["sh3"] * f3
    zm = c["zmol"] + znl * t
    zf = zm + 2.0 * zel * np.sin(zm)
    sinzf = np.sin(zf)
    f2 = 0.5 * sinzf * sinzf - 0.25
    f3 = -0.5 * sinzf * np.cos(zf)
    sel = c["ee2"] * f2 + c["e3"] * f3
    sil = c["xi2"] * f2 + c["xi3"] * f3
    sll = c["xl2"] * f2 + c["xl3"] * f3 + c["xl4"] * sinzf
    sghl = c["xgh2"] * f2 + c["xgh3"] * f3 + c["xgh4"] * sinzf
    shll = c["xh2"] * f2 + c["xh3"] * f3
    pe = ses + sel
    pinc = sis + sil
    pl = sls + sll
    pgh = sghs + sghl
    ph = shs + shll
    inclp = inclm + pinc
    ep = em + pe
    sinip = np.sin(inclp)
    cosip = np.cos(inclp)
    # direct application for i >= 0.2 rad; Lyddane's modification below it
    # (sgp4fix: test on the perturbed inclination, the GSFC choice)
    phs = ph / sinip
    pgh_d = pgh - cosip * phs
    argpp_d = argpm + pgh_d
    nodep_d = nodem + phs
    mp = mm + pl
    sinop = np.sin(nodem)
    cosop = np.cos(nodem)
    alfdp = sinip * sinop + (ph * cosop + pinc * cosip * sinop)
    betdp = sinip * cosop + (-ph * sinop + pinc * cosip * cosop)
    nodel = np.fmod(nodem, _TWOPI)
    if opsmode_a:  # sgp4fix for AFSPC-written intrinsic functions
        nodel = np.where(nodel < 0.0, nodel + _TWOPI, nodel)
    xls = mm + argpm + cosip * nodel
    dls = pl + pgh - pinc * nodel * sinip
    xls = xls + dls
    xnoh = nodel
    nodel = np.arctan2(alfdp, betdp)
    if opsmode_a:
        nodel = np.where(nodel < 0.0, nodel + _TWOPI, nodel)
    wrap = np.abs(xnoh - nodel) > math.pi
    nodel = np.where(wrap, np.where(nodel < xnoh, nodel + _TWOPI, nodel - _TWOPI), nodel)
    argpp_l = xls - mp - cosip * nodel
    lyd = inclp < 0.2
    argpp = np.where(lyd, argpp_l, argpp_d)
    nodep = np.where(lyd, nodel, nodep_d)
    xincp = inclp
    # negative inclination after periodics: flip (Vallado 2006, sgp4fix)
    neg = xincp < 0.0
    xincp = np.where(neg, -xincp, xincp)
    nodep = np.where(neg, nodep + math.pi, nodep)
    argpp = np.where(neg, argpp - math.pi, argpp)
    bad_ep = (ep < 0.0) | (ep > 1.0)

    # ---- long-period coefficients from the perturbed inclination
    sinip = np.sin(xincp)
    cosip = np.cos(xincp)
    aycof = -0.5 * grav.j3oj2 * sinip
    den = np.where(np.abs(cosip + 1.0) > 1.5e-12, 1.0 + cosip, _TEMP4)
    xlcof = -0.25 * grav.j3oj2 * sinip * (3.0 + 5.0 * cosip) / den
    cosisq = cosip * cosip
    # libm for sin/cos(argpp), not _sincos: for ep -> 1 (high_ecc), pl = am (1 - axnl^2 -
    # aynl^2) cancels and amplifies ulp differences from the C++ (same libm) past 1 mm
    _finish(
        grav, out, nm=nm, am=am, ep=ep, argpp=argpp, sincos_argpp=(np.sin(argpp), np.cos(argpp)),
        nodep=nodep, mp=mp, xincp=xincp,
        sinip=sinip, cosip=cosip, aycof=aycof, xlcof=xlcof, con41=3.0 * cosisq - 1.0,
        x1mth2=1.0 - cosisq, x7thm1=7.0 * cosisq - 1.0, bad_nm=bad_nm, bad_em=bad_em, bad_ep=bad_ep,
    )  # fmt: skip


_STEP = 720.0  # resonance integration step, minutes (Spacetrack #3: stepp / stepn)
_STEP2 = 259200.0  # step * step / 2


def _resonance(c, t):
    """Resonance integration of dspace for a block: returns nm and xl (rows, cols).

    Vallado's integrator (Euler-Maclaurin, fixed 720 min steps) restarts from epoch
    or continues from the stored ``atime``; with identical steps both give the state
    after k = number of whole steps towards t, so the result depends only on
    (object, k). We integrate each object once per direction to the largest k of the
    block and gather the state (xli, xni) and its derivatives at each element's k.
    Non-resonant rows get garbage here and are masked by the caller.
    """
    irez = c["irez"][:, 0]
    rows = t.shape[0]
    at = np.abs(t)
    # k = first step count with |t - atime_k| < 720 (atime_k = +-720 k exactly)
    k = np.floor(at / _STEP)
    sgn = np.where(t > 0.0, 1.0, -1.0)
    k = np.where(np.abs(t - sgn * _STEP * k) >= _STEP, k + 1.0, k)
    k = np.where((k > 0) & (np.abs(t - sgn * _STEP * (k - 1.0)) < _STEP), k - 1.0, k)
    k = np.where(np.isfinite(k), k, 0.0).astype(np.int64)
    kmax = int(k.max()) if k.size else 0
    xli = np.empty(t.shape)
    xni = np.empty(t.shape)
    xldot = np.empty(t.shape)
    xndt = np.empty(t.shape)
    xnddt = np.empty(t.shape)
    atime = np.empty(t.shape)
    cc = {name: c[name][:, 0] for name in c}
    rowidx = np.broadcast_to(np.arange(rows)[:, None], t.shape)
    for direction, sel in ((1.0, t > 0.0), (-1.0, ~(t > 0.0))):
        if not sel.any():
            continue
        kd = k[sel]
        kmx = int(kd.max())
        tab = _integrate(cc, irez, direction, kmx)  # 6 arrays (rows, kmx + 1)
        ri = rowidx[sel]
        for dst, src in zip((xli, xni, xldot, xndt, xnddt, atime), tab):
            dst[sel] = src[ri, kd]
    ft = t - atime
    nm = xni + xndt * ft + xnddt * ft * ft * 0.5
    xl = xli + xldot * ft + xndt * ft * ft * 0.5
    del kmax
    return nm, xl


def _integrate(c, irez, direction, kmax):
    """States and derivatives after 0..kmax resonance steps of +-720 min, (rows, kmax+1) each."""
    fasx2, fasx4, fasx6 = 0.13130908, 2.8843198, 0.37448087
    g22, g32, g44, g52, g54 = 5.7686396, 0.95240898, 1.8014998, 1.0508330, 4.4108898
    delt = _STEP * direction
    rows = irez.shape[0]
    out = [np.empty((rows, kmax + 1)) for _ in range(6)]
    xli = c["xlamo"].copy()
    xni = c["no_unkozai"].copy()
    atime = np.zeros(rows)
    r2 = irez == 2
    for k in range(kmax + 1):
        # derivatives at the current state (Spacetrack #3, SDP4 DEEP resonance terms)
        xndt1 = (
            c["del1"] * np.sin(xli - fasx2)
            + c["del2"] * np.sin(2.0 * (xli - fasx4))
            + c["del3"] * np.sin(3.0 * (xli - fasx6))
        )
        xnddt1 = (
            c["del1"] * np.cos(xli - fasx2)
            + 2.0 * c["del2"] * np.cos(2.0 * (xli - fasx4))
            + 3.0 * c["del3"] * np.cos(3.0 * (xli - fasx6))
        )
        xldot = xni + c["xfact"]
        if r2.any():
            xomi = c["argpo"] + c["argpdot"] * atime
            x2omi = xomi + xomi
            x2li = xli + xli
            xndt2 = (
                c["d2201"] * np.sin(x2omi + xli - g22)
                + c["d2211"] * np.sin(xli - g22)
                + c["d3210"] * np.sin(xomi + xli - g32)
                + c["d3222"] * np.sin(-xomi + xli - g32)
                + c["d4410"] * np.sin(x2omi + x2li - g44)
                + c["d4422"] * np.sin(x2li - g44)
                + c["d5220"] * np.sin(xomi + xli - g52)
                + c["d5232"] * np.sin(-xomi + xli - g52)
                + c["d5421"] * np.sin(xomi + x2li - g54)
                + c["d5433"] * np.sin(-xomi + x2li - g54)
            )
            xnddt2 = (
                c["d2201"] * np.cos(x2omi + xli - g22)
                + c["d2211"] * np.cos(xli - g22)
                + c["d3210"] * np.cos(xomi + xli - g32)
                + c["d3222"] * np.cos(-xomi + xli - g32)
                + c["d5220"] * np.cos(xomi + xli - g52)
                + c["d5232"] * np.cos(-xomi + xli - g52)
                + 2.0
                * (
                    c["d4410"] * np.cos(x2omi + x2li - g44)
                    + c["d4422"] * np.cos(x2li - g44)
                    + c["d5421"] * np.cos(xomi + x2li - g54)
                    + c["d5433"] * np.cos(-xomi + x2li - g54)
                )
            )
            xndt = np.where(r2, xndt2, xndt1)
            xnddt = np.where(r2, xnddt2, xnddt1)
        else:
            xndt, xnddt = xndt1, xnddt1
        xnddt = xnddt * xldot
        for dst, src in zip(out, (xli, xni, xldot, xndt, xnddt, atime)):
            dst[:, k] = src
        xli = xli + xldot * delt + xndt * _STEP2
        xni = xni + xndt * delt + xnddt * _STEP2
        atime = atime + delt
    return out
