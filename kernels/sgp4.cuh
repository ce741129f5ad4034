// sgp4.cuh: SGP4/SDP4 device math, host+device, templated on the real type.
//
// The model is the one of Vallado, Crawford, Hujsak and Kelso, "Revisiting Spacetrack
// Report #3", AIAA 2006-6753 (2006), in its 2020 revision as shipped in python-sgp4's
// extension/SGP4.cpp, which python-sgp4's Satrec/SatrecArray run and which is our
// reference. Section numbers below ("V06 s.N") refer to that paper; "STR#3" is
// Hoots & Roehrich, Spacetrack Report #3 (1980). The code is written for this project:
// the state of a satellite is split into
//
//   * an init step (sgp4_init_one) that runs once per object and writes a compact
//     struct-of-arrays record of float64 coefficients plus an int32 flag word, and
//   * a stateless propagate step (sgp4_propagate_one) that reads that record.
//
// Vallado's sgp4() keeps state between calls (the deep-space resonance integrator
// restarts from its last step, and deep-space periodic coefficients are overwritten in
// the satrec). Both are history-independent in exact terms, and here the resonance
// integration always restarts from epoch, which gives bit-identical steps: its state at
// atime = k*720 min is the same sequence of operations either way.
//
// Precision. T = double gives the reference model. T = float is the mixed-precision
// mode (docs: reference/propagation.md s.2.4): the secular stage (time, mean elements
// M0 + mdot*t etc., drag polynomials, deep-space resonance integration, reduction of the
// angles mod 2pi) always runs in double; only the periodic, Kepler and short-period
// stage runs in T. The record is always double.
//
// No fast-math: the expressions keep the reference's evaluation order, so the host build
// (g++ -ffp-contract=off) agrees with python-sgp4 to ~1e-12 relative.
#pragma once

#include "common.cuh"

#if !defined(__CUDACC__)
#include <math.h>  // host build; nvcc and NVRTC provide the math functions themselves
#endif

