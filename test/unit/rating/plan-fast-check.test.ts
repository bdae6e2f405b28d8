// The hand-written check of rate rows and destinations (the fast first pass of plan
// validation) must never accept what the zod schema refuses, and must accept the plans decks
// are made of, or it saves nothing. What it refuses, zod checks and reports as always.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePlan, planSchema } from '../../../src/rating/index.js';
import type { PlanDocument } from '../../../src/rating/index.js';
import { isDestinations, isRateEntry } from '../../../src/rating/plan-schema.js';
import { errorWith, planWith } from './fixtures.js';

type RateDoc = PlanDocument['versions'][number]['rates'][number];

const zodAcceptsRate = (entry: unknown): boolean =>
  planSchema.safeParse(planWith([entry as RateDoc])).success;

const zodAcceptsDestinations = (destinations: unknown): boolean =>
  planSchema.safeParse({
    ...planWith([]),
    versions: [{ name: 'v', rates: [{ channel: 'sms' }] }],
    destinations,
  }).success;

/** Values of every kind a rate row's fields are checked against, fit or not. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '',
    '0',
    '1',
    '0.02',
    '0.0000083',
    '1.1234567',
    '-1',
    '1e3',
    ' 1',
    '0.1234567890123',
    'voice',
    'GB',
  ),
  fc.constantFrom(0, -0, 1, 60, -1, 1.5, 1_000_000_000, 1_000_000_001, 2 ** 53, NaN, Infinity),
  fc.constantFrom(null, undefined, true, [], {}),
  fc.constantFrom(
    { method: 'up', decimals: 4 },
    { method: 'up', decimals: 7 },
    { method: 'ceil', decimals: 2 },
    { method: 'half_up', decimals: 2, extra: 1 },
  ),
  fc.string(),
  fc.integer(),
);

const rateFields = [
  'channel',
  'destination',
  'period',
  'weight',
  'connectFee',
  'rate',
  'rateUnit',
  'increment',
  'intervals',
  'minimum',
  'maxCost',
  'markup',
  'rounding',
  'description',
  'other',
] as const;

/** A good value for each field of a rate row. */
const goodValues: Record<(typeof rateFields)[number], fc.Arbitrary<unknown>> = {
  channel: fc.constantFrom('voice', 'sms'),
  destination: fc.constantFrom('GB', 'US'),
  period: fc.constant('peak'),
  weight: fc.integer({ min: -5, max: 5 }),
  connectFee: fc.constantFrom('0.01', '0', '12.345678'),
  rate: fc.constantFrom('0.02', '0.0085', '0.000000000001'),
  rateUnit: fc.integer({ min: 1, max: 60 }),
  increment: fc.integer({ min: 1, max: 60 }),
  intervals: fc.array(
    fc.record(
      {
        start: fc.integer({ min: 0, max: 120 }),
        rate: fc.constantFrom('0.02', '1'),
        rateUnit: fc.integer({ min: 1, max: 60 }),
        increment: fc.integer({ min: 1, max: 60 }),
      },
      { requiredKeys: ['start', 'rate'] },
    ),
    { minLength: 1, maxLength: 3 },
  ),
  minimum: fc.integer({ min: 0, max: 60 }),
  maxCost: fc.constant('1.50'),
  markup: fc.constant('1.25'),
  rounding: fc.record(
    {
      increment: fc.record({
        method: fc.constantFrom('up', 'down', 'half_up'),
        decimals: fc.integer({ min: 0, max: 6 }),
      }),
      total: fc.record({
        method: fc.constantFrom('up', 'down', 'half_up'),
        decimals: fc.integer({ min: 0, max: 6 }),
      }),
    },
    { requiredKeys: [] },
  ),
  description: fc.string(),
  other: fc.constant(1),
};

/**
 * Rate rows near the valid ones: some fields with good values (the schema's structure only:
 * compilePlan checks how they combine), then one or two replaced by anything, at any depth.
 */
