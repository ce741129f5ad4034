"""The heavy calls over a Dask cluster: lazy propagation, split screening, ensembles.

    from dask.distributed import Client, LocalCluster
    import engine.dask
    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
    e, r, v = engine.dask.sgp4(cat, jd, fr, chunks=(100_000, 1440))   # dask arrays, lazy
    engine.dask.sgp4_to_zarr(cat, jd, fr, "cloud.zarr")               # written by the workers
    conj = engine.dask.screen(iss, cat, start, stop, split=64)        # one Conjunctions table
    conj = engine.dask.screen(None, cat, start, stop, split=16)       # all pairs, 136 tasks
    res = engine.dask.decay(cloud, start, stop, split=32)             # one DecayResult
    clouds = engine.dask.breakup_ensemble("collision", target, projectile, seeds=range(100))

Everything runs on whatever Dask scheduler is active: a dask.distributed Client
(LocalCluster, a cluster of machines, or dask-cuda's LocalCUDACluster with one worker
per GPU: each worker's backend="auto" resolves to the GPU that worker sees), else Dask's
local threaded scheduler. Tasks carry Catalogs, Fragments and plain arrays, all of which
pickle; the workers need nothing but this package. Each task is the in-memory call on
its block of objects (and times), so the results are those of the in-memory call on the
same backend, bit for bit (tests/test_dask.py):

* SGP4 treats every (object, time) pair on its own;
* screening: each block is screened with the in-memory engine.screen, whose capture rule
  guarantees every minimum under the threshold for any capture radius, and whose TCA
  refinement runs per candidate; the blocks' tables are joined with indices into the
  whole catalogue and sorted by (TCA, primary, secondary);
* decay and breakup are per object and per seed.

A worker that dies is replaced by the nanny and its tasks rerun by the scheduler: a task
returns its block (screening, decay) or writes whole Zarr chunks of its own (sgp4_to_zarr),
so a rerun neither loses nor duplicates rows. threads (default 1 per task): the NumPy
backend's threads inside a task; Dask's worker threads already use the cores.
Needs dask[array] and distributed (pip install 'debris-engine[dask]').
"""

from __future__ import annotations

import operator

import numpy as np

from . import breakup, longterm, outofcore, screening
from ._orbits import IN_ORBIT, catalog_orbit_status
from .io import zarr as zstore  # imports zarr itself only when a store is opened

__all__ = ["sgp4", "sgp4_to_zarr", "screen", "decay", "breakup_ensemble"]


def _dask():
    try:
        import dask  # optional dependency: pip install 'debris-engine[dask]'
        import dask.array  # optional dependency (dask[array])
    except ImportError:
        raise ImportError("engine.dask needs dask: pip install 'debris-engine[dask]'") from None
    return dask


def _blocks(n: int, size: int) -> list[slice]:
    return [slice(a, min(n, a + size)) for a in range(0, n, size)]


