"""kernels/cowell.cuh against the NumPy implementation (engine/numerical/_numpy.py).

_cpu tests run kernels/cowell.cu's entry point through its launcher on the host executor
(engine/_hostexec.py; the force model alone through kernels/host/cowell_host.cpp) on every
machine with a C++ compiler; _cuda tests run the same launcher on a device and skip without one.

The two implement the same scheme but round differently (NumPy sums the stages with a
BLAS gemv and writes P_2 in closed form; the GPU contracts FMAs). With the fixed-step rk4
they take the same steps and agree to rounding: 1e-11 relative, identical step counts.
The adaptive methods accept or reject each step by comparing an error estimate with 1:
now and then a step sits on that border and rounding flips the decision; from there on
the two are equally valid integrations whose difference is of the size of the
integration error. What the error control fixes is that accuracy, held to 2e-8 relative
(14 cm at 7,000 km; measured ~3e-9), with equal status codes and re-entry times within
0.01 s.

Step counts are compared in a way that no machine's rounding can cross. A count per object
is not fixed by the error control: where an SRP shadow edge (a discontinuity of the force)
falls inside a step decides how many rejected steps it costs, and a rounding-level change
anywhere upstream (the BLAS kernel NumPy uses, the compiler's -O level) moves it. Measured
over 10 seeds, OpenBLAS's SkylakeX, Haswell, Sandybridge and Prescott kernels and host
builds at -O0, -O2 and -O3: per-object differences up to 6.8 % (5 steps of 74), of either
sign, while the total over the cloud stayed within 0.54 %. A defect of the controller
(safety factor, error exponent, norm, growth limits) changes the step-size law, and so
the total, systematically: the total is held to STEPS_TOTAL, and each object to the
looser STEPS_OBJECT that only a run-away controller exceeds.
"""

from __future__ import annotations

import numpy as np
import pytest

import engine.numerical as en
from engine import _backend
from engine.numerical import _numpy as nn
from test_numerical import cowell_host, random_leo

#: relative position tolerance: fixed step (same steps) / adaptive (see the module doc)
REL = {"rk4": 1e-11, "dp54": 2e-8, "dp87": 2e-8}
#: adaptive methods: relative difference of the total step count over the objects that
#: stay in orbit (measured <= 0.54 %, see the module doc), and of any one object's (<= 6.8 %)
STEPS_TOTAL = 0.02
STEPS_OBJECT = 0.15


def _workload(seed: int):
    """24 seeded LEO orbits (A/M x3, Vallado's table) plus one 160 km orbit that
    re-enters, in the integration frame: y0 (N, 6), bdrag (N,)."""
    r, v, am = random_leo(24, seed=seed)
    a = nn.WGS84_A + 160.0
    r = np.vstack([r, [[a, 0.0, 0.0]]])
    v = np.vstack([v, [[0.0, np.sqrt(nn.GM / a) * 0.6, np.sqrt(nn.GM / a) * 0.8]]])
    am = np.append(am * 3.0, 0.05)
    return np.concatenate([r, v], axis=1), 0.5 * 2.2 * am


T = np.array([0.0, 100.0, 1800.5, 3600.0, 3600.0, 7000.0, 10800.0])
CASES = [("dp87", True), ("dp87", False), ("dp54", True), ("rk4", True)]
#: cases with Sun, Moon and SRP (the others: zonal + drag only)
EXTRAS = {("dp87", True), ("rk4", True)}
T2000 = 7989.5  # 2021-11-16, TT days since J2000


def _model(bdrag, extras: bool):
    """J2-J6 + Vallado's table; extras: Sun/Moon point masses and SRP (cr A/M 0.02)."""
    srp = np.full(len(bdrag), 0.02) if extras else None
    return nn.Model(6, bdrag, en.Exponential(), 2459534.5, sun_moon=extras, srp=srp, t2000=T2000)


def _kwargs(method, dense):
    d = en.DEFAULTS[method]
    return dict(method=method, rtol=d.get("rtol", 0.0), step=d.get("step"), hmax=300.0,
                hmin=1e-6, reentry_km=100.0, max_steps=10**7, dense=dense)


