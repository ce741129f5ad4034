"""Probability of collision (Pc) for conjunctions: Foster 2D, Monte Carlo, default covariance.

    res = engine.pc.foster(r1, v1, cov1, r2, v2, cov2, hbr_km)    # -> PcResult
    res.pc                  # (N,) float64, probability of collision
    res.flags               # (N,) uint8 bit field, see FLAGS / res.flag_names(i)
    mc = engine.pc.monte_carlo(r1, v1, cov1, r2, v2, cov2, hbr_km, n_samples=10**6, seed=0)
    cov = engine.pc.default_covariance(r, v, age_days=2.0)        # AssumedCovariance, km^2
    res = engine.pc.from_cdm(engine.cdm.read(path))
    res = engine.pc.foster(conj, hbr_km=0.05)   # every event of an engine.Conjunctions table
    conj = conj.with_pc(hbr_km=0.05)             # the same, as columns of the table (pc, pc_flags, ...)

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

import math
from dataclasses import dataclass

import numpy as np

from . import _backend
from .constants import WGS84_GM_KM3_S2
from .errors import PC_FLAGS, PcFlag
# the RTN frame is the one CDMs give covariances in: defined once, with the CDM codec
from .io.cdm import rtn_basis

# --------------------------------------------------------------------------- constants

#: Earth's gravitational parameter (EGM-96 / WGS-84), km^3/s^2: orbital periods for the
#: CARA duration indicators
GM_EARTH_KM3_S2 = WGS84_GM_KM3_S2
#: eigenvalue clipping factor: eigenvalues below (FCLIP * HBR)^2 are raised to it (CARA Fclip)
FCLIP = 1e-4
#: an encounter-plane eigenvalue with |l| <= COLLAPSE_RTOL * trace(C) is zero: forming C
#: (C1 + C2, rotations) and projecting it cost a few ulps of the trace each (~16 eps in all,
#: eps = 2.2e-16); 1e-13 leaves a margin of ~30 and is a sigma ratio of 3e-7 to the largest
COLLAPSE_RTOL = 1e-13
#: sqrt(2) * erfcinv(gamma) with gamma = 1e-16 (CARA ConjDurationGamma): half-width of the
#: conjunction duration in units of the rectilinear encounter time sigma (Coppola 2012, AAS 12-248)
SQRT2_ERFCINV_GAMMA = 8.304785425194114
#: CARA's recommended cut-offs (UsageViolationPc2D): Extended > 2e-2, Offset > 1e-2
EXTENDED_LIMIT = 2e-2
OFFSET_LIMIT = 1e-2
#: relative speed below which the straight-line, short-encounter model is not trusted (km/s).
#: Alfano's 2009 test cases, built to break the 2D method, run at 0.9 mm/s to 16 m/s; tools
#: that synthesise covariances commonly skip 2D Pc below 10 m/s.
SLOW_SPEED_KM_S = 0.01
#: quadrature parameters (see the module docstring)
QUAD_NODES = 16
QUAD_MAX_PANELS = 64
QUAD_WINDOW_K2 = 80.0
QUAD_PANEL_SIGMAS = 2.0
_GOLDEN_ITERS = 48
_BISECT_ITERS = 48

#: flag bits: engine.errors.PcFlag, whose values these names keep (plain ints, so that
#: `uint8 flags |= FLAG_x` stays uint8: see engine.errors on NumPy and int subclasses)
FLAG_SLOW = int(PcFlag.SLOW)
FLAG_LONG = int(PcFlag.LONG)
FLAG_NPD = int(PcFlag.NPD)
FLAG_ASSUMED_COVARIANCE = int(PcFlag.ASSUMED_COVARIANCE)
FLAG_OFFSET = int(PcFlag.OFFSET)
#: bit -> (name, meaning); kernels/pc.cuh carries the same numbers (tests/test_pc.py and
#: tests/test_errors.py check)
FLAGS: dict[int, tuple[str, str]] = PC_FLAGS

#: Pc levels operators act on, (level, who uses it and what for), largest first. Sources:
#: NASA ISS flight rules as NASA states them (ISS debris avoidance: a manoeuvre when Pc >
#: 1 in 10,000 unless it adds risk to the crew; when Pc > 1 in 100,000 if it does not
#: significantly affect the mission; NASA Orbital Debris Program Office, quoted by SpaceNews
#: 2014 and NASA's 'Space Debris and Human Spacecraft'); 1e-7: the lowest level at which
#: NASA CARA's Pc-method test set reports an event as consequential (its Cosmos 1408 DEB
#: rows, project reference conjunction.md section 3.6).
#: Entries: (level, short label, meaning).
PC_THRESHOLDS: tuple[tuple[float, str, str], ...] = (
    (1e-4, "ISS manoeuvre", "ISS manoeuvre threshold (NASA: manoeuvre unless it adds risk to the crew)"),
    (1e-5, "ISS manoeuvre if no mission impact", "ISS manoeuvre if it does not affect the mission (NASA)"),
    (1e-7, "reporting", "lowest level NASA CARA's Pc test set reports as consequential"),
)

#: default combined hard-body radius of the command line's screen (km): 20 m, the radius
#: NASA CARA's Pc test conjunctions use for large payloads (the Omitron case and the
#: WORLDVIEW 1 / GEOEYE 1 vs COSMOS 1408 DEB rows; project reference conjunction.md 3.6, 3.9).
#: The ISS's is 66.1 m (CARA HBR table, reference 3.7); a fragment adds ~0.1 m.
DEFAULT_HBR_KM = 0.02

_SQRT2 = math.sqrt(2.0)
_SQRT_PI = math.sqrt(math.pi)
_TWO_SQRT_2PI = 2.0 * math.sqrt(2.0 * math.pi)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PcResult:
    """Result of foster(): struct of (N,) arrays.

    pc: float64 probability of collision (NaN where the relative speed is zero);
    flags: uint8 bit field (FLAGS); miss_km, speed_km_s: |r1 - r2|, |v1 - v2|;
    sigma_major_km, sigma_minor_km: encounter-plane sigmas after clipping (0 across a
    covariance collapsed to a line, both 0 for one collapsed to a point);
    extended, offset: CARA usage-violation indicators (0..1) from the rectilinear model;
    backend: "numpy", "cuda" (arrays are cupy arrays) or "host" (kernels/pc.cu on the CPU).
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
        """Names of the flags set for conjunction i, e.g. ['SLOW', 'LONG']."""
        f = int(_backend.to_host(self.flags)[i])
        return [name for bit, (name, _) in FLAGS.items() if f & bit]


