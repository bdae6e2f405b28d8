import { describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_DOCUMENT, compilePlan, rate } from '../../../src/rating/index.js';
import type { PlanDocument, RateResult, Usage } from '../../../src/rating/index.js';
import { errorWith, planWith, T0 } from './fixtures.js';

const call = (durationSeconds: number, extra: Partial<Usage> = {}): Usage => ({
  channel: 'voice',
  destination: '+442079460958',
  startTime: T0,
  durationSeconds,
  ...extra,
});

function costOf(doc: PlanDocument, usage: Usage): number {
  return rate(compilePlan(doc), usage).costMicros;
}

describe('the seed documents’ prices', () => {
  const plan = compilePlan(DEFAULT_PLAN_DOCUMENT);
  const whatsapp = (durationSeconds: number): RateResult =>
    rate(plan, {
      channel: 'whatsapp_call',
      destination: '+447700900123',
      startTime: T0,
      durationSeconds,
    });

  it.each([
    // seconds, billed seconds, micro-units: $0.02 a minute, every started minute whole
    [1, 60, 20_000],
    [59, 60, 20_000],
    [60, 60, 20_000],
    [61, 120, 40_000], // the 61-second call: 2 minutes, $0.04
    [120, 120, 40_000],
    [121, 180, 60_000],
    [3600, 3600, 1_200_000],
    [0, 0, 0], // an unanswered call costs nothing
  ])('a %d s WhatsApp call bills %d s and costs %d micros', (seconds, billed, micros) => {
    const result = whatsapp(seconds);
    expect(result.costMicros).toBe(micros);
    expect(result.billedSeconds).toBe(billed);
    expect(result.rateMicros).toBe(20_000); // "Rate – the cost per minute applied"
  });

  it('prices WhatsApp calls to any number the same: the rate is flat', () => {
    for (const destination of ['+12125550123', '+5511987654321', '+33612345678']) {
      expect(
        rate(plan, { channel: 'whatsapp_call', destination, startTime: T0, durationSeconds: 61 })
          .costMicros,
      ).toBe(40_000);
    }
  });

  it('rebills 100 messages that cost $10 at the provider as $50 at 5x', () => {
    const rebilling = compilePlan(
      planWith([
        { channel: 'sms', markup: '5' },
        { channel: 'email', markup: '5' },
      ]),
    );
    let provider = 0;
    let client = 0;
    for (let i = 0; i < 100; i++) {
      const providerCostMicros = 100_000; // $0.10 a message
      provider += providerCostMicros;
      client += rate(rebilling, {
        channel: 'sms',
        destination: '+14155550100',
        startTime: T0,
        segments: 1,
        providerCostMicros,
      }).costMicros;
    }
    expect(provider).toBe(10_000_000);
    expect(client).toBe(50_000_000);
    expect(
      rate(rebilling, { channel: 'email', startTime: T0, providerCostMicros: 10_000_000 })
        .costMicros,
    ).toBe(50_000_000);
  });
});

