// longterm.cuh: orbit-averaged decay of one object's mean elements (host+device).
//
// The same algorithm as engine/longterm/ (its __init__ docstring states the model and sources);
// the NumPy code there is written independently in array form and is the oracle of this
// header (tests/test_longterm.py compares the two through kernels/host/longterm_host.cpp).
//
// State y = (a km, e, i, RAAN, w rad). Rates per day:
//   drag: Gauss's equations in vector form (Vallado, Fundamentals of Astrodynamics and
//     Applications, 4th ed. 2013, ch. 9, Gauss's variation of parameters) with f = -bc rho |v_rel| v_rel,
//     averaged over the mean anomaly with the trapezoidal rule in the eccentric anomaly
//     (weight (1 - e cos E) / K at E_k = 2 pi k / K);
//   J2: secular RAAN and w rates (Vallado ch. 9) and the mean short-period radius
//     offset -(3/2) J2 R^2 / a (1 - (3/2) sin^2 i) in the height of every node.
// Density: ln rho from a table (uniform altitude x day grid, a quadratic in altitude per
// segment, linear in time; engine.atmosphere.Table).
// Steps: RK4, h = min(step, time left, dh_max / |dr_p/dt|, max(dh_max, 0.1 a e) /
// |dr_a/dt|), dh_max = max(1 km, 0.1 (h_p - reentry_km)); re-entry when the mean perigee height falls to
// reentry_km, time interpolated linearly within the step.
#pragma once

#include "common.cuh"

#if !defined(__CUDACC__)
#include <math.h>  // host build; nvcc and NVRTC provide the math functions themselves
#endif

