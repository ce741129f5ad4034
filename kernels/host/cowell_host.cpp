// cowell_host.cpp: host build of kernels/cowell.cuh for the CPU tests.
//
// The serial loop that kernels/cowell.cu runs as a grid-stride loop, with the same
// arguments, and the force model alone. Compile flags as engine/_hostbuild.py sets them.
#include "../cowell.cuh"

extern "C" {

void cowell_propagate_f64(const double* y0, long long n, const double* t_out, long long m,
                          int nzonal, const double* bdrag, int nbands, const double* h0,
                          const double* rho0, const double* hs, int sun_moon, const double* fsrp,
                          double t2000, int method, double rtol, double step, double hmax,
                          double hmin, double reentry_km, long long max_steps, int dense,
                          double* out, unsigned char* status, double* t_reentry,
                          long long* nsteps) {
    for (long long i = 0; i < n; ++i) {
        const de_cowell::Params p{nzonal, bdrag[i], nbands, h0, rho0, hs, sun_moon, fsrp[i], t2000};
        de_cowell::propagate_one(p, y0 + 6 * i, t_out, m, method, rtol, step, hmax, hmin,
                                 reentry_km, max_steps, dense, out + 6 * m * i, status + m * i,
                                 t_reentry[i], nsteps[i]);
    }
}

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
