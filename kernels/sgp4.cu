// sgp4.cu: CUDA entry points for SGP4/SDP4 (device math in sgp4.cuh).
//
// Loaded by engine/_kernels.py (cupy.RawModule, no fast-math) and launched by
// engine/sgp4/_cuda.py, which validates and casts every argument: RawKernel checks
// nothing, so the C signatures below are the contract.
//
//   sgp4_init_f64       one thread per object: elements (NELEM, n) -> rec (NREC, n), flags (n,)
//   sgp4_propagate_f64  grid-stride over n_obj x n_time pairs, r, v float64
//   sgp4_propagate_f32  same, mixed precision (secular stage float64, rest float32), r, v float32
//
// There is no sgp4_init_f32: the record is float64 in both modes (init runs once per
// object, and the float32 mode needs float64 secular coefficients anyway).
//
// A "zipped" propagation (one time per object) is the same kernel with n_time = 1 and
// t_obj_stride = 1, so it needs no entry point of its own.
#include "sgp4.cuh"

extern "C" __global__ void sgp4_init_f64(const double* __restrict__ elements, long long n,
                                         int whichconst, int afspc, double* __restrict__ rec,
                                         int* __restrict__ flags) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        de_sgp4::sgp4_init_one(de_sgp4::RecView{elements + i, n}, whichconst, afspc != 0,
                               de_sgp4::RecOut{rec + i, n}, flags[i]);
    }
}

// rec, flags: already offset to the first object of this launch; rec_stride = total N.
// t1, t2: already offset to this launch's first (object, time); element (i, j) sits at
// i * t_obj_stride + j (t_obj_stride = 0 when all objects share the times).
// e, r, v: already offset to this launch's first (object, time); row stride out_stride.
template <typename T>
__device__ __forceinline__ void propagate_body(
    const double* __restrict__ rec, const int* __restrict__ flags, long long rec_stride,
    long long n_obj, long long n_time, const double* __restrict__ t1,
    const double* __restrict__ t2, long long t_obj_stride, int time_kind,
    long long out_stride, unsigned char* __restrict__ e, T* __restrict__ r,
    T* __restrict__ v) {
    const long long total = n_obj * n_time;
    for (long long k = (long long)blockIdx.x * blockDim.x + threadIdx.x; k < total;
         k += (long long)gridDim.x * blockDim.x) {
        // time is the fast index: neighbouring threads share an object's record
        const long long i = k / n_time;
        const long long j = k - i * n_time;
        de_sgp4::sgp4_pair<T>(rec, flags, rec_stride, t1, t2, t_obj_stride, time_kind, i, j,
                              out_stride, e, r, v);
    }
}

extern "C" __global__ void sgp4_propagate_f64(
    const double* __restrict__ rec, const int* __restrict__ flags, long long rec_stride,
    long long n_obj, long long n_time, const double* __restrict__ t1,
    const double* __restrict__ t2, long long t_obj_stride, int time_kind,
    long long out_stride, unsigned char* __restrict__ e, double* __restrict__ r,
    double* __restrict__ v) {
    propagate_body<double>(rec, flags, rec_stride, n_obj, n_time, t1, t2, t_obj_stride,
                           time_kind, out_stride, e, r, v);
}

extern "C" __global__ void sgp4_propagate_f32(
    const double* __restrict__ rec, const int* __restrict__ flags, long long rec_stride,
    long long n_obj, long long n_time, const double* __restrict__ t1,
    const double* __restrict__ t2, long long t_obj_stride, int time_kind,
    long long out_stride, unsigned char* __restrict__ e, float* __restrict__ r,
    float* __restrict__ v) {
    propagate_body<float>(rec, flags, rec_stride, n_obj, n_time, t1, t2, t_obj_stride,
                          time_kind, out_stride, e, r, v);
}
