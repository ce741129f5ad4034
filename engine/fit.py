"""Fit SGP4 mean elements to Cartesian states (r, v in the TEME frame at an epoch).

    res = fit_sgp4(r, v, jd, fr)          # r, v (N, 3) km, km/s; jd, fr split Julian dates (UT)
    res.elements["no_kozai"]              # (N,) rad/min, NaN where the fit failed
    res.failures()                        # [(index, status, message), ...] for every failure
    cat = res.to_catalog()                # engine.Catalog of the objects that fitted

For each object the fit finds the mean elements (Satrec units, epoch = the state's
epoch) whose SGP4/SDP4 state at tsince = 0 equals the given state. SGP4 at its epoch
is not Keplerian: it adds the J2 short-period and long-period (J3) periodics and, for
deep-space objects (period >= 225 min), the lunar-solar periodics, so the mean
elements differ from the osculating ones by up to ~1e-3 relative in LEO.

Algorithm (vectorised over objects; loops run over iterations only):

1. The target's osculating elements are computed in the non-singular equinoctial set
   x = (n, h, k, p, q, lambda) of Broucke & Cefola (1972), "On the equinoctial orbit
   elements", Celestial Mechanics 5, 303-310, with the retrograde factor I = -1 for
   inclinations above 90 degrees (Danielson et al. 1995, "Semianalytic Satellite Theory",
   NPS-MA-95-002, sec. 2.1) so that e ~ 0, i ~ 0 and i ~ 180 degrees are all regular.
   n is the Kozai-convention mean motion xke / a**1.5 (rad/min, a in earth radii): the
   map from SGP4's no_kozai to the osculating n is then the identity plus O(J2).
2. Fixed point, starting from the osculating elements as mean elements:
   x <- x + (osc(target) - osc(SGP4(x) at tsince 0)). It contracts by a factor of about
   J2 (a few 1e-3) per step for near-earth orbits.
3. Objects whose fixed point stalls (or whose guess makes SGP4 fail) continue with
   Newton steps on a forward-difference 6x6 Jacobian d osc / d x (six extra SGP4
   evaluations per step, solved batched with numpy.linalg.solve), step halving, and
   wider difference steps when no halved step helps.
4. Deep-space orbits below 0.2 rad inclination (SDP4 applies its lunar-solar periodics
   in Lyddane's form there) need more: at i ~ 0 the SDP4 state still depends on the
   node (by up to ~20 km for GEO), so (p, q) is not a good coordinate. Their Newton
   runs on (n, h, k, i, node, lambda) with i >= 0, from up to four starting nodes
   chosen by a scan over the node (see _node_scan).

An object is frozen as soon as its SGP4 state at tsince 0 is within tol_km of the
target position and within tol_km * n (n in rad/s) of the target velocity, i.e. the
velocity error acting for the 1/n seconds the orbit takes to turn one radian moves
the object by less than tol_km (for LEO and the default tol_km = 1e-6 km: 1 mm and
about 1e-9 km/s).

Limits of the model, reported as FIT_NOT_CONVERGED when met:

* SGP4 raises a mean eccentricity below 1e-6 to 1e-6 (sgp4fix), so a state whose mean
  eccentricity would have to be smaller cannot be reproduced to better than ~a * 1e-6.
* Deep-space orbits with a mean inclination below ~0.1 degree: SDP4's state varies
  quickly and not smoothly with i and the node there, and a few in a hundred such
  states are not fitted. For the same reason the fitted elements of such orbits need
  not be unique (two element sets may give the same state).

B* plays no part in the state at tsince 0 and is passed through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .sgp4 import _numpy as _sgp4
from ._orbits import osculating_vectors
from .catalog import Catalog
from .errors import ERROR_CODES, FIT_STATUS_MESSAGES, FitError, FitStatus
from .io._common import BadRecord, check_errors_option, report

__all__ = [
    "fit_sgp4",
    "FitResult",
    "FitFailure",
    "FitError",
    "FIT_OK",
    "FIT_HYPERBOLIC",
    "FIT_SUBORBITAL",
    "FIT_NOT_CONVERGED",
    "FIT_SGP4_ERROR",
    "FIT_STATUS",
]

#: status codes of FitResult.status: engine.errors.FitStatus, whose values these names keep
#: (plain ints: see engine.errors on NumPy and int subclasses)
FIT_OK = int(FitStatus.OK)
FIT_HYPERBOLIC = int(FitStatus.HYPERBOLIC)
FIT_SUBORBITAL = int(FitStatus.SUBORBITAL)
FIT_NOT_CONVERGED = int(FitStatus.NOT_CONVERGED)
FIT_SGP4_ERROR = int(FitStatus.SGP4_ERROR)

#: status code -> message
FIT_STATUS: dict[int, str] = FIT_STATUS_MESSAGES

_ELEMENT_KEYS = ("jdsatepoch", "jdsatepochF", "no_kozai", "ecco", "inclo", "nodeo", "argpo", "mo", "bstar")
_TWOPI = 2.0 * math.pi
_FIXED_POINT_MAX = 12  # fixed-point steps before an object that has not converged moves to Newton
_STALL = 0.5  # a fixed-point step must shrink the element residual at least this much
_FD_STEP = 1e-7  # forward-difference step: relative for n, absolute for h, k, p, q, lambda (rad)
_WIDEN = 100.0  # factor on the difference steps after a failed Newton step
_WIDEN_MAX = 1e4  # widest: 1e-3
_NODE_GRID = 36  # nodes sampled by _node_scan
_NODE_STARTS = 4  # Newton starts per object from _node_scan
_ECC_MIN = 1e-6  # SGP4's floor on the mean eccentricity
_HALVINGS = 12  # Newton step halvings before giving up
_DEEP_SPACE_N = _TWOPI / 225.0  # rad/min: SDP4 (deep space) at periods of 225 min and more
_LOW_INC = 0.2  # rad: below it SDP4 applies the lunar-solar periodics in Lyddane's form


class FitFailure(NamedTuple):
    """One object that could not be fitted.

    Attributes
    ----------
    index : int
        0-based position in the input.
    status : int
        FIT_* code.
    message : str
        FitResult.message(index).
    """

    index: int
    status: int
    message: str


@dataclass(frozen=True, eq=False)
class FitResult:
    """Result of :func:`fit_sgp4` for N states.

    Attributes
    ----------
    elements : dict of str to (N,) ndarray, float64
        Satrec units: jdsatepoch, jdsatepochF (epoch, split Julian date UT, as given),
        no_kozai (Kozai mean motion, rad/min), ecco, inclo, nodeo, argpo, mo (rad; angles
        in [0, 2 pi], inclo in [0, pi]) and bstar (1/earth radii, as given); NaN for every
        object whose status is not FIT_OK.
    status : (N,) ndarray, uint8
        FIT_OK or one of the FIT_* codes (messages in FIT_STATUS).
    residual_km : (N,) ndarray, float64, km
        |r_sgp4 - r| at tsince 0 of the final elements (for FIT_NOT_CONVERGED: of the last
        accepted iterate; NaN where none was computed).
    residual_kms : (N,) ndarray, float64, km/s
        |v_sgp4 - v| likewise.
    iterations : (N,) ndarray, int64
        Fixed-point plus Newton steps taken (a fixed-point step is one SGP4 evaluation, a
        Newton step six plus one per step length tried).
    sgp4_error : (N,) ndarray, uint8
        The SGP4 error code (engine.errors) behind FIT_SGP4_ERROR, else 0.
    osc_ecco : (N,) ndarray, float64
        Osculating eccentricity of the input state (Keplerian, whichconst mu).
    osc_perigee_km : (N,) ndarray, float64, km
        Osculating perigee radius of the input state (NaN if unbound).
    whichconst, opsmode : str
        The SGP4 model the elements are fitted for.
    """

    elements: dict
    status: np.ndarray
    residual_km: np.ndarray
    residual_kms: np.ndarray
    iterations: np.ndarray
    sgp4_error: np.ndarray
    osc_ecco: np.ndarray
    osc_perigee_km: np.ndarray
    whichconst: str
    opsmode: str

    def __len__(self) -> int:
        return int(self.status.shape[0])

    @property
    def ok(self) -> np.ndarray:
        """(N,) bool: objects whose elements reproduce their state."""
        return self.status == FIT_OK

    def message(self, index: int) -> str:
        """Message of one object: the status text with the numbers behind it.

        Parameters
        ----------
        index : int
            0-based position in the input.

        Returns
        -------
        str
        """
        i = int(index)
        st = int(self.status[i])
        text = FIT_STATUS[st]
        if st == FIT_HYPERBOLIC:
            text += f"; e = {self.osc_ecco[i]:.6g}"
        elif st == FIT_SUBORBITAL:
            re = _sgp4.gravity(self.whichconst).radiusearthkm
            text += f"; perigee altitude {self.osc_perigee_km[i] - re:.3f} km"
        elif st == FIT_NOT_CONVERGED:
            text += (f"; residual {self.residual_km[i]:.3g} km, {self.residual_kms[i]:.3g} km/s "
                     f"after {int(self.iterations[i])} iterations")
            e, rp = float(self.osc_ecco[i]), float(self.osc_perigee_km[i])
            if 0.0 <= e < 1.0:
                # the orbit behind the failure: near-parabolic states are the usual cause
                re = _sgp4.gravity(self.whichconst).radiusearthkm
                text += f"; osculating e = {e:.6g}, apogee altitude {rp * (1.0 + e) / (1.0 - e) - re:.4g} km"
        elif st == FIT_SGP4_ERROR:
            code = int(self.sgp4_error[i])
            text += f"; SGP4 error {code}: {ERROR_CODES.get(code, ('', 'unknown'))[1]}"
        return text

    def failures(self) -> list[FitFailure]:
        """Every object that did not fit, in index order.

        Returns
        -------
        list of FitFailure
            (index, status, message) of each.
        """
        return [FitFailure(int(i), int(self.status[i]), self.message(i))
                for i in np.flatnonzero(self.status != FIT_OK)]

    def to_catalog(self, satnum=None, *, errors: str = "skip", exclude=None, **fields):
        """engine.Catalog of the objects with status FIT_OK, in input order.

        satnum: (N,) catalogue numbers of all N input objects (default: their indices 0..N-1).
        exclude: optional (N,) bool, objects left out without being reported here (the
            caller reports them: Fragments.to_catalog lists pieces not in orbit as an outcome).
        fields: other Catalog.from_arrays fields (name, intldesg, classification, ...), each
            a scalar or one value per input object.
        errors: "skip" (default) leaves failed objects out, lists them on Catalog.rejected
            (BadRecord.record = index + 1, field "state") and issues one
            engine.BadRecordsWarning; "raise" raises one FitError listing every failure.

        Parameters
        ----------
        satnum : (N,) array_like of int, optional
            As above.
        errors : str
            "skip" or "raise", as above.
        exclude : (N,) array_like of bool, optional
            As above.
        **fields
            As above.

        Returns
        -------
        engine.Catalog
            The fitted objects.

        Raises
        ------
        FitError
            errors="raise" and some objects did not fit.
        ValueError
            satnum or exclude not of shape (N,), or errors not "skip" or "raise".
        """
        check_errors_option(errors)
        n = len(self)
        sn = np.arange(n, dtype=np.int64) if satnum is None else np.asarray(satnum)
        if sn.shape != (n,):
            raise ValueError(f"satnum must have shape ({n},) (one per input state), got {sn.shape}")
        skip = np.zeros(n, dtype=bool) if exclude is None else np.asarray(exclude, dtype=bool)
        if skip.shape != (n,):
            raise ValueError(f"exclude must have shape ({n},) (one per input state), got {skip.shape}")
        bad = [BadRecord(f.index + 1, 0, int(sn[f.index]), "state", f.message,
                         _FIX[f.status]) for f in self.failures() if not skip[f.index]]
        keep = self.ok & ~skip
        rejected = report(bad, errors, FitError, "fit_sgp4 result (record = index + 1)",
                          int(keep.sum()), stacklevel=3)
        extra = {k: (np.asarray(a)[keep] if np.ndim(a) else a) for k, a in fields.items()}
        cat = Catalog.from_arrays(whichconst=self.whichconst, opsmode=self.opsmode, satnum=sn[keep],
                                  **{k: a[keep] for k, a in self.elements.items()}, **extra)
        cat.rejected = rejected
        return cat


_FIX = {
    FIT_HYPERBOLIC: "check the velocity units (km/s) and frame (TEME); escaping objects have no SGP4 elements",
    FIT_SUBORBITAL: "the object re-enters within one revolution; leave it out of the catalogue",
    FIT_NOT_CONVERGED: ("raise max_iter or tol_km; an orbit with e near 1 (apogee far beyond the geostationary "
                        "belt) is outside what SGP4/SDP4 elements represent: leave it out"),
    FIT_SGP4_ERROR: "the state is outside what SGP4 can represent (e.g. near-parabolic); leave it out",
}


# ----------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------


def _bad_input(field: str, problem: str, fix: str, index=None) -> ValueError:
    where = f" at record index {index}" if index is not None else ""
    return ValueError(f"fit_sgp4: {field}{where}: {problem}; fix: {fix}")


def _per_object(value, name: str, n: int, fix: str) -> np.ndarray:
    """(N,) float64 from a scalar or an (N,) array; ValueError naming the first bad record."""
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _bad_input(name, f"cannot be read as float64 numbers ({type(value).__name__})", fix) from None
    if a.ndim == 0:
        a = np.full(n, float(a))
    elif a.shape != (n,):
        raise _bad_input(name, f"has shape {a.shape}, expected a scalar or ({n},) (one per state)", fix)
    finite = np.isfinite(a)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise _bad_input(name, f"value {a[i]} is not finite ({int((~finite).sum())} such records)",
                         fix, index=i)
    return a


def _vectors(value, name: str, unit: str) -> np.ndarray:
    fix = f"give an (N, 3) float64 array of finite TEME {name} components in {unit}"
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _bad_input(name, f"cannot be read as float64 numbers ({type(value).__name__})", fix) from None
    if a.ndim != 2 or a.shape[1] != 3:
        raise _bad_input(name, f"has shape {a.shape}, expected (N, 3)", fix)
    finite = np.isfinite(a).all(axis=1)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise _bad_input(name, f"{a[i].tolist()} is not finite ({int((~finite).sum())} such records)",
                         fix, index=i)
    return np.ascontiguousarray(a)


# ----------------------------------------------------------------------------------
# Equinoctial elements
# ----------------------------------------------------------------------------------


def _wrap_pi(x):
    """Angle difference into [-pi, pi)."""
    return np.mod(x + math.pi, _TWOPI) - math.pi


def _osculating(r, v, retro, mu, xke):
    """Osculating equinoctial elements of states r (K, 3) er, v (K, 3) er/min.

    retro: (K,) bool, use the retrograde set (I = -1). mu = xke**2 (er^3/min^2).
    Returns x (K, 6) = (n rad/min, h, k, p, q, lambda rad), e (K,), a (K,) er.
    Elements per Broucke & Cefola (1972), frame vectors f, g and the eccentric longitude
    per Danielson et al. (1995), sec. 2.1; eccentricity vector and vis-viva as in
    Vallado, Fundamentals of Astrodynamics and Applications (4th ed.), algorithm 9
    (RV2COE). Unbound states give NaN n and lambda.
    """
    sgn = np.where(retro, -1.0, 1.0)
    a, ev, hv, rn = osculating_vectors(r, v, mu)
    hn = np.sqrt(np.einsum("ij,ij->i", hv, hv))
    w = hv / hn[:, None]
    den = 1.0 + sgn * w[:, 2]
    p = w[:, 0] / den
    q = -w[:, 1] / den
    # equinoctial frame (f, g) with the retrograde factor I = sgn (Danielson et al. 1995)
    s2 = 1.0 + p * p + q * q
    f = np.stack([1.0 - p * p + q * q, 2.0 * p * q, -2.0 * sgn * p], axis=1) / s2[:, None]
    g = np.stack([2.0 * sgn * p * q, sgn * (1.0 + p * p - q * q), 2.0 * q], axis=1) / s2[:, None]
    k = np.einsum("ij,ij->i", ev, f)
    h = np.einsum("ij,ij->i", ev, g)
    x1 = np.einsum("ij,ij->i", r, f)
    y1 = np.einsum("ij,ij->i", r, g)
    # eccentric longitude F, then the mean longitude from Kepler's equation in equinoctial form
    e2 = h * h + k * k
    beta = 1.0 / (1.0 + np.sqrt(1.0 - e2))
    an = a * np.sqrt(1.0 - e2)
    cosf = k + ((1.0 - k * k * beta) * x1 - h * k * beta * y1) / an
    sinf = h + ((1.0 - h * h * beta) * y1 - h * k * beta * x1) / an
    ecc_lon = np.arctan2(sinf, cosf)
    lam = ecc_lon + h * np.cos(ecc_lon) - k * np.sin(ecc_lon)
    n = xke / a ** 1.5
    return np.stack([n, h, k, p, q, lam], axis=1), np.sqrt(e2), a


def _satrec_angles(x, retro, explicit_node):
    """Classical mean elements (ecco, inclo, nodeo, argpo, mo) of x (K, 6).

    x = (n, h, k, p, q, lambda), or where explicit_node (K,) is True
    x = (n, h, k, i', Omega, lambda) with max(i', 0) the inclination from the pole of
    the set (i for I = +1, pi - i for I = -1). The second form keeps the node defined at
    i = 0, where SDP4's lunar-solar terms depend on it (see _node_scan); a Newton step
    past i' = 0 lands on the equator, where the solution of a target with mean i = 0 is.
    """
    h, k, p, q, lam = x[:, 1], x[:, 2], x[:, 3], x[:, 4], x[:, 5]
    sgn = np.where(retro, -1.0, 1.0)
    ecco = np.hypot(h, k)
    varpi = np.arctan2(h, k)  # longitude of perigee, omega + I * Omega
    node = np.where(explicit_node, q, np.arctan2(p, q))
    half = np.where(explicit_node, np.clip(p, 0.0, math.pi), 2.0 * np.arctan(np.hypot(p, q)))
    inclo = np.where(retro, math.pi - half, half)
    argpo = np.mod(varpi - sgn * node, _TWOPI)
    mo = np.mod(lam - varpi, _TWOPI)
    return ecco, inclo, np.mod(node, _TWOPI), argpo, mo


def _ecc_floor(x):
    """x (K, 6) with (h, k) scaled out to |e| = 1e-6 where it is smaller, in place.

    SGP4 evaluates a mean eccentricity below 1e-6 as 1e-6 in the direction of perigee
    (sgp4fix in Vallado's sgp4), so this changes no SGP4 state; it keeps the iterate
    where the state still depends on (h, k) in both directions.
    """
    e = np.hypot(x[:, 1], x[:, 2])
    small = e < _ECC_MIN
    scale = _ECC_MIN / e[small]
    x[small, 1] = np.where(np.isfinite(scale), x[small, 1] * scale, 0.0)
    x[small, 2] = np.where(np.isfinite(scale), x[small, 2] * scale, _ECC_MIN)
    return x


def _to_explicit_node(x):
    """x (K, 6) equinoctial -> (n, h, k, i', Omega, lambda) (see _satrec_angles)."""
    out = x.copy()
    out[:, 3] = 2.0 * np.arctan(np.hypot(x[:, 3], x[:, 4]))
    out[:, 4] = np.arctan2(x[:, 3], x[:, 4])
    return out


# ----------------------------------------------------------------------------------
# The fit
# ----------------------------------------------------------------------------------


class _Problem:
    """Per-object constants of one fit and the SGP4 evaluation of trial elements."""

    def __init__(self, r, v, jd, fr, bstar, whichconst, opsmode, tol_km):
        g = _sgp4.gravity(whichconst)
        self.whichconst, self.opsmode = whichconst, opsmode
        self.xke, self.mu = g.xke, g.xke * g.xke
        self.re = g.radiusearthkm
        self.vscale = 60.0 / g.radiusearthkm  # km/s -> er/min
        self.r, self.v, self.jd, self.fr, self.bstar = r, v, jd, fr, bstar
        self.tol_km = tol_km
        hz = np.cross(r, v)[:, 2]
        # retrograde set where the angular momentum points south (i > 90 deg)
        self.retro = hz < 0.0
        # per object: x holds (i', Omega) instead of (p, q) (see _satrec_angles)
        self.explicit_node = np.zeros(r.shape[0], bool)
        self.target, self.ecc, self.a = _osculating(r / self.re, v * self.vscale, self.retro, self.mu, self.xke)
        # velocity tolerance: tol_km times the osculating mean motion in rad/s (module doc)
        self.tol_kms = tol_km * self.target[:, 0] / 60.0

    def elements(self, x, idx):
        """Satrec element arrays of equinoctial x (K, 6) for the objects idx (K,)."""
        ecco, inclo, nodeo, argpo, mo = _satrec_angles(x, self.retro[idx], self.explicit_node[idx])
        return {"jdsatepoch": self.jd[idx], "jdsatepochF": self.fr[idx], "no_kozai": x[:, 0].copy(),
                "ecco": ecco, "inclo": inclo, "nodeo": nodeo, "argpo": argpo, "mo": mo,
                "bstar": self.bstar[idx]}

    def evaluate(self, x, idx):
        """SGP4 at tsince 0 of x (K, 6) for objects idx (K,).

        Returns (elements, err (K,) uint8, dr (K,) km, dv (K,) km/s, y (K, 6) osculating
        equinoctial elements of the SGP4 state, NaN where SGP4 gave no state: codes 1-5;
        code 6, decayed, keeps its state and the iteration goes on from it).
        """
        el = self.elements(x, idx)
        model = _sgp4.sgp4init(el, whichconst=self.whichconst, opsmode=self.opsmode)
        err, rs, vs = _sgp4.sgp4(model, np.zeros((idx.size, 1)))
        err, rs, vs = err[:, 0], rs[:, 0], vs[:, 0]
        dr = np.linalg.norm(rs - self.r[idx], axis=1)
        dv = np.linalg.norm(vs - self.v[idx], axis=1)
        with np.errstate(all="ignore"):
            y, _, _ = _osculating(rs / self.re, vs * self.vscale, self.retro[idx], self.mu, self.xke)
        return el, err, dr, dv, y

    def residual(self, y, idx):
        """Element residual target - y (K, 6), lambda wrapped into [-pi, pi)."""
        d = self.target[idx] - y
        d[:, 5] = _wrap_pi(d[:, 5])
        return d

    def size(self, d, idx):
        """Scalar size (K,) of an element residual: n relative, the others absolute."""
        d = d.copy()
        d[:, 0] /= self.target[idx, 0]
        return np.max(np.abs(d), axis=1)

    def converged(self, err, dr, dv, idx):
        """(K,) bool: SGP4 without error and within the position and velocity tolerances."""
        return (err == 0) & (dr <= self.tol_km) & (dv <= self.tol_kms[idx])


class _Out:
    """Output arrays, filled as objects finish."""

    def __init__(self, n):
        self.elements = {k: np.full(n, np.nan) for k in _ELEMENT_KEYS}
        self.status = np.full(n, FIT_NOT_CONVERGED, np.uint8)
        self.dr = np.full(n, np.nan)
        self.dv = np.full(n, np.nan)
        self.iterations = np.zeros(n, np.int64)
        self.sgp4_error = np.zeros(n, np.uint8)

    def record(self, idx, sel, el, dr, dv):
        """Store residuals of objects idx[sel] and, where given, their elements."""
        if el is None:  # residuals of a better trial; never over those of a fitted object
            sel = sel & (self.status[idx] != FIT_OK)
        g = idx[sel]
        self.dr[g], self.dv[g] = dr[sel], dv[sel]
        if el is not None:
            for k in _ELEMENT_KEYS:
                self.elements[k][g] = el[k][sel]
            self.status[g] = FIT_OK


def _fixed_point(prob, out, idx, max_iter):
    """Fixed-point iteration on the objects idx; returns (idx, x, y) of those left for Newton.

    x (K, 6) are the equinoctial mean elements Newton starts from and y (K, 6) the
    osculating elements of their SGP4 state (the best valid evaluation of each object).
    """
    x = prob.target[idx].copy()
    best_x = best_y = None  # last valid evaluation of the objects still iterating
    best_size = np.full(idx.size, np.inf)
    parts = []
    for _ in range(min(_FIXED_POINT_MAX, max_iter)):
        el, err, dr, dv, y = prob.evaluate(x, idx)
        out.iterations[idx] += 1
        done = prob.converged(err, dr, dv, idx)
        failed = ~np.isfinite(y).all(axis=1) & ~done
        out.record(idx, done, el, dr, dv)
        out.record(idx, ~done & ~failed, None, dr, dv)
        d = prob.residual(y, idx)
        size = prob.size(d, idx)
        if best_x is None:
            # the osculating elements themselves give no SGP4 state: nothing to start from
            out.status[idx[failed]] = FIT_SGP4_ERROR
            out.sgp4_error[idx[failed]] = err[failed]
            restart = np.zeros(idx.size, bool)
        else:
            restart = failed
        stalled = ~done & ~failed & (size > _STALL * best_size)
        if restart.any() or stalled.any():
            # Newton starts from the better of this and the previous evaluation
            use_prev = restart | (stalled & (size > best_size))
            sel = restart | stalled
            xs, ys = x.copy(), y.copy()
            xs[use_prev], ys[use_prev] = best_x[use_prev], best_y[use_prev]
            parts.append((idx[sel], xs[sel], ys[sel]))
        go = ~done & ~failed & ~stalled
        idx, x, y, d = idx[go], x[go], y[go], d[go]
        best_x, best_y, best_size = x, y, size[go]
        if idx.size == 0:
            break
        x = _ecc_floor(x + d)
    else:
        parts.append((idx, best_x, best_y))
    if not parts:
        return np.zeros(0, np.int64), np.zeros((0, 6)), np.zeros((0, 6))
    return tuple(np.concatenate(p) for p in zip(*parts))


def _node_scan(prob, idx, x):
    """Starting points (n, h, k, i', Omega, lambda) for deep-space orbits near the equator.

    x (K, 6): equinoctial elements. At small inclination SDP4's lunar-solar periodics
    tilt the osculating plane by P(Omega) (~1e-4 rad for GEO), which depends on the
    mean node even at i = 0, so the mean plane must satisfy
    (p, q)_mean = (p, q)_target - P(Omega) with (p, q)_mean along (sin Omega, cos Omega).
    P is sampled on a grid of nodes at i = 0; every local minimum of the distance from
    that condition (the _NODE_STARTS best) starts Newton.
    Returns (idx, x, y) of the starts: object indices (repeated), x in explicit-node
    form and the osculating elements y of their SGP4 state.
    """
    k = idx.size
    grid = np.arange(_NODE_GRID) * (_TWOPI / _NODE_GRID)
    xs = np.repeat(_to_explicit_node(x), _NODE_GRID, axis=0)
    xs[:, 3] = 0.0
    xs[:, 4] = np.tile(grid, k)
    _, _, _, _, ys = prob.evaluate(xs, np.repeat(idx, _NODE_GRID))
    g = np.repeat(prob.target[idx, 3:5], _NODE_GRID, axis=0) - ys[:, 3:5]  # required mean (p, q)
    u = np.stack([np.sin(xs[:, 4]), np.cos(xs[:, 4])], axis=1)
    along = np.maximum(np.einsum("ij,ij->i", g, u), 0.0)
    miss = np.linalg.norm(g - along[:, None] * u, axis=1).reshape(k, _NODE_GRID)
    miss[~np.isfinite(miss)] = np.inf
    local = (miss <= np.roll(miss, 1, axis=1)) & (miss <= np.roll(miss, -1, axis=1)) & np.isfinite(miss)
    rank = np.argsort(np.where(local, miss, np.inf), axis=1)[:, :_NODE_STARTS]
    pick = (rank + np.arange(k)[:, None] * _NODE_GRID).ravel()
    pick = pick[np.isfinite(miss.ravel()[pick]) & local.ravel()[pick]]
    start = xs[pick]
    start[:, 3] = 2.0 * np.arctan(along[pick])
    sidx = np.repeat(idx, _NODE_GRID)[pick]
    _, err, _, _, ystart = prob.evaluate(start, sidx)
    ok = err == 0
    return sidx[ok], start[ok], ystart[ok]


def _newton(prob, out, idx, x, y, max_iter):
    """Newton iteration with a forward-difference Jacobian and step halving on objects idx.

    x (K, 6): equinoctial mean elements; y (K, 6): osculating elements of their SGP4 state.
    Objects stop when converged, at max_iter, or when no halved step reduces the residual.
    idx may repeat an object (several starts): the first start that converges wins.
    """
    widen = np.ones(idx.size)  # per start: factor on the finite-difference steps
    while idx.size:
        live = (out.iterations[idx] < max_iter) & (out.status[idx] != FIT_OK)
        idx, x, y, widen = idx[live], x[live], y[live], widen[live]
        k = idx.size
        if k == 0:
            break
        f = prob.residual(y, idx)
        size = prob.size(f, idx)
        # i' below 0 evaluates as 0 (_satrec_angles): restart there so that d/di' is seen
        ex = prob.explicit_node[idx]
        x[ex, 3] = np.maximum(x[ex, 3], 0.0)
        # Jacobian d y / d x by forward differences: six perturbed copies of every object
        step = np.full((k, 6), _FD_STEP)
        step[:, 0] *= prob.target[idx, 0]
        step *= widen[:, None]
        xp = x[:, None, :] + step[:, :, None] * np.eye(6)  # (K, 6 perturbations, 6)
        _, _, _, _, yp = prob.evaluate(xp.reshape(6 * k, 6), np.repeat(idx, 6))
        dy = yp.reshape(k, 6, 6) - y[:, None, :]
        dy[:, :, 5] = _wrap_pi(dy[:, :, 5])
        jac = np.swapaxes(dy / step[:, :, None], 1, 2)  # jac[k, i, j] = d y_i / d x_j
        usable = np.isfinite(jac).all(axis=(1, 2))
        jac[~usable] = np.eye(6)  # a fixed-point step where a perturbed copy failed
        try:
            dx = np.linalg.solve(jac, f[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # a singular Jacobian: least squares for all
            dx = np.einsum("kij,kj->ki", np.linalg.pinv(jac), f)
        # a step to i' < 0 stops at the equator: i' = 0, the other five by least squares
        cut = ex & (x[:, 3] + dx[:, 3] < 0.0)
        if cut.any():
            jc = jac[cut]
            rhs = f[cut] + jc[:, :, 3] * x[cut, 3][:, None]
            rest = np.delete(jc, 3, axis=2)
            d5 = np.einsum("kij,kj->ki", np.linalg.pinv(rest), rhs)
            dx[cut] = np.insert(d5, 3, -x[cut, 3], axis=1)
        out.iterations[idx] += 1
        # step halving until the element residual shrinks
        pending = np.arange(k)
        moved = np.zeros(k, bool)
        alpha = 1.0
        for _ in range(_HALVINGS):
            g = idx[pending]
            xt = _ecc_floor(x[pending] + alpha * dx[pending])
            el, err, dr, dv, yt = prob.evaluate(xt, g)
            done = prob.converged(err, dr, dv, g)
            better = ~done & (prob.size(prob.residual(yt, g), g) < size[pending])
            out.record(g, done, el, dr, dv)
            out.record(g, better, None, dr, dv)
            x[pending[better]], y[pending[better]] = xt[better], yt[better]
            moved[pending[better]] = True
            pending = pending[~(done | better)]
            if pending.size == 0:
                break
            alpha *= 0.5
        # where no step helped, the local derivative misled (near i = 0 SDP4's plane terms
        # vary fast with i'): retry with wider difference steps, which see past that
        retry = ~moved & (widen < _WIDEN_MAX)
        widen = np.where(moved, np.maximum(widen / _WIDEN, 1.0), widen * _WIDEN)
        keep = moved | retry
        idx, x, y, widen = idx[keep], x[keep], y[keep], widen[keep]


def fit_sgp4(r, v, jd, fr, *, bstar=0.0, whichconst: str = "wgs72", opsmode: str = "i",
             tol_km: float = 1e-6, max_iter: int = 50) -> FitResult:
    """Fit SGP4 mean elements to N Cartesian states (see the module docstring).

    r, v: (N, 3) float64 position (km) and velocity (km/s), TEME, at the epoch.
    jd, fr: scalar or (N,) split Julian date (UT) of each state; they become the
        elements' jdsatepoch and jdsatepochF unchanged (tsince 0 = this instant).
    bstar: scalar or (N,) drag term (1/earth radii) copied into the elements.
    whichconst: 'wgs72' (default), 'wgs72old' or 'wgs84'; opsmode: 'i' or 'a'.
    tol_km: position tolerance, km; the velocity tolerance is tol_km * n (n the mean
        motion in rad/s), see the module docstring.
    max_iter: most iterations (fixed-point plus Newton steps) per object.

    Objects that cannot be fitted get a status code (FIT_*) and NaN elements;
    FitResult.failures() lists them.

    Parameters
    ----------
    r, v : (N, 3) array_like, float64, km and km/s
        Positions and velocities, TEME, at the epoch.
    jd, fr : float or (N,) array_like, float64
        Split Julian date (UT) of each state.
    bstar : float or (N,) array_like, 1/earth radii
        Drag term copied into the elements.
    whichconst : str
        'wgs72', 'wgs72old' or 'wgs84'.
    opsmode : str
        'i' or 'a'.
    tol_km : float, km
        Position tolerance.
    max_iter : int
        Most iterations per object.

    Returns
    -------
    FitResult
        (N,) NumPy arrays on the host: the fit runs on the NumPy SGP4 (engine.sgp4._numpy),
        per object, whatever device the states came from.

    Raises
    ------
    ValueError
        Bad input: one message that names the field, the record index and the fix, before
        any fitting.
    """
    if whichconst not in _sgp4.GRAVITY_MODELS:
        raise _bad_input("whichconst", f"unknown value {whichconst!r}", f"use one of {_sgp4.GRAVITY_MODELS}")
    if opsmode not in ("a", "i"):
        raise _bad_input("opsmode", f"unknown value {opsmode!r}", "use 'i' (improved) or 'a' (AFSPC)")
    if not (isinstance(tol_km, (int, float, np.floating, np.integer)) and math.isfinite(tol_km) and tol_km > 0):
        raise _bad_input("tol_km", f"value {tol_km!r} is not a positive number", "give a tolerance in km, e.g. 1e-6")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise _bad_input("max_iter", f"value {max_iter!r} is not a positive integer", "give e.g. 50")
    r = _vectors(r, "r", "km")
    v = _vectors(v, "v", "km/s")
    n = r.shape[0]
    if v.shape[0] != n:
        raise _bad_input("v", f"has {v.shape[0]} rows but r has {n}", "give one velocity per position")
    jd = _per_object(jd, "jd", n, "give the whole part of the Julian date (UT) of each state, e.g. 2460000.5")
    fr = _per_object(fr, "fr", n, "give the fraction of the Julian date of each state (days)")
    bstar = _per_object(bstar, "bstar", n, "give B* in 1/earth radii (0.0 when unknown)")
    zero = ~np.any(r != 0.0, axis=1)
    if zero.any():
        i = int(np.flatnonzero(zero)[0])
        raise _bad_input("r", "position is the zero vector", "give the geocentric TEME position in km", index=i)

    with np.errstate(all="ignore"):
        prob = _Problem(r, v, jd, fr, bstar, whichconst, opsmode, float(tol_km))
        out = _Out(n)
        perigee = prob.a * (1.0 - prob.ecc) * prob.re
        unbound = ~((prob.ecc < 1.0) & (prob.a > 0.0) & np.isfinite(prob.target).all(axis=1))
        suborbital = ~unbound & (perigee < prob.re)
        out.status[unbound] = FIT_HYPERBOLIC
        out.status[suborbital] = FIT_SUBORBITAL
        todo = np.flatnonzero(~unbound & ~suborbital)
        nidx, nx, ny = _fixed_point(prob, out, todo, int(max_iter))
        if nidx.size:
            # deep-space orbits near the equator: Newton on (i', Omega), see _node_scan
            sw = (prob.target[nidx, 0] < _DEEP_SPACE_N) & (2.0 * np.arctan(np.hypot(nx[:, 3], nx[:, 4])) < _LOW_INC)
            prob.explicit_node[nidx[sw]] = True
            sidx, sx, sy = _node_scan(prob, nidx[sw], nx[sw])
            _newton(prob, out, np.concatenate([nidx[~sw], sidx]), np.concatenate([nx[~sw], sx]),
                    np.concatenate([ny[~sw], sy]), int(max_iter))
    return FitResult(
        elements=out.elements,
        status=out.status,
        residual_km=out.dr,
        residual_kms=out.dv,
        iterations=out.iterations,
        sgp4_error=out.sgp4_error,
        osc_ecco=prob.ecc,
        osc_perigee_km=np.where(unbound, np.nan, perigee),
        whichconst=whichconst,
        opsmode=opsmode,
    )
