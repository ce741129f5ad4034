"""The NASA Standard Breakup Model distributions, transcribed for the tests only.

Written from the published equations (Johnson et al., Adv. Space Res. 28(9), 2001:
Eqs. 2, 4, 5-7, 8-9, 11-12; ODQN 15(4), 2011), independently of engine/breakup/__init__.py and
in a different form: each piecewise-linear parameter is given by its end points and
interpolated with numpy.interp, the distributions are scipy.stats objects. The tests
compare what engine.breakup samples with these.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

LN10 = np.log(10.0)

# (lambda_lo, value_lo, lambda_hi, value_hi): value_lo below lambda_lo, value_hi above
# lambda_hi, linear in between (lambda = log10(Lc / 1 m))
SPACECRAFT = dict(
    alpha=(-1.95, 0.0, 0.55, 1.0),
    mu1=(-1.1, -0.6, 0.0, -0.95),
    sigma1=(-1.3, 0.1, -0.3, 0.3),
    mu2=(-0.7, -1.2, -0.1, -2.0),
    sigma2=(-0.5, 0.5, -0.3, 0.3),
)
ROCKET_BODY = dict(
    alpha=(-1.4, 1.0, 0.0, 0.5),
    mu1=(-0.5, -0.45, 0.0, -0.9),
    sigma1=(-10.0, 0.55, 10.0, 0.55),
    mu2=(-10.0, -0.9, 10.0, -0.9),
    sigma2=(-1.0, 0.28, 0.1, 0.10),
)
SMALL_MU = (-1.75, -0.3, -1.25, -1.0)
SMALL_SIGMA_SLOPE = 0.1333   # sigma = 0.2 for lambda <= -3.5, 0.2 + 0.1333 (lambda + 3.5) above


def ramp(lam, spec):
    x0, y0, x1, y1 = spec
    return np.interp(lam, [x0, x1], [y0, y1])


def small_params(lc):
    lam = np.log10(lc)
    return ramp(lam, SMALL_MU), np.where(lam <= -3.5, 0.2, 0.2 + SMALL_SIGMA_SLOPE * (lam + 3.5))


def large_params(lc, table):
    lam = np.log10(lc)
    return tuple(ramp(lam, table[k]) for k in ("alpha", "mu1", "sigma1", "mu2", "sigma2"))


def chi_cdf(chi, lc, table):
    """P(log10(A/M) <= chi | Lc) outside the 8-11 cm bridge."""
    lc = np.asarray(lc, dtype=float)
    mu, s = small_params(lc)
    small = stats.norm.cdf(chi, mu, s)
    a, m1, s1, m2, s2 = large_params(lc, table)
    large = a * stats.norm.cdf(chi, m1, s1) + (1 - a) * stats.norm.cdf(chi, m2, s2)
    return np.where(lc < 0.08, small, large)


def bridge_cdf(am, lc, table, nodes=48):
    """P(A/M <= am | Lc) for 8 cm <= Lc <= 11 cm, where A/M = Y0 + (Lc - 0.08)(Y1 - Y0)/0.03
    = (1 - w) Y0 + w Y1, Y0 from the small law and Y1 from the large law, independent.

    For each component of Y1 = 10^(m + s z): P = integral over z < z* of phi(z)
    P(Y0 <= (am - w Y1) / (1 - w)) dz, z* where w Y1 = am (beyond it the probability is 0);
    Gauss-Legendre on [-9, z*], so that the quadrature never straddles the kink at z*;
    48 nodes agree with 200 nodes within 3e-4 in probability (the KS threshold at 1e6
    samples is 2e-3).
    """
    am, lc = np.broadcast_arrays(np.asarray(am, float), np.asarray(lc, float))
    w = ((lc - 0.08) / 0.03)[..., None]
    mu0, s0 = (p[..., None] for p in small_params(lc))
    a, m1, s1, m2, s2 = (p[..., None] for p in large_params(lc, table))
    x, wt = np.polynomial.legendre.leggauss(nodes)
    am_ = am[..., None]
    out = np.zeros(am.shape)
    for comp_w, m, s in ((a, m1, s1), (1 - a, m2, s2)):
        z_star = np.clip((np.log10(am_ / w) - m) / s, -9.0, 9.0)
        half = 0.5 * (z_star + 9.0)
        z = -9.0 + half * (x + 1.0)
        t = (am_ - w * 10.0 ** (m + s * z)) / (1.0 - w)
        with np.errstate(divide="ignore", invalid="ignore"):
            p0 = np.where(t > 0, stats.norm.cdf((np.log10(np.where(t > 0, t, 1.0)) - mu0) / s0), 0.0)
        out += (comp_w * np.sum(wt * stats.norm.pdf(z) * p0, axis=-1, keepdims=True) * half)[..., 0]
    return out


def lc_cdf(x, lo, hi, beta):
    """CDF of Lc for N(>Lc) ~ Lc^-beta truncated to [lo, hi]."""
    return (lo**-beta - np.asarray(x) ** -beta) / (lo**-beta - hi**-beta)


def dv_mean(chi, explosion: bool):
    """Mean of log10(dv [m/s]): Eq. 11 (explosion) or Eq. 12 (collision); sigma 0.4."""
    return 0.2 * chi + 1.85 if explosion else 0.9 * chi + 2.9


def n_collision(m_kg, lc):
    return 0.1 * m_kg**0.75 * lc**-1.71


def n_explosion(s, lc):
    return 6.0 * s * lc**-1.6


def area(lc):
    lc = np.asarray(lc, float)
    return np.where(lc < 0.00167, 0.540424 * lc**2, 0.556945 * lc**2.0047077)


def expected_mass_small(n0, beta, lo, hi):
    """Expected total mass (kg) of the fragments with lo <= Lc < hi (m) when
    N(>Lc) = n0 Lc^-beta, for hi <= 8 cm, where A/M follows the one normal law of Eq. 7 and
    E[(A/M)^-1] = 10^-mu exp((s ln 10)^2 / 2) (log-normal mean). scipy's adaptive quad
    in Lc with the laws' kinks as break points (Eq. 9's 1.67 mm, Eq. 7's 10^-1.75 and
    10^-1.25 m)."""
    from scipy import integrate

    if not hi <= 0.08:
        raise ValueError(f"hi = {hi} m: this reference covers the small-fragment law only (<= 8 cm)")

    def density(lc):   # kg per metre of Lc
        mu, s = small_params(lc)
        return n0 * beta * lc ** (-beta - 1.0) * area(lc) * 10.0**-mu * np.exp(0.5 * (s * LN10) ** 2)

    points = [x for x in (0.00167, 10**-1.75, 10**-1.25) if lo < x < hi]
    value, _ = integrate.quad(density, lo, hi, points=points or None, epsabs=0.0, epsrel=1e-13, limit=500)
    return value
