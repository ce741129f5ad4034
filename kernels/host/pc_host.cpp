// pc_host.cpp: probes of kernels/pc.cuh for the CPU tests (engine/_hostbuild.py): the
// encounter-plane integral alone, the quadrature tables and the flag bits, which no entry
// point of kernels/pc.cu exposes. The entry point itself runs on the host executor
// (engine/_hostexec.py). Compile flags: -std=c++17 -ffp-contract=off, no fast-math.
#include "../pc.cuh"

extern "C" {

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
