"""Spatial density of a cloud and the flux it puts on a target: the kinetic-gas model.

    grid = engine.risk.spatial_density(cloud, alt_edges_km=np.arange(200, 2001, 10))
    f = engine.risk.flux(iss, cloud, "2021-11-15T03:00", "2021-11-22T03:00", area_m2=400.0)
    f.flux_per_m2_s, f.expected_impacts, f.probability          # P = 1 - exp(-lambda)

Spatial density (objects/km^3) is the orbit average of each object: with mean anomaly
uniform in time, the fraction of time an orbit (a, e) spends between radii r1 and r2 is
(M(r2) - M(r1)) / pi, M(r) = E - e sin E with r = a (1 - e cos E) (Kepler); with the
argument of latitude uniform (apsidal and nodal precession spread it over weeks), the
fraction of time below latitude phi is 1/2 + arcsin(sin phi / sin i) / pi. The two are
taken as independent (exact for a circular orbit; for an eccentric one it assumes the
perigee has precessed around the orbit, the usual assumption of long-term environment
models such as the ones in the project's breakup reference, section 4). Cells are
altitude shells x latitude bands over all longitudes.

Flux on a target (kinetic-gas approach; reference breakup.md section 5.1): along the
target's path, F(t) = sum over objects of n_i(cell of the target) x |v_target - v_i|,
with the object's velocity at the target's radius and latitude from vis-viva, its flight
path angle (+-) and its two possible headings (sin Az = cos i / cos phi), averaged over
the four. Expected impacts lambda = integral of F A dt over the window (A the target's
cross-section), probability of at least one P = 1 - exp(-lambda) (Poisson).

Units: km, km/s, km^3 inside; flux reported per m^2 per s and per m^2 per year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._orbits import MU_KM3_S2, RE_KM, aei_of
from .catalog import Catalog
from .constants import SECONDS_PER_DAY
from .timeconv import jd_from_datetime64, to_datetime64

__all__ = ["DensityGrid", "FluxResult", "spatial_density", "flux", "time_fraction_radius",
           "time_fraction_latitude", "cell_volumes"]

_CHUNK = 4096
_SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY


def _mean_anomaly_at_radius(r, a, e):
    """M in [0, pi] at radius r on the outbound half of the orbit (r clipped to [rp, ra])."""
    rp, ra = a * (1.0 - e), a * (1.0 + e)
    rc = np.clip(r, rp, ra)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos_e = np.where(e > 0, (a - rc) / np.where(e > 0, a * e, 1.0), 1.0)
    # exact ends: arccos near +-1 would turn rounding of (a - r) / (a e) into sqrt-size errors
    ecc_anom = np.where(r <= rp, 0.0, np.where(r >= ra, math.pi, np.arccos(np.clip(cos_e, -1.0, 1.0))))
    return ecc_anom - e * np.sin(ecc_anom)


def time_fraction_radius(r1, r2, a, e):
    """Fraction of an orbit's period spent at radii in [r1, r2).

    Circular orbits (e = 0) count fully in the shell that holds a.

    Parameters
    ----------
    r1, r2 : float or array_like, km
        The shell's radii, broadcasting against a and e.
    a : (N,) array_like, float64, km
        Semi-major axes.
    e : (N,) array_like, float64
        Eccentricities.

    Returns
    -------
    ndarray, float64
        The fraction in [0, 1], with the broadcast shape.
    """
    a = np.asarray(a, dtype=np.float64)
    e = np.asarray(e, dtype=np.float64)
    frac = (_mean_anomaly_at_radius(r2, a, e) - _mean_anomaly_at_radius(r1, a, e)) / math.pi
    circ = e <= 1e-12
    return np.where(circ, ((a >= r1) & (a < r2)).astype(np.float64), frac)


def time_fraction_latitude(phi1, phi2, inc):
    """Fraction of time an orbit spends at geocentric latitudes in [phi1, phi2), for a
    uniformly distributed argument of latitude.

    Parameters
    ----------
    phi1, phi2 : float or array_like, rad
        The band's latitudes, broadcasting against inc.
    inc : array_like, float64, rad
        Inclinations.

    Returns
    -------
    ndarray, float64
        The fraction in [0, 1], with the broadcast shape.
    """
    s = np.maximum(np.abs(np.sin(np.asarray(inc, dtype=np.float64))), 1e-15)

    def cdf(phi):
        return 0.5 + np.arcsin(np.clip(np.sin(phi) / s, -1.0, 1.0)) / math.pi

    return cdf(phi2) - cdf(phi1)


def cell_volumes(alt_edges_km, lat_edges_deg) -> np.ndarray:
    """Volumes of altitude shell x latitude band cells over all longitudes.

    Parameters
    ----------
    alt_edges_km : (A+1,) array_like, km
        Shell edges above a 6378.135 km sphere.
    lat_edges_deg : (L+1,) array_like, deg
        Geocentric latitude band edges.

    Returns
    -------
    ndarray, (A, L) float64, km^3
    """
    r = RE_KM + np.asarray(alt_edges_km, dtype=np.float64)
    lat = np.radians(np.asarray(lat_edges_deg, dtype=np.float64))
    shell = (2.0 * math.pi / 3.0) * (r[1:] ** 3 - r[:-1] ** 3)
    return shell[:, None] * (np.sin(lat[1:]) - np.sin(lat[:-1]))[None, :]


@dataclass
class DensityGrid:
    """Orbit-averaged spatial density on altitude shells x latitude bands.

    Attributes
    ----------
    alt_edges_km : (A+1,) ndarray, km
        Shell edges above a 6378.135 km sphere.
    lat_edges_deg : (L+1,) ndarray, deg
        Geocentric band edges.
    density : (A, L) ndarray, objects/km^3
    count : (A, L) ndarray
        Mean number of objects in each cell.
    n_objects : int
        Objects used.
    n_unbound : int
        Unbound objects, left out.
    """

    alt_edges_km: np.ndarray
    lat_edges_deg: np.ndarray
    density: np.ndarray
    count: np.ndarray
    n_objects: int
    n_unbound: int

    @property
    def volume_km3(self) -> np.ndarray:
        """(A, L) float64 km^3: the cells' volumes (:func:`cell_volumes`)."""
        return cell_volumes(self.alt_edges_km, self.lat_edges_deg)

    def shell_density(self) -> np.ndarray:
        """Density in each altitude shell over all latitudes of the grid.

        Returns
        -------
        ndarray, (A,) float64, objects/km^3
        """
        return self.count.sum(axis=1) / self.volume_km3.sum(axis=1)


