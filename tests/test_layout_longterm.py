"""The layout of engine.longterm (issue 15), read from the source with ast: the public
functions and the backend dispatch in __init__, one implementation per backend with the
same names (_numpy; _cuda, the launcher serving "cuda" and "host"), shared pieces in
private modules that never import the package's __init__, and no import upward.
"""

from __future__ import annotations

import ast
import inspect

from test_layout import ROOT, _imports, _targets

import engine.longterm as lt
from engine.longterm import _cuda, _numpy

PKG = "engine.longterm"
DIR = ROOT / "longterm"
#: the only names __init__ calls on the implementation module _backend hands it
DISPATCHED = {"run"}
#: modules above the science layer: longterm must not import them (data flows down)
UPPER = ("engine.exposure", "engine.scenario", "engine.report", "engine.plots", "engine.dask",
         "engine.outofcore", "engine.bench", "engine.cli")


def _tree(stem: str) -> ast.Module:
    path = DIR / f"{stem}.py"
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _name(stem: str) -> str:
    return PKG if stem == "__init__" else f"{PKG}.{stem}"


def _all_targets(stem: str) -> list[tuple[int, str]]:
    return [(node.lineno, t) for node in _imports(_tree(stem), module_level=False) for t in _targets(node, _name(stem))]


def test_both_implementations_define_what_init_dispatches_with_one_signature():
    for name in DISPATCHED:
        a, b = getattr(_numpy, name), getattr(_cuda, name)
        pa, pb = inspect.signature(a).parameters, inspect.signature(b).parameters
        assert list(pa) == list(pb), f"{name}: {list(pa)} != {list(pb)}"
        for k in pa:
            assert pa[k].kind == pb[k].kind, f"{name}({k}): {pa[k].kind} != {pb[k].kind}"
            if k != "backend":   # each module's default is its own backend
                assert pa[k].default == pb[k].default, f"{name}({k}) defaults differ"


def test_init_dispatches_through_backend_only():
    """__init__ imports neither implementation nor CuPy, and calls only DISPATCHED on the
    module that _backend.implementation(__name__, ...) returns."""
    tree = _tree("__init__")
    targets = {t for _, t in _all_targets("__init__")}
    assert not targets & {f"{PKG}._numpy", f"{PKG}._cuda"}, targets
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "cupy" not in imported
    called = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "implementation"):
            assert isinstance(node.value.args[0], ast.Name) and node.value.args[0].id == "__name__"
            called.add(node.attr)
    assert called == DISPATCHED, called
    # and no branch on the backend's name by hand
    src = (DIR / "__init__.py").read_text(encoding="utf-8")
    assert 'be == "cuda"' not in src and "KERNEL_BACKENDS" not in src


def test_private_modules_never_import_the_package_init_nor_upward():
    bad = []
    for path in sorted(DIR.glob("*.py")):
        stem = path.stem
        for line, t in _all_targets(stem):
            if stem != "__init__" and t == PKG:
                bad.append(f"{path.name}:{line} imports {PKG} (its __init__): a cycle")
            if t == "engine" or any(t == u or t.startswith(u + ".") for u in UPPER):
                bad.append(f"{path.name}:{line} imports {t}, above longterm")
        for node in ast.walk(_tree(stem)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(m.split(".")[0] == "cupy" for m in mods):
                    bad.append(f"{path.name}:{node.lineno} imports CuPy (the executor owns it)")
    assert not bad, "\n".join(bad)


def test_no_function_local_imports():
    """Every import of the subpackage runs at module level (optional dependencies are reached
    through engine.atmosphere._require and the executors)."""
    local = []
    for path in sorted(DIR.glob("*.py")):
        tree = _tree(path.stem)
        top = set(map(id, _imports(tree, module_level=True)))
        local += [f"{path.name}:{n.lineno}" for n in _imports(tree, module_level=False) if id(n) not in top]
    assert not local, local


def test_public_names_of_the_single_module_still_import():
    """Every public name the single engine/longterm.py defined, from engine.longterm."""
    names = ("AFTER_STOP BELOW_AT_EPOCH BIN_DAYS BLOCK DAY_S ELEMENTS H_ABOVE_KM H_CAP_KM IN_ORBIT J2 "
             "LOCAL_SAMPLES LOCAL_SPAN_S MAX_STEPS MAX_STEPS_PER_OBJECT MU NEGATIVE_BSTAR NODE_CLASSES "
             "NOT_ORBITING NRLMSIS_NAMES OMEGA_EARTH REENTERED RETRIES RHO0_SGP4 R_EQ STATUS_MESSAGES "
             "STEP_DAYS_STATIC STEP_DAYS_VARYING STEP_FAILED STEP_LIMIT X_MAX DecayResult atmosphere_table "
             "decay local_density_ratio matched_ballistic mean_elements_from_states nodes_for "
             "osculating_elements perigee_scale_height quadrature_nodes").split()
    missing = [n for n in names if not hasattr(lt, n)]
    assert not missing, missing
    assert set(lt.__all__) == set(names)
