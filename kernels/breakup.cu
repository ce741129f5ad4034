// breakup.cu: CUDA entry points of the NASA Standard Breakup Model sampler.
//
// One thread per fragment (grid-stride loop); the math is kernels/breakup.cuh. The
// launcher (engine/breakup/_cuda.py) passes every scalar with its exact C type:
// cupy.RawKernel checks nothing. index0 is the global index of element 0 of this launch,
// so chunked launches draw the same random numbers as one launch.
#include "breakup.cuh"

extern "C" {

__global__ void breakup_size_f64(unsigned long long seed, long long n_small, double neg_beta_inv,
                                 double small_lo, double small_span, double large_lo,
                                 double large_span, double q_projectile, double lc_projectile,
                                 int kind_target, int kind_projectile, long long index0,
                                 long long n, double* lc, double* am, double* area,
                                 double* mass, unsigned char* parent, unsigned char* kind) {
    const de_breakup::SizeParams p{seed,     n_small,   neg_beta_inv, small_lo,
                                   small_span, large_lo, large_span,  q_projectile,
                                   lc_projectile, kind_target, kind_projectile};
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        uint8_t pa, ki;
        de_breakup::sample_size(p, (uint64_t)(index0 + i), lc[i], am[i], area[i], mass[i], pa, ki);
        parent[i] = pa;
        kind[i] = ki;
    }
}

__global__ void breakup_dv_f64(unsigned long long seed, double slope, double intercept,
                               double sigma, long long index0, long long n, const double* am,
                               double* dv) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        de_breakup::sample_dv(seed, (uint64_t)(index0 + i), am[i], slope, intercept, sigma,
                              dv + 3 * i);
    }
}

}  // extern "C"