@dataclass(frozen=True)
class MonteCarloResult:
    """Result of monte_carlo(): (N,) arrays.

    pc = hits / trials; ci_low, ci_high: Wilson score interval at `confidence`;
    flags: FLAG_NPD where a covariance had to be clipped to be sampled,
    FLAG_ASSUMED_COVARIANCE where a covariance is assumed.
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

    r: (3,) or (N, 3) km; v: same shape, km/s (inertial); age_days: scalar or (N,), days
    from the element-set epoch to the time of r, v. Returns (N, 3, 3) (or (3, 3)) km^2 as an
    AssumedCovariance, built from the RTN sigmas of DEFAULT_COVARIANCE (diagonal in RTN).
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


# --------------------------------------------------------------------------- special functions

#: Chebyshev coefficients of (1 + 2x) erfcx(x) in t = (x - 3.75)/(x + 3.75), x >= 0
#: (the transformation of Schonfelder 1978, Math. Comp. 32(144)); computed with 50-digit
#: arithmetic, truncated where the terms drop below 1e-20: max rel. error ~1e-15 on [0, inf)
_ERFCX_K = 3.75
_ERFCX_CHEB = (
    1.1775789345674017, -0.004590054580646478, -0.08424913336651792, 0.05920993999819189,
    -0.026658668435305753, 0.009074997670705265, -0.002413163540417608, 0.0004907758365258086,
    -6.916973302501207e-05, 4.13902798607301e-06, 7.74038306619849e-07, -2.1886401049234397e-07,
    1.076499946567091e-08, 4.521959811218287e-09, -7.754400208831351e-10, -6.318088340886684e-11,
    2.86879501093067e-11, 1.9455868545777347e-13, -9.65469674843344e-13, 3.25254814814874e-14,
    3.3478119482868056e-14, -1.864562880419313e-15, -1.2507950530688648e-15, 7.418235256624044e-17,
    5.068148904796111e-17, -2.2370566594359995e-18, -2.187342944303018e-18, 2.6766327399258762e-20,
    9.736561401741451e-20,
)


def _exp_neg_sq(x: np.ndarray) -> np.ndarray:
    """exp(-x^2) without the rounding error of x*x: x = xh + xl, xh with 26 significant bits."""
    xh = (x.view(np.int64) & np.int64(~0x7FFFFFF)).view(np.float64)
    return np.exp(-xh * xh) * np.exp(-(x - xh) * (x + xh))


def erfc(x) -> np.ndarray:
    """Complementary error function, vectorised, relative error ~1e-15 (float64 array)."""
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    t = (ax - _ERFCX_K) / (ax + _ERFCX_K)
    # Clenshaw recurrence for sum c_k T_k(t)
    b1 = np.zeros_like(t)
    b2 = np.zeros_like(t)
    t2 = 2.0 * t
    for c in _ERFCX_CHEB[:0:-1]:
        b1, b2 = t2 * b1 - b2 + c, b1
    s = t * b1 - b2 + _ERFCX_CHEB[0]
    with np.errstate(invalid="ignore", over="ignore"):
        y = _exp_neg_sq(np.where(np.isfinite(ax), ax, 0.0)) * s / (1.0 + 2.0 * ax)
    y = np.where(np.isinf(ax), 0.0, y)
    return np.where(x < 0, 2.0 - y, y)


#: Taylor coefficients of erf(x) * sqrt(pi) / 2 = sum (-1)^k x^(2k+1) / (k! (2k+1)), |x| < 0.5
_ERF_TAYLOR = tuple((-1) ** k / (math.factorial(k) * (2 * k + 1)) for k in range(16))


def _erf_taylor(x: np.ndarray) -> np.ndarray:
    x2 = x * x
    p = np.full_like(x, _ERF_TAYLOR[-1])
    for c in _ERF_TAYLOR[-2::-1]:
        p = p * x2 + c
    return 2.0 / _SQRT_PI * x * p


def erf(x) -> np.ndarray:
    """Error function, vectorised; Taylor series below |x| = 0.5 keeps tiny arguments exact."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(np.abs(x) < 0.5, _erf_taylor(x), np.copysign(1.0 - erfc(np.abs(x)), x))


