// Monthly spending caps, carried out: after charges are committed to the ledger, each company
// with a cap has its month-to-date spend (in its time zone) compared with the cap. Reaching it
// records the cap as reached and pauses every active campaign; raising or removing the cap, or
// a new month, resumes them. Warnings go out at fractions of the cap and when the projection for
// the month exceeds it, once per month each. State changes and their messages commit together
// (outbox), then the Redis mirror the call gate reads is rewritten. Amounts are micro-units.
import type pg from 'pg';
import type { Logger } from '../telemetry/logger.js';
import {
  lockBillingSettings,
  findBillingSettings,
  type BillingSettings,
} from './company-records.js';
import {
  cappedCompanies,
  clearCapReached,
  reachedMonths,
  recordCapReached,
  recordNotice,
  sentNotices,
} from './cap-records.js';
import { pauseActiveForCap, resumeCapPaused } from './campaign-records.js';
import { spentInMonths } from './month-spend.js';
import { monthWindow, projectMonthSpend, type MonthWindow } from './month.js';
import {
  evaluateCap,
  PROJECTED_OVER_CAP,
  warningKind,
  type CapActions,
  type ResumeReason,
} from './cap-evaluation.js';
import {
  billingAlert,
  campaignControl,
  type AlertType,
  type OutboxMessage,
} from './billing-messages.js';
import { enqueue, type BillingOutbox } from './billing-outbox.js';
import type { CompanyMirror } from './company-mirror.js';

export interface SpendingCapsDeps {
  readonly pool: pg.Pool;
  readonly mirror: CompanyMirror;
  readonly outbox: BillingOutbox;
  readonly log: Logger;
  /** The clock, epoch ms; tests move it across month ends. */
  readonly now?: () => number;
}

interface Situation {
  readonly settings: BillingSettings;
  readonly month: MonthWindow;
  readonly spent: bigint;
  readonly projected: bigint;
  readonly actions: CapActions;
}

const noActions = (a: CapActions) =>
  a.resume === null && !a.pause && a.warnings.length === 0 && !a.projectedOverCap;

/** Companies handled per round of the periodic check. */
const checkChunk = 500;

export class SpendingCaps {
  private readonly now: () => number;
  /** Per company, the tail of its queue of checks: one check at a time per company here. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly deps: SpendingCapsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Call after each ledger commit with the companies whose usage it recorded. Checks those with
   * a cap; resolves once pauses, resumes and warnings are recorded, published and mirrored.
   */
  async afterCharges(companyIds: readonly string[]): Promise<void> {
    const ids = [...new Set(companyIds)];
    if (ids.length === 0) return;
    await this.check(await cappedCompanies(this.deps.pool, ids));
  }

  /** Re-checks one company after its settings changed (cap, warnings, time zone). */
  async reevaluate(companyId: string): Promise<void> {
    await this.check([companyId]);
  }

  /**
   * The periodic check: resumes campaigns paused in a month that has ended in the company's time
   * zone (and re-checks the new month), and rewrites every company's Redis mirror from Postgres
   * so a lost or stale copy heals. Run it every minute or so on every replica.
   */
  async checkMonthRollover(): Promise<void> {
    await this.check(await cappedCompanies(this.deps.pool));
    let after = '';
    for (let round = 0; round < 10_000; round++) {
      const res = await this.deps.pool.query<{ id: string }>(
        'select id from companies where id > $1 order by id limit $2',
        [after, checkChunk],
      );
      const ids = res.rows.map((r) => r.id);
      if (ids.length === 0) break;
      await this.deps.mirror.refresh(ids);
      after = ids[ids.length - 1] ?? '';
      if (ids.length < checkChunk) break;
    }
    await this.deps.outbox.drain();
  }

  private async check(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const situations = await this.situations(ids);
    const acting = situations.filter((s) => !noActions(s.actions)).map((s) => s.settings.id);
    await Promise.all(acting.map((id) => this.serialized(id, () => this.act(id))));
    if (acting.length > 0) await this.deps.outbox.drain();
    await this.deps.mirror.refresh(ids);
  }

  /** Reads what each company's cap calls for, in bulk (no locks: a cheap first look). */
  private async situations(ids: readonly string[]): Promise<Situation[]> {
    const { pool } = this.deps;
    const now = this.now();
    const settings = await findBillingSettings(pool, ids);
    const months = settings.map((s) => ({ s, month: monthWindow(now, s.timeZone) }));
    const pairs = months.map(({ s, month }) => ({ companyId: s.id, month: month.firstDay }));
    const [spent, sent, reached] = await Promise.all([
      spentInMonths(pool, pairs),
      sentNotices(pool, pairs),
      reachedMonths(pool, ids),
    ]);
    return months.map(({ s, month }) =>
      situation(s, month, spent.get(s.id) ?? 0n, sent.get(s.id), reached.get(s.id), now),
    );
  }

