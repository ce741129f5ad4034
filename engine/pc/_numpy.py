"""Foster 2D probability of collision in NumPy (the reference for kernels/pc.cu).

The method, its quadrature and its flags are described in engine.pc's docstring; every
array is float64 and vectorised over conjunctions.
"""

from __future__ import annotations

import math

import numpy as np

from ._erf import _erf_diff
from ._montecarlo import trial_hits
from ._params import (_BISECT_ITERS, _GOLDEN_ITERS, _SQRT2, _TWO_SQRT_2PI, COLLAPSE_RTOL, EXTENDED_LIMIT,
                      FCLIP, FLAG_LONG, FLAG_NPD, FLAG_OFFSET, FLAG_SLOW, GM_EARTH_KM3_S2, OFFSET_LIMIT,
                      QUAD_MAX_PANELS, QUAD_NODES, QUAD_PANEL_SIGMAS, QUAD_WINDOW_K2, SLOW_SPEED_KM_S,
                      SQRT2_ERFCINV_GAMMA)


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


# --------------------------------------------------------------------------- implementation
# The names engine.pc dispatches to, with the same signatures in engine/pc/_cuda.py.


def foster(backend, r1, v1, r2, v2, c, hbr):
    """Foster 2D Pc of N validated conjunctions (engine.pc.foster checks and broadcasts).

    Parameters
    ----------
    backend : str
        The resolved backend, "numpy" (taken for the common signature; unused here).
    r1, v1, r2, v2 : ndarray, (N, 3) float64
        Host states at TCA, km and km/s.
    c : ndarray, (N, 3, 3) float64
        Combined position covariance C1 + C2, km^2.
    hbr : ndarray, (N,) float64
        Combined hard-body radius, km.

    Returns
    -------
    tuple of (N,) NumPy arrays
        pc, flags (uint8, without FLAG_ASSUMED_COVARIANCE), miss_km, speed_km_s,
        sigma_major_km, sigma_minor_km, extended, offset: the PcResult columns.
    """
    return _foster_numpy(r1, v1, r2, v2, c, hbr)


def monte_carlo_hits(backend, streams, covs, r1, v1, r2, v2, hbr, n_samples, window_s, chunk):
    """Monte Carlo hit counts with NumPy's PCG64, one stream per conjunction.

    Parameters
    ----------
    backend : str
        "numpy" (unused here).
    streams : list of numpy.random.SeedSequence, length N
        One per conjunction (engine.pc.monte_carlo spawns them from its seed).
    covs, r1, v1, r2, v2, hbr, n_samples, window_s, chunk
        As engine.pc._montecarlo.trial_hits.

    Returns
    -------
    hits : ndarray, (N,) int64
    npd : ndarray, (N,) bool
    """
    return trial_hits(np, lambda i: np.random.default_rng(streams[i]), covs, r1, v1, r2, v2, hbr,
                      n_samples, window_s, chunk)
