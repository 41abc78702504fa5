/* report_stats.c — the statistics of the comparisons.
 *
 * Failure rates: Fisher's exact test on the 2x2 table of failures and
 * successes, two-sided (the sum of every table no more likely than the one
 * observed, the hypergeometric probabilities walked outwards from the mode).
 * Times to first failure: under a constant per-trial failure probability the
 * time to the first failure is exponential, so the ratio of the means of n
 * and m of them follows F(2n, 2m) when nothing changed. Throughput: Welch's
 * t on the logarithms of repeated figures. The distributions come from the
 * regularised incomplete beta function (a continued fraction, Lentz's
 * method). */
#include "report/report.h"

#include <math.h>

static double log_hyper(double x, double n1, double k, double total)
{
    return lgamma(k + 1) - lgamma(x + 1) - lgamma(k - x + 1) + lgamma(total - k + 1) -
           lgamma(n1 - x + 1) - lgamma(total - k - n1 + x + 1) -
           (lgamma(total + 1) - lgamma(n1 + 1) - lgamma(total - n1 + 1));
}

double rp_fisher(unsigned long long a, unsigned long long b, unsigned long long c,
                 unsigned long long d)
{
    double n1 = (double)a + (double)b, n2 = (double)c + (double)d;
    double k = (double)a + (double)c, total = n1 + n2;
    if (n1 == 0 || n2 == 0 || k == 0 || k == total)
        return 1;
    double x_min = fmax(0, n1 - (total - k)), x_max = fmin(k, n1);
    double mode = floor((n1 + 1) * (k + 1) / (total + 2));
    mode = fmin(fmax(mode, x_min), x_max);
    double obs = log_hyper((double)a, n1, k, total);
    double tol = 1e-7, p = 0;
    /* upwards from the mode, then downwards; each side is monotone */
    long long lo = (long long)x_min, hi = (long long)x_max, m = (long long)mode;
    long long obs_x = (long long)a;
    double lp = log_hyper(mode, n1, k, total);
    for (long long i = m; i <= hi; i++) {
        double x = (double)i;
        if (lp <= obs + tol)
            p += exp(lp);
        if (lp < obs - 40 && i > obs_x)
            break;
        lp += log((k - x) * (n1 - x)) - log((x + 1) * (total - k - n1 + x + 1));
    }
    lp = log_hyper(mode, n1, k, total);
    for (long long i = m - 1; i >= lo; i--) {
        double x = (double)i;
        lp += log((x + 1) * (total - k - n1 + x + 1)) - log((k - x) * (n1 - x));
        if (lp <= obs + tol)
            p += exp(lp);
        if (lp < obs - 40 && i < obs_x)
            break;
    }
    return fmin(1, p);
}

/* The continued fraction of the incomplete beta function. */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-15;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 500; m++) {
        double m2 = 2.0 * m;
        double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
        d = 1 + num * d;
        d = fabs(d) < tiny ? 1 / tiny : 1 / d;
        c = 1 + num / c;
        if (fabs(c) < tiny)
            c = tiny;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
        d = 1 + num * d;
        d = fabs(d) < tiny ? 1 / tiny : 1 / d;
        c = 1 + num / c;
        if (fabs(c) < tiny)
            c = tiny;
        double step = d * c;
        h *= step;
        if (fabs(step - 1) < eps)
            break;
    }
    return h;
}

double rp_incbeta(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1) / (a + b + 2))
        return front * beta_cf(a, b, x) / a;
    return 1 - front * beta_cf(b, a, 1 - x) / b;
}

double rp_f_cdf(double x, double d1, double d2)
{
    if (x <= 0)
        return 0;
    return rp_incbeta(d1 / 2, d2 / 2, d1 * x / (d1 * x + d2));
}

double rp_t_two_sided(double t, double nu) { return rp_incbeta(nu / 2, 0.5, nu / (nu + t * t)); }

double rp_t_q975(double nu)
{
    double lo = 0, hi = 1000;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        if (rp_t_two_sided(mid, nu) > 0.05)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static void wilson_z(double f, double n, double z, double *lo, double *hi)
{
    double p = f / n, z2 = z * z;
    double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    double half = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
    *lo = fmax(0, centre - half);
    *hi = fmin(1, centre + half);
}

void rp_wilson(unsigned long long f, unsigned long long n, double *lo, double *hi)
{
    if (n == 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    wilson_z((double)(f < n ? f : n), (double)n, 1.959964, lo, hi);
}

double rp_upper95(unsigned long long f, unsigned long long n)
{
    if (n == 0)
        return 1;
    if (f == 0)
        return 1 - pow(0.05, 1.0 / (double)n);
    double lo, hi;
    wilson_z((double)(f < n ? f : n), (double)n, 1.644854, &lo, &hi);
    return hi;
}
