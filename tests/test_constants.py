"""engine.constants: each Earth model value written once, equal to its source, to every
kernel header that writes it, and to what each module used before it took it from here."""

import io
import math
import re
import tokenize
from pathlib import Path

import pytest
import sgp4.earth_gravity

import engine
from engine import constants as C
from engine._kernels import kernel_dir

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def _eval(expr: str) -> float:
    """A C constant expression made of numbers, * and / (1.0 / 298.257223563)."""
    expr = expr.strip()
    assert re.fullmatch(rf"(?:{_NUMBER}|[\s*/()])+", expr), expr
    return float(eval(expr, {"__builtins__": {}}))  # numbers and * / only (checked above)


def _model_table() -> dict[str, float]:
    """The de_model namespace of kernels/common.cuh: name -> value."""
    text = (kernel_dir() / "common.cuh").read_text()
    body = re.search(r"namespace de_model \{(.*?)\}  // namespace de_model", text, re.S).group(1)
    return {m[0]: _eval(m[1]) for m in re.findall(r"constexpr\s+double\s+(\w+)\s*=\s*([^;]+);", body)}


def _constexprs(header: str) -> dict[str, float]:
    """constexpr doubles of a header: numbers, or a de_model:: name of common.cuh."""
    model = _model_table()
    text = (kernel_dir() / header).read_text()
    out = {}
    for name, expr in re.findall(r"constexpr\s+double\s+(\w+)\s*=\s*([^;]+);", text):
        ref = re.fullmatch(r"\s*de_model::(\w+)\s*", expr)
        out[name] = model[ref.group(1)] if ref else _eval(expr)
    return out


def test_common_header_models_are_constants():
    """kernels/common.cuh's de_model holds each model value once, under engine.constants' names."""
    model = _model_table()
    assert model and all(model[k] == getattr(C, k) for k in model), {k: (v, getattr(C, k, None))
                                                                     for k, v in model.items()}


def test_no_model_value_written_in_another_header():
    """Outside common.cuh's de_model (and SGP4's own sets in sgp4.cuh's gravconst), no kernel
    header or source writes an Earth model value as a number: they name de_model's."""
    found = []
    for path in sorted(kernel_dir().rglob("*.cu*")):
        text = path.read_text()
        if path.name == "common.cuh":
            text = re.sub(r"namespace de_model \{.*?\}  // namespace de_model", "", text, flags=re.S)
        if path.name == "sgp4.cuh":
            text = re.sub(r"GravConst gravconst\(int whichconst\) \{.*?\n\}", "", text, flags=re.S)
        code = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
        for number in re.findall(_NUMBER, code):
            try:
                value = float(number)
            except ValueError:
                continue
            if value in _MODEL_VALUES:
                found.append(f"{path.name}: {number}")
    assert not found, found


@pytest.mark.parametrize("name", ["wgs72old", "wgs72", "wgs84"])
def test_sgp4_sets_are_python_sgp4s(name):
    """python-sgp4's earth_gravity is Vallado's getgravconst: every field, bit for bit."""
    ours, ref = C.SGP4_GRAVITY[name], getattr(sgp4.earth_gravity, name)
    for field in ref._fields:
        assert getattr(ours, field) == getattr(ref, field), (name, field)


def test_sgp4_header_sets_are_constants():
    text = (kernel_dir() / "sgp4.cuh").read_text()
    body = re.search(r"GravConst gravconst\(int whichconst\) \{(.*?)\n\}", text, re.S).group(1)
    blocks = re.split(r"\bif \(whichconst == WGS72OLD\)|else if \(whichconst == WGS84\)|\} else \{", body)[1:]
    assert len(blocks) == 3
    for name, block in zip(("wgs72old", "wgs84", "wgs72"), blocks):
        values = {k.replace("g.", ""): v for k, v in re.findall(rf"\b((?:g\.)?\w+) = ({_NUMBER});", block)}
        g = C.SGP4_GRAVITY[name]
        assert float(values["mu"]) == g.mu and float(values["radiusearthkm"]) == g.radiusearthkm, name
        assert (float(values["j2"]), float(values["j3"]), float(values["j4"])) == (g.j2, g.j3, g.j4), name
        if "xke" in values:  # wgs72old writes xke out; the others compute it as getgravconst does
            assert float(values["xke"]) == g.xke


def test_cowell_header_is_constants():
    h = _constexprs("cowell.cuh")
    assert h["GM"] == C.EGM2008_GM_KM3_S2 and h["R_EARTH"] == C.EGM2008_R_KM
    assert h["WGS84_A"] == C.WGS84_A_KM and h["WGS84_F"] == C.WGS84_F
    assert h["OMEGA_EARTH"] == C.WGS84_OMEGA_RAD_S and h["R_MOON_UNIT"] == C.WGS84_A_KM
    text = (kernel_dir() / "cowell.cuh").read_text()
    body = re.search(r"double J\[13\] = \{(.*?)\};", text, re.S).group(1)
    cbar = [float(c) for c in re.findall(rf"\*\s*({_NUMBER})", body)]
    assert tuple(cbar) == C.EGM2008_CBAR_N0


