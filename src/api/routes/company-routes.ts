// Companies and their billing settings: creation (admins), reading, changing (company keys may
// change their own spending controls and recipients; billing mode, rate plan and name are the
// operator's), and the account manager's pause. A change is committed, then the spending cap is
// re-checked and the Redis mirror rewritten before the answer.
import { z } from 'zod';
import type pg from 'pg';
import {
  getBillingSettings,
  insertCompany,
  lockBillingSettings,
  postgresKnowsZone,
  setCompanyPaused,
  updateBillingSettings,
  type BillingSettings,
  type SettingsChange,
} from '../../billing/company-records.js';
import { companyStatus } from '../../billing/company-status.js';
import { isValidTimeZone, monthWindow } from '../../billing/month.js';
import { recountMonth } from '../../billing/month-spend.js';
import { ApiError, errorResponses } from '../api-error.js';
import { inTransaction } from '../in-transaction.js';
import { assertCompanyAccess, companyNotFound, principalOf } from '../authentication.js';
import type { ApiContext, ZodApp } from '../api-context.js';
import {
  billingModeSchema,
  companyIdSchema,
  companyParams,
  companySchema,
  emailsSchema,
  nonNegativeMicros,
  warningPercentsSchema,
} from '../schemas.js';

const timeZoneSchema = z
  .string()
  .refine(isValidTimeZone, { message: 'must be an IANA time zone such as "Europe/London"' })
  .meta({ description: 'IANA time zone: months, caps and reports follow it.' });

const settingsFields = {
  name: z.string().trim().min(1).max(200),
  timeZone: timeZoneSchema,
  billingMode: billingModeSchema,
  spendingCapMicros: nonNegativeMicros
    .nullable()
    .meta({ description: 'Monthly spending cap in micro-units; null for none.' }),
  capWarningPercents: warningPercentsSchema,
  lowBalanceThresholdMicros: nonNegativeMicros.meta({
    description: 'The low-balance banner shows at or below this balance.',
  }),
  notificationRecipients: emailsSchema.meta({
    description: 'Who billing alerts go to; at least one is needed to leave Not Set Up.',
  }),
  ratePlan: z.string().min(1).max(200).nullable(),
};

const createBody = z.object({
  id: companyIdSchema,
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "USD"')
    .optional(),
  ...settingsFields,
  timeZone: settingsFields.timeZone.optional(),
  billingMode: settingsFields.billingMode.optional(),
  spendingCapMicros: settingsFields.spendingCapMicros.optional(),
  capWarningPercents: settingsFields.capWarningPercents.optional(),
  lowBalanceThresholdMicros: settingsFields.lowBalanceThresholdMicros.optional(),
  notificationRecipients: settingsFields.notificationRecipients.optional(),
  ratePlan: settingsFields.ratePlan.optional(),
});

const changeBody = z
  .object(settingsFields)
  .partial()
  .strict()
  .refine((c) => Object.keys(c).length > 0, { message: 'must change at least one setting' });

/** Settings only the operator (an admin key) may change. */
const adminOnly = ['name', 'billingMode', 'ratePlan'] as const;

export async function companyView(ctx: ApiContext, s: BillingSettings) {
  const wallet = await ctx.wallets.view(s.id);
  const { status, reasons } = companyStatus({
    billingMode: s.billingMode,
    notificationRecipients: s.notificationRecipients.length,
    paused: s.paused,
    balanceMicros: wallet.balanceMicros,
  });
  return {
    ...s,
    capWarningPercents: [...s.capWarningPercents],
    notificationRecipients: [...s.notificationRecipients],
    status,
    statusReasons: [...reasons],
  };
}

function checkRatePlan(ctx: ApiContext, ratePlan: string | null | undefined): void {
  if (ratePlan === undefined || ratePlan === null || ratePlan === ctx.plan.id) return;
  throw new ApiError(
    400,
    'unknown_rate_plan',
    `rate plan "${ratePlan}" is not loaded (this processor rates with "${ctx.plan.id}")`,
    'ratePlan',
  );
}

