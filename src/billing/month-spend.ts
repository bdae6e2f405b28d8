// Month-to-date spend as company_month_spend keeps it (a ledger trigger adds every usage transfer
// to its company's month in the company's time zone), and the recount a time-zone change needs.
// Amounts are integer micro-units (bigint).
import type pg from 'pg';
import type { Db } from './company-records.js';
import type { MonthWindow } from './month.js';

export interface CompanyMonth {
  readonly companyId: string;
  /** First day of the month, "2026-11-01". */
  readonly month: string;
}

/** Spend of each (company, month); a pair with no usage is absent (spent nothing). */
export async function spentInMonths(
  db: Db,
  pairs: readonly CompanyMonth[],
): Promise<Map<string, bigint>> {
  const spent = new Map<string, bigint>();
  if (pairs.length === 0) return spent;
  const res = await db.query<{ company_id: string; spent_micros: bigint }>(
    `select s.company_id, s.spent_micros
       from company_month_spend s
       join unnest($1::text[], $2::date[]) as k(company_id, month) using (company_id, month)`,
    [pairs.map((p) => p.companyId), pairs.map((p) => p.month)],
  );
  for (const r of res.rows) spent.set(r.company_id, r.spent_micros);
  return spent;
}

/**
 * Recounts one month of a company from the ledger – after its time zone changed, the trigger's
 * earlier rows were counted in the old zone's month. Run in the transaction that changes the
 * zone, after the change, so usage committed meanwhile is counted by the trigger in the new one.
 */
export async function recountMonth(
  client: pg.PoolClient,
  companyId: string,
  month: MonthWindow,
): Promise<void> {
  await client.query(
    `insert into company_month_spend (company_id, month, spent_micros)
     select $1, $2::date, coalesce(-sum(amount_micros), 0)
       from ledger_transfers
      where company_id = $1 and kind = 'usage'
        and occurred_at >= $3::timestamptz and occurred_at < $4::timestamptz
     on conflict (company_id, month) do update set spent_micros = excluded.spent_micros`,
    [
      companyId,
      month.firstDay,
      new Date(month.startMs).toISOString(),
      new Date(month.endMs).toISOString(),
    ],
  );
}
