"""Shared fixtures: the backend parameter that runs one test suite on every backend."""

from __future__ import annotations

import pytest

from engine import _backend


@pytest.fixture(params=["numpy", "host", "cuda"])
def backend(request):
    """Each test that takes ``backend`` runs once per backend: numpy, host (kernels/*.cu
    on the CPU through engine/_hostexec.py) and cuda, which skips where no device answers."""
    if request.param == "cuda":
        ok, reason = _backend.cuda_status()
        if not ok:
            pytest.skip(f"no CUDA device: {reason}")
    if request.param == "host":
        try:
            _backend.resolve("host")
        except _backend.BackendUnavailable as exc:
            pytest.skip(str(exc))
    return request.param
