// The hot half of a plan's tariffs, in one flat buffer: what rating a destination's event reads
// (minimum, increments and their costs, rounding, cap, reported rate) packed into 64 bytes per
// tariff, so a prefix match costs one read of the prefix's entry and one of its record, where
// tariff objects cost a pointer chase per object (tariff, intervals array, interval) and fill
// the heap: the object of a record's tariff is compiled again from a copy of its rate only when
// a breakdown or the dialer needs it. Tariffs that do not fit (periods, several candidates,
// amounts past int32 or safe integers) keep the object path: the table only ever says "price
// it here" or "ask the object".
import type { DestinationTariffs } from './compiled-plan.js';
import { isTariffList } from './compiled-plan.js';
import type { TariffCharge } from './pricing.js';
import { ZERO_CHARGE } from './pricing.js';
import type { RateEntryDocument } from './plan-schema.js';
import type { RoundingMethod } from './rounding.js';
import { compileTariff } from './tariff.js';
import type { TariffContext, TieredTariff } from './tariff.js';

/**
 * The buffer is read in 32-byte units, as four float64 or eight int32 slots. A record is two
 * units of header (the first interval inline), then one unit per further interval:
 *
 *   unit b     float64: connectNumerator, roundingDivisor, denominator, interval 0 numerator
 *   unit b + 1 int32:   minimum, safeQuantity, totalGranularity, method | intervals << 2,
 *                       interval 0 increment, interval 0 reported rate, maxCost (-1: none),
 *                       index of the tariff's source (to compile its object again)
 *   unit b + 1 + k (k >= 1), interval k:
 *              float64: incrementNumerator, -; int32 (from slot 4): start, increment, reported rate
 */
const UNIT_BYTES = 32;
const DOUBLES_PER_UNIT = 4;
const INTS_PER_UNIT = 8;
const HEADER_UNITS = 2;

const D_CONNECT = 0;
const D_DIVISOR = 1;
const D_DENOMINATOR = 2;
const D_FIRST_NUMERATOR = 3;

const I_MINIMUM = 0;
const I_SAFE_QUANTITY = 1;
const I_GRANULARITY = 2;
const I_METHOD_AND_COUNT = 3;
const I_FIRST_INCREMENT = 4;
const I_FIRST_REPORTED = 5;
const I_MAX_COST = 6;
const I_TARIFF = 7;

const D_NUMERATOR = 0;
const I_START = 4;
const I_INCREMENT = 5;
const I_REPORTED = 6;

const INT32_MAX = 2 ** 31 - 1;
/** `next` of the last interval: past every quantity a record prices (those are < 2^30). */
const NO_NEXT = INT32_MAX;
const METHODS: readonly RoundingMethod[] = ['up', 'down', 'half_up'];

/** A code in ChannelRates.byPrefix: no tariff for the prefix. */
export const NO_TARIFFS = -1;

/**
 * byPrefix codes: a record's first unit (>= 0) when the destination's one tariff is in the
 * table, else -2 - k for the k-th tariff list kept as objects.
 */
export function objectCode(k: number): number {
  return -2 - k;
}

export function objectIndex(code: number): number {
  return -2 - code;
}

/** What compiled a tariff: compileTariff(entry, { ...context, destination }) gives it again. */
export interface TariffSource {
  readonly entry: RateEntryDocument;
  /** The context but for the destination, shared by the tariffs of one version and channel. */
  readonly context: TariffContext;
  readonly destination: string | null;
}

export class TariffTable {
  /** What compiles the tariff of each record, by the index the record holds. */
  private readonly sources: TariffSource[] = [];
  /** The tariff objects compiled again so far, by the same index. */
  private readonly compiled: (TieredTariff | undefined)[] = [];
  /** Destinations whose tariffs are read from the objects, by objectIndex. */
  readonly objects: DestinationTariffs[] = [];
  private buffer = new ArrayBuffer(UNIT_BYTES * 64);
  private doubles = new Float64Array(this.buffer);
  private ints = new Int32Array(this.buffer);
  private units = 0;

  /**
   * The byPrefix code of a destination's tariffs: a record when they fit one, else objects.
   * `sourceOf` says what compiled a lone tariff, for a record's tariff to be compiled again.
   */
  add(tariffs: DestinationTariffs, sourceOf: () => TariffSource): number {
    if (!isTariffList(tariffs) && tariffs.pricing === 'tiered' && fitsRecord(tariffs)) {
      return this.addRecord(tariffs, sourceOf());
    }
    this.objects.push(tariffs);
    return objectCode(this.objects.length - 1);
  }

  /** Drops spare capacity once the plan is compiled. */
  compact(): void {
    const used = this.units * UNIT_BYTES;
    if (used === this.buffer.byteLength) return;
    this.buffer = this.buffer.slice(0, used);
    this.doubles = new Float64Array(this.buffer);
    this.ints = new Int32Array(this.buffer);
  }

  get byteSize(): number {
    return this.buffer.byteLength;
  }

