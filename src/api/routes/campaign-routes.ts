// A company's campaigns: registering them (so a reached cap pauses them by name), listing them,
// and pausing or resuming one by hand. Manual changes are announced on campaigns.control like the
// cap's; a campaign the cap paused cannot be resumed by hand while the cap is still reached.
import { z } from 'zod';
import {
  getCampaign,
  listCampaigns,
  setCampaignManualPause,
  upsertCampaign,
} from '../../billing/campaign-records.js';
import { reachedMonths } from '../../billing/cap-records.js';
import { getBillingSettings } from '../../billing/company-records.js';
import { campaignControl } from '../../billing/billing-messages.js';
import { enqueue } from '../../billing/billing-outbox.js';
import { ApiError, errorResponses } from '../api-error.js';
import { assertCompanyAccess, companyNotFound, principalOf } from '../authentication.js';
import type { ApiContext, ZodApp } from '../api-context.js';
import { inTransaction } from '../in-transaction.js';
import { campaignParams, campaignSchema, companyParams } from '../schemas.js';

function campaignNotFound(id: string): ApiError {
  return new ApiError(404, 'campaign_not_found', `no campaign "${id}"`);
}

export function registerCampaignRoutes(app: ZodApp, ctx: ApiContext): void {
  const roles = ['admin', 'company'] as const;

  app.get(
    '/v1/companies/:companyId/campaigns',
    {
      config: { roles },
      schema: {
        tags: ['campaigns'],
        summary: "The company's campaigns and their pause state",
        params: companyParams,
        response: { 200: z.object({ campaigns: z.array(campaignSchema) }), ...errorResponses },
      },
    },
    async (req) => {
      const { companyId } = req.params;
      assertCompanyAccess(principalOf(req), companyId);
      if ((await getBillingSettings(ctx.pool, companyId)) === null)
        throw companyNotFound(companyId);
      return { campaigns: await listCampaigns(ctx.pool, companyId) };
    },
  );

  app.put(
    '/v1/companies/:companyId/campaigns/:campaignId',
    {
      config: { roles },
      schema: {
        tags: ['campaigns'],
        summary: 'Register a campaign (or rename it)',
        description: 'A campaign registered while the cap is reached starts paused by the cap.',
        params: campaignParams,
        body: z.object({ name: z.string().trim().min(1).max(200).nullable().optional() }),
        response: { 200: campaignSchema, 201: campaignSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { companyId, campaignId } = req.params;
      assertCompanyAccess(principalOf(req), companyId);
      if ((await getBillingSettings(ctx.pool, companyId)) === null)
        throw companyNotFound(companyId);
      const { campaign, created } = await upsertCampaign(
        ctx.pool,
        companyId,
        campaignId,
        req.body.name ?? null,
      );
      await ctx.billing.mirror.refresh([companyId]);
      return reply.code(created ? 201 : 200).send(campaign);
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/v1/companies/:companyId/campaigns/:campaignId/${action}`,
      {
        config: { roles },
        schema: {
          tags: ['campaigns'],
          summary: action === 'pause' ? 'Pause a campaign by hand' : 'Resume a campaign',
          params: campaignParams,
          response: { 200: campaignSchema, ...errorResponses },
        },
      },
      async (req) => {
        const { companyId, campaignId } = req.params;
        assertCompanyAccess(principalOf(req), companyId);
        const pause = action === 'pause';
        const campaign = await inTransaction(ctx.pool, async (client) => {
          const before = await getCampaign(client, companyId, campaignId);
          if (before === null) throw campaignNotFound(campaignId);
          if (!pause && before.pausedReason === 'spending_cap') {
            const reached = await reachedMonths(client, [companyId]);
            if (reached.has(companyId))
              throw new ApiError(
                409,
                'spending_cap_reached',
                'the monthly spending cap paused this campaign: raise or remove the cap',
              );
          }
          const after = await setCampaignManualPause(client, companyId, campaignId, pause);
          if (after === null) throw campaignNotFound(campaignId);
          if (before.paused !== after.paused)
            await enqueue(client, [
              campaignControl({
                type: pause ? 'campaigns_paused' : 'campaigns_resumed',
                company_id: companyId,
                campaign_ids: [campaignId],
                all_campaigns: false,
                reason: 'manual',
                month: null,
                issued_at: new Date(ctx.now()).toISOString(),
              }),
            ]);
          return after;
        });
        await ctx.billing.outbox.drain();
        await ctx.billing.mirror.refresh([companyId]);
        return campaign;
      },
    );
  }
}
