"""The launcher of kernels/pc.cu, serving backend "cuda" and "host".

One launcher over both executors (engine/_hostexec.py): cupy arrays through
cupy.RawModule on backend "cuda", NumPy arrays through kernels/pc.cu compiled for the
CPU on backend "host". The same names as engine/pc/_numpy.py: foster, monte_carlo_hits.
"""

from __future__ import annotations

import numpy as np

from .._hostexec import executor
from .._kernels import grid_blocks
from ._montecarlo import trial_hits
from ._pack import PACKED_IN, PACKED_OUT, pack_inputs  # noqa: F401  (PACKED_IN: the row layout)

_THREADS = 128
_CUDA_SRC = "pc.cu"


def foster(backend, r1, v1, r2, v2, c, hbr):
    """kernels/pc.cu pc_foster_f64 on N validated conjunctions.

    Parameters
    ----------
    backend : str
        "cuda" (cupy arrays out) or "host" (the kernel compiled for the CPU, NumPy arrays out).
    r1, v1, r2, v2, c, hbr
        Host arrays as engine/pc/_numpy.py foster takes them (moved to the device here).

    Returns
    -------
    tuple of (N,) executor arrays
        The PcResult columns, in the order of engine/pc/_numpy.py foster.
    """
    ex = executor(backend)
    xp = ex.xp
    packed = xp.asarray(pack_inputs(r1, v1, r2, v2, c, np.ascontiguousarray(hbr)))
    n = packed.shape[0]
    out = xp.empty((n, PACKED_OUT), dtype=xp.float64)
    flags = xp.empty(n, dtype=xp.uint8)
    if n:
        kern = ex.kernel(_CUDA_SRC, "pc_foster_f64")
        grid = grid_blocks(n, _THREADS)
        kern(grid, (_THREADS,), (packed, np.int64(n), out, flags))
    return (out[:, 0], flags, out[:, 1], out[:, 2], out[:, 3], out[:, 4], out[:, 5], out[:, 6])


def monte_carlo_hits(backend, streams, covs, r1, v1, r2, v2, hbr, n_samples, window_s, chunk):
    """Monte Carlo hit counts on the executor's arrays.

    Parameters
    ----------
    backend : str
        "cuda": trials on the device, cupy's default generator seeded from each stream
        (different draws from NumPy's, equally unbiased); "host": NumPy arrays and NumPy's
        PCG64 on the same streams, i.e. the draws of backend "numpy" (no kernel runs).
    streams, covs, r1, v1, r2, v2, hbr, n_samples, window_s, chunk
        As engine/pc/_numpy.py monte_carlo_hits.

    Returns
    -------
    hits : ndarray, (N,) int64 (host)
    npd : ndarray, (N,) bool (host)
    """
    xp = executor(backend).xp
    if xp is np:
        rngs = lambda i: np.random.default_rng(streams[i])  # noqa: E731
    else:
        rngs = lambda i: xp.random.default_rng(int(streams[i].generate_state(1, np.uint64)[0]))  # noqa: E731
    return trial_hits(xp, rngs, covs, r1, v1, r2, v2, hbr, n_samples, window_s, chunk)
