import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorizeCall, type CompanyGate } from '../../../src/billing/call-authorization.js';
import { compilePlan, rate, type PlanDocument } from '../../../src/rating/index.js';

const plan = compilePlan({
  id: 'unit',
  currency: 'USD',
  maxCallSeconds: 3600,
  channels: {
    voice: { kind: 'call' },
    whatsapp_call: { kind: 'call' },
    resale: { kind: 'call' },
    sms: { kind: 'message' },
  },
  destinations: { GB: ['44'] },
  versions: [
    {
      name: 'v1',
      activeFrom: '2025-01-01T00:00:00Z',
      rates: [
        // 0.01 to connect, then 0.06 a minute per second: 1,000 a second.
        {
          channel: 'voice',
          destination: 'GB',
          connectFee: '0.01',
          rate: '0.06',
          rateUnit: 60,
          increment: 1,
        },
        { channel: 'whatsapp_call', rate: '0.02', rateUnit: 60, increment: 60 },
        { channel: 'resale', markup: '2' },
        { channel: 'sms', rate: '0.04' },
      ],
    },
  ],
} satisfies PlanDocument);

const now = Date.parse('2026-11-10T12:00:00Z');
const gate: CompanyGate = {
  setUp: true,
  paused: false,
  billingMode: 'refillable_wallet',
  capMicros: null,
  spentMicros: 0,
  monthStartMs: Date.parse('2026-11-01T00:00:00Z'),
  monthEndMs: Date.parse('2026-12-01T00:00:00Z'),
  capReached: false,
};
const funded = { balanceMicros: 1_010_000, heldMicros: 0 };
const gb = { channel: 'voice', number: '+447700900123', nowMs: now };

describe('authorizeCall', () => {
  it('allows a call the balance can start, for as long as it pays', () => {
    expect(authorizeCall(plan, gate, funded, gb)).toEqual({
      allowed: true,
      reason: null,
      maxSeconds: 1000, // 1.01 USD − 0.01 connect = 1,000 s
      limitedBy: 'balance',
      firstIncrementCostMicros: 11_000,
      balanceMicros: 1_010_000,
      heldMicros: 0,
      availableMicros: 1_010_000,
      capRemainingMicros: null,
    });
  });

  it('counts holds of calls in progress against the balance', () => {
    const d = authorizeCall(plan, gate, { balanceMicros: 1_010_000, heldMicros: 1_000_000 }, gb);
    expect(d).toMatchObject({ allowed: false, reason: 'zero_balance', availableMicros: 10_000 });
  });

  it('checks the company, the cap and the campaign before the call', () => {
    const reason = (g: Partial<CompanyGate>, extra: object = {}) =>
      authorizeCall(plan, { ...gate, ...g }, funded, { ...gb, channel: 'fax', ...extra }).reason;
    expect(reason({ setUp: false, paused: true })).toBe('not_set_up');
    expect(reason({ paused: true, capReached: true })).toBe('company_paused');
    expect(reason({ capMicros: 0, capReached: true }, { campaignPause: 'manual' })).toBe(
      'spending_cap_reached',
    );
    expect(reason({}, { campaignPause: 'manual' })).toBe('campaign_paused');
    expect(reason({}, { campaignPause: 'spending_cap' })).toBe('campaign_paused');
    expect(reason({})).toBe('unknown_channel');
  });

  it('names what the plan cannot price', () => {
    const reason = (call: object) => authorizeCall(plan, gate, funded, { ...gb, ...call }).reason;
    expect(reason({ channel: 'sms' })).toBe('not_a_call_channel');
    expect(reason({ number: 'nope' })).toBe('invalid_number');
    expect(reason({ number: '+33123456789' })).toBe('unauthorized_destination');
    expect(reason({ channel: 'resale' })).toBe('price_unknown');
    expect(reason({ nowMs: Date.parse('2024-01-01T00:00:00Z') })).toBe('no_active_plan');
  });

  it('limits a call by what the cap leaves after spend and holds', () => {
    const capped = { ...gate, capMicros: 500_000, spentMicros: 100_000 };
    expect(
      authorizeCall(plan, capped, { balanceMicros: 10_000_000, heldMicros: 200_000 }, gb),
    ).toMatchObject({
      allowed: true,
      capRemainingMicros: 200_000,
      maxSeconds: 190,
      limitedBy: 'spending_cap',
    });
    expect(authorizeCall(plan, { ...capped, spentMicros: 495_000 }, funded, gb)).toMatchObject({
      allowed: false,
      reason: 'spending_cap_reached',
      capRemainingMicros: 5_000,
    });
  });

  it("ignores a past month's spend, cap state and cap pauses", () => {
    const stale = {
      ...gate,
      capMicros: 500_000,
      spentMicros: 500_000,
      capReached: true,
      monthEndMs: now,
    };
    expect(
      authorizeCall(plan, stale, funded, { ...gb, campaignPause: 'spending_cap' }),
    ).toMatchObject({
      allowed: true,
      capRemainingMicros: 500_000,
    });
    expect(authorizeCall(plan, stale, funded, { ...gb, campaignPause: 'manual' }).reason).toBe(
      'campaign_paused',
    );
  });

  it('does not gate a monthly invoice on its balance', () => {
    const invoice = { ...gate, billingMode: 'monthly_invoice' as const };
    expect(authorizeCall(plan, invoice, { balanceMicros: 0, heldMicros: 0 }, gb)).toMatchObject({
      allowed: true,
      maxSeconds: 3600,
      limitedBy: 'max_call_length',
    });
  });

  it('never allows a call whose granted seconds cost more than the budget', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50_000_000 }),
        fc.integer({ min: 0, max: 5_000_000 }),
        fc.option(fc.integer({ min: 0, max: 50_000_000 }), { nil: null }),
        fc.constantFrom('voice', 'whatsapp_call'),
        (balance, held, cap, channel) => {
          const d = authorizeCall(
            plan,
            { ...gate, capMicros: cap },
            { balanceMicros: balance, heldMicros: held },
            { ...gb, channel },
          );
          const budget = Math.min(
            balance - held,
            cap === null ? Infinity : Math.max(0, cap - held),
          );
          if (!d.allowed) {
            expect(d.maxSeconds).toBe(0);
            return;
          }
          const cost = rate(plan, {
            channel,
            destination: gb.number,
            startTime: now,
            durationSeconds: d.maxSeconds,
          }).costMicros;
          expect(cost).toBeLessThanOrEqual(budget);
          expect(d.maxSeconds).toBeLessThanOrEqual(3600);
        },
      ),
    );
  });
});