describe('tiers in the style of CGRateS', () => {
  it.each<[string, PlanDocument['versions'][number]['rates'][number], number, number, number]>([
    // name, rate, seconds, billed, micros
    [
      'per-second billing of a per-minute rate',
      { channel: 'voice', rate: '0.06', rateUnit: 60, increment: 1 },
      61,
      61,
      61_000,
    ],
    [
      'connect fee plus whole minutes',
      { channel: 'voice', connectFee: '0.05', rate: '0.10', rateUnit: 60 },
      61,
      120,
      250_000,
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
      61,
      61,
      61_000,
    ],
    [
      '... a 10 s call still pays the first minute',
      {
        channel: 'voice',
        intervals: [
          { start: 0, rate: '0.06', rateUnit: 60, increment: 60 },
          { start: 60, rate: '0.06', rateUnit: 60, increment: 1 },
        ],
      },
      10,
      60,
      60_000,
    ],
    [
      'a cheaper tail after 5 minutes',
      {
        channel: 'voice',
        intervals: [
          { start: 0, rate: '0.10', rateUnit: 60, increment: 60 },
          { start: 300, rate: '0.02', rateUnit: 60, increment: 60 },
        ],
      },
      430,
      480,
      560_000,
    ],
    [
      '30/6 billing',
      {
        channel: 'voice',
        intervals: [
          { start: 0, rate: '0.12', rateUnit: 60, increment: 30 },
          { start: 30, rate: '0.12', rateUnit: 60, increment: 6 },
        ],
      },
      31,
      36,
      72_000,
    ],
    [
      'a minimum duration',
      { channel: 'voice', rate: '0.06', rateUnit: 60, increment: 1, minimum: 30 },
      5,
      30,
      30_000,
    ],
    [
      'a minimum the call exceeds',
      { channel: 'voice', rate: '0.06', rateUnit: 60, increment: 1, minimum: 30 },
      45,
      45,
      45_000,
    ],
    [
      'a rate finer than a micro per second, rounded up once on the total',
      { channel: 'voice', rate: '0.0085', rateUnit: 60, increment: 1 },
      61,
      61,
      8_642,
    ], // 8641.67
    [
      'an increment that overruns the next interval start',
      {
        channel: 'voice',
        intervals: [
          { start: 0, rate: '0.60', rateUnit: 60, increment: 60 },
          { start: 30, rate: '0.06', rateUnit: 60, increment: 1 },
        ],
      },
      65,
      65,
      605_000,
    ],
    [
      'a free first minute',
      {
        channel: 'voice',
        intervals: [
          { start: 0, rate: '0', rateUnit: 60 },
          { start: 60, rate: '0.06', rateUnit: 60, increment: 1 },
        ],
      },
      90,
      90,
      30_000,
    ],
    [
      'a cap on one call',
      { channel: 'voice', rate: '0.10', rateUnit: 60, maxCost: '1.50' },
      3600,
      3600,
      1_500_000,
    ],
    [
      'a cap the call stays under',
      { channel: 'voice', rate: '0.10', rateUnit: 60, maxCost: '1.50' },
      600,
      600,
      1_000_000,
    ],
  ])('%s', (_name, rateDoc, seconds, billed, micros) => {
    const result = rate(compilePlan(planWith([rateDoc])), call(seconds));
    expect(result.costMicros).toBe(micros);
    expect(result.billedSeconds).toBe(billed);
  });

  it('says in the breakdown what priced the call', () => {
    const doc = planWith([
      {
        channel: 'voice',
        destination: 'GB',
        connectFee: '0.01',
        intervals: [
          { start: 0, rate: '0.06', rateUnit: 60, increment: 60 },
          { start: 60, rate: '0.045', rateUnit: 60, increment: 1 },
        ],
        maxCost: '2',
      },
    ]);
    const result = rate(compilePlan(doc), call(95));
    // JSON is how a breakdown leaves tollgate (it is built on first access).
    expect(JSON.parse(JSON.stringify(result))).toEqual({
      costMicros: 96_250,
      currency: 'USD',
      channel: 'voice',
      number: '+442079460958',
      billedSeconds: 95,
      rateMicros: 45_000,
      breakdown: {
        plan: 'test-plan',
        version: 'v1',
        number: '+442079460958',
        destination: 'GB',
        prefix: '44',
        period: null,
        pricing: 'tiered',
        quantity: 95,
        unit: 'second',
        minimumApplied: false,
        connectFeeMicros: 10_000,
        intervals: [
          {
            start: 0,
            rate: '0.06',
            rateUnit: 60,
            increment: 60,
            increments: 1,
            incrementCostMicros: '60000',
          },
          {
            start: 60,
            rate: '0.045',
            rateUnit: 60,
            increment: 1,
            increments: 35,
            incrementCostMicros: '750',
          },
        ],
        unroundedMicros: '96250',
        rounding: { increment: null, total: { method: 'up', decimals: 6 } },
        capped: false,
        maxCostMicros: 2_000_000,
      },
    });
  });

  it('is plain data to spread, compare and log; the breakdown comes with JSON', () => {
    const result = rate(
      compilePlan(planWith([{ channel: 'voice', rate: '0.01', rateUnit: 60 }])),
      call(60),
    );
    expect(Object.keys(result).sort()).toEqual([
      'billedSeconds',
      'billedUnits',
      'channel',
      'costMicros',
      'currency',
      'number',
      'rateMicros',
    ]);
    const json = JSON.parse(JSON.stringify(result));
    expect(json.breakdown.intervals[0].increments).toBe(1);
    expect(json).not.toHaveProperty('billedUnits'); // undefined fields are left out
    expect(result.breakdown).toBe(result.breakdown); // built once
  });

  it('marks a capped call', () => {
    const result = rate(
      compilePlan(planWith([{ channel: 'voice', rate: '1', rateUnit: 60, maxCost: '0.5' }])),
      call(60),
    );
    expect(result.costMicros).toBe(500_000);
    expect(result.breakdown.capped).toBe(true);
    expect(result.breakdown.unroundedMicros).toBe('1000000');
  });

  it('bills a fractional second as a whole one', () => {
    const plan = compilePlan(
      planWith([{ channel: 'voice', rate: '0.06', rateUnit: 60, increment: 1 }]),
    );
    expect(rate(plan, call(60.2)).billedSeconds).toBe(61);
  });
});