def test_longterm_and_pc_headers_are_constants():
    lt = _constexprs("longterm.cuh")
    assert (lt["MU"], lt["J2"], lt["R_EQ"], lt["FLAT"], lt["OMEGA_E"], lt["DAY_S"]) == (
        C.WGS84_GM_KM3_S2, C.EGM96_J2, C.WGS84_A_KM, C.WGS84_F, C.WGS84_OMEGA_RAD_S, C.SECONDS_PER_DAY)
    assert _constexprs("pc.cuh")["GM_EARTH_KM3_S2"] == C.WGS84_GM_KM3_S2


def test_values_against_their_sources():
    # NIMA TR8350.2 table 3.1
    assert (C.WGS84_A_KM, 1.0 / C.WGS84_F, C.WGS84_GM_KM3_S2) == (6378.137, 298.257223563, 398600.4418)
    assert C.WGS84_OMEGA_RAD_S == 7.292115e-5
    # EGM-96 Cbar_20 = -0.484165371736e-3 (Lemoine et al. 1998): J2 = sqrt(5) * 0.484165371736e-3 to 9 digits
    assert abs(C.EGM96_J2 - math.sqrt(5.0) * 0.484165371736e-3) < 5e-12
    # EGM2008 (NGA coefficient file): GM, a, Cbar_20
    assert (C.EGM2008_GM_KM3_S2, C.EGM2008_R_KM, C.EGM2008_CBAR_N0[0]) == (398600.4415, 6378.1363,
                                                                            -0.484165143790815e-03)
    assert C.SECONDS_PER_DAY == 86400.0


def test_modules_keep_their_values_and_name_their_model():
    """Each module constant keeps the value it had (written out here as it was), now taken
    from its model."""
    from engine import _orbits, atmosphere, catalog, frames, longterm, pc, screening
    from engine.numerical import _numpy as _numerical_numpy

    assert (screening.MU_KM3_S2, screening.R_EARTH_KM) == (398600.8, 6378.135)
    assert (_orbits.MU_KM3_S2, _orbits.RE_KM, _orbits.J2, _orbits.J2_WGS84) == (398600.8, 6378.135, 0.001082616,
                                                                                1.08262668e-3)
    assert (longterm.MU, longterm.J2, longterm.R_EQ, longterm.OMEGA_EARTH, longterm.DAY_S, longterm.RHO0_SGP4) == (
        398600.4418, 1.08262668e-3, 6378.137, 7.292115e-5, 86400.0, 0.15696615)
    assert (_numerical_numpy.GM, _numerical_numpy.R_EARTH, _numerical_numpy.OMEGA_EARTH,
            _numerical_numpy.R_MOON_UNIT, _numerical_numpy.WGS84_A) == (398600.4415, 6378.1363, 7.292115e-5,
                                                                        6378.137, 6378.137)
    assert (atmosphere.R_EQ_KM, atmosphere.FLATTENING) == (6378.137, 1.0 / 298.257223563)
    assert pc.GM_EARTH_KM3_S2 == 398600.4418 and frames._SEC_PER_DAY == 86400.0
    assert catalog._GRAV == {(6378.135, 398600.8): "wgs72", (6378.135, 398600.79964): "wgs72old",
                             (6378.137, 398600.5): "wgs84"}
    from engine.sgp4 import _numpy as _sgp4_numpy

    assert _sgp4_numpy.gravity("wgs72") is C.SGP4_WGS72 and _sgp4_numpy.Gravity is C.Gravity
    with pytest.raises(ValueError, match="whichconst must be one of"):
        _sgp4_numpy.gravity("wgs66")


#: Earth model values that must be written only in engine/constants.py (as code: comments
#: and docstrings may quote them)
_MODEL_VALUES = {398600.8, 398600.79964, 398600.5, 398600.4415, 398600.4418, 6378.135, 6378.137, 6378.1363,
                 7.292115e-5, 298.257223563, 1.08262668e-3, 0.001082616, 0.00108262998905, 0.15696615}


def test_no_model_value_written_outside_constants():
    root = Path(engine.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "constants.py" and path.parent == root:
            continue
        text = path.read_text()
        # number tokens only: strings (docstrings) and comments are other token types
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.NUMBER and re.fullmatch(_NUMBER, tok.string) and not tok.string.isdigit():
                if float(tok.string) in _MODEL_VALUES:
                    found.append(f"{path.relative_to(root)}:{tok.start[0]}: {tok.string}")
    assert not found, "Earth model values written outside engine/constants.py:\n" + "\n".join(found)
