"""engine.pc against published values, the host build of kernels/pc.cuh, and Monte Carlo.

Authorities (external, not our outputs):
- Alfano (2009) test cases 1-11, published 2D Pc (Alfano's linear values, used with RelTol
  1e-3 by NASA CARA's Pc2D_Foster_UnitTest / PcCircle_UnitTest). Inputs: the states and RTN
  position covariances at TCA of CARA's AlfanoTestCase01..11 CDMs (DataFiles/SampleCDMs of
  nasa/CARA_Analysis_Tools), copied here as numbers.
- The Omitron case and the other PcCircle_UnitTest vectors (CARA), HBR 0.020 km:
  2.706023476569787e-05 (RelTol 1e-10 there).
- CARA's NPD example: Pc 0 after eigenvalue clipping.
The quadrature itself is also checked against scipy's adaptive quadrature (scipy is a test
dependency only). The host (g++) build of kernels/pc.cuh must agree with the NumPy
implementation to 1e-12 relative; on a GPU the CUDA kernel must too.
"""

from __future__ import annotations

import ctypes
import math
import shutil

import numpy as np
import pytest

from engine import cdm as cdmmod
from engine import pc
from engine.pc import _erf as pc_erf
from engine.pc import _numpy as pc_numpy
from randomsets import random_conjunctions

HOST = shutil.which("g++") is not None
needs_gxx = pytest.mark.skipif(not HOST, reason="g++ not found: the host build of kernels/pc.cuh needs it")

#: relative tolerances with their reason
ALFANO_RTOL = 1e-3       # CARA's own tolerance for these published values
OMITRON_RTOL = 1e-8      # published to 16 digits; ours agrees to ~1e-13
QUADRATURE_RTOL = 1e-10  # documented accuracy of the encounter-plane rule
HOST_RTOL = 1e-12        # NumPy vs the g++ build of kernels/pc.cuh (same math, separate code)

# ---------------------------------------------------------------- published vectors

#: case: (HBR m, obj1 state km/km/s, obj1 RTN position cov (CR_R, CT_R, CT_T, CN_R, CN_T, CN_N) m^2,
#:        obj2 state, obj2 cov)
ALFANO_2009 = {
    1: (15.0,
         (153.446765, 41874.15587, 0.0, 3.066874761, -0.011373615, 0.0),
         (19.88970273925819, -352.4140813027809, 6496.749385722737, 0.0, 0.0, 1.2050395223076),
         (153.447264, 41874.15637, 0.005, 3.066864761, -0.011363615, -1e-09),
         (19.89074842319444, -352.4310089952797, 6496.894829253188, -9.767348673026151e-21,
          6.463165376425425e-19, 1.204674647143796)),
    2: (4.0,
         (153.44618, 41874.155872, 0.0, 3.066874761, -0.011373572, 0.0),
         (19.88970262612387, -352.4140803158783, 6496.749387784603, 0.0, 0.0, 1.2050395210891),
         (153.446679, 41874.156372, 0.005, 3.066864761, -0.011363571, -1e-09),
         (19.8907483099771, -352.4310080076631, 6496.894831316016, -8.716498422838784e-20,
          9.405936919789482e-19, 1.204674645925095)),
    3: (15.0,
         (153.951475, 41874.153995, 0.0, 3.066874624, -0.011411025, 0.0),
         (19.8898003613408, -352.4149328959712, 6496.747606851101, 0.0, 0.0, 1.2050405732107),
         (153.951973, 41874.156745, 0.002752, 3.066864623, -4.4999e-05, -0.011356027),
         (17.46930568576392, -330.5057350225742, 6542.324010830698, -1.279563505801461e-15,
          -4.449721840993348e-13, 1.177810899317289)),
    4: (15.0,
         (-28570.333448, -29444.167192, 0.0, -2.264378699, 2.161395566, 0.0),
         (0.4080844572465061, 46.74493755532058, 6024.200059574752, 0.0, 0.0, 0.045936290392913),
         (-28570.452262, -29444.104464, -0.003758, -2.264369814, 2.161412396, 2.5e-07),
         (0.4078489163619697, 46.72853966111639, 6024.412056804277, 8.207065180527589e-18,
          3.523840694673876e-18, 0.04596631194107787)),
    5: (10.0,
         (6878.090162, -17.948679, -17.948679, 0.028093777, 5.382890206, 5.382890206),
         (0.4777224467280041, -85.19384381202406, 15807.59742365653, 0.0, 0.0, 0.0784589681014019),
         (6878.089162, -17.946679, -17.947678, 0.028393781, 5.383190216, 5.382590208),
         (0.471000764570289, -84.57040115987763, 15808.46029392646, -1.748541090564049e-13,
          -2.121117864684052e-11, 0.07846753355604119)),
    6: (10.0,
         (6877.715634, 53.834214, 53.834214, -0.084262828, 5.382597095, 5.382597095),
         (47.77224465446061, -8519.38437950808, 1580759.742368094, 0.0, 0.0, 3.55102394997467),
         (6877.716634, 53.835214, 53.836214, -0.084162815, 5.382697089, 5.382497065),
         (47.54421287113225, -8498.287373777353, 1580789.400229213, 5.141187961466009e-10,
          -6.830025434112486e-09, 3.551139141711098)),
    7: (10.0,
         (-6877.46917, -67.773184, -67.773184, 0.106080629, -5.382404705, -5.382404705),
         (3451.363822699375, -672755.8503785931, 131602564.2426085, 0.0, 0.0, 355.0903989987834),
         (-6877.468686, -67.775155, -67.775636, 0.10621663, -5.382500695, -5.382300689),
         (3475.004257748021, -675059.4898692167, 131600029.3638659, 5.564041494210414e-08,
          8.331824119522935e-09, 355.1481937268812)),
    8: (4.0,
         (14971.649317, -20270.398212, 4076.385114, 1.012256512, 1.46081147, 3.527393801),
         (2.730011483545464, -77.98527087944655, 2665.962873957034, -6.338020386298382e-13,
          -7.062822549031012e-12, 0.4153963500401933),
         (14971.649363, -20270.399371, 4076.387829, 1.012257401, 1.460811597, 3.52739384),
         (2.729944919062438, -77.98412102927176, 2665.964447851581, -6.731837309814637e-12,
          1.225114454328491e-11, 0.4153969295672138)),
    9: (6.0,
         (-5532.700658, 20132.673958, 40010.548546, -1.450945128, -0.311608572, -0.671301913),
         (10.20887925177703, -27.55254218552751, 74.70382860526989, 2.171526847227767e-14,
          1.976582959806184e-13, 0.04300813243978246),
         (-5532.694017, 20132.676507, 40010.553862, -1.450946508, -0.311607857, -0.671300532),
         (10.20890130430932, -27.55270298941628, 74.7045323127669, -1.325051179890124e-13,
          3.318135696761537e-13, 0.0430074450994616)),
    10: (6.0,
         (-5532.700658, 20132.673958, 40010.548546, -1.450945128, -0.311608572, -0.671301913),
         (10.20887925177703, -27.55254218552751, 74.70382860526989, 2.171526847227767e-14,
          1.976582959806184e-13, 0.04300813243978246),
         (-5532.694017, 20132.676507, 40010.553862, -1.450946508, -0.311607857, -0.671300532),
         (10.20890130430932, -27.55270298941628, 74.7045323127669, -1.325051179890124e-13,
          3.318135696761537e-13, 0.0430074450994616)),
    11: (4.0,
         (1315.785816, 6751.109263, 0.0, -7.472015976, 1.45628996, 0.0),
         (27.41843786640948, -4036.901902356651, 696522.2505462344, 0.0, 0.0, 0.15424708214425),
         (1315.711095, 6751.123825, 0.0, -7.472032094, 1.45620726, 0.0),
         (27.41843786543052, -4036.90190233363, 696522.2505447816, 0.0, 0.0, 0.15424708214409)),
}
#: Alfano (2009) published 2D (linear-motion) Pc, as listed by CARA's unit tests
ALFANO_2009_PC2D = {1: 0.146749549, 2: 0.006222267, 3: 0.100351176, 4: 0.049323406, 5: 0.044487386,
                    6: 0.004335455, 7: 0.000158147, 8: 0.036948008, 9: 0.290146291, 10: 0.290146291,
                    11: 0.002672026}
