"""engine.dask on a LocalCluster of two worker processes: every lazy or split call equals
the in-memory call on the same backend bit for bit (events of a screening compared in one
canonical order), a worker killed mid-run costs neither rows nor duplicates, and the
same calls run on Dask's local scheduler when no client is active."""

from __future__ import annotations

import os
import signal
import time
import warnings

import numpy as np
import pytest
from randomsets import CLASSES, random_satrecs
from test_screening import random_cloud

import engine

pytest.importorskip("dask", reason="dask is not installed (pip install 'debris-engine[dask]')")
distributed = pytest.importorskip("distributed", reason="distributed is not installed (pip install 'debris-engine[dask]')")
pytest.importorskip("zarr", reason="zarr is not installed (pip install 'debris-engine[dask]')")

import dask  # noqa: E402

import engine.dask as edask  # noqa: E402
from engine.io import zarr as zstore  # noqa: E402

WINDOW = ("2021-11-16T00:00", "2021-11-16T06:00")


@pytest.fixture(scope="module")
def client():
    # two worker processes, one thread each; port 0 and no dashboard: no clash with other runs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           scheduler_port=0, dashboard_address=None, silence_logs=40)
    c = distributed.Client(cluster, timeout="60s")
    try:
        c.wait_for_workers(2, timeout=60)
        yield c
    finally:
        c.close(timeout=30)
        cluster.close(timeout=30)


@pytest.fixture(scope="module")
def mixed():
    # every orbit class in turn; "decaying" and "high_ecc" give error codes 1, 3, 4, 6
    return engine.Catalog.from_satrecs(random_satrecs(90, 11, classes=CLASSES, epoch_days=(26250.0, 26252.0)))


@pytest.fixture(scope="module")
def cloud():
    return random_cloud(500, seed=4)


@pytest.fixture(scope="module")
def all_pairs(cloud):
    """The in-memory all-vs-all screening of the cloud: the reference of the split ones."""
    return engine.screen(None, cloud, *WINDOW, backend="numpy")


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.uint8) if a.dtype.kind in "fMm" else a


def _same(a, b):
    np.testing.assert_array_equal(_bits(a), _bits(b))


def _canonical(conj):
    return conj[np.lexsort((conj.secondary, conj.primary, conj.tca_fr, conj.tca_jd))]


def _same_conjunctions(got, ref):
    assert len(got) == len(ref)
    got, ref = _canonical(got), _canonical(ref)
    for k in ref._fields():
        _same(getattr(got, k), getattr(ref, k))
    for k in ("threshold_km", "start", "stop", "step_s", "backend"):
        assert getattr(got, k) == getattr(ref, k), k
    assert set(map(tuple, got.excluded[["index", "code"]].tolist())) == \
        set(map(tuple, ref.excluded[["index", "code"]].tolist()))


def _times(m):
    return np.full(m, 2459531.5), np.linspace(0.0, 2.0, m)


def test_sgp4_lazy_arrays_equal_catalog_sgp4(client, mixed):
    jd, fr = _times(29)
    e, r, v = edask.sgp4(mixed, jd, fr, chunks=(16, 10), backend="numpy")
    assert e.chunks == ((16,) * 5 + (10,), (10, 10, 9)) and r.shape == (90, 29, 3)
    got = dask.compute(e, r, v)
    ref = mixed.sgp4(jd, fr, backend="numpy")
    assert len(np.unique(ref[0])) >= 3  # failing pairs carry their codes through the cluster
    for a, b in zip(got, ref):
        _same(a, b)
    # a slice computes only its blocks and still equals the rows and columns of the whole
    _same(r[20:40, 5:15].compute(), ref[1][20:40, 5:15])


def test_sgp4_to_zarr_on_workers(client, mixed, tmp_path):
    jd, fr = _times(29)
    path = tmp_path / "w.zarr"
    edask.sgp4_to_zarr(mixed, jd, fr, path, chunks=(16, 10), backend="numpy")
    got = zstore.read(path)
    ref = mixed.sgp4(jd, fr, backend="numpy")
    for k, a in zip("erv", ref):
        _same(got[k], a)
    assert got["complete"] is True
    with pytest.raises(FileExistsError, match="overwrite=True"):
        edask.sgp4_to_zarr(mixed, jd, fr, path, backend="numpy")


def test_screen_one_vs_many_split_equals_screen(client, cloud, all_pairs):
    prim = cloud[np.unique(all_pairs.primary)[:3]]  # objects that have events
    ref = engine.screen(prim, cloud, *WINDOW, backend="numpy")
    got = edask.screen(prim, cloud, *WINDOW, split=4, backend="numpy")
    assert len(ref) > 0
    _same_conjunctions(got, ref)


def test_screen_all_pairs_split_equals_screen(client, cloud, all_pairs):
    ref = all_pairs
    got = edask.screen(None, cloud, *WINDOW, split=3, backend="numpy")
    assert len(ref) > 10 and np.all(got.primary < got.secondary)
    _same_conjunctions(got, ref)