def _check_edges(name, edges, lo, hi, unit):
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or not np.all(np.diff(e) > 0):
        raise ValueError(f"{name} must be at least two increasing finite values ({unit}), got {edges!r}")
    if e[0] < lo or e[-1] > hi:
        raise ValueError(f"{name} must lie within {lo}..{hi} {unit}, got {e[0]}..{e[-1]}")
    return e


def spatial_density(objects, *, alt_edges_km=None, lat_edges_deg=(-90.0, 90.0), weights=None) -> DensityGrid:
    """Orbit-averaged spatial density of a cloud (objects/km^3) on altitude x latitude cells.

    objects: engine.Catalog (SGP4 mean elements), engine.Fragments (osculating elements
    at the event) or a tuple (a_km, e, i_rad) of (N,) arrays. alt_edges_km: shell edges
    (default 100..2,000 km every 10 km); lat_edges_deg: band edges (default one band).
    weights: (N,) multiplicity of each object (default 1), e.g. to scale a sample.
    Unbound objects (no semi-major axis) are left out and counted in n_unbound.

    Parameters
    ----------
    objects : engine.Catalog, engine.Fragments or (a_km, e, i_rad) tuple of (N,) arrays
        The cloud, as above.
    alt_edges_km : (A+1,) array_like, km, optional
        Shell edges, increasing.
    lat_edges_deg : (L+1,) array_like, deg
        Band edges, increasing, within -90..90.
    weights : (N,) array_like, optional
        Multiplicity of each object.

    Returns
    -------
    DensityGrid
        density (A, L) objects/km^3 and count (A, L), NumPy arrays on the host: the grid
        is a small table, and Fragments on a device are brought to the host for their
        elements (engine._orbits.aei_of).

    Raises
    ------
    ValueError
        Edges that are not at least two increasing finite values in range, or weights not
        of shape (N,).
    """
    alt = _check_edges("alt_edges_km", np.arange(100.0, 2001.0, 10.0) if alt_edges_km is None else alt_edges_km,
                       -RE_KM, 1e6, "km")
    lat_deg = _check_edges("lat_edges_deg", lat_edges_deg, -90.0, 90.0, "deg")
    a, e, inc = aei_of(objects)
    w = np.ones(a.shape) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != a.shape:
        raise ValueError(f"weights must have shape {a.shape} (one per object), got {w.shape}")
    ok = np.isfinite(a) & (e < 1.0)
    a, e, inc, w = a[ok], e[ok], inc[ok], w[ok]
    r_edges = RE_KM + alt
    lat = np.radians(lat_deg)
    count = np.zeros((alt.size - 1, lat.size - 1))
    for s in range(0, a.size, _CHUNK):
        sl = slice(s, s + _CHUNK)
        fr = time_fraction_radius(r_edges[None, :-1], r_edges[None, 1:], a[sl, None], e[sl, None])
        fl = time_fraction_latitude(lat[None, :-1], lat[None, 1:], inc[sl, None])
        count += np.einsum("n,na,nl->al", w[sl], fr, fl)
    return DensityGrid(alt, lat_deg, count / cell_volumes(alt, lat_deg), count, int(ok.sum()), int((~ok).sum()))