describe('rounding as data', () => {
  // 0.0085 per minute, 6 s increments: one increment is exactly 0.00085.
  const nanp = (rounding: NonNullable<PlanDocument['rounding']>): PlanDocument =>
    planWith([{ channel: 'voice', rate: '0.0085', rateUnit: 60, increment: 6, rounding }]);

  it.each<[string, NonNullable<PlanDocument['rounding']>, number, string]>([
    ['exact, total up to the micro', {}, 9_350, '9350'],
    [
      'each increment up to 4 decimals (0.0009)',
      { increment: { method: 'up', decimals: 4 } },
      9_900,
      '9900',
    ],
    [
      'each increment down to 4 decimals (0.0008)',
      { increment: { method: 'down', decimals: 4 } },
      8_800,
      '8800',
    ],
    [
      'each increment half-up to 4 decimals (0.00085 → 0.0009)',
      { increment: { method: 'half_up', decimals: 4 } },
      9_900,
      '9900',
    ],
    ['total up to 2 decimals', { total: { method: 'up', decimals: 2 } }, 10_000, '9350'],
    ['total down to 2 decimals', { total: { method: 'down', decimals: 2 } }, 0, '9350'],
    ['total half-up to 3 decimals', { total: { method: 'half_up', decimals: 3 } }, 9_000, '9350'],
    [
      'both: increments up to 4, total half-up to 2',
      { increment: { method: 'up', decimals: 4 }, total: { method: 'half_up', decimals: 2 } },
      10_000,
      '9900',
    ],
  ])('%s', (_name, rounding, micros, unrounded) => {
    const result = rate(compilePlan(nanp(rounding)), call(61, { destination: '+12125550123' }));
    expect(result.billedSeconds).toBe(66);
    expect(result.costMicros).toBe(micros);
    expect(result.breakdown.unroundedMicros).toBe(unrounded);
  });

  it('takes the plan-wide rounding unless a rate sets its own', () => {
    const doc = planWith(
      [
        { channel: 'voice', destination: 'GB', rate: '0.0085', rateUnit: 60, increment: 6 },
        {
          channel: 'voice',
          destination: 'US',
          rate: '0.0085',
          rateUnit: 60,
          increment: 6,
          rounding: { total: { method: 'down', decimals: 6 } },
        },
      ],
      { rounding: { increment: { method: 'up', decimals: 4 } } },
    );
    const plan = compilePlan(doc);
    expect(rate(plan, call(61)).costMicros).toBe(9_900);
    expect(rate(plan, call(61, { destination: '+12125550123' })).costMicros).toBe(9_350);
  });

  it('keeps a sub-micro rate exact until the final rounding', () => {
    // 1/3 micro a second for 3 seconds is exactly 1 micro; rounding each second up would be 3.
    const doc = planWith([{ channel: 'voice', rate: '0.00002', rateUnit: 60, increment: 1 }]);
    expect(costOf(doc, call(3))).toBe(1);
    expect(costOf(doc, call(4))).toBe(2); // 4/3 rounded up
  });
});

