// Messages tollgate publishes: dead letters, call cut-offs, alerts. JSON, keyed by company id so
// one company's outputs stay in order. Their contracts are in schemas/json/.
import type { Message } from 'kafkajs';

export interface OutboundMessage {
  readonly topic: string;
  readonly message: Message;
}

export interface DeadLetter {
  /** Machine-readable reason code (unknown_company, undecodable, negative_duration, …). */
  readonly reason: string;
  readonly detail: string;
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: string };
  readonly eventId?: string | undefined;
  readonly companyId?: string | undefined;
  /** The original bytes, base64, so nothing is lost. */
  readonly originalBase64: string;
  readonly originalKey?: string | undefined;
}

export function deadLetterMessage(
  dlqTopic: string,
  d: DeadLetter,
  now = Date.now(),
): OutboundMessage {
  return {
    topic: dlqTopic,
    message: {
      key: d.companyId ?? d.originalKey ?? null,
      value: JSON.stringify({
        reason: d.reason,
        detail: d.detail,
        source_topic: d.source.topic,
        source_partition: d.source.partition,
        source_offset: d.source.offset,
        event_id: d.eventId ?? null,
        company_id: d.companyId ?? null,
        original_key: d.originalKey ?? null,
        original_base64: d.originalBase64,
        failed_at: new Date(now).toISOString(),
      }),
      headers: { 'tollgate-reason': d.reason },
    },
  };
}

export interface CutOff {
  readonly companyId: string;
  readonly callId: string;
  readonly campaignId?: string | undefined;
  /** zero_balance (refused at start) or balance_exhausted (hold used up mid-call). */
  readonly reason:
    | 'zero_balance'
    | 'balance_exhausted'
    | 'company_paused'
    | 'spending_cap_reached'
    | 'campaign_paused';
  readonly availableMicros: number;
  readonly causeEventId?: string | undefined;
}

export function cutOffMessage(topic: string, c: CutOff, now = Date.now()): OutboundMessage {
  return {
    topic,
    message: {
      key: c.companyId,
      value: JSON.stringify({
        type: 'cut_off',
        company_id: c.companyId,
        call_id: c.callId,
        campaign_id: c.campaignId ?? null,
        reason: c.reason,
        available_micros: String(c.availableMicros),
        cause_event_id: c.causeEventId ?? null,
        issued_at: new Date(now).toISOString(),
      }),
    },
  };
}
