// The input events, as zod schemas: the single source for runtime validation and static types.
// Avro-decoded values (timestamps as Date, nullable unions as null) and JSON values (timestamps
// as ISO strings or epoch ms, absent optionals) both parse into the same normalised shapes.
import { z } from 'zod';
import { InvalidInputError } from '../errors/tollgate-error.js';

/** Longest call tollgate will rate; longer is an absurd duration, not a bill. */
export const maxCallSeconds = 48 * 3600;
/** Events from further in the future than this are refused as clock errors. */
const maxFutureSkewMs = 24 * 3600 * 1000;
const earliestMs = Date.UTC(2000, 0, 1);

const epochMs = z
  .union([z.date(), z.number(), z.iso.datetime({ offset: true })])
  .transform((v, ctx) => {
    const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
    if (!Number.isSafeInteger(ms) || ms < earliestMs || ms > Date.now() + maxFutureSkewMs) {
      ctx.addIssue({
        code: 'custom',
        message: 'is not a plausible time',
        params: { reason: 'absurd_time' },
      });
      return z.NEVER;
    }
    return ms;
  });

const id = z.string().min(1).max(128);
const optText = (max: number) =>
  z
    .string()
    .max(max)
    .nullish()
    .transform((v) => v ?? undefined);
const micros = z
  // Number.isInteger, not .int(): an unsafe integer must reach the range check below and be
  // called absurd_amount, however it was written.
  .union([
    z.number().refine(Number.isInteger, 'must be an integer'),
    z.bigint(),
    z.string().regex(/^-?\d+$/),
  ])
  .transform((v, ctx) => {
    const n = BigInt(v);
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) {
      ctx.addIssue({
        code: 'custom',
        message: 'is out of range',
        params: { reason: 'absurd_amount' },
      });
      return z.NEVER;
    }
    return Number(n);
  });

// What a carrier charged: never negative (a refund is a wallet command, not a cost).
const providerCost = micros
  .refine((n) => n >= 0, 'must not be negative')
  .nullish()
  .transform((v) => v ?? undefined);

const base = {
  event_id: id,
  company_id: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
  occurred_at: epochMs,
};
const reportFields = {
  campaign_id: optText(128),
  campaign_name: optText(256),
  application_id: optText(128),
  manager_id: optText(128),
  manager_email: optText(256),
};

export const callStartedSchema = z.object({
  ...base,
  call_id: id,
  channel: z.string().min(1).max(64),
  number: z.string().min(3).max(32),
  ...reportFields,
});

export const callEndedSchema = z
  .object({
    ...base,
    call_id: id,
    channel: z.string().min(1).max(64),
    number: z.string().min(3).max(32),
    started_at: epochMs.nullish().transform((v) => v ?? undefined),
    duration_seconds: z
      .number()
      .int()
      .superRefine((v, ctx) => {
        if (v < 0)
          ctx.addIssue({
            code: 'custom',
            message: 'is negative',
            params: { reason: 'negative_duration' },
          });
        else if (v > maxCallSeconds)
          ctx.addIssue({
            code: 'custom',
            message: `exceeds ${maxCallSeconds} s`,
            params: { reason: 'absurd_duration' },
          });
      }),
    status: z.string().min(1).max(32).default('completed'),
    provider_cost_micros: providerCost,
    ...reportFields,
  })
  .superRefine((e, ctx) => {
    if (e.started_at !== undefined && e.started_at > e.occurred_at) {
      ctx.addIssue({
        code: 'custom',
        path: ['started_at'],
        message: 'is after the end of the call',
        params: { reason: 'end_before_start' },
      });
    }
  });

export const messageSentSchema = z.object({
  ...base,
  message_id: id,
  channel: z.string().min(1).max(64),
  number: z
    .string()
    .min(3)
    .max(32)
    .nullish()
    .transform((v) => v ?? undefined),
  segments: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .nullish()
    .transform((v) => v ?? undefined),
  body: optText(100_000),
  status: z.string().min(1).max(32).default('sent'),
  provider_cost_micros: providerCost,
  ...reportFields,
});

export const walletCommandTypes = [
  'balance_added',
  'refund',
  'complimentary_credit',
  'debit',
  'adjustment',
] as const;

