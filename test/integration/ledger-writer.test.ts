// The ledger writer on real Postgres: what goes in comes back out, column by column, whatever
// the text holds (quotes, backslashes, braces, non-Latin letters) and however large the amount;
// a replayed batch is reported, not recorded twice; each kind of conflict in a batch is told
// apart from the others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertCompany } from '../../src/ledger/companies.js';
import {
  LedgerDivergenceError,
  writeLedgerBatch,
  type TransferRecord,
} from '../../src/ledger/ledger-writer.js';
import { createTestDatabase, randomId, type TestDatabase } from '../helpers/services.js';

describe('ledger writer', () => {
  let db: TestDatabase;
  const company = 'ledger-co';

  beforeAll(async () => {
    db = await createTestDatabase();
    await upsertCompany(db.pool, { id: company, name: company });
  });

  afterAll(async () => {
    await db.drop();
  });

  it('stores every column of both lines exactly, and skips a replay', async () => {
    const awkward = 'say "hi" \\ {a,b} NULL, ünïcødé 電話 📞';
    const occurredAt = Date.UTC(2026, 10, 20, 9, 30, 15, 123);
    const call: TransferRecord = {
      eventId: randomId('end-'),
      companyId: company,
      kind: 'usage',
      seq: 1,
      callId: `call "${awkward}"`,
      amountMicros: -(2 ** 53 - 1),
      balanceAfterMicros: -(2 ** 53 - 2),
      occurredAt,
      details: {
        description: awkward,
        channel: 'voice',
        campaignId: 'NULL',
        applicationId: '',
        managerId: '\\N',
        managerEmail: 'ana@example.com',
        number: '+447700900123',
        country: 'GB',
        callStatus: 'completed',
        callStartedAt: occurredAt - 61_000,
        callEndedAt: occurredAt,
        durationSeconds: 61,
        billedSeconds: 120,
        rateMicros: 20_000,
        providerCostMicros: 4_000,
        overrunMicros: 7,
      },
    };
    const topUp: TransferRecord = {
      eventId: randomId('top-'),
      companyId: company,
      kind: 'balance_added',
      seq: 2,
      amountMicros: 5_000_000,
      balanceAfterMicros: 5_000_001,
      occurredAt,
      details: {},
    };
    const batch = { transfers: [call, topUp], holdsOpened: [], holdsClosed: [], refusals: [] };
    const first = await writeLedgerBatch(db.pool, batch);
    expect([...first.alreadyRecorded]).toEqual([]);

    const rows = await db.pool.query(
      `select event_id, account, amount_micros, balance_after_micros, kind, description, occurred_at,
              channel, campaign_id, application_id, manager_id, manager_email, number, country, call_id,
              call_status, call_started_at, call_ended_at, duration_seconds, billed_seconds,
              billed_units, rate_micros, provider_cost_micros, overrun_micros
         from ledger_entries order by event_id, account`,
    );
    const at = new Date(occurredAt);
    const blank = {
      description: null,
      channel: null,
      campaign_id: null,
      application_id: null,
      manager_id: null,
      manager_email: null,
      number: null,
      country: null,
      call_id: null,
      call_status: null,
      call_started_at: null,
      call_ended_at: null,
      duration_seconds: null,
      billed_seconds: null,
      billed_units: null,
      rate_micros: null,
      provider_cost_micros: null,
      overrun_micros: 0n,
    };
    expect(rows.rows).toEqual([
      {
        ...blank,
        event_id: call.eventId,
        account: 'revenue',
        amount_micros: BigInt(2 ** 53 - 1),
        balance_after_micros: null,
        kind: 'usage',
        occurred_at: at,
      },
      {
        event_id: call.eventId,
        account: 'wallet',
        amount_micros: -BigInt(2 ** 53 - 1),
        balance_after_micros: -BigInt(2 ** 53 - 2),
        kind: 'usage',
        description: awkward,
        occurred_at: at,
        channel: 'voice',
        campaign_id: 'NULL',
        application_id: '',
        manager_id: '\\N',
        manager_email: 'ana@example.com',
        number: '+447700900123',
        country: 'GB',
        call_id: call.callId,
        call_status: 'completed',
        call_started_at: new Date(occurredAt - 61_000),
        call_ended_at: at,
        duration_seconds: 61,
        billed_seconds: 120,
        billed_units: null,
        rate_micros: 20_000n,
        provider_cost_micros: 4_000n,
        overrun_micros: 7n,
      },
      {
        ...blank,
        event_id: topUp.eventId,
        account: 'funding',
        amount_micros: -5_000_000n,
        balance_after_micros: null,
        kind: 'balance_added',
        occurred_at: at,
      },
      {
        ...blank,
        event_id: topUp.eventId,
        account: 'wallet',
        amount_micros: 5_000_000n,
        balance_after_micros: 5_000_001n,
        kind: 'balance_added',
        occurred_at: at,
      },
    ]);
    const transfers = await db.pool.query(
      `select event_id, wallet_seq, call_id, amount_micros, balance_after_micros, occurred_at
         from ledger_transfers order by wallet_seq`,
    );
    expect(transfers.rows).toEqual([
      {
        event_id: call.eventId,
        wallet_seq: 1n,
        call_id: call.callId,
        amount_micros: -BigInt(2 ** 53 - 1),
        balance_after_micros: -BigInt(2 ** 53 - 2),
        occurred_at: at,
      },
      {
        event_id: topUp.eventId,
        wallet_seq: 2n,
        call_id: null,
        amount_micros: 5_000_000n,
        balance_after_micros: 5_000_001n,
        occurred_at: at,
      },
    ]);

    const again = await writeLedgerBatch(db.pool, batch);
    expect([...again.alreadyRecorded].sort()).toEqual([call.eventId, topUp.eventId].sort());
    const count = await db.pool.query<{ n: bigint }>('select count(*) as n from ledger_entries');
    expect(count.rows[0]?.n).toBe(4n);
  });

  it('tells replays, second charges of a call and sequence clashes apart', async () => {
    const co = randomId('conflicts-');
    await upsertCompany(db.pool, { id: co, name: co });
    const at = Date.UTC(2026, 10, 20, 10, 0, 0);
    const usage = (seq: number, callId?: string): TransferRecord => ({
      eventId: randomId('ev-'),
      companyId: co,
      kind: 'usage',
      seq,
      callId,
      amountMicros: -1_000,
      balanceAfterMicros: -1_000 * seq,
      occurredAt: at,
      details: {},
    });
    const empty = { holdsOpened: [], holdsClosed: [], refusals: [] };
    const first = usage(1, 'call-a');
    await writeLedgerBatch(db.pool, { ...empty, transfers: [first] });

    const secondEndOfA = usage(2, 'call-a'); // call-a is already charged under `first`
    const endOfB = usage(3, 'call-b');
    const otherEndOfB = usage(4, 'call-b'); // charged twice within the batch
    const message = usage(5);
    const written = await writeLedgerBatch(db.pool, {
      ...empty,
      transfers: [first, secondEndOfA, endOfB, otherEndOfB, message, message],
      holdsOpened: [
        {
          companyId: co,
          callId: 'call-a', // a start redelivered after its call was charged
          eventId: randomId('start-'),
          channel: 'voice',
          number: '+447700900123',
          amountMicros: 5_000,
          coveredSeconds: 300,
          startedAt: at,
          expiresAt: at + 3_600_000,
        },
      ],
    });
    expect([...written.alreadyRecorded].sort()).toEqual([first.eventId, message.eventId].sort());
    expect([...written.duplicateCallCharges].sort()).toEqual(
      [secondEndOfA.eventId, otherEndOfB.eventId].sort(),
    );
    expect(written.holdsOfChargedCalls.map((h) => h.callId)).toEqual(['call-a']);
    const recorded = await db.pool.query<{ event_id: string; lines: number }>(
      `select t.event_id, (select count(*)::int from ledger_entries e where e.event_id = t.event_id) as lines
         from ledger_transfers t where t.company_id = $1 order by t.wallet_seq`,
      [co],
    );
    expect(recorded.rows).toEqual([
      { event_id: first.eventId, lines: 2 },
      { event_id: endOfB.eventId, lines: 2 },
      { event_id: message.eventId, lines: 2 },
    ]);
    const holds = await db.pool.query('select 1 from call_holds where company_id = $1', [co]);
    expect(holds.rowCount).toBe(0);

    // Redis handing out a sequence number the ledger already has: nothing of the batch stays.
    const fresh = usage(6);
    const clash = usage(3);
    await expect(
      writeLedgerBatch(db.pool, { ...empty, transfers: [fresh, clash] }),
    ).rejects.toBeInstanceOf(LedgerDivergenceError);
    const after = await db.pool.query('select 1 from ledger_transfers where event_id = any($1)', [
      [fresh.eventId, clash.eventId],
    ]);
    expect(after.rowCount).toBe(0);
  });
});
