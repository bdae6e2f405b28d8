// The API key cache in front of the Redis mirror: keyed by token hash, one lookup in flight per
// key, refreshed ahead of expiry, bounded, and dropped at once by a revocation in this process.
import { describe, expect, it } from 'vitest';
import { hashToken, type Principal } from '../../../src/api/api-keys.js';
import { Authenticator } from '../../../src/api/authentication.js';

const dialer: Principal = { keyId: 'key_1', role: 'dialer', companyId: 'acme' };

/** A key store whose lookups the test answers by hand, recording what was asked. */
class FakeKeys {
  readonly asked: string[] = [];
  readonly active = new Map<string, Principal>();
  private revoked: ((tokenHash: string) => void)[] = [];
  private pending: Array<() => void> = [];
  holdAnswers = false;

  lookup(tokenHash: string): Promise<Principal | null> {
    this.asked.push(tokenHash);
    const answer = () => this.active.get(tokenHash) ?? null;
    if (!this.holdAnswers) return Promise.resolve(answer());
    return new Promise((resolve) => this.pending.push(() => resolve(answer())));
  }

  onRevoked(listener: (tokenHash: string) => void): void {
    this.revoked.push(listener);
  }

  revoke(token: string): void {
    this.active.delete(hashToken(token));
    for (const listener of this.revoked) listener(hashToken(token));
  }

  answerAll(): void {
    const pending = this.pending;
    this.pending = [];
    for (const answer of pending) answer();
  }
}

function setUp(cacheMs = 5_000, cacheLimit = 10_000) {
  const keys = new FakeKeys();
  let nowMs = 1_000_000;
  const auth = new Authenticator(keys, { cacheMs, cacheLimit, now: () => nowMs });
  return {
    keys,
    auth,
    advance: (ms: number) => (nowMs += ms),
  };
}

describe('Authenticator', () => {
  it('asks the mirror by token hash, then answers from the cache without a promise', async () => {
    const { keys, auth } = setUp();
    keys.active.set(hashToken('tgk_a'), dialer);
    expect(await auth.principal('tgk_a')).toEqual(dialer);
    expect(keys.asked).toEqual([hashToken('tgk_a')]);
    expect(auth.principal('tgk_a')).toEqual(dialer);
    expect(keys.asked).toHaveLength(1);
  });

  it('sends one lookup for many requests that present the same uncached key', async () => {
    const { keys, auth } = setUp();
    keys.active.set(hashToken('tgk_a'), dialer);
    keys.holdAnswers = true;
    const answers = Array.from({ length: 50 }, () => auth.principal('tgk_a'));
    expect(keys.asked).toHaveLength(1);
    expect(answers.every((a) => a instanceof Promise)).toBe(true);
    keys.answerAll();
    for (const answer of answers) expect(await answer).toEqual(dialer);
  });

  it('refreshes a key in use before its entry expires, serving the cached answer meanwhile', async () => {
    const { keys, auth, advance } = setUp(5_000);
    keys.active.set(hashToken('tgk_a'), dialer);
    await auth.principal('tgk_a');
    advance(3_000);
    expect(auth.principal('tgk_a')).toEqual(dialer);
    expect(keys.asked).toHaveLength(1);
    advance(1_500); // in the last fifth: answered from the cache, refreshed behind
    keys.holdAnswers = true;
    expect(auth.principal('tgk_a')).toEqual(dialer);
    expect(keys.asked).toHaveLength(2);
    keys.answerAll();
    await Promise.resolve();
    await Promise.resolve();
    advance(1_000); // past the first entry's life, within the refreshed one's
    expect(auth.principal('tgk_a')).toEqual(dialer);
    expect(keys.asked).toHaveLength(2);
  });

  it('stops admitting a key revoked elsewhere once its entry expires', async () => {
    const { keys, auth, advance } = setUp(5_000);
    keys.active.set(hashToken('tgk_a'), dialer);
    await auth.principal('tgk_a');
    keys.active.delete(hashToken('tgk_a')); // revoked by another replica: no event here
    advance(5_001);
    expect(await auth.principal('tgk_a')).toBeNull();
    expect(await auth.principal('tgk_a')).toBeNull();
    expect(keys.asked).toHaveLength(3); // an unknown or revoked key is never cached
  });

  it('stops admitting a key revoked through this process at once', async () => {
    const { keys, auth } = setUp(60_000);
    keys.active.set(hashToken('tgk_a'), dialer);
    await auth.principal('tgk_a');
    keys.revoke('tgk_a');
    expect(await auth.principal('tgk_a')).toBeNull();
  });

  it('does not cache an answer read before a revocation that landed meanwhile', async () => {
    const { keys, auth } = setUp(60_000);
    keys.active.set(hashToken('tgk_a'), dialer);
    keys.holdAnswers = true;
    const early = auth.principal('tgk_a');
    // The mirror answered "active" just before the revocation reached it.
    keys.answerAll();
    keys.revoke('tgk_a');
    expect(await early).toEqual(dialer);
    keys.holdAnswers = false;
    expect(await auth.principal('tgk_a')).toBeNull();
  });

  it('holds at most cacheLimit keys, dropping the oldest', async () => {
    const { keys, auth } = setUp(60_000, 2);
    for (const token of ['tgk_a', 'tgk_b', 'tgk_c'])
      keys.active.set(hashToken(token), { ...dialer, keyId: token });
    await auth.principal('tgk_a');
    await auth.principal('tgk_b');
    await auth.principal('tgk_c');
    expect(keys.asked).toHaveLength(3);
    expect(auth.principal('tgk_c')).toEqual({ ...dialer, keyId: 'tgk_c' });
    expect(auth.principal('tgk_b')).toEqual({ ...dialer, keyId: 'tgk_b' });
    expect(keys.asked).toHaveLength(3);
    await auth.principal('tgk_a');
    expect(keys.asked).toHaveLength(4);
  });

  it('caches nothing with cacheMs 0', async () => {
    const { keys, auth } = setUp(0);
    keys.active.set(hashToken('tgk_a'), dialer);
    await auth.principal('tgk_a');
    await auth.principal('tgk_a');
    expect(keys.asked).toHaveLength(2);
  });
});