describe('destinations', () => {
  const doc = planWith([
    { channel: 'voice', destination: 'GB', rate: '0.01', rateUnit: 60 },
    { channel: 'voice', destination: 'GB_MOBILE', rate: '0.05', rateUnit: 60 },
    { channel: 'voice', destination: 'GB_MOBILE_VODA', rate: '0.07', rateUnit: 60 },
    { channel: 'sms', destination: 'GB', rate: '0.04' },
    { channel: 'voice', destination: 'US', rate: '0.005', rateUnit: 60 },
  ]);
  const plan = compilePlan(doc);

  it.each([
    ['+442079460958', 'GB', '44', 10_000],
    ['+447912345678', 'GB_MOBILE', '447', 50_000],
    ['+447700900123', 'GB_MOBILE_VODA', '4477', 70_000], // longest prefix wins
    ['+12125550123', 'US', '1', 5_000],
    ['020 7946 0958', 'GB', '44', 10_000], // national, with the plan's… no: the event's region
  ])('%s is %s by prefix %s', (destination, name, prefix, micros) => {
    const result = rate(plan, call(60, { destination, defaultRegion: 'GB' }));
    expect(result.breakdown.destination).toBe(name);
    expect(result.breakdown.prefix).toBe(prefix);
    expect(result.costMicros).toBe(micros);
  });

  it('falls back to a shorter prefix when the longer one has no rate on that channel', () => {
    const result = rate(plan, {
      channel: 'sms',
      destination: '+447700900123',
      startTime: T0,
      segments: 1,
    });
    expect(result.breakdown.prefix).toBe('44');
    expect(result.costMicros).toBe(40_000);
  });

  it('reads national numbers with the plan’s default region', () => {
    const withRegion = compilePlan({ ...doc, defaultRegion: 'GB' });
    expect(rate(withRegion, call(60, { destination: '07700 900123' })).breakdown.number).toBe(
      '+447700900123',
    );
  });

  it('uses a rate without destination for numbers no prefix covers', () => {
    const withFallback = compilePlan(
      planWith([
        { channel: 'voice', destination: 'GB', rate: '0.01', rateUnit: 60 },
        { channel: 'voice', rate: '0.30', rateUnit: 60, description: 'rest of the world' },
      ]),
    );
    expect(rate(withFallback, call(60, { destination: '+33612345678' })).costMicros).toBe(300_000);
    expect(rate(withFallback, call(60)).costMicros).toBe(10_000);
  });

  it('refuses, never prices at zero, a destination the plan does not cover', () => {
    expect(() => rate(plan, call(60, { destination: '+33612345678' }))).toThrow(
      errorWith({
        code: 'unauthorized_destination',
        context: expect.objectContaining({ number: '+33612345678' }),
      }),
    );
  });
});

describe('channels are data', () => {
  it('prices a channel the code has never heard of', () => {
    const doc = planWith([{ channel: 'rcs_message', destination: 'GB', rate: '0.015' }], {
      channels: { rcs_message: { kind: 'message' } },
    });
    const result = rate(compilePlan(doc), {
      channel: 'rcs_message',
      destination: '+447700900123',
      startTime: T0,
    });
    expect(result.costMicros).toBe(15_000);
    expect(result.billedUnits).toBe(1);
  });

  it('prices email, which has no number', () => {
    const plan = compilePlan(planWith([{ channel: 'email', rate: '0.0008' }]));
    const result = rate(plan, { channel: 'email', startTime: T0 });
    expect(result.costMicros).toBe(800);
    expect(result.number).toBeNull();
    expect(result.breakdown.number).toBeNull();
  });

  it('prices a WhatsApp message per message, whatever its length', () => {
    const plan = compilePlan(planWith([{ channel: 'whatsapp_message', rate: '0.005' }]));
    const result = rate(plan, {
      channel: 'whatsapp_message',
      destination: '+447700900123',
      startTime: T0,
      body: 'x'.repeat(1000),
    });
    expect(result.billedUnits).toBe(1);
    expect(result.costMicros).toBe(5_000);
  });
});

