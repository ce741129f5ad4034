"""Catalogue input and output: TLE / 3LE and CCSDS OMM (JSON, XML, CSV, KVN).

    load_tle(source, *, errors="raise", whichconst="wgs72", opsmode="i") -> Catalog
    load_omm(source, *, format=None, errors="raise", whichconst="wgs72", opsmode="i") -> Catalog

Bad input: one TLEError / OMMError (both CatalogInputError, a ValueError) listing every
problem as a BadRecord (record, line, satnum, field, problem, fix), or with
errors="skip" the good records load, Catalog.rejected lists the bad ones and one
BadRecordsWarning says so. A source that is not text, is empty or holds no element set
raises in either mode.
"""

from ._common import BadRecord, BadRecordsWarning, CatalogInputError, OMMError, TLEError
from .alpha5 import from_alpha5, to_alpha5
from .omm import load_omm
from .tle import load_tle

__all__ = [
    "load_tle",
    "load_omm",
    "BadRecord",
    "BadRecordsWarning",
    "CatalogInputError",
    "TLEError",
    "OMMError",
    "to_alpha5",
    "from_alpha5",
]
