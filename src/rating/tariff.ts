// A tariff is one compiled rate of a plan (connect fee, intervals, minimum, cap, rounding, or a
// cost-plus markup), ready for pricing.ts. Every per-increment cost is held as an integer
// numerator over one denominator per tariff, so an event is priced in closed form – one
// multiplication per interval, however long the call – and exactly.
import type { PeriodMask } from './periods.js';
import type { RoundingMethod, RoundingRule } from './rounding.js';
import { roundQuotientBig } from './rounding.js';
import type { Ratio } from './money.js';
import {
  granularityMicros,
  isSafeBigint,
  lcm,
  parseAmountAsMicros,
  parseDecimal,
  ratio,
  toSafeNumber,
} from './money.js';
import type { RateEntryDocument, RoundingDocument } from './plan-schema.js';

const SMALL_LIMIT = BigInt(2 ** 30 - 1);

export const DEFAULT_TOTAL_ROUNDING: RoundingRule = { method: 'up', decimals: 6 };

export interface TariffInterval {
  /** Where the interval begins, in seconds (calls) or units (messages). */
  readonly start: number;
  /** Where the next interval begins; Infinity for the last. */
  readonly next: number;
  /** The rate as the plan wrote it, in currency units per rateUnit. */
  readonly rate: string;
  readonly rateUnit: number;
  readonly increment: number;
  /** Cost of one increment in micros × the tariff's denominator. */
  readonly incrementNumerator: number;
  readonly incrementNumeratorBig: bigint;
  /**
   * The rate as reports show it: micro-units per minute (calls) or per unit (messages), rounded
   * half-up to a whole micro-unit when not exact.
   */
  readonly reportedRateMicros: number;
}

interface TariffBase {
  readonly channel: string;
  readonly version: string;
  /** Destination name; null for a rate that applies to any destination. */
  readonly destination: string | null;
  readonly period: string | null;
  readonly periodMask: PeriodMask | null;
  readonly weight: number;
  readonly totalRounding: RoundingRule;
  /** Micro-units per step of the total rounding. */
  readonly totalGranularity: number;
  readonly maxCostMicros: number | null;
  /** The rounding rules, as breakdowns show them (shared between tariffs that agree). */
  readonly rounding: TariffRounding;
}

export interface TariffRounding {
  readonly increment: RoundingRule | null;
  readonly total: RoundingRule;
}

export interface TieredTariff extends TariffBase {
  readonly pricing: 'tiered';
  readonly connectFeeMicros: number;
  readonly minimum: number;
  readonly intervals: readonly TariffInterval[];
  /** Common denominator of every amount below (1 when increments are rounded). */
  readonly denominator: number;
  readonly denominatorBig: bigint;
  readonly connectNumerator: number;
  readonly connectNumeratorBig: bigint;
  /** Largest billed quantity priced with plain numbers; beyond it, bigint (−1: always). */
  readonly safeQuantity: number;
  // Copies of what pricing reads per event, on the tariff itself: with tens of thousands of
  // tariffs, each object pointer followed is a likely cache miss.
  /** The increment of a one-interval tariff; 0 when there are several intervals. */
  readonly onlyIncrement: number;
  /** Its cost × denominator (valid when onlyIncrement > 0 and safeQuantity >= 0). */
  readonly onlyIncrementNumerator: number;
  /** denominator × total granularity (valid when safeQuantity >= 0). */
  readonly roundingDivisor: number;
  readonly totalMethod: RoundingMethod;
}

export interface CostPlusTariff extends TariffBase {
  readonly pricing: 'cost_plus';
  /** The markup as written ("5", "1.25"). */
  readonly markup: string;
  readonly markupNumerator: bigint;
  readonly markupDenominator: bigint;
  /** Largest provider cost priced with plain numbers (−1: always bigint). */
  readonly safeProviderCost: number;
  /** markupDenominator × total granularity, as a number (valid when safeProviderCost >= 0). */
  readonly roundingDivisor: number;
}

export type Tariff = TieredTariff | CostPlusTariff;

/**
 * What the tariffs of one plan share while it compiles: rounding rules repeat on thousands of
 * tariffs (most take the plan's default), so each rule object is made once and shared. The
 * rules are copies: a compiled plan holds no object of the document it was compiled from.
 */
export class TariffCache {
  private readonly roundings = {
    tiered: new Map<RoundingDocument | undefined, TariffRounding>(),
    cost_plus: new Map<RoundingDocument | undefined, TariffRounding>(),
  };
  private readonly rules = new Map<string, RoundingRule>();

  /**
   * Forgets the document's rounding objects, once a plan is compiled: tariffs compiled later
   * (see TariffTable) are compiled from copies.
   */
  forgetDocument(): void {
    this.roundings.tiered.clear();
    this.roundings.cost_plus.clear();
  }

  /** One shared copy of each rule, by value. */
  rule(written: RoundingRule): RoundingRule {
    const key = `${written.method}/${written.decimals}`;
    let rule = this.rules.get(key);
    if (rule === undefined) {
      rule = { method: written.method, decimals: written.decimals };
      this.rules.set(key, rule);
    }
    return rule;
  }

