// One validated event → its effect on the wallet: rate it (pure), apply it with the matching Lua
// script (atomic, idempotent by event id), and describe what the ledger and the outputs must
// record. All amounts are integer micro-units of the wallet currency.
import type { CompiledPlan, RateResult, Usage } from '../rating/index.js';
import {
  countryOfNumber,
  firstIncrementCostMicros,
  maxAffordableSeconds,
  rate,
} from '../rating/index.js';
import type { WalletStore } from '../wallet/wallet-store.js';
import type {
  HoldClosed,
  HoldOpened,
  Refusal,
  TransferKind,
  TransferRecord,
} from '../ledger/ledger-writer.js';
import type { CallEnded, CallStarted, InputEvent, MessageSent, WalletCommand } from './events.js';
import type { CutOff } from './outputs.js';

export type EventOutcome =
  | {
      readonly type: 'transfer';
      readonly record: TransferRecord;
      /** 'applied' when Redis changed now; 'duplicate' when it returned a stored outcome. */
      readonly walletStatus: 'applied' | 'duplicate';
      readonly holdClosed?: HoldClosed;
      readonly channel?: string;
    }
  | {
      readonly type: 'hold';
      readonly hold: HoldOpened;
      readonly walletStatus: 'applied' | 'duplicate';
    }
  | { readonly type: 'refused'; readonly refusal: Refusal; readonly cutOff: CutOff }
  | { readonly type: 'skipped'; readonly reason: string }
  | { readonly type: 'dead_letter'; readonly reason: string; readonly detail: string };

/** Why a call may not start for reasons other than money (cap reached, paused), or null. */
export type GateAnswer = 'company_paused' | 'spending_cap_reached' | 'campaign_paused' | null;
/** Reads the gate; an answer already known comes back at once, so no await reorders the event. */
export type CallGate = (
  companyId: string,
  campaignId: string | undefined,
) => GateAnswer | Promise<GateAnswer>;

export interface ChargeContext {
  readonly plan: CompiledPlan;
  readonly wallets: WalletStore;
  /** Talk time a call's first hold covers, in seconds. */
  readonly holdSeconds: number;
  /** Grace after the plan's longest call before an orphaned hold is released, in ms. */
  readonly holdGraceMs: number;
  readonly gate?: CallGate;
}

export async function chargeEvent(ctx: ChargeContext, input: InputEvent): Promise<EventOutcome> {
  switch (input.kind) {
    case 'call_started':
      return startCall(ctx, input.event);
    case 'call_ended':
      return endCall(ctx, input.event);
    case 'message_sent':
      return chargeMessage(ctx, input.event);
    case 'wallet_command':
      return applyCommand(ctx, input.event);
  }
}

async function startCall(ctx: ChargeContext, e: CallStarted): Promise<EventOutcome> {
  const query = { channel: e.channel, destination: e.number, startTime: e.occurred_at };
  const minimum = firstIncrementCostMicros(ctx.plan, query);
  const asked = ctx.gate?.(e.company_id, e.campaign_id) ?? null;
  const barred = asked instanceof Promise ? await asked : asked;
  if (barred !== null) return refuse(e, barred, 0, minimum);
  const wanted = Math.max(
    minimum,
    rate(ctx.plan, { ...query, durationSeconds: ctx.holdSeconds }).costMicros,
  );
  const outcome = await ctx.wallets.reserveHold(
    e.company_id,
    e.event_id,
    e.call_id,
    wanted,
    minimum,
  );
  switch (outcome.status) {
    case 'held':
    case 'duplicate':
      return {
        type: 'hold',
        walletStatus: outcome.status === 'held' ? 'applied' : 'duplicate',
        hold: {
          companyId: e.company_id,
          callId: e.call_id,
          eventId: e.event_id,
          channel: e.channel,
          number: e.number,
          amountMicros: outcome.holdMicros,
          coveredSeconds: maxAffordableSeconds(ctx.plan, query, outcome.holdMicros),
          startedAt: e.occurred_at,
          // From now, not the event's time: see call_holds.placed_at.
          expiresAt: Date.now() + ctx.plan.maxCallSeconds * 1000 + ctx.holdGraceMs,
        },
      };
    case 'refused':
      return refuse(e, 'zero_balance', outcome.availableMicros, minimum);
    case 'already_ended':
      return { type: 'skipped', reason: 'call_already_ended' };
    case 'already_held':
      return { type: 'skipped', reason: 'call_already_held' };
  }
}

function refuse(
  e: CallStarted,
  reason: CutOff['reason'],
  availableMicros: number,
  requiredMicros: number,
): EventOutcome {
  return {
    type: 'refused',
    refusal: {
      eventId: e.event_id,
      companyId: e.company_id,
      callId: e.call_id,
      reason,
      availableMicros,
      requiredMicros,
      occurredAt: e.occurred_at,
    },
    cutOff: {
      companyId: e.company_id,
      callId: e.call_id,
      campaignId: e.campaign_id,
      reason,
      availableMicros,
      causeEventId: e.event_id,
    },
  };
}

