import { describe, expect, it } from 'vitest';
import { PrefixTrie } from '../../../src/rating/prefix-trie.js';

function matchesOf(trie: PrefixTrie, digits: string): number[] {
  const out = new Int32Array(16);
  const lengths = new Int32Array(16);
  const found = trie.matches(`+${digits}`, 1, out, lengths);
  return Array.from(out.subarray(0, found));
}

function lengthsOf(trie: PrefixTrie, digits: string): number[] {
  const out = new Int32Array(16);
  const lengths = new Int32Array(16);
  return Array.from(lengths.subarray(0, trie.matches(`+${digits}`, 1, out, lengths)));
}

describe('PrefixTrie', () => {
  const trie = new PrefixTrie(2); // starts small, so the test also covers growth
  trie.insert('1', 10);
  trie.insert('44', 20);
  trie.insert('447', 30);
  trie.insert('4477', 40);
  trie.insert('33', 50);

  it.each([
    ['447700900123', [40, 30, 20]],
    ['447912345678', [30, 20]],
    ['442079460958', [20]],
    ['12125550123', [10]],
    ['33612345678', [50]],
    ['4', []],
    ['49301234567', []],
    ['', []],
  ])('matches %s longest first', (digits, expected) => {
    expect(matchesOf(trie, digits)).toEqual(expected);
  });

  it('says how long each matched prefix is', () => {
    expect(lengthsOf(trie, '447700900123')).toEqual([4, 3, 2]);
  });

  it('matches the same after breadth-first compaction', () => {
    const compacted = new PrefixTrie(2);
    for (const [prefix, value] of [
      ['1', 10],
      ['44', 20],
      ['447', 30],
      ['4477', 40],
      ['33', 50],
    ] as const) {
      compacted.insert(prefix, value);
    }
    compacted.compact();
    expect(matchesOf(compacted, '447700900123')).toEqual([40, 30, 20]);
    expect(matchesOf(compacted, '33612345678')).toEqual([50]);
    expect(matchesOf(compacted, '49301234567')).toEqual([]);
    // …and still takes new prefixes.
    compacted.insert('49', 60);
    expect(matchesOf(compacted, '49301234567')).toEqual([60]);
  });

  it('reports an existing prefix instead of overwriting it', () => {
    const t = new PrefixTrie();
    expect(t.insert('44', 1)).toBe(-1);
    expect(t.insert('44', 2)).toBe(1);
    expect(matchesOf(t, '4420')).toEqual([1]);
  });

  it('knows its longest prefix and stops at a non-digit', () => {
    expect(trie.maxPrefixLength).toBe(4);
    expect(matchesOf(trie, '44x7')).toEqual([20]);
  });

  it('keeps every prefix of a large deck after growing and compacting', () => {
    const big = new PrefixTrie(1);
    for (let i = 0; i < 20000; i++) big.insert(String(100000 + i * 7), i);
    big.compact();
    for (let i = 0; i < 20000; i += 997) {
      expect(matchesOf(big, `${100000 + i * 7}555`)).toEqual([i]);
    }
    expect(matchesOf(big, '100001555')).toEqual([]);
  });

  it('keeps data beside each prefix in columns, read from the nodes a lookup matched', () => {
    const withColumns = new PrefixTrie();
    for (const [prefix, value] of [
      ['44', 0],
      ['447', 1],
      ['4477', 2],
      ['33', 3],
    ] as const) {
      withColumns.insert(prefix, value);
    }
    withColumns.compact();
    withColumns.addColumns(2, -1);
    withColumns.fillColumn(0, (value) => value * 10);
    withColumns.fillColumn(1, (value) => (value === 1 ? 7 : -1));
    const nodes = new Int32Array(16);
    const lengths = new Int32Array(16);
    const found = withColumns.matchNodes('+447700900123', 1, nodes, lengths);
    const matched = Array.from(nodes.subarray(0, found));
    expect(matched.map((node) => withColumns.valueAt(node))).toEqual([2, 1, 0]);
    expect(matched.map((node) => withColumns.columnAt(node, 0))).toEqual([20, 10, 0]);
    expect(matched.map((node) => withColumns.columnAt(node, 1))).toEqual([-1, 7, -1]);
    expect(matchesOf(withColumns, '33612345678')).toEqual([3]);
    expect(() => withColumns.insert('49', 4)).toThrow(/columns/);
  });

  it('compacts again after taking new prefixes', () => {
    const twice = new PrefixTrie();
    for (let i = 0; i < 500; i++) twice.insert(String(4400 + i * 3), i);
    twice.compact();
    for (let i = 500; i < 1000; i++) twice.insert(String(4400 + i * 3), i);
    twice.compact();
    for (let i = 0; i < 1000; i += 37) {
      expect(matchesOf(twice, `${4400 + i * 3}123`)).toEqual([i]);
    }
    expect(matchesOf(twice, '4401123')).toEqual([]);
  });

  it('rejects a prefix that is not digits, or empty', () => {
    expect(() => new PrefixTrie().insert('4a', 1)).toThrow(RangeError);
    expect(() => new PrefixTrie().insert('', 1)).toThrow(RangeError);
  });
});
