// Turns a rate plan document (parsed JSON or YAML) into a CompiledPlan, once: zod checks the
// structure, then every cross-reference, overlap and arithmetic limit is checked here and all
// problems are reported together, so a bad plan fails at load time and never mid-traffic.
import type { z } from 'zod';
import { parsePlanDocument } from './plan-schema.js';
import type { PlanDocument, RateEntryDocument } from './plan-schema.js';
import { DEFAULT_MAX_CALL_SECONDS } from './plan-schema.js';
import { InvalidPlanError } from './errors.js';
import { PlanClock, compilePeriod, periodsOverlap } from './periods.js';
import type { PeriodMask } from './periods.js';
import { PrefixTrie } from './prefix-trie.js';
import { isKnownRegion } from './phone-number.js';
import { TariffCache, compileTariff } from './tariff.js';
import type { Tariff, TariffContext } from './tariff.js';
import { NO_TARIFFS, TariffTable } from './tariff-table.js';
import type {
  ChannelRates,
  CompiledChannel,
  CompiledPlan,
  CompiledVersion,
  VersionLayer,
} from './compiled-plan.js';

/** Validates and compiles a plan document; throws InvalidPlanError listing every problem. */
export function compilePlan(document: unknown): CompiledPlan {
  const parsed = parsePlanDocument(document);
  if (!parsed.success) throw new InvalidPlanError(parsed.error.issues.map(formatIssue));
  const plan = parsed.data;
  const problems: string[] = [];

  const clock = compileClock(plan, problems);
  if (plan.defaultRegion !== undefined && !isKnownRegion(plan.defaultRegion)) {
    problems.push(`defaultRegion: "${plan.defaultRegion}" is not a region libphonenumber knows`);
  }
  const channels = compileChannels(plan, problems);
  const destinations = compileDestinations(plan, problems);
  const periods = compilePeriods(plan, problems);
  const cache = new TariffCache();
  const table = new TariffTable();
  const versions = plan.versions.map((version, v) =>
    compileVersion(plan, v, { channels, destinations, periods, cache, table }, problems),
  );
  const layers = layerVersions(versions, problems);

  if (problems.length > 0) throw new InvalidPlanError(problems);
  destinations.trie.compact();
  moveCodesIntoTrie(destinations.trie, versions);
  table.compact();
  cache.forgetDocument();
  return {
    id: plan.id,
    currency: plan.currency,
    timeZone: clock.timeZone,
    defaultRegion: plan.defaultRegion,
    maxCallSeconds: plan.maxCallSeconds ?? DEFAULT_MAX_CALL_SECONDS,
    channels,
    trie: destinations.trie,
    tariffTable: table,
    prefixRated: [...channels.values()].map((channel) =>
      versions.some((version) => {
        const rates = version.channels[channel.index];
        return rates !== undefined && (rates.column >= 0 || rates.byPrefix !== undefined);
      }),
    ),
    layers,
    clock,
  };
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  return `${path === '' ? '(plan)' : path}: ${issue.message}`;
}

function compileClock(plan: PlanDocument, problems: string[]): PlanClock {
  const timeZone = plan.timezone ?? 'UTC';
  try {
    return new PlanClock(timeZone);
  } catch {
    problems.push(`timezone: "${timeZone}" is not an IANA time zone`);
    return new PlanClock('UTC');
  }
}

function compileChannels(plan: PlanDocument, problems: string[]): Map<string, CompiledChannel> {
  const channels = new Map<string, CompiledChannel>();
  for (const [name, channel] of Object.entries(plan.channels)) {
    if (channel.kind === 'call' && channel.unit !== undefined) {
      problems.push(`channels.${name}.unit: calls are billed per second; unit is for messages`);
    }
    if (channel.kind === 'call' && channel.addressed === false) {
      problems.push(`channels.${name}.addressed: a call always has a destination number`);
    }
    channels.set(name, {
      name,
      index: channels.size,
      kind: channel.kind,
      unit: channel.kind === 'call' ? 'second' : (channel.unit ?? 'message'),
      addressed: channel.addressed ?? true,
    });
  }
  if (channels.size === 0) problems.push('channels: declare at least one channel');
  return channels;
}

interface CompiledDestinations {
  readonly names: readonly string[];
  readonly indexByName: Map<string, number>;
  /**
   * A destination's prefixes have consecutive indexes: firstPrefix[d] up to firstPrefix[d + 1]
   * (flat arrays, where a list per destination would be 50,000 small objects).
   */
  readonly firstPrefix: Int32Array;
  readonly prefixCount: number;
  readonly trie: PrefixTrie;
}

