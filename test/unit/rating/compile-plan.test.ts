import { describe, expect, it } from 'vitest';
import { InvalidPlanError, compilePlan, rate } from '../../../src/rating/index.js';
import type { PlanDocument } from '../../../src/rating/index.js';
import { T0, planWith } from './fixtures.js';

function problemsOf(doc: unknown): string[] {
  try {
    compilePlan(doc);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPlanError);
    expect((error as InvalidPlanError).code).toBe('invalid_plan');
    return [...(error as InvalidPlanError).problems];
  }
  throw new Error('the plan compiled but should not have');
}

const ok = { channel: 'voice', destination: 'GB', rate: '0.01', rateUnit: 60 };

describe('compilePlan refuses a plan that cannot be used', () => {
  it.each<[string, unknown, RegExp]>([
    ['not an object', 'hello', /\(plan\)/],
    [
      'a float amount (money is decimal strings)',
      planWith([{ ...ok, rate: 0.01 as unknown as string }]),
      /versions\.0\.rates\.0\.rate/,
    ],
    ['a negative rate', planWith([{ ...ok, rate: '-0.01' }]), /rate/],
    [
      'a connect fee finer than a micro-unit',
      planWith([{ ...ok, connectFee: '0.0000001' }]),
      /connectFee/,
    ],
    ['a rate finer than 12 decimals', planWith([{ ...ok, rate: '0.0000000000001' }]), /rate/],
    ['an unknown field', planWith([{ ...ok, ratee: '1' } as never]), /ratee/],
    [
      'rounding to 7 decimals',
      planWith([{ ...ok, rounding: { total: { method: 'up', decimals: 7 } } }]),
      /decimals/,
    ],
    [
      'an unknown rounding method',
      planWith([{ ...ok, rounding: { total: { method: 'banker' as 'up', decimals: 2 } } }]),
      /method/,
    ],
    [
      'a channel the plan does not declare',
      planWith([{ ...ok, channel: 'fax' }]),
      /"fax" is not declared in channels/,
    ],
    [
      'a destination the plan does not declare',
      planWith([{ ...ok, destination: 'DE' }]),
      /"DE" is not in destinations/,
    ],
    [
      'a period the plan does not declare',
      planWith([{ ...ok, period: 'peak' }]),
      /"peak" is not in periods/,
    ],
    ['both a rate and a markup', planWith([{ ...ok, markup: '5' }]), /exactly one of/],
    [
      'neither a rate nor a markup',
      planWith([{ channel: 'voice', destination: 'GB' }]),
      /exactly one of/,
    ],
    [
      'a connect fee on a cost-plus rate',
      planWith([{ channel: 'sms', markup: '5', connectFee: '0.01' }]),
      /connectFee/,
    ],
    [
      'rateUnit outside intervals',
      planWith([{ channel: 'voice', rateUnit: 60, intervals: [{ start: 0, rate: '0.01' }] }]),
      /inside each interval/,
    ],
    [
      'a first interval not at 0',
      planWith([{ channel: 'voice', intervals: [{ start: 1, rate: '0.01' }] }]),
      /start at 0/,
    ],
    [
      'intervals out of order',
      planWith([
        {
          channel: 'voice',
          intervals: [
            { start: 0, rate: '0.01' },
            { start: 60, rate: '0.01' },
            { start: 30, rate: '0.01' },
          ],
        },
      ]),
      /intervals\[2\]\.start/,
    ],
    ['a zero increment', planWith([{ ...ok, increment: 0 }]), /increment/],
    [
      'a destination on an unaddressed channel',
      planWith([{ channel: 'email', destination: 'GB', rate: '0.001' }]),
      /email has no numbers/,
    ],
    [
      'a prefix in two destinations',
      planWith([ok], { destinations: { GB: ['44'], UK: ['44'] } }),
      /prefix 44 already belongs to GB/,
    ],
    [
      'a prefix listed twice',
      planWith([ok], { destinations: { GB: ['44', '44'] } }),
      /listed twice/,
    ],
    ['a prefix with a plus', planWith([ok], { destinations: { GB: ['+44'] } }), /destinations\.GB/],
    [
      'two rates of one weight at the same time',
      planWith([ok, { ...ok, rate: '0.02' }]),
      /apply at the same time/,
    ],
    [
      'a time zone that does not exist',
      planWith([ok], { timezone: 'Europe/Atlantis' }),
      /not an IANA time zone/,
    ],
    [
      'a region libphonenumber does not know',
      planWith([ok], { defaultRegion: 'XX' }),
      /defaultRegion/,
    ],
    [
      'unit on a call channel',
      planWith([ok], { channels: { voice: { kind: 'call', unit: 'segment' } } }),
      /billed per second/,
    ],
    [
      'an empty window',
      planWith([{ ...ok, period: 'p' }], {
        periods: { p: [{ days: ['mon'], from: '09:00', to: '09:00' }] },
      }),
      /periods\.p/,
    ],
    [
      'a version that ends before it starts',
      planWith([ok], {
        versions: [
          {
            name: 'v',
            activeFrom: '2025-02-01T00:00:00Z',
            activeUntil: '2025-01-01T00:00:00Z',
            rates: [ok],
          },
        ],
      }),
      /activeUntil/,
    ],
    [
      'a timestamp without a zone',
      planWith([ok], { versions: [{ name: 'v', activeFrom: '2025-02-01T00:00:00', rates: [ok] }] }),
      /activeFrom/,
    ],
    [
      'two versions that neither replaces',
      planWith([ok], {
        versions: [
          { name: 'a', rates: [ok] },
          { name: 'b', rates: [ok] },
        ],
      }),
      /same weight and activeFrom/,
    ],
    [
      'a version name used twice',
      planWith([ok], {
        versions: [
          { name: 'a', rates: [ok] },
          { name: 'a', weight: 1, rates: [ok] },
        ],
      }),
      /used twice/,
    ],
    ['no channels', planWith([ok], { channels: {} }), /declare at least one channel/],
  ])('%s', (_name, doc, problem) => {
    const problems = problemsOf(doc);
    expect(problems.join('\n')).toMatch(problem);
  });

  it('reports every problem at once, each with its path', () => {
    const problems = problemsOf(
      planWith([
        { ...ok, channel: 'fax' },
        { ...ok, destination: 'DE' },
      ]),
    );
    expect(problems).toEqual([
      'versions.0.rates.0.channel: "fax" is not declared in channels',
      'versions.0.rates.1.destination: "DE" is not in destinations',
    ]);
  });
});

