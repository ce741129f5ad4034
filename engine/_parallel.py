"""Thread pools for the NumPy block loops (one place for the policy).

Blocks of independent objects run on a pool of threads; NumPy releases the GIL inside
its loops, so work made of large array operations scales with cores, while work made of
many small calls does not (its Python part holds the GIL). Each caller says which it is
through `default`: "cores" (use every usable core) or "one" (threads only on request).
$DEBRIS_ENGINE_THREADS overrides both; a public ``threads=`` argument overrides all
(:func:`resolve_threads`). The blocks write disjoint slices of preallocated outputs and
are made from the input alone, never from the thread count, so results do not depend on
it, even where an object's rounding depends on the arrays it shares (the Cowell driver's
BLAS stage sums: engine.numerical._numpy.propagate).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask on Linux, else os.cpu_count()).

    Returns
    -------
    int
        At least 1.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def threads(default: str = "cores") -> int:
    """Worker threads: $DEBRIS_ENGINE_THREADS if set, else usable_cores() ("cores") or 1 ("one").

    Parameters
    ----------
    default : str
        "cores" or "one": the count without the environment variable.

    Returns
    -------
    int
        At least 1.

    Raises
    ------
    ValueError
        DEBRIS_ENGINE_THREADS is not a whole number.
    """
    env = os.environ.get("DEBRIS_ENGINE_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ValueError(f"DEBRIS_ENGINE_THREADS={env!r} is not a whole number of threads") from None
    return usable_cores() if default == "cores" else 1


def resolve_threads(value, default: str = "cores", name: str = "threads") -> int:
    """A public ``threads=`` argument as a count of worker threads.

    Parameters
    ----------
    value : int or None
        None gives :func:`threads` (``$DEBRIS_ENGINE_THREADS``, else ``default``); a whole
        number >= 1 is kept.
    default : {"cores", "one"}
        The function's own default when neither ``value`` nor the environment gives one.
    name : str
        The argument's name, for the error message.

    Returns
    -------
    int
        Threads to use, >= 1.

    Raises
    ------
    ValueError
        For anything else (0, -1, 2.5, "x", True), naming the argument, before any work.
    """
    if value is None:
        return threads(default)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}={value!r}: give a whole number of threads >= 1, or None "
                         "($DEBRIS_ENGINE_THREADS, else the function's default)")
    return int(value)


def run_blocks(items, work, nthreads: int) -> None:
    """work(item) for every item, on min(nthreads, len(items)) threads; exceptions propagate.

    Parameters
    ----------
    items : iterable
        The blocks of work (e.g. slices of objects).
    work : callable
        ``work(item)``; its return value is ignored (it writes its own outputs).
    nthreads : int
        Most threads to use; 1 or fewer runs the items in order on the calling thread.

    Returns
    -------
    None
    """
    items = list(items)
    nt = min(nthreads, len(items))
    if nt <= 1:
        for it in items:
            work(it)
        return
    with ThreadPoolExecutor(max_workers=nt) as pool:
        for f in [pool.submit(work, it) for it in items]:
            f.result()