const rateRow: fc.Arbitrary<unknown> = fc
  .record({
    fields: fc.subarray(rateFields.filter((field) => field !== 'other')),
    values: fc.record(goodValues),
    spoiled: fc.array(fc.tuple(fc.constantFrom(...rateFields), anyValue), { maxLength: 2 }),
    spoiledInterval: fc.option(
      fc.tuple(fc.constantFrom('start', 'rate', 'rateUnit', 'increment', 'x'), anyValue),
      {
        nil: undefined,
      },
    ),
  })
  .map(({ fields, values, spoiled, spoiledInterval }) => {
    const row: Record<string, unknown> = { channel: values.channel };
    for (const field of fields) row[field] = values[field];
    for (const [field, value] of spoiled) row[field] = value;
    if (spoiledInterval !== undefined && Array.isArray(row.intervals) && row.intervals.length > 0) {
      const [field, value] = spoiledInterval;
      row.intervals = [
        { ...(row.intervals[0] as object), [field]: value },
        ...row.intervals.slice(1),
      ];
    }
    return row;
  });

describe('the fast check of rate rows', () => {
  it('accepts no rate row the zod schema refuses', () => {
    let accepted = 0;
    fc.assert(
      fc.property(rateRow, (row) => {
        if (isRateEntry(row)) {
          accepted++;
          expect(zodAcceptsRate(row)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(20); // the property compared something
  });

  it('accepts the rows rate decks are made of', () => {
    for (const row of [
      { channel: 'voice', destination: 'GB', rate: '0.012', rateUnit: 60, increment: 1 },
      {
        channel: 'voice',
        connectFee: '0.01',
        minimum: 30,
        maxCost: '1.50',
        weight: -2,
        rate: '0.0085',
      },
      {
        channel: 'voice',
        period: 'weekday_daytime',
        intervals: [
          { start: 0, rate: '0.09', rateUnit: 60, increment: 60 },
          { start: 60, rate: '0.07', rateUnit: 60 },
        ],
        rounding: {
          increment: { method: 'up', decimals: 4 },
          total: { method: 'half_up', decimals: 2 },
        },
        description: 'peak',
      },
      { channel: 'whatsapp_message', markup: '5' },
    ]) {
      expect(isRateEntry(row)).toBe(true);
      expect(zodAcceptsRate(row)).toBe(true);
    }
  });

  it.each([
    [
      'a hole in the intervals',
      // eslint-disable-next-line no-sparse-arrays -- the hole is the point
      { channel: 'voice', intervals: [, { start: 0, rate: '1' }] },
    ],
    ['an own __proto__ key', JSON.parse('{"channel":"voice","rate":"1","__proto__":{}}')],
    [
      'a class instance',
      new (class Row {
        channel = 'voice';
        rate = '1';
      })(),
    ],
    ['an undefined field', { channel: 'voice', rate: '1', weight: undefined }],
  ])('leaves %s to zod', (_, row) => {
    expect(isRateEntry(row)).toBe(false);
  });

  it('accepts no destinations the zod schema refuses', () => {
    const prefix = fc.oneof(
      fc.constantFrom('44', '1', '447700', '0', '1234567890123456', '4a', '', ' 44'),
      fc.string(),
    );
    const destinations = fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom('GB', 'US', '', '__proto__'), fc.string()),
        fc.oneof(fc.array(fc.oneof(prefix, anyValue), { maxLength: 3 }), anyValue),
        { maxKeys: 4 },
      ),
      anyValue,
    );
    let accepted = 0;
    fc.assert(
      fc.property(destinations, (value) => {
        if (isDestinations(value)) {
          accepted++;
          expect(zodAcceptsDestinations(value)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(20);
  });

  it('leaves symbol keys to zod', () => {
    expect(isDestinations({ GB: ['44'], [Symbol('x')]: ['1'] })).toBe(false);
  });

  it('reports a bad row of a large deck as zod does', () => {
    const rates: RateDoc[] = [];
    for (let i = 0; i < 200; i++)
      rates.push({ channel: 'voice', destination: 'GB', rate: '0.01', weight: i });
    rates.push({ channel: 'voice', destination: 'GB', rate: '0.01', rateUnit: 0 });
    expect(() => compilePlan(planWith(rates))).toThrow(
      errorWith({
        problems: ['versions.0.rates.200.rateUnit: Too small: expected number to be >=1'],
      }),
    );
  });
});
