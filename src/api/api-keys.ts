// API keys: random 32-byte tokens shown once, stored as their sha-256. Postgres (api_keys) is the
// record; a Redis hash mirrors the active and revoked hashes so that checking a key – on the
// dialer's authorize path too – needs no Postgres. The mirror is rebuilt whole when Redis lost it.
import crypto, { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { z } from 'zod';

export const ROLES = ['admin', 'company', 'dialer'] as const;
export type Role = (typeof ROLES)[number];

/** Who a request acts as. companyId: the one company a company or dialer key is bound to. */
export interface Principal {
  readonly keyId: string;
  readonly role: Role;
  readonly companyId: string | null;
}

export interface CreatedKey extends Principal {
  /** The secret. Returned at creation only; tollgate keeps just its hash. */
  readonly token: string;
  readonly label: string | null;
  readonly createdAt: string;
}

export interface KeyInfo extends Principal {
  readonly label: string | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

const TOKEN_PREFIX = 'tgk_';
const LOADED = '__loaded';
const REVOKED = 'revoked';

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** The sha-256 of a token, hex: what Postgres, the Redis mirror and the key cache know. */
export function hashToken(token: string): string {
  // The one-shot crypto.hash (Node >= 20.12) costs half of createHash on every API request.
  return typeof crypto.hash === 'function'
    ? crypto.hash('sha256', token, 'hex')
    : createHash('sha256').update(token, 'utf8').digest('hex');
}

const principalSchema = z.object({
  keyId: z.string(),
  role: z.enum(ROLES),
  companyId: z.string().nullable(),
});

export class UnknownCompanyError extends Error {}

interface KeyRow {
  id: string;
  token_sha256: string;
  role: Role;
  company_id: string | null;
  label: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

export class ApiKeyStore {
  private reloading: Promise<void> | null = null;
  private readonly revokedListeners: ((tokenHash: string) => void)[] = [];

  constructor(
    private readonly pool: pg.Pool,
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Redis hash: token sha-256 → principal JSON, or "revoked"; `__loaded` once filled. */
  get mirrorKey(): string {
    return `${this.prefix}:apikeys`;
  }

  async create(role: Role, companyId: string | null, label: string | null): Promise<CreatedKey> {
    const token = generateToken();
    const hash = hashToken(token);
    const id = `key_${randomBytes(8).toString('hex')}`;
    let row: KeyRow | undefined;
    try {
      const res = await this.pool.query<KeyRow>(
        `insert into api_keys (id, token_sha256, role, company_id, label)
         values ($1, $2, $3, $4, $5) returning *`,
        [id, hash, role, companyId, label],
      );
      row = res.rows[0];
    } catch (err) {
      if ((err as { code?: string }).code === '23503')
        throw new UnknownCompanyError(`company ${companyId ?? ''} does not exist`);
      throw err;
    }
    if (row === undefined) throw new Error('unreachable: insert returned no row');
    const principal: Principal = { keyId: id, role, companyId };
    await this.redis.hset(this.mirrorKey, hash, JSON.stringify(principal));
    return { ...principal, token, label, createdAt: row.created_at.toISOString() };
  }

  /** Calls `listener` with the token hash of each key this store revokes (to drop caches). */
  onRevoked(listener: (tokenHash: string) => void): void {
    this.revokedListeners.push(listener);
  }

  /** Revokes a key; false when no active key has that id. */
  async revoke(keyId: string): Promise<boolean> {
    const res = await this.pool.query<{ token_sha256: string }>(
      `update api_keys set revoked_at = now() where id = $1 and revoked_at is null
       returning token_sha256`,
      [keyId],
    );
    const row = res.rows[0];
    if (row === undefined) return false;
    try {
      await this.redis.hset(this.mirrorKey, row.token_sha256, REVOKED);
    } finally {
      // Told once the mirror says "revoked", so a lookup started after this cannot see it active.
      for (const listener of this.revokedListeners) listener(row.token_sha256);
    }
    return true;
  }

  async list(): Promise<KeyInfo[]> {
    const res = await this.pool.query<KeyRow>('select * from api_keys order by created_at, id');
    return res.rows.map((r) => ({
      keyId: r.id,
      role: r.role,
      companyId: r.company_id,
      label: r.label,
      createdAt: r.created_at.toISOString(),
      revokedAt: r.revoked_at?.toISOString() ?? null,
    }));
  }

  /** The principal of an active key with this token hash; null when unknown or revoked. */
  async lookup(tokenHash: string): Promise<Principal | null> {
    const [first, loaded] = await this.redis.hmget(this.mirrorKey, tokenHash, LOADED);
    let value = first;
    if (loaded === null) {
      await this.reload();
      [value] = await this.redis.hmget(this.mirrorKey, tokenHash);
    }
    if (value === null || value === undefined || value === REVOKED) return null;
    const parsed = principalSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  }

  /**
   * Copies every key from Postgres into the mirror. Active keys are added only where the hash
   * has no entry (HSETNX), so a revocation written meanwhile is never overwritten by a stale
   * read; revoked keys are written as such. Also run periodically to heal a partial mirror.
   */
  reload(): Promise<void> {
    this.reloading ??= this.copyAll().finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  private async copyAll(): Promise<void> {
    const res = await this.pool.query<KeyRow>('select * from api_keys');
    const pipeline = this.redis.pipeline();
    for (const r of res.rows) {
      if (r.revoked_at !== null) pipeline.hset(this.mirrorKey, r.token_sha256, REVOKED);
      else {
        const principal: Principal = { keyId: r.id, role: r.role, companyId: r.company_id };
        pipeline.hsetnx(this.mirrorKey, r.token_sha256, JSON.stringify(principal));
      }
    }
    pipeline.hset(this.mirrorKey, LOADED, '1');
    const results = await pipeline.exec();
    for (const [err] of results ?? []) if (err) throw err;
  }
}
