"""The row layout kernels/pc.cuh reads: one float64 row of PACKED_IN values per conjunction.

Plain NumPy (no executor), so that engine.pc can export pack_inputs without loading the
launcher (engine/pc/_cuda.py), which packs its inputs with it.
"""

from __future__ import annotations

import numpy as np

#: per-conjunction inputs packed by the launcher: r1, v1, r2, v2, C (xx, xy, xz, yy, yz, zz), hbr
PACKED_IN = 19
#: per-conjunction float64 outputs: pc, miss, speed, sigma_major, sigma_minor, extended, offset
PACKED_OUT = 7


def pack_inputs(r1, v1, r2, v2, c, hbr) -> np.ndarray:
    """(N, PACKED_IN) float64 rows as kernels/pc.cuh reads them (row-major, one row per conjunction).

    Parameters
    ----------
    r1, v1, r2, v2 : ndarray, (N, 3) float64
        States at TCA, km and km/s.
    c : ndarray, (N, 3, 3) float64
        Combined position covariance, km^2 (symmetrised here).
    hbr : ndarray, (N,) float64
        Combined hard-body radius, km.

    Returns
    -------
    ndarray, (N, PACKED_IN) float64, C-contiguous.
    """
    cs = 0.5 * (c + np.swapaxes(c, 1, 2))
    cu = cs[:, [0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]]
    return np.ascontiguousarray(np.concatenate([r1, v1, r2, v2, cu, hbr[:, None]], axis=1))
