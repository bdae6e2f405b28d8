// Tollgate's input contracts exist in three forms: the Avro records in schemas/avro, the JSON
// Schemas in schemas/json for JSON producers, and the zod schemas tollgate validates with. These
// tests fail as soon as one form changes without the others. The outputs' JSON Schemas are
// checked against what src/ingest/outputs.ts and the billing outbox really publish.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidInputError } from '../../src/errors/tollgate-error.js';
import { parseInputEvent, walletCommandTypes } from '../../src/ingest/events.js';
import type { InputKind } from '../../src/ingest/events.js';
import { cutOffMessage, deadLetterMessage } from '../../src/ingest/outputs.js';
import type { CutOff, DeadLetter } from '../../src/ingest/outputs.js';
import { billingAlert, campaignControl } from '../../src/billing/billing-messages.js';
import type {
  BillingAlert,
  CampaignControl,
  OutboxMessage,
} from '../../src/billing/billing-messages.js';

const inputTopics = [
  ['calls.started', 'call_started'],
  ['calls.ended', 'call_ended'],
  ['messages.sent', 'message_sent'],
  ['wallet.commands', 'wallet_command'],
] as const satisfies readonly (readonly [string, InputKind])[];

const outputTopics = [
  'billing.dlq',
  'calls.control',
  'campaigns.control',
  'billing.alerts',
] as const;

const errorCodes = [
  'invalid_event',
  'missing_field',
  'invalid_field',
  'negative_duration',
  'absurd_duration',
  'end_before_start',
  'absurd_time',
  'invalid_amount',
  'absurd_amount',
] as const;

const validFixtures = z.array(z.record(z.string(), z.unknown())).min(1);
const invalidFixtures = z
  .array(
    z.strictObject({
      case: z.string().min(1),
      event: z.unknown(),
      code: z.enum(errorCodes),
      /** Set when the rule is one JSON Schema cannot state; says which. */
      beyondJsonSchema: z.string().min(1).optional(),
    }),
  )
  .min(1);
const avroRecord = z.object({
  type: z.literal('record'),
  fields: z.array(
    z.object({ name: z.string(), type: z.unknown(), default: z.unknown().optional() }),
  ),
});
const jsonSchemaObject = z.looseObject({
  title: z.string().min(1),
  description: z.string().min(1),
  required: z.array(z.string()),
  properties: z.record(
    z.string(),
    z.looseObject({
      title: z.string().min(1),
      description: z.string().min(1),
      default: z.unknown().optional(),
      enum: z.array(z.unknown()).optional(),
    }),
  ),
});