describe('messages per segment', () => {
  const plan = compilePlan(planWith([{ channel: 'sms', destination: 'GB', rate: '0.04' }]));
  const sms = (extra: Partial<Usage>): RateResult =>
    rate(plan, { channel: 'sms', destination: '+447700900123', startTime: T0, ...extra });

  it.each([
    ['segments given by the event', { segments: 3 }, 3, undefined],
    ['segments win over the body', { segments: 2, body: 'hi' }, 2, undefined],
    ['a short GSM-7 body', { body: 'Your interview is at 10:00.' }, 1, 'gsm7'],
    ['a 161-character GSM-7 body', { body: 'a'.repeat(161) }, 2, 'gsm7'],
    ['a UCS-2 body of 71 characters', { body: 'ж'.repeat(71) }, 2, 'ucs2'],
    ['an empty body', { body: '' }, 1, 'gsm7'],
  ])('%s', (_name, extra, segments, encoding) => {
    const result = sms(extra);
    expect(result.billedUnits).toBe(segments);
    expect(result.costMicros).toBe(segments * 40_000);
    expect(result.breakdown.encoding).toBe(encoding);
  });

  it('needs segments or a body', () => {
    expect(() => sms({})).toThrow(errorWith({ code: 'invalid_usage' }));
  });
});

describe('periods in the plan’s time zone', () => {
  const doc = planWith(
    [
      { channel: 'voice', destination: 'GB', rate: '0.01', rateUnit: 60 },
      {
        channel: 'voice',
        destination: 'GB',
        period: 'peak',
        weight: 10,
        rate: '0.03',
        rateUnit: 60,
      },
    ],
    {
      timezone: 'Europe/London',
      periods: {
        peak: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' }],
      },
    },
  );
  const plan = compilePlan(doc);

  it.each([
    ['Tuesday 10:00 GMT', '2025-03-04T10:00:00Z', 'peak', 30_000],
    ['Tuesday 07:30 GMT', '2025-03-04T07:30:00Z', null, 10_000],
    ['Tuesday 17:59 GMT', '2025-03-04T17:59:00Z', 'peak', 30_000],
    ['Saturday 10:00 GMT', '2025-03-08T10:00:00Z', null, 10_000],
    ['Monday 07:30 UTC = 08:30 BST', '2025-03-31T07:30:00Z', 'peak', 30_000],
    ['Friday 17:30 UTC = 18:30 BST', '2025-04-04T17:30:00Z', null, 10_000],
    ['an offset timestamp: 09:00+01:00 is 08:00 UTC', '2025-03-04T09:00:00+01:00', 'peak', 30_000],
  ])('%s', (_name, startTime, period, micros) => {
    const result = rate(plan, call(60, { startTime }));
    expect(result.breakdown.period).toBe(period);
    expect(result.costMicros).toBe(micros);
  });

  it('prices a whole call at its start, even if it runs into another period', () => {
    expect(rate(plan, call(3600, { startTime: '2025-03-04T17:59:00Z' })).costMicros).toBe(
      1_800_000,
    );
  });

  it('reads epoch milliseconds like the same ISO instant', () => {
    const iso = rate(plan, call(60, { startTime: '2025-03-04T10:00:00Z' }));
    const epoch = rate(plan, call(60, { startTime: Date.parse('2025-03-04T10:00:00Z') }));
    expect(JSON.stringify(epoch)).toBe(JSON.stringify(iso));
  });
});

