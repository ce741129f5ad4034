// philox.cuh: the counter-based generator Philox4x32-10 shared by every random kernel.
//
// Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
// SC'11 (2011), section 3.3 and table 2 (multipliers 0xD2511F53, 0xCD9E8D57; Weyl key
// increments 0x9E3779B9, 0xBB67AE85; 10 rounds). The same function is written in NumPy
// in engine/breakup/_philox.py; tests/test_breakup_kernels.py checks both against the published
// known-answer vectors of Random123 (kat_vectors) and against each other.
//
// Counter layout used by debris-engine: (index low word, index high word, draw, stream);
// key = (seed low word, seed high word). Any (seed, stream, index, draw) therefore names
// one fixed block of 128 random bits, whatever the backend, the grid or the chunking.
#pragma once

#include "common.cuh"

namespace de_philox {

struct U4 {
    uint32_t x, y, z, w;
};

DE_HD U4 philox4x32_10(U4 c, uint32_t k0, uint32_t k1) {
    for (int round = 0; round < 10; ++round) {
        const uint64_t p0 = (uint64_t)0xD2511F53u * (uint64_t)c.x;
        const uint64_t p1 = (uint64_t)0xCD9E8D57u * (uint64_t)c.z;
        const uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        const uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c = U4{hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0};
        k0 += 0x9E3779B9u;  // key schedule: Weyl sequence (SC'11, section 3.3)
        k1 += 0xBB67AE85u;
    }
    return c;
}

// Two 32-bit words -> a double in the OPEN interval (0, 1): 53 random bits, then the
// midpoint of the 2^-53 cell, so that log(u) and log(1 - u) are always finite.
DE_HD double open_unit(uint32_t hi, uint32_t lo) {
    const uint64_t bits = ((uint64_t)(hi >> 5) << 26) | (uint64_t)(lo >> 6);
    return ((double)bits + 0.5) * 1.1102230246251565e-16;  // 2^-53
}

// The two uniforms of draw `draw` of element `index` in stream `stream`.
DE_HD void uniform_pair(uint64_t seed, uint32_t stream, uint64_t index, uint32_t draw,
                        double& u0, double& u1) {
    const U4 r = philox4x32_10(U4{(uint32_t)index, (uint32_t)(index >> 32), draw, stream},
                               (uint32_t)seed, (uint32_t)(seed >> 32));
    u0 = open_unit(r.x, r.y);
    u1 = open_unit(r.z, r.w);
}

}  // namespace de_philox