def _erf_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """erf(a) - erf(b) without cancellation, for a >= b (any signs)."""
    aa, ab = np.abs(a), np.abs(b)
    both = erfc(np.concatenate([aa.ravel(), ab.ravel()]))
    ea, eb = both[: aa.size].reshape(aa.shape), both[aa.size:].reshape(ab.shape)
    # same tail: difference of erfc (CARA erf_vec_dif)
    out = np.where(b > 0, eb - ea, ea - eb)
    # straddling zero: erf(|a|) + erf(|b|), with the Taylor series for small arguments
    mid = (b <= 0) & (a >= 0)
    if mid.any():
        am, bm = aa[mid], ab[mid]
        out[mid] = (np.where(am < 0.5, _erf_taylor(am), 1.0 - ea[mid])
                    + np.where(bm < 0.5, _erf_taylor(bm), 1.0 - eb[mid]))
    # close arguments: int_b^a exp(-t^2) dt = d e^{-m^2} [1 + H2(m) d^2/24 + H4(m) d^4/1920]
    # about the midpoint m (Hermite polynomials H2, H4); the next term is below 1e-16 here
    m = 0.5 * (a + b)
    d = a - b
    close = np.abs(d) * np.maximum(1.0, np.abs(m)) < 1e-2
    if close.any():
        m, d = m[close], d[close]
        m2, d2 = m * m, d * d
        h2 = 4.0 * m2 - 2.0
        h4 = (16.0 * m2 - 48.0) * m2 + 12.0
        out[close] = 2.0 / _SQRT_PI * d * np.exp(-m2) * (1.0 + d2 * (h2 / 24.0 + d2 * h4 / 1920.0))
    return out


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


# --------------------------------------------------------------------------- NumPy Foster


def _dot3(a, b):
    return a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1] + a[:, 2] * b[:, 2]


def _sym_mul(c, x):
    """(N,3,3) symmetric times (N,3), row sums left to right."""
    return np.stack([c[:, i, 0] * x[:, 0] + c[:, i, 1] * x[:, 1] + c[:, i, 2] * x[:, 2] for i in range(3)], 1)


def _period(r, v):
    """Keplerian period (s) of inertial states r (N,3) km, v (N,3) km/s; inf if unbound."""
    energy = 0.5 * _dot3(v, v) - GM_EARTH_KM3_S2 / np.sqrt(_dot3(r, r))
    with np.errstate(divide="ignore", invalid="ignore"):
        a = -GM_EARTH_KM3_S2 / (2.0 * energy)
        p = 2.0 * math.pi * np.sqrt(a**3 / GM_EARTH_KM3_S2)
    return np.where(energy < 0, p, np.inf)


