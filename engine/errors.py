"""Per-element error codes: one table for every backend.

The numbers are part of the public contract. Codes 1-6 mean exactly what they mean
in python-sgp4 (Vallado's SGP4): for codes 1-5 the position and velocity are set to
NaN, for code 6 (decayed) the computed values are kept. Codes from 10 up are
debris-engine's own. kernels/common.cuh carries the same table for the CUDA kernels;
tests/test_errors.py checks that the two agree.

InsufficientMemoryError is the one exception for a request refused up front because
its arrays cannot fit in host or device memory.
"""

from __future__ import annotations

OK = 0
MEAN_ECC = 1
MEAN_MOTION = 2
PERT_ECC = 3
SEMI_LATUS = 4
SUBORBITAL = 5
DECAYED = 6
# numerical propagation (engine.numerical), per object and output time
REENTERED = 20
STEP_UNDERFLOW = 21
MAX_STEPS = 22

#: code -> (C name in kernels/common.cuh, message)
ERROR_CODES: dict[int, tuple[str, str]] = {
    OK: ("DE_OK", "success"),
    MEAN_ECC: (
        "DE_ERR_MEAN_ECC",
        "mean eccentricity is outside 0 <= e < 1, or mean semi-major axis is below 0.95 Earth radii",
    ),
    MEAN_MOTION: ("DE_ERR_MEAN_MOTION", "mean motion is zero or negative"),
    PERT_ECC: ("DE_ERR_PERT_ECC", "perturbed eccentricity is outside 0 <= e <= 1"),
    SEMI_LATUS: ("DE_ERR_SEMI_LATUS", "semi-latus rectum is negative"),
    SUBORBITAL: ("DE_ERR_SUBORBITAL", "epoch elements are sub-orbital"),
    DECAYED: ("DE_ERR_DECAYED", "satellite has decayed (radius below one Earth radius); values kept"),
    REENTERED: ("DE_ERR_REENTERED", "object re-entered (altitude below reentry_km) before this time"),
    STEP_UNDERFLOW: ("DE_ERR_STEP_UNDERFLOW", "adaptive step fell below its minimum (hmin) before this time"),
    MAX_STEPS: ("DE_ERR_MAX_STEPS", "the step limit (max_steps) was reached before this time"),
}

#: codes whose position and velocity are NaN
NAN_CODES = frozenset({MEAN_ECC, MEAN_MOTION, PERT_ECC, SEMI_LATUS, SUBORBITAL, REENTERED, STEP_UNDERFLOW,
                       MAX_STEPS})


def message(code: int) -> str:
    """Human-readable text of an error code; raises KeyError for an unknown code."""
    return ERROR_CODES[int(code)][1]


class InsufficientMemoryError(MemoryError):
    """A request refused before any work starts because its arrays cannot fit in memory.

    need_bytes: bytes the request would allocate; available_bytes: bytes available
    (host: MemAvailable; device: free device memory); where: "host" or "device".
    A MemoryError, so code that catches NumPy's own MemoryError keeps working; the
    message gives the size, the memory available and the ways out.
    """

    def __init__(self, message: str, *, need_bytes: int, available_bytes: int, where: str):
        super().__init__(message)
        self.need_bytes = int(need_bytes)
        self.available_bytes = int(available_bytes)
        self.where = where
