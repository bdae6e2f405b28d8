// A company's billing settings as Postgres records them (the `companies` row): read, create,
// update, pause. Amounts are integer micro-units (bigint columns read as JS bigint, returned here
// as safe-integer numbers).
import type pg from 'pg';
import type { BillingMode } from './company-status.js';

export type Db = pg.Pool | pg.PoolClient;

export interface BillingSettings {
  readonly id: string;
  readonly name: string;
  readonly currency: string;
  readonly timeZone: string;
  readonly billingMode: BillingMode;
  /** Paused by an account manager. */
  readonly paused: boolean;
  readonly spendingCapMicros: number | null;
  readonly capWarningPercents: readonly number[];
  readonly lowBalanceThresholdMicros: number;
  readonly notificationRecipients: readonly string[];
  readonly ratePlan: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The settings a company is created with; absent ones take the table's defaults. */
export interface NewCompanySettings {
  readonly id: string;
  readonly name: string;
  readonly currency?: string | undefined;
  readonly timeZone?: string | undefined;
  readonly billingMode?: BillingMode | undefined;
  readonly spendingCapMicros?: number | null | undefined;
  readonly capWarningPercents?: readonly number[] | undefined;
  readonly lowBalanceThresholdMicros?: number | undefined;
  readonly notificationRecipients?: readonly string[] | undefined;
  readonly ratePlan?: string | null | undefined;
}

/** A partial update: a field left undefined is not changed (null clears cap and rate plan). */
export type SettingsChange = Partial<Omit<NewCompanySettings, 'id' | 'currency'>>;

interface Row {
  id: string;
  name: string;
  currency: string;
  time_zone: string;
  billing_mode: BillingMode;
  paused: boolean;
  spending_cap_micros: bigint | null;
  cap_warning_percents: number[];
  low_balance_threshold_micros: bigint;
  notification_recipients: string[];
  rate_plan: string | null;
  created_at: Date;
  updated_at: Date;
}

const columns = `id, name, currency, time_zone, billing_mode, paused, spending_cap_micros,
  cap_warning_percents, low_balance_threshold_micros, notification_recipients, rate_plan,
  created_at, updated_at`;

function fromRow(r: Row): BillingSettings {
  return {
    id: r.id,
    name: r.name,
    currency: r.currency,
    timeZone: r.time_zone,
    billingMode: r.billing_mode,
    paused: r.paused,
    spendingCapMicros: r.spending_cap_micros === null ? null : Number(r.spending_cap_micros),
    capWarningPercents: r.cap_warning_percents,
    lowBalanceThresholdMicros: Number(r.low_balance_threshold_micros),
    notificationRecipients: r.notification_recipients,
    ratePlan: r.rate_plan,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export async function getBillingSettings(db: Db, id: string): Promise<BillingSettings | null> {
  const res = await db.query<Row>(`select ${columns} from companies where id = $1`, [id]);
  const row = res.rows[0];
  return row === undefined ? null : fromRow(row);
}

/** Locks the company row against concurrent settings and cap changes (not against charges). */
export async function lockBillingSettings(
  client: pg.PoolClient,
  id: string,
): Promise<BillingSettings | null> {
  const res = await client.query<Row>(
    `select ${columns} from companies where id = $1 for no key update`,
    [id],
  );
  const row = res.rows[0];
  return row === undefined ? null : fromRow(row);
}

export async function findBillingSettings(
  db: Db,
  ids: readonly string[],
): Promise<BillingSettings[]> {
  const res = await db.query<Row>(`select ${columns} from companies where id = any($1::text[])`, [
    ids,
  ]);
  return res.rows.map(fromRow);
}

/** Creates the company; null when the id is taken. */
export async function insertCompany(
  db: Db,
  c: NewCompanySettings,
): Promise<BillingSettings | null> {
  const res = await db.query<Row>(
    `insert into companies (id, name, currency, time_zone, billing_mode, spending_cap_micros,
                            cap_warning_percents, low_balance_threshold_micros,
                            notification_recipients, rate_plan)
     values ($1, $2, coalesce($3, 'USD'), coalesce($4, 'UTC'), coalesce($5, 'refillable_wallet'),
             $6::bigint, coalesce($7::smallint[], '{80}'), coalesce($8::bigint, 0),
             coalesce($9::text[], '{}'), $10)
     on conflict (id) do nothing
     returning ${columns}`,
    [
      c.id,
      c.name,
      c.currency ?? null,
      c.timeZone ?? null,
      c.billingMode ?? null,
      c.spendingCapMicros === undefined || c.spendingCapMicros === null
        ? null
        : String(c.spendingCapMicros),
      c.capWarningPercents ?? null,
      c.lowBalanceThresholdMicros === undefined ? null : String(c.lowBalanceThresholdMicros),
      c.notificationRecipients ?? null,
      c.ratePlan ?? null,
    ],
  );
  const row = res.rows[0];
  return row === undefined ? null : fromRow(row);
}

/** Applies `change` to the company; null when it does not exist. */
export async function updateBillingSettings(
  db: Db,
  id: string,
  change: SettingsChange,
): Promise<BillingSettings | null> {
  // Each column: keep it unless the change names it ($n is a flag, $n+1 the value).
  const res = await db.query<Row>(
    `update companies set
       name = case when $2 then $3 else name end,
       time_zone = case when $4 then $5 else time_zone end,
       billing_mode = case when $6 then $7 else billing_mode end,
       spending_cap_micros = case when $8 then $9::bigint else spending_cap_micros end,
       cap_warning_percents = case when $10 then $11::smallint[] else cap_warning_percents end,
       low_balance_threshold_micros =
         case when $12 then $13::bigint else low_balance_threshold_micros end,
       notification_recipients =
         case when $14 then $15::text[] else notification_recipients end,
       rate_plan = case when $16 then $17 else rate_plan end,
       updated_at = now()
     where id = $1
     returning ${columns}`,
    [
      id,
      change.name !== undefined,
      change.name ?? null,
      change.timeZone !== undefined,
      change.timeZone ?? null,
      change.billingMode !== undefined,
      change.billingMode ?? null,
      change.spendingCapMicros !== undefined,
      change.spendingCapMicros === undefined || change.spendingCapMicros === null
        ? null
        : String(change.spendingCapMicros),
      change.capWarningPercents !== undefined,
      change.capWarningPercents ?? null,
      change.lowBalanceThresholdMicros !== undefined,
      change.lowBalanceThresholdMicros === undefined
        ? null
        : String(change.lowBalanceThresholdMicros),
      change.notificationRecipients !== undefined,
      change.notificationRecipients ?? null,
      change.ratePlan !== undefined,
      change.ratePlan ?? null,
    ],
  );
  const row = res.rows[0];
  return row === undefined ? null : fromRow(row);
}

/** Sets the account manager's pause; null when the company does not exist. */
export async function setCompanyPaused(
  db: Db,
  id: string,
  paused: boolean,
): Promise<BillingSettings | null> {
  const res = await db.query<Row>(
    `update companies set paused = $2, updated_at = now() where id = $1 returning ${columns}`,
    [id, paused],
  );
  const row = res.rows[0];
  return row === undefined ? null : fromRow(row);
}

/** Whether Postgres can convert times to `zone` (the ledger trigger depends on it). */
export async function postgresKnowsZone(db: Db, zone: string): Promise<boolean> {
  const res = await db.query<{ ok: boolean }>(
    'select exists (select 1 from pg_timezone_names where name = $1) as ok',
    [zone],
  );
  return res.rows[0]?.ok ?? false;
}