describe('versions and activation', () => {
  const gb = (price: string) => ({
    channel: 'voice',
    destination: 'GB',
    rate: price,
    rateUnit: 60,
  });
  const doc = planWith([], {
    versions: [
      { name: '2025', activeFrom: '2025-01-01T00:00:00Z', rates: [gb('0.01')] },
      { name: '2025-h2', activeFrom: '2025-07-01T00:00:00Z', rates: [gb('0.02')] },
      {
        name: 'france-promo',
        weight: 10,
        activeFrom: '2025-08-01T00:00:00Z',
        activeUntil: '2025-09-01T00:00:00Z',
        rates: [{ channel: 'voice', destination: 'FR', rate: '0.001', rateUnit: 60 }],
      },
      {
        name: 'december-sale',
        weight: 5,
        activeFrom: '2025-12-01T00:00:00Z',
        activeUntil: '2025-12-08T00:00:00Z',
        rates: [gb('0.005')],
      },
    ],
  });
  const plan = compilePlan(doc);

  it.each([
    ['the first version', '2025-03-01T00:00:00Z', '+442079460958', '2025', 10_000],
    [
      'a newer version of the same weight replaces it',
      '2025-07-01T00:00:00Z',
      '+442079460958',
      '2025-h2',
      20_000,
    ],
    [
      'an overlay prices what it covers',
      '2025-08-10T00:00:00Z',
      '+33612345678',
      'france-promo',
      1_000,
    ],
    [
      '… and leaves the rest to the version below',
      '2025-08-10T00:00:00Z',
      '+442079460958',
      '2025-h2',
      20_000,
    ],
    [
      'a heavier version wins where both price',
      '2025-12-03T00:00:00Z',
      '+442079460958',
      'december-sale',
      5_000,
    ],
    ['an overlay ends at activeUntil', '2025-12-08T00:00:00Z', '+442079460958', '2025-h2', 20_000],
  ])('%s', (_name, startTime, destination, version, micros) => {
    const result = rate(plan, call(60, { startTime, destination }));
    expect(result.breakdown.version).toBe(version);
    expect(result.costMicros).toBe(micros);
  });

  it('refuses France outside the promotion', () => {
    expect(() =>
      rate(plan, call(60, { startTime: '2025-09-01T00:00:00Z', destination: '+33612345678' })),
    ).toThrow(errorWith({ code: 'unauthorized_destination' }));
  });

  it('refuses an event before any version is in force', () => {
    expect(() => rate(plan, call(60, { startTime: '2024-12-31T23:59:59Z' }))).toThrow(
      errorWith({ code: 'no_active_plan' }),
    );
  });
});

describe('events that cannot be priced are errors, never zero', () => {
  const plan = compilePlan(
    planWith([
      { channel: 'voice', destination: 'GB', rate: '0.01', rateUnit: 60 },
      { channel: 'sms', destination: 'GB', rate: '0.04' },
      { channel: 'whatsapp_message', markup: '5' },
    ]),
  );

  it.each<[string, Usage, string]>([
    [
      'an unknown channel',
      { channel: 'fax', destination: '+442079460958', startTime: T0 },
      'unknown_channel',
    ],
    ['an unreadable number', call(60, { destination: '+44 12' }), 'invalid_number'],
    [
      'a national number without any region',
      call(60, { destination: '020 7946 0958' }),
      'invalid_number',
    ],
    ['a call without a number', call(60, { destination: undefined }), 'missing_destination'],
    [
      'a destination without a rate',
      call(60, { destination: '+12125550123' }),
      'unauthorized_destination',
    ],
    [
      'a call without duration',
      { channel: 'voice', destination: '+442079460958', startTime: T0 },
      'invalid_usage',
    ],
    ['a negative duration', call(-1), 'invalid_usage'],
    ['a NaN duration', call(Number.NaN), 'invalid_usage'],
    ['a time without a zone', call(60, { startTime: '2025-03-04T10:00:00' }), 'invalid_usage'],
    [
      'zero segments',
      { channel: 'sms', destination: '+442079460958', startTime: T0, segments: 0 },
      'invalid_usage',
    ],
    [
      'an SMS to a destination without a rate',
      { channel: 'sms', destination: '+33612345678', startTime: T0, segments: 1 },
      'unauthorized_destination',
    ],
    [
      'a cost-plus message without provider cost',
      { channel: 'whatsapp_message', destination: '+442079460958', startTime: T0 },
      'missing_provider_cost',
    ],
    [
      'a negative provider cost',
      {
        channel: 'whatsapp_message',
        destination: '+442079460958',
        startTime: T0,
        providerCostMicros: -5,
      },
      'invalid_usage',
    ],
    [
      'a fractional provider cost',
      {
        channel: 'whatsapp_message',
        destination: '+442079460958',
        startTime: T0,
        providerCostMicros: 1.5,
      },
      'invalid_usage',
    ],
  ])('%s → %s', (_name, usage, code) => {
    expect(() => rate(plan, usage)).toThrow(errorWith({ code, retriable: false }));
  });
});

