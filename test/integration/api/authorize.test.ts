// POST /v1/authorize on the real stack: every refusal reason, the seconds a budget buys, the
// answer after Redis lost its copy, and no Postgres on the warm path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiHarness } from './harness.js';

const ukMobile = '+447700900123';

describe('authorize', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await ApiHarness.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  const call = (companyId: string, extra: Record<string, unknown> = {}) =>
    h.authorize({ companyId, channel: 'voice', number: ukMobile, ...extra });

  it('allows a funded call and says how long the balance lasts at the destination rate', async () => {
    const c = await h.company();
    await h.topUp(c, 1_000_000); // 1 USD at 0.06/min per second = 1,000 s
    const res = await call(c);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      allowed: true,
      reason: null,
      maxSeconds: 1000,
      limitedBy: 'balance',
      firstIncrementCostMicros: 1000,
      balanceMicros: 1_000_000,
      heldMicros: 0,
      availableMicros: 1_000_000,
      capRemainingMicros: null,
    });
    // The seeds' WhatsApp price: 0.02 per started minute buys 50 minutes.
    const wa = await call(c, { channel: 'whatsapp_call', number: '+5511987654321' });
    expect(wa.body).toMatchObject({ allowed: true, maxSeconds: 3000 });
    // A big balance is limited by the plan's longest call.
    await h.topUp(c, 100_000_000);
    expect((await call(c)).body).toMatchObject({ maxSeconds: 7200, limitedBy: 'max_call_length' });
  });

  it('refuses with zero_balance when the balance cannot pay the first increment', async () => {
    const c = await h.company();
    expect((await call(c)).body).toMatchObject({
      allowed: false,
      reason: 'zero_balance',
      maxSeconds: 0,
    });
    await h.topUp(c, 999); // one second costs 1,000
    expect((await call(c)).body).toMatchObject({
      allowed: false,
      reason: 'zero_balance',
      availableMicros: 999,
      firstIncrementCostMicros: 1000,
    });
  });

  it('refuses a company that is not set up (no notification recipient)', async () => {
    const c = await h.company({ notificationRecipients: [] });
    await h.topUp(c, 1_000_000);
    expect((await call(c)).body).toMatchObject({ allowed: false, reason: 'not_set_up' });
    const fixed = await h.request('PATCH', `/v1/companies/${c}`, {
      body: { notificationRecipients: ['ops@example.com'] },
    });
    expect(fixed.body).toMatchObject({ status: 'Active' });
    expect((await call(c)).body).toMatchObject({ allowed: true });
  });

  it('refuses a company paused by its account manager until it is resumed', async () => {
    const c = await h.company();
    await h.topUp(c, 1_000_000);
    expect((await h.request('POST', `/v1/companies/${c}/pause`)).body).toMatchObject({
      status: 'Paused',
      statusReasons: ['paused_by_account_manager'],
    });
    expect((await call(c)).body).toMatchObject({ allowed: false, reason: 'company_paused' });
    await h.request('POST', `/v1/companies/${c}/resume`);
    expect((await call(c)).body).toMatchObject({ allowed: true });
  });

  it('refuses a paused campaign and allows its siblings', async () => {
    const c = await h.company();
    await h.topUp(c, 1_000_000);
    for (const k of ['spring', 'autumn'])
      expect(
        (await h.request('PUT', `/v1/companies/${c}/campaigns/${k}`, { body: {} })).status,
      ).toBe(201);
    await h.request('POST', `/v1/companies/${c}/campaigns/spring/pause`);
    expect((await call(c, { campaignId: 'spring' })).body).toMatchObject({
      allowed: false,
      reason: 'campaign_paused',
    });
    expect((await call(c, { campaignId: 'autumn' })).body).toMatchObject({ allowed: true });
    // A campaign tollgate was never told about is not paused.
    expect((await call(c, { campaignId: 'unregistered' })).body).toMatchObject({ allowed: true });
    await h.request('POST', `/v1/companies/${c}/campaigns/spring/resume`);
    expect((await call(c, { campaignId: 'spring' })).body).toMatchObject({ allowed: true });
  });

  it('refuses calls the plan cannot price, each with its reason', async () => {
    const c = await h.company();
    await h.topUp(c, 1_000_000);
    const reasons: Array<[Record<string, unknown>, string]> = [
      [{ channel: 'fax' }, 'unknown_channel'],
      [{ channel: 'sms' }, 'not_a_call_channel'],
      [{ number: 'call me maybe' }, 'invalid_number'],
      [{ number: '12' }, 'invalid_number'],
      [{ number: '+33123456789' }, 'unauthorized_destination'],
      [{ channel: 'sip_resale' }, 'price_unknown'],
    ];
    for (const [extra, reason] of reasons)
      expect((await call(c, extra)).body, reason).toMatchObject({
        allowed: false,
        reason,
        maxSeconds: 0,
      });
    // A national number is read in the plan's default region (GB).
    expect((await call(c, { number: '07700 900123' })).body).toMatchObject({ allowed: true });
  });

  it('refuses with no_active_plan before the plan starts', async () => {
    const c = await h.company();
    await h.topUp(c, 1_000_000);
    const saved = h.nowMs;
    h.nowMs = Date.parse('2024-06-01T00:00:00Z');
    try {
      expect((await call(c)).body).toMatchObject({ allowed: false, reason: 'no_active_plan' });
    } finally {
      h.nowMs = saved;
    }
  });

  it('limits a call by what the spending cap leaves, and refuses once it is reached', async () => {
    const c = await h.company({ spendingCapMicros: 300_000 });
    await h.topUp(c, 10_000_000);
    expect((await call(c)).body).toMatchObject({
      allowed: true,
      maxSeconds: 300,
      limitedBy: 'spending_cap',
      capRemainingMicros: 300_000,
    });
    await h.charge(c, 299_500); // 500 left: less than one second
    expect((await call(c)).body).toMatchObject({
      allowed: false,
      reason: 'spending_cap_reached',
      capRemainingMicros: 500,
    });
    await h.charge(c, 500); // reached: recorded, campaigns paused
    expect((await call(c)).body).toMatchObject({
      allowed: false,
      reason: 'spending_cap_reached',
      capRemainingMicros: 0,
    });
  });

  it('does not gate a monthly-invoice company on its balance', async () => {
    const c = await h.company({ billingMode: 'monthly_invoice' });
    expect((await call(c)).body).toMatchObject({
      allowed: true,
      maxSeconds: 7200,
      limitedBy: 'max_call_length',
      balanceMicros: 0,
    });
  });

  it('answers from Redis alone once warm, and rebuilds what Redis lost', async () => {
    const c = await h.company();
    await h.topUp(c, 1_000_000);
    await call(c); // warm
    let queries = 0;
    const pool = h.db.pool;
    const original = { query: pool.query.bind(pool), connect: pool.connect.bind(pool) };
    pool.query = ((...args: Parameters<typeof pool.query>) => {
      queries++;
      return original.query(...args);
    }) as typeof pool.query;
    pool.connect = ((...args: Parameters<typeof pool.connect>) => {
      queries++;
      return original.connect(...args);
    }) as typeof pool.connect;
    try {
      for (let i = 0; i < 20; i++) expect((await call(c)).body).toMatchObject({ allowed: true });
      expect(queries).toBe(0);
    } finally {
      pool.query = original.query;
      pool.connect = original.connect;
    }
    // Redis restarted empty: the company's copy and its wallet come back from Postgres.
    const mirror = h.billing.mirror.keys(c);
    const wallet = h.wallets.keys(c);
    await h.redis.del(mirror.profile, mirror.campaignPauses, wallet.wallet, wallet.holds);
    await h.redis.del(h.keys.mirrorKey);
    // ...and so did its scripts: the call gate's read is sent again as a script text.
    await h.redis.script('FLUSH');
    expect((await call(c)).body).toMatchObject({ allowed: true, balanceMicros: 1_000_000 });
  });

  it('answers 404 for an unknown company, and keeps dialer keys to their company', async () => {
    expect((await call('no-such-company')).status).toBe(404);
    expect((await call('no-such-company')).body).toEqual({
      error: { code: 'company_not_found', message: 'no company "no-such-company"' },
    });
    const mine = await h.company();
    const theirs = await h.company();
    await h.topUp(mine, 1_000_000);
    const dialer = await h.token('dialer', mine);
    expect(
      (await h.authorize({ companyId: mine, channel: 'voice', number: ukMobile }, dialer)).body,
    ).toMatchObject({ allowed: true });
    const other = await h.authorize(
      { companyId: theirs, channel: 'voice', number: ukMobile },
      dialer,
    );
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ error: { code: 'company_not_found' } });
    // A dialer platform's key, bound to no company, may ask about any company.
    const platform = await h.token('dialer', null);
    expect(
      (await h.authorize({ companyId: theirs, channel: 'voice', number: ukMobile }, platform)).body,
    ).toMatchObject({ allowed: false, reason: 'zero_balance' });
    // A dialer key is for authorize only.
    const wallet = await h.request('GET', `/v1/companies/${mine}/wallet`, { token: dialer });
    expect(wallet.status).toBe(403);
    expect(wallet.body).toMatchObject({ error: { code: 'forbidden_role' } });
  });

  it('names the field of a malformed request', async () => {
    const res = await h.authorize({ companyId: 'acme', channel: 'voice' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'missing_field', field: 'number' } });
  });
});
