// What rating is asked to price: one usage event (a finished call, a sent message), and the
// narrower question a dialer asks before a call. The zod schema reads raw events (JSON lines,
// decoded Kafka records); rate() itself takes the typed object and checks only what it needs.
import { z } from 'zod';
import { RatingError } from './errors.js';

export interface Usage {
  /** A channel the plan declares: voice, whatsapp_call, sms, whatsapp_message, email, … */
  readonly channel: string;
  /** Phone number, E.164 ("+447700900123") or national with a default region; absent for email. */
  readonly destination?: string;
  /** ISO 3166-1 alpha-2 region ("GB") to read a national number; else the plan's. */
  readonly defaultRegion?: string;
  /** When the call started or the message was sent: ISO-8601 with a zone, or epoch ms (UTC). */
  readonly startTime: string | number;
  /** Calls: duration in seconds; a started second counts as a whole one. */
  readonly durationSeconds?: number;
  /** Messages: SMS segments, when the producer knows them. */
  readonly segments?: number;
  /** Messages: the body, to count segments when `segments` is absent. */
  readonly body?: string;
  /** What the provider charged, integer micro-units; needed by cost-plus rates. */
  readonly providerCostMicros?: number;
}

/** The call a dialer wants to place: everything but what only its end can tell. */
export type CallQuery = Pick<Usage, 'channel' | 'destination' | 'defaultRegion' | 'startTime'>;

/** Longest duration accepted, in seconds (about 31 years): larger ones are bad data. */
export const MAX_DURATION_SECONDS = 1_000_000_000;

export const usageSchema = z.object({
  id: z.string().optional(),
  channel: z.string().min(1),
  destination: z.string().min(1).optional(),
  defaultRegion: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .optional(),
  startTime: z.union([z.string(), z.int()]),
  durationSeconds: z.number().min(0).max(MAX_DURATION_SECONDS).optional(),
  segments: z.int().min(1).max(1_000_000).optional(),
  body: z.string().optional(),
  providerCostMicros: z.int().min(0).optional(),
});

export type UsageInput = z.infer<typeof usageSchema>;

/** Reads a raw event; throws `invalid_usage` naming every bad field. */
export function parseUsage(raw: unknown): UsageInput {
  const parsed = usageSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.map(String).join('.') || '(event)'}: ${issue.message}`,
  );
  throw new RatingError('invalid_usage', `invalid usage event: ${problems.join('; ')}`, {
    problems,
  });
}
