import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PLAN_DOCUMENT,
  compilePlan,
  firstIncrementCostMicros,
  maxAffordableSeconds,
  rate,
} from '../../../src/rating/index.js';
import type { CallQuery, PlanDocument } from '../../../src/rating/index.js';
import { errorWith, planWith, T0 } from './fixtures.js';

type RateDoc = PlanDocument['versions'][number]['rates'][number];
const GB: CallQuery = { channel: 'voice', destination: '+442079460958', startTime: T0 };

function affordable(
  rateDoc: RateDoc,
  availableMicros: number,
  extra: Partial<PlanDocument> = {},
): number {
  return maxAffordableSeconds(compilePlan(planWith([rateDoc], extra)), GB, availableMicros);
}

describe('maxAffordableSeconds', () => {
  const whatsapp = compilePlan(DEFAULT_PLAN_DOCUMENT);
  const wa: CallQuery = { channel: 'whatsapp_call', destination: '+447700900123', startTime: T0 };

  it.each([
    // available micros → seconds, at $0.02 per started minute
    [0, 0],
    [19_999, 0], // cannot pay the first minute
    [20_000, 60],
    [39_999, 60],
    [40_000, 120],
    [50_000, 120], // "$0.05 buys two minutes"
    [1_000_000, 3000],
    [-5, 0], // an overdrawn wallet buys nothing
  ])('%d micros buys %d s of WhatsApp call', (available, seconds) => {
    expect(maxAffordableSeconds(whatsapp, wa, available)).toBe(seconds);
  });

  it('stops at the plan’s ceiling on a big balance', () => {
    expect(maxAffordableSeconds(whatsapp, wa, 1_000_000_000)).toBe(14_400);
  });

  it.each<[string, RateDoc, number, number]>([
    ['per second', { channel: 'voice', rate: '0.06', rateUnit: 60, increment: 1 }, 61_500, 61],
    [
      'a connect fee comes first',
      { channel: 'voice', connectFee: '0.05', rate: '0.06', rateUnit: 60, increment: 1 },
      61_500,
      11,
    ],
    [
      'first minute whole, then per second',
      {
        channel: 'voice',
        intervals: [
          { start: 0, rate: '0.06', rateUnit: 60, increment: 60 },
          { start: 60, rate: '0.06', rateUnit: 60, increment: 1 },
        ],
      },
      59_999,
      0,
    ],
    [
      '… and what is left after it buys seconds',
      {
        channel: 'voice',
        intervals: [
          { start: 0, rate: '0.06', rateUnit: 60, increment: 60 },
          { start: 60, rate: '0.06', rateUnit: 60, increment: 1 },
        ],
      },
      75_000,
      75,
    ],
    [
      'a minimum duration must be affordable first',
      { channel: 'voice', rate: '0.06', rateUnit: 60, increment: 1, minimum: 30 },
      29_999,
      0,
    ],
    [
      '… then it buys seconds beyond it',
      { channel: 'voice', rate: '0.06', rateUnit: 60, increment: 1, minimum: 30 },
      30_000,
      30,
    ],
    [
      'a cheaper tail after 5 minutes',
      {
        channel: 'voice',
        intervals: [
          { start: 0, rate: '0.10', rateUnit: 60 },
          { start: 300, rate: '0.02', rateUnit: 60 },
        ],
      },
      560_000,
      480,
    ],
    [
      'sub-micro seconds, rounded up on the total',
      { channel: 'voice', rate: '0.0085', rateUnit: 60, increment: 1 },
      8_642,
      61,
    ],
    [
      '… one micro less buys a second less',
      { channel: 'voice', rate: '0.0085', rateUnit: 60, increment: 1 },
      8_641,
      60,
    ],
    [
      'rounded down on the total, the last part-step is free',
      {
        channel: 'voice',
        rate: '0.0085',
        rateUnit: 60,
        increment: 1,
        rounding: { total: { method: 'down', decimals: 2 } },
      },
      0,
      70,
    ],
    [
      'rounded half-up on the total',
      {
        channel: 'voice',
        rate: '0.0085',
        rateUnit: 60,
        increment: 1,
        rounding: { total: { method: 'half_up', decimals: 2 } },
      },
      0,
      35,
    ],
    [
      'rounded per increment',
      {
        channel: 'voice',
        rate: '0.0085',
        rateUnit: 60,
        increment: 6,
        rounding: { increment: { method: 'up', decimals: 4 } },
      },
      9_900,
      66,
    ],
    [
      'a cap the balance covers: the balance is not the limit',
      { channel: 'voice', rate: '0.10', rateUnit: 60, maxCost: '1.00' },
      1_000_000,
      14_400,
    ],
    [
      'a cap above the balance does not change anything',
      { channel: 'voice', rate: '0.10', rateUnit: 60, maxCost: '1.00' },
      999_999,
      540,
    ],
    [
      'a free tail: any length is affordable',
      {
        channel: 'voice',
        intervals: [
          { start: 0, rate: '0.10', rateUnit: 60 },
          { start: 120, rate: '0', rateUnit: 60 },
        ],
      },
      200_000,
      14_400,
    ],
    [
      'a free tail still needs the paid head',
      {
        channel: 'voice',
        intervals: [
          { start: 0, rate: '0.10', rateUnit: 60 },
          { start: 120, rate: '0', rateUnit: 60 },
        ],
      },
      199_999,
      60,
    ],
  ])('%s', (_name, rateDoc, available, seconds) => {
    const plan = compilePlan(planWith([rateDoc]));
    const answer = maxAffordableSeconds(plan, GB, available);
    expect(answer).toBe(seconds);
    // …and it really is the inverse of rate():
    expect(rate(plan, { ...GB, durationSeconds: answer }).costMicros).toBeLessThanOrEqual(
      available,
    );
    if (answer < plan.maxCallSeconds) {
      expect(rate(plan, { ...GB, durationSeconds: answer + 1 }).costMicros).toBeGreaterThan(
        available,
      );
    }
  });

  it('takes its ceiling from the plan', () => {
    expect(
      affordable({ channel: 'voice', rate: '0', rateUnit: 60 }, 0, { maxCallSeconds: 600 }),
    ).toBe(600);
  });

  it('answers for the destination and time of the call', () => {
    const plan = compilePlan(
      planWith([
        { channel: 'voice', destination: 'GB', rate: '0.01', rateUnit: 60 },
        { channel: 'voice', destination: 'US', rate: '0.02', rateUnit: 60 },
      ]),
    );
    expect(maxAffordableSeconds(plan, GB, 100_000)).toBe(600);
    expect(maxAffordableSeconds(plan, { ...GB, destination: '+12125550123' }, 100_000)).toBe(300);
    expect(() =>
      maxAffordableSeconds(plan, { ...GB, destination: '+33612345678' }, 100_000),
    ).toThrow(errorWith({ code: 'unauthorized_destination' }));
  });

  it('cannot predict a cost-plus call, and will not guess', () => {
    const plan = compilePlan(planWith([{ channel: 'voice', markup: '5' }]));
    expect(() => maxAffordableSeconds(plan, GB, 100_000)).toThrow(
      errorWith({ code: 'not_predictable' }),
    );
  });

  it('answers only for calls', () => {
    const plan = compilePlan(planWith([{ channel: 'sms', rate: '0.04' }]));
    expect(() => maxAffordableSeconds(plan, { ...GB, channel: 'sms' }, 100_000)).toThrow(
      errorWith({ code: 'invalid_usage' }),
    );
  });

  it('refuses a balance that is not whole micro-units', () => {
    expect(() => maxAffordableSeconds(whatsapp, wa, 1.5)).toThrow(
      errorWith({ code: 'invalid_usage' }),
    );
  });
});

