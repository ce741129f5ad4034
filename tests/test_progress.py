"""Progress bars: drawn with the time remaining on a terminal, silent otherwise and under
--quiet; engine.screen reports its progress through a callback without changing results."""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pytest

import engine
from engine import _progress
from engine.cli import example_path, main


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


REMAINING = re.compile(r"<\d\d:\d\d")   # tqdm's "[elapsed<remaining, rate]"


def test_bar_on_a_terminal_shows_the_time_remaining():
    term = FakeTerminal()
    with _progress.progress(4, "work", "blocks", file=term) as bar:
        for _ in range(4):
            bar.update(1)
    text = term.getvalue()
    assert text.startswith("\rwork:") or "work:" in text
    assert "4/4 blocks" in text and REMAINING.search(text), text


@pytest.mark.parametrize("stream, enabled", [(io.StringIO(), True), (FakeTerminal(), False)])
def test_bar_is_silent_off_a_terminal_and_when_disabled(stream, enabled):
    with _progress.progress(4, "work", "blocks", enabled=enabled, file=stream) as bar:
        bar.update(4)
    assert stream.getvalue() == ""


def test_callback_moves_the_bar_to_done_of_total():
    term = FakeTerminal()
    with _progress.progress(0, "screen", "samples", file=term) as bar:
        report = _progress.callback(bar)
        report(10, 40)
        report(40, 40)
        assert (bar.n, bar.total) == (40, 40)
    assert "40/40 samples" in term.getvalue()


def _calls_and_result(progress):
    cat = engine.load_tle(example_path())[:300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return engine.screen(None, cat, "2021-11-16T00:00", "2021-11-16T06:00", threshold_km=20.0,
                             backend="numpy", progress=progress)


def test_screen_reports_progress_and_gives_the_same_events():
    calls = []
    with_cb = _calls_and_result(lambda done, total: calls.append((done, total)))
    without = _calls_and_result(None)
    nt = 6 * 120 + 1                                  # 30 s steps over 6 h
    assert calls[-1] == (nt, nt) and all(t == nt for _, t in calls)
    done = [d for d, _ in calls]
    assert done == sorted(done) and len(calls) >= 10   # blocks of at most 1/40 of the grid
    assert len(without) > 0
    for k in ("primary", "secondary", "tca", "miss_km"):
        np.testing.assert_array_equal(getattr(with_cb, k), getattr(without, k))


@pytest.mark.parametrize("quiet", [False, True])
def test_cli_propagate_and_screen_bars_only_on_a_terminal_and_not_quiet(quiet, monkeypatch, capsys):
    term = FakeTerminal()
    monkeypatch.setattr("sys.stderr", term)
    q = ["--quiet"] if quiet else []
    assert main(["propagate", "--example", "--stop", "2021-11-16T12:00", "--step", "600"] + q) == 0
    assert main(["screen", example_path(), "--all", "--start", "2021-11-16T00:00", "--stop",
                 "2021-11-16T01:00", "--threshold-km", "5", "--backend", "numpy"] + q) == 0
    text = term.getvalue()
    if quiet:
        assert text == ""
    else:
        assert "propagate:" in text and "screen:" in text and REMAINING.search(text), text


def test_flux_reports_progress_per_chunk_and_gives_the_same_flux(monkeypatch):
    from engine import risk

    monkeypatch.setattr(risk, "_CHUNK", 200)         # several chunks from 1,000 objects
    cat = engine.load_tle(example_path())
    calls = []
    args = (cat[1:2], cat[2:], "2021-11-16T00:00", "2021-11-16T03:00")
    with_cb = risk.flux(*args, step_s=120.0, progress=lambda d, t: calls.append((d, t)))
    without = risk.flux(*args, step_s=120.0)
    n = calls[-1][1]
    assert calls[-1] == (n, n) and 990 <= n <= 998 and len(calls) == -(-n // 200)
    np.testing.assert_array_equal(with_cb.flux_per_km2_s, without.flux_per_km2_s)


def test_bench_reports_each_case_and_its_lines_pass_through_the_bar():
    from engine import bench

    def make(fail=False):
        def prepare():
            if fail:
                raise RuntimeError("peer not usable")
            return lambda: None
        return prepare

    cases = [bench.Case("sgp4", "numpy", 10, 1, make()), bench.Case("sgp4", "peer", 10, 1, make(True)),
             bench.Case("sgp4", "numpy", 20, 1, make())]
    calls, lines = [], []
    records = bench.run(cases, repeat=1, log=lines.append, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert len(records) == 2 and len(lines) == 3 and lines[1].startswith("  fail sgp4 peer")


def _read_all(fd) -> str:
    """Everything written to the pseudo-terminal so far: one read can return part of it
    (the bar is drawn in several writes), so read until nothing more comes within 0.5 s."""
    import os
    import select

    chunks = []
    while select.select([fd], [], [], 0.5)[0]:
        data = os.read(fd, 4096)
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode(errors="replace")


def test_bar_on_a_pseudo_terminal_that_reports_no_size():
    # such a terminal reports 0 columns and tqdm then sized the bar to nothing
    pty = pytest.importorskip("pty")
    import os

    master, slave = pty.openpty()
    with os.fdopen(slave, "w") as stream:
        assert stream.isatty()
        if os.get_terminal_size(slave).columns:
            pytest.skip("this system gives new pseudo-terminals a size")
        with _progress.progress(2, "work", "blocks", file=stream) as bar:
            bar.update(2)
        stream.flush()
        text = _read_all(master)
    os.close(master)
    assert "2/2 blocks" in text and REMAINING.search(text), repr(text)


def test_decay_reports_its_object_days_and_gives_the_same_result():
    """The scenario's decay stage ran ~30 s without a bar: decay reports object-days as its
    blocks step (threads included), reaching the total, with results unchanged."""
    from engine import longterm

    rng = np.random.default_rng(7)
    n = 300
    a = 6378.137 + rng.uniform(250.0, 600.0, n)
    r = np.stack([a, np.zeros(n), np.zeros(n)], axis=1)
    v = np.stack([np.zeros(n), np.sqrt(398600.4418 / a) * 0.6, np.sqrt(398600.4418 / a) * 0.8], axis=1)
    objs = (r, v, 10.0 ** rng.uniform(-2.5, -0.5, n), "2021-11-16T00:00")
    calls = []
    kw = dict(atmosphere="exponential", backend="numpy")
    with_cb = longterm.decay(objs, "2021-11-16", "2022-11-16", progress=lambda d, t: calls.append((d, t)), **kw)
    without = longterm.decay(objs, "2021-11-16", "2022-11-16", **kw)
    np.testing.assert_array_equal(with_cb.reentry, without.reentry)
    np.testing.assert_array_equal(with_cb.on_orbit, without.on_orbit)
    total = calls[-1][1]
    assert abs(total - n * 365) <= 1 and calls[-1][0] == total, calls[-3:]
    assert len(calls) > 10 and all(d1 <= d2 for (d1, _), (d2, _) in zip(calls, calls[1:]))


def test_atmosphere_table_reports_its_samples_and_decay_takes_it():
    from engine import longterm

    pytest.importorskip("pymsis", reason="pymsis not installed: pip install pymsis")
    calls = []
    table = longterm.atmosphere_table(None, "2021-11-16", "2021-12-31", progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1] > 0
    assert table.space_weather is not None and "4-day means" in table.source
