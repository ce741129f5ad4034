// screen.cu: CUDA entry points of conjunction screening (engine/screening/_cuda.py launches them).
//
// Sort-based cell lists: screen_cell_keys_f64 packs (sample, cell) keys, the launcher sorts
// them with cupy, screen_pair_count_f64 counts each sorted point's partners within the
// capture radius, an exclusive scan (cupy.cumsum) gives each point its output offset, and
// screen_pair_emit_f64 writes the pairs. One-vs-many uses the direct distance test
// screen_direct_mask_f64; screen_hermite_tca_f64 solves each bracket. Math in screen.cuh.
// Grid-stride loops; every scalar is passed with its exact C type by the launcher.
#include "screen.cuh"

extern "C" {

// r (N, B, 3) km -> keys (N, B); -1 for NaN positions
__global__ void screen_cell_keys_f64(const double* r, long long n, long long nb, double inv_cell,
                                     long long* keys) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n * nb;
         i += (long long)gridDim.x * blockDim.x)
        keys[i] = de_screen::cell_key(r + 3 * i, i % nb, inv_cell);
}

// keys (P,) sorted, pts (P, 3) in the same order -> count (P,) partners within radius
__global__ void screen_pair_count_f64(const long long* keys, const double* pts, long long np,
                                      double radius2, long long* count) {
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < np;
         p += (long long)gridDim.x * blockDim.x)
        count[p] = de_screen::walk_partners(keys, pts, nullptr, np, 1, radius2, p, 0, nullptr,
                                            nullptr, nullptr);
}

// The same walk writing pair k of point p at offset[p] + k: i < j object indices and the
// block sample b, from order (P,) = flat index object * nb + b.
__global__ void screen_pair_emit_f64(const long long* keys, const double* pts, const long long* order,
                                     long long np, long long nb, double radius2,
                                     const long long* offset, long long* out_i, long long* out_j,
                                     long long* out_b) {
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < np;
         p += (long long)gridDim.x * blockDim.x)
        de_screen::walk_partners(keys, pts, order, np, nb, radius2, p, offset[p], out_i, out_j,
                                 out_b);
}

// rp (K, B, 3), rs (M, B, 3) km -> mask (K, M, B) = 1 where |rs - rp| <= radius
__global__ void screen_direct_mask_f64(const double* rp, const double* rs, long long k, long long m,
                                       long long nb, double radius2, unsigned char* mask) {
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < m * nb;
         t += (long long)gridDim.x * blockDim.x) {
        const long long b = t % nb;
        for (long long q = 0; q < k; ++q)
            mask[q * m * nb + t] = de_screen::dist2(rp + 3 * (q * nb + b), rs + 3 * t) <= radius2;
    }
}

// brackets p0, w0, p1, w1 (K, 3), h (K,) -> s (K,), dmin (K,)
__global__ void screen_hermite_tca_f64(const double* p0, const double* w0, const double* p1,
                                       const double* w1, const double* h, long long k, double* s,
                                       double* dmin) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < k;
         i += (long long)gridDim.x * blockDim.x)
        de_screen::hermite_tca(p0 + 3 * i, w0 + 3 * i, p1 + 3 * i, w1 + 3 * i, h[i], s + i, dmin + i);
}

}  // extern "C"
