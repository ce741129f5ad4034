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
CPU core by default (NumPy releases the GIL inside its loops); the ``threads`` argument,
else $DEBRIS_ENGINE_THREADS, sets the count. Results do not depend on the number of
threads (each block writes its own rows from its own counters).

sample_size and sample_dv have the signatures of the launcher's (engine/breakup/_cuda.py),
so that engine.breakup calls either through engine._backend.implementation.
"""

from __future__ import annotations

import numpy as np

from .._parallel import resolve_threads, run_blocks
# the laws are shared with the model and the launcher; imported here under their old names too
from ._laws import ROCKET_BODY, SPACECRAFT, SizeParams, am_large_params, am_small_params, area_from_lc
from ._philox import uniform_pair

__all__ = ["SizeParams", "sample_size", "sample_dv", "area_from_lc", "am_large_params",
           "am_small_params", "sample_am", "SPACECRAFT", "ROCKET_BODY", "BLOCK"]

STREAM_SIZE = 1
STREAM_DV = 2
BLOCK = 1 << 17
TWO_PI = 6.283185307179586


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


def _for_blocks(n: int, work, threads) -> None:
    """Run work(b, e) over [0, n) in blocks of BLOCK on `threads` threads (None: every
    usable core, or $DEBRIS_ENGINE_THREADS)."""
    run_blocks([(b, min(n, b + BLOCK)) for b in range(0, n, BLOCK)], lambda be: work(*be),
               resolve_threads(threads, "cores"))


def sample_size(p: SizeParams, index0: int, n: int, *, lc, am, area, mass, parent, kind,
                backend: str | None = None, threads: int | None = None) -> None:
    """Size stage for fragments index0 .. index0 + n - 1.

    Parameters
    ----------
    p : SizeParams
        The event's inputs of the size stage.
    index0, n : int
        First global fragment index (the Philox counter) and number of fragments.
    lc, am, area, mass : ndarray, shape (n,), float64
        Outputs: characteristic length (m), A/M (m^2/kg), area (m^2), mass (kg).
    parent, kind : ndarray, shape (n,), uint8
        Outputs: 1 for a projectile fragment; the A/M law used (0 spacecraft, 1 rocket body).
    backend : str or None
        Ignored: accepted so that the signature is the launcher's.
    threads : int or None
        Worker threads for the blocks (None: $DEBRIS_ENGINE_THREADS, else every usable core).
    """

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

    _for_blocks(n, work, threads)


def sample_dv(seed: int, index0: int, am, slope: float, intercept: float, sigma: float, *, out,
              backend: str | None = None, threads: int | None = None) -> None:
    """Delta-v stage, Eqs. 11/12: log10(dv [m/s]) ~ N(slope log10(am) + intercept, sigma),
    isotropic direction.

    Parameters
    ----------
    seed, index0 : int
        Philox key and first global fragment index.
    am : ndarray, shape (n,), float64
        A/M of the fragments, m^2/kg.
    slope, intercept, sigma : float
        The law's coefficients (Eq. 11 or 12) for log10(dv [m/s]).
    out : ndarray, shape (n, 3), float64
        Output: ejection velocities, km/s.
    backend, threads
        As :func:`sample_size`.
    """

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

    _for_blocks(len(am), work, threads)
