"""Ballistic coefficients of element sets for engine.longterm.decay: the factor cd A/M / 2
that matches the model's decay at epoch to the element set's own (matched_ballistic), and
the ratio of the NRLMSIS density an object met to the global mean (local_density_ratio).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import atmosphere as _atm
from ..constants import SECONDS_PER_DAY
from ..frames import teme_to_itrf
from ..timeconv import jd_from_datetime64
from ._params import BLOCK, R_EQ, _Params, _rates, nodes_for, perigee_scale_height, quadrature_nodes


def matched_ballistic(p: _Params, el, t, bc, da_target, nodes=None):
    """Ballistic factors cd A/M / 2 that give the element sets' own decay rate.

    The model's da/dt is linear in the factor, so one evaluation of the orbit-averaged rates
    with trial factors scales them. Where the model has no decay to scale (bc = 0, or a
    density that underflows) or da_target is not a decay (>= 0, not finite) the trial
    factor is kept.

    Parameters
    ----------
    p : _Params
        The density table and reference date (engine.longterm._params).
    el : (m, 5) float64
        Mean elements a (km), e, i, RAAN, w (rad).
    t : (m,) float64
        Times, days after p.jd_ref.
    bc : (m,) float64
        Trial factors, km^2/kg.
    da_target : (m,) float64
        The orbit-averaged da/dt to match, km/day (negative: a decay).
    nodes : None or int
        Quadrature nodes as in :func:`decay` (None: adaptive).

    Returns
    -------
    (m,) float64
        Factors cd A/M / 2, km^2/kg.
    """
    el = np.asarray(el, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    bc = np.asarray(bc, dtype=np.float64)
    da = np.zeros(el.shape[0])
    for b in range(0, el.shape[0], BLOCK):
        s = slice(b, min(b + BLOCK, el.shape[0]))
        kk = nodes_for(el[s, 0], el[s, 1], nodes,
                       None if nodes is not None else perigee_scale_height(p, el[s], t[s]))
        for k in np.unique(kk):
            idx = np.arange(s.start, s.stop)[kk == k]
            ce, se = quadrature_nodes(int(k))
            da[idx] = _rates(dataclasses.replace(p, cos_e=ce, sin_e=se), el[idx], t[idx], bc[idx])[:, 0]
    target = np.asarray(da_target, dtype=np.float64)
    ok = (da < 0.0) & np.isfinite(target) & (target < 0.0)
    return np.where(ok, bc * (target / np.where(ok, da, -1.0)), bc)


#: the element set's decay is matched to NRLMSIS at the object's own positions over this
#: span before its epoch (s; the orbit-determination arc that fitted B* ends at the epoch
#: and spans days: over one day the perigee's latitude moves by ~4 deg, its local time
#: hardly at all), sampled LOCAL_SAMPLES times at equal steps (15 min: 96 distinct phases
#: of a 94-min orbit over 15 revolutions; against 288 samples the ratio of the 103 Cosmos
#: 1408 fragments moves by 0.16 % in the median, 2.4 % at most)
LOCAL_SPAN_S = SECONDS_PER_DAY
LOCAL_SAMPLES = 96
def local_density_ratio(cat, table, *, span_s: float = LOCAL_SPAN_S, samples: int = LOCAL_SAMPLES):
    """Ratio of the NRLMSIS 2.1 density each object of a catalogue met before its epoch to
    the global mean of `table` at the same heights and times.

    The density an orbit meets depends on where its perigee is: at the Cosmos 1408 epochs
    the perigees of the eccentric fragments sat where NRLMSIS gives 0.55-0.75 of the global
    mean (near dawn, in the winter hemisphere), the near-circular orbits, which sample all
    latitudes at two local times, 0.8-1.3. A ballistic coefficient matched to the decay of
    that day with the global mean would carry this ratio into every later day, when the
    perigee has moved on (the perigee circles in ~100 days at 82 deg): so the match uses
    the density actually met, and the propagation the global mean.

    Weights |v_rel|^3 (v_rel relative to the rotating Earth; the drag's rate of energy
    loss per unit density); samples where SGP4 reports an error are left out (ratio 1 where
    none is left). Positions: SGP4 (engine.Catalog.sgp4_tsince), TEME -> ITRF
    (engine.frames.teme_to_itrf, dut1 = 0), geocentric latitude (within 0.2 deg of the
    geodetic one that NRLMSIS takes), height above the ellipsoid
    (engine.atmosphere.altitude_km); indices: engine.atmosphere.historical_indices of the
    sample's day, as nrlmsis_table uses them. Costs `samples` SGP4 and NRLMSIS evaluations
    per object (BLOCK objects at a time), NRLMSIS most of it: about 1.7 s per 1,000
    objects on one shared core (measured on 4,200; the decay itself takes ~9 s per 1,000 objects
    and 4.5 years under NRLMSIS).

    Parameters
    ----------
    cat : engine.Catalog
        N element sets.
    table : engine.atmosphere.Table
        A global-mean NRLMSIS table (its space-weather assumption past the file is used
        for the indices too).
    span_s : float
        Seconds before each epoch sampled (default LOCAL_SPAN_S, one day).
    samples : int
        Samples over the span (default LOCAL_SAMPLES, 96).

    Returns
    -------
    (N,) float64
        The drag-weighted mean NRLMSIS density at the object's positions divided by the
        same mean of `table`; 1 where no sample is usable. Computed on the host (NRLMSIS
        runs on the CPU).

    Raises
    ------
    ImportError
        When pymsis is missing.
    """
    pymsis = _atm._require("pymsis")
    n = len(cat)
    out = np.ones(n)
    off_s = -np.arange(samples) * (float(span_s) / samples)
    off_us = (off_s * 1e6).astype(np.int64).astype("timedelta64[us]")
    if n:
        # the space-weather file is read once for every day the samples fall on
        ep = cat.epoch
        d0 = (ep.min() + off_us[-1]).astype("datetime64[D]")
        beyond = (table.space_weather or {}).get("beyond")   # the table's own assumption past the file
        f107, f107a, ap = _atm.historical_indices(np.arange(d0, ep.max().astype("datetime64[D]") + 1),
                                                  beyond=beyond)
    for b in range(0, n, BLOCK):
        idx = np.arange(b, min(b + BLOCK, n))
        sub = cat[idx]
        m = idx.size
        err, r, v = sub.sgp4_tsince(np.broadcast_to(off_s / 60.0, (m, samples)), backend="numpy")
        when = sub.epoch[:, None] + off_us[None, :]
        jd, fr = jd_from_datetime64(when)
        ok = np.asarray(err) == 0
        # samples SGP4 rejects get a harmless stand-in state (weight 0 below)
        r = np.where(ok[..., None], np.asarray(r), np.array([R_EQ + 500.0, 0.0, 0.0]))
        v = np.where(ok[..., None], np.asarray(v), np.array([0.0, 7.6, 0.0]))
        ri, vi = teme_to_itrf(r, v, jd, fr)
        ri = ri.reshape(-1, 3)
        good = ok.ravel()
        alt = _atm.altitude_km(ri)
        good &= np.isfinite(alt) & (alt > 0.0)
        lat = np.degrees(np.arcsin(np.clip(ri[:, 2] / np.maximum(np.linalg.norm(ri, axis=1), 1e-9), -1, 1)))
        lon = np.degrees(np.arctan2(ri[:, 1], ri[:, 0]))
        k = (when.ravel().astype("datetime64[D]") - d0).astype(np.int64)
        rho = np.zeros(m * samples)
        if good.any():
            g = np.flatnonzero(good)
            res = pymsis.calculate(when.ravel()[g].astype("datetime64[s]"), lon[g], lat[g], alt[g],
                                   f107s=f107[k[g]], f107as=f107a[k[g]],
                                   aps=np.repeat(ap[k[g]][:, None], 7, axis=1), version=2.1)
            rho[g] = np.asarray(res[..., pymsis.Variable.MASS_DENSITY], dtype=np.float64).ravel()
        mean = np.where(good, table.density(np.where(good, alt, 500.0), (jd + fr).ravel()), 0.0)
        w = np.where(good, np.einsum("ij,ij->i", vi.reshape(-1, 3), vi.reshape(-1, 3)) ** 1.5, 0.0)
        num = (w * rho).reshape(m, samples).sum(axis=1)
        den = (w * mean).reshape(m, samples).sum(axis=1)
        out[idx] = np.where(den > 0.0, num / np.where(den > 0.0, den, 1.0), 1.0)
    return out