namespace de_sgp4 {

// ---------------------------------------------------------------- typed math wrappers
// Explicit float/double overloads so that neither nvcc nor g++ silently promotes a float
// argument to double (plain ::sin(float) on the host is the double function).
DE_HD double m_sin(double x) { return sin(x); }
DE_HD float m_sin(float x) { return sinf(x); }
DE_HD double m_cos(double x) { return cos(x); }
DE_HD float m_cos(float x) { return cosf(x); }
DE_HD double m_sqrt(double x) { return sqrt(x); }
DE_HD float m_sqrt(float x) { return sqrtf(x); }
DE_HD double m_fabs(double x) { return fabs(x); }
DE_HD float m_fabs(float x) { return fabsf(x); }
DE_HD double m_fmod(double x, double y) { return fmod(x, y); }
DE_HD float m_fmod(float x, float y) { return fmodf(x, y); }
DE_HD double m_atan2(double y, double x) { return atan2(y, x); }
DE_HD float m_atan2(float y, float x) { return atan2f(y, x); }
DE_HD double m_pow(double x, double y) { return pow(x, y); }
DE_HD float m_pow(float x, float y) { return powf(x, y); }

// quiet NaN without <limits> or math.h's NAN macro (NVRTC has neither)
template <typename T> struct nan_of;
template <> struct nan_of<double> { DE_HD static double value() { return nan(""); } };
template <> struct nan_of<float> { DE_HD static float value() { return nanf(""); } };

// Kepler iteration stop (V06 s.6: |dE| < 1e-12 rad, at most 10 iterations); a float
// cannot resolve 1e-12 rad, so the float threshold is a few ulp of 2pi instead.
template <typename T> struct kepler_tol;
template <> struct kepler_tol<double> { DE_HD static double value() { return 1.0e-12; } };
template <> struct kepler_tol<float> { DE_HD static float value() { return 1.0e-6f; } };

// ---------------------------------------------------------------- gravity models
// whichconst numbering is python-sgp4's: WGS72OLD = 0, WGS72 = 1, WGS84 = 2
// (V06 s.3, getgravconst).
enum { WGS72OLD = 0, WGS72 = 1, WGS84 = 2 };

struct GravConst {
    double radiusearthkm, xke, j2, j3oj2, j4, vkmpersec;
};

DE_HD GravConst gravconst(int whichconst) {
    GravConst g;
    double mu, j3;
    if (whichconst == WGS72OLD) {
        mu = 398600.79964;
        g.radiusearthkm = 6378.135;
        g.xke = 0.0743669161;
        g.j2 = 0.001082616;
        j3 = -0.00000253881;
        g.j4 = -0.00000165597;
    } else if (whichconst == WGS84) {
        mu = 398600.5;
        g.radiusearthkm = 6378.137;
        g.xke = 60.0 / sqrt(g.radiusearthkm * g.radiusearthkm * g.radiusearthkm / mu);
        g.j2 = 0.00108262998905;
        j3 = -0.00000253215306;
        g.j4 = -0.00000161098761;
    } else {  // WGS72, the TLE standard
        mu = 398600.8;
        g.radiusearthkm = 6378.135;
        g.xke = 60.0 / sqrt(g.radiusearthkm * g.radiusearthkm * g.radiusearthkm / mu);
        g.j2 = 0.001082616;
        j3 = -0.00000253881;
        g.j4 = -0.00000165597;
    }
    (void)mu;
    g.j3oj2 = j3 / g.j2;
    g.vkmpersec = g.radiusearthkm * g.xke / 60.0;
    return g;
}

// ---------------------------------------------------------------- the record
// Input elements, SoA (NELEM, N) float64, in this order (Vallado's names and units:
// days, rad, rad/min; ndot, nddot are carried for completeness and unused by SGP4).
// E_EPOCH is the epoch handed to sgp4init, days since 1949 Dec 31 00:00 UT: twoline2rv
// forms it as (jdsatepoch + jdsatepochF) - 2433281.5, Satrec.sgp4init takes it as given;
// the launchers pass whichever the object came from so gsto agrees bit for bit.
enum ElementField {
    E_JDSATEPOCH, E_JDSATEPOCHF, E_NO_KOZAI, E_ECCO, E_INCLO, E_NODEO, E_ARGPO, E_MO,
    E_BSTAR, E_NDOT, E_NDDOT, E_EPOCH, NELEM
};

// Coefficient record, SoA (NREC, N) float64. Fields 0..R_NEAR_END-1 are all that a
// near-earth object reads; the deep-space fields follow.
enum RecField {
    R_JDSATEPOCH, R_JDSATEPOCHF,
    R_NO, R_ECCO, R_INCLO, R_NODEO, R_ARGPO, R_MO, R_BSTAR,
    R_MDOT, R_ARGPDOT, R_NODEDOT, R_NODECF, R_CC1, R_BCC4, R_T2COF,
    R_AYCOF, R_XLCOF, R_CON41, R_X1MTH2, R_X7THM1,
    // drag terms used only when isimp == 0 (perigee above 220 km, near earth)
    R_OMGCOF, R_ETA, R_XMCOF, R_DELMO, R_D2, R_D3, R_D4, R_BCC5, R_SINMAO,
    R_T3COF, R_T4COF, R_T5COF,
    R_NEAR_END,
    // deep space (method 'd'): secular rates and resonance (dsinit), V06 s.5
    R_GSTO = R_NEAR_END, R_DEDT, R_DIDT, R_DMDT, R_DNODT, R_DOMDT,
    R_DEL1, R_DEL2, R_DEL3, R_XFACT, R_XLAMO,
    R_D2201, R_D2211, R_D3210, R_D3222, R_D4410, R_D4422, R_D5220, R_D5232, R_D5421, R_D5433,
    // lunar-solar periodics (dscom), V06 s.5
    R_E3, R_EE2, R_SE2, R_SE3, R_SGH2, R_SGH3, R_SGH4, R_SH2, R_SH3, R_SI2, R_SI3,
    R_SL2, R_SL3, R_SL4, R_XGH2, R_XGH3, R_XGH4, R_XH2, R_XH3, R_XI2, R_XI3,
    R_XL2, R_XL3, R_XL4, R_ZMOL, R_ZMOS,
    NREC
};

// Flag word (int32 per object).
enum {
    FLAG_ISIMP = 1,        // simplified drag (perigee < 220 km, or deep space)
    FLAG_DEEP = 2,         // method 'd' (period >= 225 min)
    FLAG_IREZ_SHIFT = 2,   // bits 2-3: resonance 0 none, 1 one-day, 2 half-day
    FLAG_AFSPC = 16,       // opsmode 'a'
    FLAG_GRAV_SHIFT = 5,   // bits 5-6: whichconst
};

DE_HD int flag_irez(int f) { return (f >> FLAG_IREZ_SHIFT) & 3; }
DE_HD int flag_grav(int f) { return (f >> FLAG_GRAV_SHIFT) & 3; }

// Strided view of one object's record: rec[k * stride].
struct RecView {
    const double* p;
    long long stride;
    DE_HD double operator[](int k) const { return p[k * stride]; }
};
struct RecOut {
    double* p;
    long long stride;
    DE_HD double& operator[](int k) const { return p[k * stride]; }
};

constexpr double PI = 3.14159265358979323846;
constexpr double TWOPI = 2.0 * PI;
constexpr double X2O3 = 2.0 / 3.0;

// Greenwich sidereal time, IAU-82 (V06 s.3 / Vallado 2013 eq. 3-47), rad.
DE_HD double gstime(double jdut1) {
    const double deg2rad = PI / 180.0;
    double tut1 = (jdut1 - 2451545.0) / 36525.0;
    double temp = -6.2e-6 * tut1 * tut1 * tut1 + 0.093104 * tut1 * tut1 +
                  (876600.0 * 3600 + 8640184.812866) * tut1 + 67310.54841;  // s
    temp = fmod(temp * deg2rad / 240.0, TWOPI);  // 360 deg / 86400 s = 1/240
    if (temp < 0.0) temp += TWOPI;
    return temp;
}

// ---------------------------------------------------------------- lunar-solar periodics
// dpper (V06 s.5; STR#6): long-period lunar-solar periodics applied to the mean
// elements at time t. The epoch offsets peo..pho of the reference are identically zero
// (dscom zeroes them and no later step writes them), so they are left out.
template <typename T>
DE_HD void dpper(const RecView& R, T t, bool afspc, T& ep, T& inclp, T& nodep, T& argpp,
                 T& mp) {
    const T zns = T(1.19459e-5), zes = T(0.01675), znl = T(1.5835218e-4), zel = T(0.05490);
    const T twopi = T(TWOPI), pi = T(PI);
    // solar terms
    T zm = T(R[R_ZMOS]) + zns * t;
    T zf = zm + T(2.0) * zes * m_sin(zm);
    T sinzf = m_sin(zf);
    T f2 = T(0.5) * sinzf * sinzf - T(0.25);
    T f3 = T(-0.5) * sinzf * m_cos(zf);
    T ses = T(R[R_SE2]) * f2 + T(R[R_SE3]) * f3;
    T sis = T(R[R_SI2]) * f2 + T(R[R_SI3]) * f3;
    T sls = T(R[R_SL2]) * f2 + T(R[R_SL3]) * f3 + T(R[R_SL4]) * sinzf;
    T sghs = T(R[R_SGH2]) * f2 + T(R[R_SGH3]) * f3 + T(R[R_SGH4]) * sinzf;
    T shs = T(R[R_SH2]) * f2 + T(R[R_SH3]) * f3;
    // lunar terms
    zm = T(R[R_ZMOL]) + znl * t;
    zf = zm + T(2.0) * zel * m_sin(zm);
    sinzf = m_sin(zf);
    f2 = T(0.5) * sinzf * sinzf - T(0.25);
    f3 = T(-0.5) * sinzf * m_cos(zf);
    T sel = T(R[R_EE2]) * f2 + T(R[R_E3]) * f3;
    T sil = T(R[R_XI2]) * f2 + T(R[R_XI3]) * f3;
    T sll = T(R[R_XL2]) * f2 + T(R[R_XL3]) * f3 + T(R[R_XL4]) * sinzf;
    T sghl = T(R[R_XGH2]) * f2 + T(R[R_XGH3]) * f3 + T(R[R_XGH4]) * sinzf;
    T shll = T(R[R_XH2]) * f2 + T(R[R_XH3]) * f3;

    T pe = ses + sel;
    T pinc = sis + sil;
    T pl = sls + sll;
    T pgh = sghs + sghl;
    T ph = shs + shll;

    inclp = inclp + pinc;
    ep = ep + pe;
    T sinip = m_sin(inclp);
    T cosip = m_cos(inclp);
    // Lyddane choice on the perturbed inclination, 0.2 rad (V06 s.5, "gsfc" variant)
    if (inclp >= T(0.2)) {
        ph = ph / sinip;
        pgh = pgh - cosip * ph;
        argpp = argpp + pgh;
        nodep = nodep + ph;
        mp = mp + pl;
    } else {
        // Lyddane modification for low inclination: work in (sin i sin node, sin i cos node)
        T sinop = m_sin(nodep);
        T cosop = m_cos(nodep);
        T alfdp = sinip * sinop;
        T betdp = sinip * cosop;
        T dalf = ph * cosop + pinc * cosip * sinop;
        T dbet = -ph * sinop + pinc * cosip * cosop;
        alfdp = alfdp + dalf;
        betdp = betdp + dbet;
        nodep = m_fmod(nodep, twopi);
        // AFSPC mode keeps the node in [0, 2pi) like the operational code (V06 s.4)
        if ((nodep < T(0.0)) && afspc) nodep = nodep + twopi;
        T xls = mp + argpp + cosip * nodep;
        T dls = pl + pgh - pinc * nodep * sinip;
        xls = xls + dls;
        T xnoh = nodep;
        nodep = m_atan2(alfdp, betdp);
        if ((nodep < T(0.0)) && afspc) nodep = nodep + twopi;
        if (m_fabs(xnoh - nodep) > pi) {
            if (nodep < xnoh)
                nodep = nodep + twopi;
            else
                nodep = nodep - twopi;
        }
        mp = mp + pl;
        argpp = xls - mp - cosip * nodep;
    }
}

// ---------------------------------------------------------------- deep-space init
// dscom + dsinit (V06 s.5; STR#6): lunar-solar coefficients and, for 12 h / 24 h
// orbits, the geopotential resonance coefficients. Writes into the record.
DE_HD void deep_space_init(const GravConst& g, double epoch, double ecco, double argpo,
                           double inclo, double nodeo, double mo, double no, double mdot,
                           double nodedot, double xpidot, double eccsq, double gsto,
                           const RecOut& W, int& irez) {
    // ---- dscom: solar (s*) and lunar (z*) geometry at epoch (tc = 0)
    const double zes = 0.01675, zel = 0.05490, c1ss = 2.9864797e-6, c1l = 4.7968065e-7;
    const double zsinis = 0.39785416, zcosis = 0.91744867, zcosgs = 0.1945905,
                 zsings = -0.98088458;
    const double tc = 0.0;
    double nm = no, em = ecco;
    double snodm = sin(nodeo), cnodm = cos(nodeo);
    double sinomm = sin(argpo), cosomm = cos(argpo);
    double sinim = sin(inclo), cosim = cos(inclo);
    double emsq = em * em;
    double betasq = 1.0 - emsq;
    double rtemsq = sqrt(betasq);
    double day = epoch + 18261.5 + tc / 1440.0;
    double xnodce = fmod(4.5236020 - 9.2422029e-4 * day, TWOPI);
    double stem = sin(xnodce), ctem = cos(xnodce);
    double zcosil = 0.91375164 - 0.03568096 * ctem;
    double zsinil = sqrt(1.0 - zcosil * zcosil);
    double zsinhl = 0.089683511 * stem / zsinil;
    double zcoshl = sqrt(1.0 - zsinhl * zsinhl);
    double gam = 5.8351514 + 0.0019443680 * day;
    double zx = 0.39785416 * stem / zsinil;
    double zy = zcoshl * ctem + 0.91744867 * zsinhl * stem;
    zx = atan2(zx, zy);
    zx = gam + zx - xnodce;
    double zcosgl = cos(zx), zsingl = sin(zx);

    double zcosg = zcosgs, zsing = zsings, zcosi = zcosis, zsini = zsinis;
    double zcosh = cnodm, zsinh = snodm, cc = c1ss;
    double xnoi = 1.0 / nm;
    // pass 1 = sun (ss*, sz*), pass 2 = moon (s*, z*)
    double ss[8], sz[3][3], szs[3];  // ss[1..7], sz[i][j] = z(i+1)(j+1), szs = z1..z3
    double s[8], z[3][3], zs[3];
    for (int lsflg = 1; lsflg <= 2; ++lsflg) {
        double a1 = zcosg * zcosh + zsing * zcosi * zsinh;
        double a3 = -zsing * zcosh + zcosg * zcosi * zsinh;
        double a7 = -zcosg * zsinh + zsing * zcosi * zcosh;
        double a8 = zsing * zsini;
        double a9 = zsing * zsinh + zcosg * zcosi * zcosh;
        double a10 = zcosg * zsini;
        double a2 = cosim * a7 + sinim * a8;
        double a4 = cosim * a9 + sinim * a10;
        double a5 = -sinim * a7 + cosim * a8;
        double a6 = -sinim * a9 + cosim * a10;
        double x1 = a1 * cosomm + a2 * sinomm;
        double x2 = a3 * cosomm + a4 * sinomm;
        double x3 = -a1 * sinomm + a2 * cosomm;
        double x4 = -a3 * sinomm + a4 * cosomm;
        double x5 = a5 * sinomm;
        double x6 = a6 * sinomm;
        double x7 = a5 * cosomm;
        double x8 = a6 * cosomm;
        double z31 = 12.0 * x1 * x1 - 3.0 * x3 * x3;
        double z32 = 24.0 * x1 * x2 - 6.0 * x3 * x4;
        double z33 = 12.0 * x2 * x2 - 3.0 * x4 * x4;
        double z1 = 3.0 * (a1 * a1 + a2 * a2) + z31 * emsq;
        double z2 = 6.0 * (a1 * a3 + a2 * a4) + z32 * emsq;
        double z3 = 3.0 * (a3 * a3 + a4 * a4) + z33 * emsq;
        double z11 = -6.0 * a1 * a5 + emsq * (-24.0 * x1 * x7 - 6.0 * x3 * x5);
        double z12 = -6.0 * (a1 * a6 + a3 * a5) +
                     emsq * (-24.0 * (x2 * x7 + x1 * x8) - 6.0 * (x3 * x6 + x4 * x5));
        double z13 = -6.0 * a3 * a6 + emsq * (-24.0 * x2 * x8 - 6.0 * x4 * x6);
        double z21 = 6.0 * a2 * a5 + emsq * (24.0 * x1 * x5 - 6.0 * x3 * x7);
        double z22 = 6.0 * (a4 * a5 + a2 * a6) +
                     emsq * (24.0 * (x2 * x5 + x1 * x6) - 6.0 * (x4 * x7 + x3 * x8));
        double z23 = 6.0 * a4 * a6 + emsq * (24.0 * x2 * x6 - 6.0 * x4 * x8);
        z1 = z1 + z1 + betasq * z31;
        z2 = z2 + z2 + betasq * z32;
        z3 = z3 + z3 + betasq * z33;
        double* so = (lsflg == 1) ? ss : s;
        double(*zo)[3] = (lsflg == 1) ? sz : z;
        double* zso = (lsflg == 1) ? szs : zs;
        so[3] = cc * xnoi;
        so[2] = -0.5 * so[3] / rtemsq;
        so[4] = so[3] * rtemsq;
        so[1] = -15.0 * em * so[4];
        so[5] = x1 * x3 + x2 * x4;
        so[6] = x2 * x3 + x1 * x4;
        so[7] = x2 * x4 - x1 * x3;
        zso[0] = z1; zso[1] = z2; zso[2] = z3;
        zo[0][0] = z11; zo[0][1] = z12; zo[0][2] = z13;
        zo[1][0] = z21; zo[1][1] = z22; zo[1][2] = z23;
        zo[2][0] = z31; zo[2][1] = z32; zo[2][2] = z33;
        if (lsflg == 1) {  // switch to the moon's geometry
            zcosg = zcosgl;
            zsing = zsingl;
            zcosi = zcosil;
            zsini = zsinil;
            zcosh = zcoshl * cnodm + zsinhl * snodm;
            zsinh = snodm * zcoshl - cnodm * zsinhl;
            cc = c1l;
        }
    }
    W[R_ZMOL] = fmod(4.7199672 + 0.22997150 * day - gam, TWOPI);
    W[R_ZMOS] = fmod(6.2565837 + 0.017201977 * day, TWOPI);
    W[R_SE2] = 2.0 * ss[1] * ss[6];
    W[R_SE3] = 2.0 * ss[1] * ss[7];
    W[R_SI2] = 2.0 * ss[2] * sz[0][1];
    W[R_SI3] = 2.0 * ss[2] * (sz[0][2] - sz[0][0]);
    W[R_SL2] = -2.0 * ss[3] * szs[1];
    W[R_SL3] = -2.0 * ss[3] * (szs[2] - szs[0]);
    W[R_SL4] = -2.0 * ss[3] * (-21.0 - 9.0 * emsq) * zes;
    W[R_SGH2] = 2.0 * ss[4] * sz[2][1];
    W[R_SGH3] = 2.0 * ss[4] * (sz[2][2] - sz[2][0]);
    W[R_SGH4] = -18.0 * ss[4] * zes;
    W[R_SH2] = -2.0 * ss[2] * sz[1][1];
    W[R_SH3] = -2.0 * ss[2] * (sz[1][2] - sz[1][0]);
    W[R_EE2] = 2.0 * s[1] * s[6];
    W[R_E3] = 2.0 * s[1] * s[7];
    W[R_XI2] = 2.0 * s[2] * z[0][1];
    W[R_XI3] = 2.0 * s[2] * (z[0][2] - z[0][0]);
    W[R_XL2] = -2.0 * s[3] * zs[1];
    W[R_XL3] = -2.0 * s[3] * (zs[2] - zs[0]);
    W[R_XL4] = -2.0 * s[3] * (-21.0 - 9.0 * emsq) * zel;
    W[R_XGH2] = 2.0 * s[4] * z[2][1];
    W[R_XGH3] = 2.0 * s[4] * (z[2][2] - z[2][0]);
    W[R_XGH4] = -18.0 * s[4] * zel;
    W[R_XH2] = -2.0 * s[2] * z[1][1];
    W[R_XH3] = -2.0 * s[2] * (z[1][2] - z[1][0]);

    // ---- dsinit: secular lunar-solar rates and resonance set-up
    const double q22 = 1.7891679e-6, q31 = 2.1460748e-6, q33 = 2.2123015e-7;
    const double root22 = 1.7891679e-6, root44 = 7.3636953e-9, root54 = 2.1765803e-9;
    const double rptim = 4.37526908801129966e-3;  // earth rotation, rad/min
    const double root32 = 3.7393792e-7, root52 = 1.1428639e-7;
    const double znl = 1.5835218e-4, zns = 1.19459e-5;
    double inclm = inclo;
    irez = 0;
    if ((nm < 0.0052359877) && (nm > 0.0034906585)) irez = 1;               // 24 h
    if ((nm >= 8.26e-3) && (nm <= 9.24e-3) && (em >= 0.5)) irez = 2;        // 12 h
    double ses = ss[1] * zns * ss[5];
    double sis = ss[2] * zns * (sz[0][0] + sz[0][2]);
    double sls = -zns * ss[3] * (szs[0] + szs[2] - 14.0 - 6.0 * emsq);
    double sghs = ss[4] * zns * (sz[2][0] + sz[2][2] - 6.0);
    double shs = -zns * ss[2] * (sz[1][0] + sz[1][2]);
    // near-equatorial orbits: no node rate from the sun/moon (V06 s.5)
    if ((inclm < 5.2359877e-2) || (inclm > PI - 5.2359877e-2)) shs = 0.0;
    if (sinim != 0.0) shs = shs / sinim;
    double sgs = sghs - cosim * shs;
    double dedt = ses + s[1] * znl * s[5];
    double didt = sis + s[2] * znl * (z[0][0] + z[0][2]);
    double dmdt = sls - znl * s[3] * (zs[0] + zs[2] - 14.0 - 6.0 * emsq);
    double sghl = s[4] * znl * (z[2][0] + z[2][2] - 6.0);
    double shll = -znl * s[2] * (z[1][0] + z[1][2]);
    if ((inclm < 5.2359877e-2) || (inclm > PI - 5.2359877e-2)) shll = 0.0;
    double domdt = sgs + sghl;
    double dnodt = shs;
    if (sinim != 0.0) {
        domdt = domdt - cosim / sinim * shll;
        dnodt = dnodt + shll / sinim;
    }
    W[R_DEDT] = dedt; W[R_DIDT] = didt; W[R_DMDT] = dmdt;
    W[R_DNODT] = dnodt; W[R_DOMDT] = domdt;
    double theta = fmod(gsto + tc * rptim, TWOPI);
    double d2201 = 0, d2211 = 0, d3210 = 0, d3222 = 0, d4410 = 0, d4422 = 0, d5220 = 0,
           d5232 = 0, d5421 = 0, d5433 = 0, del1 = 0, del2 = 0, del3 = 0, xfact = 0,
           xlamo = 0;
    if (irez != 0) {
        double aonv = pow(nm / g.xke, X2O3);
        if (irez == 2) {  // half-day resonance: uses the epoch eccentricity
            double cosisq = cosim * cosim;
            double e = ecco, esq = eccsq;
            double eoc = e * esq;
            double g201 = -0.306 - (e - 0.64) * 0.440;
            double g211, g310, g322, g410, g422, g520, g521, g532, g533;
            if (e <= 0.65) {
                g211 = 3.616 - 13.2470 * e + 16.2900 * esq;
                g310 = -19.302 + 117.3900 * e - 228.4190 * esq + 156.5910 * eoc;
                g322 = -18.9068 + 109.7927 * e - 214.6334 * esq + 146.5816 * eoc;
                g410 = -41.122 + 242.6940 * e - 471.0940 * esq + 313.9530 * eoc;
                g422 = -146.407 + 841.8800 * e - 1629.014 * esq + 1083.4350 * eoc;
                g520 = -532.114 + 3017.977 * e - 5740.032 * esq + 3708.2760 * eoc;
            } else {
                g211 = -72.099 + 331.819 * e - 508.738 * esq + 266.724 * eoc;
                g310 = -346.844 + 1582.851 * e - 2415.925 * esq + 1246.113 * eoc;
                g322 = -342.585 + 1554.908 * e - 2366.899 * esq + 1215.972 * eoc;
                g410 = -1052.797 + 4758.686 * e - 7193.992 * esq + 3651.957 * eoc;
                g422 = -3581.690 + 16178.110 * e - 24462.770 * esq + 12422.520 * eoc;
                if (e > 0.715)
                    g520 = -5149.66 + 29936.92 * e - 54087.36 * esq + 31324.56 * eoc;
                else
                    g520 = 1464.74 - 4664.75 * e + 3763.64 * esq;
            }
            if (e < 0.7) {
                g533 = -919.22770 + 4988.6100 * e - 9064.7700 * esq + 5542.21 * eoc;
                g521 = -822.71072 + 4568.6173 * e - 8491.4146 * esq + 5337.524 * eoc;
                g532 = -853.66600 + 4690.2500 * e - 8624.7700 * esq + 5341.4 * eoc;
            } else {
                g533 = -37995.780 + 161616.52 * e - 229838.20 * esq + 109377.94 * eoc;
                g521 = -51752.104 + 218913.95 * e - 309468.16 * esq + 146349.42 * eoc;
                g532 = -40023.880 + 170470.89 * e - 242699.48 * esq + 115605.82 * eoc;
            }
            double sini2 = sinim * sinim;
            double f220 = 0.75 * (1.0 + 2.0 * cosim + cosisq);
            double f221 = 1.5 * sini2;
            double f321 = 1.875 * sinim * (1.0 - 2.0 * cosim - 3.0 * cosisq);
            double f322 = -1.875 * sinim * (1.0 + 2.0 * cosim - 3.0 * cosisq);
            double f441 = 35.0 * sini2 * f220;
            double f442 = 39.3750 * sini2 * sini2;
            double f522 = 9.84375 * sinim *
                          (sini2 * (1.0 - 2.0 * cosim - 5.0 * cosisq) +
                           0.33333333 * (-2.0 + 4.0 * cosim + 6.0 * cosisq));
            double f523 = sinim * (4.92187512 * sini2 * (-2.0 - 4.0 * cosim + 10.0 * cosisq) +
                                   6.56250012 * (1.0 + 2.0 * cosim - 3.0 * cosisq));
            double f542 = 29.53125 * sinim *
                          (2.0 - 8.0 * cosim + cosisq * (-12.0 + 8.0 * cosim + 10.0 * cosisq));
            double f543 = 29.53125 * sinim *
                          (-2.0 - 8.0 * cosim + cosisq * (12.0 + 8.0 * cosim - 10.0 * cosisq));
            double xno2 = nm * nm;
            double ainv2 = aonv * aonv;
            double temp1 = 3.0 * xno2 * ainv2;
            double temp = temp1 * root22;
            d2201 = temp * f220 * g201;
            d2211 = temp * f221 * g211;
            temp1 = temp1 * aonv;
            temp = temp1 * root32;
            d3210 = temp * f321 * g310;
            d3222 = temp * f322 * g322;
            temp1 = temp1 * aonv;
            temp = 2.0 * temp1 * root44;
            d4410 = temp * f441 * g410;
            d4422 = temp * f442 * g422;
            temp1 = temp1 * aonv;
            temp = temp1 * root52;
            d5220 = temp * f522 * g520;
            d5232 = temp * f523 * g532;
            temp = 2.0 * temp1 * root54;
            d5421 = temp * f542 * g521;
            d5433 = temp * f543 * g533;
            xlamo = fmod(mo + nodeo + nodeo - theta - theta, TWOPI);
            xfact = mdot + dmdt + 2.0 * (nodedot + dnodt - rptim) - no;
        }
        if (irez == 1) {  // one-day (synchronous) resonance
            double g200 = 1.0 + emsq * (-2.5 + 0.8125 * emsq);
            double g310 = 1.0 + 2.0 * emsq;
            double g300 = 1.0 + emsq * (-6.0 + 6.60937 * emsq);
            double f220 = 0.75 * (1.0 + cosim) * (1.0 + cosim);
            double f311 = 0.9375 * sinim * sinim * (1.0 + 3.0 * cosim) - 0.75 * (1.0 + cosim);
            double f330 = 1.0 + cosim;
            f330 = 1.875 * f330 * f330 * f330;
            del1 = 3.0 * nm * nm * aonv * aonv;
            del2 = 2.0 * del1 * f220 * g200 * q22;
            del3 = 3.0 * del1 * f330 * g300 * q33 * aonv;
            del1 = del1 * f311 * g310 * q31 * aonv;
            xlamo = fmod(mo + nodeo + argpo - theta, TWOPI);
            xfact = mdot + xpidot - rptim + dmdt + domdt + dnodt - no;
        }
    }
    W[R_D2201] = d2201; W[R_D2211] = d2211; W[R_D3210] = d3210; W[R_D3222] = d3222;
    W[R_D4410] = d4410; W[R_D4422] = d4422; W[R_D5220] = d5220; W[R_D5232] = d5232;
    W[R_D5421] = d5421; W[R_D5433] = d5433;
    W[R_DEL1] = del1; W[R_DEL2] = del2; W[R_DEL3] = del3;
    W[R_XFACT] = xfact; W[R_XLAMO] = xlamo;
}

// ---------------------------------------------------------------- init (sgp4init)
// One object: elements E (strided view of the (NELEM, N) input) -> record W, flags.
// afspc: opsmode 'a'. In the 2020 reference the sidereal time at epoch is the IAU-82
// gstime in both modes; opsmode only changes the Lyddane node handling in dpper.
DE_HD void sgp4_init_one(RecView E, int whichconst, bool afspc, RecOut W, int& flags) {
    const GravConst g = gravconst(whichconst);
    const double temp4 = 1.5e-12;
    for (int k = 0; k < NREC; ++k) W[k] = 0.0;
    const double jdsatepoch = E[E_JDSATEPOCH], jdsatepochF = E[E_JDSATEPOCHF];
    const double ecco = E[E_ECCO], inclo = E[E_INCLO], nodeo = E[E_NODEO];
    const double argpo = E[E_ARGPO], mo = E[E_MO], bstar = E[E_BSTAR];
    const double no_kozai = E[E_NO_KOZAI];
    const double epoch = E[E_EPOCH];  // days since 1949 Dec 31 00:00 UT
    W[R_JDSATEPOCH] = jdsatepoch;
    W[R_JDSATEPOCHF] = jdsatepochF;
    W[R_ECCO] = ecco; W[R_INCLO] = inclo; W[R_NODEO] = nodeo;
    W[R_ARGPO] = argpo; W[R_MO] = mo; W[R_BSTAR] = bstar;

    const double ss = 78.0 / g.radiusearthkm + 1.0;
    const double qzms2ttemp = (120.0 - 78.0) / g.radiusearthkm;
    const double qzms2t = qzms2ttemp * qzms2ttemp * qzms2ttemp * qzms2ttemp;

    // ---- initl: un-Kozai the mean motion (STR#3 eqs. for a1, delta1, a0, delta0)
    double eccsq = ecco * ecco;
    double omeosq = 1.0 - eccsq;
    double rteosq = sqrt(omeosq);
    double cosio = cos(inclo);
    double cosio2 = cosio * cosio;
    double ak = pow(g.xke / no_kozai, X2O3);
    double d1 = 0.75 * g.j2 * (3.0 * cosio2 - 1.0) / (rteosq * omeosq);
    double del = d1 / (ak * ak);
    double adel = ak * (1.0 - del * del - del * (1.0 / 3.0 + 134.0 * del * del / 81.0));
    del = d1 / (adel * adel);
    double no = no_kozai / (1.0 + del);
    double ao = pow(g.xke / no, X2O3);
    double sinio = sin(inclo);
    double po = ao * omeosq;
    double con42 = 1.0 - 5.0 * cosio2;
    double con41 = -con42 - cosio2 - cosio2;
    double posq = po * po;
    double rp = ao * (1.0 - ecco);
    double gsto = gstime(epoch + 2433281.5);
    W[R_NO] = no;
    W[R_CON41] = con41;

    int isimp = 0, deep = 0, irez = 0;
    if ((omeosq >= 0.0) || (no >= 0.0)) {
        // simplified drag below 220 km perigee (STR#3)
        if (rp < (220.0 / g.radiusearthkm + 1.0)) isimp = 1;
        double sfour = ss;
        double qzms24 = qzms2t;
        double perige = (rp - 1.0) * g.radiusearthkm;
        // atmospheric parameter s for perigee below 156 km (STR#3)
        if (perige < 156.0) {
            sfour = perige - 78.0;
            if (perige < 98.0) sfour = 20.0;
            double qzms24temp = (120.0 - sfour) / g.radiusearthkm;
            qzms24 = qzms24temp * qzms24temp * qzms24temp * qzms24temp;
            sfour = sfour / g.radiusearthkm + 1.0;
        }
        double pinvsq = 1.0 / posq;
        double tsi = 1.0 / (ao - sfour);
        double eta = ao * ecco * tsi;
        double etasq = eta * eta;
        double eeta = ecco * eta;
        double psisq = fabs(1.0 - etasq);
        double coef = qzms24 * pow(tsi, 4.0);
        double coef1 = coef / pow(psisq, 3.5);
        double cc2 = coef1 * no *
                     (ao * (1.0 + 1.5 * etasq + eeta * (4.0 + etasq)) +
                      0.375 * g.j2 * tsi / psisq * con41 * (8.0 + 3.0 * etasq * (8.0 + etasq)));
        double cc1 = bstar * cc2;
        double cc3 = 0.0;
        if (ecco > 1.0e-4) cc3 = -2.0 * coef * tsi * g.j3oj2 * no * sinio / ecco;
        double x1mth2 = 1.0 - cosio2;
        double cc4 = 2.0 * no * coef1 * ao * omeosq *
                     (eta * (2.0 + 0.5 * etasq) + ecco * (0.5 + 2.0 * etasq) -
                      g.j2 * tsi / (ao * psisq) *
                          (-3.0 * con41 * (1.0 - 2.0 * eeta + etasq * (1.5 - 0.5 * eeta)) +
                           0.75 * x1mth2 * (2.0 * etasq - eeta * (1.0 + etasq)) *
                               cos(2.0 * argpo)));
        double cc5 = 2.0 * coef1 * ao * omeosq * (1.0 + 2.75 * (etasq + eeta) + eeta * etasq);
        double cosio4 = cosio2 * cosio2;
        // secular rates from J2, J2^2 and J4 (STR#3)
        double temp1 = 1.5 * g.j2 * pinvsq * no;
        double temp2 = 0.5 * temp1 * g.j2 * pinvsq;
        double temp3 = -0.46875 * g.j4 * pinvsq * pinvsq * no;
        double mdot = no + 0.5 * temp1 * rteosq * con41 +
                      0.0625 * temp2 * rteosq * (13.0 - 78.0 * cosio2 + 137.0 * cosio4);
        double argpdot = (-0.5 * temp1 * con42 +
                          0.0625 * temp2 * (7.0 - 114.0 * cosio2 + 395.0 * cosio4) +
                          temp3 * (3.0 - 36.0 * cosio2 + 49.0 * cosio4));
        double xhdot1 = -temp1 * cosio;
        double nodedot = xhdot1 + (0.5 * temp2 * (4.0 - 19.0 * cosio2) +
                                   2.0 * temp3 * (3.0 - 7.0 * cosio2)) * cosio;
        double xpidot = argpdot + nodedot;
        double omgcof = bstar * cc3 * cos(argpo);
        double xmcof = 0.0;
        if (ecco > 1.0e-4) xmcof = -X2O3 * coef * bstar / eeta;
        double nodecf = 3.5 * omeosq * xhdot1 * cc1;
        double t2cof = 1.5 * cc1;
        // 1 + cos i -> 0 guard for retrograde equatorial orbits (V06 s.4)
        double xlcof;
        if (fabs(cosio + 1.0) > 1.5e-12)
            xlcof = -0.25 * g.j3oj2 * sinio * (3.0 + 5.0 * cosio) / (1.0 + cosio);
        else
            xlcof = -0.25 * g.j3oj2 * sinio * (3.0 + 5.0 * cosio) / temp4;
        double aycof = -0.5 * g.j3oj2 * sinio;
        double delmotemp = 1.0 + eta * cos(mo);
        double delmo = delmotemp * delmotemp * delmotemp;
        double sinmao = sin(mo);
        double x7thm1 = 7.0 * cosio2 - 1.0;

        W[R_MDOT] = mdot; W[R_ARGPDOT] = argpdot; W[R_NODEDOT] = nodedot;
        W[R_NODECF] = nodecf; W[R_CC1] = cc1;
        W[R_BCC4] = bstar * cc4;  // the reference evaluates bstar*cc4*t left to right
        W[R_T2COF] = t2cof; W[R_AYCOF] = aycof; W[R_XLCOF] = xlcof;
        W[R_X1MTH2] = x1mth2; W[R_X7THM1] = x7thm1;
        W[R_OMGCOF] = omgcof; W[R_ETA] = eta; W[R_XMCOF] = xmcof; W[R_DELMO] = delmo;
        W[R_BCC5] = bstar * cc5; W[R_SINMAO] = sinmao;

        // deep space: period >= 225 min (STR#3 SDP4 switch)
        if ((2 * PI / no) >= 225.0) {
            deep = 1;
            isimp = 1;
            W[R_GSTO] = gsto;
            deep_space_init(g, epoch, ecco, argpo, inclo, nodeo, mo, no, mdot, nodedot,
                            xpidot, eccsq, gsto, W, irez);
        }
        if (isimp != 1) {
            double cc1sq = cc1 * cc1;
            double d2 = 4.0 * ao * tsi * cc1sq;
            double temp = d2 * tsi * cc1 / 3.0;
            double d3 = (17.0 * ao + sfour) * temp;
            double d4 = 0.5 * temp * ao * tsi * (221.0 * ao + 31.0 * sfour) * cc1;
            W[R_D2] = d2; W[R_D3] = d3; W[R_D4] = d4;
            W[R_T3COF] = d2 + 2.0 * cc1sq;
            W[R_T4COF] = 0.25 * (3.0 * d3 + cc1 * (12.0 * d2 + 10.0 * cc1sq));
            W[R_T5COF] = 0.2 * (3.0 * d4 + 12.0 * cc1 * d3 + 6.0 * d2 * d2 +
                                15.0 * cc1sq * (2.0 * d2 + cc1sq));
        }
    }
    flags = (isimp ? FLAG_ISIMP : 0) | (deep ? FLAG_DEEP : 0) | (irez << FLAG_IREZ_SHIFT) |
            (afspc ? FLAG_AFSPC : 0) | ((whichconst & 3) << FLAG_GRAV_SHIFT);
}

// ---------------------------------------------------------------- deep-space secular
// dspace (V06 s.5): lunar-solar secular rates and the resonance terms, integrated with
// Vallado's fixed 720 min Euler-Maclaurin steps from epoch. Always double.
DE_HD void dspace(const RecView& R, int irez, double t, double& em, double& argpm,
                  double& inclm, double& mm, double& nodem, double& nm) {
    const double fasx2 = 0.13130908, fasx4 = 2.8843198, fasx6 = 0.37448087;
    const double g22 = 5.7686396, g32 = 0.95240898, g44 = 1.8014998, g52 = 1.0508330,
                 g54 = 4.4108898;
    const double rptim = 4.37526908801129966e-3;
    const double stepp = 720.0, stepn = -720.0, step2 = 259200.0;
    const double no = R[R_NO];
    double theta = fmod(R[R_GSTO] + t * rptim, TWOPI);
    em = em + R[R_DEDT] * t;
    inclm = inclm + R[R_DIDT] * t;
    argpm = argpm + R[R_DOMDT] * t;
    nodem = nodem + R[R_DNODT] * t;
    mm = mm + R[R_DMDT] * t;
    if (irez == 0) return;

    double atime = 0.0, xni = no, xli = R[R_XLAMO];
    double delt = (t > 0.0) ? stepp : stepn;
    double xndt, xldot, xnddt, ft;
    const double xfact = R[R_XFACT];
    const double argpo = R[R_ARGPO], argpdot = R[R_ARGPDOT];
    for (;;) {
        if (irez != 2) {  // synchronous resonance terms
            const double del1 = R[R_DEL1], del2 = R[R_DEL2], del3 = R[R_DEL3];
            xndt = del1 * sin(xli - fasx2) + del2 * sin(2.0 * (xli - fasx4)) +
                   del3 * sin(3.0 * (xli - fasx6));
            xldot = xni + xfact;
            xnddt = del1 * cos(xli - fasx2) + 2.0 * del2 * cos(2.0 * (xli - fasx4)) +
                    3.0 * del3 * cos(3.0 * (xli - fasx6));
            xnddt = xnddt * xldot;
        } else {  // half-day resonance terms
            double xomi = argpo + argpdot * atime;
            double x2omi = xomi + xomi;
            double x2li = xli + xli;
            const double d2201 = R[R_D2201], d2211 = R[R_D2211], d3210 = R[R_D3210],
                         d3222 = R[R_D3222], d4410 = R[R_D4410], d4422 = R[R_D4422],
                         d5220 = R[R_D5220], d5232 = R[R_D5232], d5421 = R[R_D5421],
                         d5433 = R[R_D5433];
            xndt = d2201 * sin(x2omi + xli - g22) + d2211 * sin(xli - g22) +
                   d3210 * sin(xomi + xli - g32) + d3222 * sin(-xomi + xli - g32) +
                   d4410 * sin(x2omi + x2li - g44) + d4422 * sin(x2li - g44) +
                   d5220 * sin(xomi + xli - g52) + d5232 * sin(-xomi + xli - g52) +
                   d5421 * sin(xomi + x2li - g54) + d5433 * sin(-xomi + x2li - g54);
            xldot = xni + xfact;
            xnddt = d2201 * cos(x2omi + xli - g22) + d2211 * cos(xli - g22) +
                    d3210 * cos(xomi + xli - g32) + d3222 * cos(-xomi + xli - g32) +
                    d5220 * cos(xomi + xli - g52) + d5232 * cos(-xomi + xli - g52) +
                    2.0 * (d4410 * cos(x2omi + x2li - g44) + d4422 * cos(x2li - g44) +
                           d5421 * cos(xomi + x2li - g54) + d5433 * cos(-xomi + x2li - g54));
            xnddt = xnddt * xldot;
        }
        if (fabs(t - atime) >= stepp) {
            xli = xli + xldot * delt + xndt * step2;
            xni = xni + xndt * delt + xnddt * step2;
            atime = atime + delt;
        } else {
            ft = t - atime;
            break;
        }
    }
    nm = xni + xndt * ft + xnddt * ft * ft * 0.5;
    double xl = xli + xldot * ft + xndt * ft * ft * 0.5;
    if (irez != 1)
        mm = xl - 2.0 * nodem + 2.0 * theta;
    else
        mm = xl - nodem - argpm + theta;
    double dndt = nm - no;
    nm = no + dndt;
}

// ---------------------------------------------------------------- propagate (sgp4)
// One object at tsince minutes from its epoch. Writes r (km) and v (km/s), TEME, and
// returns the error code: 1-5 with r, v = NaN, 6 (decayed) with the values kept, as
// python-sgp4 does.
template <typename T>
DE_HD int sgp4_propagate_one(const RecView& R, int flags, double t, T r[3], T v[3]) {
    const GravConst g = gravconst(flag_grav(flags));
    const bool deep = (flags & FLAG_DEEP) != 0;
    const bool isimp = (flags & FLAG_ISIMP) != 0;
    const T nan = nan_of<T>::value();
    r[0] = r[1] = r[2] = v[0] = v[1] = v[2] = nan;

    // ---- secular stage, double in every mode (propagation.md s.2.4)
    const double no = R[R_NO];
    double xmdf = R[R_MO] + R[R_MDOT] * t;
    double argpdf = R[R_ARGPO] + R[R_ARGPDOT] * t;
    double nodedf = R[R_NODEO] + R[R_NODEDOT] * t;
    double argpm = argpdf;
    double mm = xmdf;
    double t2 = t * t;
    double nodem = nodedf + R[R_NODECF] * t2;
    double tempa = 1.0 - R[R_CC1] * t;
    double tempe = R[R_BCC4] * t;
    double templ = R[R_T2COF] * t2;
    if (!isimp) {
        double delomg = R[R_OMGCOF] * t;
        double delmtemp = 1.0 + R[R_ETA] * cos(xmdf);
        double delm = R[R_XMCOF] * (delmtemp * delmtemp * delmtemp - R[R_DELMO]);
        double temp = delomg + delm;
        mm = xmdf + temp;
        argpm = argpdf - temp;
        double t3 = t2 * t;
        double t4 = t3 * t;
        tempa = tempa - R[R_D2] * t2 - R[R_D3] * t3 - R[R_D4] * t4;
        tempe = tempe + R[R_BCC5] * (sin(mm) - R[R_SINMAO]);
        templ = templ + R[R_T3COF] * t3 + t4 * (R[R_T4COF] + t * R[R_T5COF]);
    }
    double nm = no;
    double em = R[R_ECCO];
    double inclm = R[R_INCLO];
    if (deep) dspace(R, flag_irez(flags), t, em, argpm, inclm, mm, nodem, nm);

    if (nm <= 0.0) return DE_ERR_MEAN_MOTION;
    double am = pow((g.xke / nm), X2O3) * tempa * tempa;
    nm = g.xke / pow(am, 1.5);
    em = em - tempe;
    // mean eccentricity check (V06 s.4: the am < 0.95 test is disabled in the reference)
    if ((em >= 1.0) || (em < -0.001)) return DE_ERR_MEAN_ECC;
    if (em < 1.0e-6) em = 1.0e-6;
    mm = mm + no * templ;
    double xlm = mm + argpm + nodem;
    nodem = fmod(nodem, TWOPI);
    argpm = fmod(argpm, TWOPI);
    xlm = fmod(xlm, TWOPI);
    mm = fmod(xlm - argpm - nodem, TWOPI);

    // ---- lunar-solar periodics: double in every mode (they shift the angles)
    double ep = em, xincp = inclm, argpp = argpm, nodep = nodem, mp = mm;
    if (deep) {
        dpper<double>(R, t, (flags & FLAG_AFSPC) != 0, ep, xincp, nodep, argpp, mp);
        if (xincp < 0.0) {
            xincp = -xincp;
            nodep = nodep + PI;
            argpp = argpp - PI;
        }
        if ((ep < 0.0) || (ep > 1.0)) return DE_ERR_PERT_ECC;
    }

    // ---- periodic stage in T
    const T twopi = T(TWOPI);
    const T amT = T(am), nmT = T(nm), epT = T(ep), xincpT = T(xincp);
    // float: hand over angles reduced to [-pi, pi] (half the ulp of [-2pi, 2pi]) and form
    // M + omega in double, so no float sum of two full angles is rounded (s.2.4)
    constexpr bool MIXED = sizeof(T) < sizeof(double);
    const T argppT = MIXED ? T(remainder(argpp, TWOPI)) : T(argpp);
    const T nodepT = MIXED ? T(remainder(nodep, TWOPI)) : T(nodep);
    const T mpT = T(mp);
    T sinip, cosip;
    T aycof, xlcof, con41, x1mth2, x7thm1;
    if (deep) {
        // long-period coefficients from the perturbed inclination
        sinip = m_sin(xincpT);
        cosip = m_cos(xincpT);
        const T j3oj2 = T(g.j3oj2);
        aycof = T(-0.5) * j3oj2 * sinip;
        if (m_fabs(cosip + T(1.0)) > T(1.5e-12))
            xlcof = T(-0.25) * j3oj2 * sinip * (T(3.0) + T(5.0) * cosip) / (T(1.0) + cosip);
        else
            xlcof = T(-0.25) * j3oj2 * sinip * (T(3.0) + T(5.0) * cosip) / T(1.5e-12);
        T cosisq = cosip * cosip;
        con41 = T(3.0) * cosisq - T(1.0);
        x1mth2 = T(1.0) - cosisq;
        x7thm1 = T(7.0) * cosisq - T(1.0);
    } else {
        sinip = m_sin(xincpT);
        cosip = m_cos(xincpT);
        aycof = T(R[R_AYCOF]);
        xlcof = T(R[R_XLCOF]);
        con41 = T(R[R_CON41]);
        x1mth2 = T(R[R_X1MTH2]);
        x7thm1 = T(R[R_X7THM1]);
    }

    // long-period periodics (STR#3)
    T axnl = epT * m_cos(argppT);
    T temp = T(1.0) / (amT * (T(1.0) - epT * epT));
    T aynl = epT * m_sin(argppT) + temp * aycof;
    T u;
    if (MIXED) {
        u = T(remainder(mp + argpp, TWOPI)) + temp * xlcof * axnl;
    } else {
        T xl = mpT + argppT + nodepT + temp * xlcof * axnl;
        u = m_fmod(xl - nodepT, twopi);
    }

    // Kepler's equation for E + omega, Newton steps clamped to 0.95 rad (V06 s.6)
    T eo1 = u;
    T tem5 = T(9999.9);
    T sineo1 = T(0), coseo1 = T(0);
    for (int ktr = 1; (m_fabs(tem5) >= kepler_tol<T>::value()) && (ktr <= 10); ++ktr) {
        sineo1 = m_sin(eo1);
        coseo1 = m_cos(eo1);
        tem5 = T(1.0) - coseo1 * axnl - sineo1 * aynl;
        tem5 = (u - aynl * coseo1 + axnl * sineo1 - eo1) / tem5;
        if (m_fabs(tem5) >= T(0.95)) tem5 = tem5 > T(0.0) ? T(0.95) : T(-0.95);
        eo1 = eo1 + tem5;
    }
    if (MIXED) {
        // the reference uses sin/cos from before the last step (< 1e-12 rad in double);
        // a float step at exit can be ~1e-6 rad, i.e. metres, so re-evaluate at the root
        sineo1 = m_sin(eo1);
        coseo1 = m_cos(eo1);
    }

    // short-period preliminary quantities
    T ecose = axnl * coseo1 + aynl * sineo1;
    T esine = axnl * sineo1 - aynl * coseo1;
    T el2 = axnl * axnl + aynl * aynl;
    T pl = amT * (T(1.0) - el2);
    if (pl < T(0.0)) return DE_ERR_SEMI_LATUS;
    T rl = amT * (T(1.0) - ecose);
    T rdotl = m_sqrt(amT) * esine / rl;
    T rvdotl = m_sqrt(pl) / rl;
    T betal = m_sqrt(T(1.0) - el2);
    temp = esine / (T(1.0) + betal);
    T sinu = amT / rl * (sineo1 - aynl - axnl * temp);
    T cosu = amT / rl * (coseo1 - axnl + aynl * temp);
    T su = m_atan2(sinu, cosu);
    T sin2u = (cosu + cosu) * sinu;
    T cos2u = T(1.0) - T(2.0) * sinu * sinu;
    temp = T(1.0) / pl;
    const T j2 = T(g.j2), xke = T(g.xke);
    T temp1 = T(0.5) * j2 * temp;
    T temp2 = temp1 * temp;

    // short-period periodics (STR#3)
    T mrt = rl * (T(1.0) - T(1.5) * temp2 * betal * con41) + T(0.5) * temp1 * x1mth2 * cos2u;
    su = su - T(0.25) * temp2 * x7thm1 * sin2u;
    T xnode = nodepT + T(1.5) * temp2 * cosip * sin2u;
    T xinc = xincpT + T(1.5) * temp2 * cosip * sinip * cos2u;
    T mvt = rdotl - nmT * temp1 * x1mth2 * sin2u / xke;
    T rvdot = rvdotl + nmT * temp1 * (x1mth2 * cos2u + T(1.5) * con41) / xke;

    // orientation vectors
    T sinsu = m_sin(su), cossu = m_cos(su);
    T snod = m_sin(xnode), cnod = m_cos(xnode);
    T sini = m_sin(xinc), cosi = m_cos(xinc);
    T xmx = -snod * cosi;
    T xmy = cnod * cosi;
    T ux = xmx * sinsu + cnod * cossu;
    T uy = xmy * sinsu + snod * cossu;
    T uz = sini * sinsu;
    T vx = xmx * cossu - cnod * sinsu;
    T vy = xmy * cossu - snod * sinsu;
    T vz = sini * cossu;
    const T re = T(g.radiusearthkm), vk = T(g.vkmpersec);
    r[0] = (mrt * ux) * re;
    r[1] = (mrt * uy) * re;
    r[2] = (mrt * uz) * re;
    v[0] = (mvt * ux + rvdot * vx) * vk;
    v[1] = (mvt * uy + rvdot * vy) * vk;
    v[2] = (mvt * uz + rvdot * vz) * vk;
    // decayed: radius below one earth radius; values kept (python-sgp4 semantics)
    if (mrt < T(1.0)) return DE_ERR_DECAYED;
    return DE_OK;
}

// ---------------------------------------------------------------- one (object, time) pair
// Shared by the f64 and f32 entry points of kernels/sgp4.cu so that both index identically.
//   rec, flags: record (NREC, rec_stride) and flags, already offset to the first object
//   i, j: object and time index inside the launch
//   time_kind 0: tsince = t1[i*t_obj_stride + j] minutes
//   time_kind 1: (jd, fr) = (t1, t2)[i*t_obj_stride + j]; tsince formed as python-sgp4
//                does: (jd - jdsatepoch) * 1440 + (fr - jdsatepochF) * 1440
//   outputs at row i, column j of (rows, out_stride) e and (rows, out_stride, 3) r, v
template <typename T>
DE_HD void sgp4_pair(const double* rec, const int* flags, long long rec_stride,
                     const double* t1, const double* t2, long long t_obj_stride, int time_kind,
                     long long i, long long j, long long out_stride, unsigned char* e, T* r, T* v) {
    const RecView R{rec + i, rec_stride};
    const long long ti = i * t_obj_stride + j;
    double tsince;
    if (time_kind == 0)
        tsince = t1[ti];
    else
        tsince = (t1[ti] - R[R_JDSATEPOCH]) * 1440.0 + (t2[ti] - R[R_JDSATEPOCHF]) * 1440.0;
    T rr[3], vv[3];
    int err = sgp4_propagate_one<T>(R, flags[i], tsince, rr, vv);
    const long long o = i * out_stride + j;
    e[o] = (unsigned char)err;
    if (err != DE_OK && err != DE_ERR_DECAYED) {
        rr[0] = rr[1] = rr[2] = vv[0] = vv[1] = vv[2] = nan_of<T>::value();
    }
    for (int c = 0; c < 3; ++c) {
        r[3 * o + c] = rr[c];
        v[3 * o + c] = vv[c];
    }
}

}  // namespace de_sgp4
