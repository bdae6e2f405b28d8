// rate(): the price of one usage event under a compiled plan, in integer micro-units, with a
// breakdown that says which destination, prefix, rate and increments priced it, what rounding
// did and whether the cap bit. Pure and synchronous: the pipeline and the command call it.
import type { CompiledChannel, CompiledPlan } from './compiled-plan.js';
import type { RoundingRule } from './rounding.js';
import type { SmsEncoding } from './segments.js';
import type { Tariff, TieredTariff } from './tariff.js';
import type { TariffCharge } from './pricing.js';
import type { Usage } from './usage.js';
import { RatingError } from './errors.js';
import { countSegments } from './segments.js';
import { formatUnrounded, incrementsPerInterval, priceCostPlus, priceTiered } from './pricing.js';
import { matchTariff } from './resolve-tariff.js';
import { MAX_DURATION_SECONDS } from './usage.js';
import { formatRatio, ratio } from './money.js';

export interface IntervalCharge {
  /** Where the interval begins, in seconds or units. */
  readonly start: number;
  /** Currency units per rateUnit, as the plan wrote it. */
  readonly rate: string;
  readonly rateUnit: number;
  readonly increment: number;
  /** Increments charged in this interval. */
  readonly increments: number;
  /** Exact micro-units of one increment ("20000", or "415/3" when not rounded per increment). */
  readonly incrementCostMicros: string;
}

export interface RateBreakdown {
  readonly plan: string;
  readonly version: string;
  /** E.164 number rated ("+447700900123"); null for unaddressed channels such as email. */
  readonly number: string | null;
  /** Destination name from the plan; null when a rate for any destination applied. */
  readonly destination: string | null;
  readonly prefix: string | null;
  readonly period: string | null;
  readonly pricing: 'tiered' | 'cost_plus';
  /** What was used: seconds (calls), segments or messages, before billing rules. */
  readonly quantity: number;
  readonly unit: CompiledChannel['unit'];
  /** Set when segments were counted from the body. */
  readonly encoding?: SmsEncoding;
  readonly minimumApplied: boolean;
  readonly connectFeeMicros: number;
  readonly intervals: readonly IntervalCharge[];
  /** Cost-plus only. */
  readonly markup?: string;
  readonly providerCostMicros?: number;
  /** Exact micro-units before total rounding and cap. */
  readonly unroundedMicros: string;
  readonly rounding: { readonly increment: RoundingRule | null; readonly total: RoundingRule };
  readonly capped: boolean;
  readonly maxCostMicros: number | null;
}

export interface RateResult {
  /** The price, integer micro-units of `currency`. */
  readonly costMicros: number;
  readonly currency: string;
  readonly channel: string;
  /** The number rated, E.164 ("+447700900123"); null for unaddressed channels such as email. */
  readonly number: string | null;
  /** Calls: seconds billed (duration raised to the minimum and to whole increments). */
  readonly billedSeconds?: number;
  /** Messages: segments or messages billed. */
  readonly billedUnits?: number;
  /**
   * The rate applied, as usage reports quote it: micro-units per minute (calls) or per unit
   * (messages), of the last interval that billed; rounded half-up to a whole micro-unit. Absent
   * for cost-plus prices, which have no rate.
   */
  readonly rateMicros?: number;
  readonly breakdown: RateBreakdown;
}

/**
 * Prices one usage event; costMicros is integer micro-units. Throws RatingError (unknown_channel,
 * invalid_number, unauthorized_destination, no_active_plan, invalid_usage, …): an event rating
 * cannot price is never priced zero. The breakdown is built on first access (and by JSON
 * serialisation): the pipeline prices far more events than it explains.
 */
export function rate(plan: CompiledPlan, usage: Usage): RateResult {
  // Read at once: the match is overwritten by the next lookup.
  const match = matchTariff(plan, usage);
  const { channel, number, prefixLength, record } = match;
  let tariff = match.tariff;
  let quantity: number;
  let encoding: SmsEncoding | undefined;
  if (channel.kind === 'call') {
    quantity = callSeconds(usage.durationSeconds);
  } else if (channel.unit === 'segment') {
    if (usage.segments !== undefined) {
      quantity = usage.segments;
      if (!Number.isSafeInteger(quantity) || quantity < 1) {
        throw new RatingError('invalid_usage', 'segments must be a whole number >= 1', {
          segments: usage.segments,
        });
      }
    } else if (usage.body !== undefined) {
      const counted = countSegments(usage.body);
      quantity = counted.segments;
      encoding = counted.encoding;
    } else {
      throw new RatingError('invalid_usage', `a ${channel.name} event needs segments or a body`, {
        channel: channel.name,
      });
    }
  } else {
    quantity = 1;
  }

  let charge: TariffCharge | undefined;
  let rateMicros: number | undefined;
  if (tariff === undefined) {
    // A table record: priced from the flat table, unless past its safe quantity.
    const table = plan.tariffTable;
    charge = table.price(record, quantity);
    if (charge !== undefined) {
      rateMicros = table.reportedRate(record, charge.lastInterval);
    } else {
      const tiered = table.tariffOf(record);
      tariff = tiered;
      charge = priceTiered(tiered, quantity);
      rateMicros = reportedRate(tiered, charge);
    }
  } else if (tariff.pricing === 'cost_plus') {
    const providerCost = usage.providerCostMicros;
    if (providerCost === undefined) {
      throw new RatingError(
        'missing_provider_cost',
        `the ${channel.name} rate is cost-plus: the event needs providerCostMicros`,
        { channel: channel.name },
      );
    }
    if (!Number.isSafeInteger(providerCost) || providerCost < 0) {
      throw new RatingError('invalid_usage', 'providerCostMicros must be a whole number >= 0', {
        providerCostMicros: providerCost,
      });
    }
    charge = priceCostPlus(tariff, quantity, providerCost);
  } else {
    charge = priceTiered(tariff, quantity);
    rateMicros = reportedRate(tariff, charge);
  }
  return new PricedUsage(
    plan,
    channel,
    number,
    prefixLength,
    tariff,
    record,
    quantity,
    encoding,
    charge,
    rateMicros,
    usage.providerCostMicros,
  );
}