def _ldl_solve_terms(c, r, v, lclip):
    """r'A^-1 v and v'A^-1 v for symmetric 3x3 A = c (N,3,3), with LDL' pivots clipped to
    >= lclip (the remediation used for the duration indicators) and whether a pivot was."""
    d0 = c[:, 0, 0]
    clipped = d0 < lclip
    d0 = np.maximum(d0, lclip)
    l10 = c[:, 1, 0] / d0
    l20 = c[:, 2, 0] / d0
    d1 = c[:, 1, 1] - l10 * l10 * d0
    clipped |= d1 < lclip
    d1 = np.maximum(d1, lclip)
    l21 = (c[:, 2, 1] - l20 * l10 * d0) / d1
    d2 = c[:, 2, 2] - l20 * l20 * d0 - l21 * l21 * d1
    clipped |= d2 < lclip
    d2 = np.maximum(d2, lclip)

    def fwd(b):  # solve L y = b
        y0 = b[:, 0]
        y1 = b[:, 1] - l10 * y0
        y2 = b[:, 2] - l20 * y0 - l21 * y1
        return y0, y1, y2

    ry, vy = fwd(r), fwd(v)
    rv = ry[0] * vy[0] / d0 + ry[1] * vy[1] / d1 + ry[2] * vy[2] / d2
    vv = vy[0] ** 2 / d0 + vy[1] ** 2 / d1 + vy[2] ** 2 / d2
    return rv, vv, clipped


def _q_exponent(z, xm, zm, sx, sz, hbr):
    h = np.sqrt(np.maximum(0.0, (hbr - (z - zm)) * (hbr + (z - zm))))
    d = np.maximum(0.0, xm - h)
    return (z / sz) ** 2 + (d / sx) ** 2


def _window(xm, zm, sx, sz, hbr):
    """Interval [zl, zh] of the disk where Q <= min Q + QUAD_WINDOW_K2, and W (sigmas spanned)."""
    q = lambda z: _q_exponent(z, xm, zm, sx, sz, hbr)  # noqa: E731
    g = 0.5 * (math.sqrt(5.0) - 1.0)
    lo0, hi0 = zm - hbr, zm + hbr
    a, b = lo0, hi0
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = q(c), q(d)
    for _ in range(_GOLDEN_ITERS):  # golden-section search: Q is convex in z
        left = fc <= fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        keep = np.where(left, c, d)
        fkeep = np.where(left, fc, fd)
        c = np.where(left, b - g * (b - a), keep)
        d = np.where(left, keep, a + g * (b - a))
        fnew = q(np.where(left, c, d))
        fc = np.where(left, fnew, fkeep)
        fd = np.where(left, fkeep, fnew)
    zs = 0.5 * (a + b)
    qmin = q(zs)
    target = qmin + QUAD_WINDOW_K2
    ends = []
    for end in (lo0, hi0):
        outer, inner = end, zs
        for _ in range(_BISECT_ITERS):  # keep the outer end: the window errs on the wide side
            m = 0.5 * (outer + inner)
            out = q(m) > target
            outer = np.where(out, m, outer)
            inner = np.where(out, inner, m)
        ends.append(np.where(q(end) <= target, end, outer))
    zl, zh = ends
    w = (np.sqrt(np.clip(q(zl) - qmin, 0.0, QUAD_WINDOW_K2))
         + np.sqrt(np.clip(q(zh) - qmin, 0.0, QUAD_WINDOW_K2)))
    return zl, zh, w


def _pc_plane(xm, zm, sx, sz, hbr):
    """2D Pc of a disk (radius hbr, centre (xm, zm) >= 0) under N(0, diag(sx^2, sz^2)), sx >= sz > 0.

    All (M,) arrays, finite, hbr > 0. See the module docstring for the quadrature.
    """
    # bounds of Q over the disk; when they differ by less than QUAD_WINDOW_K2 the window is
    # the whole disk and the search is skipped (the usual case: sigmas >> HBR), with the
    # sigma count W bounded by 2 sqrt(bound difference) (conservative: more panels, not fewer)
    qmax = ((zm + hbr) / sz) ** 2 + (xm / sx) ** 2
    qmin = (np.maximum(0.0, zm - hbr) / sz) ** 2 + (np.maximum(0.0, xm - hbr) / sx) ** 2
    easy = qmax - qmin <= QUAD_WINDOW_K2
    zl, zh = zm - hbr, zm + hbr
    w = 2.0 * np.sqrt(np.maximum(qmax - qmin, 0.0))
    hard = np.flatnonzero(~easy)
    if hard.size:
        zl, zh, w = zl.copy(), zh.copy(), w.copy()
        zl[hard], zh[hard], w[hard] = _window(xm[hard], zm[hard], sx[hard], sz[hard], hbr[hard])
    tl = np.arccos(np.clip((zm - zl) / hbr, -1.0, 1.0))
    th = np.arccos(np.clip((zm - zh) / hbr, -1.0, 1.0))
    dth = th - tl
    panels = np.clip(np.ceil(np.maximum(w, dth * hbr / sz) / QUAD_PANEL_SIGMAS), 1, QUAD_MAX_PANELS)
    panels = panels.astype(np.int64)
    xg, wg = np.polynomial.legendre.leggauss(QUAD_NODES)
    total = np.zeros_like(xm)
    idx = np.arange(xm.size)
    width = dth / panels
    for p in range(QUAD_MAX_PANELS):
        idx = idx[panels[idx] > p]
        if idx.size == 0:
            break
        pw = width[idx][:, None]
        t = tl[idx][:, None] + (p + 0.5 * (xg + 1.0)) * pw
        R = hbr[idx][:, None]
        z = (zm[idx][:, None] - R) + 2.0 * R * np.sin(0.5 * t) ** 2  # zm - R cos t, no cancellation
        h = R * np.sin(t)
        s2x = _SQRT2 * sx[idx][:, None]
        xmi = xm[idx][:, None]
        e = _erf_diff((xmi + h) / s2x, (xmi - h) / s2x)
        f = h * np.exp(-0.5 * (z / sz[idx][:, None]) ** 2) * e
        total[idx] += 0.5 * width[idx] * (f @ wg)
    return total / (_TWO_SQRT_2PI * sz)


