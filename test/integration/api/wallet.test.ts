// The wallet over HTTP on the real stack: idempotent money movements through the Lua script and
// the ledger (replays, concurrent replays, lost markers, keys scoped by company), insufficient
// funds, double entry, and the billing page's view (status, banner, month, estimate).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainFaults, unbalancedTransfers } from '../../../src/ledger/ledger-reader.js';
import { ApiHarness } from './harness.js';

describe('wallet', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await ApiHarness.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  const move = (companyId: string, key: string, body: Record<string, unknown>, token?: string) =>
    h.request('POST', `/v1/companies/${companyId}/wallet/transactions`, {
      headers: { 'idempotency-key': key },
      body,
      ...(token === undefined ? {} : { token }),
    });
  const ledgerRows = async (companyId: string) =>
    (
      await h.db.pool.query<{ kind: string; amount_micros: bigint }>(
        'select kind, amount_micros from ledger_transfers where company_id = $1 order by wallet_seq',
        [companyId],
      )
    ).rows.map((r) => [r.kind, Number(r.amount_micros)]);
  const balance = async (companyId: string) =>
    (await h.request('GET', `/v1/companies/${companyId}/wallet`)).body.balanceMicros;

  it('applies a top-up once, however often it is replayed', async () => {
    const c = await h.company();
    const first = await move(c, 'invoice-2026-0042', {
      type: 'balance_added',
      amountMicros: 25_000_000,
      reference: 'INV-0042',
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      eventId: `api:${c}:invoice-2026-0042`,
      companyId: c,
      type: 'balance_added',
      amountMicros: 25_000_000,
      balanceAfterMicros: 25_000_000,
      walletSeq: 1,
      description: 'INV-0042',
    });
    const replay = await move(c, 'invoice-2026-0042', {
      type: 'balance_added',
      amountMicros: 25_000_000,
      reference: 'INV-0042',
    });
    expect(replay).toEqual(first);

    // Concurrent replays of a new key: one movement, one answer.
    const burst = await Promise.all(
      Array.from({ length: 12 }, () =>
        move(c, 'grant-7', { type: 'complimentary_credit', amountMicros: 1_000_000 }),
      ),
    );
    expect(new Set(burst.map((r) => JSON.stringify(r)))).toEqual(
      new Set([JSON.stringify(burst[0])]),
    );
    expect(burst[0]!.status).toBe(200);

    // Redis forgot the event (its marker expired): the ledger still answers the replay.
    await h.redis.del(h.wallets.keys(c).event(`api:${c}:invoice-2026-0042`));
    expect(
      await move(c, 'invoice-2026-0042', {
        type: 'balance_added',
        amountMicros: 25_000_000,
        reference: 'INV-0042',
      }),
    ).toEqual(first);
    // ... without touching the wallet in Redis (no second application to undo).
    expect(await h.wallets.peek(c)).toEqual({ balanceMicros: 26_000_000, heldMicros: 0, seq: 2 });

    expect(await ledgerRows(c)).toEqual([
      ['balance_added', 25_000_000],
      ['complimentary_credit', 1_000_000],
    ]);
    expect(await balance(c)).toBe(26_000_000);
  });

  it('refuses a key reused for a different transaction', async () => {
    const c = await h.company();
    await move(c, 'k-1', { type: 'balance_added', amountMicros: 1_000_000 });
    for (const body of [
      { type: 'balance_added', amountMicros: 2_000_000 },
      { type: 'refund', amountMicros: 1_000_000 },
    ]) {
      const res = await move(c, 'k-1', body);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({
        error: { code: 'idempotency_key_reused', field: 'Idempotency-Key' },
      });
    }
    expect(await balance(c)).toBe(1_000_000);
  });

  it('scopes idempotency keys by company', async () => {
    const a = await h.company();
    const b = await h.company();
    const ra = await move(a, 'same-key', { type: 'balance_added', amountMicros: 1_000_000 });
    const rb = await move(b, 'same-key', { type: 'balance_added', amountMicros: 3_000_000 });
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(ra.body.eventId).not.toBe(rb.body.eventId);
    expect([await balance(a), await balance(b)]).toEqual([1_000_000, 3_000_000]);
  });

  it('refunds, grants, removes and adjusts credit as balanced ledger transfers', async () => {
    const c = await h.company();
    await move(c, 't1', { type: 'balance_added', amountMicros: 10_000_000 });
    await move(c, 't2', { type: 'refund', amountMicros: 500_000, description: 'dropped call' });
    await move(c, 't3', { type: 'complimentary_credit', amountMicros: 2_000_000 });
    const tooMuch = await move(c, 't4', { type: 'debit', amountMicros: 12_500_001 });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body).toMatchObject({
      error: { code: 'insufficient_funds', field: 'amountMicros' },
    });
    const debit = await move(c, 't4', { type: 'debit', amountMicros: 2_000_000 });
    expect(debit.body).toMatchObject({ amountMicros: -2_000_000, balanceAfterMicros: 10_500_000 });
    const adjust = await move(c, 't5', { type: 'adjustment', amountMicros: -250_000 });
    expect(adjust.body).toMatchObject({ amountMicros: -250_000, balanceAfterMicros: 10_250_000 });
    expect(await ledgerRows(c)).toEqual([
      ['balance_added', 10_000_000],
      ['refund', 500_000],
      ['complimentary_credit', 2_000_000],
      ['debit', -2_000_000],
      ['adjustment', -250_000],
    ]);
    expect(await unbalancedTransfers(h.db.pool)).toEqual([]);
    expect(await chainFaults(h.db.pool)).toEqual([]);
    expect((await h.wallets.view(c)).balanceMicros).toBe(10_250_000);
  });

  it('needs an admin key and an Idempotency-Key to move money', async () => {
    const c = await h.company();
    const own = await h.token('company', c);
    const byCompany = await move(c, 'k', { type: 'balance_added', amountMicros: 1 }, own);
    expect(byCompany.status).toBe(403);
    expect(byCompany.body).toMatchObject({ error: { code: 'forbidden_role' } });
    const noKey = await h.request('POST', `/v1/companies/${c}/wallet/transactions`, {
      body: { type: 'balance_added', amountMicros: 1 },
    });
    expect(noKey.status).toBe(400);
    expect(noKey.body).toMatchObject({
      error: { code: 'missing_field', field: 'idempotency-key' },
    });
    const unknown = await move('no-such-co', 'k', { type: 'balance_added', amountMicros: 1 });
    expect(unknown.status).toBe(404);
    for (const [body, field] of [
      [{ type: 'balance_added', amountMicros: 0 }, 'amountMicros'],
      [{ type: 'debit', amountMicros: -5 }, 'amountMicros'],
      [{ type: 'adjustment', amountMicros: 0 }, 'amountMicros'],
      [{ type: 'balance_added', amountMicros: 1.5 }, 'amountMicros'],
      [{ type: 'gift', amountMicros: 1 }, 'type'],
    ] as const) {
      const res = await move(c, 'v', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ error: { field } });
    }
    expect(await ledgerRows(c)).toEqual([]);
  });

  it('shows status, the low-balance banner, month spend and the add-balance estimate', async () => {
    h.nowMs = Date.parse('2026-11-16T00:00:00Z'); // half of November gone (UTC)
    const c = await h.company({
      lowBalanceThresholdMicros: 5_000_000,
      spendingCapMicros: 20_000_000,
    });
    const empty = await h.request('GET', `/v1/companies/${c}/wallet?amountMicros=10000000`);
    expect(empty.body).toMatchObject({
      status: 'Paused',
      statusReasons: ['zero_balance'],
      lowBalance: true,
      balanceMicros: 0,
      estimate: {
        amountMicros: 10_000_000,
        destination: null,
        channels: [
          { channel: 'voice', seconds: null, minutes: null, unavailable: 'destination_required' },
          // The seeds' example: 10 USD at 0.02 per minute buys 500 minutes.
          { channel: 'whatsapp_call', seconds: 30_000, minutes: 500, unavailable: null },
          { channel: 'sip_resale', seconds: null, minutes: null, unavailable: 'not_predictable' },
        ],
      },
    });
    await h.topUp(c, 8_000_000);
    await h.charge(c, 2_000_000);
    const view = await h.request(
      'GET',
      `/v1/companies/${c}/wallet?amountMicros=10000000&destination=%2B447700900123`,
    );
    expect(view.body).toMatchObject({
      companyId: c,
      currency: 'USD',
      billingMode: 'refillable_wallet',
      status: 'Active',
      statusReasons: [],
      balanceMicros: 6_000_000,
      heldMicros: 0,
      availableMicros: 6_000_000,
      lowBalance: false,
      lowBalanceThresholdMicros: 5_000_000,
      month: {
        month: '2026-11',
        timeZone: 'UTC',
        startsAt: '2026-11-01T00:00:00.000Z',
        endsAt: '2026-12-01T00:00:00.000Z',
        spentMicros: 2_000_000,
        projectedMicros: 4_000_000,
        spendingCapMicros: 20_000_000,
        capRemainingMicros: 18_000_000,
        capReached: false,
      },
      estimate: {
        destination: '+447700900123',
        // 0.06 per minute per second: 10 USD is 10,000 s (a 7,200 s call, then 2,800 s).
        channels: expect.arrayContaining([
          { channel: 'voice', seconds: 10_000, minutes: 166, unavailable: null },
        ]),
      },
    });
    await h.charge(c, 1_000_001);
    expect((await h.request('GET', `/v1/companies/${c}/wallet`)).body).toMatchObject({
      lowBalance: true,
      estimate: null,
    });
  });
});
