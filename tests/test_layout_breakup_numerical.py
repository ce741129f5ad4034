"""The breakup and numerical (Cowell) subpackages keep the capability layout of issue 15:
the public __init__ reaches its backends only through engine._backend.implementation, the
NumPy implementation and the launcher expose the names it calls with the same signatures,
and no private module imports its package's __init__ or hides an import in a function.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import engine

ROOT = Path(engine.__file__).resolve().parent
#: capability -> the names its __init__ calls on the implementation module
DISPATCHED = {"engine.breakup": {"sample_size", "sample_dv"},
              "engine.numerical": {"propagate_states"}}
CAPS = sorted(DISPATCHED)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _package_dir(cap: str) -> Path:
    return ROOT / cap.split(".", 1)[1]


@pytest.mark.parametrize("cap", CAPS)
def test_both_implementations_define_the_dispatched_names_with_one_signature(cap):
    numpy_impl = importlib.import_module(f"{cap}._numpy")
    cuda_impl = importlib.import_module(f"{cap}._cuda")   # imports no CuPy (the executor does, lazily)
    for name in sorted(DISPATCHED[cap]):
        a, b = getattr(numpy_impl, name), getattr(cuda_impl, name)
        assert inspect.signature(a) == inspect.signature(b), (
            f"{cap}: _numpy.{name}{inspect.signature(a)} != _cuda.{name}{inspect.signature(b)}")
        for param in ("backend", "threads"):
            assert param in inspect.signature(a).parameters, f"{cap}.{name} takes no {param}="


def _implementation_calls(tree: ast.Module) -> set[str]:
    """Attributes called on `_backend.implementation(...)`."""
    out = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "implementation"):
            out.add(node.attr)
    return out


@pytest.mark.parametrize("cap", CAPS)
def test_init_dispatches_only_through_backend_implementation(cap):
    path = _package_dir(cap) / "__init__.py"
    tree = _tree(path)
    assert _implementation_calls(tree) == DISPATCHED[cap]
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if getattr(node, "module", None) else [])
            if any(n in ("_numpy", "_cuda", "cupy") or n.endswith((".cupy", "._cuda", "._numpy"))
                   or n.startswith("cupy") for n in names):
                bad.append(f"line {node.lineno}: imports {names}")
        # no hand-written backend branch: the backend names only reach _backend
        if isinstance(node, ast.Compare) and any(
                isinstance(c, ast.Constant) and c.value in ("cuda", "host", "numpy")
                for c in [node.left, *node.comparators]):
            bad.append(f"line {node.lineno}: compares with a backend name")
        if isinstance(node, ast.Attribute) and (node.attr == "KERNEL_BACKENDS" or (
                node.attr == "xp" and cap == "engine.numerical")):
            bad.append(f"line {node.lineno}: uses _backend.{node.attr}")
    assert not bad, f"{path.name} of {cap}:\n" + "\n".join(bad)


def _modules(cap: str):
    for path in sorted(_package_dir(cap).glob("*.py")):
        yield path, cap if path.stem == "__init__" else f"{cap}.{path.stem}"


@pytest.mark.parametrize("cap", CAPS)
def test_no_function_local_imports(cap):
    """Every import of the subpackage runs at module level (none is optional here: CuPy is
    the executor's, engine._hostexec, and _backend's)."""
    bad = []
    for path, _ in _modules(cap):
        for fn in ast.walk(_tree(path)):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                bad += [f"{path.name}:{n.lineno} in {fn.name}()" for n in ast.walk(fn)
                        if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not bad, "function-local imports:\n" + "\n".join(bad)


@pytest.mark.parametrize("cap", CAPS)
def test_private_modules_never_import_their_package_init(cap):
    """`from . import name` must name a submodule; `from .. import` / `from engine import` of
    the capability itself would run its __init__ from inside it (a cycle)."""
    pkg = cap.rsplit(".", 1)[1]
    subs = {p.stem for p in _package_dir(cap).glob("*.py")}
    bad = []
    for path, name in _modules(cap):
        if path.stem == "__init__":
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom):
                names = [a.name for a in node.names]
                if node.level == 1 and node.module is None and not set(names) <= subs:
                    bad.append(f"{path.name}:{node.lineno} from . import {names}")
                if node.level == 2 and node.module is None and pkg in names:
                    bad.append(f"{path.name}:{node.lineno} from .. import {pkg}")
                if node.level == 0 and node.module in (cap, "engine") and (node.module == cap or pkg in names):
                    bad.append(f"{path.name}:{node.lineno} imports {cap}")
    assert not bad, "\n".join(bad)
