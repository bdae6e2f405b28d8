import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatMicros,
  formatRatio,
  granularityMicros,
  parseAmountAsMicros,
  parseDecimal,
  parseWholeMicros,
} from '../../../src/rating/money.js';

describe('parseDecimal', () => {
  it.each([
    ['5', 5n, 1n],
    ['1.25', 5n, 4n],
    ['0.02', 1n, 50n],
    ['0.0083', 83n, 10000n],
    ['10.000', 10n, 1n],
    ['0', 0n, 1n],
  ])('reads %s exactly as %d/%d', (text, num, den) => {
    expect(parseDecimal(text)).toEqual({ num, den });
  });

  it.each(['', '-1', '1.', '.5', '1e3', '0x10', ' 1', '1,5', 'NaN'])('rejects %j', (text) => {
    expect(() => parseDecimal(text)).toThrow(RangeError);
  });
});

describe('amounts in micro-units', () => {
  it.each([
    ['0.02', 20000n],
    ['1', 1000000n],
    ['0.000001', 1n],
    ['9007199254.740991', 9007199254740991n],
  ])('%s currency units is %d micros', (text, micros) => {
    expect(parseWholeMicros(text)).toBe(micros);
  });

  it('refuses an amount finer than a micro-unit', () => {
    expect(() => parseWholeMicros('0.0000001')).toThrow(/finer than one micro-unit/);
  });

  it('keeps a rate finer than a micro-unit as an exact ratio', () => {
    // 0.0000083 units = 8.3 micros = 83/10
    expect(parseAmountAsMicros('0.0000083')).toEqual({ num: 83n, den: 10n });
  });

  it('reads every amount as the reduced exact ratio, whether plain numbers can or not', () => {
    // The reference: digits over a power of ten, times a million, reduced, all in bigints.
    const reference = (text: string): { num: bigint; den: bigint } => {
      const [whole = '', fraction = ''] = text.split('.');
      let num = BigInt(whole + fraction) * 1_000_000n;
      let den = 10n ** BigInt(fraction.length);
      let [a, b] = [num, den];
      while (b !== 0n) [a, b] = [b, a % b];
      if (a > 1n) [num, den] = [num / a, den / a];
      return { num, den };
    };
    const amount = fc
      .tuple(
        fc.stringMatching(/^\d{1,12}$/),
        fc.option(fc.stringMatching(/^\d{1,12}$/), { nil: undefined }),
      )
      .map(([whole, fraction]) => (fraction === undefined ? whole : `${whole}.${fraction}`));
    fc.assert(
      fc.property(amount, (text) => {
        expect(parseAmountAsMicros(text)).toEqual(reference(text));
      }),
      { numRuns: 2000 },
    );
    for (const text of ['0', '0.0', '000.000000000000', '999999999.999999', '1234567890.12345']) {
      expect(parseAmountAsMicros(text)).toEqual(reference(text));
    }
  });
});

describe('formatMicros', () => {
  it.each([
    [40000, '0.04'],
    [0, '0'],
    [1, '0.000001'],
    [1500000, '1.5'],
    [-250, '-0.00025'],
    [123456789, '123.456789'],
    [9007199254740991n, '9007199254.740991'],
  ])('%d micros reads %s', (micros, text) => {
    expect(formatMicros(micros)).toBe(text);
  });
});

describe('granularity and ratios', () => {
  it('turns currency decimals into micro-unit steps', () => {
    expect([0, 2, 4, 6].map(granularityMicros)).toEqual([1000000, 10000, 100, 1]);
    expect(() => granularityMicros(7)).toThrow(RangeError);
  });

  it('formats whole and fractional ratios', () => {
    expect(formatRatio({ num: 20000n, den: 1n })).toBe('20000');
    expect(formatRatio({ num: 415n, den: 3n })).toBe('415/3');
  });
});
