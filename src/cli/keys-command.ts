// `tollgate keys`: create, list and revoke API keys. A created key's token is printed once and
// never stored (only its sha-256); the Redis key mirror is updated so the key works at once.
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { Settings } from '../config/settings.js';
import { createPool } from '../ledger/database.js';
import { ApiKeyStore, ROLES, UnknownCompanyError, type Role } from '../api/api-keys.js';

export interface KeysCommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export const keysUsage = `usage:
  tollgate keys create --role admin|company|dialer [--company <id>] [--label <text>]
  tollgate keys list
  tollgate keys revoke <key id>
`;

/** Returns the exit code: 0 done, 1 refused (unknown company or key), 2 bad usage. */
export async function runKeysCommand(
  args: readonly string[],
  settings: Settings,
  io: KeysCommandIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        role: { type: 'string' },
        company: { type: 'string' },
        label: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.stderr.write(`tollgate keys: ${(err as Error).message}\n${keysUsage}`);
    return 2;
  }
  const [action, ...rest] = parsed.positionals;
  const { role, company, label, help } = parsed.values;
  if (help === true) {
    io.stdout.write(keysUsage);
    return 0;
  }
  const bad = (message: string) => {
    io.stderr.write(`tollgate keys: ${message}\n${keysUsage}`);
    return 2;
  };
  if (action === 'create') {
    if (role === undefined || !(ROLES as readonly string[]).includes(role))
      return bad('--role must be admin, company or dialer');
    if (role === 'company' && company === undefined) return bad('a company key needs --company');
    if (role === 'admin' && company !== undefined) return bad('an admin key has no --company');
  } else if (action === 'revoke') {
    if (rest.length !== 1) return bad('revoke takes one key id');
  } else if (action !== 'list') {
    return bad(action === undefined ? 'say create, list or revoke' : `unknown action "${action}"`);
  }

  const pool = createPool(settings.postgres.url, 2);
  // Fail fast when Redis is down: a key Postgres has but the mirror lacks would not work yet.
  const redis = new Redis(settings.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const store = new ApiKeyStore(pool, redis, settings.redis.prefix);
    if (action === 'create') {
      try {
        const key = await store.create(role as Role, company ?? null, label ?? null);
        io.stdout.write(
          `created ${key.role} key ${key.keyId}${key.companyId ? ` for company ${key.companyId}` : ''}\n` +
            `token (shown once, store it now): ${key.token}\n`,
        );
        return 0;
      } catch (err) {
        if (err instanceof UnknownCompanyError) {
          io.stderr.write(`tollgate keys: ${err.message}\n`);
          return 1;
        }
        throw err;
      }
    }
    if (action === 'revoke') {
      const id = rest[0] ?? '';
      if (await store.revoke(id)) {
        io.stdout.write(`revoked ${id}\n`);
        return 0;
      }
      io.stderr.write(`tollgate keys: no active key "${id}"\n`);
      return 1;
    }
    for (const k of await store.list()) {
      io.stdout.write(
        `${k.keyId}\t${k.role}\t${k.companyId ?? '-'}\t${k.revokedAt === null ? 'active' : `revoked ${k.revokedAt}`}\t${k.label ?? ''}\n`,
      );
    }
    return 0;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') {
      io.stderr.write(
        'tollgate keys: the database has no api_keys table; run `tollgate migrate`\n',
      );
      return 1;
    }
    throw err;
  } finally {
    redis.disconnect();
    await pool.end();
  }
}