#: Alfano (2009) / CARA Monte Carlo (1e8 trials): 2D is within 0.5 % of MC in cases 3 and 5 (these
#: must not be flagged LONG/OFFSET) and 20-150 % off in cases 1, 2, 4, 8-11 (these must carry a
#: usage flag); cases 6 and 7 (within 2 %, slow and long) are not asserted either way
ALFANO_2D_VALID = {3, 5}
ALFANO_2D_FAILS = {1, 2, 4, 8, 9, 10, 11}

OMITRON = dict(
    r1=[378.39559, 4305.721887, 5752.767554], v1=[2.360800244, 5.580331936, -4.322349039],
    cov1=[[44.5757544811362, 81.6751751052616, -67.8687662707124],
          [81.6751751052616, 158.453402956163, -128.616921644857],
          [-67.8687662707124, -128.616921644858, 105.490542562701]],
    r2=[374.5180598, 4307.560983, 5751.130418], v2=[-5.388125081, -3.946827739, 3.322820358],
    cov2=[[2.31067077720423, 1.69905293875632, -1.4170164577661],
          [1.69905293875632, 1.24957388457206, -1.04174164279599],
          [-1.4170164577661, -1.04174164279599, 0.869260558223714]],
    hbr_km=0.020)
OMITRON_PC = 2.706023476569787e-05

#: CARA PcCircle_UnitTest testOmitronCase2 (km units); Pc 1.807363058494765e-01
CASE2 = dict(
    r1=[-3239.128337196251, 2404.575152356222, 5703.228541709001],
    v1=[-3.745768373154199, 5.012339015927846, -4.231864565717194],
    cov1=(np.array([[0.342072996423899, -0.412677096778269, 0.371500417511149],
                    [-0.412677096778269, 0.609905946319294, -0.540401385544286],
                    [0.371500417511149, -0.540401385544286, 0.521238634755377]]) * 1e-3).tolist(),
    r2=[-3239.138264917246, 2404.568320465936, 5703.235605231182],
    v2=[6.110192790100711, -1.767321407894830, 4.140369261741708],
    cov2=[[0.028351300975134, -0.008204103437377, 0.019253747960155],
          [-0.008204103437377, 0.002404377774847, -0.005586512197914],
          [0.019253747960155, -0.005586512197914, 0.013289250260317]],
    hbr_km=0.020)
CASE2_PC = 1.807363058494765e-01

#: CARA PcCircle_UnitTest testNPDCovariance, given in metres; Pc 0 after clipping
NPD_CASE = dict(
    r1=np.array([-6711923.276204407, 2115987.639388162, 596903.033311516]) / 1e3,
    v1=np.array([-3633.024009735033, -8343.876216289187, 1529.269073307224]) / 1e3,
    cov1=np.array([[10651.06865424844, 25162.51806981900, -4653.47179860534],
                   [25162.51806981901, 61873.55078822979, -11370.63814221593],
                   [-4653.47179860534, -11370.63814221593, 2108.71780971058]]) / 1e6,
    r2=np.array([-6703689.997789211, 2066645.266249834, 601175.621383896]) / 1e3,
    v2=np.array([-499.951545210059, -8271.763735723972, -3673.287518932014]) / 1e3,
    cov2=np.array([[38324418857.201, 409236977944.646, 182366534533.406],
                   [409236977944.646, 4369926131386.673, 1947351616381.380],
                   [182366534533.406, 1947351616381.380, 867790027954.990]]) / 1e6,
    hbr_km=52.84e-3)

