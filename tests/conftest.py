"""Shared fixtures: the backend parameter that runs one test suite on every backend."""

from __future__ import annotations

import pytest

from engine import _backend


@pytest.fixture(params=["numpy", "cuda"])
def backend(request):
    """Each test that takes ``backend`` runs once per backend; cuda skips where no device answers."""
    if request.param == "cuda":
        ok, reason = _backend.cuda_status()
        if not ok:
            pytest.skip(f"no CUDA device: {reason}")
    return request.param
