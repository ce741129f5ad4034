"""NumPy implementation of the per-fragment breakup sampling (the CPU backend and the
oracle of kernels/breakup.cuh).

Same steps and the same random numbers as the device code: Philox4x32-10 keyed by the
seed with counter (fragment index, draw, stream). Written independently of the .cuh in
array form; tests/test_breakup_kernels.py compares the two (integers identical, floats
within 1e-12 relative). Equation numbers: Johnson et al., Adv. Space Res. 28(9),
1377-1384 (2001).

Work runs in blocks of BLOCK fragments written straight into preallocated outputs, so
peak memory is the outputs plus a few MB of temporaries per thread. Blocks are
independent (the generator is counter-based), so they run on a pool of threads, one per
CPU core (NumPy releases the GIL inside its loops); DEBRIS_ENGINE_THREADS overrides the
count. Results do not depend on the number of threads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._parallel import run_blocks, threads
from ._philox import uniform_pair

__all__ = ["SizeParams", "sample_size", "sample_dv", "area_from_lc", "am_large_params",
           "am_small_params", "sample_am", "SPACECRAFT", "ROCKET_BODY", "BLOCK"]

SPACECRAFT = 0
ROCKET_BODY = 1
STREAM_SIZE = 1
STREAM_DV = 2
BLOCK = 1 << 17
TWO_PI = 6.283185307179586


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


def sample_am(kind, lc, u_mix, z_small, z_large):
    """A/M (m^2/kg) per fragment: small law below 8 cm, mixture law (component 1 with
    probability alpha) above 11 cm, linear bridge in A/M between one draw of each in
    between. All arguments broadcast; z_* are standard normals, u_mix uniform."""
    lc = np.asarray(lc, dtype=np.float64)
    lam = np.log10(lc)
    mu, s = am_small_params(lam)
    am_small = np.power(10.0, mu + s * z_small)
    alpha, mu1, s1, mu2, s2 = am_large_params(kind, lam)
    first = u_mix < alpha
    am_large = np.power(10.0, np.where(first, mu1 + s1 * z_large, mu2 + s2 * z_large))
    bridge = am_small + (lc - 0.08) * (am_large - am_small) / 0.03
    return np.where(lc < 0.08, am_small, np.where(lc > 0.11, am_large, bridge))


def _normals(b0, b1):
    rad = np.sqrt(-2.0 * np.log(b0))
    ang = TWO_PI * b1
    return rad * np.cos(ang), rad * np.sin(ang)


def _for_blocks(n: int, work) -> None:
    """Run work(b, e) over [0, n) in blocks of BLOCK, one thread per usable core."""
    run_blocks([(b, min(n, b + BLOCK)) for b in range(0, n, BLOCK)], lambda be: work(*be), threads("cores"))


def sample_size(p: SizeParams, index0: int, n: int, *, lc, am, area, mass, parent, kind) -> None:
    """Size stage for fragments index0 .. index0 + n - 1, written into the (n,) outputs
    lc (m), am (m^2/kg), area (m^2), mass (kg) float64 and parent, kind uint8."""

    def work(b, e):
        idx = np.arange(index0 + b, index0 + e, dtype=np.uint64)
        u_lc, u_mix = uniform_pair(p.seed, STREAM_SIZE, idx, 0)
        b0, b1 = uniform_pair(p.seed, STREAM_SIZE, idx, 1)
        u_parent, _ = uniform_pair(p.seed, STREAM_SIZE, idx, 2)
        small = idx < np.uint64(max(p.n_small, 0))
        lo = np.where(small, p.small_lo, p.large_lo)
        span = np.where(small, p.small_span, p.large_span)
        x = np.power(lo - u_lc * span, p.neg_beta_inv)
        proj = small & (x <= p.lc_projectile) & (u_parent < p.q_projectile)
        k = np.where(proj, p.kind_projectile, p.kind_target)
        z_small, z_large = _normals(b0, b1)
        a = sample_am(k, x, u_mix, z_small, z_large)
        ar = area_from_lc(x)
        lc[b:e] = x
        am[b:e] = a
        area[b:e] = ar
        mass[b:e] = ar / a
        parent[b:e] = proj
        kind[b:e] = k

    _for_blocks(n, work)


def sample_dv(seed: int, index0: int, am, slope: float, intercept: float, sigma: float, *, out) -> None:
    """Delta-v stage, Eqs. 11/12: log10(dv [m/s]) ~ N(slope log10(am) + intercept, sigma),
    isotropic direction. am (n,) m^2/kg; writes out (n, 3) km/s."""

    def work(b, e):
        idx = np.arange(index0 + b, index0 + e, dtype=np.uint64)
        b0, b1 = uniform_pair(seed, STREAM_DV, idx, 0)
        u_cos, u_phi = uniform_pair(seed, STREAM_DV, idx, 1)
        z = np.sqrt(-2.0 * np.log(b0)) * np.cos(TWO_PI * b1)
        speed = 1e-3 * np.power(10.0, slope * np.log10(am[b:e]) + intercept + sigma * z)
        cz = 2.0 * u_cos - 1.0
        sz = np.sqrt(1.0 - cz * cz)
        phi = TWO_PI * u_phi
        o = out[b:e]
        o[:, 0] = speed * sz * np.cos(phi)
        o[:, 1] = speed * sz * np.sin(phi)
        o[:, 2] = speed * cz

    _for_blocks(len(am), work)