def _pc_line(xm, zm, sx, hbr):
    """Exact Pc of a covariance collapsed to a line (variance sx^2 along the major axis, zero
    across): the 1-D Gaussian integral over the chord |x| < h = sqrt(HBR^2 - zm^2) of the
    hard-body circle centred at (xm, zm), i.e. (erf((xm + h)/(sqrt2 sx)) - erf((xm - h)/(sqrt2 sx)))/2;
    0 where the line misses the circle or touches it (zm >= HBR). All (M,) arrays, sx > 0."""
    h = np.sqrt(np.maximum(0.0, (hbr - zm) * (hbr + zm)))
    s2x = _SQRT2 * sx
    return np.minimum(1.0, 0.5 * _erf_diff((xm + h) / s2x, (xm - h) / s2x))


def _foster_numpy(r1, v1, r2, v2, c, hbr):
    """NumPy Foster 2D: r1..v2 (N,3) km, km/s; c (N,3,3) combined km^2; hbr (N,) km."""
    n = r1.shape[0]
    r = r1 - r2
    v = v1 - v2
    rmag = np.sqrt(_dot3(r, r))
    vmag = np.sqrt(_dot3(v, v))
    flags = np.zeros(n, dtype=np.uint8)
    flags[vmag < SLOW_SPEED_KM_S] |= FLAG_SLOW
    # zero miss: move r by 1e-6 HBR perpendicular to v (CARA PcCircle does the same), so that
    # the encounter frame exists; the Pc changes by O(1e-12)
    tiny = (rmag < 1e-6 * hbr) & np.isfinite(hbr)
    rsum = r1 + r2
    perp = np.cross(rsum, v)
    pn = np.sqrt(_dot3(perp, perp))
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = (1e-6 * hbr / pn)[:, None] * perp
    r = np.where((tiny & (pn > 0))[:, None], r + shift, r)
    rmag_eff = np.sqrt(_dot3(r, r))
    hvec = np.cross(r, v)
    hn = np.sqrt(_dot3(hvec, hvec))
    # r parallel to v (not at TCA, or zero miss with degenerate geometry): any normal to v
    alt = np.cross(v, np.eye(3)[np.argmin(np.abs(v), axis=1)])
    hvec = np.where((hn > 0)[:, None], hvec, alt)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = v / vmag[:, None]
        zh = hvec / np.sqrt(_dot3(hvec, hvec))[:, None]
    xh = np.cross(y, zh)
    cs = 0.5 * (c + np.swapaxes(c, 1, 2))
    # projection with the summation order of kernels/pc.cuh (det below is ill-conditioned
    # for elongated ellipses; the same order keeps NumPy and the kernel within 1e-12)
    cx = _sym_mul(cs, xh)
    cz = _sym_mul(cs, zh)
    a11 = _dot3(xh, cx)
    a12 = _dot3(xh, cz)
    a22 = _dot3(zh, cz)
    # 2x2 eigen-decomposition; the small eigenvalue as det/l1 (no cancellation)
    half_tr = 0.5 * (a11 + a22)
    half_df = 0.5 * (a11 - a22)
    s = np.hypot(half_df, a12)
    l1 = half_tr + s
    det = a11 * a22 - a12 * a12
    with np.errstate(invalid="ignore", divide="ignore"):
        l2 = np.where(l1 > 0, det / l1, half_tr - s)
    # unit eigenvector of l1 in (x, z): (l1 - a22, a12) or (a12, l1 - a11), the better conditioned
    ex = np.where(half_df >= 0, l1 - a22, a12)
    ez = np.where(half_df >= 0, a12, l1 - a11)
    en = np.hypot(ex, ez)
    with np.errstate(invalid="ignore", divide="ignore"):
        ex, ez = np.where(en > 0, ex / en, 1.0), np.where(en > 0, ez / en, 0.0)
    # clipping level (CARA Fclip); hbr = inf is Pc = 1 and hbr = 0 is Pc = 0 without clipping
    lclip = np.where(np.isfinite(hbr), (FCLIP * hbr) ** 2, 0.0)
    npd = (l2 < lclip) | (l1 < lclip)
    # collapsed to a line / a point: exact limit below, no clipping (module docstring, step 3)
    noise = COLLAPSE_RTOL * np.maximum(cs[:, 0, 0] + cs[:, 1, 1] + cs[:, 2, 2], 0.0)
    point = l1 <= noise
    line = (np.abs(l2) <= noise) & ~point
    l1c = np.maximum(l1, lclip)
    l2c = np.maximum(l2, lclip)
    sx = np.where(point, 0.0, np.where(line, np.sqrt(np.maximum(l1, 0.0)), np.sqrt(l1c)))
    sz = np.where(point | line, 0.0, np.sqrt(l2c))
    xm = rmag_eff * np.abs(ex)
    zm = rmag_eff * np.abs(ez)

    # CARA usage-violation duration indicators (rectilinear; Coppola 2012, Hall 2021)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        rv, vv, clipped3 = _ldl_solve_terms(cs, r, v, np.maximum(lclip, 1e-300))
    npd |= clipped3
    flags[npd] |= FLAG_NPD
    with np.errstate(invalid="ignore", divide="ignore"):
        sig_t = 1.0 / np.sqrt(vv)
        t_mid = np.where(rv == 0, 0.0, -rv / vv)
        dtau = sig_t * SQRT2_ERFCINV_GAMMA
        pmin = np.minimum(_period(r1, v1), _period(r2, v2))
        extended = np.minimum(1.0, 2.0 * dtau / pmin)
        offset = np.minimum(1.0, np.maximum(np.abs(t_mid - dtau), np.abs(t_mid + dtau)) / pmin)
    zero_v = vmag == 0
    extended = np.where(zero_v, 1.0, extended)
    offset = np.where(zero_v, 1.0, offset)
    flags[extended > EXTENDED_LIMIT] |= FLAG_LONG
    flags[offset > OFFSET_LIMIT] |= FLAG_OFFSET

    pc = np.zeros(n)
    finite_r = np.isfinite(hbr)
    ok = (hbr > 0) & finite_r & ~zero_v
    work = np.flatnonzero(ok & ~point & ~line)
    if work.size:
        pc[work] = np.minimum(1.0, _pc_plane(xm[work], zm[work], sx[work], sz[work], hbr[work]))
    work = np.flatnonzero(ok & line)
    if work.size:
        pc[work] = _pc_line(xm[work], zm[work], sx[work], hbr[work])
    work = np.flatnonzero(ok & point)
    pc[work] = np.where(rmag[work] < hbr[work], 1.0, 0.0)
    pc[~finite_r] = 1.0
    pc[zero_v] = np.nan
    return pc, flags, rmag, vmag, sx, sz, extended, offset


