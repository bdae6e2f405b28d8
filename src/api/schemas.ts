// Request and response building blocks shared by the routes: ids, money and the settings and
// wallet shapes. zod is the single source: it validates requests, types handlers and generates
// the OpenAPI document served at /docs.
import { z } from 'zod';
import { BILLING_MODES } from '../billing/company-status.js';

export const companyIdPattern = /^[A-Za-z0-9_.-]{1,64}$/;
export const companyIdSchema = z
  .string()
  .regex(companyIdPattern, 'must be 1-64 letters, digits, ".", "_" or "-"');

export const campaignIdPattern = /^[A-Za-z0-9_.:@-]{1,128}$/;
export const campaignIdSchema = z
  .string()
  .regex(campaignIdPattern, 'must be 1-128 letters, digits, ".", "_", ":", "@" or "-"');

/** Signed integer micro-units (1 USD = 1,000,000) as a JSON number within the safe range. */
export const microsSchema = z
  .int()
  .meta({ description: 'Integer micro-units of the wallet currency (1 USD = 1,000,000).' });
export const nonNegativeMicros = microsSchema.min(0);

export const companyParams = z.object({ companyId: companyIdSchema });
export const campaignParams = z.object({
  companyId: companyIdSchema,
  campaignId: campaignIdSchema,
});

export const billingModeSchema = z.enum(BILLING_MODES as ['refillable_wallet', 'monthly_invoice']);

export const emailsSchema = z
  .array(z.email())
  .max(20)
  .refine((list) => new Set(list.map((e) => e.toLowerCase())).size === list.length, {
    message: 'must not repeat an address',
  });

export const warningPercentsSchema = z
  .array(z.int().min(1).max(99))
  .max(10)
  .meta({ description: 'Percentages of the cap (1-99) at which a warning is sent, once a month.' });

export const statusSchema = z.enum(['Active', 'Not Set Up', 'Paused']);

export const companySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    currency: z.string(),
    timeZone: z.string(),
    billingMode: billingModeSchema,
    paused: z.boolean().meta({ description: 'Paused by an account manager.' }),
    spendingCapMicros: microsSchema.nullable(),
    capWarningPercents: z.array(z.int()),
    lowBalanceThresholdMicros: microsSchema,
    notificationRecipients: z.array(z.string()),
    ratePlan: z.string().nullable(),
    status: statusSchema,
    statusReasons: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Company' });

export const campaignSchema = z
  .object({
    companyId: z.string(),
    id: z.string(),
    name: z.string().nullable(),
    paused: z.boolean(),
    pausedReason: z.enum(['manual', 'spending_cap']).nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Campaign' });
