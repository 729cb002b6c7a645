/**
 * API-key authentication and role checks. Keys are scoped to one project; roles are ordered
 * viewer < predictor < trainer < admin, each allowed what the ones below it may do.
 * @module
 */
import type { FastifyRequest } from 'fastify';
import { LeptonError } from '../errors.js';
import type { Actor, ApiKeyInfo, Registry, Role } from '../registry/registry.js';
import { ROLES } from '../registry/registry.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth?: ApiKeyInfo;
  }
}

const WHAT: Record<Role, string> = {
  viewer: 'read',
  predictor: 'predict',
  trainer: 'upload data and train',
  admin: 'manage keys, aliases and the audit log',
};

/**
 * Known keys per registry, so that a prediction does not pay a hash and a registry query.
 * Entries live `KEY_CACHE_MS`: a key revoked on another replica stops working within that
 * time; one revoked through this server stops at once (`forgetKeys`).
 */
const KEY_CACHE_MS = 2000;
const keyCaches = new WeakMap<Registry, Map<string, { info: ApiKeyInfo; at: number }>>();

function cacheOf(registry: Registry): Map<string, { info: ApiKeyInfo; at: number }> {
  let c = keyCaches.get(registry);
  if (!c) keyCaches.set(registry, (c = new Map()));
  return c;
}

export function forgetKeys(registry: Registry): void {
  cacheOf(registry).clear();
}

/** Reads `Authorization: Bearer <key>`; 401 when it is missing or unknown. */
export async function authenticate(req: FastifyRequest, registry: Registry): Promise<ApiKeyInfo> {
  if (req.auth) return req.auth;
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!m) throw new LeptonError('E_AUTH', 'missing API key', 'send the header "Authorization: Bearer <key>"; create a key with `lepton keys create --project NAME --role ROLE`');
  const key = m[1]!;
  const keyCache = cacheOf(registry);
  const hit = keyCache.get(key);
  let info = hit && Date.now() - hit.at < KEY_CACHE_MS ? hit.info : undefined;
  if (!info) {
    info = await registry.authenticate(key);
    if (!info) throw new LeptonError('E_AUTH', 'invalid or revoked API key', 'check the key, or create a new one with `lepton keys create`');
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(key, { info, at: Date.now() });
  }
  req.auth = info;
  return info;
}

/** The caller's key, checked for this project and at least `role`. */
export async function authorize(req: FastifyRequest, registry: Registry, project: string, role: Role): Promise<Actor> {
  const info = await authenticate(req, registry);
  if (info.project !== project) throw new LeptonError('E_FORBIDDEN', `this API key belongs to project '${info.project}', not '${project}'`, `use a key created for project '${project}'`);
  if (ROLES.indexOf(info.role) < ROLES.indexOf(role)) {
    throw new LeptonError('E_FORBIDDEN', `a ${info.role} key cannot ${WHAT[role]}; that needs the ${role} role`, `ask a project admin for a ${role} key`);
  }
  return { keyId: info.keyId, name: `key:${info.keyId}` };
}
