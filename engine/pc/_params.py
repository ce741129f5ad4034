"""Tolerances, quadrature parameters, flag bits and operator levels of engine.pc.

One private module that the public functions (engine/pc/__init__.py, which re-exports
every name) and the NumPy implementation (engine/pc/_numpy.py) both import, so that
neither imports the other. The method behind each value is in engine.pc's docstring.
"""

from __future__ import annotations

import math

from ..constants import WGS84_GM_KM3_S2
from ..errors import PC_FLAGS, PcFlag

#: Earth's gravitational parameter (EGM-96 / WGS-84), km^3/s^2: orbital periods for the
#: CARA duration indicators
GM_EARTH_KM3_S2 = WGS84_GM_KM3_S2
#: eigenvalue clipping factor: eigenvalues below (FCLIP * HBR)^2 are raised to it (CARA Fclip)
FCLIP = 1e-4
#: an encounter-plane eigenvalue with |l| <= COLLAPSE_RTOL * trace(C) is zero: forming C
#: (C1 + C2, rotations) and projecting it cost a few ulps of the trace each (~16 eps in all,
#: eps = 2.2e-16); 1e-13 leaves a margin of ~30 and is a sigma ratio of 3e-7 to the largest
COLLAPSE_RTOL = 1e-13
#: sqrt(2) * erfcinv(gamma) with gamma = 1e-16 (CARA ConjDurationGamma): half-width of the
#: conjunction duration in units of the rectilinear encounter time sigma (Coppola 2012, AAS 12-248)
SQRT2_ERFCINV_GAMMA = 8.304785425194114
#: CARA's recommended cut-offs (UsageViolationPc2D): Extended > 2e-2, Offset > 1e-2
EXTENDED_LIMIT = 2e-2
OFFSET_LIMIT = 1e-2
#: relative speed below which the straight-line, short-encounter model is not trusted (km/s).
#: Alfano's 2009 test cases, built to break the 2D method, run at 0.9 mm/s to 16 m/s; tools
#: that synthesise covariances commonly skip 2D Pc below 10 m/s.
SLOW_SPEED_KM_S = 0.01
#: quadrature parameters (see the module docstring)
QUAD_NODES = 16
QUAD_MAX_PANELS = 64
QUAD_WINDOW_K2 = 80.0
QUAD_PANEL_SIGMAS = 2.0
_GOLDEN_ITERS = 48
_BISECT_ITERS = 48

#: flag bits: engine.errors.PcFlag, whose values these names keep (plain ints, so that
#: `uint8 flags |= FLAG_x` stays uint8: see engine.errors on NumPy and int subclasses)
FLAG_SLOW = int(PcFlag.SLOW)
FLAG_LONG = int(PcFlag.LONG)
FLAG_NPD = int(PcFlag.NPD)
FLAG_ASSUMED_COVARIANCE = int(PcFlag.ASSUMED_COVARIANCE)
FLAG_OFFSET = int(PcFlag.OFFSET)
#: bit -> (name, meaning); kernels/pc.cuh carries the same numbers (tests/test_pc.py and
#: tests/test_errors.py check)
FLAGS: dict[int, tuple[str, str]] = PC_FLAGS

#: Pc levels operators act on, (level, who uses it and what for), largest first. Sources:
#: NASA ISS flight rules as NASA states them (ISS debris avoidance: a manoeuvre when Pc >
#: 1 in 10,000 unless it adds risk to the crew; when Pc > 1 in 100,000 if it does not
#: significantly affect the mission; NASA Orbital Debris Program Office, quoted by SpaceNews
#: 2014 and NASA's 'Space Debris and Human Spacecraft'); 1e-7: the lowest level at which
#: NASA CARA's Pc-method test set reports an event as consequential (its Cosmos 1408 DEB
#: rows, project reference conjunction.md section 3.6).
#: Entries: (level, short label, meaning).
PC_THRESHOLDS: tuple[tuple[float, str, str], ...] = (
    (1e-4, "ISS manoeuvre", "ISS manoeuvre threshold (NASA: manoeuvre unless it adds risk to the crew)"),
    (1e-5, "ISS manoeuvre if no mission impact", "ISS manoeuvre if it does not affect the mission (NASA)"),
    (1e-7, "reporting", "lowest level NASA CARA's Pc test set reports as consequential"),
)

#: default combined hard-body radius of the command line's screen (km): 20 m, the radius
#: NASA CARA's Pc test conjunctions use for large payloads (the Omitron case and the
#: WORLDVIEW 1 / GEOEYE 1 vs COSMOS 1408 DEB rows; project reference conjunction.md 3.6, 3.9).
#: The ISS's is 66.1 m (CARA HBR table, reference 3.7); a fragment adds ~0.1 m.
DEFAULT_HBR_KM = 0.02

_SQRT2 = math.sqrt(2.0)
_SQRT_PI = math.sqrt(math.pi)
_TWO_SQRT_2PI = 2.0 * math.sqrt(2.0 * math.pi)
