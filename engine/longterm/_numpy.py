"""The NumPy implementation of engine.longterm.decay: classical RK4 on the orbit-averaged
equations (engine.longterm._params) with step control, over blocks of objects on a pool of
threads. engine.longterm._cuda exposes the same run() for the kernel backends.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import _parallel
from .._progress import Tally
from ._params import (BLOCK, IN_ORBIT, RETRIES, STEP_FAILED, STEP_LIMIT, _Params, _perigee_height, _rates, nodes_for,
                      perigee_scale_height, quadrature_nodes)


def _rk4_stages(p: _Params, y, t, b, k1, h):
    """Stages 2-4 and the update of one RK4 step of length h (m,) days."""
    hc = h[:, None]
    k2 = _rates(p, y + 0.5 * hc * k1, t + 0.5 * h, b)
    k3 = _rates(p, y + 0.5 * hc * k2, t + 0.5 * h, b)
    k4 = _rates(p, y + hc * k3, t + h, b)
    yn = y + hc / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    neg = yn[:, 1] < 0  # e through zero: the perigee flips to the other side
    yn[neg, 1] = -yn[neg, 1]
    yn[neg, 4] += np.pi
    yn[:, 3] = np.mod(yn[:, 3], 2 * np.pi)
    yn[:, 4] = np.mod(yn[:, 4], 2 * np.pi)
    return yn


def _rk4_step(p: _Params, y, tt, b, t_stop, ce, se):
    """One RK4 step of objects y (m, 5) at times tt (m,) with step control; returns
    (y_new, h, perigee height before, failed (m,) bool: no step down to h / 4^RETRIES
    gave a bound orbit)."""
    pk = dataclasses.replace(p, cos_e=ce, sin_e=se)
    k1 = _rates(pk, y, tt, b)
    hp0 = _perigee_height(y)
    a, e = y[:, 0], y[:, 1]
    # perigee and apogee radius rates (km/day); perigee may move dh_max per step, apogee
    # the larger of dh_max and a tenth of the apogee-perigee span
    rate_p = np.abs(k1[:, 0] * (1.0 - e) - a * k1[:, 1])
    rate_a = np.abs(k1[:, 0] * (1.0 + e) + a * k1[:, 1])
    dh_max = np.maximum(1.0, 0.1 * (hp0 - p.reentry_km))
    da_max = np.maximum(dh_max, 0.1 * a * e)
    lim = np.minimum(dh_max / np.maximum(rate_p, 1e-300), da_max / np.maximum(rate_a, 1e-300))
    h = np.minimum(np.minimum(p.step_days, t_stop - tt), np.maximum(lim, 1e-9))
    yn = np.empty_like(y)
    todo = np.arange(y.shape[0])
    for _ in range(RETRIES + 1):
        # a step too long for extreme drag can overflow or leave e >= 1 in a stage: that
        # is detected below and retried shorter, so NumPy's warnings are silenced here
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            yq = _rk4_stages(pk, y[todo], tt[todo], b[todo], k1[todo], h[todo])
        yn[todo] = yq
        bad = ~(np.isfinite(yq).all(axis=1) & (yq[:, 1] < 1.0) & (yq[:, 0] > 0.0))
        if not bad.any():
            todo = todo[:0]
            break
        todo = todo[bad]
        h[todo] *= 0.25
    failed = np.zeros(y.shape[0], dtype=bool)
    failed[todo] = True
    yn[todo] = y[todo]
    return yn, h, hp0, failed


def _run_block(p: _Params, el, bc, t, t_stop, nodes, tally=None):
    """Step one block to t_stop in place: el (m, 5), t (m,) days. Returns (t_reentry (m,)
    days, NaN where the object did not re-enter; step_limit (m,) bool; step_failed (m,)
    bool). tally: None or an engine._progress.Tally of object-days, told after each step."""
    m = el.shape[0]
    t_first = t.copy()
    span = np.maximum(t_stop - t_first, 0.0)
    reported = 0.0
    t_re = np.full(m, np.nan)
    count = np.zeros(m, dtype=np.int64)
    limited = np.zeros(m, dtype=bool)
    failed = np.zeros(m, dtype=bool)
    hp = _perigee_height(el)
    below = hp <= p.reentry_km
    t_re[below] = t[below]
    done = below | (t >= t_stop)
    node_sets = {}
    while True:
        act = np.nonzero(~done)[0]
        if act.size == 0:
            break
        over = count[act] >= p.max_steps
        if over.any():
            done[act[over]] = True
            limited[act[over]] = True
            act = act[~over]
            if act.size == 0:
                break
        count[act] += 1
        kk = nodes_for(el[act, 0], el[act, 1], nodes,
                       None if nodes is not None else perigee_scale_height(p, el[act], t[act]))
        for k in np.unique(kk):
            idx = act[kk == k]
            if k not in node_sets:
                node_sets[k] = quadrature_nodes(int(k))
            tt = t[idx]
            yn, h, hp0, bad = _rk4_step(p, el[idx], tt, bc[idx], t_stop, *node_sets[k])
            failed[idx[bad]] = True
            hp1 = _perigee_height(yn)
            tn = np.where(bad, tt, tt + h)
            re = (hp1 <= p.reentry_km) & ~bad
            frac = np.where(re, (hp0 - p.reentry_km) / np.where(re, hp0 - hp1, 1.0), 1.0)
            t_re[idx[re]] = tt[re] + h[re] * np.clip(frac[re], 0.0, 1.0)
            el[idx] = yn
            t[idx] = np.where(re, t_re[idx], tn)
            done[idx] = re | bad | (tn >= t_stop)
        if tally is not None:
            now = float(np.sum(np.where(done, span, np.minimum(t - t_first, span))))
            tally.add(now - reported)
            reported = now
    return t_re, limited, failed


def run(p: _Params, el, bc, t0, t_stop: float, nodes=None, *, backend: str = "numpy", progress=None,
        threads: int | None = None):
    """Step n objects from their start times to t_stop with RK4 on the averaged equations.

    Parameters
    ----------
    p : engine.longterm._params._Params
        The density table in the kernels' flat layout, the reference Julian date, the
        largest step (days) and the re-entry height (km).
    el : (n, 5) float64
        Mean elements a (km), e, i, RAAN, w (rad) at t0; not modified.
    bc : (n,) float64
        Ballistic factors cd A/M / 2, km^2/kg.
    t0 : (n,) float64
        Start times, days after p.jd_ref.
    t_stop : float
        Days after p.jd_ref.
    nodes : None or int
        Quadrature nodes per orbit (None: adaptive, NODE_CLASSES / X_MAX).
    backend : str
        "numpy" (the same keyword as engine.longterm._cuda.run, which serves "cuda" and
        "host"; unused here).
    progress : None or callable
        progress(done, total) in object-days stepped (engine._progress.Tally).
    threads : None or int
        Worker threads for the blocks of BLOCK objects (None: $DEBRIS_ENGINE_THREADS, else
        every usable core; engine._parallel.threads). The blocks are the same for any count
        and each object's arithmetic involves only its own rows, so results are
        bit-identical for any thread count.

    Returns
    -------
    el : (n, 5) float64
        Mean elements at the final time.
    t : (n,) float64
        Final times, days after p.jd_ref: t_stop, the re-entry time, or where stepping stopped.
    t_re : (n,) float64
        Re-entry times, days after p.jd_ref; NaN where the object did not re-enter.
    code : (n,) uint8
        IN_ORBIT, STEP_LIMIT or STEP_FAILED (engine.errors.DecayStatus).
    """
    nthreads = _parallel.threads() if threads is None else threads
    tally = Tally(progress, float(np.sum(np.maximum(t_stop - t0, 0.0)))) if progress is not None else None
    el = el.copy()
    t = t0.copy()
    t_re = np.full(el.shape[0], np.nan)
    limit = np.zeros(el.shape[0], dtype=bool)
    failed = np.zeros(el.shape[0], dtype=bool)
    blocks = [slice(b, min(b + BLOCK, el.shape[0])) for b in range(0, el.shape[0], BLOCK)]

    def work(s):
        # el[s], t[s] are views: _run_block steps them in place
        t_re[s], limit[s], failed[s] = _run_block(p, el[s], bc[s], t[s], t_stop, nodes, tally)

    _parallel.run_blocks(blocks, work, nthreads)
    return el, t, t_re, np.where(failed, STEP_FAILED, np.where(limit, STEP_LIMIT, IN_ORBIT))
