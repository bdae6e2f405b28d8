// The body of POST /v1/authorize: its zod schema (the source of its type, its errors and its
// OpenAPI description) and a hand-written check of the same rules for the dialer's hot path. A
// body the check does not accept goes to zod, which accepts or names what is wrong, so the fast
// path changes no answer (test/unit/api/authorize-request.test.ts compares the two).
import { z } from 'zod';
import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import {
  campaignIdPattern,
  campaignIdSchema,
  companyIdPattern,
  companyIdSchema,
} from '../schemas.js';

export const authorizeBody = z.object({
  companyId: companyIdSchema,
  campaignId: campaignIdSchema.optional(),
  number: z
    .string()
    .min(1)
    .max(32)
    .meta({ description: 'Destination, E.164 ("+447700900123") or national in the plan region.' }),
  channel: z.string().min(1).max(64).meta({ description: 'A call channel of the rate plan.' }),
});

export type AuthorizeBody = z.infer<typeof authorizeBody>;

/**
 * `data` as authorizeBody parses it, when it is plainly valid; null otherwise (zod decides, and
 * says why). Builds the same object zod does: the known fields only, in the schema's order.
 */
export function plainAuthorizeBody(data: unknown): AuthorizeBody | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const { companyId, campaignId, number, channel } = data as Record<string, unknown>;
  if (typeof companyId !== 'string' || !companyIdPattern.test(companyId)) return null;
  if (typeof number !== 'string' || number.length < 1 || number.length > 32) return null;
  if (typeof channel !== 'string' || channel.length < 1 || channel.length > 64) return null;
  if (campaignId === undefined)
    // zod keeps a key present as undefined (possible from code, never from JSON).
    return 'campaignId' in data
      ? { companyId, campaignId, number, channel }
      : { companyId, number, channel };
  if (typeof campaignId !== 'string' || !campaignIdPattern.test(campaignId)) return null;
  return { companyId, campaignId, number, channel };
}

/**
 * The route's validator compiler: the plain check for the body, zod for the rest and for every
 * error. Fastify hands it each part's own zod schema (`route.schema`), as to zod's compiler.
 */
export function authorizeValidatorCompiler<S>(
  route: Parameters<FastifySchemaCompiler<S>>[0],
): ReturnType<FastifySchemaCompiler<S>> {
  const zod = validatorCompiler(
    route as unknown as Parameters<FastifySchemaCompiler<z.ZodType>>[0],
  );
  if (route.httpPart !== 'body') return zod;
  return (data: unknown) => {
    const value = plainAuthorizeBody(data);
    return value === null ? zod(data) : { value };
  };
}