async function endCall(ctx: ChargeContext, e: CallEnded): Promise<EventOutcome> {
  const startedAt = e.started_at ?? e.occurred_at - e.duration_seconds * 1000;
  const usage: Usage = {
    channel: e.channel,
    destination: e.number,
    startTime: startedAt,
    durationSeconds: e.duration_seconds,
    providerCostMicros: e.provider_cost_micros,
  };
  const priced = rate(ctx.plan, usage);
  const cost = priced.costMicros;
  const settled = await ctx.wallets.settleCall(e.company_id, e.event_id, e.call_id, cost);
  if (settled.status === 'duplicate_call_end') {
    return {
      type: 'dead_letter',
      reason: 'duplicate_call_end',
      detail: `call ${e.call_id} was already charged`,
    };
  }
  const overrun = overrunMicros(
    cost,
    settled.holdReleasedMicros,
    settled.balanceAfterMicros,
    settled.heldAfterMicros,
  );
  return {
    type: 'transfer',
    walletStatus: settled.status,
    channel: e.channel,
    holdClosed: { companyId: e.company_id, callId: e.call_id, reason: 'settled' },
    record: {
      eventId: e.event_id,
      companyId: e.company_id,
      kind: 'usage',
      seq: settled.seq,
      callId: e.call_id,
      amountMicros: -cost,
      balanceAfterMicros: settled.balanceAfterMicros,
      occurredAt: e.occurred_at,
      details: {
        ...reportDetails(e, priced),
        description: `${e.channel} call`,
        callStatus: e.status,
        callStartedAt: startedAt,
        callEndedAt: e.occurred_at,
        durationSeconds: e.duration_seconds,
        billedSeconds: priced.billedSeconds,
        overrunMicros: overrun,
      },
    },
  };
}

async function chargeMessage(ctx: ChargeContext, e: MessageSent): Promise<EventOutcome> {
  const usage: Usage = {
    channel: e.channel,
    startTime: e.occurred_at,
    destination: e.number,
    segments: e.segments,
    body: e.body,
    providerCostMicros: e.provider_cost_micros,
  };
  const priced = rate(ctx.plan, usage);
  const cost = priced.costMicros;
  // The message is already sent: the charge is never refused; any shortfall is an overrun.
  const moved = await ctx.wallets.applyCredit(e.company_id, e.event_id, -cost, false);
  if (moved.status === 'insufficient_funds')
    throw new Error('unreachable: unfloored debit refused');
  return {
    type: 'transfer',
    walletStatus: moved.status,
    channel: e.channel,
    record: {
      eventId: e.event_id,
      companyId: e.company_id,
      kind: 'usage',
      seq: moved.seq,
      amountMicros: -cost,
      balanceAfterMicros: moved.balanceAfterMicros,
      occurredAt: e.occurred_at,
      details: {
        ...reportDetails(e, priced),
        description: `${e.channel} message`,
        callStatus: e.status,
        billedUnits: priced.billedUnits,
        overrunMicros: overrunMicros(cost, 0, moved.balanceAfterMicros, moved.heldAfterMicros),
      },
    },
  };
}

const commandEffect: Readonly<
  Record<WalletCommand['type'], { sign: 1 | -1; floor: boolean; kind: TransferKind }>
> = {
  balance_added: { sign: 1, floor: false, kind: 'balance_added' },
  refund: { sign: 1, floor: false, kind: 'refund' },
  complimentary_credit: { sign: 1, floor: false, kind: 'complimentary_credit' },
  // Removing credit never takes the wallet below what is free (balance minus holds).
  debit: { sign: -1, floor: true, kind: 'debit' },
  // A signed correction by finance; recorded as asked.
  adjustment: { sign: 1, floor: false, kind: 'adjustment' },
};

async function applyCommand(ctx: ChargeContext, e: WalletCommand): Promise<EventOutcome> {
  const effect = commandEffect[e.type];
  const amount = effect.sign * e.amount_micros;
  const moved = await ctx.wallets.applyCredit(e.company_id, e.event_id, amount, effect.floor);
  if (moved.status === 'insufficient_funds') {
    return {
      type: 'dead_letter',
      reason: 'insufficient_funds',
      detail: `${e.type} of ${e.amount_micros} micro-units exceeds the available balance`,
    };
  }
  return {
    type: 'transfer',
    walletStatus: moved.status,
    record: {
      eventId: e.event_id,
      companyId: e.company_id,
      kind: effect.kind,
      seq: moved.seq,
      amountMicros: amount,
      balanceAfterMicros: moved.balanceAfterMicros,
      occurredAt: e.occurred_at,
      details: { description: e.description ?? e.reference ?? e.type.replace('_', ' ') },
    },
  };
}

/**
 * Countries of numbers seen lately. Working a number out (libphonenumber-js's patterns) costs
 * more than rating the event, and a dialer calls and texts the same numbers again and again.
 * Bounded: emptied when full.
 */
const recentCountries = new Map<string, string | undefined>();
const recentCountriesMax = 100_000;

function countryOf(number: string): string | undefined {
  if (recentCountries.has(number)) return recentCountries.get(number);
  const country = countryOfNumber(number);
  if (recentCountries.size >= recentCountriesMax) recentCountries.clear();
  recentCountries.set(number, country);
  return country;
}

function reportDetails(e: CallEnded | MessageSent, priced: RateResult) {
  const number = priced.number ?? undefined;
  return {
    channel: e.channel,
    campaignId: e.campaign_id,
    applicationId: e.application_id,
    managerId: e.manager_id,
    managerEmail: e.manager_email,
    number,
    country: number === undefined ? undefined : countryOf(number),
    rateMicros: priced.rateMicros,
    providerCostMicros: e.provider_cost_micros,
  };
}

/**
 * The part of a charge that neither the call's own hold nor the free balance (balance minus
 * every hold) covered before it was applied: spend past zero, recorded rather than dropped.
 */
export function overrunMicros(
  costMicros: number,
  holdReleasedMicros: number,
  balanceAfterMicros: number,
  heldAfterMicros: number,
): number {
  const freeBefore = Math.max(
    0,
    balanceAfterMicros + costMicros - heldAfterMicros - holdReleasedMicros,
  );
  return Math.max(0, costMicros - holdReleasedMicros - freeBefore);
}
