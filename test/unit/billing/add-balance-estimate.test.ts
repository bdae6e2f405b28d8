import { describe, expect, it } from 'vitest';
import {
  anyDestinationNumber,
  estimateCallTime,
} from '../../../src/billing/add-balance-estimate.js';
import {
  compilePlan,
  DEFAULT_PLAN_DOCUMENT,
  rate,
  type PlanDocument,
} from '../../../src/rating/index.js';

const now = Date.parse('2026-11-10T12:00:00Z');

describe('estimateCallTime', () => {
  it("gives the seeds' answer for WhatsApp calls at 0.02 a minute", () => {
    const plan = compilePlan(DEFAULT_PLAN_DOCUMENT);
    expect(estimateCallTime(plan, 50_000_000, now)).toEqual([
      { channel: 'whatsapp_call', seconds: 150_000, minutes: 2_500, unavailable: null },
    ]);
    expect(estimateCallTime(plan, 19_999, now)[0]).toMatchObject({ seconds: 0, minutes: 0 });
  });

  it('counts a connect fee once per longest call and honours a per-call price cap', () => {
    const plan = compilePlan({
      id: 'p',
      currency: 'USD',
      maxCallSeconds: 3600,
      channels: { voice: { kind: 'call' }, capped: { kind: 'call' }, sms: { kind: 'message' } },
      destinations: { GB: ['44'] },
      versions: [
        {
          name: 'v',
          rates: [
            // 0.10 connect + 0.60 an hour: a full hour costs 0.70.
            {
              channel: 'voice',
              destination: 'GB',
              connectFee: '0.10',
              rate: '0.01',
              rateUnit: 60,
              increment: 1,
            },
            { channel: 'capped', rate: '0.06', rateUnit: 60, increment: 1, maxCost: '0.50' },
            { channel: 'sms', rate: '0.04' },
          ],
        },
      ],
    } satisfies PlanDocument);
    // 1.50 USD: two full hours (1.40), then 0.10 pays the connect fee and nothing more.
    expect(estimateCallTime(plan, 1_500_000, now, '+447700900123')).toEqual([
      { channel: 'voice', seconds: 7_200, minutes: 120, unavailable: null },
      { channel: 'capped', seconds: 10_800, minutes: 180, unavailable: null },
    ]);
    // Without a destination, voice has no rate for any destination.
    expect(estimateCallTime(plan, 1_500_000, now)[0]).toEqual({
      channel: 'voice',
      seconds: null,
      minutes: null,
      unavailable: 'destination_required',
    });
  });
});

describe('anyDestinationNumber', () => {
  it('finds a number that only the rate for any destination prices', () => {
    const plan = compilePlan({
      id: 'p',
      currency: 'USD',
      channels: { voice: { kind: 'call' }, local: { kind: 'call' } },
      destinations: { A: ['1', '2', '3', '4', '5', '6', '7', '8'], B: ['90', '91', '92'] },
      versions: [
        {
          name: 'v',
          rates: [
            { channel: 'voice', destination: 'A', rate: '0.05' },
            { channel: 'voice', rate: '0.01' },
            { channel: 'local', destination: 'B', rate: '0.01' },
          ],
        },
      ],
    } satisfies PlanDocument);
    const n = anyDestinationNumber(plan, 'voice', now);
    expect(n).not.toBe(null);
    // Priced at the any-destination 0.01 a second, not A's 0.05.
    expect(
      rate(plan, { channel: 'voice', destination: n!, startTime: now, durationSeconds: 60 })
        .costMicros,
    ).toBe(600_000);
    expect(anyDestinationNumber(plan, 'local', now)).toBe(null);
  });
});
