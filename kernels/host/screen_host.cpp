// screen_host.cpp: host build of kernels/screen.cuh for the CPU tests.
//
// Each entry point is the serial loop that kernels/screen.cu runs one thread per element.
// Compile flags as engine/_hostbuild.py sets them.
#include "../screen.cuh"

extern "C" {

// r (N, B, 3) -> keys (N, B): packed (sample, cell) keys, -1 for NaN positions
void screen_cell_keys_f64(const double* r, long long n, long long nb, double inv_cell,
                          long long* keys) {
    for (long long i = 0; i < n * nb; ++i) keys[i] = de_screen::cell_key(r + 3 * i, i % nb, inv_cell);
}

// brackets (K, 3) p0, w0, p1, w1 and (K,) step h -> s (K,), dmin (K,)
void screen_hermite_tca_f64(const double* p0, const double* w0, const double* p1, const double* w1,
                            const double* h, long long k, double* s, double* dmin) {
    for (long long i = 0; i < k; ++i)
        de_screen::hermite_tca(p0 + 3 * i, w0 + 3 * i, p1 + 3 * i, w1 + 3 * i, h[i], s + i, dmin + i);
}

// the pair walk of kernels/screen.cu over sorted keys (P,) and points pts (P, 3)
void screen_pair_count_f64(const long long* keys, const double* pts, long long np, double radius2,
                           long long* count) {
    for (long long p = 0; p < np; ++p)
        count[p] = de_screen::walk_partners(keys, pts, nullptr, np, 1, radius2, p, 0, nullptr,
                                            nullptr, nullptr);
}

void screen_pair_emit_f64(const long long* keys, const double* pts, const long long* order,
                          long long np, long long nb, double radius2, const long long* offset,
                          long long* out_i, long long* out_j, long long* out_b) {
    for (long long p = 0; p < np; ++p)
        de_screen::walk_partners(keys, pts, order, np, nb, radius2, p, offset[p], out_i, out_j,
                                 out_b);
}

}  // extern "C"
