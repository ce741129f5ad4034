// cowell.cuh: Cowell propagation (point mass + zonal J2..Jn + drag), one object per thread.
//
// Host+device math, compiled as CUDA by kernels/cowell.cu and with g++ by
// kernels/host/cowell_host.cpp for the CPU tests. The NumPy implementation
// (engine/numerical/_numpy.py) is written independently and follows the same scheme,
// documented there: per-object adaptive step with the elementary controller (Hairer,
// Norsett & Wanner, Solving ODEs I, sec. II.4), error norm
// max(|dr| / (rtol |r|), |dv| / (rtol |v|)), steps capped at hmax and clamped to the last
// output time, quintic Hermite dense output through (r, v, a) at both step ends,
// re-entry found by 20 bisections of the altitude on that interpolant. A rejected step
// across a strong density kink (an inner band base of the atmosphere) is retried ending
// just past the kink, found on that step's interpolant, and the step after resumes the
// interrupted length (landing on density kinks, engine/numerical/_numpy.py: _land_on_kinks).
//
// Frame: inertial, z axis = Earth's pole (the caller rotates GCRF into it and back).
// Units: km, s, km/s. Densities kg/m^3; bdrag = cd A/M / 2 in m^2/kg.
#pragma once


#include "common.cuh"

#if defined(__CUDACC__)
#define DE_CONST __constant__ const
// the optional Sun/Moon/SRP terms live in a real call, so that their registers do not
// weigh on the default force model's occupancy
#define DE_HD_NOINLINE __host__ __device__ __noinline__
#else
#define DE_CONST static const
#define DE_HD_NOINLINE inline
#endif

// status codes: de_error_code in common.cuh (DE_OK, DE_ERR_REENTERED, DE_ERR_STEP_UNDERFLOW,
// DE_ERR_MAX_STEPS), the same numbers as engine/errors.py

