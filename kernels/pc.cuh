// pc.cuh: Foster 2D probability of collision, one conjunction per call (host+device).
//
// The same math as engine/pc/_numpy.py (_foster_numpy), written per conjunction so that it runs
// as one CUDA thread (kernels/pc.cu) and compiles with g++ for the CPU tests
// (kernels/host/pc_host.cpp). The NumPy implementation is separate code and acts as the
// oracle; see engine/pc/__init__.py's docstring for the method and its sources:
//   Foster & Estes 1992 (NASA JSC-25898); Akella & Alfriend 2000 (JGCD 23(5));
//   Alfano 2005 (J. Astronaut. Sci. 53(1)); CARA Pc2D_Foster / PcCircle (encounter
//   frame, miss vector (|r|, 0), erfc differences in the tails, eigenvalue clipping with
//   Fclip = 1e-4); CARA UsageViolationPc2D and Coppola 2012 (AAS 12-248) for the
//   'Extended' / 'Offset' duration indicators.
//
// Layout: input row of PACKED_IN doubles per conjunction
//   r1[3] km, v1[3] km/s, r2[3], v2[3], C[6] = combined position covariance km^2
//   (xx, xy, xz, yy, yz, zz), hbr km;
// output row of PACKED_OUT doubles: pc, miss km, speed km/s, sigma_major km,
//   sigma_minor km, extended, offset; and one uint8 flag byte (bits as engine.errors.PcFlag).
//
// No fast-math (erf/erfc/exp accuracy is the point); the g++ build uses -ffp-contract=off.
#pragma once

#include "common.cuh"

#if !defined(__CUDACC__)
#include <math.h>  // host build; nvcc and NVRTC provide the math functions themselves
#endif