#: CARA PcCircle_UnitTest testMultipleElements (metres -> km): one geometry, HBR 0 .. inf.
#: CARA evaluates HBR >= 1 km with an adaptive integral at RelTol 1e-6 over +-5 sigma, so
#: those published digits carry ~1e-4 relative error; we check them at 5e-4, the others at 1e-7.
SWEEP = dict(
    r1=np.array([-6.227006552549310e+06, -3.000839638747010e+06, -1.932569099062626e+05]) / 1e3,
    v1=np.array([2.983983865443772e+03, -5.973188938878403e+03, -3.622262843716804e+03]) / 1e3,
    cov1=np.array([[2.329248149898317e+04, -4.624097512511387e+04, -2.810352472705708e+04],
                   [-4.624097512511387e+04, 9.189373058443272e+04, 5.583858286675660e+04],
                   [-2.810352472705708e+04, 5.583858286675660e+04, 3.396506000245927e+04]]) / 1e6,
    r2=np.array([-6.231009268962734e+06, -2.993196148130401e+06, -1.761401651747054e+05]) / 1e3,
    v2=np.array([-3.255968208692156e+02, 9.946514541875586e+02, -7.507340539210305e+03]) / 1e3,
    cov2=np.array([[3.689149893147051e+07, -1.200669748208798e+08, 9.002535247181211e+08],
                   [-1.200669748208798e+08, 3.907735722225543e+08, -2.929990982074453e+09],
                   [9.002535247181211e+08, -2.929990982074453e+09, 2.196888928197153e+10]]) / 1e6)
SWEEP_HBR_KM = np.array([0, 1e1, 1e2, 1e3, 3e3, 1e4, 3e4, np.inf]) / 1e3
SWEEP_PC = np.array([0, 2.514939701718358e-15, 1.232312816404174e-05, 6.343318773183237e-03,
                     1.917884657463699e-02, 6.389821634646267e-02, 1.900663422510684e-01, 1.0])
SWEEP_RTOL = np.array([0, 1e-7, 1e-7, 5e-4, 5e-4, 5e-4, 5e-4, 0])


def _worst(name, ours, ref):
    rel = np.abs(np.asarray(ours) / np.asarray(ref) - 1)
    i = int(np.nanargmax(rel))
    return f"{name}: worst rel. error {rel[i]:.3e} at index {i} (ours {np.ravel(ours)[i]!r}, ref {np.ravel(ref)[i]!r})"


def alfano_cdm(case: int) -> cdmmod.CDM:
    """A CDM of our own making holding Alfano case `case` (velocity covariance zero)."""
    hbr, s1, c1, s2, c2 = ALFANO_2009[case]
    cdm = cdmmod.CDM(
        header={"CCSDS_CDM_VERS": "1.0", "CREATION_DATE": "2000-01-01T00:00:00.000",
                "ORIGINATOR": "TEST", "MESSAGE_ID": f"ALFANO_2009_{case:02d}"},
        relative={"TCA": "2000-01-01T00:00:00.000", "MISS_DISTANCE": 0.0},
        comments={"header": [], "relative": [f"HBR = {hbr} [m]"]})
    for label, st, cv in (("OBJECT1", s1, c1), ("OBJECT2", s2, c2)):
        cov = {k: 0.0 for k in cdmmod.COVARIANCE_6X6_KEYWORDS}
        cov.update(zip(("CR_R", "CT_R", "CT_T", "CN_R", "CN_T", "CN_N"), cv))
        obj = cdmmod.CdmObject(
            metadata={"OBJECT": label, "OBJECT_DESIGNATOR": "0", "CATALOG_NAME": "SATCAT", "OBJECT_NAME": "A09",
                      "INTERNATIONAL_DESIGNATOR": "UNKNOWN", "EPHEMERIS_NAME": "NONE",
                      "COVARIANCE_METHOD": "CALCULATED", "MANEUVERABLE": "N/A", "REF_FRAME": "EME2000"},
            state=np.array(st), covariance=cov)
        cdm.objects.append(obj)
    return cdm


# ---------------------------------------------------------------- published values


@pytest.mark.parametrize("case", sorted(ALFANO_2009))
def test_alfano_2009_published_2d(case, tmp_path):
    path = tmp_path / f"alfano{case:02d}.cdm"
    cdmmod.write(alfano_cdm(case), path)
    res = pc.from_cdm(cdmmod.read(path), backend="numpy")
    ref = ALFANO_2009_PC2D[case]
    assert abs(res.pc[0] / ref - 1) < ALFANO_RTOL, _worst(f"Alfano case {case}", res.pc, [ref])
    names = res.flag_names(0)
    if case in ALFANO_2D_VALID:
        assert "LONG" not in names and "OFFSET" not in names, names
    elif case in ALFANO_2D_FAILS:  # 2D is 20-150 % off the Monte Carlo truth: the result must say so
        assert {"SLOW", "LONG", "OFFSET"} & set(names), f"case {case}: no usage flag, got {names}"


def test_omitron_published(backend):
    res = pc.foster(**OMITRON, backend=backend)
    got = float(pc._backend.to_host(res.pc)[0])
    assert abs(got / OMITRON_PC - 1) < OMITRON_RTOL, _worst("Omitron", [got], [OMITRON_PC])
    assert int(pc._backend.to_host(res.flags)[0]) == 0


