/**
 * The standard normal distribution's upper tail and quantile, for significance thresholds: Q(z) =
 * P(Z > z) from erfc (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7), and the quantile by
 * bisection on it (to 1e-10 in z).
 */

/** erfc(x), relative error < 1.2e-7 for every x. */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(poly);
  return x >= 0 ? r : 2 - r;
}

/** P(Z > z) for a standard normal Z. */
export const normalUpperTail = (z: number): number => 0.5 * erfc(z / Math.SQRT2);

/** z with P(Z > z) = p, for 0 < p < 1. */
export function normalUpperQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normal quantile: p must be in (0, 1), got ${p}`);
  let lo = -40;
  let hi = 40;
  while (hi - lo > 1e-10) {
    const mid = (lo + hi) / 2;
    if (normalUpperTail(mid) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The |z| a test must pass when it is the largest of `n` (two-sided, family-wise level `alpha`,
 * Bonferroni): z with P(Z > z) = alpha / (2n). 1.96 for one test at 5%, 2.58 for five.
 */
export const bonferroniZ = (n: number, alpha = 0.05): number => normalUpperQuantile(alpha / (2 * Math.max(1, n)));
