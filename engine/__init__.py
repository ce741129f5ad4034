"""debris-engine: create, propagate and screen orbital debris clouds.

    import engine
    cat = engine.load_tle("catalog.tle")     # or engine.load_omm(...), engine.Catalog.from_satrecs(...)
    e, r, v = cat.sgp4(jd, fr)               # e (N, M) uint8, r (N, M, 3) km, v (N, M, 3) km/s, TEME

Where things are:

* element sets: :class:`engine.Catalog` (engine.catalog), read by :func:`engine.load_tle`
  and :func:`engine.load_omm`; every file format, read and write, in engine.io (CDMs
  also as engine.cdm);
* the capabilities, each a backend-independent public module: engine.sgp4 (through
  Catalog.sgp4), engine.breakup (:class:`engine.Fragments`), engine.numerical (Cowell),
  engine.longterm (decay), engine.screening (:func:`engine.screen`) and engine.pc;
* the shared science modules: engine.frames (TEME, GCRF, ITRF and time scales),
  engine.timeconv, engine.atmosphere, engine.risk (spatial density and flux), engine.fit
  (SGP4 elements from states) and engine.events (the historical breakups);
* work larger than memory or one machine: engine.outofcore (chunk by chunk, Zarr) and
  engine.dask; the study of the Cosmos 1408 test: engine.scenario;
* engine.errors (every code table and exception) and engine.constants (the Earth and
  gravity models by name).

Nothing here prints, compiles or touches a GPU at import time: CuPy is imported and
kernels are compiled on first use.
"""

from . import atmosphere, breakup, cdm, errors, events, exposure, fit, frames, longterm, numerical, pc, risk, scenario
from .breakup import Fragments
from .catalog import Catalog, load_omm, load_tle
from .screening import Conjunctions, screen
from .errors import (BackendUnavailable, BadRecordsWarning, CatalogInputError, FitError, HostBuildError,
                     InsufficientMemoryError, KernelArgumentError, OMMError, SatcatError, TLEError, UserError,
                     BackendUnavailableError)
from .io import BadRecord
from .timeconv import datetime64_from_jd, jd_from_datetime64, to_datetime64

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "Fragments",
    "Conjunctions",
    "screen",
    "atmosphere",
    "breakup",
    "cdm",
    "pc",
    "events",
    "exposure",
    "fit",
    "frames",
    "longterm",
    "numerical",
    "risk",
    "scenario",
    "load_tle",
    "load_omm",
    "BadRecord",
    "BadRecordsWarning",
    "CatalogInputError",
    "TLEError",
    "OMMError",
    "SatcatError",
    "FitError",
    "BackendUnavailable",
    "HostBuildError",
    "KernelArgumentError",
    "InsufficientMemoryError",
    "UserError",
    "BackendUnavailableError",
    "errors",
    "jd_from_datetime64",
    "datetime64_from_jd",
    "to_datetime64",
]
