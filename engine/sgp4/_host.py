"""A test oracle with python-sgp4's calling convention over kernels/sgp4.cu on the host
executor: the kernels' own entry points, compiled for the CPU by g++ (engine/_hostexec.py),
through this capability's launcher (engine/sgp4/_cuda.py).

    host = Sgp4Host()
    rec, flags = host.init(elements)
    e, r, v = host.propagate(rec, flags, tsince)

It lives with the capability it runs (it used to sit in engine/_hostbuild.py, a foundation
module, from where it imported the launcher upward).
"""

from __future__ import annotations

import numpy as np

from . import _cuda


class Sgp4Host:
    """SGP4 through kernels/sgp4.cu's own entry points on the host executor (a test oracle
    with python-sgp4's calling convention; the work is engine/sgp4/_cuda.py's launcher,
    backend "host", so every check of this class runs the real kernels and launcher).

    init(elements, whichconst, opsmode) -> (rec (NREC, N) float64, flags (N,) int32)
    propagate(rec, flags, tsince (N, M) or (M,) minutes, dtype) -> e (N, M) uint8,
        r, v (N, M, 3) km, km/s, TEME in dtype
    """

    def __init__(self) -> None:
        self._launcher = _cuda
        self.nrec = _cuda.NREC
        self.nelem = _cuda.NELEM

    def init(self, elements: dict, whichconst="wgs72", opsmode="i"):
        model = self._launcher.init(elements, whichconst, opsmode, backend="host")
        return model.rec, model.flags

    def _model(self, rec, flags, dtype):
        flags = np.ascontiguousarray(flags, dtype=np.int32)
        return self._launcher.CudaSgp4Model(
            rec=np.ascontiguousarray(rec, dtype=np.float64), flags=flags, n=int(flags.size),
            whichconst="wgs72", opsmode="i", dtype=np.dtype(dtype), backend="host")

    def propagate(self, rec, flags, tsince, dtype=np.float64):
        """tsince: minutes since each object's epoch, (M,) shared or (N, M)."""
        return self._launcher.propagate(self._model(rec, flags, dtype), tsince=tsince)

    def propagate_jd(self, rec, flags, jd, fr, dtype=np.float64):
        """jd, fr: Julian date split as python-sgp4 takes it, (M,) shared or (N, M)."""
        return self._launcher.propagate(self._model(rec, flags, dtype), jd=jd, fr=fr)