def test_cara_case2_and_6x6_input(backend):
    res = pc.foster(**CASE2, backend=backend)
    assert abs(float(pc._backend.to_host(res.pc)[0]) / CASE2_PC - 1) < OMITRON_RTOL
    big = {k: v for k, v in CASE2.items()}
    for k in ("cov1", "cov2"):  # a 6x6 covariance uses its position block
        c6 = np.eye(6) * 1e-6
        c6[:3, :3] = CASE2[k]
        big[k] = c6
    res6 = pc.foster(**big, backend=backend)
    assert pc._backend.to_host(res6.pc)[0] == pc._backend.to_host(res.pc)[0]


def test_hbr_sweep_published(backend):
    res = pc.foster(**SWEEP, hbr_km=SWEEP_HBR_KM, backend=backend)
    got = pc._backend.to_host(res.pc)
    assert got[0] == 0.0 and got[-1] == 1.0
    rel = np.abs(got[1:-1] / SWEEP_PC[1:-1] - 1)
    assert np.all(rel < SWEEP_RTOL[1:-1]), _worst("HBR sweep", got[1:-1], SWEEP_PC[1:-1])


def test_npd_covariance_flagged_and_remediated(backend):
    res = pc.foster(**NPD_CASE, backend=backend)
    assert pc._backend.to_host(res.pc)[0] == pytest.approx(0.0, abs=1e-10)
    assert "NPD" in res.flag_names(0)
    # the same geometry with a healthy covariance is not flagged
    ok = dict(NPD_CASE, cov2=np.eye(3) * 1e-2)
    assert "NPD" not in pc.foster(**ok, backend=backend).flag_names(0)


def test_npd_clipping_level_is_cara_fclip():
    """A negative-variance direction is clipped to (1e-4 HBR)^2: Pc equals that of the clipped
    matrix. (A zero variance is a collapsed covariance: exact limit, tests at the end.)"""
    r1, v1 = np.array([7000.0, 0, 0]), np.array([0, 7.5, 0])
    r2, v2 = r1 + [0.005, 0, 0], np.array([0, 0, 7.5])
    hbr = 0.01
    cov_npd = np.diag([-1e-12, 0.0, 4e-4])       # radial variance < 0: NPD in the plane
    cov_clip = np.diag([(1e-4 * hbr) ** 2, 0.0, 4e-4])
    a = pc.foster(r1, v1, cov_npd, r2, v2, np.zeros((3, 3)), hbr, backend="numpy")
    b = pc.foster(r1, v1, cov_clip, r2, v2, np.zeros((3, 3)), hbr, backend="numpy")
    assert "NPD" in a.flag_names(0)
    assert a.pc[0] == pytest.approx(b.pc[0], rel=1e-12)
    assert a.sigma_minor_km[0] == pytest.approx(1e-4 * hbr, rel=1e-12)


def test_slow_and_zero_speed():
    res = pc.foster(OMITRON["r1"], OMITRON["v1"], OMITRON["cov1"], OMITRON["r2"],
                    [OMITRON["v1"], np.add(OMITRON["v1"], [0.0, 0.005, 0.0])],
                    OMITRON["cov2"], OMITRON["hbr_km"], backend="numpy")
    assert math.isnan(res.pc[0]) and "SLOW" in res.flag_names(0)
    assert np.isfinite(res.pc[1]) and "SLOW" in res.flag_names(1)


def test_assumed_covariance_flag():
    cov = pc.default_covariance(OMITRON["r2"], OMITRON["v2"], age_days=1.0)
    assert isinstance(cov, pc.AssumedCovariance)
    res = pc.foster(OMITRON["r1"], OMITRON["v1"], OMITRON["cov1"], OMITRON["r2"], OMITRON["v2"], cov,
                    OMITRON["hbr_km"], backend="numpy")
    assert "ASSUMED_COVARIANCE" in res.flag_names(0)
    res = pc.foster(**OMITRON, assumed=True, backend="numpy")
    assert res.flag_names(0) == ["ASSUMED_COVARIANCE"]


def test_default_covariance_rtn_sigmas():
    r, v = np.array([6778.0, 0, 0]), np.array([0, 4.8, 6.0])
    cov = np.asarray(pc.default_covariance(r, v, age_days=2.0))
    q = pc.rtn_basis(r[None], v[None])[0]
    sig = np.sqrt(np.diag(q.T @ cov @ q)) * 1e3
    d = pc.DEFAULT_COVARIANCE
    np.testing.assert_allclose(sig, [d["radial_m"][0] + 2 * d["radial_m"][1],
                                     d["in_track_m"][0] + 2 * d["in_track_m"][1], d["cross_track_m"][0]])


def test_input_errors_name_the_field():
    with pytest.raises(ValueError, match="cov2"):
        pc.foster(**dict(OMITRON, cov2=np.eye(2)))
    with pytest.raises(ValueError, match="hbr_km"):
        pc.foster(**dict(OMITRON, hbr_km=-1.0))
    with pytest.raises(ValueError, match="row counts"):
        pc.foster(**dict(OMITRON, r1=np.zeros((2, 3)), r2=np.ones((3, 3))))


def test_from_cdm_needs_hbr():
    cdm = alfano_cdm(3)
    cdm.comments["relative"] = []
    with pytest.raises(ValueError, match="HBR"):
        pc.from_cdm(cdm)
    assert pc.from_cdm(cdm, hbr_km=0.015, backend="numpy").pc[0] == pytest.approx(ALFANO_2009_PC2D[3], rel=1e-3)


# ---------------------------------------------------------------- special functions and quadrature