namespace de_pc {

enum pc_flag {
    PC_FLAG_SLOW = 1,                // relative speed below SLOW_SPEED_KM_S (zero: Pc NaN)
    PC_FLAG_LONG = 2,                // CARA 'Extended' indicator above EXTENDED_LIMIT
    PC_FLAG_NPD = 4,                 // covariance clipped (non-positive definite or tiny) or collapsed
    PC_FLAG_ASSUMED_COVARIANCE = 8,  // set by the launcher, never here
    PC_FLAG_OFFSET = 16,             // CARA 'Offset' indicator above OFFSET_LIMIT
};

constexpr int PACKED_IN = 19;
constexpr int PACKED_OUT = 7;

constexpr double GM_EARTH_KM3_S2 = de_model::WGS84_GM_KM3_S2;  // EGM-96 / WGS-84
constexpr double FCLIP = 1e-4;                     // CARA eigenvalue clipping factor
constexpr double COLLAPSE_RTOL = 1e-13;             // |eigenvalue| <= this * trace(C): zero (pc.py)
constexpr double SQRT2_ERFCINV_GAMMA = 8.304785425194114;  // sqrt(2) erfcinv(1e-16)
constexpr double EXTENDED_LIMIT = 2e-2;
constexpr double OFFSET_LIMIT = 1e-2;
constexpr double SLOW_SPEED_KM_S = 0.01;
constexpr int QUAD_NODES = 16;
constexpr int QUAD_MAX_PANELS = 64;
constexpr double QUAD_WINDOW_K2 = 80.0;
constexpr double QUAD_PANEL_SIGMAS = 2.0;
constexpr int GOLDEN_ITERS = 48;
constexpr int BISECT_ITERS = 48;
constexpr double PI = 3.141592653589793;
constexpr double SQRT2 = 1.4142135623730951;
constexpr double TWO_OVER_SQRT_PI = 1.1283791670955126;
constexpr double TWO_SQRT_2PI = 5.0132565492620005;  // 2 sqrt(2 pi)

// 16-point Gauss-Legendre on [-1, 1]: the 8 positive nodes and their weights (the rule is
// symmetric); tests compare them with numpy.polynomial.legendre.leggauss(16)
#define DE_PC_GL16_X                                                                       \
    {0.09501250983763744, 0.2816035507792589, 0.45801677765722737, 0.6178762444026438,   \
     0.755404408355003, 0.8656312023878318, 0.9445750230732326, 0.9894009349916499}
#define DE_PC_GL16_W                                                                       \
    {0.18945061045506864, 0.18260341504492364, 0.16915651939500265, 0.1495959888165767,  \
     0.12462897125553407, 0.0951585116824926, 0.062253523938647456, 0.027152459411754176}

#if defined(__CUDACC__)
DE_HD double pc_inf() { return __longlong_as_double(0x7ff0000000000000LL); }
DE_HD double pc_nan() { return __longlong_as_double(0x7ff8000000000000LL); }
#else
inline double pc_inf() { return HUGE_VAL; }
inline double pc_nan() { return NAN; }
#endif

// erf(a) - erf(b) without cancellation (a >= b expected): midpoint series when the two
// arguments are close, erfc differences when both are in the same tail (CARA
// erf_vec_dif), plain erf otherwise.
DE_HD double erf_diff(double a, double b) {
    const double m = 0.5 * (a + b);
    const double d = a - b;
    if (fabs(d) * fmax(1.0, fabs(m)) < 1e-2) {
        // int_b^a exp(-t^2) dt = d e^{-m^2} [1 + H2(m) d^2/24 + H4(m) d^4/1920 + O(d^6)]
        const double m2 = m * m, d2 = d * d;
        const double h2 = 4.0 * m2 - 2.0;
        const double h4 = (16.0 * m2 - 48.0) * m2 + 12.0;
        return TWO_OVER_SQRT_PI * d * exp(-m2) * (1.0 + d2 * (h2 / 24.0 + d2 * h4 / 1920.0));
    }
    if (b > 0.0) return erfc(b) - erfc(a);
    if (a < 0.0) return erfc(-a) - erfc(-b);
    return erf(a) - erf(b);
}

// Mahalanobis-type exponent of the integrand at minor-axis coordinate z: the Gaussian in
// z plus the exponent of the erf factor's nearest chord point along the major axis
DE_HD double q_exponent(double z, double xm, double zm, double sx, double sz, double hbr) {
    const double h = sqrt(fmax(0.0, (hbr - (z - zm)) * (hbr + (z - zm))));
    const double d = fmax(0.0, xm - h);
    const double a = z / sz, b = d / sx;
    return a * a + b * b;
}

// Edge of the integration window between a disk end and the minimiser zs: bisection on
// Q(z) > target, keeping the outer end (the window errs on the wide side)
DE_HD double window_end(double end, double zs, double target, double xm, double zm, double sx,
                        double sz, double hbr) {
    if (q_exponent(end, xm, zm, sx, sz, hbr) <= target) return end;
    double outer = end, inner = zs;
    for (int it = 0; it < BISECT_ITERS; ++it) {
        const double m = 0.5 * (outer + inner);
        if (q_exponent(m, xm, zm, sx, sz, hbr) > target) outer = m; else inner = m;
    }
    return outer;
}

// 2D Pc of the disk (radius hbr, centre (xm, zm) >= 0) under N(0, diag(sx^2, sz^2)),
// sx >= sz > 0, hbr > 0 finite: window + panelled Gauss-Legendre in theta, where
// z = zm - hbr cos(theta) (see engine/pc/_numpy.py _window / _pc_plane)
DE_HD double pc_plane(double xm, double zm, double sx, double sz, double hbr) {
    // bounds of Q over the disk: if they differ by less than QUAD_WINDOW_K2 the window is the
    // whole disk (usual case, sigmas >> HBR) and W is bounded by 2 sqrt(difference)
    const double qa = (zm + hbr) / sz, qb = xm / sx;
    const double qc = fmax(0.0, zm - hbr) / sz, qd = fmax(0.0, xm - hbr) / sx;
    const double qmax_b = qa * qa + qb * qb, qmin_b = qc * qc + qd * qd;
    double zl = zm - hbr, zh = zm + hbr;
    double w = 2.0 * sqrt(fmax(qmax_b - qmin_b, 0.0));
    if (!(qmax_b - qmin_b <= QUAD_WINDOW_K2)) {
        const double g = 0.6180339887498949;  // (sqrt 5 - 1)/2
        double a = zl, b = zh;
        double c = b - g * (b - a), d = a + g * (b - a);
        double fc = q_exponent(c, xm, zm, sx, sz, hbr), fd = q_exponent(d, xm, zm, sx, sz, hbr);
        for (int it = 0; it < GOLDEN_ITERS; ++it) {  // golden-section search: Q is convex in z
            if (fc <= fd) {
                b = d; d = c; fd = fc;
                c = b - g * (b - a);
                fc = q_exponent(c, xm, zm, sx, sz, hbr);
            } else {
                a = c; c = d; fc = fd;
                d = a + g * (b - a);
                fd = q_exponent(d, xm, zm, sx, sz, hbr);
            }
        }
        const double zs = 0.5 * (a + b);
        const double qmin = q_exponent(zs, xm, zm, sx, sz, hbr);
        const double target = qmin + QUAD_WINDOW_K2;
        zl = window_end(zm - hbr, zs, target, xm, zm, sx, sz, hbr);
        zh = window_end(zm + hbr, zs, target, xm, zm, sx, sz, hbr);
        w = sqrt(fmin(fmax(q_exponent(zl, xm, zm, sx, sz, hbr) - qmin, 0.0), QUAD_WINDOW_K2)) +
            sqrt(fmin(fmax(q_exponent(zh, xm, zm, sx, sz, hbr) - qmin, 0.0), QUAD_WINDOW_K2));
    }
    const double tl = acos(fmin(fmax((zm - zl) / hbr, -1.0), 1.0));
    const double th = acos(fmin(fmax((zm - zh) / hbr, -1.0), 1.0));
    const double dth = th - tl;
    const double praw = ceil(fmax(w, dth * hbr / sz) / QUAD_PANEL_SIGMAS);
    const int panels = (int)fmin(fmax(praw, 1.0), (double)QUAD_MAX_PANELS);
    const double width = dth / panels;
    const double s2x = SQRT2 * sx;
    const double GX[8] = DE_PC_GL16_X;
    const double GW[8] = DE_PC_GL16_W;
    double total = 0.0;
    for (int p = 0; p < panels; ++p) {
        double sum = 0.0;
#if defined(__CUDACC__)
#pragma unroll
#endif
        for (int k = 0; k < QUAD_NODES; ++k) {
            // node order -x7..-x0, x0..x7 as leggauss returns them
            const double xg = k < 8 ? -GX[7 - k] : GX[k - 8];
            const double wg = k < 8 ? GW[7 - k] : GW[k - 8];
            const double t = tl + (p + 0.5 * (xg + 1.0)) * width;
            const double st = sin(0.5 * t);
            const double z = (zm - hbr) + 2.0 * hbr * st * st;  // zm - hbr cos t, no cancellation
            const double h = hbr * sin(t);
            const double e = erf_diff((xm + h) / s2x, (xm - h) / s2x);
            const double zz = z / sz;
            sum += wg * (h * exp(-0.5 * zz * zz) * e);
        }
        total += 0.5 * width * sum;
    }
    return total / (TWO_SQRT_2PI * sz);
}

DE_HD double dot3(const double* a, const double* b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

DE_HD void cross3(const double* a, const double* b, double* o) {
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}

DE_HD double norm3(const double* a) { return sqrt(dot3(a, a)); }

// Keplerian period (s) of an inertial state, infinite if unbound
DE_HD double period(const double* r, const double* v) {
    const double energy = 0.5 * dot3(v, v) - GM_EARTH_KM3_S2 / norm3(r);
    if (!(energy < 0.0)) return pc_inf();
    const double a = -GM_EARTH_KM3_S2 / (2.0 * energy);
    return 2.0 * PI * sqrt(a * a * a / GM_EARTH_KM3_S2);
}

// Exact Pc of a covariance collapsed to a line (variance sx^2 along the major axis, none
// across): the Gaussian integral over the chord of the hard-body circle, half-length
// h = sqrt(HBR^2 - zm^2); 0 when the line misses or touches the circle (engine/pc/_numpy.py _pc_line)
DE_HD double pc_line(double xm, double zm, double sx, double hbr) {
    const double h = sqrt(fmax(0.0, (hbr - zm) * (hbr + zm)));
    const double s2x = SQRT2 * sx;
    return fmin(1.0, 0.5 * erf_diff((xm + h) / s2x, (xm - h) / s2x));
}

// C (xx, xy, xz, yy, yz, zz) times vector
DE_HD void sym_mul(const double* c, const double* x, double* o) {
    o[0] = c[0] * x[0] + c[1] * x[1] + c[2] * x[2];
    o[1] = c[1] * x[0] + c[3] * x[1] + c[4] * x[2];
    o[2] = c[2] * x[0] + c[4] * x[1] + c[5] * x[2];
}

// One conjunction: in[PACKED_IN] -> out[PACKED_OUT], flags
DE_HD void foster_one(const double* in, double* out, unsigned char* flags) {
    const double* r1 = in;
    const double* v1 = in + 3;
    const double* r2 = in + 6;
    const double* v2 = in + 9;
    const double* cv = in + 12;
    const double hbr = in[18];
    const bool finite_hbr = isfinite(hbr);
    unsigned char f = 0;
    double r[3], v[3];
    for (int i = 0; i < 3; ++i) { r[i] = r1[i] - r2[i]; v[i] = v1[i] - v2[i]; }
    const double rmag = norm3(r);
    const double vmag = norm3(v);
    if (vmag < SLOW_SPEED_KM_S) f |= PC_FLAG_SLOW;
    // zero miss: shift 1e-6 HBR perpendicular to v (as CARA PcCircle) so the frame exists
    if (rmag < 1e-6 * hbr && finite_hbr) {
        double rs[3], perp[3];
        for (int i = 0; i < 3; ++i) rs[i] = r1[i] + r2[i];
        cross3(rs, v, perp);
        const double pn = norm3(perp);
        if (pn > 0.0)
            for (int i = 0; i < 3; ++i) r[i] += (1e-6 * hbr / pn) * perp[i];
    }
    const double rmag_eff = norm3(r);
    double hv[3];
    cross3(r, v, hv);
    if (!(norm3(hv) > 0.0)) {  // r parallel to v: any normal to v
        double e[3] = {0.0, 0.0, 0.0};
        const double ax = fabs(v[0]), ay = fabs(v[1]), az = fabs(v[2]);
        e[(ax <= ay && ax <= az) ? 0 : (ay <= az ? 1 : 2)] = 1.0;
        cross3(v, e, hv);
    }
    double y[3], zh[3], xh[3];
    const double hn = norm3(hv);
    for (int i = 0; i < 3; ++i) { y[i] = v[i] / vmag; zh[i] = hv[i] / hn; }
    cross3(y, zh, xh);
    double cx[3], cz[3];
    sym_mul(cv, xh, cx);
    sym_mul(cv, zh, cz);
    const double a11 = dot3(xh, cx), a12 = dot3(xh, cz), a22 = dot3(zh, cz);
    const double half_tr = 0.5 * (a11 + a22);
    const double half_df = 0.5 * (a11 - a22);
    const double s = hypot(half_df, a12);
    const double l1 = half_tr + s;
    const double det = a11 * a22 - a12 * a12;
    const double l2 = l1 > 0.0 ? det / l1 : half_tr - s;
    double ex = half_df >= 0.0 ? l1 - a22 : a12;
    double ez = half_df >= 0.0 ? a12 : l1 - a11;
    const double en = hypot(ex, ez);
    if (en > 0.0) { ex /= en; ez /= en; } else { ex = 1.0; ez = 0.0; }
    const double lclip = finite_hbr ? (FCLIP * hbr) * (FCLIP * hbr) : 0.0;
    bool npd = l2 < lclip || l1 < lclip;
    // collapsed to a line / a point in the encounter plane: exact limit, no clipping
    const double noise = COLLAPSE_RTOL * fmax(cv[0] + cv[3] + cv[5], 0.0);
    const bool point = l1 <= noise;
    const bool line = fabs(l2) <= noise && !point;
    const double sx = point ? 0.0 : (line ? sqrt(fmax(l1, 0.0)) : sqrt(fmax(l1, lclip)));
    const double sz = (point || line) ? 0.0 : sqrt(fmax(l2, lclip));
    const double xm = rmag_eff * fabs(ex);
    const double zm = rmag_eff * fabs(ez);

    // CARA duration indicators from the rectilinear model: LDL' of C with clipped pivots
    const double lc = fmax(lclip, 1e-300);
    double d0 = cv[0];
    npd = npd || d0 < lc;
    d0 = fmax(d0, lc);
    const double l10 = cv[1] / d0, l20 = cv[2] / d0;
    double d1 = cv[3] - l10 * l10 * d0;
    npd = npd || d1 < lc;
    d1 = fmax(d1, lc);
    const double l21 = (cv[4] - l20 * l10 * d0) / d1;
    double d2 = cv[5] - l20 * l20 * d0 - l21 * l21 * d1;
    npd = npd || d2 < lc;
    d2 = fmax(d2, lc);
    const double ry0 = r[0], ry1 = r[1] - l10 * ry0, ry2 = r[2] - l20 * ry0 - l21 * ry1;
    const double vy0 = v[0], vy1 = v[1] - l10 * vy0, vy2 = v[2] - l20 * vy0 - l21 * vy1;
    const double rv = ry0 * vy0 / d0 + ry1 * vy1 / d1 + ry2 * vy2 / d2;
    const double vv = vy0 * vy0 / d0 + vy1 * vy1 / d1 + vy2 * vy2 / d2;
    if (npd) f |= PC_FLAG_NPD;
    double extended = 1.0, offset = 1.0;
    if (vmag != 0.0) {
        const double sig_t = 1.0 / sqrt(vv);
        const double t_mid = rv == 0.0 ? 0.0 : -rv / vv;
        const double dtau = sig_t * SQRT2_ERFCINV_GAMMA;
        const double pmin = fmin(period(r1, v1), period(r2, v2));
        extended = fmin(1.0, 2.0 * dtau / pmin);
        offset = fmin(1.0, fmax(fabs(t_mid - dtau), fabs(t_mid + dtau)) / pmin);
    }
    if (extended > EXTENDED_LIMIT) f |= PC_FLAG_LONG;
    if (offset > OFFSET_LIMIT) f |= PC_FLAG_OFFSET;

    double pc = 0.0;
    if (vmag == 0.0) {
        pc = pc_nan();
    } else if (!finite_hbr) {
        pc = 1.0;
    } else if (hbr > 0.0) {
        if (point) pc = rmag < hbr ? 1.0 : 0.0;
        else if (line) pc = pc_line(xm, zm, sx, hbr);
        else pc = fmin(1.0, pc_plane(xm, zm, sx, sz, hbr));
    }
    out[0] = pc;
    out[1] = rmag;
    out[2] = vmag;
    out[3] = sx;
    out[4] = sz;
    out[5] = extended;
    out[6] = offset;
    *flags = f;
}

}  // namespace de_pc
