// Pricing a quantity under a compiled tariff: the per-event arithmetic of rating, in integer
// micro-units. Plain numbers while every intermediate value is a safe integer (decided per
// tariff when it is compiled), bigints past that; both give the same answer, to the micro-unit.
import type { CostPlusTariff, TariffInterval, TieredTariff } from './tariff.js';
import { RatingError } from './errors.js';
import { formatRatio, isSafeBigint, ratio } from './money.js';
import { roundQuotient, roundQuotientBig } from './rounding.js';

/** What pricing a quantity gave, before it is dressed as a breakdown. */
export interface TariffCharge {
  /** Integer micro-units. */
  readonly costMicros: number;
  /** Quantity billed: the quantity raised to the minimum and to whole increments. */
  readonly billedQuantity: number;
  readonly minimumApplied: boolean;
  /** Index of the last interval that charged an increment; -1 when none (or cost-plus). */
  readonly lastInterval: number;
  /**
   * Exact micro-units before total rounding and cap, as numerator / denominator; kept apart and
   * formatted only when a breakdown is written (see formatUnrounded).
   */
  readonly unroundedNumerator: number | bigint;
  readonly unroundedDenominator: number | bigint;
  readonly capped: boolean;
}

/** The charge of nothing used: a quantity of 0 costs nothing, not even a connect fee. */
export const ZERO_CHARGE: TariffCharge = {
  costMicros: 0,
  billedQuantity: 0,
  minimumApplied: false,
  lastInterval: -1,
  unroundedNumerator: 0,
  unroundedDenominator: 1,
  capped: false,
};

/**
 * Prices `quantity` (whole seconds or units, >= 0) under a tiered tariff; integer micro-units.
 * Nothing used costs nothing: an unanswered call is not charged its connect fee.
 */
export function priceTiered(tariff: TieredTariff, quantity: number): TariffCharge {
  if (quantity === 0) return ZERO_CHARGE;
  const billedFrom = quantity < tariff.minimum ? tariff.minimum : quantity;
  if (billedFrom > tariff.safeQuantity) return priceTieredBig(tariff, quantity);
  let lastInterval = 0;
  let position: number;
  let numerator = tariff.connectNumerator;
  const only = tariff.onlyIncrement;
  if (only > 0) {
    const rest = billedFrom % only;
    const count = (billedFrom - rest) / only + (rest === 0 ? 0 : 1);
    position = count * only;
    numerator += count * tariff.onlyIncrementNumerator;
  } else {
    const intervals = tariff.intervals;
    position = 0;
    for (let i = 0; i < intervals.length && position < billedFrom; i++) {
      const interval = intervals[i] as TariffInterval;
      const end = billedFrom < interval.next ? billedFrom : interval.next;
      if (position >= end) continue; // an earlier increment already ran past this interval
      const span = end - position;
      const rest = span % interval.increment;
      const count = (span - rest) / interval.increment + (rest === 0 ? 0 : 1);
      lastInterval = i;
      position += count * interval.increment;
      numerator += count * interval.incrementNumerator;
    }
  }
  const step = tariff.totalGranularity;
  const rounded = roundQuotient(numerator, tariff.roundingDivisor, tariff.totalMethod) * step;
  const capped = tariff.maxCostMicros !== null && rounded > tariff.maxCostMicros;
  return {
    costMicros: capped ? tariff.maxCostMicros : rounded,
    billedQuantity: position,
    minimumApplied: billedFrom > quantity,
    lastInterval,
    unroundedNumerator: numerator,
    unroundedDenominator: tariff.denominator,
    capped,
  };
}

