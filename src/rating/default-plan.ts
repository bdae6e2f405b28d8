// The plan tollgate rates with when none is configured: the seeds' WhatsApp call price, a flat
// 0.02 USD per minute with the duration rounded up to the whole minute, to any number.
// schemas/examples/whatsapp-default.plan.json is the same document (a unit test keeps them equal).
import type { PlanDocument } from './plan-schema.js';

export const DEFAULT_PLAN_DOCUMENT: PlanDocument = {
  id: 'default-whatsapp-calls',
  description:
    'WhatsApp calls at a flat 0.02 USD per minute, duration rounded up to the whole minute.',
  currency: 'USD',
  channels: {
    whatsapp_call: { kind: 'call', description: 'WhatsApp call' },
  },
  versions: [
    {
      name: 'flat-2-cents',
      rates: [
        {
          channel: 'whatsapp_call',
          description: '0.02 per 60 s, billed in whole 60 s increments',
          rate: '0.02',
          rateUnit: 60,
          increment: 60,
        },
      ],
    },
  ],
};
