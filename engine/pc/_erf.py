"""Error-function numerics of engine.pc: erfc, erf and erf(a) - erf(b) without cancellation.

Float64, vectorised NumPy (the same series as kernels/pc.cuh); relative error ~1e-15.
"""

from __future__ import annotations

import math

import numpy as np

from ._params import _SQRT_PI

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
    """Complementary error function, vectorised, relative error ~1e-15.

    Parameters
    ----------
    x : array_like
        Any shape.

    Returns
    -------
    ndarray, float64, the shape of x, in [0, 2]
    """
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
    """Error function, vectorised; a Taylor series below |x| = 0.5 keeps tiny arguments exact.

    Parameters
    ----------
    x : array_like
        Any shape; elementwise.

    Returns
    -------
    ndarray, float64, the shape of x, in [-1, 1]
    """
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
