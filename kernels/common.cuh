// common.cuh: constants and per-element error codes shared by every kernel family.
//
// The error codes below are part of the public contract: the same numbers appear in
// engine/errors.py, and tests/test_errors.py checks that the two tables agree.
// Codes 1-6 have exactly the meaning python-sgp4 (Vallado's SGP4) gives them;
// codes from 10 up are debris-engine's own.
#pragma once

#if defined(__CUDACC__)
#define DE_HD __host__ __device__ __forceinline__
#else
#define DE_HD inline
#endif

// Fixed-width integers and the math library. NVRTC (what cupy.RawModule compiles with)
// ships no C library headers: it has the math functions built in, and the few integer
// types the kernels use are declared here. nvcc and g++ take the system headers.
#if defined(__CUDACC_RTC__)
typedef unsigned char uint8_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef int int32_t;
typedef long long int64_t;
#ifndef NAN
#define NAN __int_as_float(0x7fc00000)
#endif
#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif
#else
#include <math.h>
#include <stdint.h>
#endif

// Earth and gravity models, each value written once for every kernel family. engine/constants.py
// holds the same values under the same names; tests/test_constants.py checks that they agree and
// that no other header writes them out. (SGP4's own sets, WGS-72 and WGS-84 as Vallado's
// getgravconst gives them, live with SGP4 in sgp4.cuh.)
namespace de_model {
// WGS-84 (NIMA TR8350.2, table 3.1): ellipsoid, GM and rotation rate
constexpr double WGS84_A_KM = 6378.137;
constexpr double WGS84_F = 1.0 / 298.257223563;
constexpr double WGS84_GM_KM3_S2 = 398600.4418;
constexpr double WGS84_OMEGA_RAD_S = 7.292115e-5;
// EGM2008 (Pavlis et al. 2012), tide-free: GM and reference radius
constexpr double EGM2008_GM_KM3_S2 = 398600.4415;
constexpr double EGM2008_R_KM = 6378.1363;
// EGM-96 (Lemoine et al. 1998): J2 = -sqrt(5) Cbar_20
constexpr double EGM96_J2 = 1.08262668e-3;
constexpr double SECONDS_PER_DAY = 86400.0;
}  // namespace de_model

enum de_error_code {
    DE_OK = 0,                // success
    DE_ERR_MEAN_ECC = 1,      // mean eccentricity < 0 or >= 1, or mean semi-major axis < 0.95 er
    DE_ERR_MEAN_MOTION = 2,   // mean motion <= 0
    DE_ERR_PERT_ECC = 3,      // perturbed eccentricity < 0 or > 1
    DE_ERR_SEMI_LATUS = 4,    // semi-latus rectum < 0
    DE_ERR_SUBORBITAL = 5,    // epoch elements are sub-orbital (no longer raised by SGP4)
    DE_ERR_DECAYED = 6,       // satellite has decayed: radius below one Earth radius; values kept
    DE_ERR_REENTERED = 20,    // numerical propagation: altitude below reentry_km before this time; NaN
    DE_ERR_STEP_UNDERFLOW = 21,  // numerical propagation: adaptive step below hmin; NaN
    DE_ERR_MAX_STEPS = 22,    // numerical propagation: max_steps reached; NaN
};
