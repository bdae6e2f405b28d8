// The spending-cap state Postgres records: whether a company's cap is reached (and for which
// month), and which warnings were already sent this month. Amounts are integer micro-units.
import type { Db } from './company-records.js';
import type { CompanyMonth } from './month-spend.js';

/** First day ("2026-11-01") of the month each company's cap is recorded as reached in. */
export async function reachedMonths(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  const res = await db.query<{ company_id: string; reached_month: string }>(
    `select company_id, reached_month::text as reached_month
       from company_cap_state where company_id = any($1::text[])`,
    [ids],
  );
  return new Map(res.rows.map((r) => [r.company_id, r.reached_month]));
}

/** Companies that have a cap or a recorded cap state: the ones a cap check may concern. */
export async function cappedCompanies(db: Db, ids?: readonly string[]): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    `select c.id from companies c
      where ($1::text[] is null or c.id = any($1::text[]))
        and (c.spending_cap_micros is not null
             or exists (select 1 from company_cap_state s where s.company_id = c.id))
      order by c.id`,
    [ids ?? null],
  );
  return res.rows.map((r) => r.id);
}

export async function recordCapReached(
  db: Db,
  companyId: string,
  month: string,
  spentMicros: bigint,
  capMicros: bigint,
  atMs: number,
): Promise<void> {
  await db.query(
    `insert into company_cap_state (company_id, reached_month, reached_at, spent_micros, cap_micros)
     values ($1, $2::date, $3, $4::bigint, $5::bigint)
     on conflict (company_id) do update set reached_month = excluded.reached_month,
       reached_at = excluded.reached_at, spent_micros = excluded.spent_micros,
       cap_micros = excluded.cap_micros`,
    [companyId, month, new Date(atMs).toISOString(), String(spentMicros), String(capMicros)],
  );
}

export async function clearCapReached(db: Db, companyId: string): Promise<void> {
  await db.query('delete from company_cap_state where company_id = $1', [companyId]);
}

/** Notice kinds already sent, per company, for the given months. */
export async function sentNotices(
  db: Db,
  pairs: readonly CompanyMonth[],
): Promise<Map<string, Set<string>>> {
  const sent = new Map<string, Set<string>>();
  if (pairs.length === 0) return sent;
  const res = await db.query<{ company_id: string; kind: string }>(
    `select n.company_id, n.kind
       from billing_notices n
       join unnest($1::text[], $2::date[]) as k(company_id, month) using (company_id, month)`,
    [pairs.map((p) => p.companyId), pairs.map((p) => p.month)],
  );
  for (const r of res.rows) {
    const kinds = sent.get(r.company_id) ?? new Set<string>();
    kinds.add(r.kind);
    sent.set(r.company_id, kinds);
  }
  return sent;
}

/** Records a notice as sent; false when it already was (another replica got there first). */
export async function recordNotice(
  db: Db,
  companyId: string,
  month: string,
  kind: string,
): Promise<boolean> {
  const res = await db.query(
    `insert into billing_notices (company_id, month, kind) values ($1, $2::date, $3)
     on conflict do nothing`,
    [companyId, month, kind],
  );
  return res.rowCount === 1;
}
