// The messages tollgate publishes: topic, Kafka key, headers and the exact JSON value of dead
// letters (billing.dlq) and cut-offs (calls.control). Consumers rely on every field named here.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cutOffMessage, deadLetterMessage } from '../../../src/ingest/outputs.js';
import type { CutOff, DeadLetter, OutboundMessage } from '../../../src/ingest/outputs.js';

const at = Date.UTC(2025, 2, 4, 10, 0, 0, 123);
const atIso = '2025-03-04T10:00:00.123Z';

function valueOf(out: OutboundMessage): unknown {
  const { value } = out.message;
  if (typeof value !== 'string') throw new Error('expected the value to be a JSON string');
  return JSON.parse(value);
}

const original = Buffer.from('{"event_id":"ce-9","duration_seconds":-1}');

const full: DeadLetter = {
  reason: 'negative_duration',
  detail: 'duration_seconds: is negative',
  source: { topic: 'calls.ended', partition: 4, offset: '1234567890123' },
  eventId: 'ce-9',
  companyId: 'acme',
  originalBase64: original.toString('base64'),
  originalKey: 'acme-key',
};

describe('deadLetterMessage', () => {
  it('publishes to the topic it is given', () => {
    expect(deadLetterMessage('prod.billing.dlq', full, at).topic).toBe('prod.billing.dlq');
  });

  it('carries every field, snake_case, with failed_at as an ISO instant', () => {
    expect(valueOf(deadLetterMessage('billing.dlq', full, at))).toEqual({
      reason: 'negative_duration',
      detail: 'duration_seconds: is negative',
      source_topic: 'calls.ended',
      source_partition: 4,
      source_offset: '1234567890123',
      event_id: 'ce-9',
      company_id: 'acme',
      original_key: 'acme-key',
      original_base64: original.toString('base64'),
      failed_at: atIso,
    });
  });

  it('writes null, not nothing, for what it does not know', () => {
    const bare: DeadLetter = {
      reason: 'undecodable',
      detail: 'not JSON',
      source: { topic: 'calls.started', partition: 0, offset: '0' },
      originalBase64: '',
    };
    expect(valueOf(deadLetterMessage('billing.dlq', bare, at))).toEqual({
      reason: 'undecodable',
      detail: 'not JSON',
      source_topic: 'calls.started',
      source_partition: 0,
      source_offset: '0',
      event_id: null,
      company_id: null,
      original_key: null,
      original_base64: '',
      failed_at: atIso,
    });
  });

  it('keeps the original bytes recoverable', () => {
    const bytes = Buffer.from([0, 0, 0, 0, 7, 0xff, 0x80, 0x0a]);
    const value = valueOf(
      deadLetterMessage('billing.dlq', { ...full, originalBase64: bytes.toString('base64') }, at),
    ) as { original_base64: string };
    expect(Buffer.from(value.original_base64, 'base64')).toEqual(bytes);
  });

  it.each([
    ['the company id when known', { companyId: 'acme', originalKey: 'k' }, 'acme'],
    [
      'the original key when the company is unknown',
      { companyId: undefined, originalKey: 'k' },
      'k',
    ],
    ['no key when neither is known', { companyId: undefined, originalKey: undefined }, null],
  ])('is keyed by %s', (_label, ids, key) => {
    expect(deadLetterMessage('billing.dlq', { ...full, ...ids }, at).message.key).toBe(key);
  });

  it('says the reason in the tollgate-reason header, and nothing else', () => {
    expect(deadLetterMessage('billing.dlq', full, at).message.headers).toEqual({
      'tollgate-reason': 'negative_duration',
    });
  });

  describe('without an explicit time', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('stamps failed_at with the clock', () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(at);
      expect(valueOf(deadLetterMessage('billing.dlq', full))).toMatchObject({ failed_at: atIso });
    });
  });
});

const refused: CutOff = {
  companyId: 'acme',
  callId: 'call-1',
  campaignId: 'camp-7',
  reason: 'zero_balance',
  availableMicros: 1500,
  causeEventId: 'cs-1',
};

describe('cutOffMessage', () => {
  it('publishes to the topic it is given, keyed by company', () => {
    const out = cutOffMessage('prod.calls.control', refused, at);
    expect(out.topic).toBe('prod.calls.control');
    expect(out.message.key).toBe('acme');
  });

  it('sends no headers', () => {
    expect(cutOffMessage('calls.control', refused, at).message.headers).toBeUndefined();
  });

  it('carries every field, snake_case, with the amount as digits', () => {
    expect(valueOf(cutOffMessage('calls.control', refused, at))).toEqual({
      type: 'cut_off',
      company_id: 'acme',
      call_id: 'call-1',
      campaign_id: 'camp-7',
      reason: 'zero_balance',
      available_micros: '1500',
      cause_event_id: 'cs-1',
      issued_at: atIso,
    });
  });

  it('writes null for an absent campaign and cause, as the hold sweeper sends', () => {
    const swept: CutOff = {
      companyId: 'acme',
      callId: 'call-2',
      reason: 'balance_exhausted',
      availableMicros: 0,
    };
    expect(valueOf(cutOffMessage('calls.control', swept, at))).toEqual({
      type: 'cut_off',
      company_id: 'acme',
      call_id: 'call-2',
      campaign_id: null,
      reason: 'balance_exhausted',
      available_micros: '0',
      cause_event_id: null,
      issued_at: atIso,
    });
  });

  it.each([
    [-2500, '-2500'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [-Number.MAX_SAFE_INTEGER, '-9007199254740991'],
  ])('writes %d micro-units as "%s"', (availableMicros, digits) => {
    expect(
      valueOf(cutOffMessage('calls.control', { ...refused, availableMicros }, at)),
    ).toMatchObject({ available_micros: digits });
  });

  it.each(['zero_balance', 'balance_exhausted', 'company_paused'] as const)(
    'passes the reason %s through',
    (reason) => {
      expect(valueOf(cutOffMessage('calls.control', { ...refused, reason }, at))).toMatchObject({
        reason,
      });
    },
  );
});