namespace de_cowell {

// EGM2008 (Pavlis et al. 2012), tide-free: GM km^3/s^2, reference radius km
constexpr double GM = de_model::EGM2008_GM_KM3_S2;
constexpr double R_EARTH = de_model::EGM2008_R_KM;
// WGS84 ellipsoid (altitudes) and Earth rotation rate (rad/s)
constexpr double WGS84_A = de_model::WGS84_A_KM;
constexpr double WGS84_F = de_model::WGS84_F;
constexpr double OMEGA_EARTH = de_model::WGS84_OMEGA_RAD_S;
constexpr int MAX_ZONAL = 12;
// Sun, Moon GM (km^3/s^2, DE430), AU (km), lunar-parallax Earth radius (km)
constexpr double GM_SUN = 1.32712440041939e11;
constexpr double GM_MOON = 4902.800066;
constexpr double AU = 149597870.7;
constexpr double R_MOON_UNIT = de_model::WGS84_A_KM;
constexpr double DEG = 3.14159265358979323846 / 180.0;

// unnormalised zonal coefficients J_n = -sqrt(2n+1) Cbar_n0, n = 0..12 (EGM2008 Cbar_n0)
DE_CONST double J[13] = {
    0.0, 0.0,
    -2.23606797749979 * -0.484165143790815e-03,   // sqrt(5)
    -2.6457513110645907 * 0.957161207093473e-06,  // sqrt(7)
    -3.0 * 0.539965866638991e-06,                 // sqrt(9)
    -3.3166247903554 * 0.686702913736681e-07,     // sqrt(11)
    -3.605551275463989 * -0.149953927978527e-06,  // sqrt(13)
    -3.872983346207417 * 0.905120844521618e-07,   // sqrt(15)
    -4.123105625617661 * 0.494756003005199e-07,   // sqrt(17)
    -4.358898943540674 * 0.280180753216300e-07,   // sqrt(19)
    -4.58257569495584 * 0.533304381729473e-07,    // sqrt(21)
    -4.795831523312719 * -0.507683787085927e-07,  // sqrt(23)
    -5.0 * 0.364361922614572e-07,                 // sqrt(25)
};

// Prince & Dormand (1981), RK8(7)13M: a (row-major 13 x 13, lower triangle), b (8th
// order), e = b - bhat (error weights), c
DE_CONST double DP87_A[13 * 13] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1.0 / 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1.0 / 48, 1.0 / 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1.0 / 32, 0, 3.0 / 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    5.0 / 16, 0, -75.0 / 64, 75.0 / 64, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    3.0 / 80, 0, 0, 3.0 / 16, 3.0 / 20, 0, 0, 0, 0, 0, 0, 0, 0,
    29443841.0 / 614563906, 0, 0, 77736538.0 / 692538347, -28693883.0 / 1125000000,
    23124283.0 / 1800000000, 0, 0, 0, 0, 0, 0, 0,
    16016141.0 / 946692911, 0, 0, 61564180.0 / 158732637, 22789713.0 / 633445777,
    545815736.0 / 2771057229, -180193667.0 / 1043307555, 0, 0, 0, 0, 0, 0,
    39632708.0 / 573591083, 0, 0, -433636366.0 / 683701615, -421739975.0 / 2616292301,
    100302831.0 / 723423059, 790204164.0 / 839813087, 800635310.0 / 3783071287, 0, 0, 0, 0, 0,
    246121993.0 / 1340847787, 0, 0, -37695042795.0 / 15268766246, -309121744.0 / 1061227803,
    -12992083.0 / 490766935, 6005943493.0 / 2108947869, 393006217.0 / 1396673457,
    123872331.0 / 1001029789, 0, 0, 0, 0,
    -1028468189.0 / 846180014, 0, 0, 8478235783.0 / 508512852, 1311729495.0 / 1432422823,
    -10304129995.0 / 1701304382, -48777925059.0 / 3047939560, 15336726248.0 / 1032824649,
    -45442868181.0 / 3398467696, 3065993473.0 / 597172653, 0, 0, 0,
    185892177.0 / 718116043, 0, 0, -3185094517.0 / 667107341, -477755414.0 / 1098053517,
    -703635378.0 / 230739211, 5731566787.0 / 1027545527, 5232866602.0 / 850066563,
    -4093664535.0 / 808688257, 3962137247.0 / 1805957418, 65686358.0 / 487910083, 0, 0,
    403863854.0 / 491063109, 0, 0, -5068492393.0 / 434740067, -411421997.0 / 543043805,
    652783627.0 / 914296604, 11173962825.0 / 925320556, -13158990841.0 / 6184727034,
    3936647629.0 / 1978049680, -160528059.0 / 685178525, 248638103.0 / 1413531060, 0, 0,
};
DE_CONST double DP87_B[13] = {
    14005451.0 / 335480064, 0, 0, 0, 0, -59238493.0 / 1068277825, 181606767.0 / 758867731,
    561292985.0 / 797845732, -1041891430.0 / 1371343529, 760417239.0 / 1151165299,
    118820643.0 / 751138087, -528747749.0 / 2220607170, 1.0 / 4,
};
DE_CONST double DP87_BHAT[13] = {
    13451932.0 / 455176623, 0, 0, 0, 0, -808719846.0 / 976000145, 1757004468.0 / 5645159321,
    656045339.0 / 265891186, -3867574721.0 / 1518517206, 465885868.0 / 322736535,
    53011238.0 / 667516719, 2.0 / 45, 0,
};
DE_CONST double DP87_C[13] = {
    0, 1.0 / 18, 1.0 / 12, 1.0 / 8, 5.0 / 16, 3.0 / 8, 59.0 / 400, 93.0 / 200,
    5490023248.0 / 9719169821, 13.0 / 20, 1201146811.0 / 1299019798, 1, 1,
};
// Dormand & Prince (1980), RK5(4)7M (FSAL: row 7 of a is b)
DE_CONST double DP54_A[7 * 7] = {
    0, 0, 0, 0, 0, 0, 0,
    1.0 / 5, 0, 0, 0, 0, 0, 0,
    3.0 / 40, 9.0 / 40, 0, 0, 0, 0, 0,
    44.0 / 45, -56.0 / 15, 32.0 / 9, 0, 0, 0, 0,
    19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729, 0, 0, 0,
    9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656, 0, 0,
    35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0,
};
DE_CONST double DP54_B[7] = {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0};
DE_CONST double DP54_BHAT[7] = {5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640,
                                -92097.0 / 339200, 187.0 / 2100, 1.0 / 40};