/** The rate of the last interval that billed (the first when none did), as reports quote it. */
function reportedRate(tariff: TieredTariff, charge: TariffCharge): number | undefined {
  return tariff.intervals[charge.lastInterval < 0 ? 0 : charge.lastInterval]?.reportedRateMicros;
}

/**
 * A RateResult that keeps what priced it in private fields (out of sight of spreads, equality
 * checks and inspection) and writes the breakdown out only when asked.
 */
class PricedUsage implements RateResult {
  // Declared only: the constructor creates them, in this order, where class fields would first
  // be defined as undefined and then written again, on every event.
  declare readonly costMicros: number;
  declare readonly currency: string;
  declare readonly channel: string;
  declare readonly number: string | null;
  declare readonly billedSeconds: number | undefined;
  declare readonly billedUnits: number | undefined;
  declare readonly rateMicros: number | undefined;
  readonly #plan: CompiledPlan;
  /** The tariff, or the TariffTable record that priced it (whose tariff a breakdown looks up). */
  readonly #tariff: Tariff | number;
  readonly #unit: CompiledChannel['unit'];
  readonly #prefixLength: number;
  readonly #quantity: number;
  readonly #encoding: SmsEncoding | undefined;
  readonly #charge: TariffCharge;
  readonly #providerCostMicros: number | undefined;
  #breakdown: RateBreakdown | undefined;

  constructor(
    plan: CompiledPlan,
    channel: CompiledChannel,
    number: string | null,
    prefixLength: number,
    tariff: Tariff | undefined,
    record: number,
    quantity: number,
    encoding: SmsEncoding | undefined,
    charge: TariffCharge,
    rateMicros: number | undefined,
    providerCostMicros: number | undefined,
  ) {
    this.costMicros = charge.costMicros;
    this.currency = plan.currency;
    this.channel = channel.name;
    this.number = number;
    this.billedSeconds = channel.kind === 'call' ? charge.billedQuantity : undefined;
    this.billedUnits = channel.kind === 'call' ? undefined : charge.billedQuantity;
    this.rateMicros = rateMicros;
    this.#plan = plan;
    this.#tariff = tariff ?? record;
    this.#unit = channel.unit;
    this.#prefixLength = prefixLength;
    this.#quantity = quantity;
    this.#encoding = encoding;
    this.#charge = charge;
    this.#providerCostMicros = providerCostMicros;
  }

  get breakdown(): RateBreakdown {
    this.#breakdown ??= this.#explain();
    return this.#breakdown;
  }

  /** Plain data for JSON.stringify, breakdown included; absent fields are left out. */
  toJSON(): Record<string, unknown> {
    return {
      costMicros: this.costMicros,
      currency: this.currency,
      channel: this.channel,
      number: this.number,
      billedSeconds: this.billedSeconds,
      billedUnits: this.billedUnits,
      rateMicros: this.rateMicros,
      breakdown: this.breakdown,
    };
  }

  #explain(): RateBreakdown {
    const tariff =
      typeof this.#tariff === 'number'
        ? this.#plan.tariffTable.tariffOf(this.#tariff)
        : this.#tariff;
    const charge = this.#charge;
    const tiered = tariff.pricing === 'tiered';
    return {
      plan: this.#plan.id,
      version: tariff.version,
      number: this.number,
      destination: tariff.destination,
      prefix:
        this.number === null || this.#prefixLength === 0
          ? null
          : this.number.slice(1, 1 + this.#prefixLength),
      period: tariff.period,
      pricing: tariff.pricing,
      quantity: this.#quantity,
      unit: this.#unit,
      encoding: this.#encoding,
      minimumApplied: charge.minimumApplied,
      connectFeeMicros: tiered && charge.billedQuantity > 0 ? tariff.connectFeeMicros : 0,
      intervals: tiered ? this.#intervalCharges(tariff) : [],
      markup: tiered ? undefined : tariff.markup,
      providerCostMicros: tiered ? undefined : this.#providerCostMicros,
      unroundedMicros: formatUnrounded(charge),
      rounding: tariff.rounding,
      capped: charge.capped,
      maxCostMicros: tariff.maxCostMicros,
    };
  }

  #intervalCharges(tariff: TieredTariff): IntervalCharge[] {
    const counts = incrementsPerInterval(tariff, this.#quantity);
    return tariff.intervals.map((interval, i) => ({
      start: interval.start,
      rate: interval.rate,
      rateUnit: interval.rateUnit,
      increment: interval.increment,
      increments: counts[i] ?? 0,
      // incrementNumerator / denominator, reduced: the exact cost of one increment.
      incrementCostMicros: formatRatio(
        ratio(interval.incrementNumeratorBig, tariff.denominatorBig),
      ),
    }));
  }
}

/** Whole seconds of a call: a started second is billed as a whole one. */
function callSeconds(duration: number | undefined): number {
  if (duration === undefined) {
    throw new RatingError('invalid_usage', 'a call needs durationSeconds');
  }
  if (!(duration >= 0 && duration <= MAX_DURATION_SECONDS)) {
    throw new RatingError(
      'invalid_usage',
      `durationSeconds must be between 0 and ${MAX_DURATION_SECONDS}`,
      { durationSeconds: duration },
    );
  }
  return Math.ceil(duration);
}
