// `tollgate rate --plan <file> [<events.ndjson>]`: prices usage events offline, one JSON line out
// per line in (the price and its breakdown, or the error code of that line), reading stdin when
// no file is given. A thin shell around src/rating: it only reads, parses and prints.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { TollgateError } from '../errors/tollgate-error.js';
import {
  compilePlan,
  countryOfNumber,
  formatMicros,
  parsePlanText,
  parseUsage,
  rate,
} from '../rating/index.js';
import type { CompiledPlan } from '../rating/index.js';

export interface CommandIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const USAGE = `usage: tollgate rate --plan <file> [--region <CC>] [<events.ndjson>]

Prices usage events, one JSON object per line, read from the file or from stdin, and prints one
JSON line per input line: the cost (integer micro-units and decimal) with its breakdown, or
{"error": {"code", "message"}} for a line that cannot be rated. Blank lines are skipped.

  --plan, -p <file>    rate plan, JSON or YAML (see docs/rating.md)
  --region <CC>        region for national numbers when neither event nor plan says (e.g. GB)

exit status: 0 every line rated, 1 some lines not rated, 2 bad arguments or plan
`;

/** Runs the command; resolves to the exit status. */
export async function runRateCommand(args: string[], io: CommandIo): Promise<number> {
  let options: { plan?: string; region?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values: options, positionals } = parseArgs({
      args,
      options: {
        plan: { type: 'string', short: 'p' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    await write(io.stderr, `tollgate rate: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options.help === true) {
    await write(io.stdout, USAGE);
    return 0;
  }
  if (options.plan === undefined || positionals.length > 1) {
    await write(
      io.stderr,
      `tollgate rate: ${options.plan === undefined ? '--plan is required' : 'give at most one events file'}\n${USAGE}`,
    );
    return 2;
  }
  if (options.region !== undefined && !/^[A-Z]{2}$/.test(options.region)) {
    await write(io.stderr, `tollgate rate: --region must be a two-letter region such as GB\n`);
    return 2;
  }

  let plan: CompiledPlan;
  try {
    plan = compilePlan(parsePlanText(await readFile(options.plan, 'utf8'), options.plan));
  } catch (error) {
    await write(io.stderr, `tollgate rate: ${options.plan}: ${(error as Error).message}\n`);
    return 2;
  }

  const source = positionals[0];
  let input: NodeJS.ReadableStream = io.stdin;
  if (source !== undefined && source !== '-') {
    const file = createReadStream(source, { encoding: 'utf8' });
    try {
      await once(file, 'open');
    } catch (error) {
      await write(io.stderr, `tollgate rate: ${(error as Error).message}\n`);
      return 2;
    }
    input = file;
  }

  let lineNumber = 0;
  let failed = 0;
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    const output = rateLine(plan, line, lineNumber, options.region);
    if ('error' in output) failed++;
    await write(io.stdout, `${JSON.stringify(output)}\n`);
  }
  if (failed > 0) {
    await write(io.stderr, `tollgate rate: ${failed} of ${lineNumber} lines not rated\n`);
  }
  return failed > 0 ? 1 : 0;
}

type LineOutput = Record<string, unknown>;

/** One output object for one input line; never throws. */
function rateLine(
  plan: CompiledPlan,
  line: string,
  lineNumber: number,
  region?: string,
): LineOutput {
  let id: unknown;
  try {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      // The parser's own message changes between Node versions; the code is what matters.
      return lineError(lineNumber, undefined, 'invalid_json', 'the line is not valid JSON');
    }
    if (typeof raw === 'object' && raw !== null && 'id' in raw) id = raw.id;
    const usage = parseUsage(raw);
    const result = rate(
      plan,
      // The event's region first, then the plan's, then --region.
      usage.defaultRegion === undefined && plan.defaultRegion === undefined && region !== undefined
        ? { ...usage, defaultRegion: region }
        : usage,
    );
    const country =
      result.breakdown.number === null ? undefined : countryOfNumber(result.breakdown.number);
    return {
      line: lineNumber,
      ...(id === undefined ? {} : { id }),
      costMicros: result.costMicros,
      cost: formatMicros(result.costMicros),
      currency: result.currency,
      channel: result.channel,
      ...(result.billedSeconds === undefined ? {} : { billedSeconds: result.billedSeconds }),
      ...(result.billedUnits === undefined ? {} : { billedUnits: result.billedUnits }),
      ...(result.rateMicros === undefined ? {} : { rateMicros: result.rateMicros }),
      ...(country === undefined ? {} : { country }),
      breakdown: result.breakdown,
    };
  } catch (error) {
    // A TollgateError is this line's fault; anything else is a bug, reported and survived.
    if (error instanceof TollgateError) return lineError(lineNumber, id, error.code, error.message);
    return lineError(lineNumber, id, 'internal_error', String(error));
  }
}

function lineError(line: number, id: unknown, code: string, message: string): LineOutput {
  return { line, ...(id === undefined ? {} : { id }), error: { code, message } };
}

async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}
