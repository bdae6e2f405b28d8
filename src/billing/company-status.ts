// A company's service status as the seeds show it (Active, Not Set Up, Paused) and the
// low-balance banner, derived from settings and the wallet rather than stored, so they can never
// disagree with what they are derived from. Amounts are integer micro-units.

export type BillingMode = 'refillable_wallet' | 'monthly_invoice';
export const BILLING_MODES: readonly BillingMode[] = ['refillable_wallet', 'monthly_invoice'];

export type CompanyStatus = 'Active' | 'Not Set Up' | 'Paused';

/** Why a company is not Active; several can hold at once. */
export type StatusReason =
  'no_notification_recipient' | 'paused_by_account_manager' | 'zero_balance';

export interface StatusInputs {
  readonly billingMode: BillingMode;
  readonly notificationRecipients: number;
  /** Paused by an account manager. */
  readonly paused: boolean;
  readonly balanceMicros: number;
}

export interface StatusView {
  readonly status: CompanyStatus;
  readonly reasons: readonly StatusReason[];
}

/**
 * Not Set Up until someone can be told about billing (at least one notification recipient);
 * Paused when an account manager paused it or a refillable wallet has run dry (a monthly invoice
 * has no balance to run out of); Active otherwise.
 */
export function companyStatus(i: StatusInputs): StatusView {
  const reasons: StatusReason[] = [];
  if (i.notificationRecipients === 0) reasons.push('no_notification_recipient');
  if (i.paused) reasons.push('paused_by_account_manager');
  if (i.billingMode === 'refillable_wallet' && i.balanceMicros <= 0) reasons.push('zero_balance');
  const status: CompanyStatus =
    i.notificationRecipients === 0 ? 'Not Set Up' : reasons.length > 0 ? 'Paused' : 'Active';
  return { status, reasons };
}

/**
 * The low-balance banner: a refillable wallet at or below its threshold. With no threshold set
 * (0) it shows once the balance is gone, which is when the seeds' tooltip refuses calls.
 */
export function lowBalance(
  billingMode: BillingMode,
  balanceMicros: number,
  thresholdMicros: number,
): boolean {
  return billingMode === 'refillable_wallet' && balanceMicros <= thresholdMicros;
}
