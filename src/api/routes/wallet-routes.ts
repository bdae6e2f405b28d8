// A company's wallet: the view the billing page shows (balance, holds, status, low-balance
// banner, month-to-date and projected spend against the cap, and the add-balance estimate), and
// money movements by an admin, each under an Idempotency-Key and answered after the ledger commit.
import { z } from 'zod';
import { estimateCallTime } from '../../billing/add-balance-estimate.js';
import { reachedMonths } from '../../billing/cap-records.js';
import { capRemainingMicros } from '../../billing/cap-evaluation.js';
import { getBillingSettings } from '../../billing/company-records.js';
import { companyStatus, lowBalance } from '../../billing/company-status.js';
import { spentInMonths } from '../../billing/month-spend.js';
import { monthWindow, projectMonthSpend } from '../../billing/month.js';
import { errorResponses } from '../api-error.js';
import { assertCompanyAccess, companyNotFound, principalOf } from '../authentication.js';
import type { ApiContext, ZodApp } from '../api-context.js';
import { billingModeSchema, companyParams, microsSchema, statusSchema } from '../schemas.js';
import { applyTransaction, TRANSACTION_TYPES } from '../wallet-transactions.js';

const viewQuery = z.object({
  amountMicros: z
    .string()
    .regex(/^[1-9]\d{0,12}$/, 'must be a whole number of micro-units, 1 to 10^13 - 1')
    .optional()
    .meta({ description: 'An amount to add: the answer estimates the call minutes it buys.' }),
  destination: z
    .string()
    .min(1)
    .max(32)
    .optional()
    .meta({ description: 'Price the estimate for this number; default: any destination.' }),
});

const channelEstimate = z.object({
  channel: z.string(),
  seconds: z.int().nullable(),
  minutes: z.int().nullable(),
  unavailable: z.string().nullable(),
});

const walletView = z
  .object({
    companyId: z.string(),
    currency: z.string(),
    billingMode: billingModeSchema,
    status: statusSchema,
    statusReasons: z.array(z.string()),
    balanceMicros: microsSchema,
    heldMicros: microsSchema,
    availableMicros: microsSchema,
    lowBalance: z.boolean().meta({ description: 'Show the low-balance banner.' }),
    lowBalanceThresholdMicros: microsSchema,
    month: z.object({
      month: z.string().meta({ description: '"2026-11", in the company\'s time zone.' }),
      timeZone: z.string(),
      startsAt: z.string(),
      endsAt: z.string(),
      spentMicros: microsSchema,
      projectedMicros: microsSchema.meta({
        description: 'Month-to-date spend projected linearly to the end of the month.',
      }),
      spendingCapMicros: microsSchema.nullable(),
      capRemainingMicros: microsSchema.nullable(),
      capReached: z.boolean(),
    }),
    estimate: z
      .object({
        amountMicros: microsSchema,
        destination: z.string().nullable(),
        channels: z.array(channelEstimate),
      })
      .nullable(),
  })
  .meta({ id: 'Wallet' });

const transactionBody = z
  .object({
    type: z.enum(TRANSACTION_TYPES),
    amountMicros: microsSchema.meta({
      description: 'Positive; for an adjustment, signed (negative takes money out) and not zero.',
    }),
    description: z.string().max(500).optional(),
    reference: z.string().max(200).optional(),
  })
  .superRefine((b, ctx) => {
    const ok = b.type === 'adjustment' ? b.amountMicros !== 0 : b.amountMicros > 0;
    if (!ok)
      ctx.addIssue({
        code: 'custom',
        path: ['amountMicros'],
        message: b.type === 'adjustment' ? 'must not be zero' : `must be positive for ${b.type}`,
      });
  });

const transactionHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,100}$/, 'must be 1-100 visible ASCII characters')
    .meta({ description: 'Unique per company and transaction; a replay returns the same answer.' }),
});

const transactionAnswer = z
  .object({
    eventId: z.string(),
    companyId: z.string(),
    type: z.enum(TRANSACTION_TYPES),
    amountMicros: microsSchema,
    balanceAfterMicros: microsSchema,
    walletSeq: z.int(),
    occurredAt: z.string(),
    description: z.string().nullable(),
  })
  .meta({ id: 'WalletTransaction' });

export function registerWalletRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/v1/companies/:companyId/wallet',
    {
      config: { roles: ['admin', 'company'] },
      schema: {
        tags: ['wallet'],
        summary: 'Balance, status, month spend against the cap, and the add-balance estimate',
        params: companyParams,
        querystring: viewQuery,
        response: { 200: walletView, ...errorResponses },
      },
    },
    async (req) => {
      const { companyId } = req.params;
      assertCompanyAccess(principalOf(req), companyId);
      const s = await getBillingSettings(ctx.pool, companyId);
      if (s === null) throw companyNotFound(companyId);
      const now = ctx.now();
      const month = monthWindow(now, s.timeZone);
      const [wallet, spentBy, reached] = await Promise.all([
        ctx.wallets.view(companyId),
        spentInMonths(ctx.pool, [{ companyId, month: month.firstDay }]),
        reachedMonths(ctx.pool, [companyId]),
      ]);
      const spent = spentBy.get(companyId) ?? 0n;
      const cap = s.spendingCapMicros === null ? null : BigInt(s.spendingCapMicros);
      const remaining = capRemainingMicros(cap, spent);
      const { status, reasons } = companyStatus({
        billingMode: s.billingMode,
        notificationRecipients: s.notificationRecipients.length,
        paused: s.paused,
        balanceMicros: wallet.balanceMicros,
      });
      const amount = req.query.amountMicros === undefined ? null : Number(req.query.amountMicros);
      const destination = req.query.destination;
      return {
        companyId,
        currency: s.currency,
        billingMode: s.billingMode,
        status,
        statusReasons: [...reasons],
        balanceMicros: wallet.balanceMicros,
        heldMicros: wallet.heldMicros,
        availableMicros: wallet.balanceMicros - wallet.heldMicros,
        lowBalance: lowBalance(s.billingMode, wallet.balanceMicros, s.lowBalanceThresholdMicros),
        lowBalanceThresholdMicros: s.lowBalanceThresholdMicros,
        month: {
          month: month.key,
          timeZone: s.timeZone,
          startsAt: new Date(month.startMs).toISOString(),
          endsAt: new Date(month.endMs).toISOString(),
          spentMicros: Number(spent),
          projectedMicros: Number(projectMonthSpend(spent, month, now)),
          spendingCapMicros: s.spendingCapMicros,
          capRemainingMicros: remaining === null ? null : Number(remaining),
          capReached: reached.get(companyId) === month.firstDay,
        },
        estimate:
          amount === null
            ? null
            : {
                amountMicros: amount,
                destination: destination ?? null,
                channels: estimateCallTime(ctx.plan, amount, now, destination),
              },
      };
    },
  );

  app.post(
    '/v1/companies/:companyId/wallet/transactions',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['wallet'],
        summary: 'Add, refund, grant, remove or adjust credit (idempotent)',
        description:
          'Answered after the ledger commit. A replay with the same Idempotency-Key returns ' +
          'the same answer; the same key with a different type or amount is a 409.',
        params: companyParams,
        headers: transactionHeaders,
        body: transactionBody,
        response: { 200: transactionAnswer, ...errorResponses },
      },
    },
    async (req) => {
      const { companyId } = req.params;
      if ((await getBillingSettings(ctx.pool, companyId)) === null)
        throw companyNotFound(companyId);
      return applyTransaction(ctx, companyId, req.headers['idempotency-key'], req.body, ctx.now());
    },
  );
}
