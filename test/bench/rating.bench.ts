// Rating benchmark: loads a generated 50,000-prefix rate deck, measures load and compile time,
// the heap the compiled plan holds, and events rated per second on one core for a mix of calls
// and messages, beside a raw baseline (a Map lookup and an integer multiply per event).
// Standalone: npx tsx --expose-gc test/bench/rating.bench.ts
import { pathToFileURL } from 'node:url';
import { compilePlan, rate } from '../../src/rating/index.js';
import type { CompiledPlan, PlanDocument, Usage } from '../../src/rating/index.js';
import type { BenchResult } from './report.js';

const PREFIXES = 50_000;
const EVENTS = 200_000;
const MIN_MEASURE_MS = 1_500;

/** Deterministic pseudo-random numbers (mulberry32), so every run rates the same events. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Deck {
  readonly document: PlanDocument;
  readonly prefixes: readonly string[];
  /** Voice rate of each prefix in micros per minute, for the baseline. */
  readonly minuteMicros: ReadonlyMap<string, number>;
}

/** A rate deck as carriers send them: one destination and one voice rate per prefix. */
export function generateDeck(count: number, random: () => number): Deck {
  const prefixes = new Set<string>();
  while (prefixes.size < count) {
    const length = 3 + Math.floor(random() * 6); // 3..8 digits
    let prefix = String(1 + Math.floor(random() * 9));
    while (prefix.length < length) prefix += String(Math.floor(random() * 10));
    prefixes.add(prefix);
  }
  const destinations: Record<string, string[]> = {};
  const rates: PlanDocument['versions'][number]['rates'] = [];
  const minuteMicros = new Map<string, number>();
  let i = 0;
  for (const prefix of prefixes) {
    const name = `D${String(i++).padStart(5, '0')}`;
    destinations[name] = [prefix];
    const micros = 1_000 + Math.floor(random() * 300_000); // 0.001 .. 0.301 per minute
    minuteMicros.set(prefix, micros);
    const rateText = `0.${String(micros).padStart(6, '0')}`;
    rates.push(
      i % 4 === 0
        ? {
            channel: 'voice',
            destination: name,
            connectFee: '0.01',
            intervals: [
              { start: 0, rate: rateText, rateUnit: 60, increment: 60 },
              { start: 60, rate: rateText, rateUnit: 60, increment: 1 },
            ],
          }
        : { channel: 'voice', destination: name, rate: rateText, rateUnit: 60, increment: 6 },
    );
    if (i % 10 === 0) rates.push({ channel: 'sms', destination: name, rate: '0.0079' });
  }
  rates.push(
    { channel: 'whatsapp_call', rate: '0.02', rateUnit: 60 },
    { channel: 'sms', rate: '0.05' },
    { channel: 'whatsapp_message', markup: '5' },
  );
  return {
    document: {
      id: 'bench-deck',
      currency: 'USD',
      channels: {
        voice: { kind: 'call' },
        whatsapp_call: { kind: 'call' },
        sms: { kind: 'message', unit: 'segment' },
        whatsapp_message: { kind: 'message' },
      },
      destinations,
      versions: [{ name: 'v1', activeFrom: '2025-01-01T00:00:00Z', rates }],
    },
    prefixes: [...prefixes],
    minuteMicros,
  };
}

interface BenchEvent {
  readonly usage: Usage;
  /** Baseline inputs: the prefix to look up and the quantity to multiply by. */
  readonly prefix: string;
  readonly quantity: number;
}

