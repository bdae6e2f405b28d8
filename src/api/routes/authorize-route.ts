// POST /v1/authorize: may company C place a call on campaign K to number N on a channel, and for
// how many seconds. Reads Redis only (the company mirror and the wallet, one script call);
// Postgres is read only to rebuild what Redis lost.
import { z } from 'zod';
import {
  authorizeCall,
  REFUSAL_REASONS,
  type Authorization,
} from '../../billing/call-authorization.js';
import type { CallGateRead } from '../../billing/call-gate-script.js';
import { errorResponses, errorSerializer } from '../api-error.js';
import { assertCompanyAccess, companyNotFound, principalOf } from '../authentication.js';
import type { ApiContext, ZodApp } from '../api-context.js';
import { microsSchema } from '../schemas.js';
import {
  authorizeBody,
  authorizeValidatorCompiler,
  type AuthorizeBody,
} from './authorize-request.js';

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
      // A plainly valid body skips zod; zod still answers every other body, with its errors.
      validatorCompiler: authorizeValidatorCompiler,
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
    (req) => {
      const body = req.body;
      assertCompanyAccess(principalOf(req), body.companyId);
      // One Redis command reads the company, the campaign and the wallet.
      return ctx.billing.mirror
        .readForCall(body.companyId, body.campaignId, ctx.gate)
        .then((read) => answer(ctx, body, read));
    },
  );
}

/** The answer to `body` from what the call gate read (the wallet loaded when Redis had none). */
function answer(
  ctx: ApiContext,
  body: AuthorizeBody,
  read: CallGateRead,
): Authorization | Promise<Authorization> {
  const { company, wallet } = read;
  if (company.state === 'unknown') throw companyNotFound(body.companyId);
  const call = {
    channel: body.channel,
    number: body.number,
    campaignPause: company.campaignPause,
    nowMs: ctx.now(),
  };
  if (wallet !== null) return authorizeCall(ctx.plan, company.gate, wallet, call);
  return ctx.wallets
    .view(body.companyId)
    .then((loaded) => authorizeCall(ctx.plan, company.gate, loaded, call));
}