DE_CONST double DP54_C[7] = {0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1};
// classical RK4
DE_CONST double RK4_A[4 * 4] = {0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 1, 0};
DE_CONST double RK4_B[4] = {1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6};
DE_CONST double RK4_C[4] = {0, 0.5, 0.5, 1};

enum Method { DP87 = 0, DP54 = 1, RK4 = 2 };

// step-size controller (Hairer, Norsett & Wanner I, sec. II.4)
constexpr double SAFETY = 0.9;
constexpr double FACMIN = 0.2;
constexpr double FACMAX = 5.0;
constexpr int BISECTIONS = 20;  // 300 s / 2^20 < 3e-4 s
// landing on density kinks (engine/numerical/_numpy.py: KINK_SAMPLES, KINK_MARGIN_S,
// KINK_THETA_MAX): samples per level of the crossing search, margin past the crossing (s),
// largest landing as a fraction of the rejected step
constexpr int KINK_SAMPLES = 32;
constexpr double KINK_MARGIN_S = 0.05;
constexpr double KINK_THETA_MAX = 0.99;

struct Params {
    int nzonal;         // highest zonal degree (< 2: point mass only)
    double bdrag;       // cd A/M / 2, m^2/kg (0: no drag)
    int nbands;         // piecewise-exponential atmosphere bands (0: no drag)
    const double* h0;   // (nbands,) band base altitudes, km, increasing
    const double* rho0; // (nbands,) kg/m^3
    const double* hs;   // (nbands,) scale heights, km
    int sun_moon;       // Sun and Moon point masses on/off
    double fsrp;        // P cr A/M / 1e3, km/s^2 at 1 AU (0: no solar radiation pressure)
    double t2000;       // TT days since J2000.0 at the epoch (t = 0)
};

// Sun, km, mean equator of date: Vallado 4th ed. algorithm 29 (low precision)
DE_HD void sun_position(double t2000, double* s) {
    const double tc = t2000 / 36525.0;
    const double lam_m = 280.460 + 36000.771 * tc;
    const double m = (357.5291092 + 35999.05034 * tc) * DEG;
    const double lam = (lam_m + 1.914666471 * sin(m) + 0.019994643 * sin(2.0 * m)) * DEG;
    const double r = (1.000140612 - 0.016708617 * cos(m) - 0.000139589 * cos(2.0 * m)) * AU;
    const double eps = (23.439291 - 0.0130042 * tc) * DEG;
    s[0] = r * cos(lam);
    s[1] = r * cos(eps) * sin(lam);
    s[2] = r * sin(eps) * sin(lam);
}

