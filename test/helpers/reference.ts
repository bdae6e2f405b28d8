// The independent reference of the chaos tests: what every wallet must hold after a load, from
// the events alone (pure rating and sums; no Kafka, Redis or Postgres involved).
import { rate, type CompiledPlan } from '../../src/rating/index.js';
import type { SyntheticEvent } from '../../src/demo/synthetic-events.js';

export interface Reference {
  readonly balances: ReadonlyMap<string, number>;
  /** Event ids that must each appear exactly once in ledger_transfers. */
  readonly transferIds: ReadonlySet<string>;
}

export function referenceOf(plan: CompiledPlan, load: readonly SyntheticEvent[]): Reference {
  const balances = new Map<string, number>();
  const transferIds = new Set<string>();
  const add = (company: string, micros: number) =>
    balances.set(company, (balances.get(company) ?? 0) + micros);
  for (const { topic, event: e } of load) {
    if (topic === 'wallet.commands') {
      add(e.company_id, Number(e.amount_micros));
    } else if (topic === 'calls.ended') {
      const cost = rate(plan, {
        channel: String(e.channel),
        destination: String(e.number),
        startTime: Number(e.started_at),
        durationSeconds: Number(e.duration_seconds),
      }).costMicros;
      add(e.company_id, -cost);
    } else if (topic === 'messages.sent') {
      const cost = rate(plan, {
        channel: String(e.channel),
        destination: String(e.number),
        startTime: Number(e.occurred_at),
        ...(typeof e.body === 'string' ? { body: e.body } : {}),
        ...(e.provider_cost_micros === undefined
          ? {}
          : { providerCostMicros: Number(e.provider_cost_micros) }),
      }).costMicros;
      add(e.company_id, -cost);
    } else {
      continue; // call starts move no money
    }
    transferIds.add(e.event_id);
  }
  return { balances, transferIds };
}
