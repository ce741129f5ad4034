// breakup_host.cpp: the Philox generator of kernels/philox.cuh alone, for the CPU tests
// against Random123's known answers and engine/breakup/_philox.py (no entry point of
// kernels/breakup.cu exposes it). The entry points themselves run on the host executor
// (engine/_hostexec.py). Compile flags as engine/_hostbuild.py sets them.
#include "../breakup.cuh"

extern "C" {

void philox4x32_10_host(const unsigned int* ctr, long long n, unsigned int k0, unsigned int k1,
                        unsigned int* out) {
    for (long long i = 0; i < n; ++i) {
        const de_philox::U4 r = de_philox::philox4x32_10(
            de_philox::U4{ctr[4 * i], ctr[4 * i + 1], ctr[4 * i + 2], ctr[4 * i + 3]}, k0, k1);
        out[4 * i] = r.x;
        out[4 * i + 1] = r.y;
        out[4 * i + 2] = r.z;
        out[4 * i + 3] = r.w;
    }
}

}  // extern "C"
