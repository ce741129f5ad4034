// cowell_host.cpp: host build of kernels/cowell.cuh for the CPU tests.
//
// The force model alone (no entry point of kernels/cowell.cu exposes it), for the tests
// against engine/numerical/_numpy.py: derivative. The propagation entry point itself runs on
// the host executor (engine/_hostexec.py). Compile flags as engine/_hostbuild.py sets them.
#include "../cowell.cuh"

extern "C" {

// dy/dt of (n, 6) states at t (n,) s after the epoch
void cowell_derivative_f64(const double* y, const double* t, long long n, int nzonal,
                           const double* bdrag, int nbands, const double* h0, const double* rho0,
                           const double* hs, int sun_moon, const double* fsrp, double t2000,
                           double* dy) {
    for (long long i = 0; i < n; ++i) {
        const de_cowell::Params p{nzonal, bdrag[i], nbands, h0, rho0, hs, sun_moon, fsrp[i], t2000};
        de_cowell::derivative(p, t[i], y + 6 * i, dy + 6 * i);
    }
}

}  // extern "C"
