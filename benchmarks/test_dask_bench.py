"""Out-of-core and cluster figures: "kernel": "sgp4-zarr" and "screen-dask" records.

* sgp4-zarr, one process: engine.outofcore.propagate_to_zarr of a Cosmos-1408-like cloud
  x 1,440 times (one day at one minute), run in a fresh Python process whose peak
  resident memory (ru_maxrss, the whole process: interpreter, NumPy, zarr) is recorded
  as host_peak_bytes, for two cloud sizes: the peak is set by the chunk, not by N.
* sgp4-zarr on a LocalCluster of 1 and 2 worker processes (engine.dask.sgp4_to_zarr):
  the strong-scaling pair; host_peak_bytes sums the workers' peaks and the client's.
* screen-dask: the ISS against a Cosmos-1408-like cloud over one day through
  engine.dask.screen: 1e5 objects on 1 and 2 workers, 1e6 objects on 2 workers.

Each is timed once (pedantic, one round): these are minutes-long runs, and the figures
that matter (memory, the 1 -> 2 worker ratio) come from single runs anyway.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import textwrap
from contextlib import contextmanager

import numpy as np
import pytest

import engine
from engine import outofcore
from engine._backend import cpu_name

pytest.importorskip("distributed", reason="needs dask and distributed (pip install 'debris-engine[dask]')")
pytest.importorskip("zarr", reason="needs zarr (pip install 'debris-engine[dask]')")

N_TIMES = 1440
START = "2021-11-16T00:00"


def _grid():
    jd = np.full(N_TIMES, 2459534.5)
    return jd, np.arange(N_TIMES) / 1440.0


@contextmanager
def _cluster(workers: int):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, scheduler_port=0,
                           dashboard_address=None, silence_logs=40)
    client = Client(cluster)
    try:
        client.wait_for_workers(workers, timeout=120)
        yield client
    finally:
        client.close()
        cluster.close()


def _peak_bytes(client) -> int:
    """Peak resident memory of every worker process plus this (client) process, bytes."""
    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB

    return int(sum(client.run(peak).values()) + peak())


_ONE_PROCESS = textwrap.dedent("""
    import json, resource, sys, time
    import numpy as np
    sys.path.insert(0, {bench!r})
    import engine
    from conftest import cosmos_like_elements
    from engine import outofcore
    cat = engine.Catalog.from_arrays(**cosmos_like_elements({n}))
    jd = np.full({m}, 2459534.5); fr = np.arange({m}) / 1440.0
    t0 = time.perf_counter()
    outofcore.propagate_to_zarr(cat, jd, fr, {path!r}, backend="numpy")
    dt = time.perf_counter() - t0
    print(json.dumps(dict(seconds=dt, peak=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)))
""")


@pytest.mark.parametrize("n", [10_000, 40_000, 1_000_000])
def test_sgp4_zarr_one_process_memory(benchmark, record, tmp_path, n):
    path = tmp_path / "cloud.zarr"
    need = 48 * n * N_TIMES  # bytes on disk: ~46 per state measured (r, v float64 + code, compressed)
    free = shutil.disk_usage(tmp_path).free
    if free < 1.05 * need:
        pytest.skip(f"{n} x {N_TIMES} to Zarr needs ~{need / 1e9:.0f} GB of free disk, {free / 1e9:.0f} GB here")
    code = _ONE_PROCESS.format(bench=str(__import__("pathlib").Path(__file__).parent), n=n, m=N_TIMES,
                               path=str(path))

    def run():
        shutil.rmtree(path, ignore_errors=True)
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    res = benchmark.pedantic(run, rounds=1, iterations=1)
    disk = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    shutil.rmtree(path, ignore_errors=True)
    record(kernel="sgp4-zarr", backend="numpy-1process", dtype="float64", device=cpu_name(), n_objects=n,
           n_times=N_TIMES, host_peak_bytes=res["peak"], inner_seconds=res["seconds"], zarr_bytes=disk,
           chunks=list(outofcore.default_chunks(n, N_TIMES)))


@pytest.mark.parametrize("workers", [1, 2])
def test_sgp4_zarr_dask_scaling(benchmark, record, tmp_path, cosmos_cloud, workers):
    import engine.dask as edask

    n = 40_000
    cat = engine.Catalog.from_arrays(**cosmos_cloud(n))
    jd, fr = _grid()
    path = tmp_path / "cloud.zarr"
    with _cluster(workers) as client:
        def run():
            edask.sgp4_to_zarr(cat, jd, fr, path, chunks=(2000, N_TIMES), backend="numpy", overwrite=True)

        benchmark.pedantic(run, rounds=1, iterations=1)
        peak = _peak_bytes(client)
    shutil.rmtree(path, ignore_errors=True)
    record(kernel="sgp4-zarr", backend=f"numpy-dask-{workers}worker", dtype="float64", device=cpu_name(),
           n_objects=n, n_times=N_TIMES, host_peak_bytes=peak, workers=workers, chunks=[2000, N_TIMES])


@pytest.mark.parametrize("n,workers", [(100_000, 1), (100_000, 2), (1_000_000, 2)])
def test_screen_iss_dask(benchmark, record, cosmos_cloud, n, workers):
    import engine.dask as edask

    cloud = engine.Catalog.from_arrays(**cosmos_cloud(n))
    iss = engine.events.iss()
    stop = np.datetime64(START) + np.timedelta64(1, "D")
    with _cluster(workers) as client:
        conj = benchmark.pedantic(edask.screen, args=(iss, cloud, START, stop),
                                  kwargs=dict(split=max(8, n // 12_500), threshold_km=5.0, backend="numpy"), rounds=1, iterations=1)
        peak = _peak_bytes(client)
    benchmark.extra_info["events"] = len(conj)
    record(kernel="screen-dask", backend=f"numpy-dask-{workers}worker", dtype="float64", device=cpu_name(),
           n_objects=n + 1, n_times=1441, host_peak_bytes=peak, workers=workers, events=len(conj))


@pytest.mark.parametrize("tasks", [2_000])
def test_dask_task_overhead(benchmark, record, tasks):
    """Seconds of scheduling per task on a LocalCluster of 2 worker processes: client.map of
    `tasks` no-op tasks, gathered. The figure the cluster cost model of benchmarks/NOTES.md
    divides the work by: a chunk must compute for much longer than this for Dask to scale."""
    with _cluster(2) as client:
        def run():
            client.gather(client.map(_noop, range(tasks), pure=False))

        benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    record(kernel="dask-task-overhead", backend="dask-2worker", dtype="-", device=cpu_name(), n_objects=tasks,
           n_times=1, seconds_per_task=lambda s: s / tasks, workers=2)


def _noop(i):
    return i
