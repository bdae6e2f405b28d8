// Reads of the ledger that other parts need: a wallet's rebuild snapshot (balance-after and
// sequence of its last transfer, plus open holds), ledger balances for reconciliation, and the
// chain check. Amounts are integer micro-units.
import type pg from 'pg';
import type { WalletSnapshot } from '../wallet/wallet-store.js';

export async function walletSnapshot(pool: pg.Pool, companyId: string): Promise<WalletSnapshot> {
  const last = await pool.query<{ wallet_seq: bigint; balance_after_micros: bigint }>(
    `select wallet_seq, balance_after_micros from ledger_transfers
      where company_id = $1 order by wallet_seq desc limit 1`,
    [companyId],
  );
  const holds = await pool.query<{ call_id: string; amount_micros: bigint }>(
    `select call_id, amount_micros from call_holds h
      where company_id = $1 and closed_at is null
        and not exists (select 1 from ledger_transfers t where t.company_id = h.company_id and t.call_id = h.call_id)`,
    [companyId],
  );
  const row = last.rows[0];
  return {
    balanceMicros: row ? Number(row.balance_after_micros) : 0,
    seq: row ? Number(row.wallet_seq) : 0,
    holds: holds.rows.map((h) => ({ callId: h.call_id, amountMicros: Number(h.amount_micros) })),
  };
}

export interface LedgerWalletState {
  readonly companyId: string;
  readonly balanceMicros: number;
  readonly seq: number;
  readonly transfers: number;
  /** Sum of all wallet transfers; equals balanceMicros when the chain is intact. */
  readonly sumMicros: number;
  readonly openHoldsMicros: number;
}

/** Every company's wallet as the ledger records it. */
export async function ledgerWallets(pool: pg.Pool): Promise<LedgerWalletState[]> {
  const res = await pool.query<{
    id: string;
    balance: bigint | null;
    seq: bigint | null;
    transfers: bigint;
    total: bigint | null;
    held: bigint | null;
  }>(
    `select c.id,
            (select balance_after_micros from ledger_transfers t where t.company_id = c.id
              order by wallet_seq desc limit 1) as balance,
            (select max(wallet_seq) from ledger_transfers t where t.company_id = c.id) as seq,
            (select count(*) from ledger_transfers t where t.company_id = c.id) as transfers,
            (select sum(amount_micros) from ledger_transfers t where t.company_id = c.id) as total,
            (select sum(amount_micros) from call_holds h where h.company_id = c.id and h.closed_at is null
                and not exists (select 1 from ledger_transfers t
                                 where t.company_id = h.company_id and t.call_id = h.call_id)) as held
       from companies c order by c.id`,
  );
  return res.rows.map((r) => ({
    companyId: r.id,
    balanceMicros: Number(r.balance ?? 0n),
    seq: Number(r.seq ?? 0n),
    transfers: Number(r.transfers),
    sumMicros: Number(r.total ?? 0n),
    openHoldsMicros: Number(r.held ?? 0n),
  }));
}

/**
 * Per-wallet chain faults: a transfer whose balance-after is not the previous balance-after plus
 * its amount (ordered by wallet_seq), or a gap in the sequence. Empty when the ledger is sound.
 */
export async function chainFaults(
  pool: pg.Pool,
): Promise<Array<{ companyId: string; seq: number; problem: string }>> {
  const res = await pool.query<{ company_id: string; wallet_seq: bigint; problem: string }>(
    `select company_id, wallet_seq,
            case when prev_seq is not null and wallet_seq <> prev_seq + 1 then 'sequence_gap'
                 else 'balance_mismatch' end as problem
       from (select company_id, wallet_seq, amount_micros, balance_after_micros,
                    lag(wallet_seq) over w as prev_seq,
                    coalesce(lag(balance_after_micros) over w, 0) as prev_balance
               from ledger_transfers window w as (partition by company_id order by wallet_seq)) x
      where balance_after_micros <> prev_balance + amount_micros
         or (prev_seq is not null and wallet_seq <> prev_seq + 1)
         or (prev_seq is null and wallet_seq <> 1)`,
  );
  return res.rows.map((r) => ({
    companyId: r.company_id,
    seq: Number(r.wallet_seq),
    problem: r.problem,
  }));
}

/** Transfers whose lines do not sum to zero (double entry broken). Empty when sound. */
export async function unbalancedTransfers(pool: pg.Pool): Promise<string[]> {
  const res = await pool.query<{ event_id: string }>(
    `select event_id from ledger_entries group by event_id having sum(amount_micros) <> 0 or count(*) <> 2`,
  );
  return res.rows.map((r) => r.event_id);
}
