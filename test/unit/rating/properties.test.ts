// Property tests over random tiered rates: whatever the plan says, prices are integers, never
// fall as a call grows, the fast and bigint paths agree, and maxAffordableSeconds is the exact
// inverse of rate() (checked against a brute-force search).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePlan, maxAffordableSeconds, rate } from '../../../src/rating/index.js';
import type { CompiledPlan, PlanDocument, Usage } from '../../../src/rating/index.js';
import { resolveTariff } from '../../../src/rating/resolve-tariff.js';
import { formatUnrounded, priceTiered, priceTieredBig } from '../../../src/rating/pricing.js';
import type { TieredTariff } from '../../../src/rating/tariff.js';
import type { TariffCharge } from '../../../src/rating/pricing.js';
import { T0, errorWith, planWith } from './fixtures.js';
import { roundQuotientBig } from '../../../src/rating/rounding.js';

type RateDoc = PlanDocument['versions'][number]['rates'][number];

/** A decimal string of up to `maxDigits` digits, `minDecimals`..`maxDecimals` of them decimals. */
const decimal = (maxDigits: number, maxDecimals: number, minDecimals = 0): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.integer({ min: 0, max: 10 ** maxDigits }),
      fc.integer({ min: minDecimals, max: maxDecimals }),
    )
    .map(([n, d]) => {
      const text = String(n).padStart(d + 1, '0');
      return d === 0 ? text : `${text.slice(0, -d)}.${text.slice(-d)}`;
    });

const roundingRule = fc.record({
  method: fc.constantFrom('up' as const, 'down' as const, 'half_up' as const),
  decimals: fc.integer({ min: 0, max: 6 }),
});

