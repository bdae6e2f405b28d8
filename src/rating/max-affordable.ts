// The dialer's questions, answered from the same tariffs as rate(): how many seconds a balance
// buys (the exact inverse of rating, in closed form), and what the shortest billable call costs
// (so a call the balance cannot even start paying for is refused).
import type { CompiledPlan } from './compiled-plan.js';
import type { Tariff, TieredTariff } from './tariff.js';
import type { CallQuery } from './usage.js';
import { RatingError } from './errors.js';
import { resolveTariff } from './resolve-tariff.js';
import { largestNumeratorRoundingTo } from './rounding.js';
import { priceTiered } from './pricing.js';

/**
 * The longest call, in whole seconds, that `availableMicros` (integer micro-units) pays for:
 * rate() of that many seconds costs at most availableMicros, and one billing increment more
 * costs more. 0 when even the first increment is unaffordable. When the balance is not what
 * limits the call – a max-cost cap the balance covers, or a rate that becomes free – the answer
 * is the plan's `maxCallSeconds` (default 14,400), which is also the ceiling of every answer.
 */
export function maxAffordableSeconds(
  plan: CompiledPlan,
  call: CallQuery,
  availableMicros: number,
): number {
  checkAmount(availableMicros);
  const tariff = callTariff(plan, call);
  return affordableQuantity(tariff, availableMicros, plan.maxCallSeconds);
}

/**
 * Cost in integer micro-units of the shortest billable use: a one-second call (the first
 * increment, or the minimum duration, plus the connect fee), or one message unit.
 */
export function firstIncrementCostMicros(plan: CompiledPlan, call: CallQuery): number {
  const { tariff } = resolveTariff(plan, call);
  return priceTiered(predictable(tariff), 1).costMicros;
}

/**
 * Largest billed quantity of a tiered tariff whose price is at most `availableMicros`, capped at
 * `ceiling`. Walks intervals, not increments: each interval takes as many whole increments as
 * the remaining budget pays for, by one division.
 */
export function affordableQuantity(
  tariff: TieredTariff,
  availableMicros: number,
  ceiling: number,
): number {
  if (availableMicros < priceTiered(tariff, 1).costMicros) return 0;
  if (tariff.maxCostMicros !== null && tariff.maxCostMicros <= availableMicros) return ceiling;

  // The exact, unrounded price numerator (over denominator × step) the balance can cover.
  const step = BigInt(tariff.totalGranularity);
  const bound = largestNumeratorRoundingTo(
    BigInt(availableMicros) / step,
    tariff.denominatorBig * step,
    tariff.totalRounding.method,
  );
  let budget = bound - tariff.connectNumeratorBig;
  let position = 0n;
  for (const interval of tariff.intervals) {
    const next = interval.next === Infinity ? null : BigInt(interval.next);
    if (next !== null && position >= next) continue; // an earlier increment ran past it
    const increment = BigInt(interval.increment);
    const cost = interval.incrementNumeratorBig;
    const inInterval = next === null ? null : (next - position + increment - 1n) / increment;
    if (cost === 0n) {
      if (inInterval === null) return ceiling; // free from here on
      position += inInterval * increment;
      continue;
    }
    const affordable = budget / cost;
    const taken = inInterval !== null && inInterval < affordable ? inInterval : affordable;
    position += taken * increment;
    budget -= taken * cost;
    if (inInterval === null || taken < inInterval) break;
  }
  return position > BigInt(ceiling) ? ceiling : Number(position);
}

function callTariff(plan: CompiledPlan, call: CallQuery): TieredTariff {
  const { tariff, channel } = resolveTariff(plan, call);
  if (channel.kind !== 'call') {
    throw new RatingError('invalid_usage', `${channel.name} is not a call channel`, {
      channel: channel.name,
    });
  }
  return predictable(tariff);
}

function predictable(tariff: Tariff): TieredTariff {
  if (tariff.pricing === 'cost_plus') {
    throw new RatingError(
      'not_predictable',
      `the ${tariff.channel} rate is cost-plus: its price is known only from the provider's cost`,
      { channel: tariff.channel, destination: tariff.destination },
    );
  }
  return tariff;
}

function checkAmount(availableMicros: number): void {
  if (!Number.isSafeInteger(availableMicros)) {
    throw new RatingError(
      'invalid_usage',
      'availableMicros must be a whole number of micro-units',
      {
        availableMicros,
      },
    );
  }
}
