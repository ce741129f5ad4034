"""The Cowell force model's constants and parameters, shared by the NumPy driver
(engine/numerical/_numpy.py), the launcher of kernels/cowell.cu (engine/numerical/_cuda.py)
and engine.numerical's validation: status codes, Earth, Sun and Moon constants, the
integrators' kernel codes, :class:`Model` and what it derives from an atmosphere (bands,
density kinks), and the rotation of results out of the integration frame.
"""

from __future__ import annotations

import numpy as np

from .. import errors
from ..atmosphere import FLATTENING, R_EQ_KM
from ..constants import EGM2008_CBAR_N0, EGM2008_GM_KM3_S2, EGM2008_R_KM, WGS84_A_KM, WGS84_OMEGA_RAD_S

# ---------------------------------------------------------------------------------------
# Status codes (per object and output time). Codes from 10 up are debris-engine's own;
# the same numbers are engine/errors.py's and kernels/common.cuh's DE_ERR_* codes.
OK = errors.OK
REENTERED = errors.REENTERED            # 20: altitude fell below reentry_km before this time: r, v NaN
STEP_UNDERFLOW = errors.STEP_UNDERFLOW  # 21: the adaptive step fell below hmin (singular or stiff): NaN
MAX_STEPS = errors.MAX_STEPS            # 22: the object used max_steps steps before this time: NaN

#: the codes numerical propagation writes -> their message (engine.errors.ERROR_CODES)
STATUS_MESSAGES = {code: errors.message(code) for code in (OK, REENTERED, STEP_UNDERFLOW, MAX_STEPS)}

# ---------------------------------------------------------------------------------------
# Earth constants.
#: EGM2008 (Pavlis et al. 2012, J. Geophys. Res. 117, B04406; NGA EGM2008 coefficient file,
#: tide-free): GM (km^3/s^2) and reference radius (km) of the geopotential
GM = EGM2008_GM_KM3_S2
R_EARTH = EGM2008_R_KM
#: EGM2008 fully normalised zonal coefficients Cbar_n0, n = 2..12 (from the NGA file);
#: unnormalised J_n = -sqrt(2n + 1) Cbar_n0 (Kaula normalisation, m = 0)
CBAR_N0 = EGM2008_CBAR_N0
#: J_0..J_12 (J_0 = J_1 = 0), unnormalised
J = np.array([0.0, 0.0] + [-np.sqrt(2.0 * n + 1.0) * c for n, c in enumerate(CBAR_N0, start=2)])
MAX_ZONAL = len(J) - 1
#: WGS84 ellipsoid (NIMA TR8350.2): equatorial radius (km) and flattening, for altitudes
#: (engine.atmosphere's, whose altitude_km is the formula of :func:`altitude`)
WGS84_A = R_EQ_KM
WGS84_F = FLATTENING
#: Earth rotation rate (rad/s), WGS84 / IERS nominal, about the pole of the integration frame
OMEGA_EARTH = WGS84_OMEGA_RAD_S
#: Sun and Moon GM (km^3/s^2, JPL DE430, Folkner et al. 2014), astronomical unit (km, IAU 2012),
#: Earth radius of the lunar parallax (km), solar radiation pressure at 1 AU (N/m^2,
#: Vallado 4th ed. sec. 8.6.4)
GM_SUN = 1.32712440041939e11
GM_MOON = 4902.800066
AU = 149597870.7
R_MOON_UNIT = WGS84_A_KM
P_SRP = 4.56e-6

#: integer codes of the integrators in kernels/cowell.cuh
METHOD_CODES = {"dp87": 0, "dp54": 1, "rk4": 2}

# ---------------------------------------------------------------------------------------
# Force model.


class Model:
    """Force-model parameters in the units of the integrator.

    nzonal: highest zonal degree (0 or 1: point mass only). bdrag: (n,) 0.5 cd A/M in
    m^2/kg per object (0: no drag). atmosphere: object with density(h_km, jd) -> kg/m^3,
    or None. jd0: Julian date (days, UTC, one float) of the epoch, handed to the atmosphere.
    """

    def __init__(self, nzonal: int, bdrag, atmosphere, jd0: float, *, sun_moon: bool = False,
                 srp=None, t2000: float = 0.0):
        self.nzonal = int(nzonal)
        self.bdrag = bdrag
        self.atmosphere = atmosphere
        self.jd0 = float(jd0)
        self.bands = piecewise_bands(atmosphere)
        #: sorted altitudes (km) where the density's altitude derivative jumps, or None
        self.kinks = density_kinks(atmosphere)
        #: (K,) rho |jump of d ln(rho)/dh| at each kink, kg/m^3/km (see kink_strength)
        self.kink_strength = None if self.kinks is None else kink_strength(atmosphere, self.kinks,
                                                                            self.jd0)
        #: whole-km lookup table of kinks_below, or None (see kink_lookup)
        self.kink_lut = kink_lookup(self.kinks)
        self.sun_moon = bool(sun_moon)
        #: (n,) cr A/M (m^2/kg) per object, or None without solar radiation pressure
        self.srp = srp
        #: TT days since J2000.0 (JD 2451545.0 TT) at the epoch, for the ephemerides
        self.t2000 = float(t2000)


