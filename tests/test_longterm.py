"""engine.longterm: orbit-averaged decay against analytic rates, a Cowell reference,
kernels/longterm.cu through its launcher on the host executor (and the rates of
kernels/longterm.cuh through their g++ build), and the CUDA kernel where a device is present.

The Cowell reference is written here, apart from the module: Cartesian equations of
motion with point mass + J2 + drag in an atmosphere co-rotating with the Earth, the
density from the same table at the height above the ellipsoid, integrated for all
orbits at once with fixed-step RK4 (30 s; halving it to 10 s moves re-entry times by
less than 0.06 %). Re-entry: the first time the height falls to reentry_km.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine import _backend
from engine import atmosphere as at
from engine import longterm as lt
from engine.longterm import _cuda as lt_cuda
from engine.longterm import _mean, _params as lt_params
from engine.longterm import _numpy as lt_numpy
from engine.timeconv import jd_from_datetime64

#: the issue's requirement: re-entry times within 5 % of the Cowell propagator
FIVE_PERCENT = 0.05
START = "2021-11-15T00:00:00"


# ---------------------------------------------------------------------------- helpers


def _rot(raan, inc, argp):
    def r3(t):
        c, s, z = np.cos(t), np.sin(t), np.zeros_like(t)
        return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, z + 1], -1)], -2)

    def r1(t):
        c, s, z = np.cos(t), np.sin(t), np.zeros_like(t)
        return np.stack([np.stack([z + 1, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)

    return r3(raan) @ r1(inc) @ r3(argp)


def random_states(rng, n, hp=(200.0, 320.0), emax=0.02):
    """Seeded TEME states: perigee height hp (km, above the equatorial radius), e up to
    emax, inclination 0-100 deg, random angles and true anomaly."""
    h = rng.uniform(*hp, n)
    e = rng.uniform(0.0, emax, n)
    inc = np.radians(rng.uniform(0.0, 100.0, n))
    a = (lt.R_EQ + h) / (1 - e)
    nu, argp, raan = (rng.uniform(0, 2 * np.pi, n) for _ in range(3))
    p = a * (1 - e * e)
    rr = p / (1 + e * np.cos(nu))
    z = np.zeros(n)
    rpf = np.stack([rr * np.cos(nu), rr * np.sin(nu), z], 1)
    vpf = np.stack([-np.sqrt(lt.MU / p) * np.sin(nu), np.sqrt(lt.MU / p) * (e + np.cos(nu)), z], 1)
    m = _rot(raan, inc, argp)
    return np.einsum("nij,nj->ni", m, rpf), np.einsum("nij,nj->ni", m, vpf)


def _accel(r, v, jd, bc, table):
    rn = np.linalg.norm(r, axis=1, keepdims=True)
    z2 = (r[:, 2:3] / rn) ** 2
    k = -1.5 * lt.J2 * lt.MU * lt.R_EQ**2 / rn**5
    acc = -lt.MU * r / rn**3 + k * r * np.concatenate([1 - 5 * z2, 1 - 5 * z2, 3 - 5 * z2], axis=1)
    vrel = v - lt.OMEGA_EARTH * np.stack([-r[:, 1], r[:, 0], np.zeros(len(r))], axis=1)
    rho = table.density(at.altitude_km(r), jd) * 1e9  # kg/km^3
    return acc - (bc * rho * np.linalg.norm(vrel, axis=1))[:, None] * vrel


def cowell_reentry_days(r, v, am, jd0, table, *, cd=2.2, reentry_km=120.0, dt=30.0, max_days=8.0):
    """Days from jd0 until the height above the ellipsoid falls to reentry_km (NaN if not
    within max_days), for every state at once (RK4, fixed dt seconds)."""
    r, v = r.copy(), v.copy()
    bc = 0.5 * cd * am * 1e-6
    out = np.full(len(r), np.nan)
    idx = np.arange(len(r))
    t = 0.0
    h_prev = at.altitude_km(r)
    while idx.size and t < max_days * 86400:
        b = bc[idx]
        j0, jm, j1 = jd0 + t / 86400, jd0 + (t + dt / 2) / 86400, jd0 + (t + dt) / 86400
        a1 = _accel(r, v, j0, b, table)
        a2 = _accel(r + dt / 2 * v, v + dt / 2 * a1, jm, b, table)
        a3 = _accel(r + dt / 2 * v + dt * dt / 4 * a1, v + dt / 2 * a2, jm, b, table)
        a4 = _accel(r + dt * v + dt * dt / 2 * a2, v + dt * a3, j1, b, table)
        r = r + dt * v + dt * dt / 6 * (a1 + a2 + a3)
        v = v + dt / 6 * (a1 + 2 * a2 + 2 * a3 + a4)
        t += dt
        h = at.altitude_km(r)
        hit = h <= reentry_km
        if hit.any():
            f = (h_prev[hit] - reentry_km) / (h_prev[hit] - h[hit])
            out[idx[hit]] = (t - dt + f * dt) / 86400
            keep = ~hit
            r, v, idx, h = r[keep], v[keep], idx[keep], h[keep]
        h_prev = h
    return out


def _params(table, jd_ref, step_days=1.0, reentry_km=120.0):
    alt0, dalt, na, jd0, djd, nd, coef = table.arrays()
    ce, se = lt.quadrature_nodes(8)
    return lt_params._Params(alt0, dalt, na, jd0, djd, nd, coef.reshape(nd * na, 3), jd_ref, ce, se,
                      step_days, reentry_km)


def _constant_table(rho=1e-12):
    return at.Table(np.array([0.0, 1000.0, 2000.0]), np.array([0.0]), np.full((1, 3), np.log(rho)))


# ---------------------------------------------------------------------------- analytic


@pytest.mark.parametrize("inc_deg", [0.0, 90.0])
def test_circular_decay_rate_matches_analytic(inc_deg):
    """Constant density, circular orbit: da/dt = -sqrt(mu a) rho cd A/M g, where the
    co-rotating atmosphere gives g = (1 - w a / v)^2 in the equator plane and
    g = (2 / pi) E(-k^2), k = w a / v, on a polar orbit (E the complete elliptic integral
    of the second kind: |v_rel| = v sqrt(1 + k^2 cos^2 u) there)."""
    from scipy.special import ellipe

    rho, am, cd, a = 1e-12, 0.02, 2.2, 6778.0
    p = _params(_constant_table(rho), 2459000.5)
    y = np.array([[a, 0.0, np.radians(inc_deg), 0.3, 0.0]])
    bc = np.array([0.5 * cd * am * 1e-6])
    got = lt_params._rates(p, y, np.zeros(1), bc)[0, 0] / lt.DAY_S
    v = np.sqrt(lt.MU / a)
    k = lt.OMEGA_EARTH * a / v
    g = (1 - k) ** 2 if inc_deg == 0.0 else 2 / np.pi * ellipe(-k * k)
    want = -np.sqrt(lt.MU * a) * (rho * 1e9) * cd * (am * 1e-6) * g
    assert got == pytest.approx(want, rel=1e-12), f"da/dt {got} vs analytic {want}"


def test_integrated_circular_decay_matches_analytic():
    """Equatorial circular orbit, constant density: the RK4 steps reproduce a(t) of
    da/dt = -C sqrt(a) (1 - w a / v)^2 (integrated here by scipy to 1e-12). (On a polar
    orbit the co-rotating air also tilts the orbit, di/dt > 0, which the one-variable
    equation leaves out.)"""
    from scipy.integrate import solve_ivp

    rho, am, cd, a0 = 1e-11, 0.05, 2.2, 6778.0
    table = _constant_table(rho)
    c = np.sqrt(lt.MU) * rho * 1e9 * cd * am * 1e-6 * lt.DAY_S

    def rhs(_, a):
        k = lt.OMEGA_EARTH * a / np.sqrt(lt.MU / a)
        return -c * np.sqrt(a) * (1 - k) ** 2

    want = solve_ivp(rhs, (0, 30.0), [a0], rtol=1e-12, atol=1e-9).y[0, -1]
    p = _params(table, 2459000.5)
    el = np.array([[a0, 0.0, 0.0, 0.0, 0.0]])
    el_f, t_f, t_re, _ = lt_numpy.run(p, el, np.array([0.5 * cd * am * 1e-6]), np.zeros(1), 30.0)
    assert np.isnan(t_re[0]) and t_f[0] == pytest.approx(30.0)
    assert el_f[0, 0] == pytest.approx(want, abs=1e-6), f"a after 30 d: {el_f[0, 0]} vs {want} km"


def test_mean_elements_remove_the_j2_short_period_terms():
    """The same orbit started at different points gives the same mean a within 50 m
    (osculating a differs by up to ~10 km around a J2 orbit)."""
    rng = np.random.default_rng(4)
    r, v = random_states(rng, 1, hp=(400.0, 400.0), emax=0.0)
    states = [(r, v)]
    for _ in range(5):  # points along the same J2 orbit: propagate a bit with J2 only
        x, u = states[-1]
        for _ in range(37):
            dt = 20.0
            k1r, k1v = u, _mean._j2_accel(x)
            k2r, k2v = u + dt / 2 * k1v, _mean._j2_accel(x + dt / 2 * k1r)
            k3r, k3v = u + dt / 2 * k2v, _mean._j2_accel(x + dt / 2 * k2r)
            k4r, k4v = u + dt * k3v, _mean._j2_accel(x + dt * k3r)
            x, u = x + dt / 6 * (k1r + 2 * k2r + 2 * k3r + k4r), u + dt / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
        states.append((x, u))
    r_all = np.concatenate([s[0] for s in states])
    v_all = np.concatenate([s[1] for s in states])
    osc = lt.osculating_elements(r_all, v_all)[0]
    mean = lt.mean_elements_from_states(r_all, v_all)[:, 0]
    assert np.ptp(osc) > 1.0, "the test orbit should show short-period a variation"
    # second-order J2 terms (J2^2 a ~ 8 m times factors of a few) remain
    assert np.ptp(mean) < 0.05, f"mean a spread {np.ptp(mean) * 1e3:.1f} m (osculating {np.ptp(osc):.2f} km)"


# ---------------------------------------------------------------------------- Cowell


def _compare_with_cowell(seed, hp, emax, count, min_e=0.0):
    """Relative re-entry time errors (averaged / Cowell - 1) of `count` seeded orbits with
    lifetimes of 1-4 days (300 drawn, the first `count` that qualify are kept)."""
    rng = np.random.default_rng(seed)
    n = 300
    r, v = random_states(rng, n, hp=hp, emax=emax)
    am = 10 ** rng.uniform(-1.5, 0.0, n)
    table = at.Exponential().table()
    res = lt.decay((r, v, am, START), START, "2021-11-25", atmosphere=table, backend="numpy")
    life = res.lifetime_days()
    e = lt.mean_elements_from_states(r, v)[:, 1]
    sel = np.nonzero((life > 1.0) & (life < 4.0) & (e >= min_e))[0][:count]
    assert sel.size == count, f"only {sel.size} orbits with lifetimes of 1-4 days"
    jd, fr = jd_from_datetime64(np.datetime64(START))
    ref = cowell_reentry_days(r[sel], v[sel], am[sel], float(jd + fr), table, max_days=5.0)
    assert not np.isnan(ref).any(), "the Cowell reference did not re-enter every orbit"
    rel = life[sel] / ref - 1
    worst = int(np.argmax(np.abs(rel)))
    print(f"longterm vs Cowell, {sel.size} orbits (e < {emax}): max |rel| {np.abs(rel).max():.4f}, "
          f"median {np.median(np.abs(rel)):.4f}, mean {rel.mean():+.4f}")
    assert np.abs(rel).max() < FIVE_PERCENT, (
        f"re-entry time off by {rel[worst]:+.2%} for orbit {sel[worst]} (e = {e[sel][worst]:.3f}, "
        f"Cowell {ref[worst]:.3f} d, averaged {life[sel][worst]:.3f} d)")


def test_reentry_times_within_5_percent_of_cowell():
    """110 seeded decaying orbits (perigee 200-320 km, e < 0.02, i 0-100 deg, A/M
    0.03-1 m^2/kg), Vallado's exponential atmosphere."""
    _compare_with_cowell(2021, (200.0, 320.0), 0.02, 110)


