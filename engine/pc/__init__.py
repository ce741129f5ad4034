"""Probability of collision (Pc) for conjunctions: Foster 2D, Monte Carlo, default covariance.

    res = engine.pc.foster(r1, v1, cov1, r2, v2, cov2, hbr_km)    # -> PcResult
    res.pc                  # (N,) float64, probability of collision
    res.flags               # (N,) uint8 bit field, see FLAGS / res.flag_names(i)
    mc = engine.pc.monte_carlo(r1, v1, cov1, r2, v2, cov2, hbr_km, n_samples=10**6, seed=0)
    cov = engine.pc.default_covariance(r, v, age_days=2.0)        # AssumedCovariance, km^2
    res = engine.pc.from_cdm(engine.cdm.read(path))
    res = engine.pc.foster(conj, hbr_km=0.05)   # every event of an engine.Conjunctions table
    conj = conj.with_pc(hbr_km=0.05)             # the same, as columns of the table (pc, pc_flags, ...)

Layout: this module holds the public functions, the validation and the one backend switch
(_backend.implementation); _numpy.py (Foster in NumPy) and _cuda.py (the kernels/pc.cu
launcher, backends "cuda" and "host") define the same foster and monte_carlo_hits; _erf.py
the error-function numerics, _montecarlo.py the trials, _params.py the tolerances and flag
bits, _pack.py the kernel's row layout.

Units everywhere: positions km, velocities km/s, covariances km^2 (km^2/s, km^2/s^2 in the
velocity blocks of 6x6 matrices), hard-body radius km; states inertial (the covariance in
the same frame as the state; any inertial frame, e.g. EME2000/GCRF or TEME at TCA).

Method (Foster & Estes 1992; Akella & Alfriend 2000; Alfano 2005, "A numerical
implementation of spherical object collision probability", J. Astronaut. Sci. 53(1); the
layout follows CARA's Pc2D_Foster / PcCircle, NASA CARA Analysis Tools):

1. Relative state r = r1 - r2, v = v1 - v2; combined position covariance C = C1 + C2
   (3x3 position blocks, symmetrised), i.e. the two objects' errors are uncorrelated.
2. Encounter frame: y = v/|v|, z = (r x v)/|r x v|, x = y x z. C is projected on the
   (x, z) encounter plane: A = [[x'Cx, x'Cz], [x'Cz, z'Cz]]. The miss vector in that plane
   is (|r|, 0): the states are taken to be at TCA, where r is perpendicular to v (the
   convention of CARA's PcCircle, whose published test values are reproduced to 1e-10).
3. Eigen-decomposition of A: sx >= sz principal sigmas; miss components (xm, zm) >= 0 along
   the major and minor axes. Non-positive-definite remediation (CARA eigenvalue clipping,
   Hall 2021 / CARA UsageViolationPc2D, Fclip = 1e-4): eigenvalues below (Fclip * HBR)^2
   are raised to that level and FLAG_NPD is set.
   Exception, a covariance collapsed to a line or a point in the encounter plane (an
   eigenvalue zero to within the rounding of forming and projecting C, |l| <= COLLAPSE_RTOL
   * trace(C)): clipping would give it a width it does not have (a line tangent to the
   hard-body circle, miss = HBR along its normal, got Pc 4.6e-3 with sigma = HBR along the
   line and 4.6e-4 with 10 HBR, where the exact value is 0), so the exact limit is used
   instead (FLAG_NPD still set, sigma_minor_km = 0):
       line (variance sx^2 along the major axis): the relative position is xm' + t, zm with
       t ~ N(0, sx^2), so Pc = P(|xm + t| < h), h = sqrt(HBR^2 - zm^2) the half chord of the
       circle along the line: Pc = (erf((xm + h)/(sqrt2 sx)) - erf((xm - h)/(sqrt2 sx))) / 2
       for zm < HBR, else 0 (tangent: zero chord, Pc 0);
       point: Pc = 1 when the miss is below HBR, else 0.
4. Pc = integral over the hard-body disk of radius HBR centred at (xm, zm) of the 2D normal
   density. The integral along the major axis is done analytically with erf; the remaining
   1-D integral along the minor axis z is
       Pc = 1/(2 sqrt(2 pi) sz) * int exp(-z^2 / (2 sz^2)) * Ediff(z) dz,
       Ediff = erf((xm + h)/(sqrt2 sx)) - erf((xm - h)/(sqrt2 sx)),  h = sqrt(HBR^2 - (z - zm)^2)
   with the differences of erf taken as differences of erfc in the tails (CARA
   erf_vec_dif: erf(b) - erf(a) cancels catastrophically far from the centre) and as a
   Taylor series about the midpoint when the two arguments are close.
   Quadrature: z = zm - HBR cos(theta) removes the square-root end-point singularities;
   theta is restricted to the window where the Mahalanobis-type exponent
   Q(z) = (z/sz)^2 + (max(0, xm - h)/sx)^2 is within QUAD_WINDOW_K2 = 80 of its minimum
   over the disk (Q is convex in z, so the window is one interval, found by golden-section
   search and bisection, skipped when simple bounds show Q varies by less than that over the
   disk; what is cut off is below exp(-40) = 4e-18 of the peak); the window
   is split into P equal panels of 16-point Gauss-Legendre, P = ceil(max(W/2, dtheta*HBR/(2 sz)))
   clipped to 1..64, W = the number of sigmas of Q spanned by the window. Why 16 nodes and
   these panels: 16-point Gauss-Legendre integrates a Gaussian over two standard deviations to
   ~1e-16, and the panel rule keeps every panel within about two "sigmas" of the integrand in
   both its Gaussian factor and its erf factor. For the usual case (combined sigmas larger than
   the HBR) P = 1, i.e. 16 nodes. Measured against adaptive quadrature (scipy.quad, rel.
   tolerance 2e-14) on 1,100 seeded random and adversarial cases (sz/HBR from 1e-4 to 1e3,
   aspect ratios to 1e4, misses to 30 sigma): max relative error 9e-12 for Pc above 1e-290
   (smaller values underflow into subnormal numbers). Sigmas below 1e-4 HBR cannot occur: step 3
   raises them to that level. The 64-node Gauss-Chebyshev rule of CARA's PcCircle is exact in
   the same usual case but loses accuracy when a sigma is much smaller than the HBR (CARA
   switches to adaptive quadrature there; this rule does not need to).

Flags (bit field, FLAGS): SLOW (relative speed below SLOW_SPEED_KM_S, or zero: Pc is NaN),
LONG (CARA 'Extended' usage-violation indicator above EXTENDED_LIMIT), OFFSET (CARA 'Offset'
indicator above OFFSET_LIMIT), NPD (covariance clipped), ASSUMED_COVARIANCE (a covariance came
from default_covariance or assumed=True). SLOW, LONG and OFFSET mean the short-encounter
assumptions of the 2D method are doubtful: use monte_carlo() (or a 3D-Nc method).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _backend
# the RTN frame is the one CDMs give covariances in: defined once, with the CDM codec
from ..io.cdm import rtn_basis
from ._erf import erf, erfc
from ._montecarlo import _wilson
from ._pack import PACKED_IN, PACKED_OUT, pack_inputs
from ._params import (COLLAPSE_RTOL, DEFAULT_HBR_KM, EXTENDED_LIMIT, FCLIP, FLAG_ASSUMED_COVARIANCE, FLAG_LONG,
                      FLAG_NPD, FLAG_OFFSET, FLAG_SLOW, FLAGS, GM_EARTH_KM3_S2, OFFSET_LIMIT, PC_THRESHOLDS,
                      QUAD_MAX_PANELS, QUAD_NODES, QUAD_PANEL_SIGMAS, QUAD_WINDOW_K2, SLOW_SPEED_KM_S,
                      SQRT2_ERFCINV_GAMMA)

__all__ = ["foster", "for_conjunctions", "monte_carlo", "from_cdm", "default_covariance", "PcResult",
           "MonteCarloResult", "AssumedCovariance", "DEFAULT_COVARIANCE", "DEFAULT_HBR_KM", "FLAGS",
           "PC_THRESHOLDS", "FLAG_SLOW", "FLAG_LONG", "FLAG_NPD", "FLAG_ASSUMED_COVARIANCE", "FLAG_OFFSET",
           "erf", "erfc", "rtn_basis", "pack_inputs", "PACKED_IN", "PACKED_OUT", "GM_EARTH_KM3_S2", "FCLIP",
           "COLLAPSE_RTOL", "SQRT2_ERFCINV_GAMMA", "EXTENDED_LIMIT", "OFFSET_LIMIT", "SLOW_SPEED_KM_S",
           "QUAD_NODES", "QUAD_MAX_PANELS", "QUAD_WINDOW_K2", "QUAD_PANEL_SIGMAS"]

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PcResult:
    """Result of foster(): a struct of (N,) arrays.

    Attributes
    ----------
    pc : (N,) float64
        Probability of collision (NaN where the relative speed is zero).
    flags : (N,) uint8
        Bit field of FLAGS.
    miss_km, speed_km_s : (N,) float64
        |r1 - r2| km, |v1 - v2| km/s.
    sigma_major_km, sigma_minor_km : (N,) float64
        Encounter-plane sigmas after clipping, km (0 across a covariance collapsed to a
        line, both 0 for one collapsed to a point).
    extended, offset : (N,) float64
        CARA usage-violation indicators (0..1) from the rectilinear model.
    backend : str
        "numpy", "cuda" (the arrays are cupy arrays, on the device of the computation) or
        "host" (kernels/pc.cu on the CPU, NumPy arrays).
    method : str
        CCSDS COLLISION_PROBABILITY_METHOD text, "FOSTER-1992".
    """

    pc: np.ndarray
    flags: np.ndarray
    miss_km: np.ndarray
    speed_km_s: np.ndarray
    sigma_major_km: np.ndarray
    sigma_minor_km: np.ndarray
    extended: np.ndarray
    offset: np.ndarray
    backend: str = "numpy"
    method: str = "FOSTER-1992"

    def __len__(self) -> int:
        return int(self.pc.shape[0])

    def flag_names(self, i: int) -> list[str]:
        """Names of the flags set for conjunction i.

        Parameters
        ----------
        i : int
            Index of the conjunction, 0..N-1.

        Returns
        -------
        list of str
            E.g. ['SLOW', 'LONG'], in the order of FLAGS; a host list whatever the
            backend (the one flag byte is copied to the host to be named).
        """
        f = int(_backend.to_host(self.flags)[i])
        return [name for bit, (name, _) in FLAGS.items() if f & bit]


@dataclass(frozen=True)
class MonteCarloResult:
    """Result of monte_carlo(): (N,) host NumPy arrays.

    Attributes
    ----------
    pc : (N,) float64
        hits / trials.
    hits, trials : (N,) int64
    ci_low, ci_high : (N,) float64
        Wilson score interval at ``confidence``.
    confidence : float
    flags : (N,) uint8
        FLAG_NPD where a covariance had to be clipped to be sampled,
        FLAG_ASSUMED_COVARIANCE where a covariance is assumed.
    method : str
        "MONTE-CARLO-RECTILINEAR".
    """

    pc: np.ndarray
    hits: np.ndarray
    trials: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    confidence: float
    flags: np.ndarray
    method: str = "MONTE-CARLO-RECTILINEAR"

    def __len__(self) -> int:
        return int(self.pc.shape[0])


class AssumedCovariance(np.ndarray):
    """A covariance array that is an assumption, not an estimate.

    foster() and monte_carlo() set FLAG_ASSUMED_COVARIANCE for every conjunction that uses
    one. Made by default_covariance(); any ndarray can be marked with
    ``np.asarray(cov).view(AssumedCovariance)``.

    Attributes
    ----------
    (the array itself) : (3, 3) or (N, 3, 3) float64
        Inertial position covariance, km^2, in the frame of the states (6x6 blocks, with
        km^2/s and km^2/s^2 velocity blocks, where marked by the caller); no further
        fields: the type is the mark.
    """


# --------------------------------------------------------------------------- default covariance

#: Default RTN position sigmas for element sets that carry no covariance (LEO TLE/GP data):
#: sigma = a + b * age_days metres, from the fit of Aida & Kirschner (2013), "Accuracy
#: assessment of SGP4 orbit information conversion into osculating elements", 6th European
#: Conference on Space Debris. Any Pc computed with it is flagged ASSUMED_COVARIANCE.
DEFAULT_COVARIANCE = {
    "radial_m": (248.4, 114.3),
    "in_track_m": (1187.8, 316.5),
    "cross_track_m": (164.0, 0.0),
    "reference": "Aida & Kirschner 2013 (6th European Conference on Space Debris), LEO TLE errors",
}


def default_covariance(r, v, age_days=0.0) -> AssumedCovariance:
    """Assumed 3x3 inertial position covariance for states without one.

    Built from the RTN sigmas of DEFAULT_COVARIANCE (diagonal in RTN), rotated to the frame
    of the states.

    Parameters
    ----------
    r : ndarray, (3,) or (N, 3)
        Positions, km (inertial).
    v : ndarray, same shape as r
        Velocities, km/s.
    age_days : float or ndarray, (N,)
        Days from the element-set epoch to the time of r, v (>= 0).

    Returns
    -------
    AssumedCovariance, (N, 3, 3) or (3, 3)
        km^2, in the frame of r, v; host NumPy (a small table built on the host).

    Raises
    ------
    ValueError
        When an age is negative or not finite.
    """
    r = np.asarray(r, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    single = r.ndim == 1
    r2, v2 = np.atleast_2d(r), np.atleast_2d(v)
    age = np.broadcast_to(np.asarray(age_days, dtype=np.float64), (r2.shape[0],))
    if np.any(age < 0) or not np.all(np.isfinite(age)):
        raise ValueError("age_days must be finite and >= 0 (days since the element-set epoch)")
    d = DEFAULT_COVARIANCE
    sig = np.stack([(d[k][0] + d[k][1] * age) * 1e-3 for k in ("radial_m", "in_track_m", "cross_track_m")], -1)
    q = rtn_basis(r2, v2)
    cov = np.einsum("nij,nj,nkj->nik", q, sig**2, q)
    cov = cov[0] if single else cov
    return cov.view(AssumedCovariance)


# --------------------------------------------------------------------------- input handling


def _as_rows(name, a, errors, n_hint=None):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1 and a.shape == (3,):
        return a[None, :]
    if a.ndim == 2 and a.shape[1] == 3:
        return a
    errors.append(f"{name}: shape {a.shape}; give (3,) or (N, 3)")
    return None


def _as_cov(name, c, errors):
    c = np.asarray(c, dtype=np.float64)
    if c.ndim == 2 and c.shape in ((3, 3), (6, 6)):
        return c[None, :3, :3]
    if c.ndim == 3 and c.shape[1:] in ((3, 3), (6, 6)):
        return c[:, :3, :3]
    errors.append(f"{name}: shape {c.shape}; give (3, 3), (6, 6), (N, 3, 3) or (N, 6, 6) (km^2)")
    return None


def _is_assumed(c, assumed, n):
    a = np.zeros(n, dtype=bool)
    if isinstance(c, AssumedCovariance):
        a[:] = True
    if assumed is not None:
        a |= np.broadcast_to(np.asarray(assumed, dtype=bool), (n,))
    return a


def _prepare(r1, v1, cov1, r2, v2, cov2, hbr_km, what="foster"):
    """Validate and broadcast: -> r1, v1, r2, v2 (N,3), C1, C2 (N,3,3), hbr (N,). One ValueError."""
    errors: list[str] = []
    rows = {k: _as_rows(k, a, errors) for k, a in (("r1", r1), ("v1", v1), ("r2", r2), ("v2", v2))}
    covs = {k: _as_cov(k, c, errors) for k, c in (("cov1", cov1), ("cov2", cov2))}
    hbr = np.atleast_1d(np.asarray(hbr_km, dtype=np.float64))
    if hbr.ndim != 1:
        errors.append(f"hbr_km: shape {hbr.shape}; give a scalar or (N,) (km)")
    if errors:
        raise ValueError(f"invalid {what}() arguments:\n  " + "\n  ".join(errors))
    sizes = {k: a.shape[0] for k, a in {**rows, **covs, "hbr_km": hbr}.items()}
    n = 0 if 0 in sizes.values() else max(sizes.values())
    bad = [f"{k}: {s} rows" for k, s in sizes.items() if s not in (1, n)]
    if bad:
        raise ValueError(f"invalid {what}() arguments: row counts differ ({', '.join(bad)}; "
                         f"expected 1 or {n}): give every input for the same N conjunctions")
    out = {k: np.broadcast_to(a, (n, 3)) for k, a in rows.items()}
    c = {k: np.broadcast_to(a, (n, 3, 3)) for k, a in covs.items()}
    hbr = np.broadcast_to(hbr, (n,))
    for k, a in {**out, **c}.items():
        fin = np.isfinite(a).reshape(n, a[0].size if n else 1).all(axis=1)
        if not fin.all():
            errors.append(f"{k}: non-finite values in conjunction(s) {np.flatnonzero(~fin)[:10].tolist()}")
    neg = np.flatnonzero(~(hbr >= 0))
    if neg.size:
        errors.append(f"hbr_km: negative or NaN in conjunction(s) {neg[:10].tolist()}; the hard-body radius is >= 0 km")
    if errors:
        raise ValueError(f"invalid {what}() arguments:\n  " + "\n  ".join(errors))
    return out["r1"], out["v1"], out["r2"], out["v2"], c["cov1"], c["cov2"], hbr, n


# --------------------------------------------------------------------------- public API


#: the columns for_conjunctions reads from a table: what makes an argument a Conjunctions here
_TABLE_COLUMNS = ("r_primary", "v_primary", "r_secondary", "v_secondary", "dse_primary", "dse_secondary",
                  "primary_satnum", "secondary_satnum")


def _is_conjunctions(x) -> bool:
    """True for an engine.Conjunctions table, recognised by its columns: engine.screening
    sits above engine.pc (its table computes Pc with it), so pc does not import it."""
    return not isinstance(x, np.ndarray) and all(hasattr(x, k) for k in _TABLE_COLUMNS)


def foster(r1, v1=None, cov1=None, r2=None, v2=None, cov2=None, hbr_km=None, *, assumed=None,
           backend="auto") -> PcResult:
    """Foster/Akella-Alfriend 2D probability of collision of N conjunctions at TCA.

    The method and the flags are in the module docstring.

    Parameters
    ----------
    r1, r2 : ndarray, (3,) or (N, 3)
        Positions at TCA, km, in one inertial frame; or r1 an engine.Conjunctions table
        (K events): then its states, cov1= (primary) and cov2= (secondary) or, by default,
        assumed covariances (see for_conjunctions), and hbr_km= are used.
    v1, v2 : ndarray, (3,) or (N, 3)
        Velocities, km/s.
    cov1, cov2 : ndarray, (3, 3), (6, 6), (N, 3, 3) or (N, 6, 6)
        Covariances, km^2, inertial (6x6: the position block is used).
    hbr_km : float or ndarray, (N,)
        Combined hard-body radius, km (0 gives Pc 0, inf gives Pc 1).
    assumed : bool or ndarray of bool, (N,), optional
        Marks covariances as assumed (AssumedCovariance inputs are marked automatically).
    backend : {"auto", "numpy", "cuda", "host"}
        "cuda": kernels/pc.cu, results stay on the device (cupy arrays) whatever the
        inputs' device; "host": kernels/pc.cu on the CPU, NumPy arrays.

    Returns
    -------
    PcResult
        (N,) arrays.

    Raises
    ------
    TypeError
        For a missing argument, or arrays given together with a Conjunctions table.
    ValueError
        Naming every bad input (shape, row count, non-finite rows, negative radius)
        before any work.
    """
    if _is_conjunctions(r1):
        extra = [k for k, a in (("v1", v1), ("r2", r2), ("v2", v2)) if a is not None]
        if extra or assumed is not None or hbr_km is None:
            raise TypeError("foster(conj, hbr_km=..., cov1=None, cov2=None): the states come from the "
                            "Conjunctions table" + (f"; drop {', '.join(extra)}" if extra else "")
                            + ("; drop assumed= (covariances are assumed when cov1/cov2 are None)"
                               if assumed is not None else "")
                            + ("; give hbr_km= (combined hard-body radius, km)" if hbr_km is None else ""))
        return for_conjunctions(r1, hbr_km, cov_primary=cov1, cov_secondary=cov2, backend=backend)
    missing = [k for k, a in (("v1", v1), ("cov1", cov1), ("r2", r2), ("v2", v2), ("cov2", cov2),
                              ("hbr_km", hbr_km)) if a is None]
    if missing:
        raise TypeError(f"foster() is missing {', '.join(missing)}: give r1, v1, cov1, r2, v2, cov2, hbr_km "
                        "(arrays), or an engine.Conjunctions table and hbr_km=")
    be = _backend.resolve(backend)
    host = [_backend.to_host(a) for a in (r1, v1, cov1, r2, v2, cov2, hbr_km)]
    r1h, v1h, r2h, v2h, c1, c2, hbr, n = _prepare(*host)
    assumed_mask = _is_assumed(cov1, assumed, n) | _is_assumed(cov2, None, n)
    c = c1 + c2
    out = _backend.implementation(__name__, be).foster(be, r1h, v1h, r2h, v2h, c, hbr)
    # kernels leave the assumed-covariance bit to the caller; it joins on the result's device
    assumed_bits = _backend.xp(be).asarray(np.where(assumed_mask, FLAG_ASSUMED_COVARIANCE, 0).astype(np.uint8))
    out = (out[0], out[1] | assumed_bits, *out[2:])
    return PcResult(*out, backend=be)


def for_conjunctions(conj, hbr_km, *, cov_primary=None, cov_secondary=None, backend="auto") -> PcResult:
    """Foster 2D Pc of every event of an engine.Conjunctions table (K events).

    States: the table's TEME states at TCA (r_primary ... v_secondary; TEME is a rotation
    of an inertial frame at each instant, and the 2D Pc does not change under rotation).

    Parameters
    ----------
    conj : engine.Conjunctions
    hbr_km : float or ndarray, (K,)
        Combined hard-body radius, km.
    cov_primary, cov_secondary : ndarray or None
        (3, 3), (6, 6), (K, 3, 3) or (K, 6, 6) km^2 in TEME, or None:
        engine.pc.default_covariance for the object's |days since epoch| at TCA (element
        sets carry no covariance), flagged ASSUMED_COVARIANCE.
    backend : {"auto", "numpy", "cuda", "host"}
        As foster.

    Returns
    -------
    PcResult
        Length K, method FOSTER-1992.

    Raises
    ------
    ValueError
        For a table with non-finite states or ages, naming the field, the rows and their
        catalogue numbers, before any work.
    """
    problems = []
    for name in ("r_primary", "v_primary", "r_secondary", "v_secondary", "dse_primary", "dse_secondary"):
        a = np.asarray(getattr(conj, name), dtype=np.float64)
        bad = np.flatnonzero((~np.isfinite(a)).any(axis=tuple(range(1, a.ndim))) if a.ndim > 1 else ~np.isfinite(a))
        if bad.size:
            sats = [f"{int(conj.primary_satnum[i])}/{int(conj.secondary_satnum[i])}" for i in bad[:10]]
            problems.append(f"{name}: non-finite in rows {bad[:10].tolist()} (primary/secondary {', '.join(sats)})")
    if problems:
        raise ValueError("engine.pc: the Conjunctions table has bad events: " + "; ".join(problems)
                         + "; drop them first, e.g. conj[np.isfinite(conj.miss_km)]")
    rp, vp = np.asarray(conj.r_primary, np.float64), np.asarray(conj.v_primary, np.float64)
    rs, vs = np.asarray(conj.r_secondary, np.float64), np.asarray(conj.v_secondary, np.float64)
    c1 = default_covariance(rp, vp, np.abs(conj.dse_primary)) if cov_primary is None else cov_primary
    c2 = default_covariance(rs, vs, np.abs(conj.dse_secondary)) if cov_secondary is None else cov_secondary
    return foster(rp, vp, c1, rs, vs, c2, hbr_km, backend=backend)


def monte_carlo(r1, v1, cov1, r2, v2, cov2, hbr_km, *, n_samples=1_000_000, seed=0,
                window_s=None, confidence=0.95, chunk=1 << 18, assumed=None,
                backend="numpy") -> MonteCarloResult:
    """Monte Carlo probability of collision, for conjunctions the 2D method cannot serve.

    Each trial draws both states from their Gaussian covariances (6x6: position and
    velocity; 3x3: position only, velocity fixed), then moves both objects on straight
    lines (linear relative motion) and counts a hit when the closest approach over the time
    window is below hbr_km.

    Parameters
    ----------
    r1, v1, cov1, r2, v2, cov2, hbr_km
        As foster (km, km/s, km^2; covariances 3x3 or 6x6).
    n_samples : int
        Trials per conjunction.
    seed : int
        SeedSequence(seed) spawns one stream per conjunction, so results do not depend on
        chunk: NumPy's PCG64 on the CPU ("numpy", "host"), cupy's default generator seeded
        from the same stream on the GPU (the two draw different samples; each is unbiased,
        and their estimates agree within their intervals).
    window_s : float or None
        None: unbounded straight-line closest approach (the 2D method's own assumption, so
        the two agree where 2D is valid), or a half-width in seconds around the given epoch
        (bounded encounter, e.g. slow encounters).
    confidence : float
        Level of the Wilson interval, in [0, 1).
    chunk : int
        Trials drawn at once (memory).
    assumed : bool or ndarray of bool, (N,), optional
        As foster.
    backend : {"auto", "numpy", "cuda", "host"}
        "cuda": the trials run on the device and only the hit counts come back, so the
        result is host NumPy (N counts); "host" draws as "numpy" (no kernel is involved).

    Returns
    -------
    MonteCarloResult
        (N,) host arrays.

    Raises
    ------
    ValueError
        For a bad n_samples, window_s or confidence, or bad inputs as foster.
    """
    name = _backend.resolve(backend)
    if not (isinstance(n_samples, (int, np.integer)) and n_samples > 0):
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    if window_s is not None and not window_s > 0:
        raise ValueError(f"window_s must be None or > 0 seconds, got {window_s!r}")
    if isinstance(confidence, bool) or not (isinstance(confidence, (int, float, np.integer, np.floating))
                                            and 0.0 <= confidence < 1.0):
        # checked here, before the trials, not where the interval is formed after them
        raise ValueError(f"confidence must be a number in [0, 1), got {confidence!r}; e.g. confidence=0.95")
    host = [_backend.to_host(a) for a in (r1, v1, cov1, r2, v2, cov2, hbr_km)]
    full = []
    for c in (host[2], host[5]):
        c = np.asarray(c, dtype=np.float64)
        full.append(c.shape[-1] == 6)
    r1h, v1h, r2h, v2h, _, _, hbr, n = _prepare(*host, what="monte_carlo")
    covs = []
    for c in (host[2], host[5]):
        c = np.asarray(c, dtype=np.float64)
        covs.append(np.broadcast_to(c if c.ndim == 3 else c[None], (n, *c.shape[-2:])))
    assumed_mask = _is_assumed(cov1, assumed, n) | _is_assumed(cov2, None, n)
    streams = np.random.SeedSequence(seed).spawn(n)
    hits, npd = _backend.implementation(__name__, name).monte_carlo_hits(
        name, streams, covs, r1h, v1h, r2h, v2h, hbr, n_samples, window_s, chunk)
    flags = np.where(assumed_mask, FLAG_ASSUMED_COVARIANCE, 0).astype(np.uint8)
    flags[npd] |= FLAG_NPD
    trials = np.full(n, n_samples, dtype=np.int64)
    lo, hi = _wilson(hits.astype(np.float64), trials.astype(np.float64), confidence)
    return MonteCarloResult(pc=hits / trials, hits=hits, trials=trials, ci_low=lo, ci_high=hi,
                            confidence=float(confidence), flags=flags)


def from_cdm(cdm, hbr_km=None, *, backend="auto") -> PcResult:
    """Foster 2D Pc of one parsed CDM (engine.cdm.CDM), states and covariances at TCA.

    Covariances: each object's 6x6 RTN covariance rotated to the frame of its state (km^2).

    Parameters
    ----------
    cdm : engine.cdm.CDM
    hbr_km : float or None
        Combined hard-body radius, km, used when the message gives none (an HBR keyword
        or a 'COMMENT HBR = <m>' line, metres).
    backend : {"auto", "numpy", "cuda", "host"}
        As foster.

    Returns
    -------
    PcResult
        Length 1.

    Raises
    ------
    ValueError
        When neither the message nor hbr_km gives a hard-body radius.
    """
    hbr_m = cdm.hbr_m
    if hbr_m is None:
        if hbr_km is None:
            raise ValueError(
                "the CDM gives no hard-body radius: no 'HBR' keyword and no 'COMMENT HBR = <metres>' "
                "line in the relative metadata; pass hbr_km= (combined radius, km)")
        hbr = float(hbr_km)
    else:
        hbr = hbr_m * 1e-3
    o1, o2 = cdm.object1, cdm.object2
    return foster(o1.position_km, o1.velocity_km_s, o1.covariance_inertial(),
                  o2.position_km, o2.velocity_km_s, o2.covariance_inertial(), hbr, backend=backend)