describe('firstIncrementCostMicros', () => {
  it.each<[string, RateDoc, number]>([
    ['a whole first minute', { channel: 'voice', rate: '0.02', rateUnit: 60 }, 20_000],
    [
      'one second plus the connect fee',
      { channel: 'voice', connectFee: '0.05', rate: '0.06', rateUnit: 60, increment: 1 },
      51_000,
    ],
    [
      'the minimum duration',
      { channel: 'voice', rate: '0.06', rateUnit: 60, increment: 1, minimum: 30 },
      30_000,
    ],
    [
      'a first interval of 30 s',
      {
        channel: 'voice',
        intervals: [
          { start: 0, rate: '0.12', rateUnit: 60, increment: 30 },
          { start: 30, rate: '0.12', rateUnit: 60, increment: 6 },
        ],
      },
      60_000,
    ],
    [
      'a free first minute',
      {
        channel: 'voice',
        intervals: [
          { start: 0, rate: '0', rateUnit: 60 },
          { start: 60, rate: '1', rateUnit: 60 },
        ],
      },
      0,
    ],
  ])('%s', (_name, rateDoc, micros) => {
    expect(firstIncrementCostMicros(compilePlan(planWith([rateDoc])), GB)).toBe(micros);
  });

  it('is what the dialer compares with the balance: below it, nothing is affordable', () => {
    const plan = compilePlan(DEFAULT_PLAN_DOCUMENT);
    const wa: CallQuery = { channel: 'whatsapp_call', destination: '+447700900123', startTime: T0 };
    const first = firstIncrementCostMicros(plan, wa);
    expect(first).toBe(20_000);
    expect(maxAffordableSeconds(plan, wa, first - 1)).toBe(0);
    expect(maxAffordableSeconds(plan, wa, first)).toBeGreaterThan(0);
  });
});
