"""The Monte Carlo of engine.pc.monte_carlo: trials on straight lines, hit counts, Wilson interval.

The trial loop is written once over an array module (xp: numpy or cupy) and a generator
per conjunction; engine/pc/_numpy.py and engine/pc/_cuda.py hand it theirs.
"""

from __future__ import annotations

import numpy as np

from ._erf import erfc
from ._params import _SQRT2

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



def trial_hits(xp, rngs, covs, r1, v1, r2, v2, hbr, n_samples, window_s, chunk):
    """Hits of the Monte Carlo trials of N conjunctions.

    Parameters
    ----------
    xp : module
        numpy, or cupy (the trials then run on the device; only the counts come back).
    rngs : callable
        rngs(i) -> the generator of conjunction i (numpy or cupy Generator, matching xp).
    covs : tuple of two ndarray, (N, 3, 3) or (N, 6, 6) float64
        Covariances of object 1 and 2, km^2 (6x6: position and velocity, km^2/s, km^2/s^2).
    r1, v1, r2, v2 : ndarray, (N, 3) float64
        Host states at the epoch, km and km/s.
    hbr : ndarray, (N,) float64
        Combined hard-body radius, km.
    n_samples : int
        Trials per conjunction.
    window_s : float or None
        Half-width of the time window, s; None: unbounded straight-line closest approach.
    chunk : int
        Trials drawn at once (memory; results do not depend on it for a given generator).

    Returns
    -------
    hits : ndarray, (N,) int64
    npd : ndarray, (N,) bool
        True where a covariance had to be clipped to be sampled.
    """
    n = r1.shape[0]
    hits = np.zeros(n, dtype=np.int64)
    npd = np.zeros(n, dtype=bool)
    for i in range(n):
        rng = rngs(i)
        f1, npd1 = _sampler(covs[0][i])
        f2, npd2 = _sampler(covs[1][i])
        npd[i] = npd1 or npd2
        f1, f2 = xp.asarray(f1), xp.asarray(f2)
        x1 = xp.asarray(np.concatenate([r1[i], v1[i]])[: f1.shape[0]])
        x2 = xp.asarray(np.concatenate([r2[i], v2[i]])[: f2.shape[0]])
        v1i, v2i = xp.asarray(v1[i]), xp.asarray(v2[i])
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
    return hits, npd
