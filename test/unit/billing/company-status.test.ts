import { describe, expect, it } from 'vitest';
import { companyStatus, lowBalance } from '../../../src/billing/company-status.js';

const active = {
  billingMode: 'refillable_wallet' as const,
  notificationRecipients: 1,
  paused: false,
  balanceMicros: 5_000_000,
};

describe('companyStatus', () => {
  it('is Active when set up, not paused and funded', () => {
    expect(companyStatus(active)).toEqual({ status: 'Active', reasons: [] });
  });

  it('is Not Set Up without a notification recipient, whatever else holds', () => {
    expect(companyStatus({ ...active, notificationRecipients: 0 })).toEqual({
      status: 'Not Set Up',
      reasons: ['no_notification_recipient'],
    });
    expect(
      companyStatus({ ...active, notificationRecipients: 0, paused: true, balanceMicros: 0 })
        .status,
    ).toBe('Not Set Up');
  });

  it('is Paused by the account manager or by an empty refillable wallet', () => {
    expect(companyStatus({ ...active, paused: true })).toEqual({
      status: 'Paused',
      reasons: ['paused_by_account_manager'],
    });
    expect(companyStatus({ ...active, balanceMicros: 0 })).toEqual({
      status: 'Paused',
      reasons: ['zero_balance'],
    });
    expect(companyStatus({ ...active, balanceMicros: -10 }).status).toBe('Paused');
    // A monthly invoice has no balance to run out of.
    expect(
      companyStatus({ ...active, billingMode: 'monthly_invoice', balanceMicros: 0 }).status,
    ).toBe('Active');
  });
});

describe('lowBalance', () => {
  it('shows the banner at or below the threshold of a refillable wallet', () => {
    expect(lowBalance('refillable_wallet', 5_000_000, 5_000_000)).toBe(true);
    expect(lowBalance('refillable_wallet', 5_000_001, 5_000_000)).toBe(false);
    expect(lowBalance('refillable_wallet', 0, 0)).toBe(true);
    expect(lowBalance('refillable_wallet', 1, 0)).toBe(false);
    expect(lowBalance('monthly_invoice', 0, 5_000_000)).toBe(false);
  });
});
