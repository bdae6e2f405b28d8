// Realistic synthetic traffic for the demo, the benchmarks and the chaos tests: a few companies
// placing calls (start, then end) and sending messages, with top-ups, deterministic for a seed.
// Events are plain JSON-ready objects in the input topics' contract.

export interface SyntheticEvent {
  /** Topic base name: calls.started, calls.ended, messages.sent or wallet.commands. */
  readonly topic: 'calls.started' | 'calls.ended' | 'messages.sent' | 'wallet.commands';
  readonly event: Record<string, unknown> & { event_id: string; company_id: string };
}

export interface LoadOptions {
  readonly companies: readonly string[];
  /** Roughly how many events to make (calls count twice: start and end). */
  readonly events: number;
  readonly seed?: number;
  /** Time of the first event, epoch ms UTC. */
  readonly startMs?: number;
  /** Initial top-up per company, micro-units. */
  readonly initialTopUpMicros?: number;
  /** Prefix of event ids, so two runs never share ids. */
  readonly idPrefix?: string;
}

/** mulberry32: a tiny, well-distributed PRNG; the same seed gives the same load. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const campaigns = ['spring-hiring', 'nurses-uk', 'drivers-us', 'reactivation'];
const managers = [
  { id: 'u-101', email: 'ana@example.com' },
  { id: 'u-102', email: 'ben@example.com' },
  { id: 'u-103', email: 'chloe@example.com' },
];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

function number(r: () => number): string {
  const n = () => Math.floor(r() * 10);
  const kind = r();
  if (kind < 0.45) return `+44207183${n()}${n()}${n()}${n()}`; // UK landline
  if (kind < 0.8) return `+447700900${n()}${n()}${n()}`; // UK mobile
  return `+1212555${n()}${n()}${n()}${n()}`; // New York
}

export function syntheticLoad(o: LoadOptions): SyntheticEvent[] {
  const r = prng(o.seed ?? 42);
  const idp = o.idPrefix ?? 'ev';
  let clock = o.startMs ?? Date.UTC(2026, 10, 20, 9, 0, 0);
  let seq = 0;
  const id = () => `${idp}-${(seq++).toString(36)}`;
  const out: SyntheticEvent[] = [];
  const topUp = o.initialTopUpMicros ?? 50_000_000;

  for (const company of o.companies) {
    out.push({
      topic: 'wallet.commands',
      event: {
        event_id: id(),
        company_id: company,
        occurred_at: clock,
        type: 'balance_added',
        amount_micros: topUp,
        description: 'Initial top-up',
      },
    });
  }
  while (out.length < o.events) {
    clock += Math.floor(r() * 200);
    const company = pick(r, o.companies);
    const manager = pick(r, managers);
    const report = {
      campaign_id: pick(r, campaigns),
      application_id: `app-${Math.floor(r() * 100_000)}`,
      manager_id: manager.id,
      manager_email: manager.email,
    };
    const roll = r();
    if (roll < 0.004) {
      out.push({
        topic: 'wallet.commands',
        event: {
          event_id: id(),
          company_id: company,
          occurred_at: clock,
          type: 'balance_added',
          amount_micros: 20_000_000,
          description: 'Auto-recharge',
        },
      });
    } else if (roll < 0.7) {
      const callId = id();
      const channel = r() < 0.75 ? 'voice' : 'whatsapp_call';
      const to = number(r);
      const duration = Math.min(3600, Math.floor(-Math.log(1 - r()) * 150));
      const status = duration === 0 ? 'no_answer' : 'completed';
      out.push({
        topic: 'calls.started',
        event: {
          event_id: id(),
          company_id: company,
          occurred_at: clock,
          call_id: callId,
          channel,
          number: to,
          ...report,
        },
      });
      out.push({
        topic: 'calls.ended',
        event: {
          event_id: id(),
          company_id: company,
          occurred_at: clock + duration * 1000,
          started_at: clock,
          call_id: callId,
          channel,
          number: to,
          duration_seconds: duration,
          status,
          ...report,
        },
      });
    } else if (roll < 0.9) {
      const body =
        r() < 0.8
          ? 'Hi! Your interview is confirmed for tomorrow at 10:00.'
          : 'Reminder: '.repeat(20);
      out.push({
        topic: 'messages.sent',
        event: {
          event_id: id(),
          company_id: company,
          occurred_at: clock,
          message_id: id(),
          channel: 'sms',
          number: number(r),
          body,
          ...report,
        },
      });
    } else {
      out.push({
        topic: 'messages.sent',
        event: {
          event_id: id(),
          company_id: company,
          occurred_at: clock,
          message_id: id(),
          channel: 'whatsapp_message',
          number: number(r),
          provider_cost_micros: 5_000 + Math.floor(r() * 3) * 1_000,
          ...report,
        },
      });
    }
  }
  return out;
}