def piecewise_arrays(atmosphere):
    """(h0_km, rho0, scale_km) float64 arrays when the atmosphere is piecewise exponential
    (a bands() method, or h0_km / rho0 / scale_height_km attributes as
    engine.atmosphere.Exponential has); else None."""
    if atmosphere is None:
        return None
    if callable(getattr(atmosphere, "bands", None)):
        cols = atmosphere.bands()
    elif all(hasattr(atmosphere, k) for k in ("h0_km", "rho0", "scale_height_km")):
        cols = atmosphere.h0_km, atmosphere.rho0, atmosphere.scale_height_km
    else:
        return None
    return tuple(np.ascontiguousarray(a, dtype=np.float64) for a in cols)


def piecewise_bands(atmosphere):
    """(h0, a, inv_h) for a piecewise-exponential atmosphere, so that ln rho = a_i - h / H_i
    is evaluated inline with a_i = ln rho0_i + h0_i / H_i; else None (the atmosphere's own
    density() is called)."""
    cols = piecewise_arrays(atmosphere)
    if cols is None:
        return None
    h0, rho0, hs = cols
    return h0, np.log(rho0) + h0 / hs, 1.0 / hs


def density_kinks(atmosphere):
    """Altitudes (km, increasing) where the density of the atmosphere is not smooth: the
    inner band bases of a piecewise-exponential model (ln rho is continuous there but its
    slope 1/H jumps) and the inner altitude nodes of an engine.atmosphere.Table (its
    quadratic segments join with a jump in slope). None when there are none or the
    atmosphere is of another kind. The driver lands steps on these altitudes (see
    :func:`first_crossing`)."""
    cols = piecewise_arrays(atmosphere)
    if cols is not None:
        k = cols[0][1:]
    elif isinstance(getattr(atmosphere, "alt_km", None), np.ndarray) and hasattr(atmosphere, "log_rho"):
        k = np.asarray(atmosphere.alt_km, dtype=np.float64)[1:-1]
    else:
        return None
    return np.ascontiguousarray(k) if k.size else None


#: kink_lookup tables at most this many km long
KINK_LUT_KM = 100_000


def kink_lookup(kinks):
    """(L,) int64 table of the number of kinks at or below each whole km 0..L-1, when the
    kinks (K,) are whole, positive km below KINK_LUT_KM (Vallado's band bases are); else
    None. With no kink strictly inside [n, n + 1), the count at h is the table's entry at
    floor(h): one gather instead of a binary search (searchsorted took 10 % of the
    driver's time)."""
    if kinks is None or kinks[0] <= 0.0 or kinks[-1] >= KINK_LUT_KM or np.any(kinks != np.floor(kinks)):
        return None
    return np.searchsorted(kinks, np.arange(int(kinks[-1]) + 1, dtype=np.float64), side="right")


def kink_strength(atmosphere, kinks, jd):
    """rho(h) |d ln rho/dh (h+) - d ln rho/dh (h-)| at the altitudes kinks (K,) km, at
    Julian date jd, kg/m^3/km: the jump in the drag's altitude derivative per unit of
    0.5 cd A/M v^2. Exact for a piecewise-exponential atmosphere (kink k is band k + 1's
    base: rho0[k + 1] |1/H[k] - 1/H[k + 1]|, as kernels/cowell.cuh computes it); other
    atmospheres by one-sided differences over 1e-3 km."""
    cols = piecewise_arrays(atmosphere)
    if cols is not None:
        _, rho0, hs = cols
        return rho0[1:] * np.abs(1.0 / hs[:-1] - 1.0 / hs[1:])
    d = 1e-3
    lr = np.log(atmosphere.density(kinks[:, None] + np.array([-2 * d, -d, 0.0, d, 2 * d]), jd))
    below = (3 * lr[:, 2] - 4 * lr[:, 1] + lr[:, 0]) / (2 * d)
    above = (-3 * lr[:, 2] + 4 * lr[:, 3] - lr[:, 4]) / (2 * d)
    return np.exp(lr[:, 2]) * np.abs(above - below)


def from_integration_frame(y, rot):
    """(r, v): positions (..., 3) km and velocities (..., 3) km/s in the output frame (GCRF)
    of states y (..., 6) in the integration frame, r_out = rot @ r_int, with rot the (3, 3)
    matrix of engine.numerical (an array of y's array module: NumPy or cupy)."""
    return y[..., :3] @ rot.T, y[..., 3:] @ rot.T
