// `tollgate rate` end to end, with in-memory streams: the worked example of docs/rating.md is
// checked here line by line, so the document cannot drift from what the command prints.
import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runRateCommand } from '../../../src/cli/rate-command.js';

const examples = new URL('../../../schemas/examples/', import.meta.url);
const examplePlan = fileURLToPath(new URL('example-plan.yaml', examples));
const exampleEvents = fileURLToPath(new URL('example-events.ndjson', examples));
const expectedOutput = readFileSync(new URL('example-events.expected.ndjson', examples), 'utf8');

interface OutputLine {
  line: number;
  costMicros?: number;
  cost?: string;
  error?: { code: string };
}

const parseLines = (text: string): OutputLine[] =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as OutputLine);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], stdinText = ''): Promise<Run> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.stdout.push(c));
  stderr.on('data', (c: Buffer) => chunks.stderr.push(c));
  stdin.end(stdinText);
  const code = await runRateCommand(args, { stdin, stdout, stderr });
  return {
    code,
    stdout: Buffer.concat(chunks.stdout).toString('utf8'),
    stderr: Buffer.concat(chunks.stderr).toString('utf8'),
  };
}

describe('tollgate rate', () => {
  it('prices the worked example exactly as documented, line by line', async () => {
    const result = await run(['--plan', examplePlan, exampleEvents]);
    expect(result.stdout).toBe(expectedOutput);
    expect(result.code).toBe(1); // some example lines are errors on purpose
    expect(result.stderr).toBe('tollgate rate: 7 of 17 lines not rated\n');
  });

  it('shows the same plan, events and output in docs/rating.md', () => {
    const doc = readFileSync(new URL('../../../docs/rating.md', import.meta.url), 'utf8');
    expect(doc).toContain(readFileSync(examplePlan, 'utf8'));
    expect(doc).toContain(readFileSync(exampleEvents, 'utf8'));
    for (const line of expectedOutput.trimEnd().split('\n')) expect(doc).toContain(line);
  });

  it('reads stdin when no file is given, and exits 0 when every line is rated', async () => {
    const input = [
      '{"channel":"whatsapp_call","destination":"+447700900123","startTime":"2025-03-04T10:00:00Z","durationSeconds":61}',
      '',
      '{"channel":"sms","destination":"07700 900123","startTime":"2025-03-04T10:00:00Z","segments":2}',
    ].join('\n');
    const result = await run(['--plan', examplePlan], input);
    expect(result.code).toBe(0);
    const lines = parseLines(result.stdout);
    expect(lines.map((l) => [l.line, l.costMicros, l.cost])).toEqual([
      [1, 40_000, '0.04'],
      [3, 80_000, '0.08'], // the blank line 2 is skipped but still counted
    ]);
    expect(result.stderr).toBe('');
  });

  it('never stops at a bad line', async () => {
    const input = [
      'nonsense',
      '{"channel":"voice"}',
      '[]',
      '{"channel":"email","startTime":0,"providerCostMicros":800}',
    ].join('\n');
    const result = await run(['--plan', examplePlan, '-'], input);
    const lines = parseLines(result.stdout);
    expect(lines.map((l) => l.error?.code ?? l.costMicros)).toEqual([
      'invalid_json',
      'invalid_usage',
      'invalid_usage',
      'no_active_plan',
    ]);
    expect(result.code).toBe(1);
  });

  it('takes a default region for national numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-rate-'));
    const plan = join(dir, 'plan.json');
    writeFileSync(
      plan,
      JSON.stringify({
        id: 'us',
        currency: 'USD',
        channels: { voice: { kind: 'call' } },
        destinations: { US: ['1'] },
        versions: [
          {
            name: 'v',
            rates: [{ channel: 'voice', destination: 'US', rate: '0.01', rateUnit: 60 }],
          },
        ],
      }),
    );
    const line =
      '{"channel":"voice","destination":"(212) 555-0123","startTime":0,"durationSeconds":30}';
    const without = await run(['--plan', plan], line);
    expect(parseLines(without.stdout)[0]?.error?.code).toBe('invalid_number');
    const withRegion = await run(['--plan', plan, '--region', 'US'], line);
    expect(JSON.parse(withRegion.stdout)).toMatchObject({ costMicros: 10_000, country: 'US' });
  });

  it('lets the plan’s own region win over --region', async () => {
    const line =
      '{"channel":"sms","destination":"07700 900123","startTime":"2025-03-04T10:00:00Z","segments":1}';
    const rated = await run(['--plan', examplePlan, '--region', 'US'], line);
    expect(JSON.parse(rated.stdout)).toMatchObject({ country: 'GB', costMicros: 40_000 });
  });

  it.each([
    [[], /--plan is required/],
    [['--plan'], /argument missing|--plan/],
    [['--plan', examplePlan, 'a', 'b'], /at most one events file/],
    [['--plan', examplePlan, '--region', 'gb'], /--region/],
    [['--plan', examplePlan, '--bogus'], /bogus/],
    [['--plan', '/nonexistent/plan.yaml'], /ENOENT/],
    [['--plan', examplePlan, '/nonexistent/events.ndjson'], /ENOENT/],
    [['--plan', exampleEvents], /invalid rate plan/],
  ])('exits 2 on %j', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('prints its usage on --help', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: tollgate rate --plan <file>/);
  });
});