def test_eccentric_reentry_times_within_5_percent_of_cowell():
    """40 seeded eccentric orbits (perigee 150-220 km, e 0.02-0.1): the apogee comes down
    while the perigee stays, the regime of small fragments thrown onto eccentric orbits
    by a breakup."""
    _compare_with_cowell(99, (150.0, 220.0), 0.1, 40, min_e=0.02)


def test_reentry_times_within_5_percent_of_engine_numerical():
    """The project's Cowell propagator (engine.numerical, J2 only, RK4 at 30 s, the same
    atmosphere table) on 30 of the seeded near-circular orbits."""
    numerical = pytest.importorskip("engine.numerical", reason="engine.numerical not available")
    from engine import frames

    rng = np.random.default_rng(2021)
    n = 300
    r, v = random_states(rng, n)
    am = 10 ** rng.uniform(-1.5, 0.0, n)
    table = at.Exponential().table()
    res = lt.decay((r, v, am, START), START, "2021-11-25", atmosphere=table, backend="numpy")
    life = res.lifetime_days()
    sel = np.nonzero((life > 1.0) & (life < 4.0))[0][:30]
    jd, fr = jd_from_datetime64(np.datetime64(START))
    rg, vg = frames.teme_to_gcrf(r[sel], v[sel], jd, fr)
    out = numerical.propagate(rg, vg, START, np.array([5 * 86400.0]),
                              forces=numerical.Forces(zonal=2, drag=table, am=am[sel], cd=2.2),
                              integrator="rk4", step=30.0, reentry_km=120.0, backend="numpy")
    ref = np.asarray(out.reentry_s) / 86400.0
    assert not np.isnan(ref).any(), "engine.numerical did not re-enter every orbit"
    rel = life[sel] / ref - 1
    worst = int(np.argmax(np.abs(rel)))
    assert np.abs(rel).max() < FIVE_PERCENT, (
        f"re-entry time off by {rel[worst]:+.2%} for orbit {sel[worst]} "
        f"(engine.numerical {ref[worst]:.3f} d, averaged {life[sel][worst]:.3f} d)")


