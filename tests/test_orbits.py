"""engine._orbits.osculating_vectors: the one osculating-element computation, against states
built from known Keplerian elements, and the three callers that use it."""

import math

import numpy as np

from engine import _orbits, fit, longterm
from engine.constants import EGM2008_GM_KM3_S2, SGP4_WGS72


def _states(mu, n=200, seed=11):
    """Seeded elliptical orbits (a km, e, i, raan, argp, nu rad) and their states from the
    perifocal frame (Vallado, 4th ed., algorithm 10, COE2RV): r, v (n, 3) km, km/s."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(6600.0, 42000.0, n)
    e = rng.uniform(0.0, 0.7, n)
    inc = rng.uniform(0.01, math.pi - 0.01, n)
    raan, argp, nu = (rng.uniform(0.0, 2.0 * math.pi, n) for _ in range(3))
    p = a * (1.0 - e * e)
    rpf = np.stack([p * np.cos(nu), p * np.sin(nu), np.zeros(n)], axis=1) / (1.0 + e * np.cos(nu))[:, None]
    vpf = np.stack([-np.sin(nu), e + np.cos(nu), np.zeros(n)], axis=1) * np.sqrt(mu / p)[:, None]
    cO, sO, ci, si, cw, sw = np.cos(raan), np.sin(raan), np.cos(inc), np.sin(inc), np.cos(argp), np.sin(argp)
    rot = np.empty((n, 3, 3))
    rot[:, 0] = np.stack([cO * cw - sO * sw * ci, -cO * sw - sO * cw * ci, sO * si], axis=1)
    rot[:, 1] = np.stack([sO * cw + cO * sw * ci, -sO * sw + cO * cw * ci, -cO * si], axis=1)
    rot[:, 2] = np.stack([sw * si, cw * si, ci], axis=1)
    r = np.einsum("nij,nj->ni", rot, rpf)
    v = np.einsum("nij,nj->ni", rot, vpf)
    return (a, e, inc, np.sqrt(mu * p), rot[:, :, 0]), r, v


def test_osculating_vectors_recover_the_elements():
    mu = SGP4_WGS72.mu
    (a, e, inc, hmag, pdir), r, v = _states(mu)
    a_o, ev, h, rn = _orbits.osculating_vectors(r, v, mu)
    np.testing.assert_allclose(a_o, a, rtol=1e-11)
    np.testing.assert_allclose(np.linalg.norm(ev, axis=1), e, atol=1e-11)
    # the eccentricity vector points to perigee (the perifocal x axis) where e is not tiny
    big = e > 1e-3
    np.testing.assert_allclose(ev[big] / e[big, None], pdir[big], atol=1e-8)
    np.testing.assert_allclose(np.linalg.norm(h, axis=1), hmag, rtol=1e-12)
    np.testing.assert_allclose(rn, np.linalg.norm(r, axis=1), rtol=1e-15)


def test_the_three_callers_use_it_with_their_mu():
    """osculating_aei (any mu, NaN when unbound), longterm.osculating_elements (WGS-84 GM)
    and fit's equinoctial elements (SGP4 units: earth radii, er/min, mu = xke^2)."""
    (a, e, inc, _, _), r, v = _states(EGM2008_GM_KM3_S2)
    a_o, e_o, i_o = _orbits.osculating_aei(r, v, EGM2008_GM_KM3_S2)
    np.testing.assert_allclose(a_o, a, rtol=1e-11)
    np.testing.assert_allclose(e_o, e, atol=1e-7)  # sqrt(1 - p/a) loses digits as e -> 0
    np.testing.assert_allclose(i_o, inc, atol=1e-10)

    (a, e, _, _, _), r, v = _states(longterm.MU, seed=12)
    a_l, ev_l, _ = longterm.osculating_elements(r, v)
    np.testing.assert_allclose(a_l, a, rtol=1e-11)
    np.testing.assert_allclose(np.linalg.norm(ev_l, axis=1), e, atol=1e-11)

    g = SGP4_WGS72
    (a, e, _, _, _), r, v = _states(g.mu, seed=13)
    retro = np.zeros(len(a), bool)
    x, e_f, a_f = fit._osculating(r / g.radiusearthkm, v * 60.0 / g.radiusearthkm, retro, g.xke ** 2, g.xke)
    np.testing.assert_allclose(a_f * g.radiusearthkm, a, rtol=1e-11)
    np.testing.assert_allclose(e_f, e, atol=1e-11)
    np.testing.assert_allclose(x[:, 0], g.xke / (a / g.radiusearthkm) ** 1.5, rtol=1e-11)


def test_unbound_states():
    r = np.array([[7000.0, 0.0, 0.0], [7000.0, 0.0, 0.0]])
    vesc = math.sqrt(2.0 * SGP4_WGS72.mu / 7000.0)
    v = np.array([[0.0, 1.2 * vesc, 0.0], [0.0, 0.9 * vesc, 0.0]])
    a, ev, _, _ = _orbits.osculating_vectors(r, v, SGP4_WGS72.mu)
    assert a[0] < 0 < a[1] and np.linalg.norm(ev[0]) > 1 > np.linalg.norm(ev[1])
    a_o, e_o, _ = _orbits.osculating_aei(r, v)
    assert np.isnan(a_o[0]) and np.isnan(e_o[0]) and np.isfinite(a_o[1])
