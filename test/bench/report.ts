// What every benchmark returns: a name and its figures, which test/bench/run.ts prints with the
// machine description and writes into the README.

export interface BenchResult {
  readonly name: string;
  /** Figure label (with its unit, e.g. "events/s") → value. */
  readonly figures: Record<string, number | string>;
}