  /** How many records the table holds. */
  get recordCount(): number {
    return this.sources.length;
  }

  /**
   * The tariff a record prices with, for breakdowns and the object path: compiled again from
   * its source the first time, the same object after.
   */
  tariffOf(record: number): TieredTariff {
    const index = this.ints[(record + 1) * INTS_PER_UNIT + I_TARIFF] ?? 0;
    let tariff = this.compiled[index];
    if (tariff === undefined) {
      const source = this.sources[index];
      const problems: string[] = [];
      const again =
        source &&
        compileTariff(
          source.entry,
          { ...source.context, destination: source.destination },
          problems,
        );
      if (again?.pricing !== 'tiered') throw new Error(`the tariff of record ${record} is lost`);
      tariff = again;
      this.compiled[index] = tariff;
    }
    return tariff;
  }

  /**
   * priceTiered(tariffOf(record), quantity), read from the record: the same steps on the same
   * numbers. Undefined past the record's safe quantity, where the object path's bigints take
   * over.
   */
  price(record: number, quantity: number): TariffCharge | undefined {
    if (quantity === 0) return ZERO_CHARGE;
    const ints = this.ints;
    const doubles = this.doubles;
    const d = record * DOUBLES_PER_UNIT;
    const h = (record + 1) * INTS_PER_UNIT;
    const minimum = ints[h + I_MINIMUM] as number;
    const billedFrom = quantity < minimum ? minimum : quantity;
    if (billedFrom > (ints[h + I_SAFE_QUANTITY] as number)) return undefined;
    const methodAndCount = ints[h + I_METHOD_AND_COUNT] as number;
    const count = methodAndCount >> 2;
    let numerator = doubles[d + D_CONNECT] as number;
    let position: number;
    let lastInterval = 0;
    let reported: number;
    if (count === 1) {
      const only = ints[h + I_FIRST_INCREMENT] as number;
      const rest = billedFrom % only;
      const increments = (billedFrom - rest) / only + (rest === 0 ? 0 : 1);
      position = increments * only;
      numerator += increments * (doubles[d + D_FIRST_NUMERATOR] as number);
      reported = ints[h + I_FIRST_REPORTED] as number;
    } else {
      position = 0;
      let increment = ints[h + I_FIRST_INCREMENT] as number;
      let cost = doubles[d + D_FIRST_NUMERATOR] as number;
      for (let i = 0; i < count && position < billedFrom; i++) {
        const nextUnit = record + HEADER_UNITS + i; // interval i + 1
        const next = i + 1 < count ? (ints[nextUnit * INTS_PER_UNIT + I_START] as number) : NO_NEXT;
        if (i > 0) {
          const unit = nextUnit - 1;
          increment = ints[unit * INTS_PER_UNIT + I_INCREMENT] as number;
          cost = doubles[unit * DOUBLES_PER_UNIT + D_NUMERATOR] as number;
        }
        const end = billedFrom < next ? billedFrom : next;
        if (position >= end) continue; // an earlier increment already ran past this interval
        const span = end - position;
        const rest = span % increment;
        const increments = (span - rest) / increment + (rest === 0 ? 0 : 1);
        lastInterval = i;
        position += increments * increment;
        numerator += increments * cost;
      }
      reported =
        lastInterval === 0
          ? (ints[h + I_FIRST_REPORTED] as number)
          : (ints[(record + 1 + lastInterval) * INTS_PER_UNIT + I_REPORTED] as number);
    }
    const step = ints[h + I_GRANULARITY] as number;
    const divisor = doubles[d + D_DIVISOR] as number;
    const rest = numerator % divisor;
    let rounded = (numerator - rest) / divisor;
    if (rest !== 0) {
      const method = methodAndCount & 3;
      // 0 up, 1 down, 2 half_up: as roundQuotient.
      if (method === 0 || (method === 2 && rest >= divisor - rest)) rounded += 1;
    }
    rounded *= step;
    const maxCost = ints[h + I_MAX_COST] as number;
    const capped = maxCost >= 0 && rounded > maxCost;
    return new RecordCharge(
      capped ? maxCost : rounded,
      position,
      billedFrom > quantity,
      lastInterval,
      numerator,
      doubles[d + D_DENOMINATOR] as number,
      capped,
      reported,
    );
  }

  /** The rate reports quote for a record's interval, as TariffInterval.reportedRateMicros. */
  reportedRate(record: number, interval: number): number {
    return interval <= 0
      ? (this.ints[(record + 1) * INTS_PER_UNIT + I_FIRST_REPORTED] as number)
      : (this.ints[(record + 1 + interval) * INTS_PER_UNIT + I_REPORTED] as number);
  }

