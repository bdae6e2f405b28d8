// The rate plan document: the zod schema is the one source of truth, and
// schemas/rate-plan.schema.json is generated from it (a unit test fails when they drift).
// Structure only; cross-references and arithmetic limits are checked by compilePlan.
import { z } from 'zod';
import { ROUNDING_METHODS } from './rounding.js';
import { WEEKDAYS } from './periods.js';

/** Default ceiling of maxAffordableSeconds when the balance is not the limit (4 hours). */
export const DEFAULT_MAX_CALL_SECONDS = 14_400;

// Patterns shared by the schema and the fast check of rate rows below.
const RATE_TEXT = /^\d+(\.\d{1,12})?$/;
const AMOUNT_TEXT = /^\d+(\.\d{1,6})?$/;
const PREFIX_TEXT = /^\d{1,15}$/;
const MAX_COUNT = 1_000_000_000;

const rate = z
  .string()
  .regex(RATE_TEXT)
  .meta({ description: 'Decimal string in currency units, up to 12 decimals, e.g. "0.0083".' });

const amount = z
  .string()
  .regex(AMOUNT_TEXT)
  .meta({ description: 'Decimal string in currency units, at most 6 decimals (micro-units).' });

const ratioText = z
  .string()
  .regex(AMOUNT_TEXT)
  .meta({ description: 'Exact decimal multiplier, e.g. "5" or "1.25"; never a float.' });

const count = z.int().min(1).max(MAX_COUNT);

const roundingRule = z
  .strictObject({
    method: z.enum(ROUNDING_METHODS),
    decimals: z
      .int()
      .min(0)
      .max(6)
      .meta({ description: 'Currency decimals kept: 4 decimals of USD is a step of 100 micros.' }),
  })
  .meta({ id: 'RoundingRule' });

const rounding = z
  .strictObject({
    increment: roundingRule.optional().meta({
      description: 'Rounds the cost of each billing increment (tiered rates only).',
    }),
    total: roundingRule.optional().meta({
      description: 'Rounds the total of an event; default up to whole micro-units.',
    }),
  })
  .meta({ id: 'Rounding' });

const interval = z
  .strictObject({
    start: z.int().min(0).meta({
      description: 'Where this interval begins, in seconds (calls) or units (messages).',
    }),
    rate,
    rateUnit: count.optional().meta({ description: 'Quantity that `rate` buys; default 1.' }),
    increment: count.optional().meta({
      description: 'Billing step, charged whole; default rateUnit.',
    }),
  })
  .meta({ id: 'Interval' });

const channel = z
  .strictObject({
    kind: z.enum(['call', 'message']).meta({
      description: 'call: priced by duration in seconds; message: priced per message or segment.',
    }),
    unit: z.enum(['message', 'segment']).optional().meta({
      description: 'For messages: bill per message (default) or per SMS segment of the body.',
    }),
    addressed: z.boolean().optional().meta({
      description: 'Whether events carry a phone number to match prefixes on (default true).',
    }),
    description: z.string().optional(),
  })
  .meta({ id: 'Channel' });

const timeOfDay = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/);

const periodWindow = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS)).min(1),
    from: timeOfDay.meta({ description: 'Local time HH:MM, inclusive.' }),
    to: timeOfDay.meta({
      description: 'Local time HH:MM (or 24:00), exclusive; before `from` runs past midnight.',
    }),
  })
  .meta({ id: 'PeriodWindow' });

const rateEntry = z
  .strictObject({
    channel: z.string().min(1),
    destination: z.string().min(1).optional().meta({
      description:
        'Name from `destinations`; omitted = any destination (or an unaddressed channel).',
    }),
    period: z.string().min(1).optional().meta({
      description: 'Name from `periods`; omitted = at any time.',
    }),
    weight: z.int().optional().meta({
      description: 'Decides between rates of one destination that match the same time.',
    }),
    connectFee: amount.optional(),
    rate: rate.optional().meta({ description: 'Shorthand for one interval starting at 0.' }),
    rateUnit: count.optional(),
    increment: count.optional(),
    intervals: z.array(interval).min(1).optional(),
    minimum: z.int().min(0).max(MAX_COUNT).optional().meta({
      description: 'Minimum billed quantity: seconds for calls, units for messages.',
    }),
    maxCost: amount.optional().meta({ description: 'The most one event can cost.' }),
    markup: ratioText.optional().meta({
      description: 'Cost-plus: price = the event provider cost × markup.',
    }),
    rounding: rounding.optional(),
    description: z.string().optional(),
  })
  .meta({ id: 'Rate' });

const version = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    activeFrom: z.iso.datetime({ offset: true }).optional().meta({
      description: 'In force from this instant; omitted = always was.',
    }),
    activeUntil: z.iso.datetime({ offset: true }).optional().meta({
      description: 'In force until this instant, exclusive; omitted = no end.',
    }),
    weight: z.int().optional().meta({
      description: 'Versions of higher weight overlay lower ones; equal weights replace.',
    }),
    rates: z.array(rateEntry).min(1),
  })
  .meta({ id: 'Version' });

