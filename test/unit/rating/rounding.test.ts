import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  largestNumeratorRoundingTo,
  roundQuotient,
  roundQuotientBig,
} from '../../../src/rating/rounding.js';
import type { RoundingMethod } from '../../../src/rating/rounding.js';

const methods: RoundingMethod[] = ['up', 'down', 'half_up'];

describe('roundQuotient', () => {
  it.each([
    // num, den, up, down, half_up
    [10, 5, 2, 2, 2],
    [11, 5, 3, 2, 2],
    [12, 5, 3, 2, 2],
    [13, 5, 3, 2, 3],
    [5, 2, 3, 2, 3], // a tie goes up with half_up
    [7, 2, 4, 3, 4],
    [0, 7, 0, 0, 0],
    [1, 3, 1, 0, 0],
    [2, 3, 1, 0, 1],
  ])('%d/%d → up %d, down %d, half_up %d', (num, den, up, down, halfUp) => {
    expect(roundQuotient(num, den, 'up')).toBe(up);
    expect(roundQuotient(num, den, 'down')).toBe(down);
    expect(roundQuotient(num, den, 'half_up')).toBe(halfUp);
  });

  it('stays exact next to the largest safe integer, where float division would not', () => {
    const num = Number.MAX_SAFE_INTEGER; // 2^53 - 1
    expect(roundQuotient(num, 2, 'down')).toBe(4503599627370495);
    expect(roundQuotient(num, 2, 'up')).toBe(4503599627370496);
    expect(roundQuotient(num - 1, 3, 'down')).toBe(Number((BigInt(num - 1) / 3n).toString()));
  });

  it('agrees with its bigint twin', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom(...methods),
        (num, den, method) => {
          expect(BigInt(roundQuotient(num, den, method))).toBe(
            roundQuotientBig(BigInt(num), BigInt(den), method),
          );
        },
      ),
    );
  });
});

describe('largestNumeratorRoundingTo', () => {
  it('is the exact boundary: it rounds to at most the limit, one more rounds past it', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        fc.constantFrom(...methods),
        (limit, den, method) => {
          const x = largestNumeratorRoundingTo(limit, den, method);
          expect(roundQuotientBig(x, den, method) <= limit).toBe(true);
          expect(roundQuotientBig(x + 1n, den, method) > limit).toBe(true);
        },
      ),
    );
  });
});