# --------------------------------------------------------------------------- kernel launcher
# One launcher over both executors (engine/_hostexec.py): cupy arrays through
# cupy.RawModule on backend "cuda", NumPy arrays through kernels/pc.cu compiled for the
# CPU on backend "host".

_THREADS = 128
_CUDA_SRC = "pc.cu"
#: per-conjunction inputs packed by the launcher: r1, v1, r2, v2, C (xx, xy, xz, yy, yz, zz), hbr
PACKED_IN = 19
#: per-conjunction float64 outputs: pc, miss, speed, sigma_major, sigma_minor, extended, offset
PACKED_OUT = 7


def pack_inputs(r1, v1, r2, v2, c, hbr) -> np.ndarray:
    """(N, PACKED_IN) float64 rows as kernels/pc.cuh reads them (row-major, one row per conjunction)."""
    cs = 0.5 * (c + np.swapaxes(c, 1, 2))
    cu = cs[:, [0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]]
    return np.ascontiguousarray(np.concatenate([r1, v1, r2, v2, cu, hbr[:, None]], axis=1))


def _foster_kernel(backend, r1, v1, r2, v2, c, hbr):
    """kernels/pc.cu pc_foster_f64 on backend "cuda" or "host": (N, 3) host states, (N, 3, 3)
    combined covariance c, (N,) hbr -> the PcResult columns as the executor's arrays."""
    from ._hostexec import executor
    from ._kernels import grid_blocks

    ex = executor(backend)
    xp = ex.xp
    packed = xp.asarray(pack_inputs(r1, v1, r2, v2, c, hbr))
    n = packed.shape[0]
    out = xp.empty((n, PACKED_OUT), dtype=xp.float64)
    flags = xp.empty(n, dtype=xp.uint8)
    if n:
        kern = ex.kernel(_CUDA_SRC, "pc_foster_f64")
        grid = grid_blocks(n, _THREADS)
        kern(grid, (_THREADS,), (packed, np.int64(n), out, flags))
    return (out[:, 0], flags, out[:, 1], out[:, 2], out[:, 3], out[:, 4], out[:, 5], out[:, 6])


