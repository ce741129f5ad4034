"""engine.sgp4 as a capability subpackage (issue 15): one dispatch through engine._backend,
the same interface on both implementation modules, nothing below it importing it, and the
public names of the old engine/sgp4.py still there.

The checks read the source with ast (as tests/test_layout.py does) so that a hand-written
backend branch or an upward import fails here, not as an ImportError somewhere else.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

import engine
import engine.sgp4
from engine import _backend, _hostexec, _memory
from engine.sgp4 import _cuda, _numpy

ROOT = Path(engine.__file__).resolve().parent
INIT = ROOT / "sgp4" / "__init__.py"
#: what engine.sgp4 calls on the module engine._backend.implementation hands it
DISPATCHED = ("init", "propagate")
#: the launcher's own options, for its direct callers (tests, the oracle): keyword-only, defaulted
LAUNCHER_ONLY = ("zipped", "max_pairs")
#: the foundation layer: none of these may import the capability (issue 15, "Layers")
FOUNDATION = ("_backend", "_hostbuild", "_hostexec", "_kernels", "_memory", "_parallel", "_progress",
              "constants", "errors", "timeconv")


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _params(fn) -> list[tuple[str, object]]:
    return [(p.name, p.kind) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", DISPATCHED)
def test_both_implementations_define_the_dispatched_names_with_the_same_parameters(name):
    numpy_fn, cuda_fn = getattr(_numpy, name), getattr(_cuda, name)
    cuda_params = inspect.signature(cuda_fn).parameters
    extra = [p for p in cuda_params if p in LAUNCHER_ONLY]
    for p in extra:
        assert cuda_params[p].kind is inspect.Parameter.KEYWORD_ONLY and \
            cuda_params[p].default is not inspect.Parameter.empty, p
    assert _params(numpy_fn) == [x for x in _params(cuda_fn) if x[0] not in extra]


def _implementation_calls(tree: ast.Module):
    """(attribute, line) of every `_backend.implementation(...).attribute` in the tree."""
    out = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "implementation"):
            out.append((node.attr, node.lineno))
    return out


#: the functions of engine/sgp4/__init__.py that reach an implementation: none may branch on
#: the backend's name (the validation helpers _check_dtype and _check_host may: which backend
#: takes float32 and which allocates what in host memory is checked before any work starts)
DISPATCHERS = ("_model", "propagate_jd", "propagate_tsince")


def test_init_dispatches_once_through_backend_and_nothing_else():
    """engine/sgp4/__init__.py: implementation modules reached only through
    _backend.implementation, and only their dispatched names; no import of _numpy, _cuda or
    cupy; the dispatching functions compare nothing with a backend's name."""
    tree = _tree(INIT)
    calls = _implementation_calls(tree)
    assert {a for a, _ in calls} == set(DISPATCHED), calls
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if any(n.split(".")[-1] in ("_numpy", "_cuda", "_host") or n.split(".")[0] == "cupy" for n in names):
                bad.append(f"line {node.lineno}: imports {names}")
    funcs = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    assert set(DISPATCHERS) <= set(funcs), sorted(funcs)
    for name in DISPATCHERS:
        for node in ast.walk(funcs[name]):
            if isinstance(node, ast.Compare):
                consts = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant)]
                if set(consts) & {"numpy", "cuda", "host"}:
                    bad.append(f"{name}, line {node.lineno}: compares with a backend name {consts}")
    assert not bad, "engine/sgp4/__init__.py branches on the backend by hand:\n" + "\n".join(bad)


def test_the_module_an_implementation_call_reaches():
    assert _backend.implementation("engine.sgp4", "numpy") is _numpy
    assert _backend.implementation("engine.sgp4", "host") is _cuda
    assert _backend.implementation("engine.sgp4", "cuda") is _cuda