  /** The rounding of tariffs written with `rounding` (a plan's or a rate's, by identity). */
  rounding(written: RoundingDocument | undefined, pricing: Tariff['pricing']): TariffRounding {
    const known = this.roundings[pricing];
    let rounding = known.get(written);
    if (rounding === undefined) {
      rounding = {
        // Cost-plus has no increments to round.
        increment:
          pricing === 'cost_plus' || written?.increment === undefined
            ? null
            : this.rule(written.increment),
        total: written?.total === undefined ? DEFAULT_TOTAL_ROUNDING : this.rule(written.total),
      };
      known.set(written, rounding);
    }
    return rounding;
  }
}

export interface TariffContext {
  readonly cache: TariffCache;
  readonly channel: string;
  readonly version: string;
  readonly destination: string | null;
  readonly period: string | null;
  readonly periodMask: PeriodMask | null;
  readonly defaultRounding: RoundingDocument | undefined;
  /** Quantity reports quote a rate per: 60 (seconds, calls) or 1 (messages). */
  readonly reportedRateQuantity: number;
}

/** Compiles one rate entry; pushes a message per problem and returns undefined on any. */
export function compileTariff(
  entry: RateEntryDocument,
  context: TariffContext,
  problems: string[],
): Tariff | undefined {
  const before = problems.length;
  const { cache } = context;
  const rounding = entry.rounding ?? context.defaultRounding;
  const totalRounding =
    rounding?.total === undefined ? DEFAULT_TOTAL_ROUNDING : cache.rule(rounding.total);
  const incrementRounding = rounding?.increment ?? null;
  const totalGranularity = granularityMicros(totalRounding.decimals);
  const maxCostMicros =
    entry.maxCost === undefined ? null : wholeMicros(entry.maxCost, 'maxCost', problems);
  const shapes =
    (entry.rate === undefined ? 0 : 1) +
    (entry.intervals === undefined ? 0 : 1) +
    (entry.markup === undefined ? 0 : 1);
  if (shapes !== 1) {
    problems.push('give exactly one of `rate`, `intervals` or `markup`');
    return undefined;
  }
  if (entry.markup !== undefined) {
    for (const field of ['connectFee', 'minimum', 'rateUnit', 'increment'] as const) {
      if (entry[field] !== undefined) problems.push(`\`${field}\` has no meaning with \`markup\``);
    }
    if (incrementRounding !== null && entry.rounding !== undefined) {
      problems.push('`rounding.increment` has no meaning with `markup`');
    }
    const markup = parseDecimal(entry.markup);
    if (problems.length > before) return undefined;
    const limits = costPlusLimits(markup, totalGranularity);
    // Every property written out, in one order: tariffs of one kind share a hidden class.
    return {
      pricing: 'cost_plus',
      channel: context.channel,
      version: context.version,
      destination: context.destination,
      period: context.period,
      periodMask: context.periodMask,
      weight: entry.weight ?? 0,
      totalRounding,
      totalGranularity,
      maxCostMicros,
      rounding: cache.rounding(rounding, 'cost_plus'),
      markup: entry.markup,
      markupNumerator: markup.num,
      markupDenominator: markup.den,
      safeProviderCost: limits.safeProviderCost,
      roundingDivisor: limits.roundingDivisor,
    };
  }
  if (
    entry.intervals !== undefined &&
    (entry.rateUnit !== undefined || entry.increment !== undefined)
  ) {
    problems.push('`rateUnit` and `increment` go inside each interval when `intervals` is given');
  }
  const written = entry.intervals ?? [
    { start: 0, rate: entry.rate ?? '0', rateUnit: entry.rateUnit, increment: entry.increment },
  ];
  if (written[0]?.start !== 0) problems.push('the first interval must start at 0');
  for (let i = 1; i < written.length; i++) {
    if ((written[i]?.start ?? 0) <= (written[i - 1]?.start ?? 0)) {
      problems.push(`intervals[${i}].start must be greater than the one before`);
    }
  }
  const connectFeeMicros =
    entry.connectFee === undefined ? 0 : wholeMicros(entry.connectFee, 'connectFee', problems);
  if (problems.length > before) return undefined;

  // Exact micro-units of one increment of each interval, rounded when the plan says so, and
  // the one denominator they all share.
  const perIncrement: Ratio[] = [];
  let denominatorBig = 1n;
  const rates = written.map((w) => parseAmountAsMicros(w.rate));
  written.forEach((w, i) => {
    const rateUnit = w.rateUnit ?? 1;
    const exact = rates[i] ?? { num: 0n, den: 1n };
    let cost = ratio(exact.num * BigInt(w.increment ?? rateUnit), exact.den * BigInt(rateUnit));
    if (incrementRounding !== null) {
      const step = BigInt(granularityMicros(incrementRounding.decimals));
      cost = {
        num: roundQuotientBig(cost.num, cost.den * step, incrementRounding.method) * step,
        den: 1n,
      };
    }
    perIncrement.push(cost);
    if (cost.den !== denominatorBig) denominatorBig = lcm(denominatorBig, cost.den);
  });
  const connectNumeratorBig = BigInt(connectFeeMicros) * denominatorBig;
  const intervals: TariffInterval[] = written.map((w, i) => {
    const rateUnit = w.rateUnit ?? 1;
    const cost = perIncrement[i] ?? { num: 0n, den: 1n };
    const incrementNumeratorBig =
      cost.den === denominatorBig ? cost.num : cost.num * (denominatorBig / cost.den);
    return {
      start: w.start,
      next: written[i + 1]?.start ?? Infinity,
      rate: w.rate,
      rateUnit,
      increment: w.increment ?? rateUnit,
      incrementNumerator: isSafeBigint(incrementNumeratorBig) ? Number(incrementNumeratorBig) : -1,
      incrementNumeratorBig,
      reportedRateMicros: reportedRate(
        rates[i] ?? { num: 0n, den: 1n },
        rateUnit,
        context.reportedRateQuantity,
      ),
    };
  });
  const safeQuantity = safeQuantityOf(
    intervals,
    connectNumeratorBig,
    denominatorBig,
    totalGranularity,
  );
  return {
    // What resolving and pricing read per event comes first, so it shares a cache line or two.
    pricing: 'tiered',
    periodMask: context.periodMask,
    minimum: entry.minimum ?? 0,
    safeQuantity,
    onlyIncrement: intervals.length === 1 ? (intervals[0]?.increment ?? 0) : 0,
    connectNumerator: isSafeBigint(connectNumeratorBig) ? Number(connectNumeratorBig) : -1,
    onlyIncrementNumerator: intervals[0]?.incrementNumerator ?? -1,
    roundingDivisor: safeQuantity < 0 ? -1 : Number(denominatorBig) * totalGranularity,
    totalMethod: totalRounding.method,
    totalGranularity,
    maxCostMicros,
    intervals,
    denominator: isSafeBigint(denominatorBig) ? Number(denominatorBig) : -1,
    channel: context.channel,
    version: context.version,
    destination: context.destination,
    period: context.period,
    weight: entry.weight ?? 0,
    totalRounding,
    rounding: cache.rounding(rounding, 'tiered'),
    connectFeeMicros,
    denominatorBig,
    connectNumeratorBig,
  };
}

