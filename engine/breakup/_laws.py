"""The NASA Standard Breakup Model's laws shared by the model (engine.breakup: the mass
budget's quadratures) and both samplers (engine/breakup/_numpy.py; the launcher passes
SizeParams to kernels/breakup.cu): object classes, area from size (Eqs. 8, 9) and the
parameters of the A/M distributions (Eqs. 5-7). Equation numbers: Johnson et al., Adv.
Space Res. 28(9), 1377-1384 (2001). The device code has its own copy in
kernels/breakup.cuh, checked against these by tests/test_breakup_kernels.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SizeParams", "area_from_lc", "am_large_params", "am_small_params", "SPACECRAFT", "ROCKET_BODY"]

SPACECRAFT = 0
ROCKET_BODY = 1


@dataclass(frozen=True)
class SizeParams:
    """Per-event inputs of the size stage (see kernels/breakup.cuh SizeParams)."""

    seed: int
    n_small: int
    neg_beta_inv: float
    small_lo: float
    small_span: float
    large_lo: float
    large_span: float
    q_projectile: float
    lc_projectile: float
    kind_target: int
    kind_projectile: int


def area_from_lc(lc):
    """Cross-sectional area (m^2) from characteristic length (m), Eqs. 8 and 9."""
    lc = np.asarray(lc, dtype=np.float64)
    return np.where(lc < 0.00167, 0.540424 * lc * lc, 0.556945 * np.power(lc, 2.0047077))


def _ramp(lam, lo, hi, v_lo, v_hi, linear):
    """Piecewise law: v_lo for lam <= lo, v_hi for lam >= hi, `linear` in between."""
    return np.where(lam <= lo, v_lo, np.where(lam >= hi, v_hi, linear))


def am_large_params(kind, lam):
    """(alpha, mu1, s1, mu2, s2) of the Lc > 11 cm A/M law, Eq. 5 (rocket bodies, kind 1)
    and Eq. 6 (spacecraft, kind 0); lam = log10(Lc [m]). Arrays broadcast."""
    lam = np.asarray(lam, dtype=np.float64)
    rb = np.asarray(kind) == ROCKET_BODY
    alpha = np.where(rb, _ramp(lam, -1.4, 0.0, 1.0, 0.5, 1.0 - 0.3571 * (lam + 1.4)),
                     _ramp(lam, -1.95, 0.55, 0.0, 1.0, 0.3 + 0.4 * (lam + 1.2)))
    mu1 = np.where(rb, _ramp(lam, -0.5, 0.0, -0.45, -0.9, -0.45 - 0.9 * (lam + 0.5)),
                   _ramp(lam, -1.1, 0.0, -0.6, -0.95, -0.6 - 0.318 * (lam + 1.1)))
    s1 = np.where(rb, 0.55, _ramp(lam, -1.3, -0.3, 0.1, 0.3, 0.1 + 0.2 * (lam + 1.3)))
    mu2 = np.where(rb, -0.9, _ramp(lam, -0.7, -0.1, -1.2, -2.0, -1.2 - 1.333 * (lam + 0.7)))
    # rocket-body s2: 0.28 - 0.1636 (lam + 1), continuous with both end values
    s2 = np.where(rb, _ramp(lam, -1.0, 0.1, 0.28, 0.1, 0.28 - 0.1636 * (lam + 1.0)),
                  _ramp(lam, -0.5, -0.3, 0.5, 0.3, 0.5 - (lam + 0.5)))
    return alpha, mu1, s1, mu2, s2


def am_small_params(lam):
    """(mu, s) of the Lc < 8 cm A/M law, Eq. 7; lam = log10(Lc [m])."""
    lam = np.asarray(lam, dtype=np.float64)
    mu = _ramp(lam, -1.75, -1.25, -0.3, -1.0, -0.3 - 1.4 * (lam + 1.75))
    s = np.where(lam <= -3.5, 0.2, 0.2 + 0.1333 * (lam + 3.5))
    return mu, s
