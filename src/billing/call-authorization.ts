// The dialer's question – may this company place this call now, and for how long – answered from
// state mirrored in Redis and the rate plan. Pure: the caller reads the state and passes "now".
// Amounts are integer micro-units; durations whole seconds.
import type { CompiledPlan } from '../rating/index.js';
import { firstIncrementCostMicros, maxAffordableSeconds, RatingError } from '../rating/index.js';
import type { BillingMode } from './company-status.js';

/** Why a call is refused. Stable: dialers switch on these. */
export const REFUSAL_REASONS = [
  'not_set_up',
  'company_paused',
  'spending_cap_reached',
  'campaign_paused',
  'unknown_channel',
  'not_a_call_channel',
  'invalid_number',
  'unauthorized_destination',
  'no_active_plan',
  'price_unknown',
  'zero_balance',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type CampaignPause = 'manual' | 'spending_cap';

/** What the call gate knows of a company (its Redis mirror). */
export interface CompanyGate {
  readonly setUp: boolean;
  /** Paused by an account manager. */
  readonly paused: boolean;
  readonly billingMode: BillingMode;
  readonly capMicros: number | null;
  /** Usage charged in the month [monthStartMs, monthEndMs) of the company's time zone. */
  readonly spentMicros: number;
  readonly monthStartMs: number;
  readonly monthEndMs: number;
  /** The cap is recorded as reached for that month (campaigns paused). */
  readonly capReached: boolean;
}

export interface WalletFigures {
  readonly balanceMicros: number;
  /** Sum of the holds of calls in progress. */
  readonly heldMicros: number;
}

export interface CallRequest {
  readonly channel: string;
  readonly number: string;
  /** How the campaign is paused, if it is; undefined when no campaign or not paused. */
  readonly campaignPause?: CampaignPause | undefined;
  readonly nowMs: number;
}

export type Limit = 'balance' | 'spending_cap' | 'max_call_length';

export interface Authorization {
  readonly allowed: boolean;
  readonly reason: RefusalReason | null;
  /** Longest call the budget pays for at this destination's rate; 0 when refused. */
  readonly maxSeconds: number;
  /** What the binding limit of maxSeconds is; null when refused. */
  readonly limitedBy: Limit | null;
  /** Cost of the shortest billable call; null when the call cannot be priced. */
  readonly firstIncrementCostMicros: number | null;
  readonly balanceMicros: number;
  readonly heldMicros: number;
  readonly availableMicros: number;
  /** What the cap leaves this month after holds of calls in progress; null without a cap. */
  readonly capRemainingMicros: number | null;
}

const ratingReasons: Readonly<Record<string, RefusalReason>> = {
  unknown_channel: 'unknown_channel',
  invalid_number: 'invalid_number',
  missing_destination: 'invalid_number',
  unauthorized_destination: 'unauthorized_destination',
  no_active_plan: 'no_active_plan',
  not_predictable: 'price_unknown',
  // A national number the plan's default region cannot read.
  invalid_usage: 'invalid_number',
};

/**
 * Checks in order: the company (set up, not paused), its cap, the campaign, the call (channel,
 * number, destination rated by the plan), then the budget: the available balance (refillable
 * wallets) and what the cap leaves, each of which must pay the first billing increment.
 */
export function authorizeCall(
  plan: CompiledPlan,
  gate: CompanyGate,
  wallet: WalletFigures,
  call: CallRequest,
): Authorization {
  const available = wallet.balanceMicros - wallet.heldMicros;
  // Month figures of a month that has ended are void; the rollover check will catch up.
  const current = call.nowMs >= gate.monthStartMs && call.nowMs < gate.monthEndMs;
  const spent = current ? gate.spentMicros : 0;
  const capRemaining =
    gate.capMicros === null
      ? null
      : Math.max(0, gate.capMicros - spent - Math.max(0, wallet.heldMicros));

  let reason: RefusalReason | null = null;
  if (!gate.setUp) reason = 'not_set_up';
  else if (gate.paused) reason = 'company_paused';
  else if (current && gate.capReached) reason = 'spending_cap_reached';
  else if (call.campaignPause === 'manual' || (call.campaignPause === 'spending_cap' && current))
    reason = 'campaign_paused';
  if (reason !== null) return answer(reason, 0, null, null, wallet, available, capRemaining);

  const channel = plan.channels.get(call.channel);
  if (channel === undefined)
    return answer('unknown_channel', 0, null, null, wallet, available, capRemaining);
  if (channel.kind !== 'call')
    return answer('not_a_call_channel', 0, null, null, wallet, available, capRemaining);
  const query = { channel: call.channel, destination: call.number, startTime: call.nowMs };
  let firstCost: number;
  try {
    firstCost = firstIncrementCostMicros(plan, query);
  } catch (err) {
    if (!(err instanceof RatingError)) throw err;
    const refusal = ratingReasons[err.code] ?? 'price_unknown';
    return answer(refusal, 0, null, null, wallet, available, capRemaining);
  }

  const walletBudget = gate.billingMode === 'refillable_wallet' ? available : null;
  if (capRemaining !== null && capRemaining < firstCost)
    return answer('spending_cap_reached', 0, null, firstCost, wallet, available, capRemaining);
  if (walletBudget !== null && walletBudget < firstCost)
    return answer('zero_balance', 0, null, firstCost, wallet, available, capRemaining);

  let budget: number | null = null;
  let limitedBy: Limit = 'max_call_length';
  if (walletBudget !== null) {
    budget = walletBudget;
    limitedBy = 'balance';
  }
  if (capRemaining !== null && (budget === null || capRemaining < budget)) {
    budget = capRemaining;
    limitedBy = 'spending_cap';
  }
  const seconds = maxAffordableSeconds(plan, query, budget ?? Number.MAX_SAFE_INTEGER);
  if (seconds >= plan.maxCallSeconds) limitedBy = 'max_call_length';
  return answer(null, seconds, limitedBy, firstCost, wallet, available, capRemaining);
}

// A plain function rather than a closure over the figures: authorize runs for every dialer
// question, and the answer is all it should allocate.
function answer(
  reason: RefusalReason | null,
  maxSeconds: number,
  limitedBy: Limit | null,
  firstCost: number | null,
  wallet: WalletFigures,
  available: number,
  capRemaining: number | null,
): Authorization {
  return {
    allowed: reason === null,
    reason,
    maxSeconds,
    limitedBy,
    firstIncrementCostMicros: firstCost,
    balanceMicros: wallet.balanceMicros,
    heldMicros: wallet.heldMicros,
    availableMicros: available,
    capRemainingMicros: capRemaining,
  };
}
