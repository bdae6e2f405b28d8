// POST /v1/authorize: may company C place a call on campaign K to number N on a channel, and for
// how many seconds. Reads Redis only (the company mirror and the wallet, one script call);
// Postgres is read only to rebuild what Redis lost.
import { z } from 'zod';
import { authorizeCall, REFUSAL_REASONS } from '../../billing/call-authorization.js';
import { errorResponses, errorSerializer } from '../api-error.js';
import { assertCompanyAccess, companyNotFound, principalOf } from '../authentication.js';
import type { ApiContext, ZodApp } from '../api-context.js';
import { campaignIdSchema, companyIdSchema, microsSchema } from '../schemas.js';

const authorizeBody = z.object({
  companyId: companyIdSchema,
  campaignId: campaignIdSchema.optional(),
  number: z
    .string()
    .min(1)
    .max(32)
    .meta({ description: 'Destination, E.164 ("+447700900123") or national in the plan region.' }),
  channel: z.string().min(1).max(64).meta({ description: 'A call channel of the rate plan.' }),
});

const authorizeAnswer = z
  .object({
    allowed: z.boolean(),
    reason: z
      .enum(REFUSAL_REASONS)
      .nullable()
      .meta({ description: 'Why the call is refused; null when allowed.' }),
    maxSeconds: z.int().meta({
      description: 'Longest call the available balance and the cap pay for at this rate.',
    }),
    limitedBy: z.enum(['balance', 'spending_cap', 'max_call_length']).nullable(),
    firstIncrementCostMicros: microsSchema.nullable(),
    balanceMicros: microsSchema,
    heldMicros: microsSchema,
    availableMicros: microsSchema,
    capRemainingMicros: microsSchema.nullable(),
  })
  .meta({ id: 'Authorization' });

export function registerAuthorizeRoute(app: ZodApp, ctx: ApiContext): void {
  app.post(
    '/v1/authorize',
    {
      config: { roles: ['dialer', 'admin', 'company'] },
      // The answer is built by authorizeCall, whose type is the schema's: checking it again with
      // zod on every call would cost more than the Redis round trip. Errors keep their schema.
      serializerCompiler: ({ httpStatus }) =>
        httpStatus === '200' ? (data) => JSON.stringify(data) : errorSerializer,
      schema: {
        tags: ['dialer'],
        summary: 'May this call be placed, and for how long?',
        body: authorizeBody,
        response: { 200: authorizeAnswer, ...errorResponses },
      },
    },
    async (req) => {
      const { companyId, campaignId, number, channel } = req.body;
      assertCompanyAccess(principalOf(req), companyId);
      // One Redis command reads the company, the campaign and the wallet.
      const { company, wallet: mirrored } = await ctx.billing.mirror.readForCall(
        companyId,
        campaignId,
        ctx.gate,
      );
      if (company.state === 'unknown') throw companyNotFound(companyId);
      const wallet = mirrored ?? (await ctx.wallets.view(companyId));
      return authorizeCall(ctx.plan, company.gate, wallet, {
        channel,
        number,
        campaignPause: company.campaignPause,
        nowMs: ctx.now(),
      });
    },
  );
}
