"""What every catalogue reader shares: bad-record reports, error modes, reading the source.

A reader never raises mid-file and never drops a record silently: it collects one
BadRecord per problem found, then either raises one error that lists them all
(errors="raise") or loads the good records, keeps the list on Catalog.rejected and
issues one BadRecordsWarning (errors="skip").
"""

from __future__ import annotations

import os
import warnings
from typing import NamedTuple

# defined in engine.errors; engine.io._common.<name> keeps working
from ..errors import BadRecordsWarning, CatalogInputError, OMMError, TLEError

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


def read_source(source, extensions: tuple[str, ...],
                error_cls: type = CatalogInputError) -> tuple[str | list[str], str]:
    """Return (text or list of lines, description) for a path, text, file object or lines.

    A str is a path when it names an existing file, or when it holds no newline and
    ends in one of `extensions` (then a missing file raises FileNotFoundError).
    Bytes that are not UTF-8 text (a binary, compressed or UTF-16 file) and input that is
    empty or holds only blanks raise one `error_cls` naming the source, where the problem
    is and the fix, before any parsing starts.
    """
    data, desc = _read(source, extensions, error_cls)
    if isinstance(data, str):
        if not data.strip():
            _empty(data, desc, error_cls)
    elif not any(ln.strip() for ln in data):
        _empty("".join(data), desc, error_cls)
    return data, desc


def check_some_records(n_records: int, error_cls: type, source: str) -> None:
    """Raise one `error_cls` when a non-blank input held no record at all (only comments,
    a JSON "[]", a CSV header without rows): an empty catalogue is never returned silently."""
    if n_records == 0:
        raise error_cls([BadRecord(0, 0, None, "content", "holds no element sets (only comments or headers)",
                                   f"give a file of {error_cls.kind} element sets; check that the download "
                                   "or query returned data")], source)


def _read(source, extensions, error_cls):
    if isinstance(source, os.PathLike):
        path = os.fspath(source)
        return _read_path(path, error_cls), repr(path)
    if isinstance(source, bytes):
        return _decode(source, "input bytes", error_cls), "input bytes"
    if isinstance(source, str):
        looks_like_path = "\n" not in source and "\r" not in source and (
            source.lower().endswith(extensions) or os.path.isfile(source)
        )
        if looks_like_path:
            return _read_path(source, error_cls), repr(source)
        return source, "input text"
    if hasattr(source, "read"):
        desc = getattr(source, "name", "file object")
        try:
            data = source.read()
        except UnicodeDecodeError as exc:
            # a text-mode file object decodes in chunks: no line number to give
            raise error_cls([BadRecord(0, 0, None, "encoding",
                                       f"byte {exc.object[exc.start]:#04x} is not {exc.encoding} text",
                                       "open the file in binary mode ('rb') and pass that, or give its path, so "
                                       "that the problem can be located; " + _FIX_TEXT)], desc) from None
        if isinstance(data, bytes):
            data = _decode(data, desc, error_cls)
        return data, desc
    try:
        lines = list(source)
    except TypeError:
        raise TypeError(
            "source must be a path, a string of text, a file object or an iterable of lines, "
            f"got {type(source).__name__}"
        ) from None
    out = []
    for k, ln in enumerate(lines, 1):
        if isinstance(ln, bytes):
            try:
                ln = ln.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise error_cls([BadRecord(0, k, None, "encoding",
                                           f"byte {ln[exc.start]:#04x} at column {exc.start + 1} is not UTF-8 text",
                                           _FIX_TEXT)], "input lines") from None
        if not isinstance(ln, str):
            raise TypeError(f"lines must be str, got {type(ln).__name__}")
        out.append(ln)
    return out, "input lines"


_FIX_TEXT = "give a plain-text (ASCII or UTF-8) element-set file"

# leading bytes of files that are often given by mistake -> (what it is, fix)
_SIGNATURES = (
    (b"\x1f\x8b", "gzip-compressed data", "decompress it first (gunzip FILE)"),
    (b"PK\x03\x04", "a ZIP archive (or .npz / .xlsx)", "extract the element-set file from the archive"),
    (b"BZh", "bzip2-compressed data", "decompress it first (bunzip2 FILE)"),
    (b"\xfd7zXZ\x00", "xz-compressed data", "decompress it first (unxz FILE)"),
    (b"(\xb5/\xfd", "zstd-compressed data", "decompress it first (unzstd FILE)"),
    (b"PAR1", "a Parquet file", "export the table as OMM CSV or JSON"),
    (b"\x89HDF", "an HDF5 file", "export the element sets as TLE or OMM text"),
    (b"%PDF", "a PDF document", "save the element sets as plain text"),
    (b"\xff\xfe", "UTF-16 text (little-endian byte-order mark)", "save it as UTF-8 or ASCII"),
    (b"\xfe\xff", "UTF-16 text (big-endian byte-order mark)", "save it as UTF-8 or ASCII"),
)


def _decode(data: bytes, desc: str, error_cls: type) -> str:
    """UTF-8 (a leading byte-order mark dropped) or one error_cls saying where and why not."""
    for magic, what, fix in _SIGNATURES:
        if data.startswith(magic):
            raise error_cls([BadRecord(0, 1, None, "encoding", f"this is {what}, not element-set text",
                                       fix)], desc)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        # text in a legacy encoding has a few high bytes and no control bytes; binary data has
        # both (about 1 in 9 random bytes is a control byte other than tab, CR, LF or FF)
        head = data[:8192]
        controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
        binary = controls > len(head) // 100
        what = "the data looks binary (control bytes), not element-set text" if binary else (
            "the text is not UTF-8 (Latin-1 or another legacy encoding?)")
        raise error_cls([BadRecord(0, line, None, "encoding",
                                   f"byte {data[exc.start]:#04x} at column {col} cannot be decoded as UTF-8: {what}",
                                   _FIX_TEXT if binary else "save the file as UTF-8 (or ASCII)")], desc) from None
    nul = text.find("\x00")
    if nul >= 0:
        # NUL is valid UTF-8 but never part of element-set text: a binary file
        line = text.count("\n", 0, nul) + 1
        raise error_cls([BadRecord(0, line, None, "encoding",
                                   "NUL byte: the data looks binary, not element-set text", _FIX_TEXT)], desc)
    return text


def _empty(text: str, desc: str, error_cls: type):
    what = "is empty (0 bytes)" if not text else "holds only blank lines"
    raise error_cls([BadRecord(0, 0, None, "content", what,
                               f"give a file of {error_cls.kind} element sets; check that the download or "
                               "query returned data")], desc)


def _read_path(path: str, error_cls: type) -> str:
    with open(path, "rb") as f:
        data = f.read()
    # universal newlines, as text-mode open() gave before
    return _decode(data, repr(path), error_cls).replace("\r\n", "\n").replace("\r", "\n")
