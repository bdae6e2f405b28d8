// Authorize benchmark: the /v1/authorize route served by a child process on a random loopback
// port (so client and server do not share an event loop), against the real Redis and Postgres.
// Measures latency at a fixed, open-loop 5,000 req/s (requests written on schedule over raw
// keep-alive sockets, whatever the answers do), both from the write of each request and from the
// time it was due; the server's CPU time per request (which, unlike latency, does not depend on
// what else the machine runs) and the client's; the heap bytes the server allocates per request
// (what sets how often its garbage collector pauses); the same for GET /healthz as the framework's
// floor; the throughput ceiling (closed loop over the same raw sockets); and a plain Redis GET
// round trip in the same run. Every loop is bounded in requests and in time.
// Standalone: npx tsx test/bench/authorize.bench.ts   (BENCH_CPU_PROF=<dir> profiles the server)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import inspector from 'node:inspector';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import os from 'node:os';
import v8 from 'node:v8';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { buildServer } from '../../src/api/server.js';
import { ApiKeyStore } from '../../src/api/api-keys.js';
import { applyTransaction } from '../../src/api/wallet-transactions.js';
import { insertCompany } from '../../src/billing/company-records.js';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { createPool, ensureDatabase } from '../../src/ledger/database.js';
import { migrate } from '../../src/ledger/migrate.js';
import { ledgerWalletSource } from '../../src/ledger/wallet-source.js';
import { compilePlan, DEFAULT_PLAN_DOCUMENT } from '../../src/rating/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { WalletStore } from '../../src/wallet/wallet-store.js';
import { createRedis } from '../../src/wallet/redis-connection.js';
import type { BenchResult } from './report.js';

const RATE = 5_000;
const RATE_SECONDS = 6;
const WARMUP_REQUESTS = 3_000;
const PACED_CONNECTIONS = 16;
const BASELINE_SECONDS = 3;
const CEILING_REQUESTS = 60_000;
const CEILING_CONNECTIONS = 32;
const REDIS_GETS = 20_000;
const PHASE_TIMEOUT_MS = 60_000;
const COMPANY = 'bench-co';
/** An answer slower than this inside the server counts as slow (ms): the target's p99. */
const SLOW_MS = 2;

/** The settings of one run: its own database and Redis prefix on the local stack. */
function runSettings(database: string, prefix: string): Settings {
  const base = loadSettings();
  const url = new URL(base.postgres.url);
  url.pathname = `/${database}`;
  return {
    ...base,
    postgres: { url: url.toString() },
    redis: { ...base.redis, prefix },
    ratePlanPath: '',
    logLevel: 'warn',
  };
}

