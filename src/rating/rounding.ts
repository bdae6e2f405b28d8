// Rounding as data: a plan says how (up, down, half_up) and to how many currency decimals each
// billing increment and each total is rounded, so tollgate can reproduce another engine's
// results exactly. Works on exact quotients num/den of non-negative integers.

export const ROUNDING_METHODS = ['up', 'down', 'half_up'] as const;
export type RoundingMethod = (typeof ROUNDING_METHODS)[number];

export interface RoundingRule {
  readonly method: RoundingMethod;
  /** Currency decimals kept (0..6); 4 decimals of USD is a step of 100 micro-units. */
  readonly decimals: number;
}

/**
 * Rounds num/den to an integer. Both must be non-negative safe integers (den > 0); `%` and the
 * exact division after it keep the result exact where a float division might not be.
 */
export function roundQuotient(num: number, den: number, method: RoundingMethod): number {
  const rest = num % den;
  const whole = (num - rest) / den;
  if (rest === 0) return whole;
  switch (method) {
    case 'down':
      return whole;
    case 'up':
      return whole + 1;
    case 'half_up':
      // rest >= den - rest is 2·rest >= den without the doubling that could leave safe range.
      return rest >= den - rest ? whole + 1 : whole;
  }
}

/** The bigint twin of roundQuotient, for amounts past the safe-integer range. */
export function roundQuotientBig(num: bigint, den: bigint, method: RoundingMethod): bigint {
  const whole = num / den;
  const rest = num % den;
  if (rest === 0n) return whole;
  switch (method) {
    case 'down':
      return whole;
    case 'up':
      return whole + 1n;
    case 'half_up':
      return rest >= den - rest ? whole + 1n : whole;
  }
}

/**
 * The largest integer numerator x such that roundQuotient(x, den, method) <= limit: rounding is
 * monotone, so this turns "the rounded price fits the balance" into a plain comparison
 * (used to invert rating). `limit` >= 0.
 */
export function largestNumeratorRoundingTo(
  limit: bigint,
  den: bigint,
  method: RoundingMethod,
): bigint {
  switch (method) {
    case 'up':
      // ceil(x/den) <= limit  ⟺  x <= limit·den
      return limit * den;
    case 'down':
      // floor(x/den) <= limit  ⟺  x < (limit+1)·den
      return (limit + 1n) * den - 1n;
    case 'half_up':
      // x/den < limit + 1/2  ⟺  2x < (2·limit+1)·den
      return ((2n * limit + 1n) * den - 1n) / 2n;
  }
}
