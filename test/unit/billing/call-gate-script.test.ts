// readCallGate's one-string reply, decoded in place, against the reading of the 13 fields one by
// one that it replaced (a flag is "1", a number is Number(value ?? 0), a cap of "" is no cap).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeCallGate,
  type CallGateRead,
  type GateRead,
} from '../../../src/billing/call-gate-script.js';
import type { CompanyGate } from '../../../src/billing/call-authorization.js';
import type { BillingMode } from '../../../src/billing/company-status.js';

type Field = string | null;

/** What readCallGate-3.lua returns for these fields: "=" value "\n", or "\n" for a missing one. */
function encode(fields: readonly Field[]): string {
  return fields.map((f) => (f === null ? '\n' : `=${f}\n`)).join('');
}

/** The reading of the fields one by one, as the call gate did when the script answered an array. */
function reference(fields: readonly Field[], orUnknown: boolean): CallGateRead | null {
  const [none, setup, paused, mode, cap, spent, ms, me, hit, pause, bal, held, seq] = fields;
  const wallet =
    seq === null || seq === undefined
      ? null
      : { balanceMicros: Number(bal ?? 0), heldMicros: Number(held ?? 0) };
  if (none === '1') return { company: { state: 'unknown' }, wallet };
  if (setup === null || setup === undefined || mode === null || mode === undefined)
    return orUnknown ? { company: { state: 'unknown' }, wallet } : null;
  const gate: CompanyGate = {
    setUp: setup === '1',
    paused: paused === '1',
    billingMode: mode as BillingMode,
    capMicros: cap === null || cap === undefined || cap === '' ? null : Number(cap),
    spentMicros: Number(spent ?? 0),
    monthStartMs: Number(ms ?? 0),
    monthEndMs: Number(me ?? 0),
    capReached: hit === '1',
  };
  const company: GateRead =
    pause === 'manual' || pause === 'spending_cap'
      ? { state: 'known', gate, campaignPause: pause }
      : { state: 'known', gate };
  return { company, wallet };
}

const flag = fc.constantFrom<Field>(null, '', '0', '1', '11', 'x');
const numeric = fc.oneof(
  fc.constant<Field>(null),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).map(String),
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
  fc.constantFrom('', '-', '-0', '007', '+5', ' 12', '1e3', '0x1f', '12a', '999999999999999'),
  fc.constantFrom('9999999999999999', '9007199254740993', '-9007199254740993', 'Infinity'),
);
const mode = fc.constantFrom<Field>(null, '', 'refillable_wallet', 'monthly_invoice', 'other');
const pause = fc.constantFrom<Field>(null, '', 'manual', 'spending_cap', 'Manual', 'manuall');

const fields = fc.tuple(
  flag,
  flag,
  flag,
  mode,
  numeric,
  numeric,
  numeric,
  numeric,
  flag,
  pause,
  numeric,
  numeric,
  fc.oneof(fc.constant<Field>(null), fc.constantFrom('', '0', '17')),
);

describe('decodeCallGate', () => {
  it('reads every field as the one-by-one reading did', () => {
    fc.assert(
      fc.property(fields, fc.boolean(), (f, orUnknown) => {
        expect(decodeCallGate(encode(f), orUnknown)).toStrictEqual(reference(f, orUnknown));
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads a company with a cap, a paused campaign and a wallet', () => {
    const reply = encode([
      null,
      '1',
      '0',
      'refillable_wallet',
      '5000000',
      '1250000',
      '1790000000000',
      '1792000000000',
      '0',
      'spending_cap',
      '-42',
      '7',
      '3',
    ]);
    expect(decodeCallGate(reply)).toStrictEqual({
      company: {
        state: 'known',
        campaignPause: 'spending_cap',
        gate: {
          setUp: true,
          paused: false,
          billingMode: 'refillable_wallet',
          capMicros: 5_000_000,
          spentMicros: 1_250_000,
          monthStartMs: 1_790_000_000_000,
          monthEndMs: 1_792_000_000_000,
          capReached: false,
        },
      },
      wallet: { balanceMicros: -42, heldMicros: 7 },
    });
  });

  it('refuses a reply that is not 13 fields', () => {
    expect(() => decodeCallGate('=1\n')).toThrow(/unexpected reply/);
    expect(() => decodeCallGate('1\n'.repeat(13))).toThrow(/unexpected reply/);
  });
});
