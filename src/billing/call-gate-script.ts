// The call gate's one Redis command, readCallGate-3.lua, and its reply: a company's mirrored
// profile, one campaign's pause and the wallet, read together for each dialer question. Sending
// and decoding are written for the dialer's hot path: one command object, one reply string, and
// the reply's integers read in place rather than cut into 13 strings first.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, type Redis } from 'ioredis';
import type { CampaignPause, CompanyGate } from './call-authorization.js';
import type { BillingMode } from './company-status.js';

const readCallGateLua = readFileSync(new URL('./lua/readCallGate-3.lua', import.meta.url), 'utf8');
const readCallGateSha = createHash('sha1').update(readCallGateLua).digest('hex');
const utf8Reply = { replyEncoding: 'utf8' } as const;

/**
 * The keys of one company the gate reads: its profile, campaign pauses and wallet. Pass the same
 * tuple for a company each time (CompanyMirror keeps one): its encoded command is kept by it.
 */
export type CallGateKeys = readonly [profile: string, pauses: string, wallet: string];

/** A connection the call gate is read over; answers readCallGate's reply string. */
export interface GateConnection {
  readCallGate(keys: CallGateKeys, campaign: string): Promise<string>;
}

/**
 * readCallGate by SHA as Redis reads it (RESP), for one company's keys and one campaign: the same
 * bytes for every question about that pair, so they are encoded once and the socket is handed a
 * Buffer rather than strings to concatenate and encode on every call.
 */
class ReadCallGateCommand extends Command {
  constructor(private readonly bytes: Buffer) {
    // No args: ioredis reads them only to prefix keys and to show them in errors.
    super('evalsha', [], utf8Reply);
  }

  override toWritable(): Buffer {
    return this.bytes;
  }
}

function encodeReadCallGate(keys: CallGateKeys, campaign: string): Buffer {
  const args = [readCallGateSha, '3', keys[0], keys[1], keys[2], campaign];
  let resp = `*${args.length + 1}\r\n$7\r\nevalsha\r\n`;
  for (const arg of args) resp += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return Buffer.from(resp);
}

/** How many encoded commands are kept (a few hundred bytes each); past it, all start over. */
const encodedLimit = 10_000;
/** Encoded commands by company keys (the tuple the caller keeps per company) and campaign. */
let encoded = new WeakMap<CallGateKeys, Map<string, Buffer>>();
let encodedCount = 0;

function readCallGateBytes(keys: CallGateKeys, campaign: string): Buffer {
  let byCampaign = encoded.get(keys);
  let bytes = byCampaign?.get(campaign);
  if (bytes !== undefined) return bytes;
  if (encodedCount >= encodedLimit) {
    encoded = new WeakMap();
    encodedCount = 0;
    byCampaign = undefined;
  }
  if (byCampaign === undefined) {
    byCampaign = new Map();
    encoded.set(keys, byCampaign);
  }
  bytes = encodeReadCallGate(keys, campaign);
  byCampaign.set(campaign, bytes);
  encodedCount++;
  return bytes;
}

/**
 * Sends readCallGate over `redis` (KEYS profile, pauses, wallet; ARGV campaign id, "" for none)
 * by SHA, and by its text when Redis has lost the script (after a restart). A plain command:
 * ioredis's defineCommand wrapper costs the dialer more CPU and garbage than the command itself.
 * `failure` turns the error of either attempt into the one thrown.
 */
export function readCallGate(
  redis: Redis,
  keys: CallGateKeys,
  campaign: string,
  failure: (err: unknown) => unknown = (err) => err,
): Promise<string> {
  const read = new ReadCallGateCommand(readCallGateBytes(keys, campaign));
  void redis.sendCommand(read);
  return (read.promise as Promise<string>).then(undefined, (err: unknown) => {
    if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw failure(err);
    const again = new Command(
      'eval',
      [readCallGateLua, 3, keys[0], keys[1], keys[2], campaign],
      utf8Reply,
    );
    void redis.sendCommand(again);
    return (again.promise as Promise<string>).then(undefined, (e: unknown) => {
      throw failure(e);
    });
  });
}

/** A wallet as the gate reads it, integer micro-units. */
export interface GateWallet {
  readonly balanceMicros: number;
  readonly heldMicros: number;
}

export type GateRead =
  | { readonly state: 'known'; readonly gate: CompanyGate; readonly campaignPause?: CampaignPause }
  | { readonly state: 'unknown' };

