// What tollgate announces about billing: campaign pauses and resumes on campaigns.control, and
// alerts (cap warnings, projection, cap reached or lifted) on billing.alerts. JSON, keyed by
// company id; amounts are integer micro-units written as decimal strings. The outbox adds
// `event_id` when it publishes.

export type CampaignControlReason =
  'spending_cap_reached' | 'cap_raised' | 'cap_removed' | 'month_rollover' | 'manual';

export interface CampaignControl {
  readonly type: 'campaigns_paused' | 'campaigns_resumed';
  readonly company_id: string;
  /** The campaigns whose state changed (tollgate's registered campaigns). */
  readonly campaign_ids: readonly string[];
  /** True when the change concerns every campaign of the company, registered or not. */
  readonly all_campaigns: boolean;
  readonly reason: CampaignControlReason;
  /** "2026-11", in the company's time zone; null for a manual change. */
  readonly month: string | null;
  readonly issued_at: string;
}

export type AlertType =
  | 'spending_cap_warning'
  | 'projected_spend_over_cap'
  | 'spending_cap_reached'
  | 'spending_cap_lifted';

export interface BillingAlert {
  readonly type: AlertType;
  readonly company_id: string;
  readonly month: string;
  readonly time_zone: string;
  readonly cap_micros: string | null;
  readonly spent_micros: string;
  readonly projected_micros: string;
  /** spending_cap_warning: the percentage of the cap crossed. */
  readonly threshold_percent: number | null;
  /** spending_cap_lifted: cap_raised, cap_removed or month_rollover. */
  readonly reason: string | null;
  /** Who should be told: the company's notification recipients. */
  readonly recipients: readonly string[];
  readonly issued_at: string;
}

export type OutboxMessage =
  | { readonly topic: 'campaigns_control'; readonly key: string; readonly payload: CampaignControl }
  | { readonly topic: 'billing_alerts'; readonly key: string; readonly payload: BillingAlert };

export function campaignControl(payload: CampaignControl): OutboxMessage {
  return { topic: 'campaigns_control', key: payload.company_id, payload };
}

export function billingAlert(payload: BillingAlert): OutboxMessage {
  return { topic: 'billing_alerts', key: payload.company_id, payload };
}