  private addRecord(tariff: TieredTariff, source: TariffSource): number {
    const intervals = tariff.intervals;
    const record = this.units;
    this.reserve(HEADER_UNITS + intervals.length - 1);
    const doubles = this.doubles;
    const ints = this.ints;
    const d = record * DOUBLES_PER_UNIT;
    const h = (record + 1) * INTS_PER_UNIT;
    const first = intervals[0];
    if (first === undefined) throw new RangeError('a tiered tariff has at least one interval');
    doubles[d + D_CONNECT] = tariff.connectNumerator;
    doubles[d + D_DIVISOR] = tariff.roundingDivisor;
    doubles[d + D_DENOMINATOR] = tariff.denominator;
    doubles[d + D_FIRST_NUMERATOR] = first.incrementNumerator;
    ints[h + I_MINIMUM] = tariff.minimum;
    ints[h + I_SAFE_QUANTITY] = tariff.safeQuantity;
    ints[h + I_GRANULARITY] = tariff.totalGranularity;
    ints[h + I_METHOD_AND_COUNT] = METHODS.indexOf(tariff.totalMethod) | (intervals.length << 2);
    ints[h + I_FIRST_INCREMENT] = first.increment;
    ints[h + I_FIRST_REPORTED] = first.reportedRateMicros;
    ints[h + I_MAX_COST] = tariff.maxCostMicros ?? -1;
    ints[h + I_TARIFF] = this.sources.length;
    for (let k = 1; k < intervals.length; k++) {
      const interval = intervals[k];
      if (interval === undefined) continue;
      const unit = record + 1 + k;
      doubles[unit * DOUBLES_PER_UNIT + D_NUMERATOR] = interval.incrementNumerator;
      ints[unit * INTS_PER_UNIT + I_START] = interval.start;
      ints[unit * INTS_PER_UNIT + I_INCREMENT] = interval.increment;
      ints[unit * INTS_PER_UNIT + I_REPORTED] = interval.reportedRateMicros;
    }
    this.sources.push({
      entry: copyOfEntry(source.entry),
      context: source.context,
      destination: source.destination,
    });
    this.units += HEADER_UNITS + intervals.length - 1;
    return record;
  }

  private reserve(units: number): void {
    const needed = (this.units + units) * UNIT_BYTES;
    if (needed <= this.buffer.byteLength) return;
    const grown = new ArrayBuffer(Math.max(needed, this.buffer.byteLength * 2));
    new Uint8Array(grown).set(new Uint8Array(this.buffer));
    this.buffer = grown;
    this.doubles = new Float64Array(grown);
    this.ints = new Int32Array(grown);
  }
}

/** A TariffCharge from a record, with the rate reports quote beside it. */
class RecordCharge implements TariffCharge {
  constructor(
    readonly costMicros: number,
    readonly billedQuantity: number,
    readonly minimumApplied: boolean,
    readonly lastInterval: number,
    readonly unroundedNumerator: number,
    readonly unroundedDenominator: number,
    readonly capped: boolean,
    readonly reportedRateMicros: number,
  ) {}
}

/**
 * The fields of a rate entry compileTariff reads, copied (nested objects too): the plan keeps
 * nothing of the document it was compiled from, which its caller may change.
 */
function copyOfEntry(entry: RateEntryDocument): RateEntryDocument {
  const copy: { -readonly [K in keyof RateEntryDocument]: RateEntryDocument[K] } = {
    channel: entry.channel,
  };
  if (entry.rate !== undefined) copy.rate = entry.rate;
  if (entry.rateUnit !== undefined) copy.rateUnit = entry.rateUnit;
  if (entry.increment !== undefined) copy.increment = entry.increment;
  if (entry.intervals !== undefined)
    copy.intervals = entry.intervals.map((interval) => ({ ...interval }));
  if (entry.connectFee !== undefined) copy.connectFee = entry.connectFee;
  if (entry.minimum !== undefined) copy.minimum = entry.minimum;
  if (entry.maxCost !== undefined) copy.maxCost = entry.maxCost;
  if (entry.markup !== undefined) copy.markup = entry.markup;
  if (entry.weight !== undefined) copy.weight = entry.weight;
  if (entry.rounding !== undefined) {
    const { increment, total } = entry.rounding;
    copy.rounding = {
      ...(increment === undefined ? {} : { increment: { ...increment } }),
      ...(total === undefined ? {} : { total: { ...total } }),
    };
  }
  return copy;
}

/**
 * Whether a tariff prices the same from a record: no period to test, plain-number pricing
 * possible (safeQuantity >= 0, so every numerator and divisor is a safe integer), and every
 * count, cap and reported rate an int32.
 */
function fitsRecord(tariff: TieredTariff): boolean {
  if (tariff.periodMask !== null || tariff.safeQuantity < 0) return false;
  if (tariff.maxCostMicros !== null && tariff.maxCostMicros > INT32_MAX) return false;
  if (tariff.intervals.length === 0 || tariff.intervals.length > 1 << 20) return false;
  if (!isInt32(tariff.minimum) || !isInt32(tariff.totalGranularity)) return false;
  for (const interval of tariff.intervals) {
    if (interval.incrementNumerator < 0) return false;
    if (!isInt32(interval.increment) || !isInt32(interval.reportedRateMicros)) return false;
    if (interval.start >= NO_NEXT) return false;
  }
  return true;
}

function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= INT32_MAX;
}
