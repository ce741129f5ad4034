// breakup_host.cpp: host build of kernels/breakup.cuh and philox.cuh for the CPU tests.
//
// Each entry point is the serial loop that kernels/breakup.cu runs as a grid-stride
// loop, with the same global indexing. Compile flags as engine/_hostbuild.py sets them.
#include "../breakup.cuh"

extern "C" {

void philox4x32_10_host(const unsigned int* ctr, long long n, unsigned int k0, unsigned int k1,
                        unsigned int* out) {
    for (long long i = 0; i < n; ++i) {
        const de_philox::U4 r = de_philox::philox4x32_10(
            de_philox::U4{ctr[4 * i], ctr[4 * i + 1], ctr[4 * i + 2], ctr[4 * i + 3]}, k0, k1);
        out[4 * i] = r.x;
        out[4 * i + 1] = r.y;
        out[4 * i + 2] = r.z;
        out[4 * i + 3] = r.w;
    }
}

void breakup_size_f64(unsigned long long seed, long long n_small, double neg_beta_inv,
                      double small_lo, double small_span, double large_lo, double large_span,
                      double q_projectile, double lc_projectile, int kind_target,
                      int kind_projectile, long long index0, long long n, double* lc, double* am,
                      double* area, double* mass, unsigned char* parent, unsigned char* kind) {
    const de_breakup::SizeParams p{seed,       n_small,  neg_beta_inv, small_lo,
                                   small_span, large_lo, large_span,   q_projectile,
                                   lc_projectile, kind_target, kind_projectile};
    for (long long i = 0; i < n; ++i) {
        uint8_t pa, ki;
        de_breakup::sample_size(p, (uint64_t)(index0 + i), lc[i], am[i], area[i], mass[i], pa, ki);
        parent[i] = pa;
        kind[i] = ki;
    }
}

void breakup_dv_f64(unsigned long long seed, double slope, double intercept, double sigma,
                    long long index0, long long n, const double* am, double* dv) {
    for (long long i = 0; i < n; ++i)
        de_breakup::sample_dv(seed, (uint64_t)(index0 + i), am[i], slope, intercept, sigma,
                              dv + 3 * i);
}

}  // extern "C"