@dataclass
class FluxResult:
    """Flux of a cloud on a target along its path.

    Attributes
    ----------
    times : (T,) ndarray, datetime64[us]
    flux_per_km2_s : (T,) ndarray, objects/km^2/s
        The flux at each time.
    flux_per_m2_s, flux_per_m2_yr : float, 1/(m^2 s) and 1/(m^2 yr)
        The window averages.
    area_m2 : float, m^2
        The target's cross-section.
    duration_s : float, s
        The window.
    expected_impacts : float
        lambda = sum F A dt over the window.
    probability : float
        1 - exp(-lambda).
    """

    times: np.ndarray
    flux_per_km2_s: np.ndarray
    flux_per_m2_s: float
    flux_per_m2_yr: float
    area_m2: float
    duration_s: float
    expected_impacts: float
    probability: float


def _enu(r):
    """Unit east, north, up vectors at positions r (T, 3) (geocentric, spherical Earth)."""
    up = r / np.linalg.norm(r, axis=1)[:, None]
    z = np.array([0.0, 0.0, 1.0])
    east = np.cross(z, up)
    nrm = np.linalg.norm(east, axis=1)
    east = np.where(nrm[:, None] > 1e-12, east / np.maximum(nrm, 1e-12)[:, None], np.array([0.0, 1.0, 0.0]))
    north = np.cross(up, east)
    return east, north, up


