// Keeps holds honest between a call's start and end. A running call whose hold is about to be
// used up gets a bigger hold if the balance allows, or a cut-off on calls.control if it does
// not; a hold whose call never ended is released after the plan's longest call plus a grace.
// Times run from when tollgate placed the hold. Each hold is claimed by a short conditional
// UPDATE, never a long transaction, so the sweeper never holds locks the pipeline waits on, and
// any number of replicas can sweep at once.
import type pg from 'pg';
import type { Producer } from 'kafkajs';
import type { CompiledPlan } from '../rating/index.js';
import { firstIncrementCostMicros, maxAffordableSeconds, rate } from '../rating/index.js';
import type { WalletStore } from '../wallet/wallet-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { cutOffMessage } from './outputs.js';

export interface SweeperDeps {
  readonly pool: pg.Pool;
  readonly wallets: WalletStore;
  readonly producer: Producer;
  readonly plan: CompiledPlan;
  readonly callsControlTopic: string;
  readonly holdSeconds: number;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Act this long before a hold's covered time runs out, in seconds. */
  readonly leadSeconds?: number;
  /** Most holds looked at per sweep. */
  readonly limit?: number;
}

export interface SweepResult {
  readonly extended: number;
  readonly cutOff: number;
  readonly released: number;
}

export async function sweepHolds(deps: SweeperDeps, now = Date.now()): Promise<SweepResult> {
  const lead = deps.leadSeconds ?? 30;
  const limit = deps.limit ?? 200;
  const at = new Date(now).toISOString();
  let extended = 0;
  let cutOff = 0;
  let released = 0;

  // Expired: claim each by closing it (only one sweeper wins), then release it in Redis.
  const expired = await deps.pool.query<{ company_id: string; call_id: string }>(
    `update call_holds set closed_at = now(), close_reason = 'expired'
      where (company_id, call_id) in (
        select company_id, call_id from call_holds
         where closed_at is null and expires_at < $1 order by expires_at limit $2)
        and closed_at is null
      returning company_id, call_id`,
    [at, limit],
  );
  for (const h of expired.rows) {
    await deps.wallets.releaseHold(h.company_id, h.call_id);
    released++;
  }

  const runningOut = await deps.pool.query<{
    company_id: string;
    call_id: string;
    channel: string;
    number: string;
    started_at: Date;
    covered_seconds: number;
  }>(
    `select company_id, call_id, channel, number, started_at, covered_seconds from call_holds
      where closed_at is null and cut_off_at is null
        and placed_at + make_interval(secs => covered_seconds) < $1::timestamptz + make_interval(secs => $2)
      order by placed_at limit $3`,
    [at, lead, limit],
  );
  for (const h of runningOut.rows) {
    const query = { channel: h.channel, destination: h.number, startTime: h.started_at.getTime() };
    const minimum = firstIncrementCostMicros(deps.plan, query);
    const extra = Math.max(
      minimum,
      rate(deps.plan, { ...query, durationSeconds: deps.holdSeconds }).costMicros,
    );
    const outcome = await deps.wallets.extendHold(h.company_id, h.call_id, extra, minimum);
    if (outcome.status === 'extended') {
      await deps.pool.query(
        `update call_holds set amount_micros = $3, covered_seconds = $4
          where company_id = $1 and call_id = $2 and closed_at is null`,
        [
          h.company_id,
          h.call_id,
          String(outcome.holdMicros),
          maxAffordableSeconds(deps.plan, query, outcome.holdMicros),
        ],
      );
      extended++;
    } else if (outcome.status === 'insufficient') {
      const claimed = await deps.pool.query(
        `update call_holds set cut_off_at = now()
          where company_id = $1 and call_id = $2 and closed_at is null and cut_off_at is null`,
        [h.company_id, h.call_id],
      );
      if (claimed.rowCount === 0) continue; // another sweeper, or the call's end, got there first
      const view = await deps.wallets.view(h.company_id);
      await deps.producer.send({
        topic: deps.callsControlTopic,
        acks: -1,
        messages: [
          cutOffMessage(deps.callsControlTopic, {
            companyId: h.company_id,
            callId: h.call_id,
            reason: 'balance_exhausted',
            availableMicros: Math.max(0, view.balanceMicros - view.heldMicros),
          }).message,
        ],
      });
      deps.metrics.cutoffs.inc({ reason: 'balance_exhausted' });
      cutOff++;
    }
    // no_hold: the call's end was applied in Redis and its ledger commit is on its way.
  }
  if (extended + cutOff + released > 0)
    deps.log.info({ extended, cutOff, released }, 'holds swept');
  return { extended, cutOff, released };
}
