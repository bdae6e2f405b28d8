// The add-balance estimate: how many minutes of calling an amount buys on each call channel of
// the plan, as the seeds' purchase summary shows it. Pure; amounts are integer micro-units.
import type { CompiledPlan } from '../rating/index.js';
import { maxAffordableSeconds, rate, RatingError } from '../rating/index.js';

export interface ChannelEstimate {
  readonly channel: string;
  /** Seconds of calling the amount buys; null when the channel cannot be estimated. */
  readonly seconds: number | null;
  /** Whole minutes (seconds rounded down); null with seconds. */
  readonly minutes: number | null;
  /** Why seconds is null: a rating code (unauthorized_destination, not_predictable, ...) or
   *  "destination_required" when the channel has no rate for any destination. */
  readonly unavailable: string | null;
}

/**
 * Per call channel, the seconds `amountMicros` pays for in calls as long as the plan allows
 * (`maxCallSeconds`): whole longest calls first, then the longest call the remainder buys. So a
 * connect fee is counted once per longest call, and a per-call price cap is honoured. Without a
 * `destination`, each channel is priced at its rate for any destination, if it has one.
 */
export function estimateCallTime(
  plan: CompiledPlan,
  amountMicros: number,
  nowMs: number,
  destination?: string,
): ChannelEstimate[] {
  const estimates: ChannelEstimate[] = [];
  for (const channel of plan.channels.values()) {
    if (channel.kind !== 'call') continue;
    const number = destination ?? anyDestinationNumber(plan, channel.name, nowMs);
    if (number === null) {
      estimates.push(unavailable(channel.name, 'destination_required'));
      continue;
    }
    const query = { channel: channel.name, destination: number, startTime: nowMs };
    try {
      const longest = plan.maxCallSeconds;
      const longestCost = rate(plan, { ...query, durationSeconds: longest }).costMicros;
      let seconds: number;
      if (longestCost === 0) seconds = Number.MAX_SAFE_INTEGER;
      else {
        const whole = Math.floor(amountMicros / longestCost);
        seconds = Math.min(
          Number.MAX_SAFE_INTEGER,
          whole * longest + maxAffordableSeconds(plan, query, amountMicros - whole * longestCost),
        );
      }
      estimates.push({
        channel: channel.name,
        seconds,
        minutes: Math.floor(seconds / 60),
        unavailable: null,
      });
    } catch (err) {
      if (!(err instanceof RatingError)) throw err;
      // A cost-plus rate: its price is known only from the provider's cost of a call.
      const code = err.code === 'missing_provider_cost' ? 'not_predictable' : err.code;
      estimates.push(unavailable(channel.name, code));
    }
  }
  return estimates;
}

function unavailable(channel: string, reason: string): ChannelEstimate {
  return { channel, seconds: null, minutes: null, unavailable: reason };
}

const probes = new WeakMap<CompiledPlan, Map<string, string | null>>();

/**
 * A number the plan prices at the channel's rate for any destination (no destination prefix of
 * the plan matches it), found once per plan and channel among "+<3 digits>0000000" through the
 * rating API itself; null when the channel has no such rate.
 */
export function anyDestinationNumber(
  plan: CompiledPlan,
  channel: string,
  nowMs: number,
): string | null {
  let byChannel = probes.get(plan);
  if (byChannel === undefined) {
    byChannel = new Map();
    probes.set(plan, byChannel);
  }
  const known = byChannel.get(channel);
  if (known !== undefined) return known;
  let found: string | null = null;
  for (let lead = 100; lead <= 999 && found === null; lead++) {
    const number = `+${lead}0000000`;
    try {
      const priced = rate(plan, {
        channel,
        destination: number,
        startTime: nowMs,
        durationSeconds: 1,
      });
      if (priced.breakdown.prefix === null) found = number;
    } catch (err) {
      if (!(err instanceof RatingError)) throw err;
      // A cost-plus rate answers only with a provider cost: still a rate for this number.
      if (err.code === 'missing_provider_cost') found = number;
      // Otherwise the number is some destination's without a rate, or the channel has none.
    }
  }
  byChannel.set(channel, found);
  return found;
}