/** Child side: serve the API on a random loopback port and print it. */
async function serve(): Promise<void> {
  const settings = runSettings(process.env.BENCH_DATABASE ?? '', process.env.BENCH_PREFIX ?? '');
  const pool = createPool(settings.postgres.url, 4);
  // As the processor builds it: the writes of one event-loop turn leave together.
  const redis = createRedis(settings.redis.url, { maxRetriesPerRequest: null });
  const log = createLogger('warn');
  const app = buildServer({
    log,
    metricsRegistry: createMetrics(false).registry,
    readiness: {},
    api: {
      pool,
      redis,
      wallets: new WalletStore(redis, settings.redis.prefix, ledgerWalletSource(pool)),
      plan: compilePlan(DEFAULT_PLAN_DOCUMENT),
      settings,
      producer: null,
    },
  });
  // Time inside the server for each request (fastify has parsed it → the answer is written), to
  // tell the server's own tail from what the client, the loopback and the scheduler add. The
  // start rides on the raw request as a number: a WeakMap and a BigInt per request would add to
  // the very allocation that drives the scavenges.
  let inServerMs: number[] = [];
  let inServerStartMs: number[] = [];
  // Garbage-collection pauses, with their starts, to tell which slow answers they explain (on
  // these 2-vCPU hosts only a tenth or so: most slow answers wait for a core).
  let gcPausesMs: number[] = [];
  let gcStartsMs: number[] = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcPausesMs.push(entry.duration);
      gcStartsMs.push(entry.startTime);
    }
  }).observe({ entryTypes: ['gc'] });
  const receivedAt = Symbol('receivedAt');
  type Timed = { [receivedAt]?: number };
  app.addHook('onRequest', (req, _reply, done) => {
    (req.raw as Timed)[receivedAt] = performance.now();
    done();
  });
  app.addHook('onResponse', (req, _reply, done) => {
    const at = (req.raw as Timed)[receivedAt];
    if (at !== undefined) {
      inServerMs.push(performance.now() - at);
      inServerStartMs.push(at);
    }
    done();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  // The machine's floor: Node's own HTTP server in the same process answering a constant, no
  // framework, no Redis. What it shows on p99 is the cores, the scheduler and the client.
  const plainBody = Buffer.from('{"status":"ok"}');
  const plain = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': plainBody.length });
    res.end(plainBody);
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const plainAddress = plain.address();
  const plainPort =
    typeof plainAddress === 'object' && plainAddress !== null ? plainAddress.port : 0;
  process.stdout.write(`${JSON.stringify({ port, plainPort })}\n`);
  // Bytes allocated on the heap: what is in use now, minus what was in use at the last report,
  // plus what every garbage collection in between freed. Allocation drives the scavenges.
  let gcProfiler = new v8.GCProfiler();
  gcProfiler.start();
  let heapUsedAtReport = v8.getHeapStatistics().used_heap_size;
  const allocatedSinceReport = (): number => {
    let freed = 0;
    for (const gc of gcProfiler.stop()?.statistics ?? [])
      freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
    const used = v8.getHeapStatistics().used_heap_size;
    const allocated = used - heapUsedAtReport + freed;
    gcProfiler = new v8.GCProfiler();
    gcProfiler.start();
    heapUsedAtReport = used;
    return allocated;
  };
  // The parent asks for the CPU time spent so far, to price a request in CPU regardless of what
  // else the machine is running, and for the in-server times, GC pauses and allocation since it
  // last asked.
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    const allocatedBytes = allocatedSinceReport();
    // Of the answers slower than SLOW_MS inside the server, how many overlapped a GC pause.
    let slow = 0;
    let slowInGc = 0;
    for (let i = 0; i < inServerMs.length; i++) {
      const took = inServerMs[i]!;
      if (took <= SLOW_MS) continue;
      slow++;
      const from = inServerStartMs[i]!;
      if (gcStartsMs.some((g, j) => g < from + took && g + gcPausesMs[j]! > from)) slowInGc++;
    }
    process.send?.({
      cpuMicros: user + system,
      inServerMs,
      gcPausesMs,
      allocatedBytes,
      slow,
      slowInGc,
    });
    inServerMs = [];
    inServerStartMs = [];
    gcPausesMs = [];
    gcStartsMs = [];
  });
  // BENCH_HEAP_SAMPLE=<file>: a sampling profile of every allocation (not only what survives),
  // written when the server stops; it tells which code allocates per request.
  let heapSession: inspector.Session | null = null;
  if (process.env.BENCH_HEAP_SAMPLE) {
    heapSession = new inspector.Session();
    heapSession.connect();
    heapSession.post('HeapProfiler.enable');
    heapSession.post('HeapProfiler.startSampling', {
      samplingInterval: 512,
      includeObjectsCollectedByMinorGC: true,
      includeObjectsCollectedByMajorGC: true,
    } as never);
  }
  const stop = () => {
    const file = process.env.BENCH_HEAP_SAMPLE;
    if (heapSession !== null && file !== undefined) {
      heapSession.post('HeapProfiler.stopSampling', (err, res) => {
        if (err === null) writeFileSync(file, JSON.stringify(res.profile));
      });
    }
    plain.close();
    void app.close().then(async () => {
      redis.disconnect();
      await pool.end();
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] ?? NaN;
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

interface Target {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string | number>>;
  readonly body?: string;
}

/** The bytes of one HTTP/1.1 keep-alive request, built once and written as they are. */
function requestBytes(target: Target): Buffer {
  const body = target.body ?? '';
  const head = [
    `${target.method} ${target.path} HTTP/1.1`,
    'host: 127.0.0.1',
    'connection: keep-alive',
    ...Object.entries(target.headers).map(([k, v]) => `${k}: ${v}`),
    ...(target.body === undefined ? [] : [`content-length: ${Buffer.byteLength(body)}`]),
    '',
    '',
  ].join('\r\n');
  return Buffer.from(head + body);
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = Buffer.from('\r\ncontent-length:');
const SPACE = 0x20;
const ZERO = 0x30;

/** The content-length of the answer head in buf[from, to), read without decoding the head. */
function contentLength(buf: Buffer, from: number, to: number): number {
  let i = buf.indexOf(CONTENT_LENGTH, from);
  if (i < 0 || i >= to) {
    // Not in the lower case Node writes for fastify: read the head the slow way.
    const m = /\r\ncontent-length: *(\d+)/i.exec(buf.toString('latin1', from, to));
    if (m?.[1] === undefined) throw new Error('an answer without content-length');
    return Number(m[1]);
  }
  i += CONTENT_LENGTH.length;
  while (buf[i] === SPACE) i++;
  let n = 0;
  for (let d = buf[i]; d !== undefined && d >= ZERO && d <= ZERO + 9; d = buf[++i]) {
    n = n * 10 + d - ZERO;
  }
  return n;
}

/**
 * One keep-alive connection that may carry several requests in flight (HTTP/1.1 pipelining, as
 * an open-loop client must when answers are late) and reads the answers back in order. Only what
 * the benchmark needs of HTTP: the status, a content-length and a body to skip, read from the
 * bytes without decoding them, so the client leaves the shared cores to the server.
 */
class Connection {
  /** Request numbers in flight, oldest first. */
  private readonly waiting: number[] = [];
  private rest: Buffer | null = null;

  constructor(
    private readonly socket: net.Socket,
    private readonly onAnswer: (status: number, request: number) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  destroy(): void {
    this.socket.destroy();
  }

  get inFlight(): number {
    return this.waiting.length;
  }

  send(bytes: Buffer, request: number): void {
    this.waiting.push(request);
    this.socket.write(bytes);
  }

  private read(chunk: Buffer): void {
    const buf = this.rest === null ? chunk : Buffer.concat([this.rest, chunk]);
    let at = 0;
    for (;;) {
      const end = buf.indexOf(HEAD_END, at);
      if (end < 0) break;
      const next = end + HEAD_END.length + contentLength(buf, at, end);
      if (next > buf.length) break;
      const status =
        (buf[at + 9]! - ZERO) * 100 + (buf[at + 10]! - ZERO) * 10 + buf[at + 11]! - ZERO;
      at = next;
      this.onAnswer(status, this.waiting.shift() ?? -1);
    }
    this.rest = at === buf.length ? null : buf.subarray(at);
  }
}

function connect(port: number, onAnswer: (status: number, request: number) => void) {
  return new Promise<Connection>((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () =>
      resolve(new Connection(socket, onAnswer)),
    );
    socket.once('error', reject);
  });
}

interface Shot {
  /** From the write of each request to the read of its answer, sorted (ms). */
  readonly latenciesMs: Float64Array;
  /** From the time each request was due by the schedule to the read of its answer, sorted (ms). */
  readonly fromScheduleMs: Float64Array;
  readonly errors: number;
  readonly elapsedMs: number;
  /** How late the client wrote requests relative to the schedule, p99 (ms). */
  readonly sendLagP99Ms: number;
  /** The client's own CPU time per request (µs): what it takes from the cores it shares. */
  readonly clientCpuMicros: number;
}

/**
 * Sends `total` requests at `rate` per second on a schedule (open loop): each request goes out
 * at its planned time on the least busy connection, whether or not earlier ones were answered,
 * so a server stall delays the answers of everything written meanwhile and they all count.
 * A timer tick writes every request that has come due since the last one. Latency is measured
 * both from the write of a request (the figure the target is read against) and from the time
 * it was due (which adds the client's own lateness: timer granularity and its stalls).
 */
async function paced(port: number, target: Target, rate: number, total: number): Promise<Shot> {
  const bytes = requestBytes(target);
  const writtenAt = new Float64Array(total);
  const latencies = new Float64Array(total);
  const fromSchedule = new Float64Array(total);
  const lags = new Float64Array(total);
  let sent = 0;
  let answered = 0;
  let errors = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let start = 0;
  const onAnswer = (status: number, request: number) => {
    const now = performance.now();
    latencies[answered] = now - (writtenAt[request] ?? now);
    fromSchedule[answered] = now - (start + (request * 1000) / rate);
    answered++;
    if (status !== 200) errors++;
    if (answered >= total) finish();
  };
  const connections = await Promise.all(
    Array.from({ length: PACED_CONNECTIONS }, () => connect(port, onAnswer)),
  );
  const cpu = process.cpuUsage();
  start = performance.now();
  const tick = () => {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (sent < due) {
      let idlest = connections[0]!;
      for (const c of connections) if (c.inFlight < idlest.inFlight) idlest = c;
      const now = performance.now();
      writtenAt[sent] = now;
      lags[sent] = now - (start + (sent * 1000) / rate);
      idlest.send(bytes, sent);
      sent++;
    }
    if (sent < total) setTimeout(tick, 1);
  };
  tick();
  const guard = setTimeout(finish, PHASE_TIMEOUT_MS);
  await finished;
  clearTimeout(guard);
  const elapsedMs = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  for (const c of connections) c.destroy();
  return {
    latenciesMs: latencies.slice(0, answered).sort(),
    fromScheduleMs: fromSchedule.slice(0, answered).sort(),
    errors: errors + (total - answered),
    elapsedMs,
    sendLagP99Ms: percentile(lags.slice(0, sent).sort(), 99),
    clientCpuMicros: (user + system) / Math.max(1, answered),
  };
}

interface Ceiling {
  readonly requests: number;
  readonly errors: number;
  readonly throughput: number;
  readonly latenciesMs: Float64Array;
}

/**
 * The throughput ceiling, closed loop: each of `connectionCount` connections sends its next
 * request as soon as the last is answered, until `total` were answered or time runs out.
 */
async function closedLoop(
  port: number,
  target: Target,
  connectionCount: number,
  total: number,
): Promise<Ceiling> {
  const bytes = requestBytes(target);
  const writtenAt = new Float64Array(total + connectionCount);
  const latencies = new Float64Array(total);
  let sent = 0;
  let answered = 0;
  let errors = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const connections: Connection[] = [];
  const sendOn = (c: Connection) => {
    writtenAt[sent] = performance.now();
    c.send(bytes, sent++);
  };
  const onAnswer = (index: number) => (status: number, request: number) => {
    if (answered >= total) return;
    latencies[answered++] = performance.now() - (writtenAt[request] ?? 0);
    if (status !== 200) errors++;
    if (answered >= total) finish();
    else if (sent < total) sendOn(connections[index]!);
  };
  for (let i = 0; i < connectionCount; i++) connections.push(await connect(port, onAnswer(i)));
  const start = performance.now();
  for (const c of connections) sendOn(c);
  const guard = setTimeout(finish, PHASE_TIMEOUT_MS);
  await finished;
  clearTimeout(guard);
  const elapsedMs = performance.now() - start;
  for (const c of connections) c.destroy();
  return {
    requests: answered,
    errors: errors + (total - answered),
    throughput: Math.round((answered / elapsedMs) * 1000),
    latenciesMs: latencies.slice(0, answered).sort(),
  };
}

async function redisRoundTrips(url: string, key: string): Promise<Float64Array> {
  const redis = new Redis(url);
  await redis.set(key, '1');
  const times = new Float64Array(REDIS_GETS);
  const deadline = performance.now() + PHASE_TIMEOUT_MS;
  let n = 0;
  for (; n < REDIS_GETS && performance.now() < deadline; n++) {
    const t0 = performance.now();
    await redis.get(key);
    times[n] = performance.now() - t0;
  }
  await redis.del(key);
  redis.disconnect();
  return times.slice(0, n).sort();
}

interface ServerReport {
  /** CPU time the server process has spent so far. */
  readonly cpuMicros: number;
  /** Time inside the server of each request answered since the last report, sorted. */
  readonly inServerMs: Float64Array;
  /** Garbage-collection pauses since the last report, ms. */
  readonly gcPausesMs: readonly number[];
  /** Heap bytes allocated since the last report. */
  readonly allocatedBytes: number;
  /** Answers slower than SLOW_MS inside the server since the last report. */
  readonly slow: number;
  /** Of those, the ones that overlapped a garbage-collection pause. */
  readonly slowInGc: number;
}

function serverReport(child: ChildProcess): Promise<ServerReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('API server did not report its CPU')), 5_000);
    child.once(
      'message',
      (m: {
        cpuMicros: number;
        inServerMs: number[];
        gcPausesMs: number[];
        allocatedBytes: number;
        slow: number;
        slowInGc: number;
      }) => {
        clearTimeout(timer);
        resolve({
          cpuMicros: m.cpuMicros,
          inServerMs: Float64Array.from(m.inServerMs).sort(),
          gcPausesMs: m.gcPausesMs,
          allocatedBytes: m.allocatedBytes,
          slow: m.slow,
          slowInGc: m.slowInGc,
        });
      },
    );
    child.send('cpu');
  });
}