def test_decay_split_equals_decay(client):
    frags = engine.events.cosmos1408(lc_min=0.5, seed=3)
    args = ("2021-11-15", "2022-11-15")
    ref = engine.longterm.decay(frags, *args, atmosphere="exponential", backend="numpy")
    got = edask.decay(frags, *args, split=3, atmosphere="exponential", backend="numpy")
    assert np.any(~np.isnat(ref.reentry)) and np.any(np.isnat(ref.reentry))
    for k in ("reentry", "status", "times", "on_orbit", "final_time", "am"):
        _same(getattr(got, k), getattr(ref, k))
    for k in ref.elements:
        _same(got.elements[k], ref.elements[k])
    _same(got.info["epoch"], ref.info["epoch"])
    assert got.cd == ref.cd


def test_breakup_ensemble_equals_each_seed(client):
    parent = engine.events.cosmos1408_parent()
    got = edask.breakup_ensemble("explosion", parent, seeds=[0, 7, 2**63], lc_min=0.3, backend="numpy")
    for s, g in zip([0, 7, 2**63], got):
        ref = engine.breakup.explosion(parent, lc_min=0.3, seed=s, backend="numpy")
        assert len(g) == len(ref) and repr(g.event) == repr(ref.event)  # repr: NaN entries (no EMR)
        for k in ("lc", "am", "area", "mass", "dv", "r", "v", "parent", "kind", "role"):
            _same(getattr(g, k), getattr(ref, k))


def test_worker_killed_mid_screening_loses_and_duplicates_nothing(client, cloud, all_pairs):
    ref = all_pairs
    fut = client.compute(edask.screen(None, cloud, *WINDOW, split=4, backend="numpy", compute=False))
    pids = client.run(os.getpid)
    deadline = time.monotonic() + 60
    victim = None
    while victim is None and time.monotonic() < deadline:  # a worker busy with a task
        victim = next((w for w, tasks in client.processing().items() if tasks and w in pids), None)
        time.sleep(0.05)
    assert victim is not None and not fut.done(), "no task was running: the kill would prove nothing"
    os.kill(pids[victim], signal.SIGKILL)
    got = fut.result(timeout=240)
    _same_conjunctions(got, ref)
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it for the tests after this one


def test_local_scheduler_without_client(mixed):
    jd, fr = _times(7)
    with dask.config.set(scheduler="threads"):
        got = dask.compute(*edask.sgp4(mixed, jd, fr, chunks=(40, 7), backend="numpy"))
    for a, b in zip(got, mixed.sgp4(jd, fr, backend="numpy")):
        _same(a, b)


def test_bad_input_raises_before_any_task(mixed, cloud):
    with pytest.raises(ValueError, match="split="):
        edask.screen(None, cloud, *WINDOW, split=0)
    with pytest.raises(ValueError, match="threshold_km"):
        edask.screen(None, cloud, *WINDOW, threshold_km=-1.0)
    with pytest.raises(ValueError, match="chunks="):
        edask.sgp4(mixed, *_times(3), chunks=(0, 1))
    with pytest.raises(ValueError, match=r"fr\[0\]"):
        edask.sgp4(mixed, 2459531.5, np.nan)
    with pytest.raises(ValueError, match="kind="):
        edask.breakup_ensemble("impact", seeds=[1])


def _gpu_count() -> int:
    try:
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # no cupy, no driver, no device: no GPU here
        return 0


def test_dask_cuda_one_worker_per_gpu():
    """On a machine with two or more GPUs (ci/gpu-check.sh runs the suite there): dask-cuda's
    LocalCUDACluster, one worker per GPU, each computing with backend="cuda" on the GPU it
    sees, gives the in-memory CUDA call's arrays bit for bit."""
    dask_cuda = pytest.importorskip("dask_cuda", reason="dask-cuda is not installed (GPU machines only)")
    if _gpu_count() < 2:
        pytest.skip(f"needs 2 or more CUDA devices for one worker per GPU, found {_gpu_count()}")
    cat = engine.Catalog.from_satrecs(random_satrecs(4000, 5, classes=CLASSES, epoch_days=(26250.0, 26252.0)))
    jd, fr = _times(200)
    with dask_cuda.LocalCUDACluster(dashboard_address=None, scheduler_port=0) as cluster, \
            distributed.Client(cluster) as c:
        n_gpu = _gpu_count()
        c.wait_for_workers(n_gpu, timeout=120)
        seen = c.run(lambda: os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")[0])
        assert len(set(seen.values())) == n_gpu  # one GPU per worker
        got = dask.compute(*edask.sgp4(cat, jd, fr, chunks=(4000 // n_gpu, 200), backend="cuda"))
    ref = cat.sgp4(jd, fr, backend="cuda", to_host=True)
    for a, b in zip(got, ref):
        _same(a, b)
