// The authorize body's fast check against its zod schema: it must accept exactly the bodies zod
// accepts, build the same value, and leave every other body (and so every error) to zod.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validatorCompiler } from 'fastify-type-provider-zod';
import {
  authorizeBody,
  authorizeValidatorCompiler,
  plainAuthorizeBody,
} from '../../../src/api/routes/authorize-request.js';

const idChars = [...'ABCXYZabcxyz0189_.-:@ /+é'];

/** Strings around the rules' edges: allowed and foreign characters, lengths either side of each limit. */
const edgyString = fc.oneof(
  fc.string({ unit: fc.constantFrom(...idChars), minLength: 0, maxLength: 130 }),
  fc.constantFrom('', 'a', 'x'.repeat(32), 'x'.repeat(33), 'x'.repeat(64), 'x'.repeat(65)),
  fc.constantFrom('x'.repeat(128), 'x'.repeat(129), '+447700900123', 'voice', 'acme\n'),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const anyValue = fc.oneof(
  edgyString,
  fc.constantFrom(undefined, null, 0, 1, true, false, [], {}, ['acme']),
);

/** Bodies: objects with some or all of the fields (and stray ones), or not objects at all. */
const body = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        companyId: fc.oneof({ weight: 3, arbitrary: edgyString }, anyValue),
        campaignId: fc.oneof({ weight: 3, arbitrary: edgyString }, anyValue),
        number: fc.oneof({ weight: 3, arbitrary: edgyString }, anyValue),
        channel: fc.oneof({ weight: 3, arbitrary: edgyString }, anyValue),
        extra: anyValue,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: anyValue },
);

describe('plainAuthorizeBody', () => {
  it('accepts exactly what the zod schema accepts, as the same value', () => {
    fc.assert(
      fc.property(body, (data) => {
        const zod = authorizeBody.safeParse(data);
        const plain = plainAuthorizeBody(data);
        expect(plain !== null).toBe(zod.success);
        if (plain !== null && zod.success) {
          expect(plain).toStrictEqual(zod.data);
          expect(Object.keys(plain)).toEqual(Object.keys(zod.data));
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('accepts a plain dialer question, with and without a campaign', () => {
    const question = { companyId: 'acme', number: '+447700900123', channel: 'voice' };
    expect(plainAuthorizeBody(question)).toStrictEqual(question);
    expect(plainAuthorizeBody({ ...question, campaignId: 'spring:2026', x: 1 })).toStrictEqual({
      companyId: 'acme',
      campaignId: 'spring:2026',
      number: '+447700900123',
      channel: 'voice',
    });
  });
});

describe('authorizeValidatorCompiler', () => {
  const validate = authorizeValidatorCompiler({
    schema: authorizeBody,
    method: 'POST',
    url: '/v1/authorize',
    httpPart: 'body',
  });

  it("answers zod's error for a body it does not accept", () => {
    const zod = validatorCompiler({
      schema: authorizeBody,
      method: 'POST',
      url: '/v1/authorize',
      httpPart: 'body',
    });
    const bodies = [{ companyId: 'acme', channel: 'voice' }, { companyId: 'a b' }, [], null];
    for (const b of bodies) {
      const answer = validate(b) as { error?: unknown };
      expect(answer.error).toBeDefined();
      expect(answer).toStrictEqual(zod(b));
    }
  });

  it('answers the value for a body it accepts', () => {
    const question = { companyId: 'acme', number: '+447700900123', channel: 'voice' };
    expect(validate(question)).toStrictEqual({ value: question });
  });
});