namespace de_longterm {

constexpr double MU = de_model::WGS84_GM_KM3_S2;  // km^3/s^2
constexpr double J2 = de_model::EGM96_J2;
constexpr double R_EQ = de_model::WGS84_A_KM;  // km
constexpr double FLAT = de_model::WGS84_F;
constexpr double OMEGA_E = de_model::WGS84_OMEGA_RAD_S;  // rad/s
constexpr double DAY_S = de_model::SECONDS_PER_DAY;
constexpr double PI = 3.141592653589793;
constexpr double TWO_PI = 6.283185307179586;

// status of one object's run
enum Status { RUN_OK = 0, RUN_STEP_LIMIT = 1, RUN_STEP_FAILED = 2 };
// a step whose result is not a bound orbit is retried with h / 4, at most this many times
constexpr int RETRIES = 12;

struct DensityTable {
    const double* coef;  // (nd, na, 3): ln rho, slope (1/km), curvature (1/km^2)
    double alt0, dalt;   // km
    int na;
    double jd0, djd;     // Julian date of row 0, days between rows
    int nd;
};

struct Params {
    DensityTable tab;
    double jd_ref;       // Julian date of t = 0
    double step_days;
    double reentry_km;
    int nodes;           // 0: adaptive
    long long max_steps;
};

DE_HD double row_log_density(const double* c, double x, double xq) {
    return c[0] + x * (c[1] + c[2] * xq);
}

// the table cell of height h (km) and Julian date jd: altitude node k, x = h - node (km),
// xq = max(x, 0), and for nd > 1 the row d and weight w of the next row (clamped in time,
// straight-line extrapolation in altitude outside the grid, as engine.atmosphere.Table)
struct Cell {
    int k, d;
    double x, xq, w;
};

DE_HD Cell table_cell(const DensityTable& t, double h, double jd) {
    Cell c;
    double u = (h - t.alt0) / t.dalt;
    u = u < 0.0 ? 0.0 : (u > t.na - 1.0 ? t.na - 1.0 : u);
    c.k = (int)u;
    c.x = h - (t.alt0 + c.k * t.dalt);
    c.xq = c.x > 0.0 ? c.x : 0.0;
    c.d = 0;
    c.w = 0.0;
    if (t.nd > 1) {
        double s = (jd - t.jd0) / t.djd;
        s = s < 0.0 ? 0.0 : (s > t.nd - 1.0 ? t.nd - 1.0 : s);
        c.d = (int)s;
        if (c.d > t.nd - 2) c.d = t.nd - 2;
        c.w = s - c.d;
    }
    return c;
}

// ln(rho / (kg/m^3)) at height h (km) and Julian date jd
DE_HD double log_density(const DensityTable& t, double h, double jd) {
    const Cell c = table_cell(t, h, jd);
    const double* c0 = t.coef + 3 * ((long long)c.d * t.na + c.k);
    const double l0 = row_log_density(c0, c.x, c.xq);
    if (t.nd == 1) return l0;
    const double l1 = row_log_density(c0 + 3 * (long long)t.na, c.x, c.xq);
    return l0 + c.w * (l1 - l0);
}

DE_HD double j2_radius_offset(double a, double sin_i) {
    return -1.5 * J2 * R_EQ * R_EQ / a * (1.0 - 1.5 * sin_i * sin_i);
}

DE_HD double perigee_height(const double* y) {
    const double si = sin(y[2]);
    const double s = si * sin(y[4]);
    return y[0] * (1.0 - y[1]) + j2_radius_offset(y[0], si) - R_EQ * (1.0 - FLAT * s * s);
}

// d ln rho / dh (1/km) of the table at height h (km) and Julian date jd
DE_HD double log_density_slope(const DensityTable& t, double h, double jd) {
    const Cell c = table_cell(t, h, jd);
    const double* c0 = t.coef + 3 * ((long long)c.d * t.na + c.k);
    const double s0 = c0[1] + 2.0 * c0[2] * c.xq;
    if (t.nd == 1) return s0;
    const double* c1 = c0 + 3 * (long long)t.na;
    const double s1 = c1[1] + 2.0 * c1[2] * c.xq;
    return s0 + c.w * (s1 - s0);
}

// density scale height near perigee, km (engine.longterm.perigee_scale_height): the
// smaller local H at the perigee height and H_ABOVE_KM above it, at most H_CAP_KM
constexpr double H_ABOVE_KM = 25.0;
constexpr double H_CAP_KM = 200.0;
DE_HD double perigee_scale_height(const Params& p, const double* y, double t) {
    const double hp = perigee_height(y);
    const double jd = p.jd_ref + t;
    const double steep = fmax(-log_density_slope(p.tab, hp, jd),
                              -log_density_slope(p.tab, hp + H_ABOVE_KM, jd));
    return 1.0 / fmax(steep, 1.0 / H_CAP_KM);
}

// quadrature nodes for a, e: fixed, or the adaptive classes of engine.longterm.NODE_CLASSES
// for x = a e / H (X_MAX: trapezoid error 2 I_K(x) / I_0(x) <= 1e-6)
DE_HD int nodes_for(double a, double e, int fixed, double scale_km) {
    if (fixed > 0) return fixed;
    const double x = a * fabs(e) / scale_km;
    if (x <= 1.28) return 8;
    if (x <= 7.35) return 16;
    if (x <= 33.5) return 32;
    if (x <= 139.3) return 64;
    if (x <= 562.7) return 128;
    return 256;
}

// cos and sin of the node E_k = 2 pi k / K (sincospi on the device: exact argument
// reduction and one call for both)
DE_HD void node_cos_sin(int k, int K, double& c, double& s) {
#if defined(__CUDA_ARCH__)
    sincospi(2.0 * k / K, &s, &c);
#else
    const double ang = TWO_PI * k / K;
    c = cos(ang);
    s = sin(ang);
#endif
}

// orbit-averaged rates per day of y at t days after jd_ref; bc = cd A/M / 2 (km^2/kg)
DE_HD void rates(const Params& p, const double* y, double t, double bc, int K, double* out) {
    const double a = y[0], e = y[1];
    const double sq = sqrt(1.0 - e * e);
    const double si = sin(y[2]), ci = cos(y[2]);
    const double sw = sin(y[4]), cw = cos(y[4]);
    const double sma = sqrt(MU * a);
    const double hmag = sma * sq;
    const double pz = sw * si, qz = cw * si, wz = ci;
    const double off = j2_radius_offset(a, si);
    const double jd = p.jd_ref + t;
    double s_vf = 0.0, s_de = 0.0, s_di = 0.0;
    for (int k = 0; k < K; ++k) {
        double ce, se;
        node_cos_sin(k, K, ce, se);
        const double rr = a * (1.0 - e * ce);
        const double x = a * (ce - e);
        const double yy = a * sq * se;
        const double vf = sma / rr;
        const double vx = -vf * se;
        const double vy = vf * sq * ce;
        const double vrx = vx + OMEGA_E * wz * yy;
        const double vry = vy - OMEGA_E * wz * x;
        const double vrz = -OMEGA_E * (pz * yy - qz * x);
        const double vrel = sqrt(vrx * vrx + vry * vry + vrz * vrz);
        const double sphi = (pz * x + qz * yy) / rr;
        const double hgt = rr + off - R_EQ * (1.0 - FLAT * sphi * sphi);
        const double rho = exp(log_density(p.tab, hgt, jd)) * 1e9;  // kg/km^3
        const double q = -(bc * rho * vrel) * ((1.0 - e * ce) / K);
        const double fx = q * vrx, fy = q * vry, fz = q * vrz;
        const double vdotf = vx * fx + vy * fy;
        const double rdotv = x * vx + yy * vy;
        s_vf += vdotf;
        s_de += fy * hmag + x * vdotf - fx * rdotv;
        s_di += (x * cw - yy * sw) * fz;
    }
    const double n = sqrt(MU / (a * a * a));
    const double pr = R_EQ / (a * (1.0 - e * e));
    const double k2 = n * J2 * pr * pr;
    out[0] = (2.0 * a * a / MU) * s_vf * DAY_S;
    out[1] = s_de / MU * DAY_S;
    out[2] = s_di / hmag * DAY_S;
    out[3] = -1.5 * k2 * ci * DAY_S;
    out[4] = 0.75 * k2 * (5.0 * ci * ci - 1.0) * DAY_S;
}

DE_HD double wrap_2pi(double x) {
    double r = fmod(x, TWO_PI);
    return r < 0.0 ? r + TWO_PI : r;
}

// Step y (in place) from t (days after jd_ref) to t_stop or re-entry. Returns the status;
// t_re is the re-entry time (days), NaN when the object is still in orbit at t_stop.
DE_HD int run_object(const Params& p, double* y, double& t, double bc, double t_stop,
                     double& t_re) {
    t_re = nan("");  // quiet NaN without math.h's NAN macro (NVRTC has none)
    double hp = perigee_height(y);
    if (hp <= p.reentry_km) {
        t_re = t;
        return RUN_OK;
    }
    long long steps = 0;
    double k1[5], k2[5], k3[5], k4[5], ys[5];
    while (t < t_stop) {
        if (steps++ >= p.max_steps) return RUN_STEP_LIMIT;
        const int K = nodes_for(y[0], y[1], p.nodes,
                                p.nodes > 0 ? 0.0 : perigee_scale_height(p, y, t));
        rates(p, y, t, bc, K, k1);
        const double hp0 = perigee_height(y);
        const double rate_p = fabs(k1[0] * (1.0 - y[1]) - y[0] * k1[1]);
        const double rate_a = fabs(k1[0] * (1.0 + y[1]) + y[0] * k1[1]);
        const double dh_max = fmax(1.0, 0.1 * (hp0 - p.reentry_km));
        const double da_max = fmax(dh_max, 0.1 * y[0] * y[1]);
        const double lim = fmin(dh_max / fmax(rate_p, 1e-300), da_max / fmax(rate_a, 1e-300));
        double h = fmin(fmin(p.step_days, t_stop - t), fmax(lim, 1e-9));
        double yn[5];
        bool ok = false;
        for (int attempt = 0; attempt <= RETRIES && !ok; ++attempt) {
            if (attempt > 0) h *= 0.25;
            for (int j = 0; j < 5; ++j) ys[j] = y[j] + 0.5 * h * k1[j];
            rates(p, ys, t + 0.5 * h, bc, K, k2);
            for (int j = 0; j < 5; ++j) ys[j] = y[j] + 0.5 * h * k2[j];
            rates(p, ys, t + 0.5 * h, bc, K, k3);
            for (int j = 0; j < 5; ++j) ys[j] = y[j] + h * k3[j];
            rates(p, ys, t + h, bc, K, k4);
            for (int j = 0; j < 5; ++j)
                yn[j] = y[j] + h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
            if (yn[1] < 0.0) {  // e through zero: the perigee flips to the other side
                yn[1] = -yn[1];
                yn[4] += PI;
            }
            yn[3] = wrap_2pi(yn[3]);
            yn[4] = wrap_2pi(yn[4]);
            ok = yn[1] < 1.0 && yn[0] > 0.0;  // false for NaN too
            for (int j = 0; j < 5; ++j) ok = ok && isfinite(yn[j]);
        }
        if (!ok) return RUN_STEP_FAILED;
        for (int j = 0; j < 5; ++j) y[j] = yn[j];
        const double hp1 = perigee_height(y);
        if (hp1 <= p.reentry_km) {
            double f = (hp0 - p.reentry_km) / (hp0 - hp1);
            f = f < 0.0 ? 0.0 : (f > 1.0 ? 1.0 : f);
            t_re = t + h * f;
            t = t_re;
            return RUN_OK;
        }
        t += h;
    }
    return RUN_OK;
}

}  // namespace de_longterm