  /** Acts on one company under its row lock, deciding again on what the lock guards. */
  private async act(companyId: string): Promise<void> {
    const client = await this.deps.pool.connect();
    try {
      await client.query('begin');
      const settings = await lockBillingSettings(client, companyId);
      if (settings === null) {
        await client.query('rollback');
        return;
      }
      const now = this.now();
      const month = monthWindow(now, settings.timeZone);
      const pair = [{ companyId, month: month.firstDay }];
      // One connection runs one query at a time.
      const spent = await spentInMonths(client, pair);
      const sent = await sentNotices(client, pair);
      const reached = await reachedMonths(client, [companyId]);
      const s = situation(
        settings,
        month,
        spent.get(companyId) ?? 0n,
        sent.get(companyId),
        reached.get(companyId),
        now,
      );
      const messages = await this.apply(client, s, now);
      await enqueue(client, messages);
      await client.query('commit');
      if (messages.length > 0)
        this.deps.log.info(
          { company: companyId, month: month.key, messages: messages.map((m) => m.payload.type) },
          'spending cap state changed',
        );
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async apply(client: pg.PoolClient, s: Situation, now: number): Promise<OutboxMessage[]> {
    const { settings, month, actions } = s;
    const id = settings.id;
    const issuedAt = new Date(now).toISOString();
    const alert = (type: AlertType, extra: { threshold?: number; reason?: string } = {}) =>
      billingAlert({
        type,
        company_id: id,
        month: month.key,
        time_zone: settings.timeZone,
        cap_micros: settings.spendingCapMicros === null ? null : String(settings.spendingCapMicros),
        spent_micros: String(s.spent),
        projected_micros: String(s.projected),
        threshold_percent: extra.threshold ?? null,
        reason: extra.reason ?? null,
        recipients: settings.notificationRecipients,
        issued_at: issuedAt,
      });
    const messages: OutboxMessage[] = [];

    if (actions.resume !== null) {
      await clearCapReached(client, id);
      const resumed = await resumeCapPaused(client, id);
      messages.push(
        campaignControl({
          type: 'campaigns_resumed',
          company_id: id,
          campaign_ids: resumed,
          all_campaigns: true,
          reason: actions.resume satisfies ResumeReason,
          month: month.key,
          issued_at: issuedAt,
        }),
        alert('spending_cap_lifted', { reason: actions.resume }),
      );
    }
    if (actions.pause && settings.spendingCapMicros !== null) {
      await recordCapReached(
        client,
        id,
        month.firstDay,
        s.spent,
        BigInt(settings.spendingCapMicros),
        now,
      );
      const paused = await pauseActiveForCap(client, id);
      messages.push(
        campaignControl({
          type: 'campaigns_paused',
          company_id: id,
          campaign_ids: paused,
          all_campaigns: true,
          reason: 'spending_cap_reached',
          month: month.key,
          issued_at: issuedAt,
        }),
        alert('spending_cap_reached'),
      );
    }
    for (const percent of actions.warnings) {
      if (await recordNotice(client, id, month.firstDay, warningKind(percent)))
        messages.push(alert('spending_cap_warning', { threshold: percent }));
    }
    if (
      actions.projectedOverCap &&
      (await recordNotice(client, id, month.firstDay, PROJECTED_OVER_CAP))
    )
      messages.push(alert('projected_spend_over_cap'));
    return messages;
  }

  private serialized(companyId: string, run: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(companyId) ?? Promise.resolve();
    const next = previous.then(run, run);
    const tail = next.catch(() => undefined);
    this.queues.set(companyId, tail);
    void tail.then(() => {
      if (this.queues.get(companyId) === tail) this.queues.delete(companyId);
    });
    return next;
  }
}

function situation(
  settings: BillingSettings,
  month: MonthWindow,
  spent: bigint,
  sent: ReadonlySet<string> | undefined,
  reachedMonth: string | undefined,
  now: number,
): Situation {
  const projected = projectMonthSpend(spent, month, now);
  const actions = evaluateCap({
    capMicros: settings.spendingCapMicros === null ? null : BigInt(settings.spendingCapMicros),
    spentMicros: spent,
    projectedMicros: projected,
    warningPercents: settings.capWarningPercents,
    sentThisMonth: sent ?? new Set(),
    reachedMonth: reachedMonth ?? null,
    currentMonth: month.firstDay,
  });
  return { settings, month, spent, projected, actions };
}