export const walletCommandSchema = z
  .object({
    ...base,
    type: z.enum(walletCommandTypes),
    amount_micros: micros,
    description: optText(500),
    reference: optText(200),
  })
  .superRefine((c, ctx) => {
    if (c.type !== 'adjustment' && c.amount_micros <= 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['amount_micros'],
        message: `must be positive for ${c.type}`,
        params: { reason: 'invalid_amount' },
      });
    }
    if (c.type === 'adjustment' && c.amount_micros === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['amount_micros'],
        message: 'must not be zero',
        params: { reason: 'invalid_amount' },
      });
    }
  });

export type CallStarted = z.infer<typeof callStartedSchema>;
export type CallEnded = z.infer<typeof callEndedSchema>;
export type MessageSent = z.infer<typeof messageSentSchema>;
export type WalletCommand = z.infer<typeof walletCommandSchema>;

export type InputEvent =
  | { readonly kind: 'call_started'; readonly event: CallStarted }
  | { readonly kind: 'call_ended'; readonly event: CallEnded }
  | { readonly kind: 'message_sent'; readonly event: MessageSent }
  | { readonly kind: 'wallet_command'; readonly event: WalletCommand };

export type InputKind = InputEvent['kind'];

/** The schema of each kind of input event. */
export const inputSchemas = {
  call_started: callStartedSchema,
  call_ended: callEndedSchema,
  message_sent: messageSentSchema,
  wallet_command: walletCommandSchema,
} as const;

// ---------------------------------------------------------------------------------------------
// The fast check: the same four schemas, checked by hand for the events that are plainly valid.
// zod costs several µs and a few KB of garbage per event, more than rating it; at tens of
// thousands of events a second that is a large share of the processor. The fast check accepts
// only what the schemas accept and builds the same output (a property test compares the two);
// anything else (a bad field, an unusual form such as an amount written as a string) returns
// undefined and goes through zod, so every error is reported as zod reports it. Whoever changes
// a schema above must change its field list here.

/** Returned by a field check that cannot vouch for the value. */
const unsure: unique symbol = Symbol('unsure');
type FieldCheck = (v: unknown) => unknown;

const text =
  (min: number, max: number): FieldCheck =>
  (v) =>
    typeof v === 'string' && v.length >= min && v.length <= max ? v : unsure;
const companyIdPattern = /^[A-Za-z0-9_.-]{1,64}$/;
const isoDateTime = z.iso.datetime({ offset: true });
const isoDateTimePattern = isoDateTime._zod.def.pattern;
const fastTime: FieldCheck = (v) => {
  let ms: number;
  if (typeof v === 'number') ms = v;
  else if (v instanceof Date) ms = v.getTime();
  else if (typeof v === 'string' && isoDateTimePattern?.test(v) === true) ms = Date.parse(v);
  else return unsure;
  return Number.isSafeInteger(ms) && ms >= earliestMs && ms <= Date.now() + maxFutureSkewMs
    ? ms
    : unsure;
};
const integer =
  (min: number, max: number): FieldCheck =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : unsure;
/** Micro-units written as a plain safe integer; strings and bigints are left to zod. */
const fastMicros =
  (min: number): FieldCheck =>
  (v) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? v + 0 /* -0 → 0 */ : unsure;

/**
 * How an absent (or, for nullish fields, null) value is treated: required fields have none;
 * nullish fields become undefined (present) when null and stay absent when absent; defaulted
 * fields take their default.
 */
type Presence = 'required' | 'nullish' | { readonly default: string };
type FieldSpec = readonly [key: string, check: FieldCheck, presence: Presence];