def test_erfc_erf_against_scipy():
    special = pytest.importorskip("scipy.special")
    x = np.concatenate([np.linspace(-6, 6, 2001), np.geomspace(1e-300, 1e-3, 50), np.linspace(6, 26.5, 300)])
    # scipy's erfc forms exp(-x*x) directly: its own error grows as ~x^2 eps in the tail
    tol = 5e-15 + 4e-16 * x * x
    for ours, ref, name in ((pc.erfc(x), special.erfc(x), "erfc"), (pc.erf(x), special.erf(x), "erf")):
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(ours == ref, 0.0, np.abs(ours - ref) / np.abs(ref))
        i = int(np.argmax(rel / tol))
        assert rel[i] <= tol[i], f"{name}: rel. error {rel[i]:.3e} at x = {x[i]!r}"
    integrate = pytest.importorskip("scipy.integrate")
    a = np.array([0.3, 5.0, -5.0, 2.0, 1e-9, 10.0])
    b = np.array([0.1, 4.9, -5.1, -2.0, -1e-9, 9.999999])
    # reference: 2/sqrt(pi) * int_b^a exp(-t^2) dt by adaptive quadrature (no cancellation)
    exact = np.array([2 / math.sqrt(math.pi) * integrate.quad(lambda t: math.exp(-t * t), q, p,
                                                              epsabs=0, epsrel=2e-14)[0]
                      for p, q in zip(a, b)])
    np.testing.assert_allclose(pc_erf._erf_diff(a, b), exact, rtol=1e-12)


def _plane_reference(xm, zm, sx, sz, hbr):
    """Adaptive quadrature (scipy) of the 1-D form over the whole chord range, in theta."""
    integrate = pytest.importorskip("scipy.integrate")
    special = pytest.importorskip("scipy.special")

    def f(t):
        z = zm - hbr * math.cos(t)
        h = hbr * math.sin(t)
        a, b = (xm + h) / (math.sqrt(2) * sx), (xm - h) / (math.sqrt(2) * sx)
        e = special.erfc(b) - special.erfc(a) if b > 0 else special.erf(a) - special.erf(b)
        return h * math.exp(-0.5 * (z / sz) ** 2) * e

    pts = np.linspace(0, math.pi, 65)
    tot = sum(integrate.quad(f, p, q, epsabs=0, epsrel=1e-13, limit=400)[0] for p, q in zip(pts[:-1], pts[1:]))
    return tot / (2 * math.sqrt(2 * math.pi) * sz)


def test_quadrature_against_adaptive_reference():
    """Hard shapes: sigmas 1e-4..1e2 HBR, aspect ratios to 1e4, misses to ~8 sigma (seeded)."""
    rng = np.random.default_rng(20091)
    cases = [(0.0, 1.0, 1e-2, 1e-3, 1.0), (1.0, 0.0, 1e-2, 1e-2, 1.0), (1.0, 0.0, 1e-2, 1e-4, 1.0),
             (0.3, 1.0, 3e-3, 1e-4, 1.0), (0.0, 0.0, 1.0, 1.0, 1.0), (20.0, 0.0, 3.0, 3.0, 1.0)]
    for _ in range(24):
        sx = 10 ** rng.uniform(-2, 2)
        sz = max(sx * 10 ** rng.uniform(-3, 0), 1e-4)
        cases.append((abs(rng.normal()) * max(sx, 1.0) * rng.choice([0.3, 1, 3]),
                      abs(rng.normal()) * max(sz, 1.0) * rng.choice([0.3, 1, 3]), sx, sz, 1.0))
    arr = np.array(cases)
    ours = pc_numpy._pc_plane(*arr.T.copy())
    ref = np.array([_plane_reference(*c) for c in cases])
    keep = ref > 1e-290
    rel = np.abs(ours[keep] / ref[keep] - 1)
    assert rel.max() < QUADRATURE_RTOL, _worst("plane quadrature", ours[keep], ref[keep])


# ---------------------------------------------------------------- Monte Carlo


def test_monte_carlo_agrees_with_published_2d(backend):
    """2D is valid for CARA case 2 (fast, at TCA, no velocity covariance): MC must cover the
    published value, and a wrong HBR must not (the test can fail). On each backend (the
    GPU draws its own stream)."""
    mc = pc.monte_carlo(**CASE2, n_samples=400_000, seed=7, backend=backend)
    assert mc.ci_low[0] <= CASE2_PC <= mc.ci_high[0], (mc.pc, mc.ci_low, mc.ci_high)
    assert mc.ci_high[0] - mc.ci_low[0] < 0.01
    wrong = pc.monte_carlo(**dict(CASE2, hbr_km=0.021), n_samples=400_000, seed=7, backend=backend)
    assert not (wrong.ci_low[0] <= CASE2_PC <= wrong.ci_high[0])


def test_monte_carlo_6x6_and_window():
    """6x6 covariances are sampled in position and velocity; a bounded time window can only
    lose hits against the unbounded straight-line closest approach (same seed, same draws)."""
    big = dict(CASE2)
    for k in ("cov1", "cov2"):
        c6 = np.zeros((6, 6))
        c6[:3, :3] = CASE2[k]
        c6[3:, 3:] = np.eye(3) * 1e-12  # (1 mm/s)^2
        big[k] = c6
    mc = pc.monte_carlo(**big, n_samples=200_000, seed=5)
    assert mc.ci_low[0] <= CASE2_PC <= mc.ci_high[0], (mc.pc, mc.ci_low, mc.ci_high)
    short = pc.monte_carlo(**big, n_samples=200_000, seed=5, window_s=1e-4)
    assert short.hits[0] < mc.hits[0]


