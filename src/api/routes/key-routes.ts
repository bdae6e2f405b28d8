// API keys over HTTP, for admins: create (the token is in this answer only), list, revoke.
import { z } from 'zod';
import { ROLES, UnknownCompanyError } from '../api-keys.js';
import { ApiError, errorResponses } from '../api-error.js';
import type { ApiContext, ZodApp } from '../api-context.js';
import { companyIdSchema } from '../schemas.js';

const keyInfo = z.object({
  keyId: z.string(),
  role: z.enum(ROLES),
  companyId: z.string().nullable(),
  label: z.string().nullable(),
  createdAt: z.string(),
});

const createBody = z
  .object({
    role: z.enum(ROLES),
    companyId: companyIdSchema.optional(),
    label: z.string().max(200).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.role === 'company' && b.companyId === undefined)
      ctx.addIssue({ code: 'custom', path: ['companyId'], message: 'a company key needs one' });
    if (b.role === 'admin' && b.companyId !== undefined)
      ctx.addIssue({ code: 'custom', path: ['companyId'], message: 'an admin key has none' });
  });

export function registerKeyRoutes(app: ZodApp, ctx: ApiContext): void {
  app.post(
    '/v1/api-keys',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['keys'],
        summary: 'Create an API key; its token is shown in this answer only',
        body: createBody,
        response: {
          201: keyInfo.extend({ token: z.string() }).meta({ id: 'CreatedApiKey' }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { role, companyId, label } = req.body;
      try {
        const key = await ctx.keys.create(role, companyId ?? null, label ?? null);
        return reply.code(201).send(key);
      } catch (err) {
        if (err instanceof UnknownCompanyError)
          throw new ApiError(404, 'company_not_found', err.message, 'companyId');
        throw err;
      }
    },
  );

  app.get(
    '/v1/api-keys',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['keys'],
        summary: 'Every API key (never its token)',
        response: {
          200: z.object({ keys: z.array(keyInfo.extend({ revokedAt: z.string().nullable() })) }),
          ...errorResponses,
        },
      },
    },
    async () => ({ keys: await ctx.keys.list() }),
  );

  app.delete(
    '/v1/api-keys/:keyId',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['keys'],
        summary: 'Revoke an API key (effective everywhere within a few seconds)',
        params: z.object({ keyId: z.string().min(1).max(100) }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      if (!(await ctx.keys.revoke(req.params.keyId)))
        throw new ApiError(404, 'key_not_found', `no active key "${req.params.keyId}"`);
      return reply.code(204).send(null);
    },
  );
}