async function startServer(
  database: string,
  prefix: string,
): Promise<{ child: ChildProcess; port: number; plainPort: number }> {
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
      ...(process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? []),
      fileURLToPath(import.meta.url),
      '--serve',
    ],
    {
      env: { ...process.env, BENCH_DATABASE: database, BENCH_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const ports = await new Promise<{ port: number; plainPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('API server did not start in 30 s')), 30_000);
    lines.on('line', (line) => {
      if (!line.startsWith('{"port"')) {
        process.stderr.write(`server: ${line}\n`);
        return;
      }
      clearTimeout(timer);
      resolve(JSON.parse(line) as { port: number; plainPort: number });
    });
    child.once('exit', (code) => reject(new Error(`API server exited with ${code}`)));
  });
  return { child, ...ports };
}

export async function benchAuthorize(): Promise<BenchResult> {
  const tag = randomBytes(4).toString('hex');
  const database = `tollgate_bench_${tag}`;
  const prefix = `bench${tag}`;
  const settings = runSettings(database, prefix);
  await ensureDatabase(settings.postgres.url);
  const pool = createPool(settings.postgres.url, 2);
  const redis = new Redis(settings.redis.url, { enableAutoPipelining: true });
  let child: ChildProcess | undefined;
  try {
    await migrate(pool);
    await insertCompany(pool, {
      id: COMPANY,
      name: 'Bench company',
      notificationRecipients: ['bench@example.com'],
      spendingCapMicros: 1_000_000_000,
    });
    const wallets = new WalletStore(redis, prefix, ledgerWalletSource(pool));
    await applyTransaction(
      { pool, wallets },
      COMPANY,
      'bench-funds',
      { type: 'balance_added', amountMicros: 100_000_000 },
      Date.now(),
    );
    const token = (await new ApiKeyStore(pool, redis, prefix).create('dialer', COMPANY, 'bench'))
      .token;
    const body = JSON.stringify({
      companyId: COMPANY,
      campaignId: 'bench-campaign',
      channel: 'whatsapp_call',
      number: '+447700900123',
    });

    const started = await startServer(database, prefix);
    child = started.child;
    const { port, plainPort } = started;

    // The answer is a real authorization, not an error page.
    const probe = await fetch(`http://127.0.0.1:${port}/v1/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    const answer = (await probe.json()) as { allowed?: boolean; maxSeconds?: number };
    if (probe.status !== 200 || answer.allowed !== true)
      throw new Error(`authorize answered ${probe.status}: ${JSON.stringify(answer)}`);

    const authorize: Target = {
      method: 'POST',
      path: '/v1/authorize',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
      },
      body,
    };
    const health: Target = { method: 'GET', path: '/healthz', headers: {} };
    await paced(port, authorize, RATE, WARMUP_REQUESTS);
    await paced(port, health, RATE, WARMUP_REQUESTS);
    await paced(plainPort, health, RATE, WARMUP_REQUESTS);
    const plainFloor = await paced(plainPort, health, RATE, RATE * BASELINE_SECONDS);

    // The floor: the same server answering a constant, at the same rate.
    let cpu = (await serverReport(child)).cpuMicros;
    const floor = await paced(port, health, RATE, RATE * BASELINE_SECONDS);
    const floorReport = await serverReport(child);
    const floorCpu = floorReport.cpuMicros - cpu;

    cpu = (await serverReport(child)).cpuMicros;
    // Latency on shared cores depends on what else runs: the load beside the figures says how much.
    const loadBefore = os.loadavg()[0] ?? NaN;
    const atRate = await paced(port, authorize, RATE, RATE * RATE_SECONDS);
    const rateReport = await serverReport(child);
    const rateCpu = rateReport.cpuMicros - cpu;
    const inServer = rateReport.inServerMs;

    const ceiling = await closedLoop(port, authorize, CEILING_CONNECTIONS, CEILING_REQUESTS);

    const redisTimes = await redisRoundTrips(settings.redis.url, `${prefix}:rtt`);
    const rtt = atRate.latenciesMs;
    const late = atRate.fromScheduleMs;
    return {
      name: 'authorize API (HTTP over loopback, Redis only)',
      figures: {
        'fixed rate: machine load average (1 min) before': round(loadBefore, 2),
        'fixed rate: target (req/s)': RATE,
        'fixed rate: achieved (req/s)': Math.round((rtt.length / atRate.elapsedMs) * 1000),
        'fixed rate: requests': rtt.length,
        'fixed rate: errors or non-200': atRate.errors,
        'fixed rate: latency p50 (ms, from write)': round(percentile(rtt, 50)),
        'fixed rate: latency p99 (ms, from write)': round(percentile(rtt, 99)),
        'fixed rate: latency p99.9 (ms, from write)': round(percentile(rtt, 99.9)),
        'fixed rate: latency max (ms, from write)': round(percentile(rtt, 100)),
        'fixed rate: latency p50 (ms, from schedule)': round(percentile(late, 50)),
        'fixed rate: latency p99 (ms, from schedule)': round(percentile(late, 99)),
        'fixed rate: latency p99.9 (ms, from schedule)': round(percentile(late, 99.9)),
        'fixed rate: client send lag p99 (ms)': round(atRate.sendLagP99Ms),
        'fixed rate: time inside the server p50 (ms)': round(percentile(inServer, 50)),
        'fixed rate: time inside the server p99 (ms)': round(percentile(inServer, 99)),
        'fixed rate: time inside the server p99.9 (ms)': round(percentile(inServer, 99.9)),
        [`fixed rate: answers over ${SLOW_MS} ms inside the server`]: rateReport.slow,
        [`fixed rate: answers over ${SLOW_MS} ms inside the server during a GC pause`]:
          rateReport.slowInGc,
        'fixed rate: server GC pauses (count)': rateReport.gcPausesMs.length,
        'fixed rate: server GC pauses, longest (ms)': round(Math.max(0, ...rateReport.gcPausesMs)),
        'fixed rate: server GC pauses, share of the time (%)': round(
          (100 * rateReport.gcPausesMs.reduce((a, b) => a + b, 0)) / atRate.elapsedMs,
          2,
        ),
        'fixed rate: server CPU per request (µs)': Math.round(rateCpu / rtt.length),
        'fixed rate: server heap allocated per request (KB)': round(
          rateReport.allocatedBytes / rtt.length / 1024,
          1,
        ),
        'fixed rate: client CPU per request (µs)': Math.round(atRate.clientCpuMicros),
        'floor, GET /healthz at the same rate: latency p50 (ms, from write)': round(
          percentile(floor.latenciesMs, 50),
        ),
        'floor, GET /healthz at the same rate: latency p99 (ms, from write)': round(
          percentile(floor.latenciesMs, 99),
        ),
        'floor, GET /healthz: server CPU per request (µs)': Math.round(
          floorCpu / floor.latenciesMs.length,
        ),
        'floor, GET /healthz: server heap allocated per request (KB)': round(
          floorReport.allocatedBytes / floor.latenciesMs.length / 1024,
          1,
        ),
        'floor, plain node:http answering a constant: latency p50 (ms, from write)': round(
          percentile(plainFloor.latenciesMs, 50),
        ),
        'floor, plain node:http answering a constant: latency p99 (ms, from write)': round(
          percentile(plainFloor.latenciesMs, 99),
        ),
        'ceiling: connections (closed loop)': CEILING_CONNECTIONS,
        'ceiling: requests': ceiling.requests,
        'ceiling: throughput (req/s)': ceiling.throughput,
        'ceiling: latency p50 (ms)': round(percentile(ceiling.latenciesMs, 50)),
        'ceiling: latency p99 (ms)': round(percentile(ceiling.latenciesMs, 99)),
        'ceiling: errors or non-200': ceiling.errors,
        'redis GET round trip p50 (ms)': round(percentile(redisTimes, 50)),
        'redis GET round trip p99 (ms)': round(percentile(redisTimes, 99)),
      },
    };
  } finally {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    let cursor = '0';
    for (let i = 0; i < 1_000; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
    redis.disconnect();
    await pool.end();
    const admin = new pg.Client({
      connectionString: settings.postgres.url.replace(/\/[^/]*$/, '/postgres'),
    });
    await admin.connect();
    await admin.query(`drop database if exists "${database}" with (force)`);
    await admin.end();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--serve')) {
    await serve();
  } else {
    const result = await benchAuthorize();
    process.stdout.write(`${result.name}\n`);
    for (const [label, value] of Object.entries(result.figures)) {
      process.stdout.write(`${label.padEnd(56)} ${value}\n`);
    }
  }
}
