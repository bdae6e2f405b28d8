-- The HTTP API and spending caps: API keys (hashed), per-company cap warnings, month-to-date
-- spend kept beside the ledger, the cap state that pauses campaigns, warnings sent once a month,
-- and an outbox so pause/resume events and alerts are never lost between Postgres and Kafka.

-- API keys. Only the sha-256 of the token is stored; the token is shown once, at creation.
-- admin: everything; company: one company's data; dialer: authorize only (one company, or any).
create table api_keys (
  id text primary key,
  token_sha256 text not null unique check (token_sha256 ~ '^[0-9a-f]{64}$'),
  role text not null check (role in ('admin', 'company', 'dialer')),
  company_id text references companies (id),
  label text,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  check (role <> 'admin' or company_id is null),
  check (role <> 'company' or company_id is not null)
);

-- Percentages of the monthly cap at which a warning goes out (once per month each).
alter table companies
  add column cap_warning_percents smallint[] not null default '{80}'
    check (1 <= all (cap_warning_percents) and 100 > all (cap_warning_percents));

alter table campaigns
  add column name text,
  add column created_at timestamptz not null default now(),
  add constraint campaigns_paused_reason
    check ((not paused and paused_reason is null)
        or (paused and paused_reason in ('manual', 'spending_cap')));

-- Month-to-date spend per company and month, the month taken in the company's time zone.
-- Kept by a statement trigger in the very transaction that appends usage to the ledger, so it is
-- exact, counts a replayed event never (ON CONFLICT DO NOTHING rows are not in new_transfers),
-- and costs one grouped upsert per ledger batch instead of a scan of the month per check.
create table company_month_spend (
  company_id text not null references companies (id),
  -- First day of the month in the company's time zone.
  month date not null,
  spent_micros bigint not null default 0,
  primary key (company_id, month)
);

create function tollgate_count_month_spend() returns trigger language plpgsql as $$
begin
  insert into company_month_spend (company_id, month, spent_micros)
  select n.company_id,
         date_trunc('month', n.occurred_at at time zone c.time_zone)::date,
         -sum(n.amount_micros)
    from new_transfers n
    join companies c on c.id = n.company_id
   where n.kind = 'usage'
   group by 1, 2
  on conflict (company_id, month)
  do update set spent_micros = company_month_spend.spent_micros + excluded.spent_micros;
  return null;
end $$;

create trigger ledger_transfers_month_spend
  after insert on ledger_transfers
  referencing new table as new_transfers
  for each statement execute function tollgate_count_month_spend();

-- Recounting a month from the ledger (after a time-zone change) reads usage by company and time.
create index ledger_transfers_usage_time
  on ledger_transfers (company_id, occurred_at) include (amount_micros)
  where kind = 'usage';

-- Usage recorded before this migration.
insert into company_month_spend (company_id, month, spent_micros)
select t.company_id, date_trunc('month', t.occurred_at at time zone c.time_zone)::date,
       -sum(t.amount_micros)
  from ledger_transfers t
  join companies c on c.id = t.company_id
 where t.kind = 'usage'
 group by 1, 2;

-- A row exists while the company's cap is reached for `reached_month`: its campaigns are paused
-- and new calls refused. Deleted when the cap is raised or removed or the month rolls over.
create table company_cap_state (
  company_id text primary key references companies (id),
  reached_month date not null,
  reached_at timestamptz not null,
  spent_micros bigint not null,
  cap_micros bigint not null
);

-- Warnings already sent: at most one per company, month and kind (cap_warning_80,
-- projected_over_cap, ...).
create table billing_notices (
  company_id text not null references companies (id),
  month date not null,
  kind text not null,
  sent_at timestamptz not null default now(),
  primary key (company_id, month, kind)
);

-- Messages for campaigns.control and billing.alerts, written in the transaction that changes the
-- state they announce and published after it commits (at least once; the row id is the event id).
create table billing_outbox (
  id bigint generated always as identity primary key,
  topic text not null check (topic in ('campaigns_control', 'billing_alerts')),
  message_key text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz
);
create index billing_outbox_pending on billing_outbox (id) where published_at is null;
