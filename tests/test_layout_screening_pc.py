"""The screening and pc subpackages (issue 15): one backend switch, the same names on both
implementations, no private module importing its package.

Each public function resolves the backend once and calls
``_backend.implementation(__name__, name).<fn>``; what it calls there must exist, with the
same signature, in both ``_numpy`` (backend "numpy") and ``_cuda`` (the launcher, backends
"cuda" and "host"), or a backend fails only on the machine that has it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

CAPABILITIES = ("engine.screening", "engine.pc")


def _tree(module: str) -> tuple[ast.Module, Path]:
    path = Path(importlib.import_module(module).__file__)
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), path


def _is_implementation_call(node) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "implementation")


def dispatched_names(tree: ast.Module) -> set[str]:
    """Attributes taken from ``_backend.implementation(...)``: directly on the call, or on a
    name bound to it (``impl = _backend.implementation(...)``, and parameters named impl)."""
    bound = {"impl"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_implementation_call(node.value):
            bound.update(t.id for t in node.targets if isinstance(t, ast.Name))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if _is_implementation_call(node.value) or (isinstance(node.value, ast.Name) and node.value.id in bound):
                out.add(node.attr)
    return out


@pytest.mark.parametrize("cap", CAPABILITIES)
def test_both_implementations_define_what_the_package_calls(cap):
    tree, _ = _tree(cap)
    names = dispatched_names(tree)
    assert names, f"{cap} dispatches nothing through _backend.implementation"
    mods = {suffix: importlib.import_module(f"{cap}.{suffix}") for suffix in ("_numpy", "_cuda")}
    for name in sorted(names):
        objs = {}
        for suffix, mod in mods.items():
            assert hasattr(mod, name), f"{cap}.{suffix} lacks {name}, which {cap} calls"
            objs[suffix] = getattr(mod, name)
        if callable(objs["_numpy"]):
            # names, kinds and defaults (annotations name each side's array type)
            sig = {k: [(p.name, p.kind, p.default) for p in inspect.signature(o).parameters.values()]
                   for k, o in objs.items()}
            assert sig["_numpy"] == sig["_cuda"], (cap, name, sig)
        else:
            assert type(objs["_numpy"]) is type(objs["_cuda"]), (cap, name)


@pytest.mark.parametrize("cap", CAPABILITIES)
def test_the_package_branches_on_no_backend_by_hand(cap):
    """No import of an implementation module or of CuPy, and no comparison with a backend
    name, in the package's __init__: the switch is _backend.implementation."""
    tree, path = _tree(cap)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            names = [a.name for a in node.names]
            if mod.split(".")[-1] in ("_numpy", "_cuda") or {"_numpy", "_cuda"} & set(names) or "cupy" in mod:
                bad.append(f"line {node.lineno}: from {mod} import {', '.join(names)}")
        elif isinstance(node, ast.Import) and any("cupy" in a.name for a in node.names):
            bad.append(f"line {node.lineno}: import cupy")
        elif isinstance(node, ast.Compare):
            consts = [c.value for c in [node.left, *node.comparators] if isinstance(c, ast.Constant)]
            if {"cuda", "host"} & set(c for c in consts if isinstance(c, str)):
                bad.append(f"line {node.lineno}: compares with a backend name")
    assert not bad, f"{path.name} of {cap} branches on the backend by hand:\n" + "\n".join(bad)


@pytest.mark.parametrize("cap", CAPABILITIES)
def test_private_modules_do_not_import_their_package(cap):
    """engine/<cap>/_x.py imports siblings (from ._y import ...), never names of <cap> itself
    (from . import name, from engine.<cap> import name): that would be a cycle through __init__."""
    pkg = Path(importlib.import_module(cap).__file__).parent
    subs = {p.stem for p in pkg.glob("*.py")}
    assert {"_numpy", "_cuda"} <= subs
    bad = []
    for path in sorted(pkg.glob("_*.py")):
        if path.stem == "__init__":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level == 1 and node.module is None and any(a.name not in subs for a in node.names):
                bad.append(f"{path.name}:{node.lineno}")
            if node.level == 0 and node.module == cap:
                bad.append(f"{path.name}:{node.lineno}")
    assert not bad, f"private modules of {cap} import the package: {bad}"


def test_pc_does_not_import_screening():
    """screening's table computes Pc with engine.pc, so pc sits below it and recognises a
    Conjunctions table by its columns."""
    import engine
    from engine import pc

    pkg = Path(pc.__file__).parent
    for path in pkg.glob("*.py"):
        src = path.read_text(encoding="utf-8")
        assert "screening" not in "".join(
            ast.unparse(n) for n in ast.walk(ast.parse(src)) if isinstance(n, (ast.Import, ast.ImportFrom))), path
    conj = engine.Conjunctions(**{k: [] for k in engine.Conjunctions.FIELDS})
    assert pc._is_conjunctions(conj)
