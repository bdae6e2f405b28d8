// Appends one consumed chunk's money movements to the ledger in a single transaction: one
// statement writes the transfers and both entry lines of each from one JSON document, one
// places the holds, one closes them, one records refusals (the last three by `unnest`).
// Idempotent: an event already recorded is skipped and reported, so the caller can tell Redis
// applied it twice. Amounts are integer micro-units.
import type pg from 'pg';
import { DependencyError, TollgateError } from '../errors/tollgate-error.js';

export type TransferKind =
  'usage' | 'balance_added' | 'refund' | 'complimentary_credit' | 'debit' | 'adjustment';

export type Account =
  'wallet' | 'revenue' | 'funding' | 'complimentary_expense' | 'refunds' | 'adjustments';

/** The system account on the other side of each kind of transfer (double entry). */
export const counterAccount: Readonly<Record<TransferKind, Account>> = {
  usage: 'revenue',
  balance_added: 'funding',
  refund: 'refunds',
  complimentary_credit: 'complimentary_expense',
  debit: 'funding',
  adjustment: 'adjustments',
};

/** Report details carried on the wallet line (the seeds' transaction and usage reports). */
export interface EntryDetails {
  readonly description?: string | undefined;
  readonly channel?: string | undefined;
  readonly campaignId?: string | undefined;
  readonly applicationId?: string | undefined;
  readonly managerId?: string | undefined;
  readonly managerEmail?: string | undefined;
  readonly number?: string | undefined;
  readonly country?: string | undefined;
  readonly callStatus?: string | undefined;
  readonly callStartedAt?: number | undefined;
  readonly callEndedAt?: number | undefined;
  readonly durationSeconds?: number | undefined;
  readonly billedSeconds?: number | undefined;
  readonly billedUnits?: number | undefined;
  /** Price per minute (calls) or per unit (messages) that was applied, micro-units. */
  readonly rateMicros?: number | undefined;
  readonly providerCostMicros?: number | undefined;
  readonly overrunMicros?: number | undefined;
}

export interface TransferRecord {
  readonly eventId: string;
  readonly companyId: string;
  readonly kind: TransferKind;
  /** Per-wallet sequence number handed out by the Redis script. */
  readonly seq: number;
  readonly callId?: string | undefined;
  /** Signed change of the wallet, micro-units (negative for usage and debits). */
  readonly amountMicros: number;
  readonly balanceAfterMicros: number;
  readonly occurredAt: number;
  readonly details: EntryDetails;
}

export interface HoldOpened {
  readonly companyId: string;
  readonly callId: string;
  readonly eventId: string;
  readonly channel: string;
  readonly number: string;
  readonly amountMicros: number;
  readonly coveredSeconds: number;
  readonly startedAt: number;
  readonly expiresAt: number;
}

export interface HoldClosed {
  readonly companyId: string;
  readonly callId: string;
  readonly reason: 'settled' | 'expired' | 'cut_off';
}

export interface Refusal {
  readonly eventId: string;
  readonly companyId: string;
  readonly callId: string;
  readonly reason: string;
  readonly availableMicros: number;
  readonly requiredMicros: number;
  readonly occurredAt: number;
}

export interface LedgerBatch {
  readonly transfers: readonly TransferRecord[];
  readonly holdsOpened: readonly HoldOpened[];
  readonly holdsClosed: readonly HoldClosed[];
  readonly refusals: readonly Refusal[];
}

export interface LedgerWriteResult {
  /** Event ids whose transfer was already in the ledger (a replay). */
  readonly alreadyRecorded: ReadonlySet<string>;
  /** Event ids refused because their call was already charged under another event id. */
  readonly duplicateCallCharges: ReadonlySet<string>;
  /** Holds not recorded because their call was already charged (a start redelivered late). */
  readonly holdsOfChargedCalls: readonly HoldOpened[];
}

