"""Shared fixtures: the backend parameter that runs one test suite on every backend."""

from __future__ import annotations

import pytest

from engine import _backend


#: test modules whose kernel family has no host-executor launcher yet (issue 16): their
#: "host" case is skipped, saying so, until the family's launcher is converted
HOST_PENDING = {"test_breakup_kernels": "breakup"}


@pytest.fixture(params=["numpy", "host", "cuda"])
def backend(request):
    """Each test that takes ``backend`` runs once per backend: numpy, host (kernels/*.cu
    on the CPU through engine/_hostexec.py) and cuda, which skips where no device answers."""
    if request.param == "cuda":
        ok, reason = _backend.cuda_status()
        if not ok:
            pytest.skip(f"no CUDA device: {reason}")
    if request.param == "host":
        family = HOST_PENDING.get(request.module.__name__.rsplit(".", 1)[-1])
        if family:
            pytest.skip(f"the {family} launcher does not run on the host executor yet")
        try:
            _backend.resolve("host")
        except _backend.BackendUnavailable as exc:
            pytest.skip(str(exc))
    return request.param
