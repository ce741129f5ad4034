"""engine._sgp4_numpy regenerates Vallado's verification file tcppver.out line by line.

SGP4-VER.TLE and tcppver.out are the ones shipped inside the installed sgp4 wheel.
Each line 2 of SGP4-VER.TLE carries start, stop and step minutes; the expected lines
are produced the way Vallado's testcpp.cpp (and python-sgp4's own test,
sgp4/tests.py: generate_satellite_output) produce them: one short line at t = 0, then
long lines from start to stop, a last line at stop, and the satellite ends at its
first error. The TLEs are read with sgp4.api.Satrec.twoline2rv (WGS72, opsmode 'i')
for now; the integrator will switch to engine.load_tle.
"""

from __future__ import annotations

import importlib.resources
import math

import numpy as np
from sgp4.api import Satrec
from sgp4.earth_gravity import wgs72
from sgp4.ext import invjday, rv2coe

from engine import _sgp4_numpy as sg

ONE_MM = 1e-6  # km
ONE_MM_PER_S = 1e-9  # km/s (the file prints velocities to 1e-9 km/s)
TCPPVER_LINES = 700
# python-sgp4 sgp4/tests.py: the errors that end satellites in SGP4-VER.TLE
EXPECTED_ERRORS = [1, 1, 6, 6, 4, 3, 6]
_RAD = 180.0 / math.pi


def _text(name: str) -> str:
    return (importlib.resources.files("sgp4") / name).read_bytes().decode("ascii").replace("\r", "")


def _cases():
    lines = iter(_text("SGP4-VER.TLE").splitlines())
    for line1 in lines:
        if line1.startswith("1"):
            line2 = next(lines)
            start, stop, step = (float(f) for f in line2[69:].split())
            yield Satrec.twoline2rv(line1, line2), start, stop, step


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
    jd = sat.jdsatepoch + sat.jdsatepochF + tsince / 1440.0
    year, mon, day, hr, minute, sec = invjday(jd)
    p, a, ecc, incl, node, argp, nu, m, arglat, truelon, lonper = rv2coe(list(r), list(v), wgs72.mu)
    return (" %14.6f %8.6f %10.5f %10.5f %10.5f %10.5f %10.5f %5i%3i%3i %2i:%2i:%9.6f") % (
        a, ecc, incl * _RAD, node * _RAD, argp * _RAD, nu * _RAD, m * _RAD, year, mon, day, hr, minute, sec,
    )  # fmt: skip


def test_tcppver_every_line():
    """All 700 lines: |dr| <= 1 mm, |dv| <= 1e-9 km/s, tails textually equal, same errors."""
    expected = _text("tcppver.out").splitlines()
    assert len(expected) == TCPPVER_LINES
    cases = list(_cases())
    sats = [c[0] for c in cases]
    model = sg.sgp4init(_elements(sats), whichconst="wgs72", opsmode="i")
    assert list(model.method) == [s.method for s in sats]

    errors, problems = [], []
    worst_r = worst_v = 0.0
    k = 0  # line number in tcppver.out
    previous = None  # last data line, for Vallado's "(use previous data line)" quirk
    for n, (sat, start, stop, step) in enumerate(cases):
        assert expected[k].split() == [str(sat.satnum), "xx"], f"line {k + 1}: {expected[k]!r}"
        k += 1
        times = np.array([0.0] + _times(start, stop, step))
        e, r, v = sg.sgp4(model.take([n]), times)
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


def _elements(sats):
    fields = ("jdsatepoch", "jdsatepochF", "no_kozai", "ecco", "inclo", "nodeo", "argpo", "mo", "bstar", "ndot", "nddot")
    return {f: np.array([getattr(s, f) for s in sats]) for f in fields}