export const planSchema = z
  .strictObject({
    $schema: z.string().optional(),
    id: z.string().min(1),
    description: z.string().optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .meta({
        description: 'ISO 4217 code; amounts are micro-units (1/1,000,000) of it.',
      }),
    timezone: z.string().min(1).optional().meta({
      description: 'IANA time zone of periods; default UTC.',
    }),
    defaultRegion: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .optional()
      .meta({
        description: 'Country (ISO 3166-1 alpha-2) for numbers written in national form.',
      }),
    maxCallSeconds: count.optional().meta({
      description: `Ceiling of affordable seconds when the balance is not the limit; default ${DEFAULT_MAX_CALL_SECONDS}.`,
    }),
    rounding: rounding.optional().meta({
      description: 'Default rounding of every rate that does not set its own.',
    }),
    channels: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), channel),
    destinations: z
      .record(
        z.string().min(1),
        z
          .array(z.string().regex(PREFIX_TEXT))
          .min(1)
          .meta({ description: 'E.164 prefixes, country code first, without "+".' }),
      )
      .optional(),
    periods: z.record(z.string().min(1), z.array(periodWindow).min(1)).optional(),
    versions: z.array(version).min(1),
  })
  .meta({
    id: 'RatePlan',
    title: 'tollgate rate plan',
    description: 'Prices of calls and messages per channel and destination; see docs/rating.md.',
  });

export type PlanDocument = z.infer<typeof planSchema>;
export type RateEntryDocument = z.infer<typeof rateEntry>;
export type RoundingDocument = z.infer<typeof rounding>;
export type ChannelDocument = z.infer<typeof channel>;
type Destinations = NonNullable<PlanDocument['destinations']>;

// A rate deck is tens of thousands of rate rows and prefix lists, and zod spends most of a
// deck's load on them. So a plan is first checked against the same schema with those two parts
// checked by hand (isRateEntry, isDestinations): checks that accept only what the zod schema
// accepts (and a little less: anything unusual is refused). A plan they refuse is parsed again
// by planSchema, so the problems reported are always zod's own. Keep them in step with the
// schema above; a property test compares the two.

/** planSchema, with rate rows and destinations checked by hand; used as a first pass only. */
const planFastSchema = planSchema.extend({
  destinations: z.custom<Destinations>(isDestinations).optional(),
  versions: z
    .array(version.extend({ rates: z.array(z.custom<RateEntryDocument>(isRateEntry)).min(1) }))
    .min(1),
});

/**
 * Validates a plan document: the fast pass when it accepts, else planSchema itself (so every
 * problem is reported as zod reports it). Rate rows and prefix lists that pass the fast check
 * are not copied: compilePlan keeps none of their objects.
 */
export function parsePlanDocument(document: unknown): z.ZodSafeParseResult<PlanDocument> {
  const fast = planFastSchema.safeParse(document);
  return fast.success ? fast : planSchema.safeParse(document);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isIntIn(value: unknown, min: number, max: number): boolean {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
}

/** As the `rateEntry` schema. */
export function isRateEntry(value: unknown): boolean {
  if (!isPlainObject(value) || !isText(value.channel)) return false;
  for (const key in value) {
    const field = value[key];
    switch (key) {
      case 'channel':
        break;
      case 'destination':
      case 'period':
        if (!isText(field)) return false;
        break;
      case 'weight':
        if (!Number.isSafeInteger(field)) return false;
        break;
      case 'connectFee':
      case 'maxCost':
      case 'markup':
        if (typeof field !== 'string' || !AMOUNT_TEXT.test(field)) return false;
        break;
      case 'rate':
        if (typeof field !== 'string' || !RATE_TEXT.test(field)) return false;
        break;
      case 'rateUnit':
      case 'increment':
        if (!isIntIn(field, 1, MAX_COUNT)) return false;
        break;
      case 'minimum':
        if (!isIntIn(field, 0, MAX_COUNT)) return false;
        break;
      case 'intervals':
        if (!Array.isArray(field) || field.length === 0) return false;
        // A loop, not every(): a hole in the array must fail as zod fails it.
        for (let i = 0; i < field.length; i++) if (!isInterval(field[i])) return false;
        break;
      case 'rounding':
        if (!isRounding(field)) return false;
        break;
      case 'description':
        if (typeof field !== 'string') return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** As the `interval` schema. */
function isInterval(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  if (!isIntIn(value.start, 0, Number.MAX_SAFE_INTEGER)) return false;
  if (typeof value.rate !== 'string' || !RATE_TEXT.test(value.rate)) return false;
  for (const key in value) {
    const field = value[key];
    if (key === 'rateUnit' || key === 'increment') {
      if (!isIntIn(field, 1, MAX_COUNT)) return false;
    } else if (key !== 'start' && key !== 'rate') {
      return false;
    }
  }
  return true;
}

/** As the `rounding` schema. */
function isRounding(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if ((key !== 'increment' && key !== 'total') || !isRoundingRule(value[key])) return false;
  }
  return true;
}

function isRoundingRule(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) if (key !== 'method' && key !== 'decimals') return false;
  return (
    (value.method === 'up' || value.method === 'down' || value.method === 'half_up') &&
    isIntIn(value.decimals, 0, 6)
  );
}

/** As the `destinations` schema: names to non-empty lists of prefixes. */
export function isDestinations(value: unknown): boolean {
  // Symbol keys fail zod's key schema; leave such a plan to zod. (Non-enumerable keys are
  // skipped by zod as by Object.keys in compilePlan, so they need no check.)
  if (!isPlainObject(value) || Object.getOwnPropertySymbols(value).length > 0) return false;
  for (const [name, prefixes] of Object.entries(value)) {
    if (name === '' || name === '__proto__') return false;
    if (!Array.isArray(prefixes) || prefixes.length === 0) return false;
    for (const prefix of prefixes) {
      if (typeof prefix !== 'string' || !PREFIX_TEXT.test(prefix)) return false;
    }
  }
  return true;
}

/** The JSON Schema of a plan document, as committed in schemas/rate-plan.schema.json. */
export function planJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(planSchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://tollgate.dev/schemas/rate-plan.schema.json',
  };
}