// Moon, km, mean equator of date: Vallado 4th ed. algorithm 31 (low precision)
DE_HD void moon_position(double t2000, double* s) {
    const double tc = t2000 / 36525.0;
    const double lam = (218.32 + 481267.8813 * tc + 6.29 * sin((134.9 + 477198.85 * tc) * DEG) -
                        1.27 * sin((259.2 - 413335.38 * tc) * DEG) +
                        0.66 * sin((235.7 + 890534.23 * tc) * DEG) +
                        0.21 * sin((269.9 + 954397.70 * tc) * DEG) -
                        0.19 * sin((357.5 + 35999.05 * tc) * DEG) -
                        0.11 * sin((186.6 + 966404.05 * tc) * DEG)) * DEG;
    const double phi = (5.13 * sin((93.3 + 483202.03 * tc) * DEG) +
                        0.28 * sin((228.2 + 960400.87 * tc) * DEG) -
                        0.28 * sin((318.3 + 6003.18 * tc) * DEG) -
                        0.17 * sin((217.6 - 407332.20 * tc) * DEG)) * DEG;
    const double par = (0.9508 + 0.0518 * cos((134.9 + 477198.85 * tc) * DEG) +
                        0.0095 * cos((259.2 - 413335.38 * tc) * DEG) +
                        0.0078 * cos((235.7 + 890534.23 * tc) * DEG) +
                        0.0028 * cos((269.9 + 954397.70 * tc) * DEG)) * DEG;
    const double eps = (23.439291 - 0.0130042 * tc) * DEG;
    const double r = R_MOON_UNIT / sin(par);
    const double cl = cos(lam), sl = sin(lam), cp = cos(phi), sp = sin(phi);
    const double ce = cos(eps), se = sin(eps);
    s[0] = r * cp * cl;
    s[1] = r * (ce * cp * sl - se * sp);
    s[2] = r * (se * cp * sl + ce * sp);
}

// point-mass third body with the indirect term (Vallado 4th ed. eq. 8-37)
DE_HD void add_third_body(const double* y, const double* s, double gm, double* a) {
    const double dx = s[0] - y[0], dy = s[1] - y[1], dz = s[2] - y[2];
    const double d2 = dx * dx + dy * dy + dz * dz;
    const double d3 = d2 * sqrt(d2);
    const double s2 = s[0] * s[0] + s[1] * s[1] + s[2] * s[2];
    const double s3 = s2 * sqrt(s2);
    a[0] += gm * (dx / d3 - s[0] / s3);
    a[1] += gm * (dy / d3 - s[1] / s3);
    a[2] += gm * (dz / d3 - s[2] / s3);
}

// height above the WGS84 ellipsoid to first order in the flattening, km
DE_HD double altitude(const double* y) {
    const double rn = sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2]);
    const double s = y[2] / rn;
    return rn - WGS84_A * (1.0 - WGS84_F * s * s);
}

DE_HD double density(const Params& p, double h) {
    int i = 0;  // largest i with h0[i] <= h, clipped to [0, nbands - 1]
    while (i + 1 < p.nbands && p.h0[i + 1] <= h) ++i;
    return p.rho0[i] * exp(-(h - p.h0[i]) / p.hs[i]);
}

// band of altitude h: the number of kinks h0[1..nbands-1] <= h, density()'s index (NaN:
// the top band, as NumPy's searchsorted puts it)
DE_HD int band(const Params& p, double h) {
    int i = 0;
    while (i + 1 < p.nbands && !(h < p.h0[i + 1])) ++i;
    return i;
}

// Sun and Moon point masses and cannonball SRP (cylindrical shadow), added to a[3]
DE_HD_NOINLINE void add_luni_solar(const Params& p, double t, const double* y, double* a) {
    const double t2000 = p.t2000 + t / 86400.0;
    double sun[3];
    sun_position(t2000, sun);
    if (p.sun_moon) {
        double moon[3];
        moon_position(t2000, moon);
        add_third_body(y, sun, GM_SUN, a);
        add_third_body(y, moon, GM_MOON, a);
    }
    if (p.fsrp > 0.0) {
        const double x = y[0], yy = y[1], z = y[2];
        const double dx = sun[0] - x, dy = sun[1] - yy, dz = sun[2] - z;
        const double d = sqrt(dx * dx + dy * dy + dz * dz);
        const double sn = sqrt(sun[0] * sun[0] + sun[1] * sun[1] + sun[2] * sun[2]);
        const double proj = (x * sun[0] + yy * sun[1] + z * sun[2]) / sn;
        const double perp2 = x * x + yy * yy + z * z - proj * proj;
        if (proj >= 0.0 || perp2 >= WGS84_A * WGS84_A) {
            const double q = AU / d;
            const double f = -p.fsrp * q * q / d;
            a[0] += f * dx;
            a[1] += f * dy;
            a[2] += f * dz;
        }
    }
}