# --------------------------------------------------------------------------- public API


def foster(r1, v1=None, cov1=None, r2=None, v2=None, cov2=None, hbr_km=None, *, assumed=None,
           backend="auto") -> PcResult:
    """Foster/Akella-Alfriend 2D probability of collision of N conjunctions at TCA.

    r1, r2: (3,) or (N, 3) km; v1, v2: (3,) or (N, 3) km/s (same inertial frame);
    cov1, cov2: (3, 3), (6, 6), (N, 3, 3) or (N, 6, 6) km^2, inertial (6x6: the position
    block is used); hbr_km: scalar or (N,) combined hard-body radius, km (0 gives Pc 0,
    inf gives Pc 1); assumed: optional bool or (N,) bool, marks covariances as assumed
    (AssumedCovariance inputs are marked automatically).
    backend: "auto" | "numpy" | "cuda" (kernels/pc.cu; results stay on the device) | "host"
    (kernels/pc.cu on the CPU, NumPy arrays).
    Returns PcResult with (N,) arrays; see the module docstring for method and flags.

    foster(conj, hbr_km=0.05): the same for every event of an engine.Conjunctions table,
    states from the table, covariances cov1= (primary) and cov2= (secondary) or, by default,
    assumed ones (see for_conjunctions).
    """
    from .screening import Conjunctions

    if isinstance(r1, Conjunctions):
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
    if be in _backend.KERNEL_BACKENDS:
        out = _foster_kernel(be, r1h, v1h, r2h, v2h, c, np.ascontiguousarray(hbr))
        xp = _backend.xp(be)
        flags = out[1] | xp.asarray(np.where(assumed_mask, FLAG_ASSUMED_COVARIANCE, 0).astype(np.uint8))
        out = (out[0], flags, *out[2:])
    else:
        out = list(_foster_numpy(r1h, v1h, r2h, v2h, c, hbr))
        out[1] = out[1] | np.where(assumed_mask, FLAG_ASSUMED_COVARIANCE, 0).astype(np.uint8)
    return PcResult(*out, backend=be)


