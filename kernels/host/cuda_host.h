// cuda_host.h: what CUDA provides to kernels/*.cu, for compiling them unchanged with g++.
//
// engine/_hostexec.py compiles each kernels/<name>.cu for the CPU as one translation unit:
// this header, then the .cu itself, then one generated launcher per extern "C" __global__
// entry point. A launcher runs a grid the way the device would: every block of the grid
// once, blocks spread over OpenMP threads, the threads of a block one after another, each
// with its own blockIdx / threadIdx (thread_local, so OpenMP threads never share them).
// Every CUDA thread writes only its own outputs in today's kernels, so the results do not
// depend on the number of OpenMP threads or on the order blocks run in.
//
// __CUDACC__ is deliberately NOT defined: the .cuh headers then take their host branches
// (math.h, HUGE_VAL, ...), exactly as the g++ builds of the device math always have.
//
// What a block-serial executor cannot honour is refused at compile time with a message
// naming it: shared memory, block/warp synchronisation, warp shuffles and votes, atomics.
// (Threads of a block run in turn, so a __syncthreads() could not wait for the others, and
// an atomic would hide races that the device would expose.)
#pragma once

#include <math.h>
#include <stdint.h>

// ---- qualifiers: no address spaces on the host
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
// __restrict__ is a g++ keyword already.

// ---- the built-in index variables (unsigned int components, as CUDA's uint3 / dim3)
struct dim3 {
    unsigned int x, y, z;
};
typedef dim3 uint3;

static thread_local dim3 blockIdx;
static thread_local dim3 threadIdx;
static thread_local dim3 blockDim;
static thread_local dim3 gridDim;

// ---- refused features: a clear compile error, never a wrong run
#define DE_HOST_REFUSED(what)                                                                 \
    "the host executor (kernels/host/cuda_host.h) cannot run " what ": threads of a block run " \
    "one after another on the CPU, so block-level cooperation would run wrongly; extend the "   \
    "executor before a kernel uses it"

#define __shared__ static_assert(false, DE_HOST_REFUSED("__shared__ memory"));

namespace de_host {
template <typename... A>
constexpr bool refused = false;
}  // namespace de_host

#define DE_HOST_REFUSE_FN(name, what)                                    \
    template <typename... A>                                             \
    inline int name(A...) {                                              \
        static_assert(de_host::refused<A...>, DE_HOST_REFUSED(what));   \
        return 0;                                                        \
    }

DE_HOST_REFUSE_FN(__syncthreads, "__syncthreads (block synchronisation)")
DE_HOST_REFUSE_FN(__syncthreads_count, "__syncthreads_count (block synchronisation)")
DE_HOST_REFUSE_FN(__syncthreads_and, "__syncthreads_and (block synchronisation)")
DE_HOST_REFUSE_FN(__syncthreads_or, "__syncthreads_or (block synchronisation)")
DE_HOST_REFUSE_FN(__syncwarp, "__syncwarp (warp synchronisation)")
DE_HOST_REFUSE_FN(__threadfence, "__threadfence (memory fence)")
DE_HOST_REFUSE_FN(__threadfence_block, "__threadfence_block (memory fence)")
DE_HOST_REFUSE_FN(__shfl_sync, "__shfl_sync (warp shuffle)")
DE_HOST_REFUSE_FN(__shfl_up_sync, "__shfl_up_sync (warp shuffle)")
DE_HOST_REFUSE_FN(__shfl_down_sync, "__shfl_down_sync (warp shuffle)")
DE_HOST_REFUSE_FN(__shfl_xor_sync, "__shfl_xor_sync (warp shuffle)")
DE_HOST_REFUSE_FN(__ballot_sync, "__ballot_sync (warp vote)")
DE_HOST_REFUSE_FN(__any_sync, "__any_sync (warp vote)")
DE_HOST_REFUSE_FN(__all_sync, "__all_sync (warp vote)")
DE_HOST_REFUSE_FN(__activemask, "__activemask (warp vote)")
DE_HOST_REFUSE_FN(atomicAdd, "atomicAdd (atomics)")
DE_HOST_REFUSE_FN(atomicSub, "atomicSub (atomics)")
DE_HOST_REFUSE_FN(atomicExch, "atomicExch (atomics)")
DE_HOST_REFUSE_FN(atomicMin, "atomicMin (atomics)")
DE_HOST_REFUSE_FN(atomicMax, "atomicMax (atomics)")
DE_HOST_REFUSE_FN(atomicInc, "atomicInc (atomics)")
DE_HOST_REFUSE_FN(atomicDec, "atomicDec (atomics)")
DE_HOST_REFUSE_FN(atomicCAS, "atomicCAS (atomics)")
DE_HOST_REFUSE_FN(atomicAnd, "atomicAnd (atomics)")
DE_HOST_REFUSE_FN(atomicOr, "atomicOr (atomics)")
DE_HOST_REFUSE_FN(atomicXor, "atomicXor (atomics)")

namespace de_host {

// Run one grid: cfg = {grid.x, grid.y, grid.z, block.x, block.y, block.z} (checked against
// CUDA's limits by engine/_hostexec.py before the call). body() is the kernel call with its
// arguments bound; it reads the thread_local index variables above.
template <typename F>
inline void run_grid(const unsigned int* cfg, F&& body) {
    const dim3 g{cfg[0], cfg[1], cfg[2]};
    const dim3 b{cfg[3], cfg[4], cfg[5]};
    const long long nblocks = (long long)g.x * g.y * g.z;
    // static schedule: each OpenMP thread takes whole blocks; a CUDA thread's work never
    // spans two OpenMP threads, and every output element has exactly one writer
#pragma omp parallel for schedule(static)
    for (long long blk = 0; blk < nblocks; ++blk) {
        gridDim = g;
        blockDim = b;
        blockIdx = dim3{(unsigned int)(blk % g.x), (unsigned int)((blk / g.x) % g.y),
                        (unsigned int)(blk / ((long long)g.x * g.y))};
        for (unsigned int tz = 0; tz < b.z; ++tz)
            for (unsigned int ty = 0; ty < b.y; ++ty)
                for (unsigned int tx = 0; tx < b.x; ++tx) {
                    threadIdx = dim3{tx, ty, tz};
                    body();
                }
    }
}

}  // namespace de_host
