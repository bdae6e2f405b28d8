-- tollgate's record of money. Append-only: corrections are new rows, never updates.
-- Amounts are signed bigint micro-units of the company's currency (1 USD = 1,000,000).

create table companies (
  id text primary key check (id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  name text not null,
  currency char(3) not null default 'USD',
  time_zone text not null default 'UTC',
  billing_mode text not null default 'refillable_wallet'
    check (billing_mode in ('refillable_wallet', 'monthly_invoice')),
  -- 'paused' by an account manager; Not Set Up and zero-balance pauses are derived, not stored.
  paused boolean not null default false,
  spending_cap_micros bigint check (spending_cap_micros >= 0),
  low_balance_threshold_micros bigint not null default 0 check (low_balance_threshold_micros >= 0),
  notification_recipients text[] not null default '{}',
  rate_plan text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table campaigns (
  company_id text not null references companies (id),
  id text not null,
  paused boolean not null default false,
  paused_reason text,
  updated_at timestamptz not null default now(),
  primary key (company_id, id)
);

-- One row per input event that moved money: the idempotency record (event_id) and the
-- per-wallet chain (wallet_seq is assigned atomically by the Redis Lua script; a gap or a clash
-- means Redis and the ledger diverged, and the unique key refuses the clash).
create table ledger_transfers (
  event_id text primary key,
  company_id text not null references companies (id),
  kind text not null check (kind in ('usage', 'balance_added', 'refund', 'complimentary_credit',
                                     'debit', 'adjustment')),
  wallet_seq bigint not null,
  call_id text,
  amount_micros bigint not null,
  balance_after_micros bigint not null,
  occurred_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  unique (company_id, wallet_seq)
);
-- A call is charged once, whatever event ids its ends arrive under.
create unique index ledger_transfers_one_charge_per_call
  on ledger_transfers (company_id, call_id) where call_id is not null;

-- Double-entry lines: every transfer has a line on the customer's wallet and the opposite line
-- on a system account, so the lines of a transfer sum to zero. Call and message details sit on
-- the wallet line for the transaction report. Partitioned by month of occurrence.
create table ledger_entries (
  entry_id bigint generated always as identity,
  event_id text not null,
  company_id text not null,
  account text not null check (account in ('wallet', 'revenue', 'funding', 'complimentary_expense',
                                            'refunds', 'adjustments')),
  amount_micros bigint not null,
  balance_after_micros bigint,
  kind text not null,
  description text,
  occurred_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  channel text,
  campaign_id text,
  application_id text,
  manager_id text,
  manager_email text,
  number text,
  country text,
  call_id text,
  call_status text,
  call_started_at timestamptz,
  call_ended_at timestamptz,
  duration_seconds integer,
  billed_seconds integer,
  billed_units integer,
  rate_micros bigint,
  provider_cost_micros bigint,
  overrun_micros bigint not null default 0,
  primary key (entry_id, occurred_at)
) partition by range (occurred_at);

create table ledger_entries_default partition of ledger_entries default;
create index ledger_entries_company_time on ledger_entries (company_id, occurred_at);
create index ledger_entries_event on ledger_entries (event_id);

-- Creates the monthly partitions covering [from_month, from_month + months). Called at start-up
-- for the months around now; events outside them land in the default partition.
create function tollgate_ensure_ledger_partitions(from_month date, months integer)
returns void language plpgsql as $$
declare
  m date := date_trunc('month', from_month)::date;
  name text;
begin
  for i in 0 .. months - 1 loop
    name := format('ledger_entries_%s', to_char(m, 'YYYYMM'));
    if to_regclass(name) is null then
      execute format(
        'create table %I partition of ledger_entries for values from (%L) to (%L)',
        name, to_char(m, 'YYYY-MM-DD') || ' 00:00:00+00',
        to_char((m + interval '1 month')::date, 'YYYY-MM-DD') || ' 00:00:00+00');
    end if;
    m := (m + interval '1 month')::date;
  end loop;
end $$;

-- Holds of calls in progress: the part of Redis state the ledger alone cannot rebuild.
create table call_holds (
  company_id text not null references companies (id),
  call_id text not null,
  event_id text not null unique,
  channel text not null,
  number text not null,
  amount_micros bigint not null check (amount_micros >= 0),
  covered_seconds integer not null,
  started_at timestamptz not null,
  -- When tollgate placed the hold: its cover and expiry run from here, not from the event's
  -- time, so a backlog of old events is not swept as expired the moment it is processed.
  placed_at timestamptz not null default now(),
  expires_at timestamptz not null,
  cut_off_at timestamptz,
  closed_at timestamptz,
  close_reason text,
  primary key (company_id, call_id)
);
create index call_holds_open on call_holds (expires_at) where closed_at is null;
create index call_holds_running on call_holds (placed_at) where closed_at is null and cut_off_at is null;

-- Call starts that were refused (zero balance, cap, paused...): recorded, with the reason.
create table call_refusals (
  event_id text primary key,
  company_id text not null,
  call_id text not null,
  reason text not null,
  available_micros bigint,
  required_micros bigint,
  occurred_at timestamptz not null,
  recorded_at timestamptz not null default now()
);
