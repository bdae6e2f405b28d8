// The committed JSON Schema, the example plans and the built-in default plan must all agree with
// the zod schema that compilePlan uses. To regenerate the JSON Schema after changing the zod one:
//   TOLLGATE_WRITE_SCHEMA=1 npx vitest run --project unit test/unit/rating/plan-schema.test.ts
//   npx prettier --write schemas/rate-plan.schema.json
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PLAN_DOCUMENT,
  compilePlan,
  parsePlanText,
  planJsonSchema,
  planSchema,
} from '../../../src/rating/index.js';
import { errorWith } from './fixtures.js';

const schemasDir = new URL('../../../schemas/', import.meta.url);
const examplesDir = new URL('examples/', schemasDir);
const schemaFile = new URL('rate-plan.schema.json', schemasDir);

const examplePlans = readdirSync(examplesDir).filter((name) =>
  /\.plan\.json$|plan\.ya?ml$/.test(name),
);

describe('rate plan schema', () => {
  it('the committed JSON Schema is the one generated from the zod schema', () => {
    const generated = planJsonSchema();
    if (process.env.TOLLGATE_WRITE_SCHEMA === '1') {
      writeFileSync(schemaFile, `${JSON.stringify(generated, null, 2)}\n`);
    }
    const committed: unknown = JSON.parse(readFileSync(schemaFile, 'utf8'));
    expect(committed).toEqual(generated);
  });

  it('describes money as decimal strings, never JSON numbers', () => {
    const committed = JSON.parse(readFileSync(schemaFile, 'utf8'));
    const rate = committed.$defs.Rate.properties;
    for (const field of ['rate', 'connectFee', 'maxCost', 'markup']) {
      expect(rate[field].type).toBe('string');
      expect(rate[field].pattern).toMatch(/^\^\\d\+/);
    }
  });

  it('ships example plans, and each one compiles', () => {
    expect(examplePlans).toEqual(
      expect.arrayContaining(['example-plan.yaml', 'whatsapp-default.plan.json']),
    );
    for (const name of examplePlans) {
      const document = parsePlanText(readFileSync(new URL(name, examplesDir), 'utf8'), name);
      expect(planSchema.safeParse(document).success).toBe(true);
      expect(() => compilePlan(document)).not.toThrow();
    }
  });

  it('the default plan file is the built-in default plan', () => {
    const file = JSON.parse(
      readFileSync(new URL('whatsapp-default.plan.json', examplesDir), 'utf8'),
    );
    const { $schema, ...document } = file;
    expect($schema).toBe('../rate-plan.schema.json');
    expect(document).toEqual(DEFAULT_PLAN_DOCUMENT);
  });
});

describe('parsePlanText', () => {
  it('reads JSON and YAML alike', () => {
    const fromJson = parsePlanText('{"id": "x", "currency": "USD"}', 'p.json');
    const fromYaml = parsePlanText('id: x\ncurrency: USD\n', 'p.yaml');
    const guessed = parsePlanText('id: x\ncurrency: USD\n');
    expect(fromJson).toEqual({ id: 'x', currency: 'USD' });
    expect(fromYaml).toEqual(fromJson);
    expect(guessed).toEqual(fromJson);
  });

  it('keeps YAML money as the strings it must be', () => {
    // Quoted in YAML they stay strings; unquoted, 0.02 is a float and compilePlan refuses it.
    expect(parsePlanText("rate: '0.02'", 'p.yaml')).toEqual({ rate: '0.02' });
    expect(parsePlanText('rate: 0.02', 'p.yaml')).toEqual({ rate: 0.02 });
  });

  it('refuses text that is neither', () => {
    expect(() => parsePlanText('{"id": ', 'p.json')).toThrow(errorWith({ code: 'invalid_plan' }));
    expect(() => parsePlanText('a: [1, 2', 'p.yaml')).toThrow(errorWith({ code: 'invalid_plan' }));
  });
});