def test_monte_carlo_seeded_and_zero_hits():
    a = pc.monte_carlo(**OMITRON, n_samples=50_000, seed=3)
    b = pc.monte_carlo(**OMITRON, n_samples=50_000, seed=3, chunk=4096)
    assert a.hits[0] == b.hits[0]
    tiny = pc.monte_carlo(**dict(OMITRON, hbr_km=1e-4), n_samples=20_000, seed=3)  # Pc ~ 1e-9
    assert tiny.hits[0] == 0 and tiny.ci_low[0] == 0.0
    assert 1e-4 < tiny.ci_high[0] < 3e-4  # Wilson at 0 hits: z^2 / (n + z^2) = 1.9e-4
    with pytest.raises(ValueError, match="backend"):
        pc.monte_carlo(**OMITRON, backend="gpu")


@pytest.mark.parametrize("bad", [1.0, 1.5, -0.1, "0.95", None, True])
def test_monte_carlo_bad_confidence_raises_before_any_trial(monkeypatch, bad):
    """A confidence outside [0, 1) is refused before the trials run (it was found only when
    the interval was formed, after all of them)."""
    def no_trials(*args, **kwargs):
        raise AssertionError("trials started before the arguments were checked")

    monkeypatch.setattr(np.random, "default_rng", no_trials)
    with pytest.raises(ValueError, match=r"confidence must be a number in \[0, 1\)"):
        pc.monte_carlo(**OMITRON, n_samples=1000, seed=3, confidence=bad)


# ---------------------------------------------------------------- host build and CUDA kernel


@pytest.fixture(scope="module")
def host():
    if not HOST:
        pytest.skip("g++ not found: the host build of kernels/pc.cuh needs it")
    from engine._hostbuild import build

    lib = build("pc")
    dp = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
    lib.pc_gl16.argtypes = [dp, dp]
    lib.pc_gl16.restype = None
    lib.pc_flag.argtypes = [ctypes.c_int]
    return lib


def test_host_tables_match(host):
    x, w = np.empty(8), np.empty(8)
    host.pc_gl16(x, w)
    gx, gw = np.polynomial.legendre.leggauss(pc.QUAD_NODES)
    np.testing.assert_allclose(x, gx[8:], rtol=1e-15)
    np.testing.assert_allclose(w, gw[8:], rtol=1e-15)
    bits = [host.pc_flag(k) for k in range(5)]
    assert bits == [pc.FLAG_SLOW, pc.FLAG_LONG, pc.FLAG_NPD, pc.FLAG_ASSUMED_COVARIANCE, pc.FLAG_OFFSET]