async function checkZoneInPostgres(db: pg.Pool | pg.PoolClient, zone: string | undefined) {
  if (zone !== undefined && !(await postgresKnowsZone(db, zone)))
    throw new ApiError(
      400,
      'invalid_field',
      `time zone "${zone}" is unknown to Postgres`,
      'timeZone',
    );
}

export function registerCompanyRoutes(app: ZodApp, ctx: ApiContext): void {
  app.post(
    '/v1/companies',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['companies'],
        summary: 'Create a company',
        body: createBody,
        response: { 201: companySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      checkRatePlan(ctx, req.body.ratePlan);
      await checkZoneInPostgres(ctx.pool, req.body.timeZone);
      const created = await insertCompany(ctx.pool, req.body);
      if (created === null)
        throw new ApiError(409, 'company_exists', `company "${req.body.id}" already exists`, 'id');
      await ctx.billing.caps.reevaluate(created.id);
      return reply.code(201).send(await companyView(ctx, created));
    },
  );

  app.get(
    '/v1/companies/:companyId',
    {
      config: { roles: ['admin', 'company'] },
      schema: {
        tags: ['companies'],
        summary: 'A company, its billing settings and status',
        params: companyParams,
        response: { 200: companySchema, ...errorResponses },
      },
    },
    async (req) => {
      const { companyId } = req.params;
      assertCompanyAccess(principalOf(req), companyId);
      const s = await getBillingSettings(ctx.pool, companyId);
      if (s === null) throw companyNotFound(companyId);
      return companyView(ctx, s);
    },
  );

  app.patch(
    '/v1/companies/:companyId',
    {
      config: { roles: ['admin', 'company'] },
      schema: {
        tags: ['companies'],
        summary: 'Change billing settings',
        description:
          'Company keys may change timeZone, spendingCapMicros, capWarningPercents, ' +
          'lowBalanceThresholdMicros and notificationRecipients; the rest needs an admin key. ' +
          'Raising or removing a reached cap resumes the campaigns it paused.',
        params: companyParams,
        body: changeBody,
        response: { 200: companySchema, ...errorResponses },
      },
    },
    async (req) => {
      const { companyId } = req.params;
      const principal = principalOf(req);
      assertCompanyAccess(principal, companyId);
      const change: SettingsChange = req.body;
      if (principal.role !== 'admin') {
        const field = adminOnly.find((f) => change[f] !== undefined);
        if (field !== undefined)
          throw new ApiError(
            403,
            'forbidden_field',
            `only an admin key may change ${field}`,
            field,
          );
      }
      checkRatePlan(ctx, change.ratePlan);
      const updated = await inTransaction(ctx.pool, async (client) => {
        const before = await lockBillingSettings(client, companyId);
        if (before === null) throw companyNotFound(companyId);
        await checkZoneInPostgres(client, change.timeZone);
        const after = await updateBillingSettings(client, companyId, change);
        if (after === null) throw companyNotFound(companyId);
        // The month so far was counted in the old zone's month; count it again in the new one.
        if (after.timeZone !== before.timeZone)
          await recountMonth(client, companyId, monthWindow(ctx.now(), after.timeZone));
        return after;
      });
      await ctx.billing.caps.reevaluate(companyId);
      return companyView(ctx, updated);
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/v1/companies/:companyId/${action}`,
      {
        config: { roles: ['admin'] },
        schema: {
          tags: ['companies'],
          summary:
            action === 'pause'
              ? "Pause the company's service (account manager): calls are refused"
              : "Resume the company's service",
          params: companyParams,
          response: { 200: companySchema, ...errorResponses },
        },
      },
      async (req) => {
        const { companyId } = req.params;
        const s = await setCompanyPaused(ctx.pool, companyId, action === 'pause');
        if (s === null) throw companyNotFound(companyId);
        await ctx.billing.mirror.refresh([companyId]);
        return companyView(ctx, s);
      },
    );
  }
}