// dy/dt = (v, a) at t s after the epoch: point mass + zonal harmonics (Legendre
// recursion, see engine/numerical/_numpy.py: zonal_acceleration) + drag in the co-rotating
// atmosphere + optional Sun/Moon point masses and cannonball SRP (cylindrical shadow)
DE_HD void derivative(const Params& p, double t, const double* y, double* dy) {
    const double x = y[0], yy = y[1], z = y[2];
    const double r2 = x * x + yy * yy + z * z;
    const double rn = sqrt(r2);
    const double inv_r = 1.0 / rn;
    const double s = z * inv_r;
    const double mu_r2 = GM / r2;
    double radial = -mu_r2, axial = 0.0;
    if (p.nzonal >= 2) {
        const double q = R_EARTH * inv_r;
        double qn = q, p_prev = 1.0, pn = s, dpn = 1.0;
        for (int n = 2; n <= p.nzonal; ++n) {
            const double p_new = ((2 * n - 1) * s * pn - (n - 1) * p_prev) / n;
            const double dp_new = s * dpn + n * pn;
            p_prev = pn;
            pn = p_new;
            dpn = dp_new;
            qn = qn * q;
            const double cn = mu_r2 * J[n] * qn;
            radial = radial + cn * ((n + 1) * pn + s * dpn);
            axial = axial - cn * dpn;
        }
    }
    double ax = radial * x * inv_r;
    double ay = radial * yy * inv_r;
    double az = radial * s + axial;
    if (p.nbands > 0 && p.bdrag > 0.0) {
        // Vallado 4th ed. eq. 8-29, v_rel = v - w x r
        const double vrx = y[3] + OMEGA_EARTH * yy;
        const double vry = y[4] - OMEGA_EARTH * x;
        const double vrz = y[5];
        const double vr = sqrt(vrx * vrx + vry * vry + vrz * vrz);
        const double h = rn - WGS84_A * (1.0 - WGS84_F * s * s);
        const double f = -1e3 * p.bdrag * density(p, h) * vr;
        ax = ax + f * vrx;
        ay = ay + f * vry;
        az = az + f * vrz;
    }
    if (p.sun_moon || p.fsrp > 0.0) {
        double a[3] = {ax, ay, az};
        add_luni_solar(p, t, y, a);
        ax = a[0];
        ay = a[1];
        az = a[2];
    }
    dy[0] = y[3];
    dy[1] = y[4];
    dy[2] = y[5];
    dy[3] = ax;
    dy[4] = ay;
    dy[5] = az;
}

// quintic Hermite through (r, v, a) at both step ends: the position at th, r (3,)
DE_HD void hermite5_position(const double* y0, const double* f0, const double* y1,
                             const double* f1, double h, double th, double* r) {
    const double t2 = th * th, t3 = t2 * th, t4 = t3 * th, t5 = t4 * th;
    const double h00 = 1 - 10 * t3 + 15 * t4 - 6 * t5;
    const double h10 = th - 6 * t3 + 8 * t4 - 3 * t5;
    const double h20 = 0.5 * t2 - 1.5 * t3 + 1.5 * t4 - 0.5 * t5;
    const double h01 = 10 * t3 - 15 * t4 + 6 * t5;
    const double h11 = -4 * t3 + 7 * t4 - 3 * t5;
    const double h21 = 0.5 * t3 - t4 + 0.5 * t5;
    const double hh = h * h;
    for (int c = 0; c < 3; ++c) {
        r[c] = h00 * y0[c] + h * h10 * f0[c] + hh * h20 * f0[c + 3] + h01 * y1[c] +
               h * h11 * f1[c] + hh * h21 * f1[c + 3];
    }
}

