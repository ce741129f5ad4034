"""The input switch of engine.longterm.decay: objects (Fragments, Catalog or a state tuple)
to mean elements, A/M, epochs and status; the atmosphere argument to a density table; the
arguments' checks.
"""

from __future__ import annotations

import numpy as np

from .. import _backend, _parallel
from .. import atmosphere as _atm
from ..breakup import Fragments
from ..catalog import Catalog
from .._orbits import mean_a_period
from ..timeconv import datetime64_from_jd, to_datetime64
from ._mean import mean_elements_from_states
from ._params import BIN_DAYS, IN_ORBIT, NEGATIVE_BSTAR, NOT_ORBITING, RHO0_SGP4


def _bad(arg: str, problem: str, fix: str) -> ValueError:
    return ValueError(f"{arg}: {problem}; {fix}")



def check_threads(threads) -> int:
    """Worker threads of the NumPy implementation from decay's `threads` argument.

    Parameters
    ----------
    threads : None or int
        None: $DEBRIS_ENGINE_THREADS if set, else every usable core (engine._parallel.threads);
        or a whole number >= 1.

    Returns
    -------
    int
        The thread count, >= 1.

    Raises
    ------
    ValueError
        For anything else (0, negative, fractional, bool, text), naming the argument.
    """
    return _parallel.resolve_threads(threads, "cores")


def _catalog_elements(cat, cd):
    """(el (N, 5), am (N,), epoch datetime64 (N,), status (N,)) of a Catalog's SGP4 mean
    elements: Brouwer mean motion recovered from the Kozai one as sgp4init does
    (Hoots and Roehrich, Spacetrack Report No. 3, 1980; engine._orbits.mean_a_period)."""
    d = cat.elements()
    no, e, inc = (np.asarray(d[k], dtype=np.float64) for k in ("no_kozai", "ecco", "inclo"))
    a, _ = mean_a_period(no, e, inc, cat.whichconst)
    el = np.stack([a, e, inc, np.asarray(d["nodeo"], float), np.asarray(d["argpo"], float)], axis=-1)
    bstar = np.asarray(d["bstar"], dtype=np.float64)
    am = 2.0 * bstar / (cd * RHO0_SGP4)
    status = np.where(bstar < 0, NEGATIVE_BSTAR, IN_ORBIT).astype(np.uint8)
    jd = np.asarray(d["jdsatepoch"], float)
    fr = np.asarray(d["jdsatepochF"], float)
    return el, np.where(bstar < 0, 0.0, am), datetime64_from_jd(jd, fr), status


def _inputs(objects, cd):
    """Normalise the objects argument to (el (N, 5), am (N,), epoch (N,) datetime64[us],
    status (N,) uint8)."""
    if isinstance(objects, Catalog):
        return _catalog_elements(objects, cd)
    if isinstance(objects, Fragments):
        h = objects.to_host()
        if h.epoch is None:
            raise _bad("objects", "these Fragments have no epoch", "give the parent Body an epoch")
        r, v, am, epoch = h.r, h.v, h.am, h.epoch
    elif isinstance(objects, (tuple, list)) and len(objects) == 4:
        r, v, am, epoch = objects
    else:
        raise _bad("objects", f"got {type(objects).__name__}",
                   "give engine.Fragments, engine.Catalog or a tuple (r (N, 3) km, v (N, 3) km/s, "
                   "am (N,) m^2/kg, epoch scalar or (N,) datetime64/ISO string), TEME")
    r = np.asarray(_backend.to_host(r), dtype=np.float64)
    v = np.asarray(_backend.to_host(v), dtype=np.float64)
    if r.ndim != 2 or r.shape[1] != 3 or v.shape != r.shape:
        raise _bad("r, v", f"shapes {r.shape} and {v.shape}", "give two (N, 3) arrays, km and km/s")
    n = r.shape[0]
    am = np.broadcast_to(np.asarray(_backend.to_host(am), dtype=np.float64), (n,)).copy()
    bad = ~np.isfinite(am) | (am < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise _bad("am", f"record {i} has A/M {am[i]!r}", "give finite non-negative A/M in m^2/kg")
    fin = np.isfinite(r).all(axis=1) & np.isfinite(v).all(axis=1)
    if not fin.all():
        i = int(np.argmin(fin))
        raise _bad("r, v", f"record {i} is not finite", "give finite positions (km) and velocities (km/s)")
    ep = np.broadcast_to(to_datetime64(epoch), (n,)).copy()
    if np.isnat(ep).any():
        raise _bad("epoch", f"record {int(np.argmax(np.isnat(ep)))} is NaT", "give a time for every object")
    el = mean_elements_from_states(r, v)
    status = np.where(np.isnan(el[:, 0]), NOT_ORBITING, IN_ORBIT).astype(np.uint8)
    return el, am, ep, status


#: atmosphere names decay takes: NRLMSIS 2.1 from the space-weather file (past its end
#: only with a stated assumption), or Vallado's static model
NRLMSIS_NAMES = {"nrlmsis": None, "nrlmsis-repeat-cycle": "repeat-cycle"}


def _table(atmosphere, start, stop, epochs, progress=None):
    if isinstance(atmosphere, str) and atmosphere == "exponential":
        return _atm.Exponential().table()
    if atmosphere is None or (isinstance(atmosphere, str) and atmosphere in NRLMSIS_NAMES):
        beyond = NRLMSIS_NAMES[atmosphere or "nrlmsis"]
        first = min(to_datetime64(start), epochs.min()) if epochs.size else to_datetime64(start)
        d0 = first.astype("datetime64[D]")
        try:
            # the bins run from d0 through the one holding stop (no row past stop's day)
            return _atm.nrlmsis_table(d0, to_datetime64(stop), bin_days=BIN_DAYS, beyond=beyond,
                                      progress=progress)
        except ImportError as e:
            raise ImportError(f"{e}; or pass atmosphere='exponential' (Vallado's static model)") from None
    if isinstance(atmosphere, _atm.Table):
        return atmosphere
    if isinstance(atmosphere, _atm.Exponential):
        return atmosphere.table()
    raise _bad("atmosphere", f"got {atmosphere!r}",
               "give None or 'nrlmsis' (NRLMSIS 2.1 from the space-weather file, the default), "
               "'nrlmsis-repeat-cycle' (the same, repeating the last solar cycle past the file's end), "
               "'exponential' (Vallado), an engine.atmosphere.Table or Exponential()")