/** Redis handed out a wallet_seq the ledger already has: Redis and the ledger diverged. */
export class LedgerDivergenceError extends TollgateError {
  constructor(
    readonly companyIds: readonly string[],
    cause: unknown,
  ) {
    super('ledger_divergence', `wallet sequence clash for ${companyIds.join(', ')}`, {
      retriable: true,
      cause,
      context: { companyIds },
    });
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export async function writeLedgerBatch(
  pool: pg.Pool,
  batch: LedgerBatch,
): Promise<LedgerWriteResult> {
  const client = await pool.connect().catch((err: unknown) => {
    throw new DependencyError(
      'postgres_unavailable',
      `cannot reach Postgres: ${(err as Error).message}`,
      { cause: err },
    );
  });
  try {
    await client.query('begin');
    const result = await writeInTransaction(client, batch);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    const e = err as { code?: string; constraint?: string };
    if (e.code === '23505' && e.constraint === 'ledger_transfers_company_id_wallet_seq_key') {
      throw new LedgerDivergenceError([...new Set(batch.transfers.map((t) => t.companyId))], err);
    }
    if (err instanceof TollgateError) throw err;
    throw new DependencyError(
      'ledger_write_failed',
      `ledger write failed: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    client.release();
  }
}

async function writeInTransaction(
  client: pg.PoolClient,
  batch: LedgerBatch,
): Promise<LedgerWriteResult> {
  const alreadyRecorded = new Set<string>();
  const duplicateCallCharges = new Set<string>();
  // An event id twice in one chunk (a producer's retry) is recorded once: the later copy is a
  // replay of the first.
  const transfers: TransferRecord[] = [];
  const ids = new Set<string>();
  for (const t of batch.transfers) {
    if (ids.has(t.eventId)) alreadyRecorded.add(t.eventId);
    else {
      ids.add(t.eventId);
      transfers.push(t);
    }
  }

  let holdsOfChargedCalls: HoldOpened[] = [];
  if (batch.holdsOpened.length > 0) {
    const h = batch.holdsOpened;
    // A start redelivered after its call was charged must not reopen the hold: such holds are
    // reported (the caller releases them in Redis) and not inserted. One look-up per hold.
    // Before this chunk's transfers: a call that starts and ends within the chunk has its hold
    // recorded, and closed below.
    const charged = await client.query<{ company_id: string; call_id: string }>(
      `with h as materialized (
         select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[],
                              $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[])
                    as h(company_id, call_id, event_id, amount_micros, covered_seconds, started_at,
                         expires_at, channel, number)),
       charged as materialized (
         select h.company_id, h.call_id from h
          where exists (select 1 from ledger_transfers t
                         where t.company_id = h.company_id and t.call_id = h.call_id)),
       placed as (
         insert into call_holds
           (company_id, call_id, event_id, amount_micros, covered_seconds, started_at, expires_at,
            channel, number)
         select * from h
          where not exists (select 1 from charged c
                             where c.company_id = h.company_id and c.call_id = h.call_id)
         on conflict do nothing)
       select company_id, call_id from charged`,
      [
        h.map((x) => x.companyId),
        h.map((x) => x.callId),
        h.map((x) => x.eventId),
        h.map((x) => String(x.amountMicros)),
        h.map((x) => x.coveredSeconds),
        h.map((x) => iso(x.startedAt)),
        h.map((x) => iso(x.expiresAt)),
        h.map((x) => x.channel),
        h.map((x) => x.number),
      ],
    );
    const done = new Set(charged.rows.map((r) => `${r.company_id}\u0000${r.call_id}`));
    holdsOfChargedCalls = h.filter((x) => done.has(`${x.companyId}\u0000${x.callId}`));
  }
  if (transfers.length > 0) {
    const rows = transferRows(transfers);
    // Fast path: a plain insert, which checks each unique key once, as it inserts. A conflict
    // (a replay, a call already charged, a sequence clash) undoes it, and the chunk is written
    // again skipping whatever conflicts, then each skipped transfer is told apart.
    await client.query('savepoint transfers');
    let res: pg.QueryResult<{ event_id: string }>;
    try {
      res = await client.query<{ event_id: string }>(insertTransfersSql(''), [rows]);
    } catch (err) {
      if ((err as { code?: string }).code !== '23505') throw err;
      await client.query('rollback to savepoint transfers');
      res = await client.query<{ event_id: string }>(insertTransfersSql('on conflict do nothing'), [
        rows,
      ]);
    }
    if (res.rows.length < transfers.length) {
      const inserted = new Set(res.rows.map((r) => r.event_id));
      const skipped = transfers.filter((t) => !inserted.has(t.eventId));
      const clashes = await classifySkipped(client, skipped, alreadyRecorded, duplicateCallCharges);
      if (clashes.length > 0) {
        throw new LedgerDivergenceError(
          [...new Set(batch.transfers.map((t) => t.companyId))],
          new Error(`wallet_seq already recorded, events ${clashes.join(', ')}`),
        );
      }
    }
  }

  if (batch.holdsClosed.length > 0) {
    const h = batch.holdsClosed;
    await client.query(
      `update call_holds set closed_at = now(), close_reason = c.reason
         from unnest($1::text[], $2::text[], $3::text[]) as c(company_id, call_id, reason)
        where call_holds.company_id = c.company_id and call_holds.call_id = c.call_id
          and call_holds.closed_at is null`,
      [h.map((x) => x.companyId), h.map((x) => x.callId), h.map((x) => x.reason)],
    );
  }
  if (batch.refusals.length > 0) {
    const r = batch.refusals;
    await client.query(
      `insert into call_refusals (event_id, company_id, call_id, reason, available_micros, required_micros, occurred_at)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::timestamptz[])
       on conflict (event_id) do nothing`,
      [
        r.map((x) => x.eventId),
        r.map((x) => x.companyId),
        r.map((x) => x.callId),
        r.map((x) => x.reason),
        r.map((x) => String(x.availableMicros)),
        r.map((x) => String(x.requiredMicros)),
        r.map((x) => iso(x.occurredAt)),
      ],
    );
  }
  return { alreadyRecorded, duplicateCallCharges, holdsOfChargedCalls };
}

/**
 * Why each transfer of `skipped` was not inserted: its call already charged under another event
 * id (added to `duplicateCallCharges`), or the event already recorded (`alreadyRecorded`).
 * Returns the rest, whose only possible conflict is their wallet_seq: Redis and the ledger
 * diverged.
 */
async function classifySkipped(
  client: pg.PoolClient,
  skipped: readonly TransferRecord[],
  alreadyRecorded: Set<string>,
  duplicateCallCharges: Set<string>,
): Promise<string[]> {
  const res = await client.query<{
    event_id: string;
    recorded: boolean;
    charged_by: string | null;
  }>(
    `select x.event_id,
            exists (select 1 from ledger_transfers t where t.event_id = x.event_id) as recorded,
            (select c.event_id from ledger_transfers c
              where c.company_id = x.company_id and c.call_id = x.call_id) as charged_by
       from unnest($1::text[], $2::text[], $3::text[]) as x(event_id, company_id, call_id)`,
    [
      skipped.map((t) => t.eventId),
      skipped.map((t) => t.companyId),
      skipped.map((t) => t.callId ?? null),
    ],
  );
  const clashes: string[] = [];
  for (const r of res.rows) {
    if (r.charged_by !== null && r.charged_by !== r.event_id) duplicateCallCharges.add(r.event_id);
    else if (r.recorded) alreadyRecorded.add(r.event_id);
    else clashes.push(r.event_id);
  }
  return clashes;
}

/**
 * One statement for the transfers and their two entry lines each: the wallet's, with details
 * and balance-after, and its counterpart on the system account. Lines are written only for the
 * transfers inserted, so a replay adds none. `onConflict` is empty on the fast path.
 *
 * Times come as epoch milliseconds: `ms * interval '1 ms'` is exact (ms × 1000 µs stays an
 * integer below 2^53 for any plausible time) and cheaper for Postgres than parsing ISO text.
 */
const insertTransfersSql = (onConflict: string) => `
  with r as materialized (
    select r->>0 as event_id, r->>1 as company_id, r->>2 as kind, (r->>3)::bigint as wallet_seq,
           r->>4 as call_id, (r->>5)::bigint as amount_micros,
           (r->>6)::bigint as balance_after_micros,
           timestamptz 'epoch' + (r->>7)::bigint * interval '1 ms' as occurred_at,
           r->>8 as counter_account, r->>9 as description, r->>10 as channel,
           r->>11 as campaign_id, r->>12 as application_id, r->>13 as manager_id,
           r->>14 as manager_email, r->>15 as number, r->>16 as country, r->>17 as call_status,
           timestamptz 'epoch' + (r->>18)::bigint * interval '1 ms' as call_started_at,
           timestamptz 'epoch' + (r->>19)::bigint * interval '1 ms' as call_ended_at,
           (r->>20)::int as duration_seconds, (r->>21)::int as billed_seconds,
           (r->>22)::int as billed_units, (r->>23)::bigint as rate_micros,
           (r->>24)::bigint as provider_cost_micros, (r->>25)::bigint as overrun_micros
      from jsonb_array_elements($1::jsonb) as r),
  t as (
    insert into ledger_transfers
      (event_id, company_id, kind, wallet_seq, call_id, amount_micros, balance_after_micros,
       occurred_at)
    select event_id, company_id, kind, wallet_seq, call_id, amount_micros, balance_after_micros,
           occurred_at
      from r
    ${onConflict}
    returning event_id),
  lines as (
    insert into ledger_entries
      (event_id, company_id, account, amount_micros, balance_after_micros, kind, description,
       occurred_at, channel, campaign_id, application_id, manager_id, manager_email, number,
       country, call_id, call_status, call_started_at, call_ended_at, duration_seconds,
       billed_seconds, billed_units, rate_micros, provider_cost_micros, overrun_micros)
    select r.event_id, r.company_id, l.account, l.amount_micros, l.balance_after_micros, r.kind,
           l.description, r.occurred_at, l.channel, l.campaign_id, l.application_id, l.manager_id,
           l.manager_email, l.number, l.country, l.call_id, l.call_status, l.call_started_at,
           l.call_ended_at, l.duration_seconds, l.billed_seconds, l.billed_units, l.rate_micros,
           l.provider_cost_micros, l.overrun_micros
      from r join t using (event_id)
      cross join lateral (values
        ('wallet', r.amount_micros, r.balance_after_micros, r.description, r.channel,
         r.campaign_id, r.application_id, r.manager_id, r.manager_email, r.number, r.country,
         r.call_id, r.call_status, r.call_started_at, r.call_ended_at, r.duration_seconds,
         r.billed_seconds, r.billed_units, r.rate_micros, r.provider_cost_micros,
         r.overrun_micros),
        (r.counter_account, -r.amount_micros, null, null, null, null, null, null, null, null,
         null, null, null, null, null, null, null, null, null, null, 0)
      ) as l(account, amount_micros, balance_after_micros, description, channel, campaign_id,
             application_id, manager_id, manager_email, number, country, call_id, call_status,
             call_started_at, call_ended_at, duration_seconds, billed_seconds, billed_units,
             rate_micros, provider_cost_micros, overrun_micros))
  select event_id from t`;

const int = (n: number | undefined) => (n === undefined ? null : String(n));

/**
 * The JSON document of `insertTransfersSql`, one array per transfer. JSON.stringify builds it in
 * one native pass, where pg's array literals cost far more CPU and garbage per value; numbers go
 * as strings, which Postgres casts faster than JSON numbers (no numeric detour).
 */
function transferRows(transfers: readonly TransferRecord[]): string {
  const rows: unknown[] = [];
  for (const t of transfers) {
    const d = t.details;
    rows.push([
      t.eventId,
      t.companyId,
      t.kind,
      String(t.seq),
      t.callId ?? null,
      String(t.amountMicros),
      String(t.balanceAfterMicros),
      String(t.occurredAt),
      counterAccount[t.kind],
      d.description ?? null,
      d.channel ?? null,
      d.campaignId ?? null,
      d.applicationId ?? null,
      d.managerId ?? null,
      d.managerEmail ?? null,
      d.number ?? null,
      d.country ?? null,
      d.callStatus ?? null,
      int(d.callStartedAt),
      int(d.callEndedAt),
      int(d.durationSeconds),
      int(d.billedSeconds),
      int(d.billedUnits),
      int(d.rateMicros),
      int(d.providerCostMicros),
      String(d.overrunMicros ?? 0),
    ]);
  }
  return JSON.stringify(rows);
}
