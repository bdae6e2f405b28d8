// Companies as the ledger knows them: the processor refuses events of unknown companies and
// reads each company's currency and time zone from here.
import type pg from 'pg';

export interface Company {
  readonly id: string;
  readonly name: string;
  readonly currency: string;
  readonly timeZone: string;
  readonly paused: boolean;
}

export interface NewCompany {
  readonly id: string;
  readonly name: string;
  readonly currency?: string;
  readonly timeZone?: string;
  readonly notificationRecipients?: readonly string[];
}

export async function upsertCompany(pool: pg.Pool, c: NewCompany): Promise<void> {
  await pool.query(
    `insert into companies (id, name, currency, time_zone, notification_recipients)
     values ($1, $2, $3, $4, $5)
     on conflict (id) do update set name = excluded.name, updated_at = now()`,
    [c.id, c.name, c.currency ?? 'USD', c.timeZone ?? 'UTC', c.notificationRecipients ?? []],
  );
}

/** Loads the companies among `ids` that exist. */
export async function findCompanies(pool: pg.Pool, ids: readonly string[]): Promise<Company[]> {
  const res = await pool.query<{
    id: string;
    name: string;
    currency: string;
    time_zone: string;
    paused: boolean;
  }>('select id, name, currency, time_zone, paused from companies where id = any($1::text[])', [
    ids,
  ]);
  return res.rows.map((r) => ({
    id: r.id,
    name: r.name,
    currency: r.currency,
    timeZone: r.time_zone,
    paused: r.paused,
  }));
}

/** Creates the monthly ledger partitions around `now` (idempotent). */
export async function ensurePartitions(pool: pg.Pool, now = new Date()): Promise<void> {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 3, 1));
  await pool.query('select tollgate_ensure_ledger_partitions($1::date, 6)', [
    from.toISOString().slice(0, 10),
  ]);
}
