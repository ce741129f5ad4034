// breakup.cuh: per-fragment sampling of the NASA Standard Breakup Model (host+device).
//
// Johnson, Krisko, Liou and Anz-Meador, "NASA's new breakup model of EVOLVE 4.0",
// Adv. Space Res. 28(9):1377-1384 (2001), equation numbers as cited by the open
// implementations listed in the project's breakup reference. What is decided per event
// (fragment counts, size ranges, the mass budget, which parent a velocity belongs to)
// is computed once on the host by engine/breakup/__init__.py; this header only does the work
// that is independent per fragment, so that kernels/breakup.cu runs one thread per
// fragment, on the device or on the CPU through the host executor (engine/_hostexec.py).
// engine/breakup/_numpy.py is the independent NumPy implementation of the same steps;
// tests compare them.
//
// Random numbers: Philox4x32-10 (philox.cuh) keyed by the seed, with counter
// (fragment index, draw, stream): results do not depend on the launch geometry.
#pragma once

#include "common.cuh"
#include "philox.cuh"

namespace de_breakup {

constexpr double TWO_PI = 6.283185307179586;

// object classes of the A/M law (Eqs. 5 and 6)
enum Kind { SPACECRAFT = 0, ROCKET_BODY = 1 };

// Philox streams: one per sampling stage, so that the delta-v of a fragment does not
// depend on how its size was drawn
constexpr uint32_t STREAM_SIZE = 1;
constexpr uint32_t STREAM_DV = 2;

// Area from characteristic length, Eqs. 8 and 9 (m^2 from m).
DE_HD double area_from_lc(double lc) {
    return lc < 0.00167 ? 0.540424 * lc * lc : 0.556945 * pow(lc, 2.0047077);
}

// Bimodal A/M law for Lc > 11 cm, Eqs. 5 (rocket bodies) and 6 (spacecraft): chi =
// log10(A/M [m^2/kg]) follows alpha N(mu1, s1) + (1 - alpha) N(mu2, s2), parameters
// piecewise linear in lam = log10(Lc [m]). The rocket-body s2 middle branch is
// 0.28 - 0.1636 (lam + 1): continuous with 0.28 and 0.10 at its ends (one open
// implementation has the sign of 0.28 wrong).
DE_HD void am_large_params(int kind, double lam, double& alpha, double& mu1, double& s1,
                           double& mu2, double& s2) {
    if (kind == ROCKET_BODY) {
        alpha = lam <= -1.4 ? 1.0 : (lam >= 0.0 ? 0.5 : 1.0 - 0.3571 * (lam + 1.4));
        mu1 = lam <= -0.5 ? -0.45 : (lam >= 0.0 ? -0.9 : -0.45 - 0.9 * (lam + 0.5));
        s1 = 0.55;
        mu2 = -0.9;
        s2 = lam <= -1.0 ? 0.28 : (lam >= 0.1 ? 0.1 : 0.28 - 0.1636 * (lam + 1.0));
    } else {
        alpha = lam <= -1.95 ? 0.0 : (lam >= 0.55 ? 1.0 : 0.3 + 0.4 * (lam + 1.2));
        mu1 = lam <= -1.1 ? -0.6 : (lam >= 0.0 ? -0.95 : -0.6 - 0.318 * (lam + 1.1));
        s1 = lam <= -1.3 ? 0.1 : (lam >= -0.3 ? 0.3 : 0.1 + 0.2 * (lam + 1.3));
        mu2 = lam <= -0.7 ? -1.2 : (lam >= -0.1 ? -2.0 : -1.2 - 1.333 * (lam + 0.7));
        s2 = lam <= -0.5 ? 0.5 : (lam >= -0.3 ? 0.3 : 0.5 - (lam + 0.5));
    }
}

// Small-fragment A/M law for Lc < 8 cm, Eq. 7 (both object classes): chi ~ N(mu, s).
DE_HD void am_small_params(double lam, double& mu, double& s) {
    mu = lam <= -1.75 ? -0.3 : (lam >= -1.25 ? -1.0 : -0.3 - 1.4 * (lam + 1.75));
    s = lam <= -3.5 ? 0.2 : 0.2 + 0.1333 * (lam + 3.5);
}

// A/M (m^2/kg) of a fragment of size lc (m). u_mix chooses the mixture component
// (component 1 with probability alpha: the law is a mixture of two normals, not the
// normal of a weighted sum), z_small and z_large are independent standard normals.
// 8 cm <= Lc <= 11 cm: linear bridge in A/M between one draw of each law, as the
// reference implementations do.
DE_HD double sample_am(int kind, double lc, double u_mix, double z_small, double z_large) {
    const double lam = log10(lc);
    double am_small = 0.0, am_large = 0.0;
    if (lc <= 0.11) {
        double mu, s;
        am_small_params(lam, mu, s);
        am_small = pow(10.0, mu + s * z_small);
        if (lc < 0.08) return am_small;
    }
    double alpha, mu1, s1, mu2, s2;
    am_large_params(kind, lam, alpha, mu1, s1, mu2, s2);
    am_large = u_mix < alpha ? pow(10.0, mu1 + s1 * z_large) : pow(10.0, mu2 + s2 * z_large);
    if (lc > 0.11) return am_large;
    return am_small + (lc - 0.08) * (am_large - am_small) / 0.03;
}

// Everything the size stage needs, decided per event on the host.
struct SizeParams {
    uint64_t seed;
    long long n_small;        // fragments [0, n_small) are in the power-law range, the rest in the large bin
    double neg_beta_inv;      // -1 / beta, beta = 1.71 (collision, Eq. 4) or 1.6 (explosion, Eq. 2)
    double small_lo;          // lc_min^-beta
    double small_span;        // lc_min^-beta - lc_break^-beta
    double large_lo;          // lc_large_min^-beta
    double large_span;        // lc_large_min^-beta - lc_max^-beta
    double q_projectile;      // probability that a power-law fragment comes from the projectile
    double lc_projectile;     // no fragment larger than the projectile comes from it (m)
    int kind_target;
    int kind_projectile;
};

// Size stage for fragment `index`: Lc from the truncated power law N(>Lc) ~ Lc^-beta by
// inversion (Lc = (lo - u span)^(-1/beta)), its parent, A/M, area and mass (m = A / (A/M)).
DE_HD void sample_size(const SizeParams& p, uint64_t index, double& lc, double& am,
                       double& area, double& mass, uint8_t& parent, uint8_t& kind) {
    double u_lc, u_mix, b0, b1, u_parent, unused;
    de_philox::uniform_pair(p.seed, STREAM_SIZE, index, 0, u_lc, u_mix);
    de_philox::uniform_pair(p.seed, STREAM_SIZE, index, 1, b0, b1);
    de_philox::uniform_pair(p.seed, STREAM_SIZE, index, 2, u_parent, unused);
    (void)unused;
    const bool small = (long long)index < p.n_small;
    const double lo = small ? p.small_lo : p.large_lo;
    const double span = small ? p.small_span : p.large_span;
    lc = pow(lo - u_lc * span, p.neg_beta_inv);
    parent = (small && lc <= p.lc_projectile && u_parent < p.q_projectile) ? 1 : 0;
    kind = (uint8_t)(parent ? p.kind_projectile : p.kind_target);
    // Box-Muller: two independent standard normals from (b0, b1)
    const double rad = sqrt(-2.0 * log(b0));
    const double z_small = rad * cos(TWO_PI * b1);
    const double z_large = rad * sin(TWO_PI * b1);
    am = sample_am(kind, lc, u_mix, z_small, z_large);
    area = area_from_lc(lc);
    mass = area / am;
}

// Delta-v stage, Eqs. 11 (explosion: slope 0.2, intercept 1.85) and 12 (collision: 0.9,
// 2.9): log10(dv [m/s]) ~ N(slope chi + intercept, sigma) with chi = log10(A/M); the
// direction is uniform on the sphere. dv3 in km/s.
DE_HD void sample_dv(uint64_t seed, uint64_t index, double am, double slope, double intercept,
                     double sigma, double* dv3) {
    double b0, b1, u_cos, u_phi;
    de_philox::uniform_pair(seed, STREAM_DV, index, 0, b0, b1);
    de_philox::uniform_pair(seed, STREAM_DV, index, 1, u_cos, u_phi);
    const double z = sqrt(-2.0 * log(b0)) * cos(TWO_PI * b1);
    const double speed = 1e-3 * pow(10.0, slope * log10(am) + intercept + sigma * z);
    const double cz = 2.0 * u_cos - 1.0;
    const double sz = sqrt(1.0 - cz * cz);
    const double phi = TWO_PI * u_phi;
    dv3[0] = speed * sz * cos(phi);
    dv3[1] = speed * sz * sin(phi);
    dv3[2] = speed * cz;
}

}  // namespace de_breakup