def _split_size(n: int, split) -> int:
    """Objects per block for `split` blocks (an int >= 1) of n objects."""
    if isinstance(split, bool) or not isinstance(split, (int, np.integer)) or int(split) < 1:
        raise ValueError(f"split={split!r}: give the number of blocks, a whole number >= 1")
    return max(1, -(-n // int(split)))


# ------------------------------------------------------------------------ propagation
def _sgp4_block(cat, jd, fr, backend, threads):
    e, r, v = cat.sgp4(jd, fr, backend=backend, to_host=True, threads=threads)
    return np.asarray(e), np.asarray(r), np.asarray(v)


def sgp4(catalog, jd, fr, *, chunks=None, backend: str = "auto", threads: int | None = 1):
    """Lazy Catalog.sgp4: ``(e, r, v)`` dask arrays over objects x times.

    jd, fr: scalars or (M,) float64 split Julian dates (UTC). chunks: (objects, times) per
    block (default engine.outofcore.default_chunks: ~2e6 pairs). Returns e (N, M) uint8,
    r (N, M, 3) km, v (N, M, 3) km/s, TEME, chunked (objects, times[, 3]); computing them
    (together: dask.compute(e, r, v) runs each block once) gives exactly Catalog.sgp4's
    arrays on the same backend, error codes included. Inputs are checked now, not at compute.

    Parameters
    ----------
    catalog : engine.Catalog
        N objects.
    jd, fr : float or (M,) array_like, float64
        Split Julian dates (UTC).
    chunks : (int, int), optional
        Objects and times per block.
    backend : str
        Each worker's backend, as Catalog.sgp4 ("auto" resolves on the worker).
    threads : int, optional
        The NumPy backend's threads inside a task (default 1).

    Returns
    -------
    e, r, v : dask.array.Array
        e (N, M) uint8, r (N, M, 3) float64 km, v (N, M, 3) float64 km/s, TEME. Their blocks
        are NumPy arrays whatever the backend: blocks travel between workers and the client,
        which serialise host memory (a worker's GPU is used inside its task).

    Raises
    ------
    ImportError
        dask is not installed.
    ValueError
        Times that are not finite, or chunks below 1.
    """
    dask = _dask()
    from dask.array import Array  # optional dependency, checked by _dask() above
    from dask.highlevelgraph import HighLevelGraph  # optional dependency, as above

    n = len(catalog)
    jd, fr = outofcore._times(jd, fr)
    m = jd.shape[0]
    co, ct = outofcore._check_chunks(chunks, n, m)
    token = dask.base.tokenize(catalog.elements(), catalog.satnum, catalog.whichconst, catalog.opsmode,
                               jd, fr, co, ct, backend, threads)
    names = {k: f"sgp4-{k}-{token}" for k in ("cat", "block", "e", "r", "v")}
    rows, cols = _blocks(n, co), _blocks(m, ct)
    dsk = {}
    for i, rs in enumerate(rows):
        dsk[(names["cat"], i)] = catalog[rs]  # one copy of each block's elements in the graph
        for j, cs in enumerate(cols):
            blk = (names["block"], i, j)
            dsk[blk] = (_sgp4_block, (names["cat"], i), jd[cs], fr[cs], backend, threads)
            dsk[(names["e"], i, j)] = (operator.getitem, blk, 0)
            dsk[(names["r"], i, j, 0)] = (operator.getitem, blk, 1)
            dsk[(names["v"], i, j, 0)] = (operator.getitem, blk, 2)
    rch = tuple(s.stop - s.start for s in rows) or (0,)
    cch = tuple(s.stop - s.start for s in cols) or (0,)
    out = []
    for key, dt, ch in (("e", np.uint8, (rch, cch)), ("r", np.float64, (rch, cch, (3,))),
                        ("v", np.float64, (rch, cch, (3,)))):  # fmt: skip
        graph = HighLevelGraph.from_collections(names[key], dsk, dependencies=())
        out.append(Array(graph, names[key], chunks=ch, dtype=dt))
    return tuple(out)


def _zarr_block(path, rows, cols, cat, jd, fr, backend, threads):
    e, r, v = _sgp4_block(cat, jd, fr, backend, threads)
    zstore.write_block(zstore.open(path, mode="r+"), rows, cols, e, r, v)
    return rows.start, rows.stop, cols.start, cols.stop


def sgp4_to_zarr(catalog, jd, fr, path, *, chunks=None, backend: str = "auto", threads: int | None = 1,
                 overwrite: bool = False):
    """Propagate ``catalog`` into a Zarr store on the workers; returns the store's zarr.Group.

    The store (engine.io.zarr layout, created here before any task runs; FileExistsError
    for an existing path unless overwrite=True) must be on storage every worker can reach
    (a shared file system, or a path on one machine for a LocalCluster). Each task
    propagates one chunk and writes it; nothing passes through the client, so memory per
    worker is one chunk's. ``attrs["complete"]`` is set when every chunk is written.

    Parameters
    ----------
    catalog : engine.Catalog
        N objects.
    jd, fr : float or (M,) array_like, float64
        Split Julian dates (UTC).
    path : str or os.PathLike
        The store's directory, reachable from every worker.
    chunks, backend, threads
        As :func:`sgp4`.
    overwrite : bool
        Replace an existing store.

    Returns
    -------
    zarr.Group
        The store: e (N, M) uint8, r (N, M, 3) km, v (N, M, 3) km/s, TEME, on disk.

    Raises
    ------
    FileExistsError
        path exists and overwrite is False.
    ImportError
        dask or zarr is not installed.
    RuntimeError
        Not every chunk came back from the workers exactly once.
    """
    dask = _dask()
    n = len(catalog)
    jd, fr = outofcore._times(jd, fr)
    m = jd.shape[0]
    co, ct = outofcore._check_chunks(chunks, n, m)
    g = zstore.create(path, satnum=catalog.satnum, name=catalog.name, jd=jd, fr=fr, chunks=(co, ct),
                      overwrite=overwrite, attrs={"whichconst": catalog.whichconst, "opsmode": catalog.opsmode})
    path = str(path)
    tasks = []
    for rs in _blocks(n, co):
        sub = dask.delayed(catalog[rs], pure=True)
        for cs in _blocks(m, ct):
            tasks.append(dask.delayed(_zarr_block, pure=True)(path, rs, cs, sub, jd[cs], fr[cs], backend, threads))
    done = dask.compute(*tasks)
    if len(set(done)) != len(tasks):  # every chunk exactly once (a rerun task returns the same block)
        raise RuntimeError(f"sgp4_to_zarr: {len(tasks)} chunks submitted, {len(set(done))} came back")
    zstore.mark_complete(g)
    return g


# -------------------------------------------------------------------------- screening
def _screen_block(primary, secondaries, start, stop, kwargs, p_index, s_index):
    conj = screening.screen(primary, secondaries, start, stop, **kwargs)
    conj.primary = p_index[conj.primary]
    conj.secondary = s_index[conj.secondary]
    ex = conj.excluded.copy()
    sec = ex["role"] == "secondary"
    ex["index"][sec] = s_index[ex["index"][sec]]
    ex["index"][~sec] = p_index[ex["index"][~sec]] if p_index.size else ex["index"][~sec]
    conj.excluded = ex
    return conj


def _join_conjunctions(parts):
    Conjunctions = screening.Conjunctions
    first = parts[0]
    fields = first._fields()
    cols = {k: np.concatenate([getattr(p, k) for p in parts]) for k in fields}
    order = np.lexsort((cols["secondary"], cols["primary"], cols["tca_fr"], cols["tca_jd"]))
    cols = {k: a[order] for k, a in cols.items()}
    meta = {k: getattr(first, k) for k in Conjunctions.META}
    # each block's capture radius suffices for its pairs (the capture rule); report the largest
    meta["capture_radius_km"] = max(p.capture_radius_km for p in parts)
    meta["max_speed_kms"] = max(p.max_speed_kms for p in parts)
    # the primary's own exclusions come back from every block: list each record once
    meta["excluded"] = np.unique(np.concatenate([p.excluded for p in parts]))
    return Conjunctions(**cols, **meta)


def screen(primary, secondaries, start, stop, *, split: int = 16, threshold_km: float = 5.0,
           step_s: float | None = None, prefilter_pad_km: float | None = 20.0, hbr_km: float | None = None,
           backend: str = "auto", compute: bool = True):
    """engine.screen over a cluster: the secondaries in `split` blocks, one task each.

    primary: engine.Catalog (one-vs-many) or None (all pairs among `secondaries`: blocks
    a <= b, the diagonal ones screened all-vs-all and the others block a against block b,
    split * (split + 1) / 2 tasks). Other arguments as engine.screen (the all-pairs step
    defaults to its 30 s). Returns one Conjunctions with indices into the whole catalogues,
    sorted by (TCA, primary, secondary); its events and their fields equal engine.screen's
    on the same backend; capture_radius_km and max_speed_kms are the largest of the
    blocks'; excluded lists each record once. compute=False returns a dask Delayed of it.
    Arguments are checked by engine.screen on a first, empty-window-free call before any
    task is built: bad input raises here, naming the argument.

    Parameters
    ----------
    primary : engine.Catalog or None
        The primary objects, or None for all pairs among `secondaries`.
    secondaries : engine.Catalog
        N objects.
    start, stop : str or datetime64
        The window (UTC).
    split : int
        Number of blocks of the secondaries, >= 1.
    threshold_km, step_s, prefilter_pad_km, hbr_km, backend
        As engine.screen.
    compute : bool
        Compute now (default) or return the dask Delayed.

    Returns
    -------
    engine.Conjunctions or dask.delayed.Delayed
        The joined table, held on the host: the blocks' tables are gathered from the
        workers and concatenated, whatever device each worker screened on.

    Raises
    ------
    ImportError
        dask is not installed.
    ValueError
        split not a whole number >= 1, or what engine.screen raises for its arguments.
    """
    dask = _dask()
    n = len(secondaries)
    size = _split_size(n, split)
    # every argument checked now, with engine.screen's own messages
    screening._check_inputs(primary, secondaries, start, stop, threshold_km, step_s)
    kw = dict(threshold_km=threshold_km, step_s=step_s, prefilter_pad_km=prefilter_pad_km, hbr_km=hbr_km,
              backend=backend)
    parts = []
    if primary is not None:
        p_index = np.arange(len(primary), dtype=np.int64)
        pri = dask.delayed(primary, pure=True)
        for bs in _blocks(n, size):
            parts.append(dask.delayed(_screen_block, pure=True)(pri, secondaries[bs], start, stop, kw, p_index,
                                                                np.arange(bs.start, bs.stop, dtype=np.int64)))
    else:
        kw["step_s"] = screening.DEFAULT_STEP_ALL_S if step_s is None else step_s
        # all-vs-all screens objects in orbit only (engine._orbits); as primaries of the
        # off-diagonal blocks, so must the others be; no prefilter, as all-vs-all has none
        flying = catalog_orbit_status(secondaries) == IN_ORBIT
        cross = dict(kw, prefilter_pad_km=None)
        blocks = _blocks(n, size)
        cats = [dask.delayed(secondaries[bs], pure=True) for bs in blocks]
        for a, ba in enumerate(blocks):
            ia = np.arange(ba.start, ba.stop, dtype=np.int64)
            parts.append(dask.delayed(_screen_block, pure=True)(None, cats[a], start, stop, kw, ia, ia))
            fa = ia[flying[ba]]
            if fa.size == 0:
                continue
            pa = dask.delayed(secondaries[fa], pure=True)
            for b in range(a + 1, len(blocks)):
                bb = blocks[b]
                parts.append(dask.delayed(_screen_block, pure=True)(
                    pa, cats[b], start, stop, cross, fa, np.arange(bb.start, bb.stop, dtype=np.int64)))
    if not parts:  # an empty catalogue: the in-memory call's empty table
        return screening.screen(primary, secondaries, start, stop, **kw)
    joined = dask.delayed(_join_conjunctions, pure=True)(parts)
    return joined.compute() if compute else joined


# ------------------------------------------------------------------------------ decay
def _join_decay(parts, sizes):
    first = parts[0]
    for p in parts[1:]:
        if not np.array_equal(p.times, first.times):
            raise RuntimeError("decay blocks came back on different time grids")
    n = int(sum(sizes))

    def per_object(vals, axis=0):
        return np.concatenate(vals, axis=axis)

    info = {}
    for k, val in first.info.items():
        if isinstance(val, np.ndarray) and val.ndim >= 1 and val.shape[0] == sizes[0] and sizes[0] != len(first.times):
            info[k] = per_object([p.info[k] for p in parts])
        else:
            info[k] = val
    history = None
    if first.history is not None:
        history = {"times": first.history["times"]}
        for k, val in first.history.items():
            if k != "times":
                history[k] = per_object([p.history[k] for p in parts], axis=1)
    res = longterm.DecayResult(
        reentry=per_object([p.reentry for p in parts]), status=per_object([p.status for p in parts]),
        times=first.times, on_orbit=np.sum([p.on_orbit for p in parts], axis=0),
        elements={k: per_object([p.elements[k] for p in parts]) for k in first.elements},
        final_time=per_object([p.final_time for p in parts]), am=per_object([p.am for p in parts]),
        cd=first.cd, info=info, history=history,
    )
    assert len(res) == n
    return res


def _decay_block(objects, start, stop, kwargs):
    return longterm.decay(objects, start, stop, **kwargs)


def decay(objects, start, stop, *, split: int = 16, compute: bool = True, **kwargs):
    """engine.longterm.decay over a cluster: `objects` (a Catalog or Fragments) in `split`
    blocks, one task each, joined into one DecayResult (per-object arrays in order,
    on_orbit summed; info's per-object arrays joined). kwargs: those of decay (atmosphere,
    cd, step_days, ...; give atmosphere as a built engine.atmosphere.Table to build the
    NRLMSIS table once, not once per task). compute=False returns a dask Delayed.

    Parameters
    ----------
    objects : engine.Catalog or engine.Fragments
        N objects, N >= 1.
    start, stop : str or datetime64
        The span (UTC).
    split : int
        Number of blocks, >= 1.
    compute : bool
        Compute now (default) or return the dask Delayed.
    **kwargs
        Those of engine.longterm.decay.

    Returns
    -------
    engine.longterm.DecayResult or dask.delayed.Delayed
        The joined result; its arrays are NumPy arrays on the host (gathered from the workers).

    Raises
    ------
    ImportError
        dask is not installed.
    ValueError
        No objects, or split not a whole number >= 1.
    RuntimeError
        Blocks that came back on different time grids.
    """
    dask = _dask()
    n = len(objects)
    if n == 0:
        raise ValueError("engine.dask.decay: no objects; give a Catalog or Fragments with at least one object")
    size = _split_size(n, split)
    blocks = _blocks(n, size)
    parts = [dask.delayed(_decay_block, pure=True)(objects[bs], start, stop, kwargs) for bs in blocks]
    joined = dask.delayed(_join_decay, pure=True)(parts, [bs.stop - bs.start for bs in blocks])
    return joined.compute() if compute else joined


# ---------------------------------------------------------------------------- breakup
def breakup_ensemble(kind: str, *bodies, seeds, compute: bool = True, **kwargs):
    """engine.breakup.collision / explosion once per seed, one task each.

    kind: "collision" (bodies: target, projectile) or "explosion" (bodies: parent);
    seeds: iterable of integer seeds; kwargs: lc_min, scale, backend as the in-memory call.
    Returns the list of engine.Fragments in seed order, each equal to the in-memory call
    with that seed (compute=False: a list of dask Delayed).

    Parameters
    ----------
    kind : str
        "collision" or "explosion".
    *bodies : engine.breakup.Body
        target, projectile (collision) or parent (explosion).
    seeds : iterable of int
        One task per seed.
    compute : bool
        Compute now (default) or return the Delayed objects.
    **kwargs
        lc_min (m), scale, backend, as the in-memory call.

    Returns
    -------
    list of engine.Fragments or list of dask.delayed.Delayed
        In seed order; each Fragments stays on the device its worker made it on (as the
        in-memory call on that backend).

    Raises
    ------
    ImportError
        dask is not installed.
    ValueError
        kind not "collision" or "explosion", or a seed that is not a whole number >= 0.
    """
    dask = _dask()
    if kind not in ("collision", "explosion"):
        raise ValueError(f"kind={kind!r}: give 'collision' or 'explosion'")
    seeds = [breakup.check_seed(s) for s in seeds]
    fn = getattr(breakup, kind)
    tasks = [dask.delayed(fn, pure=True)(*bodies, seed=s, **kwargs) for s in seeds]
    return list(dask.compute(*tasks)) if compute else tasks
