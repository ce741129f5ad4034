"""Every code table, flag table and exception of the engine, in one module.

This is the lowest layer of the package: it imports nothing from engine, so every
module (io, the capabilities, the CLI) can import from it without a cycle.

Per-element error codes (OK ... MAX_STEPS, ERROR_CODES, :func:`message`): one table for
every backend.

The numbers are part of the public contract. Codes 1-6 mean exactly what they mean
in python-sgp4 (Vallado's SGP4): for codes 1-5 the position and velocity are set to
NaN, for code 6 (decayed) the computed values are kept. Codes from 10 up are
debris-engine's own. kernels/common.cuh carries the same table for the CUDA kernels;
tests/test_errors.py checks that the two agree.

The other tables each have their own enum, with names that cannot be confused with the
per-element codes: :class:`DecayStatus` (engine.longterm), :class:`FitStatus` (engine.fit),
:class:`OrbitStatus` (engine._orbits' "in orbit" reasons) and :class:`PcFlag` (engine.pc's
bit field, mirrored by kernels/pc.cuh). Each member has a ``.message``. The modules that
used to define these tables keep their old names (longterm.REENTERED, fit.FIT_OK,
pc.FLAG_SLOW, pc.FLAGS, _orbits.SUBORBITAL, ...) as aliases of the members' values.

Exceptions: every exception the engine raises on purpose is defined here and exported
from engine (module-level ``__all__`` lists them).
"""

from __future__ import annotations

import enum
from typing import Iterable

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
    REENTERED: ("DE_ERR_REENTERED", "object re-entered (altitude below reentry_km) before this time; r, v are NaN"),
    STEP_UNDERFLOW: ("DE_ERR_STEP_UNDERFLOW",
                     "adaptive step size fell below hmin before this time; r, v are NaN"),
    MAX_STEPS: ("DE_ERR_MAX_STEPS", "max_steps integration steps were used before this time; r, v are NaN"),
}

#: codes whose position and velocity are NaN
NAN_CODES = frozenset({MEAN_ECC, MEAN_MOTION, PERT_ECC, SEMI_LATUS, SUBORBITAL, REENTERED, STEP_UNDERFLOW,
                       MAX_STEPS})


def message(code: int) -> str:
    """Human-readable text of a per-element error code.

    Parameters
    ----------
    code : int
        A code of :data:`ERROR_CODES`.

    Returns
    -------
    str
        Its message.

    Raises
    ------
    KeyError
        For a code that is not in the table.
    """
    return ERROR_CODES[int(code)][1]


# ---------------------------------------------------------------------------------------
# The other code tables. Each is an enum whose members are ints (IntEnum / IntFlag), so
# they compare, hash and index like the plain ints they replace. The modules that used
# to own a table bind their old names to int(member), not to the member: NumPy 2 treats
# an int subclass as a 64-bit array, not as a weak Python scalar, so a member in
# `uint8_array | member` would widen the result to int64 (or refuse an in-place |=).


class _Coded(enum.IntEnum):
    """An IntEnum whose members carry a message (from the table :data:`_TABLES` names)."""

    @property
    def message(self) -> str:
        """Human-readable text of the code."""
        return _TABLES[type(self)][self]


class DecayStatus(_Coded):
    """Per-object status of engine.longterm.decay (DecayResult.status, uint8).

    Attributes
    ----------
    IN_ORBIT : int
        0: in orbit at stop.
    REENTERED : int
        1: re-entered (mean perigee height fell to reentry_km).
    BELOW_AT_EPOCH : int
        2: mean perigee already at or below reentry_km at its epoch; re-entry = epoch.
    NOT_ORBITING : int
        3: not propagated, the state is not a bound orbit (e >= 1 or a <= Earth radius).
    NEGATIVE_BSTAR : int
        4: not propagated, B* is negative, so no physical A/M follows from it.
    AFTER_STOP : int
        5: not propagated, the epoch is after stop.
    STEP_LIMIT : int
        6: stopped early after more than max_steps steps.
    STEP_FAILED : int
        7: stopped early, no step gave a bound orbit.

    The full messages are :data:`DECAY_STATUS_MESSAGES` (``member.message``).
    """

    IN_ORBIT = 0
    REENTERED = 1
    BELOW_AT_EPOCH = 2
    NOT_ORBITING = 3
    NEGATIVE_BSTAR = 4
    AFTER_STOP = 5
    STEP_LIMIT = 6
    STEP_FAILED = 7


