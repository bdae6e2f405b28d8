// `npm run bench`: runs every benchmark on the local stack and prints its figures with the
// machine they ran on, as a Markdown section ready for the README.
import os from 'node:os';
import { benchRating } from './rating.bench.js';
import { benchPipeline } from './pipeline.bench.js';
import { benchAuthorize } from './authorize.bench.js';
import type { BenchResult } from './report.js';

const machine = [
  `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}`,
  `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
  `${os.type()} ${os.release()}`,
  `Node ${process.version}`,
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at start`,
].join(', ');

// The authorize latency suite runs before the pipeline: the pipeline leaves Postgres and Kafka
// busy for a while after its 100,000 events (checkpoints, log cleanup), which showed as several
// ms on authorize's p99 when it ran second.
const suites: Array<[string, () => Promise<BenchResult>]> = [
  ['rating', benchRating],
  ['authorize', benchAuthorize],
  ['pipeline', () => benchPipeline()],
];

const only = process.argv.slice(2);
console.log(`## Benchmarks (${new Date().toISOString().slice(0, 10)})\n\nMachine: ${machine}\n`);
for (const [key, run] of suites) {
  if (only.length > 0 && !only.includes(key)) continue;
  const result = await run();
  console.log(`### ${result.name}\n\n| figure | value |\n|---|---|`);
  for (const [label, value] of Object.entries(result.figures))
    console.log(`| ${label} | ${value} |`);
  console.log('');
}
process.exit(0);