def _host_foster(host, r1, v1, c1, r2, v2, c2, hbr):
    """kernels/pc.cu's entry point on the host executor, launched directly (not through
    engine/pc/_cuda.py, the launcher, which test_kernel_matches_numpy covers): one thread per
    conjunction, 64 threads per block."""
    from engine._hostexec import executor

    packed = pc.pack_inputs(r1, v1, r2, v2, c1 + c2, np.asarray(hbr, dtype=np.float64))
    n = packed.shape[0]
    out = np.empty((n, pc.PACKED_OUT))
    flags = np.empty(n, dtype=np.uint8)
    kern = executor("host").kernel("pc.cu", "pc_foster_f64")
    kern(((n + 63) // 64,), (64,), (packed, np.int64(n), out, flags))
    return out, flags


def _compare(name, res, out, flags, rtol):
    cols = ("pc", "miss_km", "speed_km_s", "sigma_major_km", "sigma_minor_km", "extended", "offset")
    for k, col in enumerate(cols):
        ours = np.asarray(pc._backend.to_host(getattr(res, col)))
        ref = out[:, k]
        same = (ours == ref) | (np.isnan(ours) & np.isnan(ref))
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(same, 0.0, np.abs(ours - ref) / np.abs(ref))
        i = int(np.argmax(rel))
        assert rel[i] <= rtol, f"{name} {col}: max rel diff {rel[i]:.3e} at conjunction {i} ({ours[i]!r} vs {ref[i]!r})"
    f = np.asarray(pc._backend.to_host(res.flags))
    bad = np.flatnonzero(f != flags)
    assert bad.size == 0, f"{name} flags differ at {bad[:10].tolist()}: {f[bad[:10]]} vs {flags[bad[:10]]}"


def test_host_build_matches_numpy(host):
    args = random_conjunctions(3000, seed=11)
    res = pc.foster(*args, backend="numpy")
    out, flags = _host_foster(host, *args)
    _compare("host vs numpy", res, out, flags, HOST_RTOL)
    assert np.nanmax(res.pc) > 0.1 and np.nanmin(res.pc) < 1e-30  # the mix spans the range


def test_host_build_published_cases(host):
    for case, ref in ((OMITRON, OMITRON_PC), (CASE2, CASE2_PC)):
        a = case
        out, _ = _host_foster(host, np.atleast_2d(a["r1"]), np.atleast_2d(a["v1"]), np.asarray(a["cov1"])[None],
                              np.atleast_2d(a["r2"]), np.atleast_2d(a["v2"]), np.asarray(a["cov2"])[None],
                              [a["hbr_km"]])
        assert abs(out[0, 0] / ref - 1) < OMITRON_RTOL


def test_kernel_matches_numpy(backend):
    """kernels/pc.cu through engine/pc/_cuda.py, the launcher (cuda, host) against NumPy."""
    if backend == "numpy":
        pytest.skip("compares the kernel with NumPy; runs on the kernel backends")
    args = random_conjunctions(3000, seed=12)
    res_np = pc.foster(*args, backend="numpy")
    res_cu = pc.foster(*args, backend=backend)
    out = np.stack([pc._backend.to_host(getattr(res_cu, c)) for c in
                    ("pc", "miss_km", "speed_km_s", "sigma_major_km", "sigma_minor_km", "extended", "offset")], 1)
    _compare(f"{backend} vs numpy", res_np, out, pc._backend.to_host(res_cu.flags), HOST_RTOL)


def test_empty_batch():
    res = pc.foster(np.zeros((0, 3)), np.zeros((0, 3)), np.eye(3), np.zeros((0, 3)), np.zeros((0, 3)),
                    np.eye(3), 0.01, backend="numpy")
    assert len(res) == 0 and res.pc.dtype == np.float64 and res.flags.dtype == np.uint8


# ---------------------------------------------------------------- collapsed covariances (issue 13)

#: HBR 2^-7 km and positions whose difference is exact, so the miss equals the HBR to the bit
TANGENT_HBR_KM = 0.0078125


def _line_case(miss_km, sigma_km):
    """Head-on encounter along y, miss along x, covariance a line along z (the encounter
    plane is x-z): the exact Pc is the Gaussian integral over the chord of the circle."""
    r1, v1 = np.array([7000.0, 0.0, 0.0]), np.array([0.0, 7.5, 0.0])
    r2, v2 = np.array([7000.0 - miss_km, 0.0, 0.0]), np.array([0.0, -7.5, 0.0])
    return dict(r1=r1, v1=v1, cov1=np.diag([0.0, 0.0, sigma_km ** 2]), r2=r2, v2=v2, cov2=np.zeros((3, 3)))


def test_collapsed_line_tangent_to_hard_body_circle_is_zero(backend):
    """Issue 13: a covariance collapsed to a line, miss = HBR along the line's normal. The
    line touches the circle in one point (zero chord): Pc is exactly 0. CARA's clipping
    gave it a width of 1e-4 HBR and Pc 4.6e-3 (sigma = HBR) / 4.6e-4 (sigma = 10 HBR)."""
    for sigma in (TANGENT_HBR_KM, 10 * TANGENT_HBR_KM):
        case = _line_case(TANGENT_HBR_KM, sigma)
        assert case["r1"][0] - case["r2"][0] == TANGENT_HBR_KM
        res = pc.foster(**case, hbr_km=TANGENT_HBR_KM, backend=backend)
        assert float(pc._backend.to_host(res.pc)[0]) == 0.0
        assert float(pc._backend.to_host(res.sigma_minor_km)[0]) == 0.0
        assert "NPD" in res.flag_names(0)


def test_collapsed_line_equals_chord_integral(backend):
    """Seeded random lines in the encounter plane: Pc = P(|a + t| < h), t ~ N(0, s^2), with
    a the miss along the line, d across it and h = sqrt(HBR^2 - d^2) (the half chord), written
    here with math.erf independently of engine.pc; 0 when d > HBR."""
    rng = np.random.default_rng(1313)
    n = 200
    v = rng.normal(size=(n, 3))
    v *= rng.uniform(1.0, 15.0, (n, 1)) / np.linalg.norm(v, axis=1, keepdims=True)
    def perp(x):  # component of x normal to v, unit length
        x = x - (np.einsum("ij,ij->i", x, v) / np.einsum("ij,ij->i", v, v))[:, None] * v
        return x / np.linalg.norm(x, axis=1, keepdims=True)
    u = perp(rng.normal(size=(n, 3)))          # line direction in the encounter plane
    hbr = rng.choice([0.005, 0.02, 0.07], n)
    miss = hbr * rng.uniform(0.0, 3.0, n)
    r = perp(rng.normal(size=(n, 3))) * miss[:, None]   # at TCA: r normal to v
    s = hbr * 10.0 ** rng.uniform(-2, 2, n)
    r1 = rng.normal(size=(n, 3)) * 100.0 + [6778.0, 0.0, 0.0]
    v1 = np.cross(r1, [0.0, 0.0, 1.0]) * (7.5 / 6778.0)
    cov = s[:, None, None] ** 2 * np.einsum("ni,nj->nij", u, u)
    r2 = r1 - r
    res = pc.foster(r1, v1, cov, r2, v1 - v, np.zeros((3, 3)), hbr, backend=backend)
    got = pc._backend.to_host(res.pc)
    r = r1 - r2   # the miss vector as foster sees it (r1 - (r1 - r) is not r to the bit)
    a = np.einsum("ij,ij->i", r, u)
    d = np.linalg.norm(r - a[:, None] * u, axis=1)
    def chord(aa, dd, h, ss):  # P(|aa| - c < t < |aa| + c), erfc form so the tails keep their digits
        c, aa, q = math.sqrt(h * h - dd * dd), abs(aa), math.sqrt(2.0) * ss
        if aa > c:
            return 0.5 * (math.erfc((aa - c) / q) - math.erfc((aa + c) / q))
        return 0.5 * (math.erf((c - aa) / q) + math.erf((c + aa) / q))

    ref = np.array([chord(*x) if x[1] < x[2] else 0.0 for x in zip(a, d, hbr, s)])
    # a few events sit within rounding of the circle's edge: compare away from it
    away = np.abs(d / hbr - 1.0) > 1e-6
    big = away & (ref > 1e-300)
    assert np.all(got[away & (ref == 0)] == 0.0)
    rel = np.abs(got[big] / ref[big] - 1.0)
    assert rel.max() < 1e-9, _worst("collapsed line", got[big], ref[big])
    assert big.sum() > 50 and (away & (ref == 0)).sum() > 50   # both sides of the circle covered


def test_collapsed_point_is_an_indicator(backend):
    """Both covariances zero: the relative position is certain; Pc is 1 inside the circle, 0 outside."""
    hbr = TANGENT_HBR_KM
    got = [float(pc._backend.to_host(pc.foster(**dict(_line_case(m, 0.0), cov1=np.zeros((3, 3))), hbr_km=hbr,
                                               backend=backend).pc)[0]) for m in (0.5 * hbr, hbr, 2 * hbr)]
    assert got == [1.0, 0.0, 0.0]


# ---------------------------------------------------------------- Pc of a Conjunctions table (issue 13)


def _conj_of(r1, v1, r2, v2, dse=(0.5, 2.0)):
    """An engine.Conjunctions of the given TCA states (K, 3), as the screening would return them."""
    from engine.screening import Conjunctions

    r1, v1, r2, v2 = (np.atleast_2d(np.asarray(a, dtype=np.float64)) for a in (r1, v1, r2, v2))
    k = r1.shape[0]
    rho = r2 - r1
    return Conjunctions(
        primary=np.zeros(k, np.int64), secondary=np.arange(k), primary_satnum=np.full(k, 25544),
        secondary_satnum=80000 + np.arange(k), primary_name=np.full(k, "ISS (ZARYA)"),
        secondary_name=np.full(k, "FRAGMENT"),
        tca=np.datetime64("2021-11-16T00:00:00", "us") + np.arange(k) * np.timedelta64(60, "s"),
        tca_jd=np.full(k, 2459534.5), tca_fr=np.arange(k) / 1440.0, miss_km=np.linalg.norm(rho, axis=1),
        vrel_kms=np.linalg.norm(v2 - v1, axis=1), miss_r_km=rho[:, 0], miss_t_km=rho[:, 1], miss_n_km=rho[:, 2],
        approach_angle_deg=np.zeros(k), r_primary=r1, v_primary=v1, r_secondary=r2, v_secondary=v2,
        dse_primary=np.full(k, dse[0]), dse_secondary=np.full(k, -dse[1]))


def test_foster_takes_a_conjunctions_table():
    """Issue 13: engine.pc.foster(conj, hbr_km=...) works (it raised TypeError). With the
    Omitron covariances it gives CARA's published Pc; by default it uses the assumed
    covariances for each object's |age| and flags them."""
    o = OMITRON
    conj = _conj_of(o["r1"], o["v1"], o["r2"], o["v2"])
    res = pc.foster(conj, cov1=o["cov1"], cov2=o["cov2"], hbr_km=o["hbr_km"], backend="numpy")
    assert abs(res.pc[0] / OMITRON_PC - 1) < OMITRON_RTOL and res.flag_names(0) == []
    with_pc = conj.with_pc(o["hbr_km"], cov_primary=o["cov1"], cov_secondary=o["cov2"], backend="numpy")
    assert with_pc.pc[0] == res.pc[0] and not with_pc.covariance_assumed[0] and with_pc.pc_method == "FOSTER-1992"
    dflt = pc.foster(conj, hbr_km=0.05, backend="numpy")
    c1 = pc.default_covariance(o["r1"], o["v1"], 0.5)
    c2 = pc.default_covariance(o["r2"], o["v2"], 2.0)     # |dse| = 2 days (TCA before the epoch)
    ref = pc.foster(o["r1"], o["v1"], c1, o["r2"], o["v2"], c2, 0.05, backend="numpy")
    assert dflt.pc[0] == ref.pc[0] and "ASSUMED_COVARIANCE" in dflt.flag_names(0)
    assert conj.with_pc(0.05, backend="numpy").covariance_assumed.tolist() == [True]
    # the seven-array form keeps working; mixing the two forms is a TypeError naming the fix
    assert pc.foster(o["r1"], o["v1"], o["cov1"], o["r2"], o["v2"], o["cov2"], o["hbr_km"], backend="numpy").pc[0] \
        == res.pc[0]
    with pytest.raises(TypeError, match="hbr_km"):
        pc.foster(conj)
    with pytest.raises(TypeError, match="drop v1"):
        pc.foster(conj, o["v1"], hbr_km=0.05)
    with pytest.raises(TypeError, match="missing cov2, hbr_km"):
        pc.foster(o["r1"], o["v1"], o["cov1"], o["r2"], o["v2"])


def test_conjunctions_pc_bad_rows_named():
    o = OMITRON
    conj = _conj_of([o["r1"], o["r1"]], [o["v1"], o["v1"]], [o["r2"], o["r2"]], [o["v2"], [np.nan, 0, 0]])
    with pytest.raises(ValueError, match=r"v_secondary: non-finite in rows \[1\] \(primary/secondary 25544/80001\)"):
        conj.with_pc(0.05)
    with pytest.raises(ValueError, match="hbr_km"):
        conj[:1].with_pc(-1.0)


def test_host_build_collapsed_matches_numpy(host):
    """kernels/pc.cuh takes the same exact limits (line, point) as engine.pc."""
    hbr = TANGENT_HBR_KM
    cases = [_line_case(m, sg) for m in (0.0, 0.5 * hbr, hbr, 2 * hbr) for sg in (0.0, 1e-3 * hbr, hbr, 1e3 * hbr)]
    args = [np.stack([c[k] for c in cases]) for k in ("r1", "v1", "cov1", "r2", "v2", "cov2")]
    res = pc.foster(*args, hbr, backend="numpy")
    out, flags = _host_foster(host, *args, np.full(len(cases), hbr))
    _compare("host vs numpy, collapsed", res, out, flags, HOST_RTOL)
    assert np.count_nonzero(res.sigma_minor_km == 0.0) == len(cases)


def test_conjunctions_pc_empty_table():
    """A screening that found nothing gives an empty table with (empty) Pc fields, no error."""
    o = OMITRON
    empty = _conj_of(o["r1"], o["v1"], o["r2"], o["v2"])[np.zeros(1, bool)]
    t = empty.with_pc(0.05, backend="numpy")
    assert len(t) == 0 and t.has_pc and t.pc.shape == (0,) and t.pc.dtype == np.float64
