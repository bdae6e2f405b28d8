// Exact money arithmetic for rating. Plans write amounts as decimal strings in currency units
// ("0.02"); they are read into exact ratios of bigints and end as integer micro-units
// (1 unit = 1,000,000 micros). Nothing here goes through a floating-point number.

export const MICROS_PER_UNIT = 1_000_000;
const MICROS_PER_UNIT_BIG = 1_000_000n;

/** Currency decimals a micro-unit can hold: amounts are rounded to at most this many. */
export const MICRO_DECIMALS = 6;

/** An exact non-negative rational number; `den` > 0 and the fraction is reduced. */
export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  if (x <= MAX_SAFE && y <= MAX_SAFE) {
    // Plain numbers while they are exact: a bigint loop allocates at every step, and compiling
    // a 50,000-rate deck reduces a few hundred thousand fractions.
    return BigInt(gcdOfNumbers(Number(x), Number(y)));
  }
  while (y !== 0n) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

export function lcm(a: bigint, b: bigint): bigint {
  return (a / gcd(a, b)) * b;
}

export function ratio(num: bigint, den: bigint): Ratio {
  if (den <= 0n) throw new RangeError(`ratio denominator must be positive, got ${den}`);
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

export function multiplyRatios(a: Ratio, b: Ratio): Ratio {
  return ratio(a.num * b.num, a.den * b.den);
}

/** Reads a non-negative decimal string ("5", "1.25", "0.0083") as an exact ratio. */
export function parseDecimal(text: string): Ratio {
  const match = DECIMAL.exec(text);
  if (match === null) throw new RangeError(`not a non-negative decimal number: "${text}"`);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  return ratio(BigInt(whole + fraction), 10n ** BigInt(fraction.length));
}

/** Reads an amount in currency units ("0.02") as an exact ratio of micro-units (20000/1). */
export function parseAmountAsMicros(text: string): Ratio {
  const match = DECIMAL.exec(text);
  const whole = match?.[1] ?? '';
  const fraction = match?.[2] ?? '';
  if (whole.length > 0 && whole.length <= 9 && whole.length + fraction.length <= 15) {
    // Plain numbers when every value stays below 10^15, so exact: a rate deck reads tens of
    // thousands of amounts. The written digits are an integer over 10^(fraction digits).
    const digits = Number(whole + fraction);
    if (fraction.length <= MICRO_DECIMALS) {
      return { num: BigInt(digits * 10 ** (MICRO_DECIMALS - fraction.length)), den: 1n };
    }
    const den = 10 ** (fraction.length - MICRO_DECIMALS);
    const g = gcdOfNumbers(digits, den);
    return { num: BigInt(digits / g), den: BigInt(den / g) };
  }
  return multiplyRatios(parseDecimal(text), { num: MICROS_PER_UNIT_BIG, den: 1n });
}

function gcdOfNumbers(a: number, b: number): number {
  let m = a;
  let n = b;
  while (n !== 0) {
    const t = m % n;
    m = n;
    n = t;
  }
  return m;
}

/**
 * Micro-units of an amount written in currency units, which must be a whole number of micros
 * (at most six decimals); throws otherwise.
 */
export function parseWholeMicros(text: string): bigint {
  const micros = parseAmountAsMicros(text);
  if (micros.den !== 1n) throw new RangeError(`"${text}" is finer than one micro-unit`);
  return micros.num;
}

/** "415/3" for a fraction, "20000" for a whole number: how breakdowns show exact micros. */
export function formatRatio(r: Ratio): string {
  return r.den === 1n ? r.num.toString() : `${r.num}/${r.den}`;
}

/** Formats integer micro-units as an exact decimal of currency units: 40000 → "0.04". */
export function formatMicros(micros: number | bigint): string {
  const value = typeof micros === 'bigint' ? micros : BigInt(micros);
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const whole = magnitude / MICROS_PER_UNIT_BIG;
  const fraction = (magnitude % MICROS_PER_UNIT_BIG).toString().padStart(MICRO_DECIMALS, '0');
  const trimmed = fraction.replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${trimmed === '' ? '' : `.${trimmed}`}`;
}

/** Micro-units in one step of `decimals` currency decimals: 4 decimals of USD → 100 micros. */
export function granularityMicros(decimals: number): number {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MICRO_DECIMALS) {
    throw new RangeError(`rounding decimals must be an integer 0..${MICRO_DECIMALS}`);
  }
  return 10 ** (MICRO_DECIMALS - decimals);
}

/** Converts a bigint known to be in the safe-integer range; throws a RangeError otherwise. */
export function toSafeNumber(value: bigint): number {
  if (!isSafeBigint(value)) {
    throw new RangeError(`${value} is outside the safe integer range`);
  }
  return Number(value);
}

export function isSafeBigint(value: bigint): boolean {
  return value <= MAX_SAFE && value >= MIN_SAFE;
}