/** The bigint twin of priceTiered, for quantities or amounts past the safe-integer range. */
export function priceTieredBig(tariff: TieredTariff, quantity: number): TariffCharge {
  if (quantity === 0) return ZERO_CHARGE;
  const billedFrom = BigInt(quantity < tariff.minimum ? tariff.minimum : quantity);
  let lastInterval = -1;
  let position = 0n;
  let numerator = tariff.connectNumeratorBig;
  for (let i = 0; i < tariff.intervals.length; i++) {
    const interval = tariff.intervals[i] as TariffInterval;
    const next = interval.next === Infinity ? billedFrom : BigInt(interval.next);
    const end = billedFrom < next ? billedFrom : next;
    if (position >= end) continue;
    const increment = BigInt(interval.increment);
    const count = (end - position + increment - 1n) / increment;
    lastInterval = i;
    position += count * increment;
    numerator += count * interval.incrementNumeratorBig;
  }
  const step = BigInt(tariff.totalGranularity);
  const rounded =
    roundQuotientBig(numerator, tariff.denominatorBig * step, tariff.totalRounding.method) * step;
  const maxCost = tariff.maxCostMicros === null ? null : BigInt(tariff.maxCostMicros);
  const capped = maxCost !== null && rounded > maxCost;
  const cost = capped ? maxCost : rounded;
  return {
    costMicros: safeMicros(cost),
    billedQuantity: toSafeCount(position),
    minimumApplied: billedFrom > BigInt(quantity),
    lastInterval,
    unroundedNumerator: numerator,
    unroundedDenominator: tariff.denominatorBig,
    capped,
  };
}

/**
 * Increments each interval charged for `quantity`: the walk of priceTiered again, for
 * breakdowns only, so pricing itself need not allocate the list. Counts never exceed the
 * quantity, so plain numbers hold them.
 */
export function incrementsPerInterval(tariff: TieredTariff, quantity: number): number[] {
  const counts = tariff.intervals.map(() => 0);
  if (quantity === 0) return counts;
  const billedFrom = quantity < tariff.minimum ? tariff.minimum : quantity;
  let position = 0;
  tariff.intervals.forEach((interval, i) => {
    const end = billedFrom < interval.next ? billedFrom : interval.next;
    if (position >= end) return;
    const count = Math.ceil((end - position) / interval.increment);
    counts[i] = count;
    position += count * interval.increment;
  });
  return counts;
}

/**
 * Prices a cost-plus event: provider cost (integer micros) × markup, rounded and capped.
 * `quantity` is only reported back.
 */
export function priceCostPlus(
  tariff: CostPlusTariff,
  quantity: number,
  providerCostMicros: number,
): TariffCharge {
  if (providerCostMicros <= tariff.safeProviderCost) {
    const numerator = providerCostMicros * Number(tariff.markupNumerator);
    const step = tariff.totalGranularity;
    const rounded =
      roundQuotient(numerator, tariff.roundingDivisor, tariff.totalRounding.method) * step;
    const capped = tariff.maxCostMicros !== null && rounded > tariff.maxCostMicros;
    return {
      costMicros: capped ? tariff.maxCostMicros : rounded,
      billedQuantity: quantity,
      minimumApplied: false,
      lastInterval: -1,
      unroundedNumerator: numerator,
      unroundedDenominator: Number(tariff.markupDenominator),
      capped,
    };
  }
  const step = BigInt(tariff.totalGranularity);
  const numerator = BigInt(providerCostMicros) * tariff.markupNumerator;
  const rounded = safeMicros(
    roundQuotientBig(numerator, tariff.markupDenominator * step, tariff.totalRounding.method) *
      step,
  );
  const capped = tariff.maxCostMicros !== null && rounded > tariff.maxCostMicros;
  return {
    costMicros: capped ? tariff.maxCostMicros : rounded,
    billedQuantity: quantity,
    minimumApplied: false,
    lastInterval: -1,
    unroundedNumerator: numerator,
    unroundedDenominator: tariff.markupDenominator,
    capped,
  };
}

function safeMicros(value: bigint): number {
  if (!isSafeBigint(value)) {
    throw new RatingError('amount_overflow', `${value} micro-units is past the safe integer range`);
  }
  return Number(value);
}

function toSafeCount(value: bigint): number {
  if (!isSafeBigint(value)) {
    throw new RatingError('amount_overflow', `${value} units is past the safe integer range`);
  }
  return Number(value);
}

/** The exact unrounded amount of a charge, reduced: "415/3", or "40000" when whole. */
export function formatUnrounded(charge: TariffCharge): string {
  return formatRatio(ratio(BigInt(charge.unroundedNumerator), BigInt(charge.unroundedDenominator)));
}
