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