# ---------------------------------------------------------------------------- host build


@pytest.fixture(scope="module")
def host():
    from engine._hostbuild import HostBuildError

    try:
        return lt_cuda.LongtermHost()
    except HostBuildError as exc:
        pytest.skip(f"host build unavailable: {exc}")


def _time_varying_table(rng):
    alt = np.arange(100.0, 1001.0, 10.0)
    base = np.log(2e-12) - (alt - 400.0) / 55.0
    return at.Table(alt, 2459530.5 + np.arange(12.0), base[None, :] + rng.normal(0, 0.2, (12, 1)))


def _random_elements(rng, m, a_km, e_max):
    """(m, 5) mean elements: a uniform in a_km, e in [0, e_max), angles uniform."""
    return np.stack([rng.uniform(*a_km, m), rng.uniform(0, e_max, m), rng.uniform(0, 3, m),
                     rng.uniform(0, 6.28, m), rng.uniform(0, 6.28, m)], 1)


def test_host_rates_match_numpy_cpu(host):
    rng = np.random.default_rng(11)
    m = 400
    p = _params(_time_varying_table(rng), 2459533.5)
    y = _random_elements(rng, m, (6550.0, 7400.0), 0.3)
    t = rng.uniform(-2, 12, m)
    bc = rng.uniform(1e-9, 1e-6, m)
    got = host.rates(p, y, t, bc)
    k = lt.nodes_for(y[:, 0], y[:, 1], None, lt.perigee_scale_height(p, y, t))
    want = np.empty_like(y)
    for kk in np.unique(k):
        i = k == kk
        ce, se = lt.quadrature_nodes(int(kk))
        want[i] = lt_params._rates(dataclasses.replace(p, cos_e=ce, sin_e=se), y[i], t[i], bc[i])
    rel = np.abs(got - want) / np.maximum(np.abs(want), 1e-300)
    worst = np.unravel_index(np.argmax(rel), rel.shape)
    assert rel.max() < 1e-12, f"rates differ by {rel.max():.2e} at object {worst[0]}, element {worst[1]}"