def test_no_foundation_module_imports_the_capability():
    """Every import statement (function-local ones too) of the foundation modules."""
    bad = []
    for stem in FOUNDATION:
        path = ROOT / f"{stem}.py"
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom):
                mods = [node.module or ""] + [f"{node.module or ''}.{a.name}" for a in node.names]
                if node.level:  # relative to engine: "from .sgp4 import x", "from . import sgp4"
                    mods = [f"engine.{m.lstrip('.')}" for m in mods]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            else:
                continue
            if any(m.startswith("engine.sgp4") or m.startswith("engine._sgp4") for m in mods):
                bad.append(f"{path.name}:{node.lineno} imports {mods}")
    assert not bad, "foundation modules import engine.sgp4:\n" + "\n".join(bad)


def test_capability_modules_do_not_import_the_catalog_nor_their_own_init():
    files = sorted((ROOT / "sgp4").glob("*.py"))
    assert {p.stem for p in files} >= {"__init__", "_numpy", "_cuda"}, files
    for path in files:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom):
                target = node.module or ""
                assert "catalog" not in target, f"{path.name}:{node.lineno} imports the catalogue"
                if path.stem != "__init__" and node.level == 1 and not target:
                    # `from . import name`: only sibling modules, never a name of the __init__
                    names = [a.name for a in node.names]
                    assert all((path.parent / f"{n}.py").is_file() for n in names), \
                        f"{path.name}:{node.lineno} imports {names} from engine.sgp4's __init__"
            elif isinstance(node, ast.Import):
                assert not any("catalog" in a.name for a in node.names), path.name


def test_engine_sgp4_and_python_sgp4_are_both_importable():
    """The subpackage shares its last name with the third-party python-sgp4; absolute imports
    keep them apart."""
    import sgp4 as python_sgp4
    from sgp4.api import Satrec

    assert Path(engine.sgp4.__file__).resolve() == INIT
    assert Satrec.__module__.split(".")[0] == "sgp4"
    assert not Path(python_sgp4.__file__).resolve().is_relative_to(ROOT)
    assert Satrec.twoline2rv is not None and engine.sgp4.propagate_jd is not None


def test_old_public_names_still_importable():
    from engine.sgp4 import (InsufficientMemoryError, check_memory, memory_available, propagate_jd,
                             propagate_tsince)

    assert check_memory is _memory.check_memory and memory_available is _memory.memory_available
    assert InsufficientMemoryError is engine.errors.InsufficientMemoryError
    assert callable(propagate_jd) and callable(propagate_tsince)


def test_memory_available_patched_once_reaches_every_user(monkeypatch):
    """The host executor and check_memory ask engine._memory, so one patch there is seen by both
    (the executor used to ask engine.sgp4, a capability above it)."""
    monkeypatch.setattr(_memory, "memory_available", lambda: 3 * 2**20)
    assert _hostexec.executor("host").mem_info() == (3 * 2**20, 3 * 2**20)
    with pytest.raises(engine.errors.InsufficientMemoryError) as ei:
        engine.sgp4.check_memory(1000, 1000, 49, what="test")
    assert ei.value.available_bytes == 3 * 2**20 and ei.value.need_bytes == 49_000_000


def test_numpy_propagate_rejects_what_the_launcher_rejects():
    """The shared interface's argument errors, raised before any work, on the NumPy side."""
    from randomsets import elements_of, random_satrecs

    model = _numpy.init(elements_of(random_satrecs(3, 5)))
    with pytest.raises(ValueError, match="give either tsince"):
        _numpy.propagate(model)
    with pytest.raises(ValueError, match="give either tsince"):
        _numpy.propagate(model, np.zeros(2), jd=np.zeros(2), fr=np.zeros(2))
    with pytest.raises(ValueError, match="jd= needs fr="):
        _numpy.propagate(model, jd=np.zeros(2))
    with pytest.raises(ValueError, match="float64 only"):
        _numpy.propagate(model, tsince=np.zeros(2), dtype=np.float32)
    with pytest.raises(ValueError, match="float64 only"):
        _numpy.init(elements_of(random_satrecs(3, 5)), dtype=np.float32)