// the same with the velocity (its derivative): out (6,), not aliasing the inputs
DE_HD void hermite5(const double* y0, const double* f0, const double* y1, const double* f1,
                    double h, double th, double* out) {
    hermite5_position(y0, f0, y1, f1, h, th, out);
    const double t2 = th * th, t3 = t2 * th, t4 = t3 * th;
    const double d00 = -30 * t2 + 60 * t3 - 30 * t4;
    const double d10 = 1 - 18 * t2 + 32 * t3 - 15 * t4;
    const double d20 = th - 4.5 * t2 + 6 * t3 - 2.5 * t4;
    const double d11 = -12 * t2 + 28 * t3 - 15 * t4;
    const double d21 = 1.5 * t2 - 4 * t3 + 2.5 * t4;
    for (int c = 0; c < 3; ++c) {
        out[c + 3] = (d00 * (y0[c] - y1[c])) / h + d10 * f0[c] + h * d20 * f0[c + 3] +
                     d11 * f1[c] + h * d21 * f1[c + 3];
    }
}

// band of the altitude at th on the step's position interpolant
DE_HD int band_on_path(const Params& p, const double* y0, const double* f0, const double* y1,
                       const double* f1, double h, double th) {
    double r[3];
    hermite5_position(y0, f0, y1, f1, h, th, r);
    return band(p, altitude(r));
}

// first_crossing of engine/numerical/_numpy.py: the first time (fraction of the step h)
// at which the altitude on the position interpolant through (y0, f0), (y1, f1) leaves
// band b0, sampled KINK_SAMPLES times along the step and again inside the first interval
// that left it; the upper end of that last interval, NaN where no sample left the band
DE_HD double first_crossing(const Params& p, const double* y0, const double* f0,
                            const double* y1, const double* f1, double h, int b0) {
    int j = 1;
    while (j <= KINK_SAMPLES && band_on_path(p, y0, f0, y1, f1, h, (double)j / KINK_SAMPLES) == b0)
        ++j;
    if (j > KINK_SAMPLES) return NAN;
    const double lo = (double)(j - 1) / KINK_SAMPLES;
    const double dth = 1.0 / (KINK_SAMPLES * KINK_SAMPLES);
    // the level-1 sample at the interval's end crossed: a level-2 miss falls back to it
    int i = 1;
    while (i < KINK_SAMPLES && band_on_path(p, y0, f0, y1, f1, h, lo + i * dth) == b0) ++i;
    return lo + i * dth;
}

// Step control at density kinks (engine/numerical/_numpy.py: _land_on_kinks, per object): a
// rejected step that ends in another band, across a kink strong enough to explain the
// rejection, is retried ending KINK_MARGIN_S past the crossing; once that landing is
// accepted the next step resumes the interrupted length. y, f: the step's start and its
// derivative; yn, fl: the trial end and the last stage; hs: the step tried; h_next: the
// controller's next step, updated; resume: > 0 a landing is pending (the interrupted
// step), < 0 the current step resumes one, else 0.
DE_HD void land_on_kinks(const Params& p, const double* y, const double* f, const double* yn,
                         const double* fl, double hs, bool ok, double rtol, double& h_next,
                         double& resume) {
    if (ok) {
        if (resume > 0.0) {
            h_next = fmax(h_next, resume);
            resume = -1.0;
        } else {
            resume = 0.0;
        }
        return;
    }
    const double alt0 = altitude(y), alt1 = altitude(yn);
    const int b0 = band(p, alt0), b1 = band(p, alt1);
    if (b0 != b1) {
        // the jump in the drag's time derivative moves the step's end by about
        // jump h^3 / 6: below a tenth of the tolerance the rejection has another cause
        const int kb = b0 < b1 ? b0 : b1;  // the lowest kink crossed: the strongest
        const double strength = p.rho0[kb + 1] * fabs(1.0 / p.hs[kb] - 1.0 / p.hs[kb + 1]);
        const double v2 = yn[3] * yn[3] + yn[4] * yn[4] + yn[5] * yn[5];
        const double rn = sqrt(yn[0] * yn[0] + yn[1] * yn[1] + yn[2] * yn[2]);
        const double jump = 1e3 * p.bdrag * strength * v2 * fabs(alt1 - alt0) / hs;
        if (jump * (hs * hs * hs) / 6.0 > 0.1 * rtol * rn) {
            const double theta = first_crossing(p, y, f, yn, fl, hs, b0) + KINK_MARGIN_S / hs;
            if (theta <= KINK_THETA_MAX) {
                const double interrupted = resume < 0.0 ? h_next : hs;
                resume = fmax(resume, interrupted);
                h_next = theta * hs;
            }
        }
    }
    // a rejected resumed step that lands nowhere is an ordinary rejection
    if (resume < 0.0) resume = 0.0;
}

