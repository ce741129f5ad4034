// longterm_host.cpp: the orbit-averaged rates of kernels/longterm.cuh alone, for the CPU
// tests against engine/longterm/ (no entry point of kernels/longterm.cu exposes them).
// The entry point itself runs on the host executor (engine/_hostexec.py). Compile flags
// as engine/_hostbuild.py sets them.
#include "../longterm.cuh"

extern "C" {

// orbit-averaged rates per day of y (n, 5) at t (n,) with K nodes (0: adaptive)
void longterm_rates_f64(const double* coef, double alt0, double dalt, int na, double jd0,
                        double djd, int nd, double jd_ref, int nodes, long long n,
                        const double* y, const double* t, const double* bc, double* out) {
    const de_longterm::Params p{{coef, alt0, dalt, na, jd0, djd, nd}, jd_ref, 1.0, 0.0, nodes, 0};
    for (long long i = 0; i < n; ++i) {
        const double H = nodes > 0 ? 0.0 : de_longterm::perigee_scale_height(p, y + 5 * i, t[i]);
        const int K = de_longterm::nodes_for(y[5 * i], y[5 * i + 1], nodes, H);
        de_longterm::rates(p, y + 5 * i, t[i], bc[i], K, out + 5 * i);
    }
}

}  // extern "C"
