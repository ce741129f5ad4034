"""Every backend regenerates Vallado's verification file tcppver.out line by line.

SGP4-VER.TLE and tcppver.out are the ones shipped inside the installed sgp4 wheel.
Each line 2 of SGP4-VER.TLE carries start, stop and step minutes; the expected lines
are produced the way Vallado's testcpp.cpp (and python-sgp4's own test,
sgp4/tests.py: generate_satellite_output) produce them: one short line at t = 0, then
long lines from start to stop, a last line at stop, and the satellite ends at its
first error. The TLEs are read with engine.load_tle (WGS72, opsmode 'i'; checksums=False
because Vallado hand-edited records 33333-33335 without fixing their checksums) and
propagated through the public Catalog.sgp4_tsince.
"""

from __future__ import annotations

import importlib.resources
import math

import numpy as np
import engine
from sgp4.earth_gravity import wgs72
from sgp4.ext import invjday, rv2coe


ONE_MM = 1e-6  # km
ONE_MM_PER_S = 1e-9  # km/s (the file prints velocities to 1e-9 km/s)
TCPPVER_LINES = 700
# python-sgp4 sgp4/tests.py: the errors that end satellites in SGP4-VER.TLE
EXPECTED_ERRORS = [1, 1, 6, 6, 4, 3, 6]
_RAD = 180.0 / math.pi


def _text(name: str) -> str:
    return (importlib.resources.files("sgp4") / name).read_bytes().decode("ascii").replace("\r", "")


def _cases():
    """(catalogue of the 33 objects, [(start, stop, step) minutes per object])."""
    text = _text("SGP4-VER.TLE")
    cat = engine.load_tle(text, checksums=False)
    windows = [tuple(float(f) for f in ln[69:].split()) for ln in text.splitlines() if ln.startswith("2 ")]
    assert len(cat) == len(windows) == 33
    return cat, windows


def _times(start, stop, step):
    """Times in the order testcpp.cpp prints them (after the t = 0 line)."""
    out = []
    t = start
    while t <= stop:
        if not (t == start == 0.0):
            out.append(t)
        t += step
    if t - stop < step - 1e-6:  # "do not miss last line"
        out.append(stop)
    return out


def _tail(sat, tsince, r, v):
    """The low-precision columns of a long line: osculating elements and the date."""
    jd = sat.jdsatepoch[0] + sat.jdsatepochF[0] + tsince / 1440.0
    year, mon, day, hr, minute, sec = invjday(jd)
    p, a, ecc, incl, node, argp, nu, m, arglat, truelon, lonper = rv2coe(list(r), list(v), wgs72.mu)
    return (" %14.6f %8.6f %10.5f %10.5f %10.5f %10.5f %10.5f %5i%3i%3i %2i:%2i:%9.6f") % (
        a, ecc, incl * _RAD, node * _RAD, argp * _RAD, nu * _RAD, m * _RAD, year, mon, day, hr, minute, sec,
    )  # fmt: skip


def test_tcppver_every_line(backend):
    """All 700 lines: |dr| <= 1 mm, |dv| <= 1e-9 km/s, tails textually equal, same errors."""
    expected = _text("tcppver.out").splitlines()
    assert len(expected) == TCPPVER_LINES
    cat, windows = _cases()

    errors, problems = [], []
    worst_r = worst_v = 0.0
    k = 0  # line number in tcppver.out
    previous = None  # last data line, for Vallado's "(use previous data line)" quirk
    for n, (start, stop, step) in enumerate(windows):
        sat = cat[n]
        assert expected[k].split() == [str(sat.satnum[0]), "xx"], f"line {k + 1}: {expected[k]!r}"
        k += 1
        times = np.array([0.0] + _times(start, stop, step))
        e, r, v = sat.sgp4_tsince(times, backend=backend, to_host=True)
        e, r, v = e[0], r[0], v[0]
        for j, t in enumerate(times):
            if e[j]:
                if j == 0 and np.isnan(r[j]).all():
                    # testcpp prints the previous satellite's r, v with tsince 0
                    errors.append(int(e[j]))
                    exp = expected[k].split()
                    prev = previous.split()
                    if exp[0] != "0.00000000" or exp[1:7] != prev[1:7]:
                        problems.append(f"line {k + 1}: expected a copy of the previous line, got {expected[k]!r}")
                    k += 1
                    break
                if j > 0:  # testcpp stops the satellite at its first error
                    errors.append(int(e[j]))
                    break
            exp = expected[k].split()
            vals = [float(x) for x in exp[:7]]
            dr = max(abs(a - b) for a, b in zip(r[j], vals[1:4]))
            dv = max(abs(a - b) for a, b in zip(v[j], vals[4:7]))
            worst_r, worst_v = max(worst_r, dr), max(worst_v, dv)
            if not abs(vals[0] - t) <= 5e-9 or not dr <= ONE_MM or not dv <= ONE_MM_PER_S:
                problems.append(
                    f"line {k + 1} (satellite {sat.satnum}, t={t}): |dr|={dr:.3e} km, |dv|={dv:.3e} km/s\n"
                    f"  expected {expected[k]!r}\n  got r={r[j].tolist()} v={v[j].tolist()}"
                )
            if j > 0:
                tail = _tail(sat, t, r[j], v[j]).split()
                if tail != exp[7:]:
                    problems.append(f"line {k + 1}: elements/date columns {tail} != {exp[7:]}")
            previous = expected[k]
            k += 1
    assert not problems, f"{len(problems)} lines differ (worst |dr| {worst_r:.3e} km, |dv| {worst_v:.3e} km/s):\n" + "\n".join(problems[:10])
    assert k == TCPPVER_LINES, f"matched {k} of {TCPPVER_LINES} lines"
    print(f"tcppver: {k} lines, worst |dr| {worst_r:.3e} km, |dv| {worst_v:.3e} km/s")
    assert errors == EXPECTED_ERRORS

