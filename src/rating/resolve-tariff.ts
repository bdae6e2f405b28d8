// Finds the one tariff that prices an event: its channel, the plan version in force at its
// start, the longest prefix of its number that version rates, and the heaviest rate of that
// destination whose period contains the start. The whole event is priced at its start time.
import type { CompiledChannel, CompiledPlan, CompiledVersion } from './compiled-plan.js';
import { isTariffList } from './compiled-plan.js';
import type { Tariff } from './tariff.js';
import type { CallQuery } from './usage.js';
import { RatingError } from './errors.js';
import { eventTimeMs } from './event-time.js';
import { normalizeNumber } from './phone-number.js';
import { NO_TARIFFS, objectIndex } from './tariff-table.js';

export interface Resolution {
  readonly tariff: Tariff;
  readonly channel: CompiledChannel;
  /** The number in E.164 ("+447700900123"); null for unaddressed channels. */
  readonly number: string | null;
  /** Digits of the number's prefix that matched; 0 when the tariff applies to any destination. */
  readonly prefixLength: number;
}

/**
 * What matchTariff found, in one object reused by every call (rating is synchronous): rate()
 * reads it at once, so resolving an event allocates nothing.
 */
export interface TariffMatch {
  channel: CompiledChannel;
  number: string | null;
  prefixLength: number;
  /** The TariffTable record that prices the event, or -1 when `tariff` does. */
  record: number;
  tariff: Tariff | undefined;
}

const NO_CHANNEL: CompiledChannel = {
  name: '',
  index: -1,
  kind: 'call',
  unit: 'second',
  addressed: false,
};

const match: TariffMatch = {
  channel: NO_CHANNEL,
  number: null,
  prefixLength: 0,
  record: -1,
  tariff: undefined,
};

/** Finds the tariff of an event as a Resolution (with the tariff object). */
export function resolveTariff(plan: CompiledPlan, query: CallQuery): Resolution {
  const found = matchTariff(plan, query);
  return {
    tariff: found.tariff ?? plan.tariffTable.tariffOf(found.record),
    channel: found.channel,
    number: found.number,
    prefixLength: found.prefixLength,
  };
}

function matched(
  channel: CompiledChannel,
  number: string | null,
  prefixLength: number,
  record: number,
  tariff: Tariff | undefined,
): TariffMatch {
  match.channel = channel;
  match.number = number;
  match.prefixLength = prefixLength;
  match.record = record;
  match.tariff = tariff;
  return match;
}

// Trie nodes of the prefixes the current lookup matched and their lengths, longest first. One
// buffer is enough: rating is synchronous, so two lookups never interleave.
const matchedNodes = new Int32Array(16);
const matchedLengths = new Int32Array(16);

/**
 * Finds the tariff of an event: a table record or a tariff object. The answer is valid until
 * the next call.
 */
export function matchTariff(plan: CompiledPlan, query: CallQuery): TariffMatch {
  const channel = plan.channels.get(query.channel);
  if (channel === undefined) {
    throw new RatingError(
      'unknown_channel',
      `channel "${query.channel}" is not in plan ${plan.id}`,
      {
        channel: query.channel,
        plan: plan.id,
      },
    );
  }
  let number: string | null = null;
  let matchCount = 0;
  if (channel.addressed) {
    if (query.destination === undefined || query.destination === '') {
      throw new RatingError('missing_destination', `a ${channel.name} event needs a destination`, {
        channel: channel.name,
      });
    }
    number = normalizeNumber(query.destination, query.defaultRegion ?? plan.defaultRegion);
    // Channels priced the same to every number (WhatsApp calls, say) skip the walk.
    if (plan.prefixRated[channel.index] === true) {
      matchCount = plan.trie.matchNodes(number, 1, matchedNodes, matchedLengths);
    }
  }
  const at = eventTimeMs(query.startTime);
  let weekMinute = -1; // computed only if a candidate rate has a period
  let anyInForce = false;

  for (const layer of plan.layers) {
    const version = versionInForce(layer.versions, at);
    if (version === undefined) continue;
    anyInForce = true;
    const rates = version.channels[channel.index];
    if (rates === undefined) continue;
    const { column, byPrefix } = rates;
    const byDestination = column >= 0 || byPrefix !== undefined;
    for (let m = 0; m < matchCount && byDestination; m++) {
      const node = matchedNodes[m] ?? 0;
      const code =
        column >= 0
          ? plan.trie.columnAt(node, column)
          : (byPrefix?.[plan.trie.valueAt(node)] ?? NO_TARIFFS);
      if (code === NO_TARIFFS) continue;
      if (code >= 0) return matched(channel, number, matchedLengths[m] ?? 0, code, undefined);
      const tariffs = plan.tariffTable.objects[objectIndex(code)];
      if (tariffs === undefined) continue;
      let found: Tariff | undefined;
      if (!isTariffList(tariffs)) {
        if (tariffs.periodMask === null) found = tariffs;
        else {
          if (weekMinute < 0) weekMinute = plan.clock.weekMinute(at);
          if (tariffs.periodMask[weekMinute] === 1) found = tariffs;
        }
      } else {
        for (const tariff of tariffs) {
          if (tariff.periodMask !== null) {
            if (weekMinute < 0) weekMinute = plan.clock.weekMinute(at);
            if (tariff.periodMask[weekMinute] !== 1) continue;
          }
          found = tariff;
          break;
        }
      }
      if (found !== undefined) {
        return matched(channel, number, matchedLengths[m] ?? 0, -1, found);
      }
    }
    for (const tariff of rates.anyDestination) {
      if (tariff.periodMask !== null) {
        if (weekMinute < 0) weekMinute = plan.clock.weekMinute(at);
        if (tariff.periodMask[weekMinute] !== 1) continue;
      }
      return matched(channel, number, 0, -1, tariff);
    }
  }
  if (!anyInForce) {
    throw new RatingError(
      'no_active_plan',
      `no version of plan ${plan.id} is in force at ${new Date(at).toISOString()}`,
      {
        plan: plan.id,
        startTime: query.startTime,
      },
    );
  }
  throw new RatingError(
    'unauthorized_destination',
    number === null
      ? `plan ${plan.id} has no ${channel.name} rate at that time`
      : `plan ${plan.id} has no ${channel.name} rate for ${number} at that time`,
    number === null
      ? { plan: plan.id, channel: channel.name }
      : { plan: plan.id, channel: channel.name, number },
  );
}

function versionInForce(
  versions: readonly CompiledVersion[],
  at: number,
): CompiledVersion | undefined {
  for (const version of versions) {
    if (version.activeFrom <= at && at < version.activeUntil) return version;
  }
  return undefined;
}