const fastBase: readonly FieldSpec[] = [
  ['event_id', text(1, 128), 'required'],
  [
    'company_id',
    (v) => (typeof v === 'string' && companyIdPattern.test(v) ? v : unsure),
    'required',
  ],
  ['occurred_at', fastTime, 'required'],
];
const fastReport: readonly FieldSpec[] = [
  ['campaign_id', text(0, 128), 'nullish'],
  ['campaign_name', text(0, 256), 'nullish'],
  ['application_id', text(0, 128), 'nullish'],
  ['manager_id', text(0, 128), 'nullish'],
  ['manager_email', text(0, 256), 'nullish'],
];
const fastCall: readonly FieldSpec[] = [
  ...fastBase,
  ['call_id', text(1, 128), 'required'],
  ['channel', text(1, 64), 'required'],
  ['number', text(3, 32), 'required'],
];
const fastFields: Readonly<Record<InputKind, readonly FieldSpec[]>> = {
  call_started: [...fastCall, ...fastReport],
  call_ended: [
    ...fastCall,
    ['started_at', fastTime, 'nullish'],
    ['duration_seconds', integer(0, maxCallSeconds), 'required'],
    ['status', text(1, 32), { default: 'completed' }],
    ['provider_cost_micros', fastMicros(0), 'nullish'],
    ...fastReport,
  ],
  message_sent: [
    ...fastBase,
    ['message_id', text(1, 128), 'required'],
    ['channel', text(1, 64), 'required'],
    ['number', text(3, 32), 'nullish'],
    ['segments', integer(1, 1000), 'nullish'],
    ['body', text(0, 100_000), 'nullish'],
    ['status', text(1, 32), { default: 'sent' }],
    ['provider_cost_micros', fastMicros(0), 'nullish'],
    ...fastReport,
  ],
  wallet_command: [
    ...fastBase,
    [
      'type',
      (v) => (walletCommandTypes.includes(v as WalletCommand['type']) ? v : unsure),
      'required',
    ],
    ['amount_micros', fastMicros(-Number.MAX_SAFE_INTEGER), 'required'],
    ['description', text(0, 500), 'nullish'],
    ['reference', text(0, 200), 'nullish'],
  ],
};

/** The refinements across fields (superRefine above): true when the event passes them. */
const fastRefine: Readonly<Record<InputKind, (e: Record<string, unknown>) => boolean>> = {
  call_started: () => true,
  call_ended: (e) =>
    e.started_at === undefined || (e.started_at as number) <= (e.occurred_at as number),
  message_sent: () => true,
  wallet_command: (e) =>
    e.type === 'adjustment' ? e.amount_micros !== 0 : (e.amount_micros as number) > 0,
};

/**
 * The event `value` stands for, when the fast check can vouch that its schema accepts it and
 * yields exactly this; otherwise undefined (ask zod).
 */
export function fastParseEvent(kind: InputKind, value: object): InputEvent['event'] | undefined {
  const v = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, check, presence] of fastFields[kind]) {
    const raw = v[key];
    if (raw === undefined) {
      // A key present with the value undefined is rare enough to leave to zod.
      if (presence === 'required' || key in v) return undefined;
      if (presence !== 'nullish') out[key] = presence.default;
      continue;
    }
    if (raw === null) {
      if (presence !== 'nullish') return undefined;
      out[key] = undefined;
      continue;
    }
    const checked = check(raw);
    if (checked === unsure) return undefined;
    out[key] = checked;
  }
  return fastRefine[kind](out) ? (out as InputEvent['event']) : undefined;
}

/**
 * Validates a decoded value as an event of `kind`. Throws InvalidInputError whose code says
 * what is wrong: missing_field, invalid_field, or a specific reason (negative_duration,
 * absurd_duration, end_before_start, absurd_time, invalid_amount, absurd_amount).
 */
export function parseInputEvent(kind: InputKind, value: unknown): InputEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError('invalid_event', 'event is not an object');
  }
  const fast = fastParseEvent(kind, value);
  if (fast !== undefined) return { kind, event: fast } as InputEvent;
  const result = inputSchemas[kind].safeParse(value);
  if (result.success) return { kind, event: result.data } as InputEvent;
  const issue = result.error.issues[0];
  const path = issue?.path.join('.') || '(event)';
  const params = (issue as { params?: { reason?: string } } | undefined)?.params;
  const field = issue?.path[0];
  const absent =
    field !== undefined && (value as Record<string, unknown>)[String(field)] === undefined;
  const code = params?.reason ?? (absent ? 'missing_field' : 'invalid_field');
  throw new InvalidInputError(code, `${path}: ${issue?.message ?? 'invalid'}`, {
    context: { field: path },
  });
}