def _run_case(seed, m):
    """(p, el (m, 5), bc (m,), t0 (m,)): seeded objects of 190-520 km, a time-varying table."""
    rng = np.random.default_rng(seed)
    p = _params(_time_varying_table(rng), 2459533.5)
    el = _random_elements(rng, m, (6560.0, 6900.0), 0.05)
    return p, el, rng.uniform(1e-9, 1e-6, m), rng.uniform(0, 2, m)


def test_host_run_matches_numpy_cpu(host):
    m = 200
    p, el, bc, t0 = _run_case(12, m)
    a = lt_numpy.run(p, el, bc, t0, 10.0)
    b = host.run(p, el, bc, t0, 10.0)
    np.testing.assert_array_equal(a[3], b[3])
    assert np.array_equal(np.isnan(a[2]), np.isnan(b[2])), "re-entered sets differ"
    assert 20 < np.sum(~np.isnan(a[2])) < m - 20, "the test should mix re-entries and survivors"
    d = np.nan_to_num(np.abs(a[2] - b[2]))
    assert d.max() < 1e-8, f"re-entry times differ by {d.max():.2e} d at object {int(np.argmax(d))}"
    rel = np.abs(a[0] - b[0]) / np.maximum(np.abs(a[0]), 1e-12)
    assert rel.max() < 1e-9, f"final elements differ by {rel.max():.2e} at object {int(np.argmax(rel.max(1)))}"


