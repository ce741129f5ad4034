// sgp4_host.cpp: host build of kernels/sgp4.cuh for the CPU tests (engine/_hostbuild.py).
//
// The same device math as kernels/sgp4.cu, compiled with g++; each entry point is the
// serial loop that the CUDA grid-stride loop runs in parallel, with identical indexing
// (de_sgp4::sgp4_pair). Compile flags: -O2 -std=c++17 -ffp-contract=off, no fast-math.
#include "../sgp4.cuh"

extern "C" {

// elements: (NELEM, n) float64 SoA; rec: (NREC, n) float64; flags: (n,) int32.
void sgp4_init_f64(const double* elements, long long n, int whichconst, int afspc,
                   double* rec, int* flags) {
    for (long long i = 0; i < n; ++i) {
        de_sgp4::sgp4_init_one(de_sgp4::RecView{elements + i, n}, whichconst, afspc != 0,
                               de_sgp4::RecOut{rec + i, n}, flags[i]);
    }
}

int sgp4_nrec(void) { return de_sgp4::NREC; }
int sgp4_nelem(void) { return de_sgp4::NELEM; }

#define DE_HOST_PROPAGATE(NAME, T)                                                        \
    void NAME(const double* rec, const int* flags, long long rec_stride, long long n_obj,  \
              long long n_time, const double* t1, const double* t2,                       \
              long long t_obj_stride, int time_kind, long long out_stride,                \
              unsigned char* e, T* r, T* v) {                                              \
        for (long long i = 0; i < n_obj; ++i)                                              \
            for (long long j = 0; j < n_time; ++j)                                         \
                de_sgp4::sgp4_pair<T>(rec, flags, rec_stride, t1, t2, t_obj_stride,        \
                                      time_kind, i, j, out_stride, e, r, v);               \
    }

DE_HOST_PROPAGATE(sgp4_propagate_f64, double)
DE_HOST_PROPAGATE(sgp4_propagate_f32, float)

}  // extern "C"
