// pc_host.cpp: host build of kernels/pc.cuh for the CPU tests (engine/_hostbuild.py).
//
// The same device math as kernels/pc.cu, compiled with g++; pc_foster_f64 is the serial
// loop that the CUDA grid-stride loop runs in parallel. Compile flags: -O2 -std=c++17
// -ffp-contract=off, no fast-math.
#include "../pc.cuh"

extern "C" {

// in: (n, PACKED_IN) float64 rows; out: (n, PACKED_OUT) float64; flags: (n,) uint8
void pc_foster_f64(const double* in, long long n, double* out, unsigned char* flags) {
    for (long long i = 0; i < n; ++i)
        de_pc::foster_one(in + i * de_pc::PACKED_IN, out + i * de_pc::PACKED_OUT, flags + i);
}

// the encounter-plane integral alone, for tests against independent quadrature
void pc_plane_f64(const double* xm, const double* zm, const double* sx, const double* sz,
                  const double* hbr, long long n, double* out) {
    for (long long i = 0; i < n; ++i) out[i] = de_pc::pc_plane(xm[i], zm[i], sx[i], sz[i], hbr[i]);
}

void pc_gl16(double* x, double* w) {
    const double gx[8] = DE_PC_GL16_X;
    const double gw[8] = DE_PC_GL16_W;
    for (int k = 0; k < 8; ++k) { x[k] = gx[k]; w[k] = gw[k]; }
}

int pc_packed_in(void) { return de_pc::PACKED_IN; }
int pc_packed_out(void) { return de_pc::PACKED_OUT; }
int pc_flag(int k) {
    const int bits[5] = {de_pc::PC_FLAG_SLOW, de_pc::PC_FLAG_LONG, de_pc::PC_FLAG_NPD,
                         de_pc::PC_FLAG_ASSUMED_COVARIANCE, de_pc::PC_FLAG_OFFSET};
    return (k >= 0 && k < 5) ? bits[k] : -1;
}

}  // extern "C"
