"""NumPy implementation of Cowell propagation (the CPU backend and the oracle of
kernels/cowell.cuh).

Everything here works in the integration frame of engine.numerical: an inertial frame
whose z axis is Earth's true pole of date at the propagation's epoch (the TEME axes at
epoch, held fixed). States are (6, n) float64 arrays, rows x, y, z (km), vx, vy, vz
(km/s), one column per object, so that every force evaluation is a few dozen whole-row
NumPy operations; there is no Python loop over objects.

Integration scheme (the same in kernels/cowell.cuh):

- every object keeps its own time t, step h and error estimate; the objects of a
  working set (at most BLOCK) advance in lock-step iterations of "one attempted step
  each", objects that are finished (last output time reached, re-entered, failed) are
  compacted away, and queued objects join the set as it empties, lowest perigee first
  (they take the most steps), so that the set stays full until the queue is exhausted;
- error norm per step: err = max(|dr| / (rtol |r|), |dv| / (rtol |v|)) with dr, dv the
  difference between the embedded solutions (vector norms: rotation invariant, and no
  absolute tolerance is needed since |r| > 6,000 km and |v| > 1 km/s in any orbit that
  has not re-entered); a step is accepted when err <= 1;
- step-size control: the elementary controller (Hairer, Norsett & Wanner, Solving ODEs I,
  2nd ed., sec. II.4, eq. 4.13), h_new = h min(FACMAX, max(FACMIN, SAFETY err^(-1/(q+1))))
  with q the order of the embedded (lower-order) solution, and no growth right after a
  rejection; steps are capped at hmax and clamped to land exactly on the last output time;
- dense output (dense=True, the default): for output times inside an accepted step, a
  quintic Hermite interpolant through (r, v, a) at both ends of the step (a = the
  acceleration, which the next step needs anyway as its first stage). Its position error
  is about h^6 |r^(6)| / 46080, h^6 * 3e-19 km/s^6 in LEO: ~4 mm at the ~155 s steps of
  dp87's default, 2 cm at 200 s, 0.2 m at hmax = 300 s; its velocity error is about 6/h
  times that (~0.2 mm/s at 155 s). dense=False instead clamps every step to land exactly
  on the next output time (no interpolation error; more steps when outputs are closer
  together than the steps);
- density kinks: where the atmosphere's ln rho has a jump of slope in altitude (the band
  edges of a piecewise-exponential model, the nodes of a table), a step across the edge
  has a large error estimate at any length, and the plain controller rejects and shrinks
  it several times and then regrows it (~6 steps per crossing, twice an orbit per edge
  for a decaying fragment). A rejected step that crossed a kink strong enough to explain
  the rejection is retried ending just past the crossing (found on the step's quintic
  Hermite path) and the step after it resumes the interrupted length (_land_on_kinks;
  on the Cosmos-like benchmark cloud: 33 % fewer iterations, 29 % fewer steps for the
  slowest fragment);
- re-entry: when the altitude at the end of an accepted step is below reentry_km, the
  crossing time is found by 20 bisections on the same interpolant (< 3e-4 s), the object
  stops there and later outputs are NaN with status REENTERED.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import _parallel
from .._orbits import osculating_aei
from ..constants import SECONDS_PER_DAY
# the force model's constants and parameters are shared with the launcher (engine/numerical/
# _model.py); imported here under their old names too
from ._model import (AU, CBAR_N0, GM, GM_MOON, GM_SUN, KINK_LUT_KM, MAX_STEPS, MAX_ZONAL,  # noqa: F401
                     METHOD_CODES, OK, OMEGA_EARTH, P_SRP, R_EARTH, R_MOON_UNIT, REENTERED, STATUS_MESSAGES,
                     STEP_UNDERFLOW, WGS84_A, WGS84_F, J, Model, density_kinks, from_integration_frame,
                     kink_lookup, kink_strength, piecewise_arrays, piecewise_bands)

#: objects in the working set of the NumPy driver: a lock-step iteration has a fixed cost
#: of ~2 ms of NumPy call overhead, so larger sets amortise it; measured on the benchmark
#: cloud (20,000 fragments, 2 cores): 8,192 and 16,384 equal, 32,768 4 % slower
BLOCK = 8192
#: the working set takes in queued objects once this fraction of it is free
REFILL = 0.125
#: objects per stream (each stream one working set, the streams shared out among threads):
#: the streams are made from the number of objects alone, so that results do not depend on
#: the thread count (see propagate)
STREAM = BLOCK

# ---------------------------------------------------------------------------------------
# Butcher tableaux.


def _dp87():
    """Prince & Dormand, "High order embedded Runge-Kutta formulae", J. Comput. Appl.
    Math. 7(1), 67-75 (1981), RK8(7)13M: 13 stages, 8th-order solution (b), 7th-order
    embedded solution (bhat) for the error estimate, local extrapolation."""
    a = np.zeros((13, 13))
    a[1, 0] = 1 / 18
    a[2, :2] = [1 / 48, 1 / 16]
    a[3, [0, 2]] = [1 / 32, 3 / 32]
    a[4, [0, 2, 3]] = [5 / 16, -75 / 64, 75 / 64]
    a[5, [0, 3, 4]] = [3 / 80, 3 / 16, 3 / 20]
    a[6, [0, 3, 4, 5]] = [29443841 / 614563906, 77736538 / 692538347, -28693883 / 1125000000,
                          23124283 / 1800000000]
    a[7, [0, 3, 4, 5, 6]] = [16016141 / 946692911, 61564180 / 158732637, 22789713 / 633445777,
                             545815736 / 2771057229, -180193667 / 1043307555]
    a[8, [0, 3, 4, 5, 6, 7]] = [39632708 / 573591083, -433636366 / 683701615,
                                -421739975 / 2616292301, 100302831 / 723423059,
                                790204164 / 839813087, 800635310 / 3783071287]
    a[9, [0, 3, 4, 5, 6, 7, 8]] = [246121993 / 1340847787, -37695042795 / 15268766246,
                                   -309121744 / 1061227803, -12992083 / 490766935,
                                   6005943493 / 2108947869, 393006217 / 1396673457,
                                   123872331 / 1001029789]
    a[10, [0, 3, 4, 5, 6, 7, 8, 9]] = [-1028468189 / 846180014, 8478235783 / 508512852,
                                       1311729495 / 1432422823, -10304129995 / 1701304382,
                                       -48777925059 / 3047939560, 15336726248 / 1032824649,
                                       -45442868181 / 3398467696, 3065993473 / 597172653]
    a[11, [0, 3, 4, 5, 6, 7, 8, 9, 10]] = [185892177 / 718116043, -3185094517 / 667107341,
                                           -477755414 / 1098053517, -703635378 / 230739211,
                                           5731566787 / 1027545527, 5232866602 / 850066563,
                                           -4093664535 / 808688257, 3962137247 / 1805957418,
                                           65686358 / 487910083]
    a[12, [0, 3, 4, 5, 6, 7, 8, 9, 10]] = [403863854 / 491063109, -5068492393 / 434740067,
                                           -411421997 / 543043805, 652783627 / 914296604,
                                           11173962825 / 925320556, -13158990841 / 6184727034,
                                           3936647629 / 1978049680, -160528059 / 685178525,
                                           248638103 / 1413531060]
    b = np.zeros(13)
    b[[0, 5, 6, 7, 8, 9, 10, 11, 12]] = [14005451 / 335480064, -59238493 / 1068277825,
                                         181606767 / 758867731, 561292985 / 797845732,
                                         -1041891430 / 1371343529, 760417239 / 1151165299,
                                         118820643 / 751138087, -528747749 / 2220607170, 1 / 4]
    bhat = np.zeros(13)
    bhat[[0, 5, 6, 7, 8, 9, 10, 11]] = [13451932 / 455176623, -808719846 / 976000145,
                                        1757004468 / 5645159321, 656045339 / 265891186,
                                        -3867574721 / 1518517206, 465885868 / 322736535,
                                        53011238 / 667516719, 2 / 45]
    c = np.array([0, 1 / 18, 1 / 12, 1 / 8, 5 / 16, 3 / 8, 59 / 400, 93 / 200,
                  5490023248 / 9719169821, 13 / 20, 1201146811 / 1299019798, 1, 1])
    return a, b, bhat, c


def _dp54():
    """Dormand & Prince, "A family of embedded Runge-Kutta formulae", J. Comput. Appl.
    Math. 6(1), 19-26 (1980), RK5(4)7M: 7 stages, first same as last (stage 7 is the
    derivative at the 5th-order solution), 4th-order embedded solution."""
    a = np.zeros((7, 7))
    a[1, 0] = 1 / 5
    a[2, :2] = [3 / 40, 9 / 40]
    a[3, :3] = [44 / 45, -56 / 15, 32 / 9]
    a[4, :4] = [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729]
    a[5, :5] = [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]
    a[6, :6] = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]
    b = a[6].copy()
    bhat = np.array([5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40])
    c = np.array([0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1])
    return a, b, bhat, c


def _rk4():
    """The classical 4th-order Runge-Kutta method (Kutta 1901), fixed step, no error estimate."""
    a = np.zeros((4, 4))
    a[1, 0] = 0.5
    a[2, 1] = 0.5
    a[3, 2] = 1.0
    return a, np.array([1 / 6, 1 / 3, 1 / 3, 1 / 6]), None, np.array([0, 0.5, 0.5, 1.0])


class Tableau:
    """An explicit Runge-Kutta tableau: a (s, s), b (s,), bhat (s,) or None, c (s,),
    order (of b), err_order (of bhat; the controller's q), fsal (the last stage is the
    derivative at the new solution)."""

    def __init__(self, name, a, b, bhat, c, order, err_order, fsal):
        self.name, self.a, self.b, self.bhat, self.c = name, a, b, bhat, c
        self.order, self.err_order, self.fsal = order, err_order, fsal
        self.stages = len(b)
        self.e = None if bhat is None else b - bhat


TABLEAUX = {
    "dp87": Tableau("dp87", *_dp87(), order=8, err_order=7, fsal=False),
    "dp54": Tableau("dp54", *_dp54(), order=5, err_order=4, fsal=True),
    "rk4": Tableau("rk4", *_rk4(), order=4, err_order=None, fsal=False),
}

#: controller constants (Hairer, Norsett & Wanner I, sec. II.4)
SAFETY = 0.9
FACMIN = 0.2
FACMAX = 5.0
#: bisections of the re-entry crossing: 300 s / 2^20 < 3e-4 s
BISECTIONS = 20

def kinks_below(h, kinks, lut=None):
    """Number of kinks (K,) km at or below the altitudes h (n,) km, (n,) int64: the band
    index of a piecewise-exponential atmosphere whose kinks are its inner band bases.
    lut: kink_lookup(kinks) when not None (a NaN altitude then counts 0)."""
    if lut is None:
        return np.searchsorted(kinks, h, side="right")
    return lut[np.fmin(np.fmax(h, 0.0), lut.size - 1).astype(np.intp)]


def altitude(x, y, z):
    """Height above the WGS84 ellipsoid, km, to first order in the flattening:
    h = |r| - a (1 - f sin^2(phi')) with phi' the geocentric latitude (the ellipsoid's
    geocentric radius to O(f)); it differs from the geodetic height by O(a f^2) < 0.1 km."""
    rn = np.sqrt(x * x + y * y + z * z)
    s = z / rn
    return rn - WGS84_A * (1.0 - WGS84_F * s * s)


def zonal_acceleration(x, y, z, nzonal):
    """Point mass + zonal harmonics J2..J_nzonal, km/s^2, (ax, ay, az), in a frame whose
    z axis is the pole (see :func:`_gravity`)."""
    acc = np.empty((3, np.size(x)))
    _gravity(np.stack([np.ravel(x), np.ravel(y), np.ravel(z)]), nzonal, acc)
    return acc[0], acc[1], acc[2]


@functools.lru_cache(maxsize=None)
def _zonal_coefficients(nzonal: int) -> np.ndarray:
    """(2 (nzonal - 1), nzonal + 1) power-series coefficients in s (lowest first) of
    A_n(s) = J_n ((n+1) P_n + s P_n') (rows 0..nzonal-2) and B_n(s) = -J_n P_n' (the
    rest), n = 2..nzonal, from the Legendre series (numpy.polynomial.legendre)."""
    m = nzonal - 1
    c = np.zeros((2 * m, nzonal + 1))
    for i, n in enumerate(range(2, nzonal + 1)):
        p = np.polynomial.legendre.leg2poly([0.0] * n + [1.0])  # P_n, power basis
        dp = np.polynomial.polynomial.polyder(p)
        c[i, :n + 1] = J[n] * ((n + 1) * p + np.concatenate([[0.0], dp]))
        c[m + i, :n] = -J[n] * dp
    return c


def _gravity(r, nzonal, acc):
    """Point mass + zonal harmonics of positions r (3, n) km: writes the acceleration
    (km/s^2) into acc (3, n) and returns |r| (km) and s = z/|r|, (n,) each.

    The gradient of U = GM/r (1 - sum_n J_n (R/r)^n P_n(s)) is
    a = GM/r^2 [(-1 + sum_n q^n A_n(s)) r_hat + (sum_n q^n B_n(s)) z_hat], q = R/r, with
    A_n = J_n ((n+1) P_n + s P_n') and B_n = -J_n P_n' (P_n' = dP_n/ds). Evaluated with
    the powers of s and q as matrices: one matrix product gives every A_n(s), B_n(s)
    (few NumPy calls per evaluation, whatever the degree). The C code
    (kernels/cowell.cuh) uses the Legendre recursion instead, an independent check.
    """
    r2 = np.einsum("ij,ij->j", r, r)
    rn = np.sqrt(r2)
    inv_r = 1.0 / rn
    s = r[2] * inv_r
    mu_r2 = GM / r2
    if nzonal >= 2:
        m = nzonal - 1
        sp = np.empty((nzonal + 1, s.size))
        sp[0] = 1.0
        sp[1] = s
        for k in range(2, nzonal + 1):
            np.multiply(sp[k - 1], s, out=sp[k])
        ab = _zonal_coefficients(nzonal) @ sp   # rows A_2..A_N, B_2..B_N at s
        q = R_EARTH * inv_r
        qp = np.empty((m, s.size))
        np.multiply(q, q, out=qp[0])
        for k in range(1, m):
            np.multiply(qp[k - 1], q, out=qp[k])
        radial = np.einsum("ij,ij->j", ab[:m], qp) - 1.0
        axial = np.einsum("ij,ij->j", ab[m:], qp)
        np.multiply((mu_r2 * inv_r) * radial, r, out=acc)
        acc[2] += mu_r2 * axial
    else:
        np.multiply(-mu_r2 * inv_r, r, out=acc)
    return rn, s


def zonal_potential(x, y, z, nzonal):
    """U = GM/r (1 - sum_{n=2}^{nzonal} J_n (R/r)^n P_n(z/r)), km^2/s^2 (for energy checks)."""
    rn = np.sqrt(x * x + y * y + z * z)
    s = z / rn
    q = R_EARTH / rn
    total = np.zeros_like(rn)
    p_prev, p = np.ones_like(s), s
    qn = q
    for n in range(2, nzonal + 1):
        p_prev, p = p, ((2 * n - 1) * s * p - (n - 1) * p_prev) / n
        qn = qn * q
        total = total + J[n] * qn * p
    return GM / rn * (1.0 - total)


def derivative(y, t, model: Model, pars, out=None):
    """dy/dt of (6, n) states y at times t (n,) seconds since epoch; pars: (2, n) factors
    of the objects (see :func:`object_factors`). Returns (6, n), written into out when
    given."""
    x, yy, z = y[0], y[1], y[2]
    dy = np.empty_like(y) if out is None else out
    dy[:3] = y[3:]
    acc = dy[3:]
    rn, s = _gravity(y[:3], model.nzonal, acc)
    if model.atmosphere is not None:
        # drag in an atmosphere co-rotating with the Earth about the pole (Vallado 4th ed.,
        # eq. 8-29): a = -1/2 cd A/M rho |v_rel| v_rel, v_rel = v - w x r
        vrel = y[3:].copy()
        vrel[0] += OMEGA_EARTH * yy
        vrel[1] -= OMEGA_EARTH * x
        vr = np.sqrt(np.einsum("ij,ij->j", vrel, vrel))
        h = rn - WGS84_A * (1.0 - WGS84_F * s * s)  # altitude(), from |r| and s at hand
        if model.bands is not None:
            _, a, inv_h = model.bands
            if model.kinks is None:  # one band
                rho = np.exp(a[0] - h * inv_h[0])
            else:  # the kinks are the inner band bases
                i = kinks_below(h, model.kinks, model.kink_lut)
                rho = np.exp(a[i] - h * inv_h[i])
        else:
            rho = model.atmosphere.density(h, model.jd0 + t / SECONDS_PER_DAY)
        acc += (pars[0] * rho * vr) * vrel
    if model.sun_moon or model.srp is not None:
        t2000 = model.t2000 + t / SECONDS_PER_DAY
        sun = sun_position(t2000)
    if model.sun_moon:
        # Sun and Moon as point masses (Vallado 4th ed., eq. 8-37)
        for body, gm in ((sun, GM_SUN), (moon_position(t2000), GM_MOON)):
            bx, by, bz = _third_body(x, yy, z, body, gm)
            acc[0] += bx
            acc[1] += by
            acc[2] += bz
    if model.srp is not None:
        # cannonball SRP, a = -P cr A/M (AU / |s - r|)^2 (s - r)/|s - r|, zero inside the
        # cylindrical shadow: r . s_hat < 0 and |r - (r . s_hat) s_hat| < R (Vallado 4th
        # ed., sec. 8.6.4 and algorithm 34's cylindrical model)
        dx, dy_, dz = sun[0] - x, sun[1] - yy, sun[2] - z
        d = np.sqrt(dx * dx + dy_ * dy_ + dz * dz)
        sn = np.sqrt(sun[0] * sun[0] + sun[1] * sun[1] + sun[2] * sun[2])
        proj = (x * sun[0] + yy * sun[1] + z * sun[2]) / sn
        perp2 = x * x + yy * yy + z * z - proj * proj
        lit = (proj >= 0.0) | (perp2 >= WGS84_A * WGS84_A)
        f = np.where(lit, -pars[1] * (AU / d) ** 2 / d, 0.0)
        acc[0] += f * dx
        acc[1] += f * dy_
        acc[2] += f * dz
    return dy


def drag_factor(bdrag):
    """-1e3 * bdrag: rho (kg/m^3) * bdrag (m^2/kg) is 1/m = 1e3 /km, and times (km/s)^2
    gives km/s^2."""
    return -1e3 * np.asarray(bdrag, dtype=np.float64)


def object_factors(model: Model, idx):
    """(2, n) per-object factors of the objects idx: drag (see :func:`drag_factor`) and
    solar radiation pressure, P cr A/M / 1e3 (km/s^2 at 1 AU)."""
    srp = np.zeros(idx.size) if model.srp is None else P_SRP * 1e-3 * model.srp[idx]
    return np.stack([drag_factor(model.bdrag[idx]), srp])


_DEG = np.pi / 180.0


def sun_position(t2000):
    """Geocentric Sun, km, mean equator and equinox of date, (3, n), at TT days since J2000
    t2000 (n,): Vallado 4th ed., algorithm 29 (the Astronomical Almanac's low-precision
    formula, ~0.01 deg)."""
    tc = t2000 / 36525.0
    lam_m = 280.460 + 36000.771 * tc
    m = (357.5291092 + 35999.05034 * tc) * _DEG
    lam = (lam_m + 1.914666471 * np.sin(m) + 0.019994643 * np.sin(2.0 * m)) * _DEG
    r = (1.000140612 - 0.016708617 * np.cos(m) - 0.000139589 * np.cos(2.0 * m)) * AU
    eps = (23.439291 - 0.0130042 * tc) * _DEG
    return np.stack([r * np.cos(lam), r * np.cos(eps) * np.sin(lam), r * np.sin(eps) * np.sin(lam)])


def moon_position(t2000):
    """Geocentric Moon, km, mean equator and equinox of date, (3, n): Vallado 4th ed.,
    algorithm 31 (Astronomical Almanac low precision, ~0.3 deg, ~1,000 km)."""
    tc = t2000 / 36525.0
    d = _DEG
    lam = (218.32 + 481267.8813 * tc + 6.29 * np.sin((134.9 + 477198.85 * tc) * d)
           - 1.27 * np.sin((259.2 - 413335.38 * tc) * d) + 0.66 * np.sin((235.7 + 890534.23 * tc) * d)
           + 0.21 * np.sin((269.9 + 954397.70 * tc) * d) - 0.19 * np.sin((357.5 + 35999.05 * tc) * d)
           - 0.11 * np.sin((186.6 + 966404.05 * tc) * d)) * d
    phi = (5.13 * np.sin((93.3 + 483202.03 * tc) * d) + 0.28 * np.sin((228.2 + 960400.87 * tc) * d)
           - 0.28 * np.sin((318.3 + 6003.18 * tc) * d) - 0.17 * np.sin((217.6 - 407332.20 * tc) * d)) * d
    par = (0.9508 + 0.0518 * np.cos((134.9 + 477198.85 * tc) * d)
           + 0.0095 * np.cos((259.2 - 413335.38 * tc) * d) + 0.0078 * np.cos((235.7 + 890534.23 * tc) * d)
           + 0.0028 * np.cos((269.9 + 954397.70 * tc) * d)) * d
    eps = (23.439291 - 0.0130042 * tc) * d
    r = R_MOON_UNIT / np.sin(par)
    cl, sl, cp, sp = np.cos(lam), np.sin(lam), np.cos(phi), np.sin(phi)
    ce, se = np.cos(eps), np.sin(eps)
    return r * np.stack([cp * cl, ce * cp * sl - se * sp, se * cp * sl + ce * sp])


def _third_body(x, y, z, s, gm):
    """GM (s - r)/|s - r|^3 - GM s/|s|^3 (the indirect term: the Earth's own acceleration)."""
    dx, dy, dz = s[0] - x, s[1] - y, s[2] - z
    d3 = (dx * dx + dy * dy + dz * dz) ** 1.5
    s3 = (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]) ** 1.5
    return gm * (dx / d3 - s[0] / s3), gm * (dy / d3 - s[1] / s3), gm * (dz / d3 - s[2] / s3)


# ---------------------------------------------------------------------------------------
# Dense output.


def hermite5(y0, f0, y1, f1, h, theta, velocity=True):
    """Quintic Hermite interpolation of position and velocity inside a step.

    y0, y1: (6, n) states at the step ends; f0, f1: (6, n) their derivatives (v, a);
    h: (n,) step; theta: (n,) in [0, 1]. Position matches r, v, a at both ends; the
    velocity is the interpolant's derivative. Returns (6, n), or the position (3, n) only
    when velocity is False.
    """
    th = theta
    t2 = th * th
    t3 = t2 * th
    t4 = t3 * th
    t5 = t4 * th
    # quintic Hermite basis on [0, 1] (value, first, second derivative at both ends)
    h00 = 1 - 10 * t3 + 15 * t4 - 6 * t5
    h10 = th - 6 * t3 + 8 * t4 - 3 * t5
    h20 = 0.5 * t2 - 1.5 * t3 + 1.5 * t4 - 0.5 * t5
    h01 = 10 * t3 - 15 * t4 + 6 * t5
    h11 = -4 * t3 + 7 * t4 - 3 * t5
    h21 = 0.5 * t3 - t4 + 0.5 * t5
    r0, v0, a0 = y0[:3], f0[:3], f0[3:]
    r1, v1, a1 = y1[:3], f1[:3], f1[3:]
    hh = h * h
    r = h00 * r0 + h * h10 * v0 + hh * h20 * a0 + h01 * r1 + h * h11 * v1 + hh * h21 * a1
    if not velocity:
        return r
    d00 = -30 * t2 + 60 * t3 - 30 * t4
    d10 = 1 - 18 * t2 + 32 * t3 - 15 * t4
    d20 = th - 4.5 * t2 + 6 * t3 - 2.5 * t4
    d11 = -12 * t2 + 28 * t3 - 15 * t4
    d21 = 1.5 * t2 - 4 * t3 + 2.5 * t4
    v = (d00 * (r0 - r1)) / h + d10 * v0 + h * d20 * a0 + d11 * v1 + h * d21 * a1
    return np.concatenate([r, v])


#: kink search inside a rejected step: KINK_SAMPLES altitude samples along the step, then
#: as many again inside the first interval that left the band (resolution h / 1024)
KINK_SAMPLES = 32
#: a landing ends this long past the crossing (s): short of a kink, the next step would
#: start in the old band and see the kink inside it, while a kink this close before a
#: step's end costs nothing
KINK_MARGIN_S = 0.05
#: power-basis coefficients (theta^0..theta^5, columns) of the quintic Hermite basis
#: functions of :func:`hermite5` (rows: r0, h v0, h^2 a0, r1, h v1, h^2 a1)
_QUINTIC = np.array([[1, 0, 0, -10, 15, -6], [0, 1, 0, -6, 8, -3], [0, 0, 0.5, -1.5, 1.5, -0.5],
                     [0, 0, 0, 10, -15, 6], [0, 0, 0, -4, 7, -3], [0, 0, 0, 0.5, -1, 0.5]])
_SAMPLE_POWERS = (np.arange(1, KINK_SAMPLES + 1) / KINK_SAMPLES) ** np.arange(6)[:, None]


def first_crossing(y0, f0, y1, f1, h, kinks, band0=None, lut=None):
    """First time inside a step at which the altitude crosses one of kinks (km, sorted).

    y0, y1 (6, n): states at the step's ends, f0, f1 (6, n) their derivatives (y1, f1 may
    be a rejected step's end and its last stage: they only shape the path); h (n,) s.
    The path is the quintic Hermite interpolant of the position (that of
    :func:`hermite5`). The altitude is sampled at KINK_SAMPLES points and again at
    KINK_SAMPLES points inside the first interval whose end lies in another band.
    band0 (n,): the starting bands (the number of kinks at or below the start's altitude)
    when the caller has them; lut: kink_lookup(kinks), if any. Returns theta (n,) in (0, 1]: the upper end of that last
    interval (just past the crossing), NaN where no sample left the starting band.
    """
    if band0 is None:
        band0 = kinks_below(altitude(y0[0], y0[1], y0[2]), kinks, lut)
    # the interpolant's power-series coefficients, (3, 6, n)
    hh = h * h
    ends = np.stack([y0[:3], h * f0[:3], hh * f0[3:], y1[:3], h * f1[:3], hh * f1[3:]], axis=1)
    coef = np.einsum("kp,ckn->cpn", _QUINTIC, ends)
    theta = np.full(h.size, np.nan)
    # level 1: the same sample points for every object
    r = np.einsum("cpn,ps->csn", coef, _SAMPLE_POWERS)
    crossed = kinks_below(altitude(r[0], r[1], r[2]), kinks, lut) != band0
    hit = crossed.any(axis=0)
    sel = np.nonzero(hit)[0]
    if not sel.size:
        return theta
    lo = (np.argmax(crossed[:, sel], axis=0)) / KINK_SAMPLES
    # level 2: KINK_SAMPLES points inside the first interval that left the band
    th = lo + (np.arange(1, KINK_SAMPLES + 1)[:, None] / KINK_SAMPLES ** 2)
    c = coef[..., sel]
    r = c[:, 5, None, :]
    for p in range(4, -1, -1):
        r = r * th + c[:, p, None, :]
    crossed = kinks_below(altitude(r[0], r[1], r[2]), kinks, lut) != band0[sel]
    # the level-1 sample at the interval's end crossed; a level-2 miss falls back to it
    first = np.where(crossed.any(axis=0), np.argmax(crossed, axis=0), KINK_SAMPLES - 1)
    theta[sel] = lo + (first + 1) / KINK_SAMPLES ** 2
    return theta


# ---------------------------------------------------------------------------------------
# Driver.


def _initial_step(y, tab: Tableau, rtol: float, hmax: float):
    """First trial step, s: rtol^(1/(q+1)) times the orbit's time scale |r|/|v| (the step
    controller corrects it within a few steps)."""
    rn = np.sqrt((y[:3] ** 2).sum(axis=0))
    vn = np.sqrt((y[3:] ** 2).sum(axis=0))
    return np.minimum(hmax, 0.5 * rtol ** (1.0 / (tab.err_order + 1)) * rn / vn)


def threads(value: int | None = None) -> int:
    """Worker threads: value if given (a whole number >= 1, else ValueError naming
    ``threads``), else $DEBRIS_ENGINE_THREADS, else 1. Each step of the driver is many
    small NumPy calls whose Python part holds the GIL: on 2 cores, 2 threads measured
    slower than 1 (85-114 against 168-216 fragment-days/s), so threads are opt-in."""
    return _parallel.resolve_threads(value, "one")


def propagate_states(y0, t_out, model: Model, rot, *, method: str, rtol: float, step, hmax: float,
                     hmin: float, reentry_km: float, max_steps: int, dense: bool = True,
                     backend: str | None = None, threads: int | None = None):
    """engine.numerical.propagate's work on the NumPy backend (the launcher's
    engine/numerical/_cuda.py has the same signature).

    Parameters
    ----------
    y0 : ndarray, shape (N, 6), float64
        States in the integration frame at the epoch, km and km/s.
    t_out : ndarray, shape (M,), float64
        Output times, s since the epoch, non-decreasing, >= 0.
    model : Model
        The force model.
    rot : ndarray, shape (3, 3), float64
        r_out = rot @ r_int: the output frame (GCRF) from the integration frame.
    method, rtol, step, hmax, hmin, reentry_km, max_steps, dense
        As :func:`propagate`.
    backend : str or None
        Ignored: accepted so that the signature is the launcher's.
    threads : int or None
        Worker threads (None: $DEBRIS_ENGINE_THREADS, else 1; see :func:`threads`).

    Returns
    -------
    r, v : ndarray, shape (N, M, 3), float64
        km, km/s in the output frame (NaN where status != 0).
    status : ndarray, shape (N, M), uint8
    t_reentry : ndarray, shape (N,), float64
        s since the epoch (NaN: none).
    nsteps : ndarray, shape (N,), int64
    """
    y, status, t_re, nsteps = propagate(np.ascontiguousarray(np.asarray(y0, dtype=np.float64).T), t_out,
                                        model, method=method, rtol=rtol, step=step, hmax=hmax, hmin=hmin,
                                        reentry_km=reentry_km, max_steps=max_steps, dense=dense,
                                        threads=threads)
    r, v = from_integration_frame(y, np.asarray(rot, dtype=np.float64))
    return r, v, status, t_re, nsteps


def propagate(y0, t_out, model: Model, *, method: str, rtol: float, step, hmax: float,
              hmin: float, reentry_km: float, max_steps: int, dense: bool = True,
              threads: int | None = None):
    """Integrate (6, N) states y0 (integration frame, at t = 0) to the output times t_out
    (M,) seconds, non-decreasing, >= 0.

    Objects are independent. They are dealt into ceil(N / STREAM) streams, each flowing
    through a working set of at most BLOCK objects (its stage arrays stay in cache; see
    :func:`_stream`); the streams run on `threads` threads (None: $DEBRIS_ENGINE_THREADS,
    else 1), so N <= STREAM runs on one whatever the setting. An object's arithmetic
    depends on the other objects of its working set through rounding (the stage sums and
    the zonal terms are BLAS products, which round a column differently at other
    positions in the arrays and can flip a step's acceptance), so the streams are made
    from N alone and never from the thread count: results are bit-identical for any
    `threads` (tests/test_numerical.py).
    Returns y (N, M, 6), status (N, M) uint8, t_reentry (N,) seconds (NaN when the
    object did not re-enter), nsteps (N,) accepted steps.
    """
    n = y0.shape[1]
    m = t_out.size
    out = np.full((n, m, 6), np.nan)
    status = np.zeros((n, m), dtype=np.uint8)
    t_reentry = np.full(n, np.nan)
    nsteps = np.zeros(n, dtype=np.int64)
    if m == 0 or n == 0:
        return out, status, t_reentry, nsteps
    kw = dict(method=method, rtol=rtol, step=step, hmax=hmax, hmin=hmin, reentry_km=reentry_km,
              max_steps=max_steps, dense=dense)
    # streams of at most STREAM objects, dealt round-robin so that each gets a share of the
    # hard ones; their make-up depends on n only (see above)
    nstreams = -(-n // STREAM)
    order = hardest_first(y0)
    streams = [order[i::nstreams] for i in range(nstreams)]
    # `threads` (the argument) shadows threads() here: the same rule, through _parallel
    nthreads = min(_parallel.resolve_threads(threads, "one"), nstreams)

    def run(ix):
        _stream(y0, t_out, model, ix, out, status, t_reentry, nsteps, width=BLOCK, **kw)

    _parallel.run_blocks(streams, run, nthreads)
    return out, status, t_reentry, nsteps


def hardest_first(y0):
    """Indices (N,) of the (6, N) states ordered by increasing osculating perigee radius
    (two-body, engine._orbits.osculating_aei; unbound orbits last): low perigees meet the
    densest air and the most density kinks and take the most steps, so starting them
    first keeps the end of a stream, when its working set empties, short."""
    a, e, _ = osculating_aei(y0[:3].T, y0[3:].T)
    return np.argsort(np.where(np.isnan(a), np.inf, a * (1.0 - e)), kind="stable")


#: a landing this close to a rejected step's end is not tried (the step was rejected for
#: another reason: the controller's proposal is used)
KINK_THETA_MAX = 0.99


def _land_on_kinks(y, f, y_new, f_new, hs, h_next, ok, resume, model: Model, drag, rtol):
    """Step control at density kinks (altitudes where the force's derivative jumps).

    An embedded error estimate across a kink is large whatever the step, so the plain
    controller shrinks the step several times, rejecting each try, and then regrows it by
    at most FACMAX per step: ~6 steps per crossing. Instead, a rejected step that crossed
    a kink is retried ending KINK_MARGIN_S past the crossing (:func:`first_crossing` on
    the rejected step's path), so that the kink sits at the step's end, and once that
    landing step is accepted the next step resumes the interrupted length.

    y, f, y_new, f_new (6, n): the step's start, its derivative, its end and last stage;
    hs, h_next (n,): the step tried and the controller's next; ok (n,) accepted; model:
    its kinks, kink_strength and kink_lut are used; drag (n,): the objects' drag
    factors (:func:`drag_factor`); rtol: the relative tolerance;
    resume (n,), updated in place: > 0 while a landing is pending (the interrupted step),
    < 0 while a resumed step is tried (if it too is rejected at a kink, the landing
    resumes only the controller's proposal: a step rejected as wild cannot recur), else 0.
    Returns the next steps (n,).
    """
    kinks, strength, lut = model.kinks, model.kink_strength, model.kink_lut
    h_next = h_next.copy()
    landed = ok & (resume > 0.0)
    h_next[landed] = np.maximum(h_next[landed], resume[landed])
    resume[ok] = np.where(landed[ok], -1.0, 0.0)
    rej = np.nonzero(~ok)[0]
    if rej.size:
        # candidates: the step ends in another band, across a kink strong enough to have
        # caused the rejection: the jump in the drag's time derivative, |a_drag| x (jump of
        # d ln rho/dh) x |dh/dt|, moves the step's end by about that times h^3 / 6; below
        # a tenth of the tolerance the rejection has another cause and is left to the
        # controller
        y0, y1, hr = y[:, rej], y_new[:, rej], hs[rej]
        alt0, alt1 = altitude(y0[0], y0[1], y0[2]), altitude(y1[0], y1[1], y1[2])
        b0 = kinks_below(alt0, kinks, lut)
        b1 = kinks_below(alt1, kinks, lut)
        cross = np.nonzero(b0 != b1)[0]
        k = np.minimum(b0[cross], b1[cross])       # the lowest kink crossed: the strongest
        v2 = np.einsum("ij,ij->j", y1[3:, cross], y1[3:, cross])
        jump = np.abs(drag[rej[cross]]) * strength[k] * v2 * np.abs(alt1[cross] - alt0[cross]) / hr[cross]
        rn = np.sqrt(np.einsum("ij,ij->j", y1[:3, cross], y1[:3, cross]))
        strong = cross[jump * hr[cross] ** 3 / 6.0 > 0.1 * rtol * rn]
        rej, b0 = rej[strong], b0[strong]
    if rej.size:
        theta = first_crossing(y[:, rej], f[:, rej], y_new[:, rej], f_new[:, rej], hs[rej], kinks, b0, lut)
        theta += KINK_MARGIN_S / hs[rej]
        land = theta <= KINK_THETA_MAX
        if land.any():
            q = rej[land]
            interrupted = np.where(resume[q] < 0.0, h_next[q], hs[q])
            resume[q] = np.maximum(resume[q], interrupted)
            h_next[q] = theta[land] * hs[q]
    # a rejected resumed step that lands nowhere is an ordinary rejection
    resume[~ok & (resume < 0.0)] = 0.0
    return h_next


def _stream(y0, t_out, model: Model, queue, out, status, t_reentry, nsteps, *, method: str,
            rtol: float, step, hmax: float, hmin: float, reentry_km: float, max_steps: int,
            dense: bool, width: int):
    """Integrate the objects queue (indices into the (6, N) states y0, in the order they
    are to start), filling their rows of out, status, t_reentry, nsteps. dense=False clamps
    every step to land on the next output time instead of interpolating.

    The lock-step iterations run over a working set of at most `width` objects: finished
    objects leave it, and once it has REFILL x width free places the next objects of the
    queue join it. A lock-step iteration has a fixed cost (~2 ms of NumPy call overhead,
    the cost of ~2,000 objects' arithmetic), so a set that only emptied, as fixed blocks
    do, would spend its last hundreds of iterations on a few slow objects.
    """
    tab = TABLEAUX[method]
    m = t_out.size
    t_end = float(t_out[-1])
    adaptive = tab.e is not None
    # outputs at t = 0 are the initial state itself
    j0 = int(np.searchsorted(t_out, 0.0, side="right"))
    kinks = model.kinks if adaptive else None

    def admit(ix):
        """Start the objects ix: their outputs at t = 0, their first derivative and step.
        Returns the working-set arrays of those that still have outputs to reach."""
        y = y0[:, ix].copy()
        out[ix, :j0, :] = y.T[:, None, :]
        t = np.zeros(ix.size)
        fd = object_factors(model, ix)
        f = derivative(y, t, model, fd)
        # objects already at or below the re-entry altitude stop at t = 0
        done0 = altitude(y[0], y[1], y[2]) < reentry_km
        if done0.any():
            t_reentry[ix[done0]] = 0.0
            status[ix[done0], j0:] = REENTERED
        if adaptive and step is None:
            h = _initial_step(y, tab, rtol, hmax)
        else:
            h = np.full(ix.size, float(step))
        live = ~done0 if j0 < m else np.zeros(ix.size, dtype=bool)
        k = int(live.sum())
        return (ix[live], y[:, live], t[live], f[:, live], h[live], np.full(k, j0),
                np.ones(k, dtype=bool), fd[:, live], np.zeros(k))

    queue = np.asarray(queue)
    nq = 0  # objects of the queue started so far
    refill = max(1, int(REFILL * width))
    # working set: global indices, states, times, derivatives, steps, next output index,
    # growth allowed (False right after a rejection), drag and SRP factors, and the step a
    # landing on a density kink interrupted (> 0 while pending; see _land_on_kinks)
    idx = np.zeros(0, dtype=np.int64)
    y, t, f, h = np.zeros((6, 0)), np.zeros(0), np.zeros((6, 0)), np.zeros(0)
    j, grow, fd, resume = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), np.zeros((2, 0)), np.zeros(0)

    a, b, c = tab.a, tab.b, tab.c
    s = tab.stages
    while True:
        if nq < queue.size and width - idx.size >= min(refill, queue.size - nq):
            new = admit(queue[nq:nq + width - idx.size])
            nq = min(queue.size, nq + width - idx.size)
            idx, y, t, f, h, j, grow, fd, resume = (
                np.concatenate([old, add], axis=-1)
                for old, add in zip((idx, y, t, f, h, j, grow, fd, resume), new))
            continue
        if not idx.size:
            break
        t_target = t_end if dense else t_out[j]
        hs = np.minimum(h, t_target - t)
        last = hs >= t_target - t
        nl = idx.size
        k = np.empty((s, 6, nl))
        kf = k.reshape(s, 6 * nl)  # stage rows as one matrix: combinations are one gemv each
        k[0] = f
        for i in range(1, s):
            yi = y + hs * (a[i, :i] @ kf[:i]).reshape(6, nl)
            derivative(yi, t + c[i] * hs, model, fd, out=k[i])
        if tab.fsal:
            y_new = yi
        else:
            y_new = y + hs * (b @ kf).reshape(6, nl)
        if adaptive:
            dy = hs * (tab.e @ kf).reshape(6, nl)
            rn = np.sqrt((y_new[:3] ** 2).sum(axis=0))
            vn = np.sqrt((y_new[3:] ** 2).sum(axis=0))
            err = np.maximum(np.sqrt((dy[:3] ** 2).sum(axis=0)) / (rtol * rn),
                             np.sqrt((dy[3:] ** 2).sum(axis=0)) / (rtol * vn))
            ok = err <= 1.0
            fac = SAFETY * np.maximum(err, 1e-300) ** (-1.0 / (tab.err_order + 1))
            fac = np.clip(fac, FACMIN, np.where(grow & ok, FACMAX, 1.0))
            h_next = np.minimum(hmax, hs * fac)
            # a step clamped to the end keeps the controller's proposal for the full step
            h_next = np.where(last & ok, h, h_next)
            if kinks is not None:
                h_next = _land_on_kinks(y, f, y_new, k[-1], hs, h_next, ok, resume, model, fd[0], rtol)
        else:
            ok = np.ones(idx.size, dtype=bool)
            h_next = h
        # --- accepted steps
        acc = np.nonzero(ok)[0]
        finished = np.zeros(idx.size, dtype=bool)
        if acc.size:
            ya, yn, ha = y[:, acc], y_new[:, acc], hs[acc]
            t0a = t[acc]
            t1a = np.where(last[acc], t_target if dense else t_target[acc], t0a + ha)
            fa = f[:, acc]
            fn = k[-1][:, acc] if tab.fsal else derivative(yn, t1a, model, fd[:, acc])
            nsteps[idx[acc]] += 1
            # re-entry: bisect the altitude crossing on the step's interpolant
            alt = altitude(yn[0], yn[1], yn[2])
            low = alt < reentry_km
            t_stop = t1a.copy()
            lw = np.nonzero(low)[0]
            if lw.size:
                lo = np.zeros(lw.size)
                hi = np.ones(lw.size)
                for _ in range(BISECTIONS):
                    mid = 0.5 * (lo + hi)
                    ym = hermite5(ya[:, lw], fa[:, lw], yn[:, lw], fn[:, lw], ha[lw], mid, False)
                    below = altitude(ym[0], ym[1], ym[2]) < reentry_km
                    hi = np.where(below, mid, hi)
                    lo = np.where(below, lo, mid)
                t_stop[lw] = t0a[lw] + hi * ha[lw]
                t_reentry[idx[acc[lw]]] = t_stop[lw]
            # outputs inside (t0, t_stop]: one output per object per pass
            ja = j[acc]
            while True:
                pend = ja < m
                pend[pend] = t_out[ja[pend]] <= t_stop[pend]
                if not pend.any():
                    break
                p = np.nonzero(pend)[0]
                tj = t_out[ja[p]]
                exact = tj == t1a[p]
                theta = np.where(exact, 1.0, (tj - t0a[p]) / ha[p])
                yo = hermite5(ya[:, p], fa[:, p], yn[:, p], fn[:, p], ha[p], theta)
                yo[:, exact] = yn[:, p[exact]]
                out[idx[acc[p]], ja[p], :] = yo.T
                ja[p] += 1
            for q in lw:
                status[idx[acc[q]], ja[q]:] = REENTERED
            ja[lw] = m
            j[acc] = ja
            y[:, acc] = yn
            f[:, acc] = fn
            t[acc] = t1a
            finished[acc] = ja >= m
            over = np.zeros(idx.size, dtype=bool)
            over[acc] = nsteps[idx[acc]] >= max_steps
            over &= ~finished
            for q in np.nonzero(over)[0]:
                status[idx[q], j[q]:] = MAX_STEPS
            finished |= over
        # --- rejected steps
        if adaptive:
            under = ~ok & (h_next < hmin)
            for q in np.nonzero(under)[0]:
                status[idx[q], j[q]:] = STEP_UNDERFLOW
            finished |= under
        h = h_next
        grow = ok
        if finished.any():
            keep = ~finished
            idx, y, t, f, h, j, grow = (idx[keep], y[:, keep], t[keep], f[:, keep], h[keep], j[keep],
                                        grow[keep])
            fd, resume = fd[:, keep], resume[keep]