def mean_relative_speed(r_t, v_t, a, e, inc):
    """Mean |v_t - v_i| (km/s) over the four ways (heading north/south-going, flight path
    angle +-) object i can pass the target's point r_t (T, 3) km with v_t (T, 3) km/s.
    a, e, inc: (N,) arrays. Returns (T, N); NaN where the object cannot be at that
    radius or latitude.

    Parameters
    ----------
    r_t : (T, 3) array_like, float64, km
        The target's positions (inertial).
    v_t : (T, 3) array_like, float64, km/s
        The target's velocities (same frame).
    a : (N,) ndarray, float64, km
        Semi-major axes of the objects.
    e : (N,) ndarray, float64
        Eccentricities.
    inc : (N,) ndarray, float64, rad
        Inclinations.

    Returns
    -------
    ndarray, (T, N) float64, km/s
        The mean relative speed, NaN where the object cannot be there.
    """
    rn = np.linalg.norm(r_t, axis=1)[:, None]
    east, north, up = _enu(r_t)
    vt = np.stack([np.einsum("ij,ij->i", v_t, b) for b in (east, north, up)], axis=1)   # (T, 3) ENU
    sin_lat = r_t[:, 2:3] / rn
    cos_lat = np.sqrt(np.maximum(0.0, 1.0 - sin_lat**2))
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = np.sqrt(MU_KM3_S2 * (2.0 / rn - 1.0 / a[None, :]))
        h = np.sqrt(MU_KM3_S2 * a * (1.0 - e * e))[None, :]
        cos_g = np.clip(h / (rn * speed), -1.0, 1.0)
        sin_g = np.sqrt(1.0 - cos_g**2)
        sin_az = np.cos(inc)[None, :] / cos_lat        # azimuth from north of the eastward crossing
    reach = (np.abs(sin_az) <= 1.0) & np.isfinite(speed)
    sin_az = np.clip(sin_az, -1.0, 1.0)
    cos_az = np.sqrt(1.0 - sin_az**2)
    horizontal = speed * cos_g
    de2 = (vt[:, 0:1] - horizontal * sin_az) ** 2
    north = horizontal * cos_az
    vertical = speed * sin_g
    total = np.zeros(reach.shape)
    for dn in (vt[:, 1:2] - north, vt[:, 1:2] + north):       # north- and south-going
        for du in (vt[:, 2:3] - vertical, vt[:, 2:3] + vertical):  # climbing and descending
            total += np.sqrt(de2 + dn * dn + du * du)
    return np.where(reach, 0.25 * total, np.nan)