def for_conjunctions(conj, hbr_km, *, cov_primary=None, cov_secondary=None, backend="auto") -> PcResult:
    """Foster 2D Pc of every event of an engine.Conjunctions table (K events).

    States: the table's TEME states at TCA (r_primary ... v_secondary; TEME is a rotation
    of an inertial frame at each instant, and the 2D Pc does not change under rotation).
    hbr_km: combined hard-body radius, km, scalar or (K,).
    cov_primary, cov_secondary: (3, 3), (6, 6), (K, 3, 3) or (K, 6, 6) km^2 in TEME, or
    None: engine.pc.default_covariance for the object's |days since epoch| at TCA
    (element sets carry no covariance), flagged ASSUMED_COVARIANCE.
    Returns a PcResult of length K (method FOSTER-1992). A table with non-finite states or
    ages raises ValueError naming the field, the rows and their catalogue numbers before
    any work.
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


def _wilson(hits, trials, confidence):
    """Wilson score interval (Wilson 1927) for a binomial proportion; closed form, valid at 0 hits."""
    zq = _normal_quantile(0.5 + 0.5 * confidence)
    p = hits / trials
    z2n = zq * zq / trials
    centre = (p + 0.5 * z2n) / (1.0 + z2n)
    half = zq * np.sqrt(p * (1.0 - p) / trials + 0.25 * z2n / trials) / (1.0 + z2n)
    return np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)


def _normal_quantile(p: float) -> float:
    """Standard normal quantile by bisection on erfc (scalar; exact to ~1e-15)."""
    if not 0.5 <= p < 1.0:
        raise ValueError(f"confidence must be in [0, 1), got {2 * p - 1}")
    lo, hi = 0.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 0.5 * float(erfc(np.array(mid / _SQRT2))) > 1.0 - p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _sampler(cov):
    """Square-root factor of a covariance for sampling; NPD ones clipped at zero (flagged)."""
    w, u = np.linalg.eigh(0.5 * (cov + cov.T))
    npd = bool(np.any(w < 0))
    return u * np.sqrt(np.maximum(w, 0.0)), npd


def monte_carlo(r1, v1, cov1, r2, v2, cov2, hbr_km, *, n_samples=1_000_000, seed=0,
                window_s=None, confidence=0.95, chunk=1 << 18, assumed=None,
                backend="numpy") -> MonteCarloResult:
    """Monte Carlo probability of collision, for conjunctions the 2D method cannot serve.

    Inputs as foster(). Each trial draws both states from their Gaussian covariances (6x6:
    position and velocity; 3x3: position only, velocity fixed), then moves both objects on
    straight lines (linear relative motion) and counts a hit when the closest approach over
    the time window is below hbr_km. window_s: None = unbounded straight-line closest
    approach (the 2D method's own assumption, so the two agree where 2D is valid), or a
    half-width in seconds around the given epoch (bounded encounter, e.g. slow encounters).
    n_samples: trials per conjunction; seed: SeedSequence(seed) spawns one stream per
    conjunction, so results do not depend on chunk: NumPy's PCG64 on the CPU, cupy's
    default generator seeded from the same stream on the GPU (the two backends draw
    different samples; each is unbiased, and their estimates agree within their
    intervals). confidence: Wilson interval. backend: "auto" | "numpy" | "cuda" (trials
    run on the device, only the hit counts come back).
    """
    name = _backend.resolve(backend)
    xp = _backend.xp(name)
    if not (isinstance(n_samples, (int, np.integer)) and n_samples > 0):
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    if window_s is not None and not window_s > 0:
        raise ValueError(f"window_s must be None or > 0 seconds, got {window_s!r}")
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
    hits = np.zeros(n, dtype=np.int64)
    flags = np.where(assumed_mask, FLAG_ASSUMED_COVARIANCE, 0).astype(np.uint8)
    for i in range(n):
        if name == "cuda":
            rng = xp.random.default_rng(int(streams[i].generate_state(1, np.uint64)[0]))
        else:
            rng = np.random.default_rng(streams[i])
        f1, npd1 = _sampler(covs[0][i])
        f2, npd2 = _sampler(covs[1][i])
        if npd1 or npd2:
            flags[i] |= FLAG_NPD
        f1, f2 = xp.asarray(f1), xp.asarray(f2)
        x1 = xp.asarray(np.concatenate([r1h[i], v1h[i]])[: f1.shape[0]])
        x2 = xp.asarray(np.concatenate([r2h[i], v2h[i]])[: f2.shape[0]])
        v1i, v2i = xp.asarray(v1h[i]), xp.asarray(v2h[i])
        done = 0
        while done < n_samples:
            m = min(chunk, n_samples - done)
            s1 = x1 + rng.standard_normal((m, f1.shape[0])) @ f1.T
            s2 = x2 + rng.standard_normal((m, f2.shape[0])) @ f2.T
            dr = s1[:, :3] - s2[:, :3]
            dv = (s1[:, 3:6] if s1.shape[1] == 6 else v1i) - (s2[:, 3:6] if s2.shape[1] == 6 else v2i)
            dv = xp.broadcast_to(dv, dr.shape)
            vv = xp.sum(dv * dv, axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                t = xp.where(vv > 0, -xp.sum(dr * dv, axis=1) / xp.where(vv > 0, vv, 1.0), 0.0)
            if window_s is not None:
                t = xp.clip(t, -window_s, window_s)
            d = dr + t[:, None] * dv
            hits[i] += int(xp.count_nonzero(xp.sum(d * d, axis=1) < hbr[i] * hbr[i]))
            done += m
    trials = np.full(n, n_samples, dtype=np.int64)
    lo, hi = _wilson(hits.astype(np.float64), trials.astype(np.float64), confidence)
    return MonteCarloResult(pc=hits / trials, hits=hits, trials=trials, ci_low=lo, ci_high=hi,
                            confidence=float(confidence), flags=flags)


def from_cdm(cdm, hbr_km=None, *, backend="auto") -> PcResult:
    """Foster 2D Pc of one parsed CDM (engine.cdm.CDM), states and covariances at TCA.

    The hard-body radius comes from the message (an HBR keyword or a 'COMMENT HBR = <m>'
    line, metres), else from hbr_km (km); with neither a ValueError names the field.
    Covariances: each object's 6x6 RTN covariance rotated to the frame of its state (km^2).
    Returns a PcResult of length 1.
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
