// screen.cuh: conjunction-screening device math (host+device).
//
// Used by kernels/screen.cu (one thread per point / pair / bracket), which the CPU tests run
// unchanged on the host executor (engine/_hostexec.py) and compare with the independent
// NumPy implementation engine/screening/_numpy.py. Units: km, km/s, s.
//
//   cell_key          packed (sample, cell x, y, z) key of a position: sort-based cell lists
//   partner_range     the key ranges holding a sorted point's half-shell neighbours
//   walk_partners     count or write a sorted point's pairs within the capture radius
//   dist2             squared distance of two positions
//   hermite_tca       closest approach on the cubic Hermite interpolant of the relative
//                     position over one sample step (bracket p0.w0 < 0 <= p1.w1)
#pragma once


#include "common.cuh"

namespace de_screen {

// 17 bits per cell coordinate, 10 bits of sample index: 61 bits in an int64 key.
// Coordinates floor(x / cell) are offset by 2^16 and clamped to [1, 2^17 - 2], so that
// adding +-1 to one coordinate of a key never carries into the next field, and two
// points within one cell size always lie in the same or adjacent cells (clamping is
// monotone and 1-Lipschitz on the integers).
constexpr int CELL_BITS = 17;
constexpr long long CELL_OFFSET = 1LL << (CELL_BITS - 1);
constexpr long long CELL_MAX = (1LL << CELL_BITS) - 2;
constexpr int MAX_BLOCK_SAMPLES = 1 << 10;

DE_HD long long cell_coord(double x, double inv_cell) {
    double c = floor(x * inv_cell) + (double)CELL_OFFSET;
    c = c < 1.0 ? 1.0 : (c > (double)CELL_MAX ? (double)CELL_MAX : c);
    return (long long)c;
}

// Key of position r[3] at block sample b; NaN positions (excluded objects) get -1.
DE_HD long long cell_key(const double* r, long long b, double inv_cell) {
    if (!(r[0] == r[0]) || !(r[1] == r[1]) || !(r[2] == r[2])) return -1;
    const long long cx = cell_coord(r[0], inv_cell);
    const long long cy = cell_coord(r[1], inv_cell);
    const long long cz = cell_coord(r[2], inv_cell);
    return (((b << CELL_BITS | cx) << CELL_BITS | cy) << CELL_BITS) | cz;
}

// Key offset of neighbour (dx, dy, dz), each in {-1, 0, 1}.
DE_HD long long neighbour_offset(int dx, int dy, int dz) {
    return ((long long)dx << (2 * CELL_BITS)) + ((long long)dy << CELL_BITS) + (long long)dz;
}

// First index in the sorted array a[0, n) whose value is >= x (lower) or > x (upper).
DE_HD long long lower_bound(const long long* a, long long n, long long x) {
    long long lo = 0, hi = n;
    while (lo < hi) {
        const long long mid = lo + (hi - lo) / 2;
        if (a[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
}

DE_HD long long upper_bound(const long long* a, long long n, long long x) {
    long long lo = 0, hi = n;
    while (lo < hi) {
        const long long mid = lo + (hi - lo) / 2;
        if (a[mid] <= x) lo = mid + 1; else hi = mid;
    }
    return lo;
}

// The five contiguous key ranges [first, last) of sorted point p's partners: the rest of
// its own cell with the cell above it in z, and the columns (dx, dy) = (0, 1), (1, -1),
// (1, 0), (1, 1) from z - 1 to z + 1. Together: the 13 half-shell neighbours of the cell
// plus the cell itself, so each unordered pair of points in adjacent cells is visited once.
DE_HD void partner_range(const long long* keys, long long n, long long p, int which,
                         long long* first, long long* last) {
    const long long k = keys[p];
    if (which == 0) {
        *first = p + 1;
        *last = upper_bound(keys, n, k + 1);
        return;
    }
    const int dx = which == 1 ? 0 : 1;
    const int dy = which == 1 ? 1 : which - 3;  // which 2, 3, 4 -> dy -1, 0, 1
    const long long c = k + neighbour_offset(dx, dy, 0);
    *first = lower_bound(keys, n, c - 1);
    *last = upper_bound(keys, n, c + 1);
}

DE_HD double dist2(const double* a, const double* b) {
    const double x = a[0] - b[0], y = a[1] - b[1], z = a[2] - b[2];
    return x * x + y * y + z * z;
}

// Walk sorted point p's partners (partner_range) within sqrt(radius2). With out_i null it
// only counts; else it writes pair k at offset + k: object indices i < j and the block
// sample, from order = flat index object * nb + sample. Returns the number of pairs.
DE_HD long long walk_partners(const long long* keys, const double* pts, const long long* order,
                              long long np, long long nb, double radius2, long long p,
                              long long offset, long long* out_i, long long* out_j,
                              long long* out_b) {
    long long o = offset;
    for (int w = 0; w < 5; ++w) {
        long long first, last;
        partner_range(keys, np, p, w, &first, &last);
        for (long long q = first; q < last; ++q) {
            if (dist2(pts + 3 * p, pts + 3 * q) > radius2) continue;
            if (out_i) {
                const long long ia = order[p] / nb, ib = order[q] / nb;
                out_i[o] = ia < ib ? ia : ib;
                out_j[o] = ia < ib ? ib : ia;
                out_b[o] = order[p] % nb;
            }
            ++o;
        }
    }
    return o - offset;
}

// Closest approach over one step of length h (s) on the cubic Hermite interpolant of the
// relative position p(s), s in [0, 1], through p0, p1 (km) with derivatives h w0, h w1
// (w in km/s):  c0 = p0, c1 = h w0, c2 = 3 (p1 - p0) - h (2 w0 + w1),
// c3 = 2 (p0 - p1) + h (w0 + w1).  Solves f(s) = p(s) . p'(s) = 0 by Newton's method with
// f' = |p'|^2 + p . p'', safeguarded by bisection on the bracket [lo, hi] where f changes
// sign from - to +. Same iteration as engine/screening/_numpy.py hermite_tca.
DE_HD void hermite_tca(const double* p0, const double* w0, const double* p1, const double* w1,
                       double h, double* s_out, double* dmin_out, int iterations = 16) {
    double c1[3], c2[3], c3[3];
    for (int k = 0; k < 3; ++k) {
        c1[k] = w0[k] * h;
        c2[k] = 3.0 * (p1[k] - p0[k]) - h * (2.0 * w0[k] + w1[k]);
        c3[k] = 2.0 * (p0[k] - p1[k]) + h * (w0[k] + w1[k]);
    }
    const double f0 = p0[0] * w0[0] + p0[1] * w0[1] + p0[2] * w0[2];
    const double f1 = p1[0] * w1[0] + p1[1] * w1[1] + p1[2] * w1[2];
    double s = f1 > f0 ? f0 / (f0 - f1) : 0.5;
    if (!(s == s)) s = 0.5;
    s = s < 0.0 ? 0.0 : (s > 1.0 ? 1.0 : s);
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < iterations; ++it) {
        double f = 0.0, df = 0.0;
        for (int k = 0; k < 3; ++k) {
            const double p = p0[k] + s * (c1[k] + s * (c2[k] + s * c3[k]));
            const double dp = c1[k] + s * (2.0 * c2[k] + 3.0 * s * c3[k]);
            const double ddp = 2.0 * c2[k] + 6.0 * s * c3[k];
            f += p * dp;
            df += dp * dp + p * ddp;
        }
        if (f < 0.0) lo = s; else hi = s;
        const double sn = s - f / df;
        s = (sn >= lo && sn <= hi) ? sn : 0.5 * (lo + hi);
    }
    double d2 = 0.0;
    for (int k = 0; k < 3; ++k) {
        const double p = p0[k] + s * (c1[k] + s * (c2[k] + s * c3[k]));
        d2 += p * p;
    }
    *s_out = s;
    *dmin_out = sqrt(d2);
}

}  // namespace de_screen
