"""Catalog.sgp4 on every backend against python-sgp4 (Vallado's C++ through Satrec / SatrecArray).

Tolerances: positions within ONE_MM and velocities within ONE_UM_PER_S wherever the
state is physical. SGP4 keeps producing numbers after an object has decayed, and
propagating a high-drag object backwards makes the drag polynomial
tempa = 1 - cc1 t - d2 t^2 - ... grow until the mean semi-major axis is several times
its epoch value and the drag term of the mean anomaly reaches 1e6..1e8 rad; |r| then
reaches up to 1e15 km and every last-bit difference (libm vs SIMD sin of a huge
angle) is amplified by as much. States are non-physical when: code 6 was already
reported between epoch and that time (same side); or |r| > R_PHYSICAL; or the mean
semi-major axis python-sgp4 reports (Satrec.am) is outside AM_RATIO times its epoch
value. There only the error codes and the NaN pattern are compared, and the count
of such states is part of the report. Error codes must be identical everywhere and
NaN must appear exactly where python-sgp4 has NaN.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sgp4.api import WGS72, WGS72OLD, WGS84, SatrecArray

import engine
from engine.sgp4 import _numpy as sg
from engine.errors import DECAYED
from randomsets import CLASSES, elements_of, random_satrecs

ONE_MM = 1e-6  # km
ONE_UM_PER_S = 1e-9  # km/s
R_PHYSICAL = 1e6  # km: beyond ~2.5 lunar distances an SGP4 state is not an orbit any more
AM_RATIO = (0.5, 2.0)  # mean semi-major axis / epoch value outside this: runaway drag polynomial
HIGH_DRAG = 1e-3  # |bstar| (1/earth radii) from which am can leave AM_RATIO within the window
GRAVITY = {"wgs72old": WGS72OLD, "wgs72": WGS72, "wgs84": WGS84}
REF_EPOCH = 26252.0  # days since 1949 Dec 31 0h = 2021 Nov 15 0h UT (Cosmos 1408)
JD_REF = REF_EPOCH + 2433281.5


def _past_decay(e, tsince):
    """(N, M) bool: code 6 was reported between epoch and this time (same side, inclusive)."""
    dec = e == DECAYED
    past = np.zeros_like(dec)
    for side in (tsince >= 0.0, tsince < 0.0):
        # walk outwards from epoch: order each row's times on this side by |t|
        order = np.argsort(np.where(side, np.abs(tsince), np.inf), axis=1, kind="stable")
        acc = np.maximum.accumulate(np.take_along_axis(dec & side, order, axis=1), axis=1)
        acc &= np.take_along_axis(side, order, axis=1)
        back = np.zeros_like(dec)
        np.put_along_axis(back, order, acc, axis=1)
        past |= back
    return past


def _runaway(sats, tsince):
    """(N, M) bool: python-sgp4's mean semi-major axis (Satrec.am) is outside AM_RATIO x epoch value."""
    out = np.zeros(tsince.shape, bool)
    for i, s in enumerate(sats):
        if abs(s.bstar) < HIGH_DRAG:
            continue
        s.sgp4_tsince(0.0)
        am0 = s.am
        for j, t in enumerate(tsince[i]):
            s.sgp4_tsince(float(t))
            if not (AM_RATIO[0] * am0 < s.am < AM_RATIO[1] * am0):
                out[i, j] = True
    return out


