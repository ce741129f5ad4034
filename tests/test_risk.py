"""engine.risk: orbit-averaged spatial density and kinetic-gas flux.

Checked against: Kepler's equation sampled by Monte Carlo (time fractions), positions
propagated by python-sgp4 (shell densities of a real-like cloud), and a closed-form
flux (a ring of polar orbits crossing an equatorial target).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sgp4.api import SatrecArray

from engine import risk
from engine._orbits import MU_KM3_S2, RE_KM


def _kepler_radii(a, e, n, rng):
    m = rng.uniform(0, 2 * np.pi, n)
    ecc_anom = m.copy()
    for _ in range(50):
        ecc_anom -= (ecc_anom - e * np.sin(ecc_anom) - m) / (1 - e * np.cos(ecc_anom))
    return a * (1 - e * np.cos(ecc_anom))


@pytest.mark.parametrize("a, e", [(6900.0, 0.001), (7200.0, 0.05), (26600.0, 0.7)])
def test_time_fraction_radius_against_kepler_monte_carlo(a, e):
    rng = np.random.default_rng(1)
    r = _kepler_radii(a, e, 400_000, rng)
    edges = np.linspace(a * (1 - e) - 1, a * (1 + e) + 1, 21)
    mc = np.histogram(r, edges)[0] / r.size
    got = risk.time_fraction_radius(edges[:-1], edges[1:], a, e)
    assert abs(got.sum() - 1.0) < 1e-12
    np.testing.assert_allclose(got, mc, atol=4 * np.sqrt(mc.max() / r.size))


def test_time_fraction_latitude_against_monte_carlo():
    rng = np.random.default_rng(2)
    for inc in (np.radians(51.6), np.radians(82.6), np.radians(98.0), np.radians(5.0)):
        lat = np.arcsin(np.sin(inc) * np.sin(rng.uniform(0, 2 * np.pi, 400_000)))
        edges = np.radians(np.arange(-90, 91, 5.0))
        mc = np.histogram(lat, edges)[0] / lat.size
        got = risk.time_fraction_latitude(edges[:-1], edges[1:], inc)
        np.testing.assert_allclose(got, mc, atol=4 * np.sqrt(mc.max() / lat.size))


def test_shell_density_against_python_sgp4_positions():
    """A Cosmos-like cloud of 300 element sets: the analytic orbit-averaged shell counts
    equal the histogram of python-sgp4 positions over 10 days within 3 % + 0.4 objects per
    50 km shell: what remains is SGP4's +-2 km short-period radial term and long-period
    eccentricity terms smearing objects across shell edges, and sampling noise. Without
    the SGP4 radius correction (engine._orbits.sgp4_radius_scale) shells are off by 12 %."""
    import engine

    rng = np.random.default_rng(4)
    n = 300
    cat = engine.Catalog.from_arrays(
        jdsatepoch=np.full(n, 2459534.5), jdsatepochF=np.zeros(n), bstar=np.zeros(n),
        ecco=10 ** rng.uniform(-4, -1.5, n), inclo=np.radians(82.56 + rng.normal(0, 0.3, n)),
        nodeo=rng.uniform(0, 2 * np.pi, n), argpo=rng.uniform(0, 2 * np.pi, n), mo=rng.uniform(0, 2 * np.pi, n),
        no_kozai=rng.uniform(14.8, 15.7, n) * 2 * np.pi / 1440.0)
    edges = np.arange(250.0, 800.1, 50.0)
    grid = risk.spatial_density(cat, alt_edges_km=edges)
    sats = SatrecArray(cat.to_satrecs())
    jd0 = float(cat.jdsatepoch[0]) + float(cat.jdsatepochF[0])
    t = np.arange(0, 10 * 1440, 7.3) / 1440.0
    e, r, _ = sats.sgp4(np.full(t.size, math.floor(jd0)), (jd0 - math.floor(jd0)) + t)
    assert np.all(e == 0)
    alt = np.linalg.norm(r, axis=-1) - RE_KM
    sampled = np.histogram(alt.ravel(), edges)[0] / t.size
    counts = grid.count.sum(axis=1)
    worst = np.max(np.abs(counts - sampled) - (0.03 * sampled + 0.4))
    assert worst < 0, (counts.round(2), sampled.round(2))
    assert abs(counts.sum() - sampled.sum()) < 0.5
    assert isinstance(engine.risk.spatial_density, type(risk.spatial_density))


def test_flux_polar_ring_on_equatorial_target_closed_form():
    """N objects on circular polar orbits of radius R (uniform nodes and phases) and a
    target on a circular equatorial orbit of the same radius. At the equator every object
    moves north or south at v, the target east at v: v_rel = sqrt(2) v, and the density
    is n = N p(phi = 0) / (2 pi R^2 dR cos 0) with p(0) = 1 / pi per radian, so
    F = sqrt(2) v N / (2 pi^2 R^2 dR)."""
    n_obj, alt, d_r = 1000, 500.0, 10.0
    radius = RE_KM + alt
    speed = math.sqrt(MU_KM3_S2 / radius)
    cloud = (np.full(n_obj, radius), np.zeros(n_obj), np.full(n_obj, math.pi / 2))
    t = np.arange(0, 600, 60.0)
    ang = speed / radius * t
    r = np.stack([radius * np.cos(ang), radius * np.sin(ang), np.zeros_like(t)], axis=1)
    v = np.stack([-speed * np.sin(ang), speed * np.cos(ang), np.zeros_like(t)], axis=1)
    times = np.datetime64("2021-11-15T00:00") + (t * 1e6).astype("timedelta64[us]")
    f = risk.flux((times, r, v), cloud, None, None, area_m2=400.0,
                  alt_edges_km=np.array([alt - d_r / 2, alt + d_r / 2]), lat_edges_deg=np.arange(-90.0, 90.1, 1.0))
    want = math.sqrt(2) * speed * n_obj / (2 * math.pi**2 * radius**2 * d_r)   # per km^2 per s
    # the 1-degree band averages p(phi) / cos(phi) over [0, 1 deg]: 1.5e-4 relative
    np.testing.assert_allclose(f.flux_per_km2_s, want, rtol=5e-4)
    lam = want * 1e-6 * 400.0 * 600.0
    assert f.expected_impacts == pytest.approx(lam, rel=5e-4)
    assert f.probability == pytest.approx(-math.expm1(-lam), rel=5e-4)


def test_flux_is_zero_where_the_cloud_cannot_reach():
    # a 51.6 deg target never meets objects confined below 30 deg latitude... at 40-50 deg;
    # and objects far above the target's shell contribute nothing
    radius = RE_KM + 420.0
    speed = math.sqrt(MU_KM3_S2 / radius)
    lat = np.radians(45.0)
    r = np.array([[radius * math.cos(lat), 0.0, radius * math.sin(lat)]])
    v = np.array([[0.0, speed, 0.0]])
    times = np.array(["2021-11-15T00:00"], dtype="datetime64[us]")
    low_inc = (np.full(100, radius), np.zeros(100), np.full(100, np.radians(30.0)))
    high = (np.full(100, radius + 500.0), np.zeros(100), np.full(100, np.radians(82.0)))
    for cloud in (low_inc, high):
        f = risk.flux((times, r, v), cloud, None, None, area_m2=1.0)
        assert f.flux_per_km2_s[0] == 0.0


def test_flux_scales_with_cloud_and_area():
    radius = RE_KM + 450.0
    speed = math.sqrt(MU_KM3_S2 / radius)
    r = np.array([[radius, 0.0, 0.0]])
    v = np.array([[0.0, speed * math.cos(0.9), speed * math.sin(0.9)]])
    times = np.array(["2021-11-15T00:00"], dtype="datetime64[us]")
    rng = np.random.default_rng(5)
    a = radius + rng.uniform(-20, 60, 400)
    cloud = (a, rng.uniform(0, 0.01, 400), np.radians(rng.uniform(60, 100, 400)))
    one = risk.flux((times, r, v), cloud, None, None, area_m2=2.0)
    two = risk.flux((times, r, v), tuple(np.concatenate([c, c]) for c in cloud), None, None, area_m2=2.0)
    assert one.flux_per_km2_s[0] > 0
    assert two.flux_per_km2_s[0] == pytest.approx(2 * one.flux_per_km2_s[0], rel=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(alt_edges_km=[500.0]), "alt_edges_km"),
    (dict(alt_edges_km=[500.0, 400.0]), "increasing"),
    (dict(lat_edges_deg=[-100.0, 0.0]), "lat_edges_deg"),
    (dict(weights=np.ones(3)), "weights"),
])
def test_spatial_density_bad_input(kwargs, match):
    cloud = (np.full(5, 6900.0), np.zeros(5), np.full(5, 1.0))
    with pytest.raises(ValueError, match=match):
        risk.spatial_density(cloud, **kwargs)


def test_flux_predicts_the_encounter_rate_that_screening_finds():
    """The kinetic-gas flux integrated over the window and a sphere of radius D predicts
    the number of approaches closer than D that engine.screen finds on the same random
    cloud (seeded, uniform nodes and phases): lambda = integral F pi D^2 dt. The count is
    Poisson: within 3.5 sigma."""
    import engine
    from engine import events

    rng = np.random.default_rng(11)
    n = 6000
    cloud = engine.Catalog.from_arrays(
        jdsatepoch=np.full(n, 2459533.5), jdsatepochF=np.full(n, 0.5), bstar=np.zeros(n),
        ecco=rng.uniform(0.0, 0.004, n), inclo=np.radians(rng.uniform(30.0, 100.0, n)),
        nodeo=rng.uniform(0, 2 * np.pi, n), argpo=rng.uniform(0, 2 * np.pi, n), mo=rng.uniform(0, 2 * np.pi, n),
        no_kozai=rng.uniform(15.35, 15.65, n) * 2 * np.pi / 1440.0)
    iss = events.iss()
    start, stop = "2021-11-16T00:00", "2021-11-18T00:00"
    d_km = 10.0
    conj = engine.screen(iss, cloud, start, stop, threshold_km=d_km, backend="numpy")
    f = risk.flux(iss, cloud, start, stop, step_s=60.0, alt_edges_km=np.arange(300.0, 600.1, 5.0))
    lam = float(np.sum(f.flux_per_km2_s) * 60.0 * math.pi * d_km**2)
    assert lam > 30
    assert abs(len(conj) - lam) < 3.5 * math.sqrt(lam), (len(conj), lam)
