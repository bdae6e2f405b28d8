// The hand-written fast check of input events must never accept what the zod schemas refuse,
// must build exactly what they build, and must accept the events producers really send (JSON
// and Avro forms), or it saves nothing. What it cannot vouch for, zod checks and reports.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fastParseEvent, inputSchemas, parseInputEvent } from '../../../src/ingest/events.js';
import type { InputKind } from '../../../src/ingest/events.js';

const t0 = Date.UTC(2025, 2, 4, 10, 0, 0);
const now = Date.UTC(2025, 2, 5, 12, 0, 0);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(now);
});
afterEach(() => {
  vi.useRealTimers();
});

const schemas = inputSchemas;

const report = {
  campaign_id: 'camp-1',
  campaign_name: 'Spring',
  application_id: 'app-1',
  manager_id: 'mgr-1',
  manager_email: 'ann@example.com',
};

/** Events as producers send them: JSON (epoch ms or ISO strings) and Avro (Date, null). */
const valid: ReadonlyArray<readonly [InputKind, Record<string, unknown>]> = [
  [
    'call_started',
    {
      event_id: 'cs-1',
      company_id: 'acme',
      occurred_at: t0,
      call_id: 'c1',
      channel: 'voice',
      number: '+447700900123',
    },
  ],
  [
    'call_started',
    {
      event_id: 'cs-2',
      company_id: 'acme.eu_2',
      occurred_at: new Date(t0),
      call_id: 'c2',
      channel: 'whatsapp',
      number: '447700900123',
      ...report,
      campaign_name: null,
    },
  ],
  [
    'call_ended',
    {
      event_id: 'ce-1',
      company_id: 'acme',
      occurred_at: '2025-03-04T10:01:01Z',
      started_at: '2025-03-04T10:00:00.250+00:00',
      call_id: 'c1',
      channel: 'voice',
      number: '+447700900123',
      duration_seconds: 61,
      provider_cost_micros: 12_000,
      ...report,
    },
  ],
  [
    'call_ended',
    {
      event_id: 'ce-2',
      company_id: 'acme',
      occurred_at: new Date(t0 + 5_000),
      started_at: null,
      call_id: 'c2',
      channel: 'voice',
      number: '+447700900123',
      duration_seconds: 0,
      status: 'no_answer',
      provider_cost_micros: null,
      unknown_field: 'dropped',
    },
  ],
  [
    'message_sent',
    {
      event_id: 'ms-1',
      company_id: 'acme',
      occurred_at: t0,
      message_id: 'm1',
      channel: 'sms',
      number: '+14155550100',
      body: 'Your code is 1234',
      ...report,
    },
  ],
  [
    'message_sent',
    {
      event_id: 'ms-2',
      company_id: 'acme',
      occurred_at: t0,
      message_id: 'm2',
      channel: 'whatsapp_message',
      number: null,
      segments: 3,
      body: null,
      status: 'delivered',
      provider_cost_micros: 0,
    },
  ],
  [
    'wallet_command',
    {
      event_id: 'wc-1',
      company_id: 'acme',
      occurred_at: t0,
      type: 'balance_added',
      amount_micros: 50_000_000,
      reference: 'inv-7',
    },
  ],
  [
    'wallet_command',
    {
      event_id: 'wc-2',
      company_id: 'acme',
      occurred_at: t0,
      type: 'adjustment',
      amount_micros: -1_500_000,
      description: null,
    },
  ],
];

/** Values of every kind an event's fields are checked against, fit or not. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '',
    'a',
    'ab',
    '+44',
    'x'.repeat(32),
    'x'.repeat(33),
    'x'.repeat(64),
    'x'.repeat(65),
    'x'.repeat(128),
    'x'.repeat(129),
    'acme corp',
    'balance_added',
    'refund',
    'debit',
    'adjustment',
    'bogus',
    '2025-03-04T10:00:00Z',
    '2025-03-04T10:00:00',
    '2025-02-29T10:00:00Z',
    '2025-03-06T13:00:00Z',
    '1999-12-31T23:59:59Z',
    '12',
    '-12',
  ),
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    1.5,
    59,
    1000,
    1001,
    48 * 3600,
    48 * 3600 + 1,
    t0,
    t0 + 0.5,
    now + 24 * 3600 * 1000,
    now + 24 * 3600 * 1000 + 1,
    Date.UTC(2000, 0, 1) - 1,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 1,
    -Number.MAX_SAFE_INTEGER,
    NaN,
    Infinity,
  ),
  fc.constantFrom(null, undefined, true, [], {}, 5n, new Date(t0), new Date(NaN)),
  fc.string(),
  fc.integer(),
  fc.double(),
);

const mutation = fc.record({
  key: fc.constantFrom(
    'event_id',
    'company_id',
    'occurred_at',
    'call_id',
    'message_id',
    'channel',
    'number',
    'started_at',
    'duration_seconds',
    'status',
    'provider_cost_micros',
    'segments',
    'body',
    'type',
    'amount_micros',
    'description',
    'reference',
    'campaign_id',
    'manager_email',
  ),
  action: fc.oneof(
    fc.constant({ delete: true as const }),
    anyValue.map((value) => ({ value })),
  ),
});

describe('fastParseEvent', () => {
  it.each(valid.map(([kind, event]) => [kind, event.event_id, event] as const))(
    'accepts the %s event %s as zod does, with the same result',
    (kind, _id, event) => {
      const fast = fastParseEvent(kind, event);
      expect(fast).toBeDefined();
      expect(fast).toStrictEqual(schemas[kind].parse(event));
    },
  );

  it('never accepts what zod refuses, and builds what zod builds', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        ([kind, base], mutations) => {
          const event: Record<string, unknown> = { ...base };
          for (const m of mutations) {
            if ('delete' in m.action) delete event[m.key];
            else event[m.key] = m.action.value;
          }
          const fast = fastParseEvent(kind, event);
          if (fast === undefined) return;
          const zod = schemas[kind].safeParse(event);
          expect(zod.success).toBe(true);
          expect(fast).toStrictEqual(zod.data);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('leaves what it cannot vouch for to zod, which reports it', () => {
    const [, callEnded] = valid[2] as (typeof valid)[number];
    const endBeforeStart = { ...callEnded, started_at: '2025-03-04T10:05:00Z' };
    expect(fastParseEvent('call_ended', endBeforeStart)).toBeUndefined();
    let refused: unknown;
    try {
      parseInputEvent('call_ended', endBeforeStart);
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({ code: 'end_before_start' });
    const [, topUp] = valid[6] as (typeof valid)[number];
    // An amount written as a string is valid but unusual: zod parses it.
    const asString = { ...topUp, amount_micros: '50000000' };
    expect(fastParseEvent('wallet_command', asString)).toBeUndefined();
    expect(parseInputEvent('wallet_command', asString).event).toMatchObject({
      amount_micros: 50_000_000,
    });
  });
});