function readJson(pathFromRoot: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../${pathFromRoot}`, import.meta.url), 'utf8'));
}

const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
addFormats.default(ajv);

const jsonSchemas = new Map<string, z.infer<typeof jsonSchemaObject>>();
const validators = new Map<string, ValidateFunction>();
for (const topic of [...inputTopics.map(([t]) => t), ...outputTopics]) {
  const schema = readJson(`schemas/json/${topic}.schema.json`);
  jsonSchemas.set(topic, jsonSchemaObject.parse(schema));
  validators.set(topic, ajv.compile(schema as object));
}

function jsonSchemaOf(topic: string) {
  const schema = jsonSchemas.get(topic);
  if (schema === undefined) throw new Error(`no JSON Schema for ${topic}`);
  return schema;
}

/** Validates against the topic's JSON Schema; the errors become the assertion message. */
function checkJson(topic: string, value: unknown): { valid: boolean; errors: string } {
  const validate = validators.get(topic);
  if (validate === undefined) throw new Error(`no JSON Schema for ${topic}`);
  const valid = validate(value);
  return { valid, errors: ajv.errorsText(validate.errors) };
}

/** The code parseInputEvent refuses `value` with, or 'accepted'. */
function zodOutcome(kind: InputKind, value: unknown): string {
  try {
    parseInputEvent(kind, value);
    return 'accepted';
  } catch (err) {
    if (err instanceof InvalidInputError) return err.code;
    throw err;
  }
}

describe.each(inputTopics)('%s input contract', (topic, kind) => {
  const valid = validFixtures.parse(readJson(`schemas/json/examples/${topic}.valid.json`));
  const invalid = invalidFixtures.parse(readJson(`schemas/json/examples/${topic}.invalid.json`));
  const avro = avroRecord.parse(readJson(`schemas/avro/${topic}.avsc`));
  const jsonSchema = jsonSchemaOf(topic);

  it.each(valid.map((event, i) => [`${i}: ${String(event.event_id)}`, event] as const))(
    'valid example %s passes the JSON Schema and zod',
    (_label, event) => {
      const json = checkJson(topic, event);
      expect(json.valid, json.errors).toBe(true);
      expect(zodOutcome(kind, event)).toBe('accepted');
    },
  );

  it.each(invalid.map((f) => [f.case, f] as const))(
    'invalid example "%s" is refused with its code',
    (_label, { event, code, beyondJsonSchema }) => {
      expect(zodOutcome(kind, event)).toBe(code);
      // Rules JSON Schema cannot state must still be accepted by it, so the marker stays honest.
      expect(checkJson(topic, event).valid).toBe(beyondJsonSchema !== undefined);
    },
  );

  it('has the same fields as the Avro record, required exactly where Avro has no default', () => {
    expect(Object.keys(jsonSchema.properties).sort()).toEqual(
      avro.fields.map((f) => f.name).sort(),
    );
    expect([...jsonSchema.required].sort()).toEqual(
      avro.fields
        .filter((f) => f.default === undefined)
        .map((f) => f.name)
        .sort(),
    );
  });

  it('declares the Avro defaults', () => {
    for (const field of avro.fields.filter((f) => f.default !== undefined)) {
      expect(jsonSchema.properties[field.name]?.default, field.name).toEqual(field.default);
    }
  });

  it('accepts null in exactly the fields Avro makes nullable, as zod does', () => {
    const base = valid[0]!;
    for (const field of avro.fields) {
      const nullable = Array.isArray(field.type) && field.type.includes('null');
      const withNull = { ...base, [field.name]: null };
      expect(checkJson(topic, withNull).valid, `JSON Schema, ${field.name}: null`).toBe(nullable);
      expect(zodOutcome(kind, withNull) === 'accepted', `zod, ${field.name}: null`).toBe(nullable);
    }
  });

  it('accepts every valid example without its optional fields, as zod does', () => {
    for (const event of valid) {
      const requiredOnly = Object.fromEntries(
        Object.entries(event).filter(([key]) => jsonSchema.required.includes(key)),
      );
      expect(checkJson(topic, requiredOnly).valid, String(event.event_id)).toBe(true);
      expect(zodOutcome(kind, requiredOnly), String(event.event_id)).toBe('accepted');
    }
  });

  it('refuses every valid example without one of its required fields', () => {
    for (const field of jsonSchema.required) {
      const event = { ...valid[0]! };
      delete event[field];
      expect(checkJson(topic, event).valid, field).toBe(false);
      expect(zodOutcome(kind, event), field).not.toBe('accepted');
    }
  });
});

describe('input contracts together', () => {
  it('the invalid examples exercise every error code parseInputEvent has', () => {
    const seen = new Set(
      inputTopics.flatMap(([topic]) =>
        invalidFixtures
          .parse(readJson(`schemas/json/examples/${topic}.invalid.json`))
          .map((f) => f.code),
      ),
    );
    expect([...seen].sort()).toEqual([...errorCodes].sort());
  });

  it('wallet command types are the same in Avro, JSON Schema and zod', () => {
    const avro = avroRecord.parse(readJson('schemas/avro/wallet.commands.avsc'));
    const avroType = z
      .object({ symbols: z.array(z.string()) })
      .parse(avro.fields.find((f) => f.name === 'type')?.type);
    const jsonEnum = jsonSchemaOf('wallet.commands').properties.type?.enum;
    expect(avroType.symbols).toEqual([...walletCommandTypes]);
    expect(jsonEnum).toEqual([...walletCommandTypes]);
  });

  it('every JSON Schema field has a title and a description', () => {
    // jsonSchemaObject already required both when the schemas were loaded; this names the rule.
    for (const [topic, schema] of jsonSchemas) {
      for (const [name, property] of Object.entries(schema.properties)) {
        expect(property.title, `${topic}.${name}`).not.toBe('');
        expect(property.description, `${topic}.${name}`).not.toBe('');
      }
    }
  });
});

const failedAt = Date.UTC(2025, 2, 4, 10, 0, 0, 123);
const plausibleNow = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });

function publishedValue(message: { value: unknown }): unknown {
  if (typeof message.value !== 'string') throw new Error('expected a JSON string value');
  return JSON.parse(message.value);
}

describe('billing.dlq output contract', () => {
  const full: DeadLetter = {
    reason: 'negative_duration',
    detail: 'duration_seconds: is negative',
    source: { topic: 'calls.ended', partition: 3, offset: '18446744073709551615' },
    eventId: 'ce-0102',
    companyId: 'acme',
    originalBase64: Buffer.from('{"event_id":"ce-0102"}').toString('base64'),
    originalKey: 'acme',
  };
  const bare: DeadLetter = {
    reason: 'undecodable',
    detail: 'neither Confluent-framed Avro (magic byte 0) nor a JSON object',
    source: { topic: 'calls.ended', partition: 0, offset: '0' },
    originalBase64: '',
  };

  it.each([
    ['with every field', full],
    ['with only what is always known', bare],
  ])('deadLetterMessage %s matches the JSON Schema', (_label, letter) => {
    const json = checkJson(
      'billing.dlq',
      publishedValue(deadLetterMessage('dlq', letter, failedAt).message),
    );
    expect(json.valid, json.errors).toBe(true);
  });

  it('any dead letter matches the JSON Schema', () => {
    const optionalText = fc.option(fc.string(), { nil: undefined });
    const letter: fc.Arbitrary<DeadLetter> = fc.record({
      reason: fc.stringMatching(/^[a-z][a-z_]{0,39}$/),
      detail: fc.string(),
      source: fc.record({
        topic: fc.string({ minLength: 1 }),
        partition: fc.nat(),
        offset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
      }),
      eventId: optionalText,
      companyId: optionalText,
      originalBase64: fc.uint8Array().map((bytes) => Buffer.from(bytes).toString('base64')),
      originalKey: optionalText,
    });
    fc.assert(
      fc.property(letter, plausibleNow, (d, now) => {
        const json = checkJson(
          'billing.dlq',
          publishedValue(deadLetterMessage('dlq', d, now).message),
        );
        expect(json.valid, json.errors).toBe(true);
      }),
    );
  });

  it('refuses a value missing a field or carrying an extra one', () => {
    const value = publishedValue(deadLetterMessage('dlq', full, failedAt).message) as Record<
      string,
      unknown
    >;
    for (const field of Object.keys(value)) {
      const missing = { ...value };
      delete missing[field];
      expect(checkJson('billing.dlq', missing).valid, field).toBe(false);
    }
    expect(checkJson('billing.dlq', { ...value, extra: 1 }).valid).toBe(false);
  });
});

describe('calls.control output contract', () => {
  it.each([
    [
      'refused at start',
      {
        companyId: 'acme',
        callId: 'call-0001',
        campaignId: 'camp-7',
        reason: 'zero_balance',
        availableMicros: -2500,
        causeEventId: 'cs-0001',
      },
    ],
    [
      'from the hold sweeper',
      { companyId: 'acme', callId: 'call-0002', reason: 'balance_exhausted', availableMicros: 0 },
    ],
    [
      'for a paused company',
      { companyId: 'acme', callId: 'call-0003', reason: 'company_paused', availableMicros: 10 },
    ],
  ] satisfies [string, CutOff][])('cutOffMessage %s matches the JSON Schema', (_label, cutOff) => {
    const json = checkJson(
      'calls.control',
      publishedValue(cutOffMessage('ctl', cutOff, failedAt).message),
    );
    expect(json.valid, json.errors).toBe(true);
  });

  it('any cut-off matches the JSON Schema', () => {
    const optionalId = fc.option(fc.string({ minLength: 1 }), { nil: undefined });
    const cutOff: fc.Arbitrary<CutOff> = fc.record({
      companyId: fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
      callId: fc.string({ minLength: 1 }),
      campaignId: optionalId,
      reason: fc.constantFrom('zero_balance', 'balance_exhausted', 'company_paused'),
      availableMicros: fc.maxSafeInteger(),
      causeEventId: optionalId,
    });
    fc.assert(
      fc.property(cutOff, plausibleNow, (c, now) => {
        const json = checkJson(
          'calls.control',
          publishedValue(cutOffMessage('ctl', c, now).message),
        );
        expect(json.valid, json.errors).toBe(true);
      }),
    );
  });

  it('refuses a value missing a field or carrying an extra one', () => {
    const cutOff: CutOff = {
      companyId: 'acme',
      callId: 'call-0001',
      reason: 'zero_balance',
      availableMicros: 0,
    };
    const value = publishedValue(cutOffMessage('ctl', cutOff, failedAt).message) as Record<
      string,
      unknown
    >;
    for (const field of Object.keys(value)) {
      const missing = { ...value };
      delete missing[field];
      expect(checkJson('calls.control', missing).valid, field).toBe(false);
    }
    expect(checkJson('calls.control', { ...value, extra: 1 }).valid).toBe(false);
  });
});

/**
 * The value the billing outbox publishes for a message: its payload after a round trip through
 * a jsonb column, with the outbox's event id in front (src/billing/billing-outbox.ts).
 */
function outboxValue(message: OutboxMessage, rowId: number): unknown {
  return {
    event_id: `billing-${rowId}`,
    ...(JSON.parse(JSON.stringify(message.payload)) as object),
  };
}

describe('campaigns.control output contract', () => {
  const paused: CampaignControl = {
    type: 'campaigns_paused',
    company_id: 'acme',
    campaign_ids: ['camp-7', 'camp-8'],
    all_campaigns: true,
    reason: 'spending_cap_reached',
    month: '2026-11',
    issued_at: '2026-11-21T10:00:00.000Z',
  };

  it.each([
    ['a pause at the cap', paused],
    [
      'a resume at the month rollover',
      { ...paused, type: 'campaigns_resumed', reason: 'month_rollover', month: '2026-12' },
    ],
    [
      'a manual pause of no known campaign',
      { ...paused, campaign_ids: [], all_campaigns: false, reason: 'manual', month: null },
    ],
  ] satisfies [string, CampaignControl][])(
    'campaignControl for %s matches the JSON Schema',
    (_label, payload) => {
      const message = campaignControl(payload);
      expect(message.key).toBe(payload.company_id);
      const json = checkJson('campaigns.control', outboxValue(message, 42));
      expect(json.valid, json.errors).toBe(true);
    },
  );

  it('refuses a month that is not YYYY-MM', () => {
    const value = outboxValue(campaignControl({ ...paused, month: '2026-13' }), 42);
    expect(checkJson('campaigns.control', value).valid).toBe(false);
  });
});

describe('billing.alerts output contract', () => {
  const base = {
    company_id: 'acme',
    month: '2026-11',
    time_zone: 'Europe/London',
    cap_micros: '100000000',
    spent_micros: '80000000',
    projected_micros: '120000000',
    recipients: ['finance@example.com'],
    issued_at: '2026-11-21T10:00:00.000Z',
  } as const;

  it.each([
    ['a warning', { ...base, type: 'spending_cap_warning', threshold_percent: 80, reason: null }],
    [
      'a projection',
      { ...base, type: 'projected_spend_over_cap', threshold_percent: null, reason: null },
    ],
    [
      'the cap reached',
      { ...base, type: 'spending_cap_reached', threshold_percent: null, reason: null },
    ],
    [
      'the cap lifted by its removal',
      {
        ...base,
        type: 'spending_cap_lifted',
        cap_micros: null,
        threshold_percent: null,
        reason: 'cap_removed',
      },
    ],
  ] satisfies [string, BillingAlert][])(
    'billingAlert for %s matches the JSON Schema',
    (_label, payload) => {
      const message = billingAlert(payload);
      expect(message.key).toBe(payload.company_id);
      const json = checkJson('billing.alerts', outboxValue(message, 7));
      expect(json.valid, json.errors).toBe(true);
    },
  );

  it.each([
    [
      'a warning without its threshold',
      { ...base, type: 'spending_cap_warning', threshold_percent: null, reason: null },
    ],
    [
      'a lift without its reason',
      { ...base, type: 'spending_cap_lifted', threshold_percent: null, reason: null },
    ],
    [
      'a threshold on another alert',
      { ...base, type: 'spending_cap_reached', threshold_percent: 80, reason: null },
    ],
  ] satisfies [string, BillingAlert][])('refuses %s', (_label, payload) => {
    expect(checkJson('billing.alerts', outboxValue(billingAlert(payload), 7)).valid).toBe(false);
  });
});
