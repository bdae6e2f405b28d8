// Who is calling: the key from `Authorization: Bearer <token>` or `X-Api-Key`, checked against
// the key mirror with a short in-process cache (a revoked key stops working within `cacheMs`),
// then the route's allowed roles; and the rule that a company or dialer key bound to a company
// sees that company only.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './api-error.js';
import { hashToken, type ApiKeyStore, type Principal, type Role } from './api-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; a route without it is open. */
    roles?: readonly Role[];
  }
}

const cacheLimit = 10_000;

export class Authenticator {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly keys: ApiKeyStore,
    private readonly cacheMs = 5_000,
  ) {}

  async principal(token: string): Promise<Principal | null> {
    // Keyed by the token itself (this process received it anyway), so a cached key costs no
    // hashing; only the key store sees the sha-256.
    const now = Date.now();
    const hit = this.cache.get(token);
    if (hit !== undefined && hit.until > now) return hit.principal;
    const principal = await this.keys.lookup(hashToken(token));
    if (principal === null) {
      this.cache.delete(token);
      return null;
    }
    if (this.cache.size >= cacheLimit) this.cache.clear();
    this.cache.set(token, { principal, until: now + this.cacheMs });
    return principal;
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

/** Adds the key check to every route of `scope` that declares `config.roles`. */
export function requireApiKeys(scope: FastifyInstance, auth: Authenticator): void {
  scope.decorateRequest('principal', null);
  scope.addHook('onRequest', async (req) => {
    const roles = req.routeOptions.config.roles;
    if (roles === undefined) return;
    const token = presentedToken(req);
    if (token === null)
      throw new ApiError(
        401,
        'missing_api_key',
        'send an API key as "Authorization: Bearer <token>" or "X-Api-Key"',
      );
    const principal = await auth.principal(token);
    if (principal === null)
      throw new ApiError(401, 'invalid_api_key', 'unknown or revoked API key');
    if (!roles.includes(principal.role))
      throw new ApiError(403, 'forbidden_role', `a ${principal.role} key cannot use this route`);
    req.principal = principal;
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
