"""Progress bars for long command-line stages.

Uses tqdm when it is installed (extra ``progress``); otherwise a small text bar on
stderr. Either way the bar is drawn only when stderr is a terminal, so logs and CI
output stay clean.
"""

from __future__ import annotations

import sys
import time


class _TextBar:
    def __init__(self, total: int, desc: str, unit: str):
        self.total, self.desc, self.unit = max(int(total), 1), desc, unit
        self.n = 0
        self.t0 = time.perf_counter()
        self._last = 0.0

    def update(self, k: int = 1) -> None:
        self.n += k
        now = time.perf_counter()
        if now - self._last < 0.1 and self.n < self.total:
            return
        self._last = now
        frac = min(self.n / self.total, 1.0)
        width = 30
        fill = int(round(frac * width))
        rate = self.n / max(now - self.t0, 1e-9)
        sys.stderr.write(
            f"\r{self.desc}: [{'#' * fill}{' ' * (width - fill)}] {100 * frac:5.1f}% "
            f"{self.n}/{self.total} {self.unit} ({rate:,.0f} {self.unit}/s)"
        )
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


class _NoBar:
    def update(self, k: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress(total: int, desc: str, unit: str = "it", enabled: bool = True):
    """A progress bar with ``update(k)`` and ``close()``; silent unless stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _TextBar(total, desc, unit)
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)