function compileDestinations(plan: PlanDocument, problems: string[]): CompiledDestinations {
  const destinations = plan.destinations ?? {};
  const names = Object.keys(destinations);
  let total = 0;
  for (const name of names) total += destinations[name]?.length ?? 0;
  const trie = new PrefixTrie(total);
  const indexByName = new Map<string, number>();
  const firstPrefix = new Int32Array(names.length + 1);
  const owner = new Int32Array(total);
  let prefixCount = 0;
  names.forEach((name, destination) => {
    indexByName.set(name, destination);
    firstPrefix[destination] = prefixCount;
    for (const prefix of destinations[name] ?? []) {
      const previous = trie.insert(prefix, prefixCount);
      if (previous !== -1) {
        const ownerName = names[owner[previous] ?? 0] ?? '?';
        problems.push(
          ownerName === name
            ? `destinations.${name}: prefix ${prefix} is listed twice`
            : `destinations.${name}: prefix ${prefix} already belongs to ${ownerName}`,
        );
        continue;
      }
      owner[prefixCount++] = destination;
    }
  });
  firstPrefix[names.length] = prefixCount;
  return { names, indexByName, firstPrefix, prefixCount, trie };
}

function compilePeriods(plan: PlanDocument, problems: string[]): Map<string, PeriodMask> {
  const periods = new Map<string, PeriodMask>();
  for (const [name, windows] of Object.entries(plan.periods ?? {})) {
    try {
      periods.set(name, compilePeriod(windows));
    } catch (error) {
      problems.push(`periods.${name}: ${(error as Error).message}`);
    }
  }
  return periods;
}

/** What every version of a plan is compiled against. */
interface PlanParts {
  readonly channels: ReadonlyMap<string, CompiledChannel>;
  readonly destinations: CompiledDestinations;
  readonly periods: ReadonlyMap<string, PeriodMask>;
  readonly cache: TariffCache;
  readonly table: TariffTable;
}

interface MutableChannelRates {
  /** By destination index while the version is read; spread over prefixes after. */
  readonly byDestination: (Tariff | Tariff[] | undefined)[];
  readonly anyDestination: Tariff[];
}

function compileVersion(
  plan: PlanDocument,
  v: number,
  parts: PlanParts,
  problems: string[],
): CompiledVersion {
  const { channels, destinations, periods, cache, table } = parts;
  const version = plan.versions[v];
  if (version === undefined) throw new RangeError(`no version ${v}`);
  const path = `versions.${v}`;
  const activeFrom = version.activeFrom === undefined ? -Infinity : Date.parse(version.activeFrom);
  const activeUntil =
    version.activeUntil === undefined ? Infinity : Date.parse(version.activeUntil);
  if (activeUntil <= activeFrom) problems.push(`${path}.activeUntil: must be after activeFrom`);

  const rates = new Array<MutableChannelRates | undefined>(channels.size);
  const tariffProblems: string[] = [];
  // What compiled the first tariff of each destination (the only one, when a table record
  // prices it), by channel and destination: a record keeps it instead of the tariff, with the
  // context the version's tariffs of one channel share.
  const firstEntries: RateEntryDocument[][] = [];
  const sharedContexts: TariffContext[] = [];
  version.rates.forEach((entry, r) => {
    const before = problems.length;
    const channel = channels.get(entry.channel);
    if (channel === undefined) {
      problems.push(`${path}.rates.${r}.channel: "${entry.channel}" is not declared in channels`);
    }
    let destination: number | undefined;
    if (entry.destination !== undefined) {
      destination = destinations.indexByName.get(entry.destination);
      if (destination === undefined) {
        problems.push(
          `${path}.rates.${r}.destination: "${entry.destination}" is not in destinations`,
        );
      } else if (channel?.addressed === false) {
        problems.push(`${path}.rates.${r}.destination: channel ${channel.name} has no numbers`);
      }
    }
    let periodMask: PeriodMask | null = null;
    if (entry.period !== undefined) {
      periodMask = periods.get(entry.period) ?? null;
      if (periodMask === null) {
        problems.push(`${path}.rates.${r}.period: "${entry.period}" is not in periods`);
      }
    }
    tariffProblems.length = 0;
    const context = {
      cache,
      // Names from the plan's own maps, not the entry's copies: tens of thousands of tariffs
      // then share one string each instead of holding their own.
      channel: channel?.name ?? entry.channel,
      version: version.name,
      destination: destination === undefined ? null : (destinations.names[destination] ?? null),
      period: entry.period ?? null,
      periodMask,
      defaultRounding: plan.rounding,
      reportedRateQuantity: channel?.kind === 'call' ? 60 : 1,
    };
    const tariff = compileTariff(entry, context, tariffProblems);
    for (const problem of tariffProblems) problems.push(`${path}.rates.${r}: ${problem}`);
    if (tariff === undefined || channel === undefined || problems.length > before) return;
    // A record's tariff has no period (see TariffTable): its context differs from the shared
    // one only by its destination.
    sharedContexts[channel.index] ??= {
      ...context,
      destination: null,
      period: null,
      periodMask: null,
    };
    const channelRates = (rates[channel.index] ??= {
      byDestination: [],
      anyDestination: [],
    });
    if (destination === undefined) {
      channelRates.anyDestination.push(tariff);
      return;
    }
    const present = channelRates.byDestination[destination];
    if (present === undefined) {
      channelRates.byDestination[destination] = tariff;
      (firstEntries[channel.index] ??= [])[destination] = entry;
    } else if (Array.isArray(present)) present.push(tariff);
    else channelRates.byDestination[destination] = [present, tariff];
  });

  const compiled: (ChannelRates | undefined)[] = [];
  for (let c = 0; c < rates.length; c++) {
    const channelRates = rates[c];
    if (channelRates === undefined) {
      compiled.push(undefined);
      continue;
    }
    sortAndCheck(channelRates.anyDestination, path, problems);
    let byPrefix: Int32Array | undefined;
    channelRates.byDestination.forEach((tariffs, destination) => {
      if (tariffs === undefined) return;
      if (Array.isArray(tariffs)) sortAndCheck(tariffs, path, problems);
      byPrefix ??= new Int32Array(destinations.prefixCount).fill(NO_TARIFFS);
      const code = table.add(tariffs, () => {
        const entry = firstEntries[c]?.[destination];
        const context = sharedContexts[c];
        if (entry === undefined || context === undefined) throw new RangeError('no source');
        return { entry, context, destination: destinations.names[destination] ?? null };
      });
      const end = destinations.firstPrefix[destination + 1] ?? 0;
      for (let p = destinations.firstPrefix[destination] ?? 0; p < end; p++) byPrefix[p] = code;
    });
    compiled.push({ column: -1, byPrefix, anyDestination: channelRates.anyDestination });
  }
  return {
    name: version.name,
    activeFrom,
    activeUntil,
    weight: version.weight ?? 0,
    channels: compiled,
  };
}

