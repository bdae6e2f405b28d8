// A digit trie over number prefixes for longest-prefix-wins destination lookup. Nodes live in
// one flat Int32Array (ten child slots and the node's value side by side, so a step down the
// trie touches one place in memory), renumbered once built so that a lookup's walk mostly hits
// memory already in cache (see compact). A lookup allocates nothing.

const NO_NODE = 0; // node 0 is the root, so it can never be a child: 0 means "no child"
const NO_VALUE = -1;
const DIGITS = 10;
const VALUE_SLOT = DIGITS;
const STRIDE = DIGITS + 1;
const CHAR_ZERO = 48;
/** Levels numbered breadth-first by compact(): about 11,000 nodes, 500 KB, at most. */
const BREADTH_FIRST_LEVELS = 4;

export class PrefixTrie {
  private nodes: Int32Array;
  private nodeCount = 1;
  private longest = 0;

  constructor(expectedPrefixes = 64) {
    this.nodes = emptyNodes(Math.max(16, expectedPrefixes * 2));
  }

  /** Length of the longest prefix stored; lookups never need more digits than this. */
  get maxPrefixLength(): number {
    return this.longest;
  }

  /**
   * Stores `value` (a non-negative index) under a prefix of ASCII digits. Returns the value
   * already stored under exactly that prefix, or -1 when the prefix is new.
   */
  insert(prefix: string, value: number): number {
    if (prefix === '') throw new RangeError('a prefix has at least one digit');
    let node = 0;
    for (let i = 0; i < prefix.length; i++) {
      const digit = prefix.charCodeAt(i) - CHAR_ZERO;
      if (digit < 0 || digit >= DIGITS) throw new RangeError(`prefix "${prefix}" is not digits`);
      const slot = node * STRIDE + digit;
      let child = this.nodes[slot] ?? NO_NODE;
      if (child === NO_NODE) {
        child = this.allocateNode();
        this.nodes[slot] = child;
      }
      node = child;
    }
    const slot = node * STRIDE + VALUE_SLOT;
    const previous = this.nodes[slot] ?? NO_VALUE;
    if (previous === NO_VALUE) this.nodes[slot] = value;
    this.longest = Math.max(this.longest, prefix.length);
    return previous;
  }

  /**
   * Writes into `values` the values of every stored prefix of the digits of `text` from `start`
   * on (1 skips the "+" of an E.164 number), longest first, and into `lengths` each prefix's
   * length; returns how many were written (at most values.length).
   */
  matches(text: string, start: number, values: Int32Array, lengths: Int32Array): number {
    const nodes = this.nodes;
    let found = 0;
    let node = 0;
    // Collected shortest first, then reversed in place: the walk only goes down.
    const end = Math.min(text.length, start + this.longest);
    for (let i = start; i < end && found < values.length; i++) {
      const digit = text.charCodeAt(i) - CHAR_ZERO;
      if (digit < 0 || digit >= DIGITS) break;
      node = nodes[node * STRIDE + digit] ?? NO_NODE;
      if (node === NO_NODE) break;
      const value = nodes[node * STRIDE + VALUE_SLOT] ?? NO_VALUE;
      if (value !== NO_VALUE) {
        values[found] = value;
        lengths[found] = i - start + 1;
        found++;
      }
    }
    for (let lo = 0, hi = found - 1; lo < hi; lo++, hi--) {
      const value = values[lo] ?? NO_VALUE;
      values[lo] = values[hi] ?? NO_VALUE;
      values[hi] = value;
      const length = lengths[lo] ?? 0;
      lengths[lo] = lengths[hi] ?? 0;
      lengths[hi] = length;
    }
    return found;
  }

  /**
   * Once every prefix is in: renumbers the nodes for the way lookups walk them, and drops the
   * spare capacity left by growth. The upper levels, which every lookup crosses, are numbered
   * breadth-first so they sit together and stay in cache; below them each subtree is numbered
   * depth-first, so the chain of nodes one lookup follows lies in neighbouring memory.
   */
  compact(): void {
    const old = this.nodes;
    const order = new Int32Array(this.nodeCount); // new number → old number
    let next = 1;
    let levelStart = 0;
    for (let depth = 0; depth < BREADTH_FIRST_LEVELS; depth++) {
      const levelEnd = next;
      for (let head = levelStart; head < levelEnd; head++) {
        const from = (order[head] ?? 0) * STRIDE;
        for (let digit = 0; digit < DIGITS; digit++) {
          const child = old[from + digit] ?? NO_NODE;
          if (child !== NO_NODE) order[next++] = child;
        }
      }
      levelStart = levelEnd;
    }
    // Depth-first below: an explicit stack, children pushed last digit first.
    const deepest = next;
    const stack: number[] = [];
    for (let head = levelStart; head < deepest; head++) {
      pushChildren(old, order[head] ?? 0, stack);
      while (stack.length > 0) {
        const node = stack.pop() ?? 0;
        order[next++] = node;
        pushChildren(old, node, stack);
      }
    }
    const renumbered = new Int32Array(this.nodeCount); // old number → new number
    for (let n = 0; n < next; n++) renumbered[order[n] ?? 0] = n;
    const nodes = emptyNodes(this.nodeCount);
    for (let n = 0; n < next; n++) {
      const from = (order[n] ?? 0) * STRIDE;
      const to = n * STRIDE;
      for (let digit = 0; digit < DIGITS; digit++) {
        const child = old[from + digit] ?? NO_NODE;
        nodes[to + digit] = child === NO_NODE ? NO_NODE : (renumbered[child] ?? NO_NODE);
      }
      nodes[to + VALUE_SLOT] = old[from + VALUE_SLOT] ?? NO_VALUE;
    }
    this.nodes = nodes;
  }

  /** Bytes held by the node array, for the benchmark's memory figure. */
  get byteSize(): number {
    return this.nodes.byteLength;
  }

  private allocateNode(): number {
    if (this.nodeCount * STRIDE === this.nodes.length) {
      const grown = emptyNodes(this.nodeCount * 2);
      grown.set(this.nodes);
      this.nodes = grown;
    }
    return this.nodeCount++;
  }
}

function pushChildren(nodes: Int32Array, node: number, stack: number[]): void {
  for (let digit = DIGITS - 1; digit >= 0; digit--) {
    const child = nodes[node * STRIDE + digit] ?? NO_NODE;
    if (child !== NO_NODE) stack.push(child);
  }
}

function emptyNodes(count: number): Int32Array {
  const nodes = new Int32Array(count * STRIDE);
  for (let n = 0; n < count; n++) nodes[n * STRIDE + VALUE_SLOT] = NO_VALUE;
  return nodes;
}
