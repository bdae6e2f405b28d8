// Who is calling: the key from `Authorization: Bearer <token>` or `X-Api-Key`, checked against
// the key mirror through a small in-process cache of token hashes (a key revoked through this
// process stops working at once, one revoked elsewhere within `cacheMs`), then the route's
// allowed roles; and the rule that a company or dialer key bound to a company sees that company
// only.
import type { FastifyInstance, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ApiError } from './api-error.js';
import { hashToken, type ApiKeyStore, type Principal, type Role } from './api-keys.js';

/** What the authenticator needs of the key store. */
export type KeyLookup = Pick<ApiKeyStore, 'lookup' | 'onRevoked'>;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; a route without it is open. */
    roles?: readonly Role[];
  }
}

export interface AuthenticatorOptions {
  /** How long a checked key is trusted before asking the mirror again, ms (0: never cached). */
  readonly cacheMs?: number;
  /** How many keys the cache holds; the oldest entry leaves first. */
  readonly cacheLimit?: number;
  /** The clock, epoch ms. */
  readonly now?: () => number;
}

interface CachedKey {
  readonly principal: Principal;
  /** Epoch ms after which the mirror must be asked again. */
  readonly until: number;
}

/**
 * Resolves tokens to principals. The cache is keyed by the token's sha-256, as the mirror is, so
 * no token outlives its request in memory. A key in use is looked up again in the background in
 * the last fifth of its entry's life, so the dialer's requests do not wait on that lookup; one
 * lookup per hash is in flight at a time, however many requests present the key.
 */
export class Authenticator {
  private readonly cache = new Map<string, CachedKey>();
  private readonly lookups = new Map<string, Promise<Principal | null>>();
  private readonly cacheMs: number;
  private readonly cacheLimit: number;
  private readonly now: () => number;
  /** Counts revocations through this process; a lookup that straddles one is not cached. */
  private revocations = 0;

  constructor(
    private readonly keys: KeyLookup,
    options: AuthenticatorOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 5_000;
    this.cacheLimit = options.cacheLimit ?? 10_000;
    this.now = options.now ?? Date.now;
    keys.onRevoked((tokenHash) => {
      this.revocations++;
      this.cache.delete(tokenHash);
    });
  }

  /** The principal of `token`: at once when cached, else once the mirror answered. */
  principal(token: string): Principal | null | Promise<Principal | null> {
    const hash = hashToken(token);
    const hit = this.cache.get(hash);
    if (hit !== undefined) {
      const left = hit.until - this.now();
      if (left > 0) {
        // A failed refresh leaves the entry to expire; the next request then looks the key up
        // itself and answers with the failure.
        if (left < this.cacheMs / 5) this.lookup(hash).catch(() => undefined);
        return hit.principal;
      }
    }
    return this.lookup(hash);
  }

  private lookup(hash: string): Promise<Principal | null> {
    const pending = this.lookups.get(hash);
    if (pending !== undefined) return pending;
    const asked = this.now();
    const revocations = this.revocations;
    const lookup = this.keys
      .lookup(hash)
      .then((principal) => {
        if (revocations === this.revocations) this.remember(hash, principal, asked + this.cacheMs);
        return principal;
      })
      .finally(() => this.lookups.delete(hash));
    this.lookups.set(hash, lookup);
    return lookup;
  }

  private remember(hash: string, principal: Principal | null, until: number): void {
    this.cache.delete(hash);
    if (principal === null || this.cacheMs <= 0) return;
    if (this.cache.size >= this.cacheLimit) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(hash, { principal, until });
  }
}

function presentedToken(req: FastifyRequest): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m?.[1] !== undefined) return m[1];
  }
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key.trim() !== '') return key.trim();
  return null;
}

/** Why `principal` may not use a route open to `roles`; null when it may. */
function refusal(roles: readonly Role[], principal: Principal | null): ApiError | null {
  if (principal === null) return new ApiError(401, 'invalid_api_key', 'unknown or revoked API key');
  if (!roles.includes(principal.role))
    return new ApiError(403, 'forbidden_role', `a ${principal.role} key cannot use this route`);
  return null;
}

/** Lets the request on as `principal`, or ends it with the refusal. */
function admit(
  req: FastifyRequest,
  roles: readonly Role[],
  principal: Principal | null,
  done: HookHandlerDoneFunction,
): void {
  const refused = refusal(roles, principal);
  if (refused === null) req.principal = principal;
  done(refused ?? undefined);
}

/** Adds the key check to every route of `scope` that declares `config.roles`. */
export function requireApiKeys(scope: FastifyInstance, auth: Authenticator): void {
  scope.decorateRequest('principal', null);
  // A callback hook, not an async one: a cached key is admitted without a promise.
  scope.addHook('onRequest', (req, _reply, done) => {
    const roles = req.routeOptions.config.roles;
    if (roles === undefined) {
      done();
      return;
    }
    const token = presentedToken(req);
    if (token === null) {
      done(
        new ApiError(
          401,
          'missing_api_key',
          'send an API key as "Authorization: Bearer <token>" or "X-Api-Key"',
        ),
      );
      return;
    }
    const principal = auth.principal(token);
    if (principal instanceof Promise)
      principal.then(
        (found) => admit(req, roles, found, done),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    else admit(req, roles, principal, done);
  });
}

/** The authenticated principal of a route that declares roles. */
export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === null) throw new ApiError(401, 'missing_api_key', 'no API key');
  return req.principal;
}

/**
 * Refuses a key bound to another company with the same answer as an unknown company, so a key
 * cannot even learn which company ids exist.
 */
export function assertCompanyAccess(principal: Principal, companyId: string): void {
  if (principal.role === 'admin') return;
  if (principal.companyId === null && principal.role === 'dialer') return;
  if (principal.companyId !== companyId) throw companyNotFound(companyId);
}

export function companyNotFound(companyId: string): ApiError {
  return new ApiError(404, 'company_not_found', `no company "${companyId}"`);
}