def assert_matches(got, ref, sats, tsince, *, label=""):
    """Compare (e, r, v) with python-sgp4's; message gives the worst index, elements and diff."""
    e, r, v = got
    e0, r0, v0 = ref
    tsince = np.broadcast_to(tsince, e0.shape)
    msgs = []

    def where(i, j):
        s = sats[i]
        return (
            f"object {i} (class {CLASSES[i % len(CLASSES)]}, method {s.method}, no_kozai={s.no_kozai!r}, "
            f"ecco={s.ecco!r}, inclo={s.inclo!r}, nodeo={s.nodeo!r}, argpo={s.argpo!r}, mo={s.mo!r}, "
            f"bstar={s.bstar!r}, jdsatepoch={s.jdsatepoch!r}+{s.jdsatepochF!r}) at tsince={tsince[i, j]!r} min"
        )

    bad_e = e != e0
    if bad_e.any():
        i, j = np.argwhere(bad_e)[0]
        msgs.append(f"{bad_e.sum()} error codes differ; first: {where(i, j)}: got {e[i, j]}, expected {e0[i, j]}")
    nan_got, nan_ref = np.isnan(r).any(-1) | np.isnan(v).any(-1), np.isnan(r0).any(-1) | np.isnan(v0).any(-1)
    bad_nan = nan_got != nan_ref
    if bad_nan.any():
        i, j = np.argwhere(bad_nan)[0]
        msgs.append(f"{bad_nan.sum()} NaN patterns differ; first: {where(i, j)}: got {r[i, j]}, expected {r0[i, j]}")
    both = ~nan_got & ~nan_ref
    with np.errstate(invalid="ignore"):
        dr = np.where(both, np.abs(r - r0).max(-1), 0.0)
        dv = np.where(both, np.abs(v - v0).max(-1), 0.0)
        rn = np.where(both, np.linalg.norm(r0, axis=-1), 0.0)
    wild = _past_decay(e0, tsince) | (rn > R_PHYSICAL) | _runaway(sats, tsince)
    tol_r = np.where(wild, np.inf, ONE_MM)
    tol_v = np.where(wild, np.inf, ONE_UM_PER_S)
    for name, d, tol, ref_, got_ in (("position", dr, tol_r, r0, r), ("velocity", dv, tol_v, v0, v)):
        ratio = d / tol
        if ratio.max() > 1.0:
            i, j = np.unravel_index(ratio.argmax(), ratio.shape)
            msgs.append(
                f"{(ratio > 1).sum()} {name}s off; worst {where(i, j)}: |diff| {d[i, j]:.3e} > tol {tol[i, j]:.3e} "
                f"(got {got_[i, j]}, expected {ref_[i, j]}; physical-state max {np.where(wild, 0, d).max():.3e}, "
                f"{wild.sum()} non-physical states)"
            )
    assert not msgs, f"{label}: " + "\n".join(msgs)
    return float(np.where(wild, 0, dr).max()), float(np.where(wild, 0, dv).max()), int(wild.sum())


def _model(sats, whichconst="wgs72", opsmode="i"):
    return sg.sgp4init(elements_of(sats), whichconst=whichconst, opsmode=opsmode)


def _common_times():
    """jd, fr of 41 times from REF-10 d to REF+30 d (1-day steps; includes REF itself)."""
    days = np.arange(-10, 31, dtype=np.float64)
    return np.full(days.shape, JD_REF) + days, np.zeros(days.shape) + 0.0


def _run_vs_satrecarray(n, seed, whichconst, opsmode, backend):
    sats = random_satrecs(
        n, seed, whichconst=GRAVITY[whichconst], opsmode=opsmode, epoch_days=(REF_EPOCH - 2.0, REF_EPOCH + 2.0)
    )
    jd, fr = _common_times()
    ref = SatrecArray(sats).sgp4(jd, fr)
    cat = engine.Catalog.from_satrecs(sats)
    assert (cat.whichconst, cat.opsmode) == (whichconst, opsmode)
    got = cat.sgp4(jd, fr, backend=backend, to_host=True)
    t = sg.tsince_minutes(_model(sats, whichconst, opsmode), jd, fr)
    return assert_matches(got, ref, sats, t, label=f"{backend} {whichconst}/{opsmode}")


def test_random_20000_vs_satrecarray(backend):
    """20,000 element sets of every class x 41 times (-10..+30 days) against SatrecArray.sgp4."""
    _run_vs_satrecarray(20_000, 20211115, "wgs72", "i", backend)


@pytest.mark.parametrize("opsmode", ["i", "a"])
@pytest.mark.parametrize("whichconst", ["wgs72old", "wgs72", "wgs84"])
def test_gravity_models_and_opsmodes(whichconst, opsmode, backend):
    _run_vs_satrecarray(2_000, 7, whichconst, opsmode, backend)


def test_wide_epochs_tsince_per_object(backend):
    """Epochs 2000-2030 (gsto, lunar-solar day); tsince -10..+30 days incl. exactly 0 per object."""
    sats = random_satrecs(3_000, 11)
    model = _model(sats)
    tsince = np.linspace(-10 * 1440.0, 30 * 1440.0, 41)  # includes 0.0
    assert 0.0 in tsince
    whole = np.floor(tsince / 1440.0)
    ref = [s.sgp4_array(s.jdsatepoch + whole, s.jdsatepochF + (tsince / 1440.0 - whole)) for s in sats]
    ref = tuple(np.stack(x) for x in zip(*ref))
    jd = model.jdsatepoch[:, None] + whole
    fr = model.jdsatepochF[:, None] + (tsince / 1440.0 - whole)
    t = sg.tsince_minutes(model, jd, fr)
    got = engine.Catalog.from_satrecs(sats).sgp4_tsince(t, backend=backend, to_host=True)
    assert_matches(got, ref, sats, t, label=f"{backend} wide epochs")


