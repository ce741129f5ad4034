"""Progress bars for long stages (tqdm), drawn on a terminal only.

    bar = progress(n, "propagate", "objects", enabled=not quiet)
    for block in blocks:
        ...
        bar.update(len(block))
    bar.close()

The bar shows the count done, the rate and the estimated time remaining. It is drawn
only when the stream (stderr by default) is a terminal and ``enabled`` is true, so
logs, pipes, CI output and ``--quiet`` runs stay clean; otherwise the returned object
takes the same calls and does nothing.
"""

from __future__ import annotations

import io
import os
import sys
import threading

from tqdm import tqdm

__all__ = ["progress", "callback", "Tally"]

#: counts done / total, rate, then "<" and the estimated time remaining (tqdm's fields)
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{unit} [{elapsed}<{remaining}, {rate_fmt}]"


#: bar width and terminal height where the terminal does not say its size
DEFAULT_COLUMNS, DEFAULT_ROWS = 80, 24


def _columns(stream) -> int:
    """The terminal's width in columns; 0 when it does not say."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):  # not a real file
        return 0


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def progress(total: int, desc: str, unit: str = "it", *, enabled: bool = True, file=None):
    """A progress bar with ``update(k)``, ``close()`` and use as a context manager.

    total: the number of units of work (int >= 0); desc: what is being done (shown first);
    unit: what a unit is ("objects", "steps", ...). enabled: False silences it (--quiet).
    file: the stream, default sys.stderr at the time of the call. The bar is drawn only
    when ``enabled`` and the stream is a terminal; else nothing is written.

    Parameters
    ----------
    total : int
        Units of work, >= 0.
    desc, unit : str
        As above.
    enabled : bool
        False silences the bar.
    file : file-like, optional
        The stream.

    Returns
    -------
    tqdm.tqdm
        The bar (disabled, writing nothing, when not shown).
    """
    stream = sys.stderr if file is None else file
    show = enabled and _is_terminal(stream)
    # a terminal that reports no size (a pseudo-terminal nobody sized) would get no bar
    # from tqdm's size query (0 columns, -1 rows): draw it DEFAULT_COLUMNS wide there
    dynamic = show and _columns(stream) > 0
    # tqdm with disable=True keeps update()/close() and writes nothing
    return tqdm(total=max(int(total), 0), desc=desc, unit=f" {unit}", unit_scale=False, file=stream,
                disable=not show, bar_format=BAR_FORMAT, dynamic_ncols=dynamic,
                ncols=None if dynamic else DEFAULT_COLUMNS, nrows=None if dynamic else DEFAULT_ROWS,
                mininterval=0.2)


def callback(bar):
    """A ``progress(done, total)`` callable (what engine.screen and others take) that moves
    ``bar`` to ``done`` of ``total`` units; total may be refined while the work runs.

    Parameters
    ----------
    bar : tqdm.tqdm
        A bar of :func:`progress`.

    Returns
    -------
    callable
        ``report(done, total)``, both ints.
    """

    def report(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        if done > bar.n:
            bar.update(done - bar.n)

    return report


class Tally:
    """Work done by several threads, reported as one ``progress(done, total)``.

    progress: None (then add() does nothing) or a progress(done, total) callable (see
    callback); total: the units of work in all. add(k) adds k units under a lock and
    reports the running sum, so blocks on the engine's threads can report as they go.

    Parameters
    ----------
    progress : callable or None
        ``progress(done, total)``.
    total : float
        Units of work in all.
    """

    def __init__(self, progress, total: float):
        self._progress = progress
        self._total = total
        self._done = 0.0
        self._lock = threading.Lock()

    def add(self, k: float) -> None:
        """Add k units of work done and report the running sum (thread-safe).

        Parameters
        ----------
        k : float
            Units done since the last call; k <= 0 reports nothing.

        Returns
        -------
        None
        """
        if self._progress is None or k <= 0:
            return
        with self._lock:
            self._done += k
            self._progress(int(round(min(self._done, self._total))), int(round(self._total)))
