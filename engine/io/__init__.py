"""Every file format, read and written: TLE / 3LE, CCSDS OMM, OEM and CDM, SATCAT, Alpha-5, Zarr.

    fields, rejected = engine.io.tle.read(source)    # (N,) arrays in Satrec units, BadRecords
    fields, rejected = engine.io.omm.read(source)    # JSON, XML, CSV or KVN
    lines = engine.io.tle.to_lines(fields)           # and back to TLE text
    msg = engine.io.cdm.read(path)                   # CCSDS 508.0 conjunction data message

The readers hand plain arrays, dicts and records up; engine.load_tle / engine.load_omm
(engine.catalog) build a Catalog from them. This package imports nothing from engine
except engine.errors, engine.constants and engine.timeconv, so that any capability can
use it and it uses none.

Bad input: one TLEError / OMMError (both CatalogInputError, a ValueError) listing every
problem as a BadRecord (record, line, satnum, field, problem, fix), or with
errors="skip" the good records are returned, the bad ones listed and one
BadRecordsWarning says so. A source that is not text, is empty or holds no element set
raises in either mode.
"""

from ._common import BadRecord, BadRecordsWarning, CatalogInputError, OMMError, TLEError
from .alpha5 import from_alpha5, to_alpha5

__all__ = [
    "BadRecord",
    "BadRecordsWarning",
    "CatalogInputError",
    "TLEError",
    "OMMError",
    "to_alpha5",
    "from_alpha5",
]