DE_HD void fill_rest(long long m, long long j, unsigned char code, double* out,
                     unsigned char* status) {
    const double nan = NAN;
    for (; j < m; ++j) {
        status[j] = code;
        for (int c = 0; c < 6; ++c) out[6 * j + c] = nan;
    }
}

// Integrate one object from y0 (6,) at t = 0 to the output times t_out (m,), >= 0,
// non-decreasing. out: this object's (m, 6) rows; status: its (m,) codes. dense != 0:
// outputs inside steps by the Hermite interpolant; dense == 0: every step is clamped to
// land on the next output time.
DE_HD void propagate_one(const Params& p, const double* y0, const double* t_out, long long m,
                         int method, double rtol, double step, double hmax, double hmin,
                         double reentry_km, long long max_steps, int dense, double* out,
                         unsigned char* status, double& t_reentry, long long& nsteps) {
    const double* A;
    const double* B;
    const double* BH;
    const double* C;
    int s, q;
    bool fsal;
    if (method == DP87) {
        A = DP87_A; B = DP87_B; BH = DP87_BHAT; C = DP87_C; s = 13; q = 7; fsal = false;
    } else if (method == DP54) {
        A = DP54_A; B = DP54_B; BH = DP54_BHAT; C = DP54_C; s = 7; q = 4; fsal = true;
    } else {
        A = RK4_A; B = RK4_B; BH = nullptr; C = RK4_C; s = 4; q = 0; fsal = false;
    }
    const bool adaptive = BH != nullptr;
    // land on the atmosphere's band bases (density kinks)
    const bool kinks = adaptive && p.nbands > 1 && p.bdrag > 0.0;
    t_reentry = NAN;
    nsteps = 0;
    if (m <= 0) return;
    const double t_end = t_out[m - 1];
    double y[6], f[6], yn[6], fn[6], yi[6];
    double k[13][6];
    for (int c = 0; c < 6; ++c) y[c] = y0[c];
    long long j = 0;
    for (; j < m && t_out[j] <= 0.0; ++j) {
        status[j] = DE_OK;
        for (int c = 0; c < 6; ++c) out[6 * j + c] = y[c];
    }
    if (altitude(y) < reentry_km) {
        t_reentry = 0.0;
        fill_rest(m, j, DE_ERR_REENTERED, out, status);
        return;
    }
    if (j >= m) return;
    double t = 0.0, h;
    derivative(p, t, y, f);
    if (adaptive && !(step > 0.0)) {
        const double rn = sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2]);
        const double vn = sqrt(y[3] * y[3] + y[4] * y[4] + y[5] * y[5]);
        h = fmin(hmax, 0.5 * pow(rtol, 1.0 / (q + 1)) * rn / vn);
    } else {
        h = step;
    }
    bool grow = true;
    double resume = 0.0;  // see land_on_kinks
    while (true) {
        const double t_target = dense ? t_end : t_out[j];
        const double hs = fmin(h, t_target - t);
        const bool last = hs >= t_target - t;
        for (int c = 0; c < 6; ++c) k[0][c] = f[c];
        for (int i = 1; i < s; ++i) {
            for (int c = 0; c < 6; ++c) {
                double acc = 0.0;
                for (int l = 0; l < i; ++l) acc += A[i * s + l] * k[l][c];
                yi[c] = y[c] + hs * acc;
            }
            derivative(p, t + C[i] * hs, yi, k[i]);
        }
        for (int c = 0; c < 6; ++c) {
            if (fsal) {
                yn[c] = yi[c];
            } else {
                double acc = 0.0;
                for (int l = 0; l < s; ++l) acc += B[l] * k[l][c];
                yn[c] = y[c] + hs * acc;
            }
        }
        bool ok = true;
        double h_next = h;
        if (adaptive) {
            double dr2 = 0.0, dv2 = 0.0;
            for (int c = 0; c < 6; ++c) {
                double acc = 0.0;
                for (int l = 0; l < s; ++l) acc += (B[l] - BH[l]) * k[l][c];
                const double d = hs * acc;
                if (c < 3) dr2 += d * d; else dv2 += d * d;
            }
            const double rn = sqrt(yn[0] * yn[0] + yn[1] * yn[1] + yn[2] * yn[2]);
            const double vn = sqrt(yn[3] * yn[3] + yn[4] * yn[4] + yn[5] * yn[5]);
            const double err = fmax(sqrt(dr2) / (rtol * rn), sqrt(dv2) / (rtol * vn));
            ok = err <= 1.0;
            double fac = SAFETY * pow(fmax(err, 1e-300), -1.0 / (q + 1));
            fac = fmin(fmax(fac, FACMIN), (grow && ok) ? FACMAX : 1.0);
            h_next = fmin(hmax, hs * fac);
            if (last && ok) h_next = h;
            if (kinks) land_on_kinks(p, y, f, yn, k[s - 1], hs, ok, rtol, h_next, resume);
        }
        if (ok) {
            const double t1 = last ? t_target : t + hs;
            if (fsal) {
                for (int c = 0; c < 6; ++c) fn[c] = k[s - 1][c];
            } else {
                derivative(p, t1, yn, fn);
            }
            ++nsteps;
            double t_stop = t1;
            const bool low = altitude(yn) < reentry_km;
            if (low) {
                double lo = 0.0, hi = 1.0, ym[6];
                for (int it = 0; it < BISECTIONS; ++it) {
                    const double mid = 0.5 * (lo + hi);
                    hermite5(y, f, yn, fn, hs, mid, ym);
                    if (altitude(ym) < reentry_km) hi = mid; else lo = mid;
                }
                t_stop = t + hi * hs;
                t_reentry = t_stop;
            }
            for (; j < m && t_out[j] <= t_stop; ++j) {
                status[j] = DE_OK;
                if (t_out[j] == t1) {
                    for (int c = 0; c < 6; ++c) out[6 * j + c] = yn[c];
                } else {
                    hermite5(y, f, yn, fn, hs, (t_out[j] - t) / hs, out + 6 * j);
                }
            }
            if (low) {
                fill_rest(m, j, DE_ERR_REENTERED, out, status);
                return;
            }
            for (int c = 0; c < 6; ++c) {
                y[c] = yn[c];
                f[c] = fn[c];
            }
            t = t1;
            if (j >= m) return;
            if (nsteps >= max_steps) {
                fill_rest(m, j, DE_ERR_MAX_STEPS, out, status);
                return;
            }
        } else if (h_next < hmin) {
            fill_rest(m, j, DE_ERR_STEP_UNDERFLOW, out, status);
            return;
        }
        h = h_next;
        grow = ok;
    }
}

}  // namespace de_cowell