describe('compilePlan accepts', () => {
  it('rates of one destination and weight in disjoint periods', () => {
    const doc: PlanDocument = planWith(
      [
        { ...ok, period: 'day' },
        { ...ok, period: 'night', rate: '0.005' },
      ],
      {
        periods: {
          day: [
            { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '08:00', to: '20:00' },
          ],
          night: [
            { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '20:00', to: '08:00' },
          ],
        },
      },
    );
    expect(() => compilePlan(doc)).not.toThrow();
  });

  it('a plan-level $schema and descriptions, for editors and readers', () => {
    const plan = compilePlan({
      $schema: './rate-plan.schema.json',
      description: 'x',
      ...planWith([ok]),
    });
    expect(plan.id).toBe('test-plan');
    expect(plan.maxCallSeconds).toBe(14_400);
    expect(plan.timeZone).toBe('UTC');
  });

  it('keeps nothing of the document: changing it after does not change the plan', () => {
    const documentOf = () =>
      planWith([
        {
          channel: 'voice',
          destination: 'GB',
          connectFee: '0.001',
          intervals: [{ start: 0, rate: '0.01', rateUnit: 60 }],
          rounding: { total: { method: 'up' as const, decimals: 2 } },
        },
      ]);
    const call = { channel: 'voice', destination: '+442079460958', startTime: T0 };
    const doc = documentOf();
    const plan = compilePlan(doc);
    // Changed before anything was rated or explained (a breakdown's tariff is compiled late)…
    const row = doc.versions[0]?.rates[0];
    if (row?.rounding?.total === undefined || row.intervals?.[0] === undefined) {
      throw new Error('the test document changed shape');
    }
    row.rounding.total.decimals = 6;
    row.intervals[0].rateUnit = 1;
    row.intervals[0].rate = '5';
    const after = rate(plan, { ...call, durationSeconds: 60 });
    expect(after.costMicros).toBe(20_000); // 0.011 rounded up to a cent
    // …the plan prices and explains as one compiled from the untouched document.
    const untouched = rate(compilePlan(documentOf()), { ...call, durationSeconds: 60 });
    expect(after.breakdown).toEqual(untouched.breakdown);
  });
});
