// The compiled form of a rate plan: what compilePlan builds once and rate() reads per event.
// Destinations sit in one prefix trie for the whole plan; each version holds, per channel, a
// code per prefix (mostly in the trie's own nodes) for the tariffs of its destination, sorted by
// weight and mostly packed in a flat TariffTable, so rating an event does no searching by name.
import type { PlanClock } from './periods.js';
import type { PrefixTrie } from './prefix-trie.js';
import type { Tariff } from './tariff.js';
import type { TariffTable } from './tariff-table.js';

export interface CompiledChannel {
  readonly name: string;
  /** Position of the channel's rates in CompiledVersion.channels. */
  readonly index: number;
  readonly kind: 'call' | 'message';
  /** What a message is billed per; calls are billed per second. */
  readonly unit: 'second' | 'message' | 'segment';
  /** Whether events carry a phone number (calls, SMS) or not (email). */
  readonly addressed: boolean;
}

/**
 * The tariffs of one destination: the tariff itself when there is one (the common case, one
 * memory access fewer per event), else all of them, heaviest first.
 */
export type DestinationTariffs = Tariff | readonly Tariff[];

export function isTariffList(tariffs: DestinationTariffs): tariffs is readonly Tariff[] {
  return Array.isArray(tariffs);
}

export interface ChannelRates {
  /**
   * Tariffs of the destination owning each prefix, as TariffTable codes: a record (>= 0), a
   * list kept as objects (objectIndex), or NO_TARIFFS. Kept in this column of the trie, so a
   * match's code is read from the node the lookup is on (-1: not in the trie) ...
   */
  column: number;
  /**
   * ... or else indexed by prefix index (the trie's value): one typed-array read from a match.
   * Both set by compilePlan; undefined (and no column) when the channel has no rate by
   * destination in this version.
   */
  byPrefix: Int32Array | undefined;
  /** Tariffs without a destination, tried after every matching prefix; heaviest first. */
  readonly anyDestination: readonly Tariff[];
}

export interface CompiledVersion {
  readonly name: string;
  /** Epoch ms; -Infinity when the version has no start. */
  readonly activeFrom: number;
  /** Epoch ms, exclusive; Infinity when the version has no end. */
  readonly activeUntil: number;
  readonly weight: number;
  /** Indexed by CompiledChannel.index; undefined when the version does not price the channel. */
  readonly channels: readonly (ChannelRates | undefined)[];
}

/** Versions of one weight, latest activeFrom first: the first one in force at t wins. */
export interface VersionLayer {
  readonly weight: number;
  readonly versions: readonly CompiledVersion[];
}

export interface CompiledPlan {
  readonly id: string;
  readonly currency: string;
  readonly timeZone: string;
  readonly defaultRegion: string | undefined;
  /** Ceiling maxAffordableSeconds returns when the balance is not the limit. */
  readonly maxCallSeconds: number;
  readonly channels: ReadonlyMap<string, CompiledChannel>;
  /** Trie values are prefix indexes into ChannelRates.byPrefix. */
  readonly trie: PrefixTrie;
  /** The tariffs ChannelRates.byPrefix codes point at, as records or objects. */
  readonly tariffTable: TariffTable;
  /** By channel index: whether any version rates the channel by destination. */
  readonly prefixRated: readonly boolean[];
  /** Heaviest layer first: a higher weight overlays what is below it. */
  readonly layers: readonly VersionLayer[];
  readonly clock: PlanClock;
}
