// Spending caps on the real stack: warnings once per month per threshold, the cap reached
// (calls refused, campaigns paused in Postgres and Redis, events on campaigns.control and
// billing.alerts), lifted by raising or removing it, and a month rollover in New York.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiHarness } from './harness.js';

const ukMobile = '+447700900123';

describe('spending caps', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await ApiHarness.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  const call = (companyId: string, campaignId?: string) =>
    h.authorize({
      companyId,
      channel: 'voice',
      number: ukMobile,
      ...(campaignId ? { campaignId } : {}),
    });
  const campaigns = async (companyId: string) =>
    (
      await h.request<{
        campaigns: Array<{ id: string; paused: boolean; pausedReason: string | null }>;
      }>('GET', `/v1/companies/${companyId}/campaigns`)
    ).body.campaigns.map((k) => [k.id, k.pausedReason]);

  it('warns, pauses at the cap, and resumes when the cap is raised or removed', async () => {
    h.nowMs = Date.parse('2026-11-20T12:00:00Z'); // 07:00 in New York
    const c = await h.company({
      timeZone: 'America/New_York',
      spendingCapMicros: 1_000_000,
      capWarningPercents: [50, 80],
    });
    const companyKey = await h.token('company', c);
    await h.topUp(c, 50_000_000);
    for (const k of ['k1', 'k2', 'k3'])
      await h.request('PUT', `/v1/companies/${c}/campaigns/${k}`, { body: {} });
    await h.request('POST', `/v1/companies/${c}/campaigns/k3/pause`, { token: companyKey });

    await h.charge(c, 600_000); // 60 %: the 50 % warning; the projection (932,327) is under the cap
    await h.charge(c, 300_000); // 90 %: the 80 % warning; projected 1,398,491 > cap
    const view = await h.request('GET', `/v1/companies/${c}/wallet`, { token: companyKey });
    expect(view.body).toMatchObject({
      month: {
        month: '2026-11',
        timeZone: 'America/New_York',
        spentMicros: 900_000,
        // 900,000 × (30 days + 1 h, the DST month) / (19 days 8 h elapsed), rounded half up.
        projectedMicros: 1_398_491,
        spendingCapMicros: 1_000_000,
        capRemainingMicros: 100_000,
        capReached: false,
      },
    });
    expect((await call(c)).body).toMatchObject({
      allowed: true,
      maxSeconds: 100,
      limitedBy: 'spending_cap',
    });

    await h.charge(c, 100_000); // the cap
    expect((await call(c)).body).toMatchObject({ allowed: false, reason: 'spending_cap_reached' });
    expect(await campaigns(c)).toEqual([
      ['k1', 'spending_cap'],
      ['k2', 'spending_cap'],
      ['k3', 'manual'],
    ]);
    const stuck = await h.request('POST', `/v1/companies/${c}/campaigns/k1/resume`, {
      token: companyKey,
    });
    expect(stuck.status).toBe(409);
    expect(stuck.body).toMatchObject({ error: { code: 'spending_cap_reached' } });
    await h.charge(c, 50_000); // past the cap: nothing new to announce

    // The company raises its cap: k1 and k2 resume, k3 stays paused by hand. 1,050,000 is past
    // 50 % of the new cap, but that warning was already sent this month.
    const raised = await h.request('PATCH', `/v1/companies/${c}`, {
      token: companyKey,
      body: { spendingCapMicros: 2_000_000 },
    });
    expect(raised.status).toBe(200);
    expect((await call(c)).body).toMatchObject({ allowed: true, capRemainingMicros: 950_000 });
    expect((await call(c, 'k1')).body).toMatchObject({ allowed: true });
    expect((await call(c, 'k3')).body).toMatchObject({ allowed: false, reason: 'campaign_paused' });
    expect(await campaigns(c)).toEqual([
      ['k1', null],
      ['k2', null],
      ['k3', 'manual'],
    ]);

    // Lowered below the spend: paused again at once. Removed: resumed.
    await h.request('PATCH', `/v1/companies/${c}`, { body: { spendingCapMicros: 1_000_000 } });
    expect((await call(c)).body).toMatchObject({ allowed: false, reason: 'spending_cap_reached' });
    await h.request('PATCH', `/v1/companies/${c}`, { body: { spendingCapMicros: null } });
    expect((await call(c)).body).toMatchObject({ allowed: true, capRemainingMicros: null });

    const control = await h.messages('campaignsControl', c, (m) => m.length >= 5);
    expect(control.map((m) => [m.type, m.reason, m.campaign_ids])).toEqual([
      ['campaigns_paused', 'manual', ['k3']],
      ['campaigns_paused', 'spending_cap_reached', ['k1', 'k2']],
      ['campaigns_resumed', 'cap_raised', ['k1', 'k2']],
      ['campaigns_paused', 'spending_cap_reached', ['k1', 'k2']],
      ['campaigns_resumed', 'cap_removed', ['k1', 'k2']],
    ]);
    expect(control).toHaveLength(5);
    expect(new Set(control.map((m) => m.event_id)).size).toBe(5);

    const alerts = await h.messages('billingAlerts', c, (m) => m.length >= 7);
    expect(alerts.map((a) => [a.type, a.threshold_percent ?? a.reason])).toEqual([
      ['spending_cap_warning', 50],
      ['spending_cap_warning', 80],
      ['projected_spend_over_cap', null],
      ['spending_cap_reached', null],
      ['spending_cap_lifted', 'cap_raised'],
      ['spending_cap_reached', null],
      ['spending_cap_lifted', 'cap_removed'],
    ]);
    expect(alerts[3]).toMatchObject({
      company_id: c,
      month: '2026-11',
      time_zone: 'America/New_York',
      cap_micros: '1000000',
      spent_micros: '1000000',
      recipients: ['billing@example.com'],
    });
  });

  it('keeps the month in the company time zone and resumes at its midnight', async () => {
    h.nowMs = Date.parse('2026-11-30T23:00:00Z'); // 18:00 on 30 November in New York
    const c = await h.company({ timeZone: 'America/New_York', spendingCapMicros: 500_000 });
    await h.topUp(c, 50_000_000);
    await h.request('PUT', `/v1/companies/${c}/campaigns/winter`, { body: {} });
    await h.charge(c, 500_000);
    expect((await call(c)).body).toMatchObject({ allowed: false, reason: 'spending_cap_reached' });

    // December in UTC, still 30 November (23:30) in New York: usage now counts to November.
    h.nowMs = Date.parse('2026-12-01T04:30:00Z');
    await h.charge(c, 20_000, Date.parse('2026-12-01T04:00:00Z'));
    await h.billing.caps.checkMonthRollover();
    expect((await call(c, 'winter')).body).toMatchObject({
      allowed: false,
      reason: 'spending_cap_reached',
    });
    expect((await h.request('GET', `/v1/companies/${c}/wallet`)).body).toMatchObject({
      month: { month: '2026-11', spentMicros: 520_000, capReached: true },
    });

    // 00:30 on 1 December in New York: a new month. Calls are allowed at once (the month the
    // cap was reached in is over), and the periodic check resumes the campaigns and says so.
    h.nowMs = Date.parse('2026-12-01T05:30:00Z');
    expect((await call(c, 'winter')).body).toMatchObject({
      allowed: true,
      capRemainingMicros: 500_000,
    });
    await h.billing.caps.checkMonthRollover();
    expect(await campaigns(c)).toEqual([['winter', null]]);
    expect((await h.request('GET', `/v1/companies/${c}/wallet`)).body).toMatchObject({
      month: {
        month: '2026-12',
        startsAt: '2026-12-01T05:00:00.000Z',
        spentMicros: 0,
        capReached: false,
      },
    });
    await h.billing.caps.checkMonthRollover(); // nothing more to say
    const control = await h.messages('campaignsControl', c, (m) => m.length >= 2);
    expect(control.map((m) => [m.type, m.reason, m.month])).toEqual([
      ['campaigns_paused', 'spending_cap_reached', '2026-11'],
      ['campaigns_resumed', 'month_rollover', '2026-12'],
    ]);
  });

  it('recounts the month when the time zone changes', async () => {
    h.nowMs = Date.parse('2026-12-01T03:00:00Z'); // December in UTC; 22:00 on 30 Nov in New York
    const c = await h.company({ timeZone: 'UTC', spendingCapMicros: 10_000_000 });
    await h.topUp(c, 50_000_000);
    await h.charge(c, 70_000, Date.parse('2026-12-01T02:00:00Z'));
    expect((await h.request('GET', `/v1/companies/${c}/wallet`)).body).toMatchObject({
      month: { month: '2026-12', spentMicros: 70_000 },
    });
    const moved = await h.request('PATCH', `/v1/companies/${c}`, {
      body: { timeZone: 'America/New_York' },
    });
    expect(moved.status).toBe(200);
    expect((await h.request('GET', `/v1/companies/${c}/wallet`)).body).toMatchObject({
      month: { month: '2026-11', spentMicros: 70_000 },
    });
  });
});