def test_launch_chunks_give_the_same_bits(host, monkeypatch):
    """Objects split over several launches (offset per-object arrays) give the bits of one
    launch: kernels/longterm.cu's launcher on the host executor."""
    p, el, bc, t0 = _run_case(14, 60)
    el_in = el.copy()
    whole = host.run(p, el, bc, t0, 10.0)
    monkeypatch.setattr(lt_cuda, "_MAX_LAUNCH", 7)
    parts = host.run(p, el, bc, t0, 10.0)
    for a, b in zip(whole, parts):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(el, el_in)  # the caller's elements are not written


@pytest.mark.parametrize("kb", ["host", "cuda"])
def test_kernel_matches_numpy(kb, host):
    """decay through kernels/longterm.cu's launcher (host executor; cuda where a device
    answers) against the NumPy implementation on the same seeded objects."""
    if kb == "cuda" and not _backend.cuda_status()[0]:
        pytest.skip(f"no CUDA device: {_backend.cuda_status()[1]}")
    rng = np.random.default_rng(13)
    r, v = random_states(rng, 3000, hp=(200.0, 700.0), emax=0.05)
    am = 10 ** rng.uniform(-2.0, 0.0, r.shape[0])
    kw = dict(atmosphere=_time_varying_table(rng), step_days=1.0)
    a = lt.decay((r, v, am, START), START, "2021-12-15", backend="numpy", **kw)
    b = lt.decay((r, v, am, START), START, "2021-12-15", backend=kb, **kw)
    assert np.array_equal(a.status, b.status)
    d = np.abs((a.reentry - b.reentry) / np.timedelta64(1, "s"))
    d = np.nan_to_num(d.astype(float))
    assert d.max() < 1.0, f"re-entry times differ by {d.max():.3f} s at object {int(np.argmax(d))}"
    np.testing.assert_array_equal(a.on_orbit, b.on_orbit)


# ---------------------------------------------------------------------------- API


def test_result_fields_and_on_orbit_counts():
    rng = np.random.default_rng(21)
    r, v = random_states(rng, 60, hp=(250.0, 700.0), emax=0.01)
    am = 10 ** rng.uniform(-2.0, 0.0, 60)
    res = lt.decay((r, v, am, START), START, "2022-01-15", step_days=2.0, atmosphere="exponential")
    assert res.reentry.shape == (60,) and res.reentry.dtype == np.dtype("datetime64[us]")
    assert res.times[0] == np.datetime64(START) and res.times[-1] == np.datetime64("2022-01-15")
    gone = ~np.isnat(res.reentry)
    assert 5 < gone.sum() < 55
    assert np.all(res.status[gone] == lt.REENTERED) and np.all(res.status[~gone] == lt.IN_ORBIT)
    want = np.array([np.sum(~gone | (res.reentry > t)) for t in res.times])
    np.testing.assert_array_equal(res.on_orbit, want)
    assert np.all(np.diff(res.on_orbit) <= 0)
    assert np.all(res.final_time[~gone] == np.datetime64("2022-01-15"))
    assert np.all(res.elements["a_km"][gone] < lt.R_EQ + 150.0)
    assert res.failures() == []


def test_catalog_input_bstar_and_negative_bstar():
    from engine import Catalog

    # Cosmos 1408's elements of 29 Nov 2021 (rev/day -> rad/min), and a copy with B* < 0
    deg = np.pi / 180.0
    cat = Catalog.from_arrays(
        no_kozai=15.31152487 * 2 * np.pi / 1440.0, ecco=0.0029185, inclo=82.5720 * deg,
        nodeo=109.0504 * deg, argpo=96.4293 * deg, mo=264.0273 * deg,
        bstar=np.array([8.3310e-5, -1.2345e-3]),
        epoch=np.datetime64("2021-11-29T16:15:43"))
    res = lt.decay(cat, "2021-12-01", "2022-01-01", atmosphere="exponential", ballistic="bstar")
    # B* = cd (A/M) rho0 / 2, rho0 = 0.15696615 kg/m^2/earth radius (Vallado eq. 9-46)
    assert res.am[0] == pytest.approx(2 * 8.3310e-5 / (2.2 * 0.15696615), rel=1e-12)
    assert res.status[1] == lt.NEGATIVE_BSTAR and np.isnat(res.reentry[1])
    assert res.failures() == [(1, lt.STATUS_MESSAGES[lt.NEGATIVE_BSTAR])]
    assert res.status[0] == lt.IN_ORBIT
    # SGP4 (Brouwer) mean a of the parent: about 475 km above the equator
    assert 6830.0 < res.elements["a_km"][0] < 6870.0, res.elements["a_km"][0]


