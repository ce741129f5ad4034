"""Propagation of any N x M without holding it: chunk by chunk to a callback or to Zarr.

    engine.outofcore.propagate_chunks(cat, jd, fr, callback, chunks=(4096, 1440))
    engine.outofcore.propagate_to_zarr(cat, jd, fr, "cloud.zarr")   # layout: engine.io.zarr

Catalog.sgp4 returns the whole (N, M) result, ~49 bytes per (object, time) plus 16 of
scratch: 1e6 objects x 1,440 times would be ~94 GB. Here each chunk of objects x times is
propagated with the same call (same backend, threads, error codes) and handed on before
the next, so memory is bounded by the chunk: about 65 bytes x objects x times per chunk
(outputs and times of one chunk), plus the per-object SGP4 initialisation of one chunk's
objects and ~8 MB per thread of SGP4 evaluation blocks (engine.sgp4._numpy._BLOCK pairs). Chunk results are bit-identical to the whole call's rows and columns: SGP4 treats
every (object, time) pair on its own.
"""

from __future__ import annotations

import numpy as np

from .io import zarr as zstore  # imports zarr itself only when a store is opened
from .sgp4 import _times_1d

__all__ = ["DEFAULT_PAIRS", "default_chunks", "propagate_chunks", "propagate_to_zarr"]

#: (object, time) pairs per default chunk: 2**21 pairs are ~100 MB of outputs (49 bytes
#: each), large enough that per-chunk costs (initialisation, a Zarr write) are amortised
DEFAULT_PAIRS = 1 << 21


def default_chunks(n: int, m: int, pairs: int = DEFAULT_PAIRS) -> tuple[int, int]:
    """(objects, times) per chunk for N x M: every time (up to 1,440) per chunk, objects to fill `pairs`.

    Parameters
    ----------
    n, m : int
        Objects and times of the whole request.
    pairs : int
        (object, time) pairs per chunk to aim for (default DEFAULT_PAIRS, ~100 MB of outputs).

    Returns
    -------
    (int, int)
        Objects and times per chunk, each >= 1.
    """
    ct = max(1, min(m, 1440))
    co = max(1, min(n, pairs // ct))
    return co, ct


def _times(jd, fr):
    jd, fr = _times_1d("jd", jd), _times_1d("fr", fr)
    if jd.shape != fr.shape:
        jd, fr = (np.ascontiguousarray(a) for a in np.broadcast_arrays(jd, fr))
    return jd, fr


def _check_chunks(chunks, n, m):
    co, ct = default_chunks(n, m) if chunks is None else chunks
    if int(co) < 1 or int(ct) < 1:
        raise ValueError(f"chunks={chunks}: give (objects, times) per chunk, each a whole number >= 1")
    return int(co), int(ct)


def propagate_chunks(catalog, jd, fr, callback, *, chunks=None, backend="auto", threads=None) -> None:
    """Propagate ``catalog`` to ``jd + fr`` one chunk at a time, calling
    ``callback(objects, times, e, r, v)`` for each.

    jd, fr: scalars or (M,) float64 split Julian dates (UTC). chunks: (objects, times)
    per chunk (default :func:`default_chunks`). callback gets slices ``objects`` (rows of
    the catalog) and ``times`` (columns of jd, fr) and host arrays e (n, m) uint8,
    r (n, m, 3) km, v (n, m, 3) km/s TEME with error codes exactly as Catalog.sgp4.
    Chunks come object block by object block, times in order within each. Inputs are
    checked (times finite, chunks >= 1) before the first chunk runs.

    Parameters
    ----------
    catalog : engine.Catalog
        N objects.
    jd, fr : float or (M,) array_like, float64
        Split Julian dates (UTC).
    callback : callable
        ``callback(objects, times, e, r, v)``, as above; its return value is ignored.
    chunks : (int, int), optional
        Objects and times per chunk.
    backend : str
        As Catalog.sgp4. The chunks reach the callback as NumPy arrays on the host whatever
        the backend: a chunk is handed on (written, reduced) and dropped, so device memory
        holds one chunk at a time.
    threads : int, optional
        The NumPy backend's threads, as Catalog.sgp4.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Times that are not finite, or chunks below 1, before the first chunk runs.
    """
    n = len(catalog)
    jd, fr = _times(jd, fr)
    m = jd.shape[0]
    co, ct = _check_chunks(chunks, n, m)
    for a in range(0, n, co):
        rows = slice(a, min(n, a + co))
        sub = catalog[rows]  # one SGP4 initialisation per object block, reused for its time blocks
        for b in range(0, m, ct):
            cols = slice(b, min(m, b + ct))
            e, r, v = sub.sgp4(jd[cols], fr[cols], backend=backend, to_host=True, threads=threads)
            callback(rows, cols, np.asarray(e), np.asarray(r), np.asarray(v))


def propagate_to_zarr(catalog, jd, fr, path, *, chunks=None, backend="auto", threads=None,
                      overwrite: bool = False, progress=None):
    """Propagate ``catalog`` to ``jd + fr`` into a Zarr store at ``path``; returns its zarr.Group.

    The store's layout is engine.io.zarr's (e, r, v with satnum, name, time, jd, fr and
    the frame TEME); its chunks are `chunks`, the blocks propagated, so memory stays about
    65 bytes x one chunk's pairs. An existing path raises FileExistsError unless
    overwrite=True (checked before any propagation). progress: optional
    ``progress(objects_done, objects_total)`` after each object block's last time block.
    ``attrs["complete"]`` turns True only when every chunk is written.

    Parameters
    ----------
    catalog : engine.Catalog
        N objects.
    jd, fr : float or (M,) array_like, float64
        Split Julian dates (UTC).
    path : str or os.PathLike
        The store's directory.
    chunks, backend, threads
        As :func:`propagate_chunks`.
    overwrite : bool
        Replace an existing store.
    progress : callable, optional
        As above.

    Returns
    -------
    zarr.Group
        The store: e (N, M) uint8, r (N, M, 3) km, v (N, M, 3) km/s, TEME, on disk.

    Raises
    ------
    FileExistsError
        path exists and overwrite is False.
    ImportError
        zarr is not installed (pip install 'debris-engine[dask]').
    ValueError
        As :func:`propagate_chunks`.
    """
    n = len(catalog)
    jd, fr = _times(jd, fr)
    m = jd.shape[0]
    co, ct = _check_chunks(chunks, n, m)
    g = zstore.create(path, satnum=catalog.satnum, name=catalog.name, jd=jd, fr=fr, chunks=(co, ct),
                      overwrite=overwrite,
                      attrs={"whichconst": catalog.whichconst, "opsmode": catalog.opsmode})

    def write(rows, cols, e, r, v):
        zstore.write_block(g, rows, cols, e, r, v)
        if progress is not None and cols.stop == m:
            progress(rows.stop, n)

    propagate_chunks(catalog, jd, fr, write, chunks=(co, ct), backend=backend, threads=threads)
    zstore.mark_complete(g)
    return g