#: DecayStatus -> message (engine.longterm.STATUS_MESSAGES is this dict)
DECAY_STATUS_MESSAGES: dict[int, str] = {
    DecayStatus.IN_ORBIT: "in orbit at stop",
    DecayStatus.REENTERED: "re-entered (mean perigee height fell to reentry_km)",
    DecayStatus.BELOW_AT_EPOCH: "mean perigee already at or below reentry_km at its epoch: re-entry = epoch",
    DecayStatus.NOT_ORBITING: "not propagated: state is not a bound orbit (e >= 1 or a <= Earth radius)",
    DecayStatus.NEGATIVE_BSTAR: "not propagated: B* is negative, so no physical A/M follows from it",
    DecayStatus.AFTER_STOP: "not propagated: epoch is after stop",
    DecayStatus.STEP_LIMIT: "stopped early: more than max_steps steps (elements and final_time where it stopped)",
    DecayStatus.STEP_FAILED: ("stopped early: no step gave a bound orbit (e -> 1 under extreme drag, or the "
                              "averaged model outside its range); elements and final_time where it stopped"),
}


class FitStatus(_Coded):
    """Per-object status of engine.fit.fit_sgp4 (FitResult.status, uint8).

    Attributes
    ----------
    OK : int
        0: fitted.
    HYPERBOLIC : int
        1: the state is not on a bound orbit (osculating e >= 1); SGP4 cannot represent it.
    SUBORBITAL : int
        2: the osculating perigee is below the Earth's surface.
    NOT_CONVERGED : int
        3: the fit did not converge to tol_km within max_iter iterations.
    SGP4_ERROR : int
        4: SGP4 returned an error at the epoch for the elements tried.

    The full messages are :data:`FIT_STATUS_MESSAGES` (``member.message``).
    """

    OK = 0
    HYPERBOLIC = 1
    SUBORBITAL = 2
    NOT_CONVERGED = 3
    SGP4_ERROR = 4


#: FitStatus -> message (engine.fit.FIT_STATUS is this dict)
FIT_STATUS_MESSAGES: dict[int, str] = {
    FitStatus.OK: "fitted",
    FitStatus.HYPERBOLIC: "state is not on a bound orbit (osculating eccentricity >= 1): SGP4 cannot represent it",
    FitStatus.SUBORBITAL: "osculating perigee is below the earth's surface (suborbital state)",
    FitStatus.NOT_CONVERGED: "fit did not converge to tol_km within max_iter iterations",
    FitStatus.SGP4_ERROR: "SGP4 returned an error at the epoch for the elements tried",
}


class OrbitStatus(_Coded):
    """Why an object is or is not in orbit (engine._orbits.orbit_status, NotInOrbit.reason; uint8).

    Attributes
    ----------
    IN_ORBIT : int
        0: in orbit.
    ESCAPING : int
        1: not a bound orbit (e >= 1).
    SUBORBITAL : int
        2: the osculating perigee is below the Earth's surface.
    REENTERS : int
        3: the mean perigee is at or below engine._orbits.REENTRY_KM (120 km).

    The full messages are :data:`ORBIT_STATUS_MESSAGES` (``member.message``).
    """

    IN_ORBIT = 0
    ESCAPING = 1
    SUBORBITAL = 2
    REENTERS = 3


#: OrbitStatus -> message (engine._orbits.REASONS is this dict). 120 km is
#: engine._orbits.REENTRY_KM (tests/test_errors.py checks that the text says it).
ORBIT_STATUS_MESSAGES: dict[int, str] = {
    OrbitStatus.IN_ORBIT: "in orbit",
    OrbitStatus.ESCAPING: "escaping: not a bound orbit (e >= 1)",
    OrbitStatus.SUBORBITAL: "sub-orbital: the osculating perigee is below the Earth's surface",
    OrbitStatus.REENTERS: "re-entering: mean perigee at or below 120 km",
}


class PcFlag(enum.IntFlag):
    """Bits of the uint8 flag field of engine.pc's results; kernels/pc.cuh's enum pc_flag
    carries the same numbers as PC_FLAG_<name> (tests/test_errors.py checks).

    Attributes
    ----------
    SLOW : int
        1: relative speed below SLOW_SPEED_KM_S (zero: Pc is NaN); the short-encounter
        model is doubtful.
    LONG : int
        2: CARA 'Extended' indicator > 2e-2, the encounter lasts too long for the 2D method.
    NPD : int
        4: covariance not positive definite (or below (1e-4*HBR)^2), eigenvalues clipped.
    ASSUMED_COVARIANCE : int
        8: a covariance is an assumed default, not an estimate.
    OFFSET : int
        16: CARA 'Offset' indicator > 1e-2, the encounter is offset from the given TCA.

    The full meanings are :data:`PC_FLAGS` (``member.message`` for a single bit).
    """

    SLOW = 1
    LONG = 2
    NPD = 4
    ASSUMED_COVARIANCE = 8
    OFFSET = 16

    @property
    def message(self) -> str:
        """Meaning of a single bit."""
        return PC_FLAGS[self][1]