def test_resonant_non_monotonic_and_repeated_times(backend):
    """Deep-space resonant objects (12 h and 24 h) at times that jump back and forth.

    Vallado's dspace keeps atime/xli/xni between calls and either continues or restarts
    the 720-min integration; we integrate from epoch. Satrec.sgp4_array runs the times
    in the given order on one record, so it exercises every continue / restart path.
    """
    sats = random_satrecs(300, 5, classes=("geo", "molniya", "low_inc", "gto"))
    model = _model(sats)
    deep = [i for i, s in enumerate(sats) if s.method == "d"]
    assert len(deep) > 150
    sats = [sats[i] for i in deep]
    model = model.take(deep)
    tsince = np.array([
        0.0, 5000.0, -3000.0, 5000.0, 100.0, 100.0, 43200.0, -14400.0, 720.0, 719.999999,
        720.000001, 1440.0, -720.0, -720.5, 0.0, 0.0, 20000.0, 19999.0, 43200.0, -1e-9, 1e-9,
        -14400.0, 1440.0 * 30, 3.3, -1440.0 * 10, 1440.0 * 29.5,
    ])  # fmt: skip
    ref = [s.sgp4_array(np.full(tsince.shape, s.jdsatepoch), s.jdsatepochF + tsince / 1440.0) for s in sats]
    ref = tuple(np.stack(x) for x in zip(*ref))
    jd = np.broadcast_to(model.jdsatepoch[:, None], (len(sats), tsince.size))
    fr = model.jdsatepochF[:, None] + tsince / 1440.0
    t = sg.tsince_minutes(model, jd, fr)
    irez = model.deep["irez"]
    assert (irez == 1).any() and (irez == 2).any()
    got = engine.Catalog.from_satrecs(sats).sgp4_tsince(t, backend=backend, to_host=True)
    assert_matches(got, ref, sats, t, label=f"{backend} resonant, non-monotonic")


def test_out_buffers_poisoned_are_fully_overwritten():
    sats = random_satrecs(700, 3)
    model = _model(sats)
    t = np.linspace(-2000.0, 9000.0, 23)
    e0, r0, v0 = sg.sgp4(model, t)
    rng = np.random.default_rng(0)
    e = np.full(e0.shape, 255, np.uint8)
    r = rng.normal(size=r0.shape) * 1e300
    v = np.full(v0.shape, np.nan)
    r[::3] = np.nan
    v[1::4] = -np.inf
    got = sg.sgp4(model, t, out=(e, r, v))
    assert got[0] is e and got[1] is r and got[2] is v
    np.testing.assert_array_equal(e, e0)
    np.testing.assert_array_equal(r, r0)  # NaN in the same places, everything else equal
    np.testing.assert_array_equal(v, v0)


def test_out_buffers_validated():
    model = _model(random_satrecs(4, 1))
    t = np.zeros(3)
    with pytest.raises(ValueError, match="e must be a uint8"):
        sg.sgp4(model, t, out=(np.empty((4, 3), np.int32), np.empty((4, 3, 3)), np.empty((4, 3, 3))))
    with pytest.raises(ValueError, match="C-contiguous"):
        sg.sgp4(model, t, out=(np.empty((4, 3), np.uint8), np.empty((4, 3, 3), order="F"), np.empty((4, 3, 3))))


def test_take_pickle_len_and_tsince_shapes():
    sats = random_satrecs(260, 9)
    model = _model(sats)
    assert len(model) == 260
    t = np.linspace(-100.0, 5000.0, 7)
    e, r, v = sg.sgp4(model, t)
    idx = np.array([5, 3, 250, 3, 100, 7, 0])
    sub = pickle.loads(pickle.dumps(model.take(idx)))
    assert len(sub) == idx.size
    e2, r2, v2 = sg.sgp4(sub, np.broadcast_to(t, (idx.size, t.size)).copy())
    np.testing.assert_array_equal(e2, e[idx])
    np.testing.assert_array_equal(r2, r[idx])
    np.testing.assert_array_equal(v2, v[idx])
    mask = np.zeros(260, bool)
    mask[::7] = True
    np.testing.assert_array_equal(sg.sgp4(model.take(mask), t)[1], r[mask])
    assert sg.sgp4(model, np.zeros(0))[1].shape == (260, 0, 3)
