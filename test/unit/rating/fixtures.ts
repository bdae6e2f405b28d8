// Small plan documents for the rating tests: a base to start from and helpers to vary it.
import { expect } from 'vitest';
import type { PlanDocument } from '../../../src/rating/index.js';

type RateDoc = PlanDocument['versions'][number]['rates'][number];

/** A one-version plan with the usual channels and a few destinations. */
export function planWith(rates: RateDoc[], extra: Partial<PlanDocument> = {}): PlanDocument {
  return {
    id: 'test-plan',
    currency: 'USD',
    channels: {
      voice: { kind: 'call' },
      whatsapp_call: { kind: 'call' },
      sms: { kind: 'message', unit: 'segment' },
      whatsapp_message: { kind: 'message' },
      email: { kind: 'message', addressed: false },
    },
    destinations: {
      GB: ['44'],
      GB_MOBILE: ['447'],
      GB_MOBILE_VODA: ['4477'],
      US: ['1'],
      FR: ['33'],
    },
    versions: [{ name: 'v1', rates }],
    ...extra,
  };
}

export const T0 = '2025-03-04T10:00:00Z'; // a Tuesday

/** For `toThrow`: an error with at least these fields (`code`, `retriable`, `context`, …). */
export function errorWith(fields: Record<string, unknown>): Error {
  return expect.objectContaining(fields) as Error;
}