describe('cost-plus', () => {
  it.each<[string, string, number, NonNullable<PlanDocument['rounding']> | undefined, number]>([
    ['5x', '5', 2_000, undefined, 10_000],
    ['1.25x, exact', '1.25', 800, undefined, 1_000],
    ['1.25x, rounded up to the micro', '1.25', 850, undefined, 1_063], // 1062.5
    [
      '1.25x, rounded half-up to 4 decimals',
      '1.25',
      850,
      { total: { method: 'half_up', decimals: 4 } },
      1_100,
    ],
    ['0x is free, if a plan says so', '0', 850, undefined, 0],
  ])('%s', (_name, markup, providerCostMicros, rounding, micros) => {
    const plan = compilePlan(
      planWith([{ channel: 'email', markup, ...(rounding ? { rounding } : {}) }]),
    );
    const result = rate(plan, { channel: 'email', startTime: T0, providerCostMicros });
    expect(result.costMicros).toBe(micros);
    expect(result.breakdown.pricing).toBe('cost_plus');
    expect(result.breakdown.markup).toBe(markup);
    expect(result.rateMicros).toBeUndefined();
  });

  it('caps a cost-plus price', () => {
    const plan = compilePlan(planWith([{ channel: 'email', markup: '5', maxCost: '0.01' }]));
    const result = rate(plan, { channel: 'email', startTime: T0, providerCostMicros: 1_000_000 });
    expect(result.costMicros).toBe(10_000);
    expect(result.breakdown.capped).toBe(true);
  });
});

describe('large amounts', () => {
  it('prices exactly when the arithmetic leaves the safe-integer fast path', () => {
    // One increment is 1/(999983·10^6) micro; rounding to whole units divides by ~10^18.
    const doc = (method: 'up' | 'down') =>
      planWith([
        {
          channel: 'voice',
          rate: '0.000000000001',
          rateUnit: 999_983,
          increment: 1,
          rounding: { total: { method, decimals: 0 } },
        },
      ]);
    const up = rate(compilePlan(doc('up')), call(1_000_000_000));
    expect(up.costMicros).toBe(1_000_000);
    expect(up.breakdown.unroundedMicros).toBe('1000/999983');
    expect(rate(compilePlan(doc('down')), call(1_000_000_000)).costMicros).toBe(0);
  });

  it('refuses a price past the safe-integer range instead of rounding it', () => {
    // 999999.9999999 units per 7 s for 10^6 s is about 1.4·10^17 micros.
    const plan = compilePlan(
      planWith([{ channel: 'voice', rate: '999999.9999999', rateUnit: 7, increment: 1 }]),
    );
    expect(() => rate(plan, call(1_000_000))).toThrow(errorWith({ code: 'amount_overflow' }));
  });
});