#: bit -> (name, meaning) (engine.pc.FLAGS is this dict)
PC_FLAGS: dict[int, tuple[str, str]] = {
    PcFlag.SLOW: ("SLOW", "relative speed below SLOW_SPEED_KM_S (zero: Pc is NaN); short-encounter model doubtful"),
    PcFlag.LONG: ("LONG", "CARA 'Extended' indicator > 2e-2: the encounter lasts too long for the 2D method"),
    PcFlag.NPD: ("NPD", "covariance not positive definite (or below (1e-4*HBR)^2): eigenvalues clipped; "
                        "collapsed to a line or point in the encounter plane: exact limit, not clipped"),
    PcFlag.ASSUMED_COVARIANCE: ("ASSUMED_COVARIANCE", "a covariance is an assumed default, not an estimate"),
    PcFlag.OFFSET: ("OFFSET", "CARA 'Offset' indicator > 1e-2: the encounter is offset from the given TCA"),
}

#: enum -> its message table (what _Coded.message reads)
_TABLES = {DecayStatus: DECAY_STATUS_MESSAGES, FitStatus: FIT_STATUS_MESSAGES, OrbitStatus: ORBIT_STATUS_MESSAGES}


# ---------------------------------------------------------------------------------------
# Exceptions.


class BackendUnavailable(RuntimeError):
    """``backend="cuda"`` (or ``"host"``) was asked for explicitly but cannot run here: no
    CUDA device, or no C++ compiler for the host executor."""


class HostBuildError(RuntimeError):
    """The host build of a kernel shim failed (compiler missing or compile error)."""


class KernelArgumentError(TypeError):
    """A launch argument that the device would read wrongly (wrong C type or width, an
    array of the wrong dtype, memory the kernel cannot read) or a launch configuration
    outside CUDA's limits."""


class CatalogInputError(ValueError):
    """Bad catalogue input; .bad holds every BadRecord found (the message lists them all).

    Parameters
    ----------
    bad : iterable of engine.io.BadRecord
        Every problem found (record, line, satnum, field, problem, fix).
    source : str, optional
        Where the input came from (a path or a description), named in the message.
    """

    kind = "input"

    def __init__(self, bad: Iterable, source: str = ""):
        self.bad = tuple(bad)
        self.source = source
        n = len({b.record for b in self.bad})
        head = f"{n} bad {self.kind} record{'s' if n != 1 else ''}"
        if len(self.bad) != n:
            head += f" ({len(self.bad)} problems)"
        if self.bad and all(b.record == 0 for b in self.bad):
            head = f"bad {self.kind} input"  # the file as a whole (encoding, syntax, empty), no record yet
        if source:
            head += f" in {source}"
        super().__init__(head + ":\n" + "\n".join("  " + str(b) for b in self.bad))


class TLEError(CatalogInputError):
    """Bad TLE / 3LE input (a ValueError)."""

    kind = "TLE"


class OMMError(CatalogInputError):
    """Bad CCSDS OMM input (a ValueError)."""

    kind = "OMM"


class SatcatError(CatalogInputError):
    """Bad SATCAT input; .bad holds every BadRecord found."""

    kind = "SATCAT"


class FitError(CatalogInputError):
    """Objects whose states could not be fitted (a ValueError); .bad lists them as BadRecords."""

    kind = "state"


class BadRecordsWarning(UserWarning):
    """Issued once per load with errors="skip" when records were rejected."""


class UserError(Exception):
    """A mistake in the command line or its inputs: the CLI prints it without a traceback."""


class BackendUnavailableError(UserError):
    """The command line's --backend names a backend that cannot run on this machine: the
    CLI's form of :class:`BackendUnavailable`, whose message adds the option to use instead
    (exit code engine.cli.EXIT_BACKEND)."""


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


__all__ = [
    "OK", "MEAN_ECC", "MEAN_MOTION", "PERT_ECC", "SEMI_LATUS", "SUBORBITAL", "DECAYED", "REENTERED",
    "STEP_UNDERFLOW", "MAX_STEPS", "ERROR_CODES", "NAN_CODES", "message",
    "DecayStatus", "DECAY_STATUS_MESSAGES", "FitStatus", "FIT_STATUS_MESSAGES", "OrbitStatus",
    "ORBIT_STATUS_MESSAGES", "PcFlag", "PC_FLAGS",
    "BackendUnavailable", "HostBuildError", "KernelArgumentError", "CatalogInputError", "TLEError", "OMMError",
    "SatcatError", "FitError", "BadRecordsWarning", "InsufficientMemoryError", "UserError",
    "BackendUnavailableError",
]
