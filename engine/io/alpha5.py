"""Alpha-5 catalogue numbers: 5 characters for satnum 0..339999.

Space-Track's scheme (https://www.space-track.org/documentation#tle-alpha5): numbers
above 99999 are written as a letter for the ten-thousands (A=10 ... Z=33, skipping I and
O because they read as 1 and 0) followed by four digits: 100000 -> 'A0000',
339999 -> 'Z9999'. python-sgp4 decodes the same way.
"""

from __future__ import annotations

import string

MAX_SATNUM = 339999

# letters in order, I and O left out: index + 10 is the ten-thousands value
_LETTERS = "".join(c for c in string.ascii_uppercase if c not in "IO")
_VALUE = {c: i + 10 for i, c in enumerate(_LETTERS)}


def to_alpha5(n: int) -> str:
    """Encode a catalogue number 0..339999 as 5 characters.

    Parameters
    ----------
    n : int
        Catalogue number, 0..339999 (MAX_SATNUM).

    Returns
    -------
    str
        5 characters: digits below 100000, else a letter other than I/O and 4 digits.

    Raises
    ------
    ValueError
        n outside 0..339999, which a TLE cannot hold.
    """
    n = int(n)
    if n < 0 or n > MAX_SATNUM:
        raise ValueError(
            f"satnum {n} cannot be written in a TLE: Alpha-5 covers 0..{MAX_SATNUM} ('Z9999')"
        )
    if n < 100000:
        return f"{n:05d}"
    tens, rest = divmod(n, 10000)
    return f"{_LETTERS[tens - 10]}{rest:04d}"


def from_alpha5(s: str) -> int:
    """Decode 5 characters (digits, or a letter other than I/O and 4 digits).

    Parameters
    ----------
    s : str
        5 characters. Leading blanks are accepted for plain numbers ('  123' -> 123), as in
        old TLEs.

    Returns
    -------
    int
        The catalogue number, 0..339999.

    Raises
    ------
    ValueError
        For anything else (wrong length, I or O, neither digits nor Alpha-5).
    """
    if len(s) != 5:
        raise ValueError(f"catalogue number must be 5 characters, got {s!r}")
    head, tail = s[0], s[1:]
    if head in _VALUE and tail.isdigit() and tail.isascii():
        return _VALUE[head] * 10000 + int(tail)
    if head in "IO":
        raise ValueError(
            f"catalogue number {s!r}: Alpha-5 never uses the letters I or O "
            "(they read as 1 and 0)"
        )
    body = s.lstrip(" ")
    if body and body.isdigit() and body.isascii():
        return int(body)
    raise ValueError(
        f"catalogue number {s!r} is neither 5 digits nor Alpha-5 (a letter A-Z except I, O "
        "followed by 4 digits)"
    )