def flux(target, objects, start, stop, *, step_s: float = 60.0, area_m2: float = 1.0,
         alt_edges_km=None, lat_edges_deg=None, backend: str = "numpy", progress=None) -> FluxResult:
    """Flux of `objects` on `target` between start and stop (kinetic-gas model, see the
    module docstring).

    target: engine.Catalog with one object (propagated with SGP4) or a tuple (times
    datetime64 (T,), r (T, 3) km, v (T, 3) km/s) in an inertial frame; objects: what
    spatial_density takes. step_s: sampling step of the target's path (s). area_m2: the
    target's cross-section (m^2). alt_edges_km, lat_edges_deg: the density cells
    (default 10 km shells from 100 to 2,000 km x 5 deg latitude bands).
    progress: None or a callable progress(done, total) called after each chunk of objects
        (done, total: objects, int); engine._progress.callback adapts a bar.

    Parameters
    ----------
    target : engine.Catalog or (times, r, v) tuple
        One object, or its path: times (T,) datetime64, r (T, 3) km, v (T, 3) km/s.
    objects : engine.Catalog, engine.Fragments or (a_km, e, i_rad) tuple of (N,) arrays
        The cloud, as :func:`spatial_density`.
    start, stop : str or datetime64
        The window (UTC), for a Catalog target.
    step_s : float, s
        Sampling step of the target's path.
    area_m2 : float, m^2
        The target's cross-section.
    alt_edges_km, lat_edges_deg : array_like, km and deg, optional
        The density cells.
    backend : str
        The target's SGP4 backend.
    progress : callable, optional
        As above.

    Returns
    -------
    FluxResult
        NumPy arrays and floats on the host: the target's path is propagated with
        to_host=True, since the flux is a small per-time table.

    Raises
    ------
    ValueError
        area_m2 not positive, a target of more than one object, stop not after start,
        step_s not positive, SGP4 error codes on the target's path, or bad cell edges.
    """
    if not (isinstance(area_m2, (int, float)) and area_m2 > 0):
        raise ValueError(f"area_m2 must be a positive cross-section in m^2, got {area_m2!r}")
    if isinstance(target, Catalog):
        if len(target) != 1:
            raise ValueError(f"target must hold one object, got {len(target)}; select it, e.g. cat[:1]")
        t0, t1 = to_datetime64(start), to_datetime64(stop)
        if not t1 > t0:
            raise ValueError(f"stop ({t1}) must be after start ({t0})")
        if not step_s > 0:
            raise ValueError(f"step_s must be positive, got {step_s!r}")
        times = np.arange(t0, t1, np.timedelta64(int(round(step_s * 1e6)), "us"))
        jd, fr = jd_from_datetime64(times)
        e, r, v = target.sgp4(jd, fr, backend=backend, to_host=True)
        if np.any(e[0] != 0):
            bad = int(np.sum(e[0] != 0))
            raise ValueError(f"target {int(target.satnum[0])}: SGP4 error codes at {bad} of {len(times)} times; "
                             "choose a window where its element set propagates")
        r, v = np.asarray(r[0]), np.asarray(v[0])
    else:
        times, r, v = target
        times = to_datetime64(times)
        r, v = np.asarray(r, dtype=np.float64), np.asarray(v, dtype=np.float64)
        step_s = float((times[1] - times[0]) / np.timedelta64(1, "s")) if len(times) > 1 else float(step_s)
    alt_edges = _check_edges("alt_edges_km", np.arange(100.0, 2001.0, 10.0) if alt_edges_km is None else alt_edges_km,
                             -RE_KM, 1e6, "km")
    lat_deg = _check_edges("lat_edges_deg", np.arange(-90.0, 90.1, 5.0) if lat_edges_deg is None else lat_edges_deg,
                           -90.0, 90.0, "deg")
    a, e_, inc = aei_of(objects)
    ok = np.isfinite(a) & (e_ < 1.0)
    a, e_, inc = a[ok], e_[ok], inc[ok]
    r_edges = RE_KM + alt_edges
    lat_edges = np.radians(lat_deg)
    # the cell of the target at each time
    rn = np.linalg.norm(r, axis=1)
    ia = np.searchsorted(alt_edges, rn - RE_KM, side="right") - 1
    il = np.searchsorted(lat_edges, np.arcsin(r[:, 2] / rn), side="right") - 1
    inside = (ia >= 0) & (ia < alt_edges.size - 1) & (il >= 0) & (il < lat_edges.size - 1)
    ia, il = np.clip(ia, 0, alt_edges.size - 2), np.clip(il, 0, lat_edges.size - 2)
    r1, r2 = r_edges[ia][:, None], r_edges[ia + 1][:, None]
    p1, p2 = lat_edges[il][:, None], lat_edges[il + 1][:, None]
    vol = cell_volumes(alt_edges, lat_deg)[ia, il][:, None]
    f = np.zeros(len(times))
    for s in range(0, a.size, _CHUNK):
        sl = slice(s, s + _CHUNK)
        # each object's own density in the target's cell, times its mean relative speed there
        n_i = (time_fraction_radius(r1, r2, a[None, sl], e_[None, sl])
               * time_fraction_latitude(p1, p2, inc[None, sl]) / vol)
        vrel = mean_relative_speed(r, v, a[sl], e_[sl], inc[sl])
        f += np.where(inside[:, None] & (n_i > 0), n_i * np.nan_to_num(vrel), 0.0).sum(axis=1)
        if progress is not None:
            progress(min(s + _CHUNK, a.size), a.size)
    duration = step_s * len(times)
    mean_f = float(f.mean()) if len(f) else 0.0
    lam = float(np.sum(f) * step_s * area_m2 * 1e-6)
    return FluxResult(times=times, flux_per_km2_s=f, flux_per_m2_s=mean_f * 1e-6,
                      flux_per_m2_yr=mean_f * 1e-6 * _SECONDS_PER_YEAR, area_m2=float(area_m2),
                      duration_s=duration, expected_impacts=lam, probability=-math.expm1(-lam))
