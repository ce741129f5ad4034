// longterm.cu: CUDA entry point of the orbit-averaged decay propagator.
//
// One thread per object (grid-stride loop), each stepping its own mean elements from its
// own start time to t_stop; the math is kernels/longterm.cuh. The launcher
// (engine/longterm/_cuda.py) passes every scalar with its exact C type: cupy.RawKernel
// checks nothing.
#include "longterm.cuh"

extern "C" {

// el (n, 5) in/out: a km, e, i, RAAN, w rad; bc (n,) km^2/kg; t (n,) in/out days after
// jd_ref; t_re (n,) out: re-entry time in days (NaN: none); status (n,) out.
__global__ void longterm_decay_f64(const double* coef, double alt0, double dalt, int na,
                                   double jd0, double djd, int nd, double jd_ref,
                                   double step_days, double reentry_km, int nodes,
                                   long long max_steps, double t_stop, long long n, double* el,
                                   const double* bc, double* t, double* t_re, int* status) {
    const de_longterm::Params p{{coef, alt0, dalt, na, jd0, djd, nd}, jd_ref, step_days,
                                reentry_km, nodes, max_steps};
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        double y[5];
        for (int j = 0; j < 5; ++j) y[j] = el[5 * i + j];
        double ti = t[i], tr;
        status[i] = de_longterm::run_object(p, y, ti, bc[i], t_stop, tr);
        for (int j = 0; j < 5; ++j) el[5 * i + j] = y[j];
        t[i] = ti;
        t_re[i] = tr;
    }
}

}  // extern "C"