def test_fragments_input():
    from engine.breakup import Body, explosion

    r0 = np.array([lt.R_EQ + 480.0, 0.0, 0.0])
    v0 = np.array([0.0, 7.62 * np.cos(np.radians(82.6)), 7.62 * np.sin(np.radians(82.6))])
    body = Body(mass_kg=500.0, r_km=r0, v_kms=v0, epoch=START)
    frags = explosion(body, lc_min=0.2, seed=3, backend="numpy")
    res = lt.decay(frags, START, "2022-11-15", backend="numpy", atmosphere="exponential")
    assert len(res) == len(frags)
    np.testing.assert_array_equal(res.am, frags.to_host().am)
    # B* of the fragments turns back into the same A/M
    assert np.allclose(2 * frags.bstar() / (2.2 * lt.RHO0_SGP4), res.am, rtol=1e-12)
    assert res.on_orbit[0] == len(frags) - np.sum(res.status == lt.BELOW_AT_EPOCH)


def test_nrlmsis_solar_activity_speeds_up_decay():
    """The same objects decay sooner in an NRLMSIS 2.1 atmosphere at high solar activity
    (F10.7 = 200) than at low (70): the table reaches the propagator's density."""
    pytest.importorskip("pymsis", reason="pymsis not installed: pip install pymsis")
    rng = np.random.default_rng(31)
    r, v = random_states(rng, 40, hp=(250.0, 300.0), emax=0.005)
    am = np.full(40, 0.3)
    life = {}
    for f107 in (70.0, 200.0):
        table = at.nrlmsis_table(START, "2021-12-15", alt_km=np.arange(100.0, 701.0, 5.0),
                                 f107=f107, f107a=f107, ap=10.0)
        res = lt.decay((r, v, am, START), START, "2021-12-15", atmosphere=table)
        life[f107] = res.lifetime_days()
    assert np.all(~np.isnan(life[200.0])), "every object should re-enter at F10.7 = 200"
    shorter = np.nan_to_num(life[70.0], nan=np.inf) > life[200.0]
    assert shorter.all(), f"object {int(np.argmin(shorter))} did not decay sooner at F10.7 = 200"


def test_bad_arguments_raise_one_value_error():
    r, v = random_states(np.random.default_rng(0), 3)
    good = (r, v, np.full(3, 0.01), START)
    with pytest.raises(ValueError, match="am: record 1"):
        lt.decay((r, v, np.array([0.01, -1.0, 0.01]), START), START, "2022-01-01")
    with pytest.raises(ValueError, match="stop"):
        lt.decay(good, START, "2021-01-01")
    with pytest.raises(ValueError, match="step_days"):
        lt.decay(good, START, "2022-01-01", step_days=0.0)
    with pytest.raises(ValueError, match="nodes"):
        lt.decay(good, START, "2022-01-01", nodes=2)
    with pytest.raises(ValueError, match="atmosphere"):
        lt.decay(good, START, "2022-01-01", atmosphere="jacchia")
    with pytest.raises(ValueError, match="objects"):
        lt.decay({"r": r}, START, "2022-01-01")


def test_unbound_and_after_stop_objects_are_reported_not_nan():
    r, v = random_states(np.random.default_rng(1), 3, hp=(400.0, 400.0), emax=0.0)
    v[1] *= 1.6  # hyperbolic
    epoch = np.array([START, START, "2023-01-01"], dtype="datetime64[us]")
    res = lt.decay((r, v, np.full(3, 0.01), epoch), START, "2022-01-01", atmosphere="exponential")
    assert res.status.tolist() == [lt.IN_ORBIT, lt.NOT_ORBITING, lt.AFTER_STOP]
    assert [i for i, _ in res.failures()] == [1, 2]
    assert res.on_orbit[0] == 1