function reportedRate(micros: Ratio, rateUnit: number, quantity: number): number {
  const value = roundQuotientBig(
    micros.num * BigInt(quantity),
    micros.den * BigInt(rateUnit),
    'half_up',
  );
  return isSafeBigint(value) ? Number(value) : Number.MAX_SAFE_INTEGER;
}

function wholeMicros(text: string, field: string, problems: string[]): number {
  const exact = parseAmountAsMicros(text);
  if (exact.den !== 1n) throw new RangeError(`"${text}" is finer than one micro-unit`);
  const micros = exact.num;
  if (!isSafeBigint(micros)) {
    problems.push(`\`${field}\` ${text} is too large`);
    return 0;
  }
  return Number(micros);
}

/**
 * The largest billed quantity whose pricing stays within safe integers: the running numerator
 * is at most connect + (quantity + one increment) × the dearest cost per unit, and the rounding
 * divides by denominator × granularity.
 */
function safeQuantityOf(
  intervals: readonly TariffInterval[],
  connectNumerator: bigint,
  denominator: bigint,
  granularity: number,
): number {
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  const roundingDivisor = denominator * BigInt(granularity);
  let perUnit = 1n;
  let longestIncrement = 1n;
  for (const interval of intervals) {
    const increment = BigInt(interval.increment);
    const unitCost = (interval.incrementNumeratorBig + increment - 1n) / increment;
    if (unitCost > perUnit) perUnit = unitCost;
    if (increment > longestIncrement) longestIncrement = increment;
  }
  const headroom = max - connectNumerator - roundingDivisor;
  if (headroom <= 0n) return -1;
  const quantity = headroom / perUnit - longestIncrement;
  // Quantities never exceed a billion (seconds or units), so 2^30 − 1 is as good as any larger
  // bound, and keeps the field a small integer V8 stores inline instead of a boxed double.
  return quantity < 0n ? -1 : toSafeNumber(quantity > SMALL_LIMIT ? SMALL_LIMIT : quantity);
}

/**
 * How far a cost-plus tariff can price with plain numbers: provider cost × markup numerator and
 * the rounding divisor must stay safe integers.
 */
function costPlusLimits(
  markup: Ratio,
  granularity: number,
): { safeProviderCost: number; roundingDivisor: number } {
  const divisor = markup.den * BigInt(granularity);
  if (!isSafeBigint(divisor) || !isSafeBigint(markup.num)) {
    return { safeProviderCost: -1, roundingDivisor: -1 };
  }
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return {
    safeProviderCost: markup.num === 0n ? Number.MAX_SAFE_INTEGER : Number(max / markup.num),
    roundingDivisor: Number(divisor),
  };
}