/** 45% voice, 15% WhatsApp calls, 30% SMS (half with a body to count), 10% WhatsApp messages. */
function generateEvents(
  deck: Pick<Deck, 'prefixes' | 'minuteMicros'>,
  count: number,
  random: () => number,
): BenchEvent[] {
  const events: BenchEvent[] = [];
  const bodies = [
    'Your interview is confirmed for Tuesday at 10:00.',
    'Bonjour, votre entretien est confirmé ✅',
    'x'.repeat(200),
  ];
  const start = Date.parse('2025-03-04T00:00:00Z');
  for (let i = 0; i < count; i++) {
    const prefix = deck.prefixes[Math.floor(random() * deck.prefixes.length)] ?? '1';
    let digits = prefix;
    while (digits.length < 11) digits += String(Math.floor(random() * 10));
    const destination = `+${digits}`;
    const startTime = new Date(start + Math.floor(random() * 86_400_000)).toISOString();
    const pick = random();
    const durationSeconds = 1 + Math.floor(random() * 900);
    let usage: Usage;
    if (pick < 0.45) usage = { channel: 'voice', destination, startTime, durationSeconds };
    else if (pick < 0.6)
      usage = { channel: 'whatsapp_call', destination, startTime, durationSeconds };
    else if (pick < 0.75) usage = { channel: 'sms', destination, startTime, segments: 1 + (i % 3) };
    else if (pick < 0.9)
      usage = { channel: 'sms', destination, startTime, body: bodies[i % bodies.length] ?? '' };
    else
      usage = {
        channel: 'whatsapp_message',
        destination,
        startTime,
        providerCostMicros: 5_000 + (i % 1000),
      };
    events.push({ usage, prefix, quantity: usage.durationSeconds ?? usage.segments ?? 1 });
  }
  return events;
}

function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return false;
  gc();
  gc();
  return true;
}

/**
 * Runs `pass` (one pass over all events, returning a checksum of it) until MIN_MEASURE_MS has
 * gone by; events per second, and the checksum of one pass, the same in every run (every pass
 * must give it).
 */
function eventsPerSecond(
  events: number,
  pass: () => number,
): { perSecond: number; checksum: number } {
  const checksum = pass(); // warm-up, so the JIT has compiled the hot path
  let passes = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_MEASURE_MS) {
    if (pass() !== checksum) throw new Error('two passes over the same events differ');
    passes++;
    elapsed = performance.now() - started;
  }
  return { perSecond: (passes * events * 1000) / elapsed, checksum };
}

export async function benchRating(): Promise<BenchResult> {
  const random = randomSource(20250304);
  const deck = generateDeck(PREFIXES, random);
  // Only the text is kept: loading starts from a file's contents, in a process not yet busy.
  const text = JSON.stringify(deck.document);
  const { prefixes, minuteMicros } = deck;
  await Promise.resolve();

  const exactHeap = collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const loadStarted = performance.now();
  const parsed: unknown = JSON.parse(text);
  const parsedAt = performance.now();
  let plan: CompiledPlan | undefined = compilePlan(parsed);
  const compiledAt = performance.now();
  collectGarbage();
  const heapAfter = process.memoryUsage().heapUsed;

  const events = generateEvents({ prefixes, minuteMicros }, EVENTS, random);
  const compiled = plan;
  const rated = eventsPerSecond(events.length, () => {
    let sum = 0;
    for (const event of events) sum += rate(compiled, event.usage).costMicros;
    return sum;
  });

  const baselineMap = new Map(minuteMicros);
  const baseline = eventsPerSecond(events.length, () => {
    let sum = 0;
    for (const event of events) sum += (baselineMap.get(event.prefix) ?? 0) * event.quantity;
    return sum;
  });
  plan = undefined;

  return {
    name: 'rating',
    figures: {
      'prefixes in plan': PREFIXES,
      'plan size (MB of JSON)': round(text.length / 1_048_576, 1),
      'plan JSON.parse (ms)': round(parsedAt - loadStarted, 0),
      'plan validate + compile (ms)': round(compiledAt - parsedAt, 0),
      'plan load total (ms)': round(compiledAt - loadStarted, 0),
      'compiled plan heap (MB)': round((heapAfter - heapBefore) / 1_048_576, 1),
      'heap measured with': exactHeap
        ? 'global.gc'
        : 'memoryUsage delta without gc (run with --expose-gc)',
      'event mix':
        '45% voice, 15% WhatsApp call, 30% SMS (half counted from body), 10% cost-plus WhatsApp message',
      'events/s rated (one core)': Math.round(rated.perSecond),
      'events/s baseline (Map lookup + multiply)': Math.round(baseline.perSecond),
      'baseline / rated (x slower than raw)': round(baseline.perSecond / rated.perSecond, 1),
      'checksum (one pass: rated/baseline)': `${rated.checksum % 1_000_000_007}/${baseline.checksum % 1_000_000_007}`,
    },
  };
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchRating();
  for (const [label, value] of Object.entries(result.figures)) {
    process.stdout.write(`${label.padEnd(44)} ${value}\n`);
  }
}
