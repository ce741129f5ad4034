"""Host memory: how much a new allocation can get, and the one refusal of a request that
cannot fit (engine.errors.InsufficientMemoryError), checked before any work starts.

A foundation module: the SGP4 capability, the host executor (engine/_hostexec.py), the
out-of-core and screening paths, decay's records and the CLI all ask it, so it sits below
them all and imports nothing of the package but engine.errors.
"""

from __future__ import annotations

import os

from .errors import InsufficientMemoryError

__all__ = ["check_memory", "memory_available"]

_MEMINFO = "/proc/meminfo"
#: requests below this are not checked: any machine that imports NumPy has that much
_CHECK_FLOOR_BYTES = 1 << 20


def memory_available() -> int | None:
    """Bytes of host memory a new allocation can get without swapping.

    Linux: MemAvailable of /proc/meminfo (kernel >= 3.14: free memory plus the page
    cache and slabs it can reclaim, the kernel's own estimate). Elsewhere:
    os.sysconf free pages x page size (free memory only, an underestimate).
    The one place that answers this; tests monkeypatch ``engine._memory.memory_available``
    (every user calls it through this module, so the patch reaches them all).

    Returns
    -------
    int or None
        Bytes available, or None when the platform says nothing.
    """
    try:
        with open(_MEMINFO, "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024  # the value is in kB (KiB)
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:,.1f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:,.1f} MiB"


def check_memory(n: int, m: int, bytes_per_pair: int, *, what: str, where: str = "host",
                 available: int | None = None, extra_bytes: int = 0, ways_out: str | None = None) -> None:
    """Refuse, before any allocation, a request of n objects x m times that cannot fit.

    Parameters
    ----------
    n, m : int
        Objects and times of the request.
    bytes_per_pair : int
        Bytes allocated per (object, time).
    what : str
        The operation, named first in the message (e.g. ``"Catalog.sgp4"``).
    where : {"host", "device"}
        The memory asked for: "host" reads :func:`memory_available`; "device" needs
        ``available`` (the free device bytes).
    available : int, optional
        Bytes available; default: :func:`memory_available` for "host".
    extra_bytes : int
        Bytes needed besides the (object, time) pairs (scratch).
    ways_out : str, optional
        The remedies to name, when not the default (fewer times or objects per call,
        out= buffers, numpy.memmap out of core).

    Returns
    -------
    None
        When the request fits, is below 1 MiB, or the memory is unknown.

    Raises
    ------
    engine.errors.InsufficientMemoryError
        With the size, the memory available and the ways out.
    ValueError
        For ``where="device"`` without ``available``.
    """
    need = int(n) * int(m) * int(bytes_per_pair) + int(extra_bytes)
    if need < _CHECK_FLOOR_BYTES:
        return
    if available is None:
        if where != "host":
            raise ValueError("check_memory: give available= for device memory")
        available = memory_available()
    if available is None or need <= available:
        return
    if ways_out is None:
        per_call = max(1, int(available // max(1, int(n) * int(bytes_per_pair))))
        ways_out = (f"fewer times per call (at most ~{per_call:,} times for all {int(n):,} objects: loop over "
                    "slices of jd, fr), or fewer objects per call (catalog[i:j]); pass out=(e, r, v) buffers "
                    "allocated once and reused, or numpy.memmap arrays on disk for out-of-core propagation; "
                    "or a coarser time grid")
    raise InsufficientMemoryError(
        f"{what}: {int(n):,} objects x {int(m):,} times need {_gib(need)} of {where} memory "
        f"({bytes_per_pair} bytes per object and time) but {_gib(available)} is available. Ways out: "
        f"{ways_out}",
        need_bytes=need, available_bytes=available, where=where,
    )
