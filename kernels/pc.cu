// pc.cu: CUDA entry point for the Foster 2D probability of collision (math in pc.cuh).
//
// Loaded by engine/_kernels.py (cupy.RawModule, no fast-math) and launched by
// engine/pc/_cuda.py (foster), which packs, validates and casts every argument:
// RawKernel checks nothing, so this C signature is the contract.
//
//   pc_foster_f64  grid-stride over n conjunctions:
//                  in (n, PACKED_IN) float64 rows -> out (n, PACKED_OUT) float64, flags (n,) uint8
#include "pc.cuh"

extern "C" __global__ void pc_foster_f64(const double* __restrict__ in, long long n,
                                         double* __restrict__ out,
                                         unsigned char* __restrict__ flags) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        de_pc::foster_one(in + i * de_pc::PACKED_IN, out + i * de_pc::PACKED_OUT, flags + i);
    }
}
