// cowell.cu: CUDA entry point of Cowell propagation (device math in cowell.cuh).
//
// One thread per object, each with its own adaptive step (grid-stride loop over objects).
// Loaded by engine/_kernels.py and launched by engine/numerical/_cuda.py, which validates and
// casts every argument: RawKernel checks nothing, so this C signature is the contract.
//
//   y0 (n, 6) float64 km, km/s in the integration frame; t_out (m,) s since the epoch;
//   bdrag (n,) cd A/M / 2, m^2/kg; h0, rho0, hs (nbands,) piecewise-exponential atmosphere;
//   sun_moon 0/1; fsrp (n,) P cr A/M / 1e3 km/s^2 (0: no SRP); t2000 TT days since J2000;
//   out (n, m, 6) float64; status (n, m) uint8; t_reentry (n,) s; nsteps (n,) int64.
#include "cowell.cuh"

extern "C" __global__ void cowell_propagate_f64(
    const double* __restrict__ y0, long long n, const double* __restrict__ t_out, long long m,
    int nzonal, const double* __restrict__ bdrag, int nbands, const double* __restrict__ h0,
    const double* __restrict__ rho0, const double* __restrict__ hs, int sun_moon,
    const double* __restrict__ fsrp, double t2000, int method, double rtol, double step,
    double hmax, double hmin, double reentry_km, long long max_steps, int dense,
    double* __restrict__ out, unsigned char* __restrict__ status, double* __restrict__ t_reentry,
    long long* __restrict__ nsteps) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        const de_cowell::Params p{nzonal, bdrag[i], nbands, h0, rho0, hs, sun_moon, fsrp[i], t2000};
        de_cowell::propagate_one(p, y0 + 6 * i, t_out, m, method, rtol, step, hmax, hmin,
                                 reentry_km, max_steps, dense, out + 6 * m * i, status + m * i,
                                 t_reentry[i], nsteps[i]);
    }
}
