"""The host build's optimisation level: chosen by $DEBRIS_ENGINE_HOST_OPT so that the suite
can be run against -O0 and -O3 builds, and part of the cache key so that builds at two
levels never share a library."""

from __future__ import annotations

import pytest

from engine import _hostbuild
from engine._kernels import kernel_dir


def test_default_level_and_flags_that_keep_results_exact(monkeypatch):
    monkeypatch.delenv("DEBRIS_ENGINE_HOST_OPT", raising=False)
    flags = _hostbuild.cxxflags()
    assert flags[0] == "-O2"
    # results must not depend on the level: no contraction into FMAs, no fast-math
    assert "-ffp-contract=off" in flags
    assert not any("fast-math" in f or f == "-Ofast" for f in flags)


@pytest.mark.parametrize("level", ["-O0", "-O3"])
def test_level_from_the_environment_changes_the_cache_key(monkeypatch, level):
    shim = kernel_dir() / "sgp4.cu"
    monkeypatch.delenv("DEBRIS_ENGINE_HOST_OPT", raising=False)
    default = _hostbuild._sources_digest(shim, "g++", _hostbuild.cxxflags())
    monkeypatch.setenv("DEBRIS_ENGINE_HOST_OPT", level)
    flags = _hostbuild.cxxflags()
    assert flags[0] == level
    assert _hostbuild._sources_digest(shim, "g++", flags) != default


def test_a_bad_level_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DEBRIS_ENGINE_HOST_OPT", "-Ofast")
    with pytest.raises(_hostbuild.HostBuildError, match="DEBRIS_ENGINE_HOST_OPT.*-O0, -O1, -O2, -O3, -Os"):
        _hostbuild.cxxflags()