def _compare(got, ref, method, what):
    y, status, t_re, nsteps = got
    y_ref, status_ref, t_re_ref, nsteps_ref = ref
    assert np.array_equal(status, status_ref), f"{what}: status differs at objects " \
        f"{np.nonzero((status != status_ref).any(1))[0]}"
    if method == "rk4":
        assert np.array_equal(nsteps, nsteps_ref), f"{what}: step counts differ at objects " \
            f"{np.nonzero(nsteps != nsteps_ref)[0]}"
    else:
        # (objects that re-enter are left out: near 100 km the density grows by e every
        # ~6 km and many steps sit on the border; their re-entry times are compared below)
        stay = np.isnan(t_re_ref)
        n, n_ref = nsteps[stay].astype(np.int64), nsteps_ref[stay].astype(np.int64)
        total = abs(n.sum() - n_ref.sum()) / n_ref.sum()
        assert total <= STEPS_TOTAL, f"{what}: total step counts differ by {total:.2%} " \
            f"({n.sum()} vs {n_ref.sum()})"
        dn = np.abs(n - n_ref) / n_ref
        k = int(dn.argmax())
        assert dn[k] <= STEPS_OBJECT, f"{what}: step counts differ by {dn[k]:.1%} at object " \
            f"{np.flatnonzero(stay)[k]} ({n[k]} vs {n_ref[k]})"
    ok = status_ref == 0
    scale = np.linalg.norm(y_ref[..., :3], axis=-1)[..., None]
    rel = np.where(ok[..., None], np.abs(y - y_ref) / scale, 0.0).max(axis=(1, 2))
    k = int(rel.argmax())
    assert rel.max() < REL[method], f"{what}: max relative diff {rel.max():.2e} at object {k}"
    assert np.all(np.isnan(y[~ok])), f"{what}: non-OK outputs must be NaN"
    atol = 1e-3 if method == "rk4" else 1e-2
    np.testing.assert_allclose(t_re, t_re_ref, rtol=0, atol=atol, equal_nan=True)


def test_derivative_cpu():
    host = cowell_host()
    rng = np.random.default_rng(3)
    n = 200
    r = rng.normal(size=(n, 3))
    r *= rng.uniform(6450.0, 8000.0, n)[:, None] / np.linalg.norm(r, axis=1)[:, None]
    v = rng.normal(0.0, 4.5, (n, 3))
    y = np.concatenate([r, v], axis=1)
    t = rng.uniform(0.0, 86400.0, n)
    for extras in (False, True):
        model = _model(rng.uniform(0.0, 0.1, n), extras)
        got = host.derivative(y, t, model)
        ref = nn.derivative(np.ascontiguousarray(y.T), t, model,
                            nn.object_factors(model, np.arange(n))).T
        rel = np.abs(got - ref).max(axis=1) / np.abs(ref).max(axis=1)
        assert rel.max() < 1e-13, f"extras={extras}: max relative diff {rel.max():.2e} at " \
            f"state {rel.argmax()}"


@pytest.mark.parametrize("method,dense", CASES)
def test_propagate_cpu(method, dense):
    host = cowell_host()
    y0, bdrag = _workload(seed=21)
    kw = _kwargs(method, dense)
    extras = (method, dense) in EXTRAS
    model = _model(bdrag, extras)
    got = host.propagate(y0, T, model, **kw)
    ref = nn.propagate(np.ascontiguousarray(y0.T), T, model, **kw)
    assert got[1][-1, -1] == en.REENTERED and np.isfinite(got[2][-1])
    _compare(got, ref, method, f"host {method} dense={dense} extras={extras}")


def test_propagate_cuda():
    ok, reason = _backend.cuda_status()
    if not ok:
        pytest.skip(f"no CUDA device: {reason}")
    from engine.numerical import _cuda as _cowell_cuda

    host = cowell_host()
    y0, bdrag = _workload(seed=22)
    for method, dense in CASES:
        for extras in (False, True):
            kw = _kwargs(method, dense)
            model = _model(bdrag, extras)
            got = _cowell_cuda.propagate(y0, T, model, **kw)
            got = tuple(_backend.to_host(a) for a in got)
            ref = host.propagate(y0, T, model, **kw)
            _compare(got, ref, method, f"cuda {method} dense={dense} extras={extras}")


def test_launch_chunks_give_the_same_bits(monkeypatch):
    """Objects split over several launches (offset per-object arrays and outputs) give the
    bits of one launch: the launcher's chunking, run on the host executor."""
    from engine.numerical import _cuda as _cowell_cuda

    cowell_host()  # skips without a compiler
    y0, bdrag = _workload(seed=23)
    kw = _kwargs("dp54", True)
    model = _model(bdrag, True)
    whole = _cowell_cuda.propagate(y0, T, model, backend="host", **kw)
    monkeypatch.setattr(_cowell_cuda, "_MAX_LAUNCH", 3)
    parts = _cowell_cuda.propagate(y0, T, model, backend="host", **kw)
    for a, b in zip(whole, parts):
        np.testing.assert_array_equal(a, b)


def test_step_count_check_detects_a_changed_step_law():
    """The step-count comparison above can fail: a controller whose step-size law differs
    (here the same code at 3x the tolerance, steps ~3^(1/8) = 15 % longer) is caught by the
    total, although every position still agrees within the integration error."""
    y0, bdrag = _workload(seed=21)
    kw = _kwargs("dp87", True)
    model = _model(bdrag, True)
    ref = nn.propagate(np.ascontiguousarray(y0.T), T, model, **kw)
    loose = nn.propagate(np.ascontiguousarray(y0.T), T, model, **{**kw, "rtol": 3.0 * kw["rtol"]})
    with pytest.raises(AssertionError, match="total step counts differ"):
        _compare(loose, ref, "dp87", "numpy dp87 at 3x rtol")