/**
 * Trie columns for prefix codes: each costs 4 bytes a node, and most plans rate one or two
 * channels by destination in a version or two. Further channels keep their byPrefix array.
 */
const MAX_TRIE_COLUMNS = 4;

/** Moves the prefix codes of the first channels rated by destination into trie columns. */
function moveCodesIntoTrie(trie: PrefixTrie, versions: readonly CompiledVersion[]): void {
  const moved: ChannelRates[] = [];
  for (const version of versions) {
    for (const rates of version.channels) {
      if (rates?.byPrefix !== undefined && moved.length < MAX_TRIE_COLUMNS) moved.push(rates);
    }
  }
  if (moved.length === 0) return;
  trie.addColumns(moved.length, NO_TARIFFS);
  moved.forEach((rates, column) => {
    const byPrefix = rates.byPrefix;
    if (byPrefix === undefined) return;
    trie.fillColumn(column, (prefix) => byPrefix[prefix] ?? NO_TARIFFS);
    rates.column = column;
    rates.byPrefix = undefined;
  });
}

/** Heaviest first; two rates of one weight that can match the same minute are ambiguous. */
function sortAndCheck(list: Tariff[], path: string, problems: string[]): void {
  if (list.length < 2) return;
  list.sort((a, b) => b.weight - a.weight);
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i] as Tariff;
      const b = list[j] as Tariff;
      if (a.weight !== b.weight || !periodsOverlap(a.periodMask, b.periodMask)) continue;
      problems.push(
        `${path}: two ${a.channel} rates for ${a.destination ?? 'any destination'} with weight ` +
          `${a.weight} apply at the same time (periods ${a.period ?? 'always'} and ` +
          `${b.period ?? 'always'}); give them different weights or disjoint periods`,
      );
    }
  }
}

function layerVersions(versions: readonly CompiledVersion[], problems: string[]): VersionLayer[] {
  const byWeight = new Map<number, CompiledVersion[]>();
  for (const version of versions) {
    const layer = byWeight.get(version.weight);
    if (layer === undefined) byWeight.set(version.weight, [version]);
    else layer.push(version);
  }
  const names = new Set<string>();
  for (const version of versions) {
    if (names.has(version.name)) problems.push(`versions: name "${version.name}" is used twice`);
    names.add(version.name);
  }
  const layers: VersionLayer[] = [];
  for (const [weight, layer] of byWeight) {
    // Latest first; compared, not subtracted, because a version without start is -Infinity.
    layer.sort((a, b) =>
      a.activeFrom === b.activeFrom ? 0 : a.activeFrom < b.activeFrom ? 1 : -1,
    );
    for (let i = 1; i < layer.length; i++) {
      if (layer[i]?.activeFrom === layer[i - 1]?.activeFrom) {
        problems.push(
          `versions: "${layer[i - 1]?.name}" and "${layer[i]?.name}" have the same weight and ` +
            'activeFrom, so neither replaces the other',
        );
      }
    }
    layers.push({ weight, versions: layer });
  }
  return layers.sort((a, b) => b.weight - a.weight);
}
