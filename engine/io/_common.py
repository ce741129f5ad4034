"""What every catalogue reader shares: bad-record reports, error modes, reading the source.

A reader never raises mid-file and never drops a record silently: it collects one
BadRecord per problem found, then either raises one error that lists them all
(errors="raise") or loads the good records, keeps the list on Catalog.rejected and
issues one BadRecordsWarning (errors="skip").
"""

from __future__ import annotations

import io
import os
import warnings
from typing import Iterable, NamedTuple

__all__ = [
    "BadRecord",
    "BadRecordsWarning",
    "CatalogInputError",
    "TLEError",
    "OMMError",
]

ERROR_MODES = ("raise", "skip")


class BadRecord(NamedTuple):
    """One problem in one input record.

    record: 1-based index of the record in the source (every record counts, good or bad)
    line: 1-based source line where the problem is (0 when the format has no lines)
    satnum: catalogue number when it could be read, else None
    field: the field at fault, e.g. "line 2 checksum" or "ECCENTRICITY"
    problem: what is wrong
    fix: how to fix it
    """

    record: int
    line: int
    satnum: int | None
    field: str
    problem: str
    fix: str

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line else []
        if self.satnum is not None:
            where.append(f"satnum {self.satnum}")
        loc = f" ({', '.join(where)})" if where else ""
        return f"record {self.record}{loc}: {self.field}: {self.problem}; fix: {self.fix}"


class CatalogInputError(ValueError):
    """Bad catalogue input; .bad holds every BadRecord found (the message lists them all)."""

    kind = "input"

    def __init__(self, bad: Iterable[BadRecord], source: str = ""):
        self.bad = tuple(bad)
        self.source = source
        n = len(self.bad)
        head = f"{n} bad {self.kind} record{'s' if n != 1 else ''}"
        if source:
            head += f" in {source}"
        super().__init__(head + ":\n" + "\n".join("  " + str(b) for b in self.bad))


class TLEError(CatalogInputError):
    """Bad TLE / 3LE input (a ValueError)."""

    kind = "TLE"


class OMMError(CatalogInputError):
    """Bad CCSDS OMM input (a ValueError)."""

    kind = "OMM"


class BadRecordsWarning(UserWarning):
    """Issued once per load with errors="skip" when records were rejected."""


def check_errors_option(errors: str) -> None:
    if errors not in ERROR_MODES:
        raise ValueError(f"errors must be 'raise' or 'skip', got errors={errors!r}")


def report(bad: list[BadRecord], errors: str, error_cls: type, source: str,
           n_loaded: int, stacklevel: int = 3) -> tuple[BadRecord, ...]:
    """Raise (errors="raise") or warn once (errors="skip"); return the rejected tuple."""
    if not bad:
        return ()
    if errors == "raise":
        raise error_cls(bad, source)
    n_rec = len({b.record for b in bad})
    first = "\n".join("  " + str(b) for b in bad[:3])
    more = f"\n  ... and {len(bad) - 3} more (see Catalog.rejected)" if len(bad) > 3 else ""
    warnings.warn(
        f"skipped {n_rec} bad {error_cls.kind} record{'s' if n_rec != 1 else ''} "
        f"({len(bad)} problem{'s' if len(bad) != 1 else ''}) in {source or 'input'}; "
        f"loaded {n_loaded}:\n{first}{more}",
        BadRecordsWarning,
        stacklevel=stacklevel,
    )
    return tuple(bad)


def read_source(source, extensions: tuple[str, ...]) -> tuple[str | list[str], str]:
    """Return (text or list of lines, description) for a path, text, file object or lines.

    A str is a path when it names an existing file, or when it holds no newline and
    ends in one of `extensions` (then a missing file raises FileNotFoundError).
    """
    if isinstance(source, os.PathLike):
        path = os.fspath(source)
        return _read_path(path), repr(path)
    if isinstance(source, bytes):
        return source.decode("utf-8-sig"), "input text"
    if isinstance(source, str):
        looks_like_path = "\n" not in source and "\r" not in source and (
            source.lower().endswith(extensions) or os.path.isfile(source)
        )
        if looks_like_path:
            return _read_path(source), repr(source)
        return source, "input text"
    if hasattr(source, "read"):
        data = source.read()
        if isinstance(data, bytes):
            data = data.decode("utf-8-sig")
        return data, getattr(source, "name", "file object")
    try:
        lines = list(source)
    except TypeError:
        raise TypeError(
            "source must be a path, a string of text, a file object or an iterable of lines, "
            f"got {type(source).__name__}"
        ) from None
    out = []
    for ln in lines:
        if isinstance(ln, bytes):
            ln = ln.decode("utf-8")
        if not isinstance(ln, str):
            raise TypeError(f"lines must be str, got {type(ln).__name__}")
        out.append(ln)
    return out, "input lines"


def _read_path(path: str) -> str:
    with io.open(path, "r", encoding="utf-8-sig", newline=None) as f:
        return f.read()