/** What one readCallGate says: the company, and its wallet (null: Redis holds none). */
export interface CallGateRead {
  readonly company: GateRead;
  readonly wallet: GateWallet | null;
}

const unknownCompany: GateRead = { state: 'unknown' };

// The reply's fields, in the script's order.
const NONE = 0;
const SETUP = 1;
const PAUSED = 2;
const MODE = 3;
const CAP = 4;
const SPENT = 5;
const MONTH_START = 6;
const MONTH_END = 7;
const HIT = 8;
const CAMPAIGN_PAUSE = 9;
const BALANCE = 10;
const HELD = 11;
const SEQ = 12;
const FIELDS = 13;

// Where each field of the reply being read starts (its "=", or its "\n" when missing) and ends
// (its "\n"). Decoding is synchronous, so one pair of buffers serves every reply.
const starts = new Int32Array(FIELDS);
const ends = new Int32Array(FIELDS);

const EQUALS = 0x3d;
const MINUS = 0x2d;
const ZERO = 0x30;
const ONE = 0x31;

/**
 * Decodes readCallGate's reply. When Redis holds no copy of the company (it must be rebuilt from
 * Postgres) the answer is null, or an unknown company when `orUnknown`. A flag is set when it is
 * "1", a number is Number(value) (0 when missing), a cap of "" is no cap.
 */
export function decodeCallGate(reply: string, orUnknown: true): CallGateRead;
export function decodeCallGate(reply: string, orUnknown?: boolean): CallGateRead | null;
export function decodeCallGate(reply: string, orUnknown = false): CallGateRead | null {
  let at = 0;
  for (let i = 0; i < FIELDS; i++) {
    const end = reply.indexOf('\n', at);
    if (end < 0 || (end > at && reply.charCodeAt(at) !== EQUALS))
      throw new Error(`readCallGate answered an unexpected reply: ${JSON.stringify(reply)}`);
    starts[i] = at;
    ends[i] = end;
    at = end + 1;
  }
  const wallet: GateWallet | null = present(SEQ)
    ? { balanceMicros: numberAt(reply, BALANCE), heldMicros: numberAt(reply, HELD) }
    : null;
  if (isOne(reply, NONE)) return { company: unknownCompany, wallet };
  if (!present(SETUP) || !present(MODE))
    return orUnknown ? { company: unknownCompany, wallet } : null;
  const gate: CompanyGate = {
    setUp: isOne(reply, SETUP),
    paused: isOne(reply, PAUSED),
    billingMode: modeAt(reply),
    capMicros: ends[CAP]! - starts[CAP]! <= 1 ? null : numberAt(reply, CAP),
    spentMicros: numberAt(reply, SPENT),
    monthStartMs: numberAt(reply, MONTH_START),
    monthEndMs: numberAt(reply, MONTH_END),
    capReached: isOne(reply, HIT),
  };
  const pause = is(reply, CAMPAIGN_PAUSE, 'manual')
    ? 'manual'
    : is(reply, CAMPAIGN_PAUSE, 'spending_cap')
      ? 'spending_cap'
      : undefined;
  const company: GateRead =
    pause === undefined ? { state: 'known', gate } : { state: 'known', gate, campaignPause: pause };
  return { company, wallet };
}

function present(field: number): boolean {
  return ends[field]! > starts[field]!;
}

function isOne(reply: string, field: number): boolean {
  return ends[field]! - starts[field]! === 2 && reply.charCodeAt(starts[field]! + 1) === ONE;
}

function is(reply: string, field: number, text: string): boolean {
  return (
    ends[field]! - starts[field]! === text.length + 1 && reply.startsWith(text, starts[field]! + 1)
  );
}

function modeAt(reply: string): BillingMode {
  if (is(reply, MODE, 'refillable_wallet')) return 'refillable_wallet';
  if (is(reply, MODE, 'monthly_invoice')) return 'monthly_invoice';
  return reply.slice(starts[MODE]! + 1, ends[MODE]) as BillingMode;
}

/**
 * Number(value) of a field, 0 when it is missing: digits are read in place, and anything else
 * (more digits than a double holds exactly, signs, spaces, "") goes to Number itself.
 */
function numberAt(reply: string, field: number): number {
  const from = starts[field]! + 1;
  const to = ends[field]!;
  if (from > to) return 0;
  let i = from;
  const negative = reply.charCodeAt(i) === MINUS;
  if (negative) i++;
  if (to - i < 1 || to - i > 15) return Number(reply.slice(from, to));
  let n = 0;
  for (; i < to; i++) {
    const digit = reply.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return Number(reply.slice(from, to));
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}
