// Campaigns as Postgres records them, with their pause: 'manual' (the company or an admin paused
// it) or 'spending_cap' (the monthly cap paused it, and lifting the cap resumes it).
import type { Db } from './company-records.js';
import type { CampaignPause } from './call-authorization.js';

export interface Campaign {
  readonly companyId: string;
  readonly id: string;
  readonly name: string | null;
  readonly paused: boolean;
  readonly pausedReason: CampaignPause | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface Row {
  company_id: string;
  id: string;
  name: string | null;
  paused: boolean;
  paused_reason: CampaignPause | null;
  created_at: Date;
  updated_at: Date;
}

const columns = 'company_id, id, name, paused, paused_reason, created_at, updated_at';

function fromRow(r: Row): Campaign {
  return {
    companyId: r.company_id,
    id: r.id,
    name: r.name,
    paused: r.paused,
    pausedReason: r.paused_reason,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/**
 * Creates the campaign or renames it. A campaign created while the company's cap is reached
 * starts paused by the cap, like its siblings.
 */
export async function upsertCampaign(
  db: Db,
  companyId: string,
  id: string,
  name: string | null,
): Promise<{ campaign: Campaign; created: boolean }> {
  const res = await db.query<Row & { created: boolean }>(
    `insert into campaigns (company_id, id, name, paused, paused_reason)
     select $1, $2, $3, s.company_id is not null,
            case when s.company_id is not null then 'spending_cap' end
       from (select 1) one left join company_cap_state s on s.company_id = $1
     on conflict (company_id, id) do update set name = excluded.name, updated_at = now()
     returning ${columns}, (xmax = 0) as created`,
    [companyId, id, name],
  );
  const row = res.rows[0];
  if (row === undefined) throw new Error('unreachable: upsert returned no row');
  return { campaign: fromRow(row), created: row.created };
}

export async function listCampaigns(db: Db, companyId: string): Promise<Campaign[]> {
  const res = await db.query<Row>(
    `select ${columns} from campaigns where company_id = $1 order by id`,
    [companyId],
  );
  return res.rows.map(fromRow);
}

export async function getCampaign(db: Db, companyId: string, id: string): Promise<Campaign | null> {
  const res = await db.query<Row>(
    `select ${columns} from campaigns where company_id = $1 and id = $2`,
    [companyId, id],
  );
  const row = res.rows[0];
  return row === undefined ? null : fromRow(row);
}

/** Sets or clears a campaign's manual pause; returns it as it now is (null when unknown). */
export async function setCampaignManualPause(
  db: Db,
  companyId: string,
  id: string,
  paused: boolean,
): Promise<Campaign | null> {
  const res = await db.query<Row>(
    `update campaigns
        set paused = $3, paused_reason = case when $3 then 'manual' end, updated_at = now()
      where company_id = $1 and id = $2
      returning ${columns}`,
    [companyId, id, paused],
  );
  const row = res.rows[0];
  return row === undefined ? null : fromRow(row);
}

/** Pauses every active campaign of the company for the cap; returns their ids. */
export async function pauseActiveForCap(db: Db, companyId: string): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    `update campaigns set paused = true, paused_reason = 'spending_cap', updated_at = now()
      where company_id = $1 and not paused
      returning id`,
    [companyId],
  );
  return res.rows.map((r) => r.id).sort();
}

/** Resumes the campaigns the cap paused (not those paused by hand); returns their ids. */
export async function resumeCapPaused(db: Db, companyId: string): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    `update campaigns set paused = false, paused_reason = null, updated_at = now()
      where company_id = $1 and paused and paused_reason = 'spending_cap'
      returning id`,
    [companyId],
  );
  return res.rows.map((r) => r.id).sort();
}

/** Paused campaigns of each company: campaign id → pause reason. */
export async function pausedCampaigns(
  db: Db,
  companyIds: readonly string[],
): Promise<Map<string, Map<string, CampaignPause>>> {
  const res = await db.query<{ company_id: string; id: string; paused_reason: CampaignPause }>(
    `select company_id, id, paused_reason from campaigns
      where company_id = any($1::text[]) and paused`,
    [companyIds],
  );
  const byCompany = new Map<string, Map<string, CampaignPause>>();
  for (const r of res.rows) {
    const m = byCompany.get(r.company_id) ?? new Map<string, CampaignPause>();
    m.set(r.id, r.paused_reason);
    byCompany.set(r.company_id, m);
  }
  return byCompany;
}
