// A digit trie over number prefixes for longest-prefix-wins destination lookup. While prefixes
// go in, nodes are eleven slots of one flat Int32Array (ten children and the node's value).
// compact() then rewrites it in a form four times smaller, so a 50,000-prefix deck's trie stays
// in cache: per node a bitmap of the digits it has children for, the number of its first child
// (its children are numbered consecutively, so a digit's child is the first plus the children
// before it) and its value. Nodes are numbered so that a lookup's walk mostly hits memory
// already in cache (see compact). Data kept per prefix can sit in extra slots of its node
// (addColumns), read from the node a lookup is already on. A lookup allocates nothing.

const NO_NODE = 0; // node 0 is the root, so it can never be a child: 0 means "no child"
const NO_VALUE = -1;
const DIGITS = 10;
const CHAR_ZERO = 48;

// The growing form: ten child slots, then the value.
const WIDE_VALUE = DIGITS;
const WIDE_STRIDE = DIGITS + 1;

// The compact form: bitmap of children, first child, value, then the columns.
const BITS = 0;
const FIRST_CHILD = 1;
const COMPACT_VALUE = 2;
const COMPACT_STRIDE = 3;

/** Levels numbered breadth-first by compact(): about 11,000 nodes, 130 KB, at most. */
const BREADTH_FIRST_LEVELS = 4;

/** Set bits of each 10-bit children bitmap: how many children come before a digit's. */
const BITS_BELOW = buildBitCounts();