#: largest relative quadrature error of da/dt and de/dt allowed per table: the smooth
#: table is bounded by the trapezoid estimate plus the other factors of the integrand
#: (measured 1e-4); Vallado's table has jumps of slope at its band edges, which the
#: trapezoid rule does not resolve geometrically (measured 1.1 %, at a 900 km perigee;
#: 0.5 % with the earlier rule that assumed H = 20 km everywhere, at twice the nodes)
NODE_TOL = {"vallado": 2e-2, "nrlmsis-like": 3e-4}


@pytest.mark.parametrize("which", ["vallado", "nrlmsis-like"])
def test_adaptive_nodes_hold_quadrature_error(which):
    """The node count chosen from a e / H (H the scale height near perigee) keeps the
    orbit-averaged drag rates within NODE_TOL of a 1,024-node quadrature, over circular to
    e = 0.3 orbits from 150 km perigee up."""
    rng = np.random.default_rng(31)
    table = at.Exponential().table() if which == "vallado" else _time_varying_table(rng)
    p = _params(table, 2459533.5)
    y = _random_elements(rng, 3000, (6530.0, 9000.0), 0.3)
    y = y[lt_params._perigee_height(y) > 150.0]
    m = len(y)
    t = rng.uniform(0, 10, m)
    bc = np.full(m, 1e-7)
    k = lt.nodes_for(y[:, 0], y[:, 1], None, lt.perigee_scale_height(p, y, t))
    assert len(np.unique(k)) >= 4, f"the orbits should span several node classes: {np.unique(k)}"
    ce, se = lt.quadrature_nodes(1024)
    ref = lt_params._rates(dataclasses.replace(p, cos_e=ce, sin_e=se), y, t, bc)
    got = np.empty_like(ref)
    for kk in np.unique(k):
        i = k == kk
        ce, se = lt.quadrature_nodes(int(kk))
        got[i] = lt_params._rates(dataclasses.replace(p, cos_e=ce, sin_e=se), y[i], t[i], bc[i])
    for col, name in ((0, "da/dt"), (1, "de/dt")):
        scale = np.abs(ref[:, 0]) if col == 0 else np.abs(ref[:, 0]) / y[:, 0]
        rel = np.abs(got[:, col] - ref[:, col]) / scale
        j = int(np.argmax(rel))
        assert rel.max() < NODE_TOL[which], (
            f"{name}: quadrature error {rel.max():.2e} with {k[j]} nodes, a = {y[j, 0]:.1f} km, "
            f"e = {y[j, 1]:.4f}")


def test_automatic_step_keeps_lifetimes():
    """step_days=None takes 4-day steps in a static atmosphere: lifetimes agree with
    half-day steps (re-entries from days to a year, circular and eccentric), and the
    on-orbit counts stay daily; a time-varying table keeps 1-day steps."""
    rng = np.random.default_rng(31)
    r, v = random_states(rng, 400, hp=(200.0, 450.0), emax=0.05)
    am = 10 ** rng.uniform(-2.5, -0.5, 400)
    stop = "2022-11-15"
    auto = lt.decay((r, v, am, START), START, stop, atmosphere="exponential")
    fine = lt.decay((r, v, am, START), START, stop, step_days=0.5, atmosphere="exponential")
    assert auto.info["step_days"] == lt.STEP_DAYS_STATIC == 4.0
    np.testing.assert_array_equal(auto.status, fine.status)
    gone = ~np.isnat(fine.reentry)
    assert 50 < gone.sum() < 350, "the test should mix re-entries and survivors"
    start = np.datetime64(START, "us")
    life_a = (auto.reentry[gone] - start) / np.timedelta64(1, "D")
    life_f = (fine.reentry[gone] - start) / np.timedelta64(1, "D")
    rel = np.abs(life_a - life_f) / life_f
    assert rel.max() < 1e-3, f"lifetime differs by {rel.max():.2e} at object {int(np.argmax(rel))}"
    assert np.abs(life_a - life_f).max() < 0.05  # days (seen: 2.6e-4 and 0.014)
    assert np.all(np.diff(auto.times) == np.timedelta64(1, "D"))
    varying = lt.decay((r[:20], v[:20], am[:20], START), START, "2021-11-20",
                       atmosphere=_time_varying_table(rng))
    assert varying.info["step_days"] == lt.STEP_DAYS_VARYING == 1.0