const tieredRate: fc.Arbitrary<RateDoc> = fc
  .record({
    intervals: fc.array(
      fc.record({
        gap: fc.integer({ min: 1, max: 120 }),
        // Up to 10,000 units per rate unit: dear enough to reach big numbers, not to overflow.
        rate: decimal(6, 9, 2),
        rateUnit: fc.constantFrom(1, 6, 7, 30, 60),
        increment: fc.integer({ min: 1, max: 90 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    connectFee: fc.option(decimal(6, 6), { nil: undefined }),
    minimum: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
    maxCost: fc.option(decimal(7, 6), { nil: undefined }),
    increment: fc.option(roundingRule, { nil: undefined }),
    total: fc.option(roundingRule, { nil: undefined }),
  })
  .map((r) => {
    let start = 0;
    const intervals = r.intervals.map((i, k) => {
      if (k > 0) start += i.gap;
      return { start, rate: i.rate, rateUnit: i.rateUnit, increment: i.increment };
    });
    return {
      channel: 'voice',
      intervals,
      ...(r.connectFee === undefined ? {} : { connectFee: r.connectFee }),
      ...(r.minimum === undefined ? {} : { minimum: r.minimum }),
      ...(r.maxCost === undefined ? {} : { maxCost: r.maxCost }),
      rounding: {
        ...(r.increment === undefined ? {} : { increment: r.increment }),
        ...(r.total === undefined ? {} : { total: r.total }),
      },
    };
  });

const planOf = (rateDoc: RateDoc, maxCallSeconds = 14_400): CompiledPlan =>
  compilePlan(planWith([rateDoc], { maxCallSeconds }));

const callOf = (durationSeconds: number): Usage => ({
  channel: 'voice',
  destination: '+442079460958',
  startTime: T0,
  durationSeconds,
});

const costOf = (plan: CompiledPlan, seconds: number): number =>
  rate(plan, callOf(seconds)).costMicros;

const tariffOf = (plan: CompiledPlan): TieredTariff => {
  const { tariff } = resolveTariff(plan, callOf(1));
  if (tariff.pricing !== 'tiered') throw new Error('expected a tiered tariff');
  return tariff;
};

describe('rating properties', () => {
  it('every price is a non-negative safe integer, within the cap', () => {
    fc.assert(
      fc.property(tieredRate, fc.integer({ min: 0, max: 100_000 }), (rateDoc, seconds) => {
        const plan = planOf(rateDoc);
        const result = rate(plan, callOf(seconds));
        expect(Number.isSafeInteger(result.costMicros)).toBe(true);
        expect(result.costMicros).toBeGreaterThanOrEqual(0);
        expect(Number.isSafeInteger(result.billedSeconds)).toBe(true);
        expect(result.billedSeconds).toBeGreaterThanOrEqual(seconds);
        for (const interval of result.breakdown.intervals) {
          expect(Number.isSafeInteger(interval.increments)).toBe(true);
        }
        const cap = tariffOf(plan).maxCostMicros;
        if (cap !== null) expect(result.costMicros).toBeLessThanOrEqual(cap);
      }),
      { numRuns: 300 },
    );
  });

  it('the breakdown adds up to the price', () => {
    const fraction = (text: string): [bigint, bigint] => {
      const [num, den] = text.split('/');
      return [BigInt(num ?? '0'), BigInt(den ?? '1')];
    };
    fc.assert(
      fc.property(tieredRate, fc.integer({ min: 1, max: 100_000 }), (rateDoc, seconds) => {
        const { billedSeconds, breakdown } = rate(planOf(rateDoc), callOf(seconds));
        let billed = 0;
        // connect fee + Σ increments × increment cost, as an exact fraction num/den
        let [num, den] = [BigInt(breakdown.connectFeeMicros), 1n];
        for (const interval of breakdown.intervals) {
          billed += interval.increments * interval.increment;
          const [n, d] = fraction(interval.incrementCostMicros);
          [num, den] = [num * d + BigInt(interval.increments) * n * den, den * d];
        }
        expect(billed).toBe(billedSeconds);
        const [n, d] = fraction(breakdown.unroundedMicros);
        expect(num * d).toBe(n * den);
      }),
      { numRuns: 300 },
    );
  });

  it('the price never decreases as a call grows', () => {
    fc.assert(
      fc.property(
        tieredRate,
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 400 }),
        (rateDoc, seconds, more) => {
          const plan = planOf(rateDoc);
          expect(costOf(plan, seconds + more)).toBeGreaterThanOrEqual(costOf(plan, seconds));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the fast path and the bigint path agree, up to refusing the same overflow', () => {
    // The fast path keeps the unrounded amount as numbers, the slow one as bigints.
    const comparable = (charge: TariffCharge): unknown => {
      const { unroundedNumerator, unroundedDenominator, ...rest } = charge;
      expect(typeof unroundedNumerator).toBe(typeof unroundedDenominator);
      return { ...rest, unrounded: formatUnrounded(charge) };
    };
    const outcome = (price: () => unknown): unknown => {
      try {
        return price();
      } catch (error) {
        return { error: (error as { code?: string }).code };
      }
    };
    fc.assert(
      fc.property(tieredRate, fc.integer({ min: 0, max: 1_000_000_000 }), (rateDoc, seconds) => {
        const tariff = tariffOf(planOf(rateDoc));
        const fast = outcome(() => comparable(priceTiered(tariff, seconds)));
        expect(fast).toEqual(outcome(() => comparable(priceTieredBig(tariff, seconds))));
      }),
      { numRuns: 1000 },
    );
  });

  it('a rate by destination (priced from the flat tariff table) prices as the same rate to any number', () => {
    // The one rate by destination fits a TariffTable record (unless it is past the record's
    // limits); the same rate without a destination is priced from the tariff object.
    const withoutPlace = (result: ReturnType<typeof rate>): unknown => ({
      ...result,
      breakdown: { ...result.breakdown, destination: null, prefix: null },
    });
    let fromRecords = 0;
    fc.assert(
      fc.property(tieredRate, fc.integer({ min: 0, max: 1_000_000_000 }), (rateDoc, seconds) => {
        const byDestination = compilePlan(planWith([{ ...rateDoc, destination: 'GB' }]));
        if (byDestination.tariffTable.recordCount > 0) fromRecords++;
        const anywhere = planOf(rateDoc);
        const outcome = (plan: CompiledPlan): unknown => {
          try {
            return withoutPlace(rate(plan, callOf(seconds)));
          } catch (error) {
            return { error: (error as { code?: string }).code };
          }
        };
        expect(outcome(byDestination)).toEqual(outcome(anywhere));
        expect(resolveTariff(byDestination, callOf(seconds)).tariff).toEqual({
          ...tariffOf(anywhere),
          destination: 'GB',
        });
      }),
      { numRuns: 500 },
    );
    // About 40% of these random rates fit a record (the rest are too dear for int32 fields or
    // safe integers): enough that the comparison above is of the two paths.
    expect(fromRecords).toBeGreaterThan(120);
  });

  it('maxAffordableSeconds is the exact inverse of rate', () => {
    fc.assert(
      fc.property(
        tieredRate,
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: -3, max: 3 }),
        (rateDoc, probe, nudge) => {
          const plan = planOf(rateDoc);
          // Balances right at, just under and just over the price of some call.
          const available = Math.max(0, costOf(plan, probe) + nudge);
          const seconds = maxAffordableSeconds(plan, callOf(0), available);
          expect(Number.isInteger(seconds)).toBe(true);
          expect(costOf(plan, seconds)).toBeLessThanOrEqual(available);
          if (seconds < plan.maxCallSeconds) {
            expect(costOf(plan, seconds + 1)).toBeGreaterThan(available);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('maxAffordableSeconds finds what a brute-force search finds', () => {
    fc.assert(
      fc.property(
        tieredRate,
        fc.integer({ min: 1, max: 900 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        (rateDoc, ceiling, available) => {
          const plan = planOf(rateDoc, ceiling);
          let expected = 0;
          for (let s = 1; s <= ceiling; s++) if (costOf(plan, s) <= available) expected = s;
          expect(maxAffordableSeconds(plan, callOf(0), available)).toBe(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('cost-plus is provider cost × markup, rounded as the plan says, at any size', () => {
    fc.assert(
      fc.property(
        decimal(6, 6),
        fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 2 ** 50 })),
        roundingRule,
        (markup, providerCostMicros, total) => {
          const plan = compilePlan(planWith([{ channel: 'email', markup, rounding: { total } }]));
          // The reference, in bigints: cost × markup, rounded to the step of `total`.
          const [whole = '0', fraction = ''] = markup.split('.');
          const num = BigInt(providerCostMicros) * BigInt(whole + fraction);
          const step = 10n ** BigInt(6 - total.decimals);
          const expected =
            roundQuotientBig(num, 10n ** BigInt(fraction.length) * step, total.method) * step;
          const usage = { channel: 'email', startTime: T0, providerCostMicros };
          if (expected > BigInt(Number.MAX_SAFE_INTEGER)) {
            expect(() => rate(plan, usage)).toThrow(errorWith({ code: 'amount_overflow' }));
          } else {
            expect(rate(plan, usage).costMicros).toBe(Number(expected));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('segments: more segments never cost less', () => {
    fc.assert(
      fc.property(
        decimal(5, 8),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        (price, n, more) => {
          const plan = compilePlan(planWith([{ channel: 'sms', rate: price }]));
          const sms = (segments: number): number =>
            rate(plan, { channel: 'sms', destination: '+447700900123', startTime: T0, segments })
              .costMicros;
          expect(sms(n + more)).toBeGreaterThanOrEqual(sms(n));
        },
      ),
    );
  });
});
