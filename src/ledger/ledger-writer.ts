// Appends one consumed chunk's money movements to the ledger in a single transaction, with
// batched inserts (transfers and entries as one JSON document each, the rest by `unnest`).
// Idempotent: an event already recorded is skipped and reported, so
// the caller can tell Redis applied it twice. Amounts are integer micro-units.
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
  const duplicateCallCharges = new Set<string>();
  const callTransfers = batch.transfers.filter((t) => t.callId !== undefined);
  if (callTransfers.length > 0) {
    const charged = await client.query<{ company_id: string; call_id: string; event_id: string }>(
      `select t.company_id, t.call_id, t.event_id
         from ledger_transfers t
         join unnest($1::text[], $2::text[]) as c(company_id, call_id) using (company_id, call_id)`,
      [callTransfers.map((t) => t.companyId), callTransfers.map((t) => t.callId)],
    );
    const chargedBy = new Map(
      charged.rows.map((r) => [`${r.company_id}\u0000${r.call_id}`, r.event_id]),
    );
    for (const t of callTransfers) {
      const by = chargedBy.get(`${t.companyId}\u0000${t.callId}`);
      if (by !== undefined && by !== t.eventId) duplicateCallCharges.add(t.eventId);
    }
  }
  const transfers = batch.transfers.filter((t) => !duplicateCallCharges.has(t.eventId));

  const inserted = new Set<string>();
  if (transfers.length > 0) {
    const res = await client.query<{ event_id: string }>(
      `insert into ledger_transfers
         (event_id, company_id, kind, wallet_seq, call_id, amount_micros, balance_after_micros, occurred_at)
       select r->>0, r->>1, r->>2, (r->>3)::bigint, r->>4, (r->>5)::bigint, (r->>6)::bigint,
              (r->>7)::timestamptz
         from jsonb_array_elements($1::jsonb) as r
       on conflict (event_id) do nothing
       returning event_id`,
      [
        JSON.stringify(
          transfers.map((t) => [
            t.eventId,
            t.companyId,
            t.kind,
            t.seq,
            t.callId ?? null,
            t.amountMicros,
            t.balanceAfterMicros,
            iso(t.occurredAt),
          ]),
        ),
      ],
    );
    for (const r of res.rows) inserted.add(r.event_id);
  }
  const fresh = transfers.filter((t) => inserted.has(t.eventId));
  if (fresh.length > 0) await insertEntries(client, fresh);

  let holdsOfChargedCalls: HoldOpened[] = [];
  if (batch.holdsOpened.length > 0) {
    const h = batch.holdsOpened;
    const charged = await client.query<{ company_id: string; call_id: string }>(
      `select t.company_id, t.call_id from ledger_transfers t
         join unnest($1::text[], $2::text[]) as c(company_id, call_id) using (company_id, call_id)`,
      [h.map((x) => x.companyId), h.map((x) => x.callId)],
    );
    const done = new Set(charged.rows.map((r) => `${r.company_id}\u0000${r.call_id}`));
    holdsOfChargedCalls = h.filter((x) => done.has(`${x.companyId}\u0000${x.callId}`));
    await client.query(
      `insert into call_holds
         (company_id, call_id, event_id, amount_micros, covered_seconds, started_at, expires_at, channel, number)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::timestamptz[],
                            $7::timestamptz[], $8::text[], $9::text[])
                  as h(company_id, call_id, event_id, amount_micros, covered_seconds, started_at, expires_at,
                       channel, number)
        -- A start redelivered after its call was charged must not reopen the hold.
        where not exists (select 1 from ledger_transfers t
                           where t.company_id = h.company_id and t.call_id = h.call_id)
       on conflict do nothing`,
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

  const alreadyRecorded = new Set(
    transfers.filter((t) => !inserted.has(t.eventId)).map((t) => t.eventId),
  );
  return { alreadyRecorded, duplicateCallCharges, holdsOfChargedCalls };
}

/** Two lines per transfer: the wallet's, with details and balance-after, and its counterpart. */
async function insertEntries(
  client: pg.PoolClient,
  transfers: readonly TransferRecord[],
): Promise<void> {
  // One JSON document of rows rather than 25 array parameters: JSON.stringify builds it in one
  // native pass, where pg's array literals cost far more CPU and garbage per value.
  const rows: unknown[] = [];
  for (const t of transfers) {
    const d = t.details;
    rows.push(
      [
        t.eventId,
        t.companyId,
        'wallet',
        t.amountMicros,
        t.balanceAfterMicros,
        t.kind,
        d.description ?? null,
        iso(t.occurredAt),
        d.channel ?? null,
        d.campaignId ?? null,
        d.applicationId ?? null,
        d.managerId ?? null,
        d.managerEmail ?? null,
        d.number ?? null,
        d.country ?? null,
        t.callId ?? null,
        d.callStatus ?? null,
        iso(d.callStartedAt),
        iso(d.callEndedAt),
        d.durationSeconds ?? null,
        d.billedSeconds ?? null,
        d.billedUnits ?? null,
        d.rateMicros ?? null,
        d.providerCostMicros ?? null,
        d.overrunMicros ?? 0,
      ],
      [
        t.eventId,
        t.companyId,
        counterAccount[t.kind],
        -t.amountMicros,
        null,
        t.kind,
        null,
        iso(t.occurredAt),
      ],
    );
  }
  await client.query(
    `insert into ledger_entries
       (event_id, company_id, account, amount_micros, balance_after_micros, kind, description, occurred_at,
        channel, campaign_id, application_id, manager_id, manager_email, number, country, call_id,
        call_status, call_started_at, call_ended_at, duration_seconds, billed_seconds, billed_units,
        rate_micros, provider_cost_micros, overrun_micros)
     select r->>0, r->>1, r->>2, (r->>3)::bigint, (r->>4)::bigint, r->>5, r->>6, (r->>7)::timestamptz,
            r->>8, r->>9, r->>10, r->>11, r->>12, r->>13, r->>14, r->>15, r->>16,
            (r->>17)::timestamptz, (r->>18)::timestamptz, (r->>19)::int, (r->>20)::int,
            (r->>21)::int, (r->>22)::bigint, (r->>23)::bigint, coalesce((r->>24)::bigint, 0)
       from jsonb_array_elements($1::jsonb) as r`,
    [JSON.stringify(rows)],
  );
}