export class PrefixTrie {
  /** The growing form until compact(), then the compact form (see the head comment). */
  private nodes: Int32Array;
  private nodeCount = 1;
  private longest = 0;
  private compacted = false;
  /** Slots per node of the compact form: the fixed three, then the columns. */
  private stride = COMPACT_STRIDE;

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
    if (this.compacted) this.expand();
    let node = 0;
    for (let i = 0; i < prefix.length; i++) {
      const digit = prefix.charCodeAt(i) - CHAR_ZERO;
      if (digit < 0 || digit >= DIGITS) throw new RangeError(`prefix "${prefix}" is not digits`);
      const slot = node * WIDE_STRIDE + digit;
      let child = this.nodes[slot] ?? NO_NODE;
      if (child === NO_NODE) {
        child = this.allocateNode();
        this.nodes[slot] = child;
      }
      node = child;
    }
    const slot = node * WIDE_STRIDE + WIDE_VALUE;
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
    const found = this.matchNodes(text, start, values, lengths);
    for (let m = 0; m < found; m++) values[m] = this.valueAt(values[m] ?? NO_NODE);
    return found;
  }

  /**
   * As matches(), but writes the node of each matched prefix into `matched`: its value and
   * columns are then read with valueAt and columnAt, from memory the walk has just read.
   */
  matchNodes(text: string, start: number, matched: Int32Array, lengths: Int32Array): number {
    const found = this.compacted
      ? this.walkCompact(text, start, matched, lengths)
      : this.walkWide(text, start, matched, lengths);
    // Collected shortest first, then reversed in place: the walk only goes down.
    for (let lo = 0, hi = found - 1; lo < hi; lo++, hi--) {
      const node = matched[lo] ?? NO_NODE;
      matched[lo] = matched[hi] ?? NO_NODE;
      matched[hi] = node;
      const length = lengths[lo] ?? 0;
      lengths[lo] = lengths[hi] ?? 0;
      lengths[hi] = length;
    }
    return found;
  }

  /** The value stored at a node matchNodes returned. */
  valueAt(node: number): number {
    return this.compacted
      ? (this.nodes[node * this.stride + COMPACT_VALUE] ?? NO_VALUE)
      : (this.nodes[node * WIDE_STRIDE + WIDE_VALUE] ?? NO_VALUE);
  }

  /** Column `column` of a node matchNodes returned (see addColumns). */
  columnAt(node: number, column: number): number {
    return this.nodes[node * this.stride + COMPACT_STRIDE + column] ?? 0;
  }

  /**
   * Gives every node `count` more slots, filled with `fill`, for data kept beside each prefix's
   * value (see fillColumn). Once compacted; no prefix can be added after.
   */
  addColumns(count: number, fill: number): void {
    if (!this.compacted || this.stride !== COMPACT_STRIDE) {
      throw new Error('columns are added once, to a compacted trie');
    }
    const stride = COMPACT_STRIDE + count;
    const nodes = new Int32Array(this.nodeCount * stride).fill(fill);
    for (let n = 0; n < this.nodeCount; n++) {
      const from = n * COMPACT_STRIDE;
      nodes.set(this.nodes.subarray(from, from + COMPACT_STRIDE), n * stride);
    }
    this.nodes = nodes;
    this.stride = stride;
  }

  /** Writes `codeOf(value)` into column `column` of the node of every stored prefix. */
  fillColumn(column: number, codeOf: (value: number) => number): void {
    const nodes = this.nodes;
    const stride = this.stride;
    if (column < 0 || COMPACT_STRIDE + column >= stride)
      throw new RangeError(`no column ${column}`);
    for (let n = 0; n < this.nodeCount; n++) {
      const value = nodes[n * stride + COMPACT_VALUE] ?? NO_VALUE;
      if (value !== NO_VALUE) nodes[n * stride + COMPACT_STRIDE + column] = codeOf(value);
    }
  }

  /**
   * Once every prefix is in: rewrites the trie in its compact form, numbered for the way
   * lookups walk it. The upper levels, which every lookup crosses, are numbered breadth-first
   * so they sit together and stay in cache; below them, depth-first by families (a node's
   * children together, then each child's family), so the chain of nodes one lookup follows lies
   * in neighbouring memory. A later insert() expands it again.
   */
  compact(): void {
    if (this.compacted) return;
    const wide = this.nodes;
    const count = this.nodeCount;
    const order = new Int32Array(count); // new number → old number
    let next = 1;
    let levelStart = 0;
    for (let depth = 0; depth < BREADTH_FIRST_LEVELS; depth++) {
      const levelEnd = next;
      for (let head = levelStart; head < levelEnd; head++) {
        next = numberChildren(wide, order[head] ?? 0, order, next);
      }
      levelStart = levelEnd;
    }
    // Below: an explicit stack of nodes whose children are still to be numbered.
    const deepest = next;
    const stack: number[] = [];
    for (let head = levelStart; head < deepest; head++) {
      stack.push(head);
      while (stack.length > 0) {
        const node = stack.pop() ?? 0;
        const first = next;
        next = numberChildren(wide, order[node] ?? 0, order, next);
        for (let child = next - 1; child >= first; child--) stack.push(child);
      }
    }
    const renumbered = new Int32Array(count); // old number → new number
    for (let n = 0; n < next; n++) renumbered[order[n] ?? 0] = n;
    const nodes = new Int32Array(next * COMPACT_STRIDE);
    for (let n = 0; n < next; n++) {
      const from = (order[n] ?? 0) * WIDE_STRIDE;
      let bits = 0;
      let first = NO_NODE;
      for (let digit = DIGITS - 1; digit >= 0; digit--) {
        const child = wide[from + digit] ?? NO_NODE;
        if (child === NO_NODE) continue;
        bits |= 1 << digit;
        first = renumbered[child] ?? NO_NODE;
      }
      nodes[n * COMPACT_STRIDE + BITS] = bits;
      nodes[n * COMPACT_STRIDE + FIRST_CHILD] = first;
      nodes[n * COMPACT_STRIDE + COMPACT_VALUE] = wide[from + WIDE_VALUE] ?? NO_VALUE;
    }
    this.nodes = nodes;
    this.nodeCount = next;
    this.compacted = true;
  }

  /** Bytes held by the node array, for the benchmark's memory figure. */
  get byteSize(): number {
    return this.nodes.byteLength;
  }

  private walkWide(text: string, start: number, matched: Int32Array, lengths: Int32Array): number {
    const nodes = this.nodes;
    let found = 0;
    let node = 0;
    const end = Math.min(text.length, start + this.longest);
    for (let i = start; i < end && found < matched.length; i++) {
      const digit = text.charCodeAt(i) - CHAR_ZERO;
      if (digit < 0 || digit >= DIGITS) break;
      node = nodes[node * WIDE_STRIDE + digit] ?? NO_NODE;
      if (node === NO_NODE) break;
      if ((nodes[node * WIDE_STRIDE + WIDE_VALUE] ?? NO_VALUE) !== NO_VALUE) {
        matched[found] = node;
        lengths[found] = i - start + 1;
        found++;
      }
    }
    return found;
  }

  private walkCompact(
    text: string,
    start: number,
    matched: Int32Array,
    lengths: Int32Array,
  ): number {
    const nodes = this.nodes;
    const stride = this.stride;
    let found = 0;
    let node = 0;
    const end = Math.min(text.length, start + this.longest);
    for (let i = start; i < end && found < matched.length; i++) {
      const digit = text.charCodeAt(i) - CHAR_ZERO;
      if (digit < 0 || digit >= DIGITS) break;
      const at = node * stride;
      const bits = nodes[at + BITS] ?? 0;
      if (((bits >> digit) & 1) === 0) break;
      node = (nodes[at + FIRST_CHILD] ?? 0) + (BITS_BELOW[bits & ((1 << digit) - 1)] ?? 0);
      if ((nodes[node * stride + COMPACT_VALUE] ?? NO_VALUE) !== NO_VALUE) {
        matched[found] = node;
        lengths[found] = i - start + 1;
        found++;
      }
    }
    return found;
  }

  /** Back to the growing form, for an insert after compact(). */
  private expand(): void {
    if (this.stride !== COMPACT_STRIDE) throw new Error('a trie with columns takes no prefixes');
    const compact = this.nodes;
    const wide = emptyNodes(this.nodeCount);
    for (let n = 0; n < this.nodeCount; n++) {
      const bits = compact[n * COMPACT_STRIDE + BITS] ?? 0;
      let child = compact[n * COMPACT_STRIDE + FIRST_CHILD] ?? NO_NODE;
      for (let digit = 0; digit < DIGITS; digit++) {
        if (((bits >> digit) & 1) !== 0) wide[n * WIDE_STRIDE + digit] = child++;
      }
      wide[n * WIDE_STRIDE + WIDE_VALUE] = compact[n * COMPACT_STRIDE + COMPACT_VALUE] ?? NO_VALUE;
    }
    this.nodes = wide;
    this.compacted = false;
  }

  private allocateNode(): number {
    if (this.nodeCount * WIDE_STRIDE === this.nodes.length) {
      const grown = emptyNodes(this.nodeCount * 2);
      grown.set(this.nodes);
      this.nodes = grown;
    }
    return this.nodeCount++;
  }
}

/** Numbers the children of wide node `node` from `next` on, in digit order; returns the next. */
function numberChildren(wide: Int32Array, node: number, order: Int32Array, next: number): number {
  let number = next;
  for (let digit = 0; digit < DIGITS; digit++) {
    const child = wide[node * WIDE_STRIDE + digit] ?? NO_NODE;
    if (child !== NO_NODE) order[number++] = child;
  }
  return number;
}

function emptyNodes(count: number): Int32Array {
  const nodes = new Int32Array(count * WIDE_STRIDE);
  for (let n = 0; n < count; n++) nodes[n * WIDE_STRIDE + WIDE_VALUE] = NO_VALUE;
  return nodes;
}

function buildBitCounts(): Uint8Array {
  const counts = new Uint8Array(1 << DIGITS);
  for (let bits = 1; bits < counts.length; bits++) {
    counts[bits] = (counts[bits >> 1] ?? 0) + (bits & 1);
  }
  return counts;
}
