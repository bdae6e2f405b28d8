// Money moved by an admin over HTTP – top-up, refund, complimentary credit, debit, adjustment –
// through the same path as a wallet command from Kafka: the applyCredit Lua script (idempotent
// by event id), then one ledger transfer. The Idempotency-Key, scoped by company, is the event
// id; the answer is read back from the ledger, so a replay gets the very same body.
import type pg from 'pg';
import {
  LedgerDivergenceError,
  writeLedgerBatch,
  type TransferKind,
} from '../ledger/ledger-writer.js';
import type { WalletStore } from '../wallet/wallet-store.js';
import { ApiError } from './api-error.js';

export const TRANSACTION_TYPES = [
  'balance_added',
  'refund',
  'complimentary_credit',
  'debit',
  'adjustment',
] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

const effects: Readonly<Record<TransactionType, { sign: 1 | -1; floor: boolean }>> = {
  balance_added: { sign: 1, floor: false },
  refund: { sign: 1, floor: false },
  complimentary_credit: { sign: 1, floor: false },
  // Removing credit never takes the wallet below what is free (balance minus holds).
  debit: { sign: -1, floor: true },
  // A signed correction, recorded as asked.
  adjustment: { sign: 1, floor: false },
};

export interface TransactionRequest {
  readonly type: TransactionType;
  /** Positive micro-units; for an adjustment, signed and not zero. */
  readonly amountMicros: number;
  readonly description?: string | undefined;
  readonly reference?: string | undefined;
}

export interface TransactionResult {
  readonly eventId: string;
  readonly companyId: string;
  readonly type: TransactionType;
  /** Signed change of the wallet, micro-units (negative for a debit). */
  readonly amountMicros: number;
  readonly balanceAfterMicros: number;
  readonly walletSeq: number;
  readonly occurredAt: string;
  readonly description: string | null;
}

/** The ledger event id of a company's idempotency key: two companies' keys never collide. */
export function transactionEventId(companyId: string, idempotencyKey: string): string {
  return `api:${companyId}:${idempotencyKey}`;
}

export async function applyTransaction(
  deps: { readonly pool: pg.Pool; readonly wallets: WalletStore },
  companyId: string,
  idempotencyKey: string,
  request: TransactionRequest,
  nowMs: number,
): Promise<TransactionResult> {
  const eventId = transactionEventId(companyId, idempotencyKey);
  const effect = effects[request.type];
  const amount = effect.sign * request.amountMicros;

  const recorded = await recordedTransaction(deps.pool, eventId);
  if (recorded !== null) return sameRequestOrConflict(recorded, request.type, amount);

  const moved = await deps.wallets.applyCredit(companyId, eventId, amount, effect.floor);
  if (moved.status === 'insufficient_funds')
    throw new ApiError(
      409,
      'insufficient_funds',
      `a ${request.type} of ${request.amountMicros} micro-units exceeds the available balance`,
      'amountMicros',
    );
  let alreadyRecorded: ReadonlySet<string>;
  try {
    ({ alreadyRecorded } = await writeLedgerBatch(deps.pool, {
      transfers: [
        {
          eventId,
          companyId,
          kind: request.type satisfies TransferKind,
          seq: moved.seq,
          amountMicros: amount,
          balanceAfterMicros: moved.balanceAfterMicros,
          occurredAt: nowMs,
          details: {
            description: request.description ?? request.reference ?? request.type.replace('_', ' '),
          },
        },
      ],
      holdsOpened: [],
      holdsClosed: [],
      refusals: [],
    }));
  } catch (err) {
    if (!(err instanceof LedgerDivergenceError)) throw err;
    // A concurrent replay of this key recorded the very same application first (same sequence
    // number): that is its answer too.
    const recordedMeanwhile = await recordedTransaction(deps.pool, eventId);
    if (recordedMeanwhile !== null && recordedMeanwhile.walletSeq === moved.seq)
      return sameRequestOrConflict(recordedMeanwhile, request.type, amount);
    // Otherwise Redis handed out a sequence number the ledger has: rebuild it from the ledger.
    await deps.wallets.evict(companyId);
    throw err;
  }
  const result = await recordedTransaction(deps.pool, eventId);
  if (result === null) throw new Error(`unreachable: transfer ${eventId} not in the ledger`);
  // Redis applied an event the ledger already had under another sequence number (its marker had
  // expired): the ledger is right, rebuild the wallet from it. (A concurrent replay that wrote
  // this very application first is not that: same sequence number.)
  if (alreadyRecorded.has(eventId) && moved.status === 'applied' && result.walletSeq !== moved.seq)
    await deps.wallets.evict(companyId);
  return sameRequestOrConflict(result, request.type, amount);
}

function sameRequestOrConflict(
  recorded: TransactionResult,
  type: TransactionType,
  amountMicros: number,
): TransactionResult {
  if (recorded.type !== type || recorded.amountMicros !== amountMicros)
    throw new ApiError(
      409,
      'idempotency_key_reused',
      'this Idempotency-Key was already used for a different transaction',
      'Idempotency-Key',
    );
  return recorded;
}

async function recordedTransaction(
  pool: pg.Pool,
  eventId: string,
): Promise<TransactionResult | null> {
  const res = await pool.query<{
    event_id: string;
    company_id: string;
    kind: TransactionType;
    amount_micros: bigint;
    balance_after_micros: bigint;
    wallet_seq: bigint;
    occurred_at: Date;
    description: string | null;
  }>(
    `select t.event_id, t.company_id, t.kind, t.amount_micros, t.balance_after_micros,
            t.wallet_seq, t.occurred_at,
            (select e.description from ledger_entries e
              where e.event_id = t.event_id and e.account = 'wallet' limit 1) as description
       from ledger_transfers t where t.event_id = $1`,
    [eventId],
  );
  const r = res.rows[0];
  if (r === undefined) return null;
  return {
    eventId: r.event_id,
    companyId: r.company_id,
    type: r.kind,
    amountMicros: Number(r.amount_micros),
    balanceAfterMicros: Number(r.balance_after_micros),
    walletSeq: Number(r.wallet_seq),
    occurredAt: r.occurred_at.toISOString(),
    description: r.description,
  };
}
