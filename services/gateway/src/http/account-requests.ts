/**
 * The account routes' bodies and queries, read into the typed input their use cases take.
 * Bodies are JSON objects (`request-values.ts`); a field of the wrong JSON type is refused with
 * the field's name. The use cases read it after their guards (`RequestInput`); names in the path,
 * and a new password, are theirs to check.
 */
import {
  DEFAULT_TOKEN_LABEL,
  InvalidUsageError,
  NamespaceLimits,
  Role,
  assertTokenLabel,
  isRole,
  parseTokenLifetime,
} from '@wharf/domain';
import type { AuditPage } from '../use-cases/accounts/audit-trail.use-cases';
import type { PasswordChange } from '../use-cases/accounts/change-password.use-case';
import type { RobotRequest } from '../use-cases/accounts/robots.use-cases';
import type { UserCredentials } from '../use-cases/accounts/sign-up.use-case';
import type { TokenRequest } from '../use-cases/accounts/user-tokens.use-cases';
import { RequestValues, mergeValues, optionalString, parseJsonBody } from './request-values';

const MAX_AUDIT_PAGE = 1000;
const DEFAULT_AUDIT_PAGE = 100;

/** Sign-up and login: Quay's `{"user": {"username": ..., "password": ...}}`, both non-empty strings. */
export function userCredentials(body: unknown): UserCredentials {
  const user = parseJsonBody(body).user;
  if (typeof user !== 'object' || user === null || Array.isArray(user))
    throw new InvalidUsageError("Missing 'user'", { field: 'user' });
  const { username, password } = user as Record<string, unknown>;
  if (typeof username !== 'string' || username === '')
    throw new InvalidUsageError("Missing 'user.username'", { field: 'user.username' });
  if (typeof password !== 'string' || password === '')
    throw new InvalidUsageError("Missing 'user.password'", { field: 'user.password' });
  return { username, password };
}

/** `{"current_password": ..., "password": ...}`: the current one is required. */
export function passwordChange(body: unknown): PasswordChange {
  const values = parseJsonBody(body);
  const currentPassword = optionalString(values, 'current_password');
  if (!currentPassword) throw new InvalidUsageError("Missing 'current_password'", { field: 'current_password' });
  return { currentPassword, password: optionalString(values, 'password') ?? '' };
}

/** A new token: `label` (default `api`) and `expires_in` (seconds, or null for none). */
export function tokenRequest(body: unknown): TokenRequest {
  const values = parseJsonBody(body);
  const label = assertTokenLabel(optionalString(values, 'label') ?? DEFAULT_TOKEN_LABEL);
  return { label, lifetimeSeconds: parseTokenLifetime(values.expires_in) };
}

/** `{"name": ...}` of a new organisation ('' when absent: the naming rules refuse it). */
export function organizationName(body: unknown): string {
  return optionalString(parseJsonBody(body), 'name') ?? '';
}

/** `{"role": ...}` of a member. */
export function memberRole(body: unknown): Role {
  return readRole(parseJsonBody(body));
}

/**
 * `{"role": ..., "expires_in": ...}` of a robot. `expires_in` is its first token's lifetime, as
 * sent: read only when the robot is created (a role change ignores it).
 */
export function robotRequest(body: unknown): RobotRequest {
  const values = parseJsonBody(body);
  return { role: readRole(values), expiresIn: values.expires_in };
}

/** Every limit, a positive integer or null (none); `allow_overwrites` true, false or null. */
export function namespaceLimits(body: unknown): NamespaceLimits {
  const values = parseJsonBody(body);
  return {
    maxBlobBytes: readLimit(values, 'max_blob_bytes'),
    maxStorageBytes: readLimit(values, 'max_storage_bytes'),
    requestsPerMinute: readLimit(values, 'requests_per_minute'),
    allowOverwrites: readFlag(values, 'allow_overwrites'),
  };
}

/** `?limit=` (1 to 1000, default 100) and `?before=<event version>`. */
export function auditPage(query: unknown): AuditPage {
  const values = mergeValues(query, {});
  const limit = Number(optionalString(values, 'limit') ?? DEFAULT_AUDIT_PAGE);
  const before = optionalString(values, 'before');
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE)
    throw new InvalidUsageError(`'limit' must be an integer from 1 to ${MAX_AUDIT_PAGE}`, { field: 'limit' });
  if (before !== undefined && !/^\d{1,12}$/.test(before))
    throw new InvalidUsageError("'before' must be an event version", { field: 'before' });
  return { limit, before: before === undefined ? undefined : Number(before) };
}

function readRole(values: RequestValues): Role {
  const role = values.role;
  if (!isRole(role)) throw new InvalidUsageError("'role' must be 'read', 'write' or 'admin'", { field: 'role' });
  return role;
}

function readLimit(values: RequestValues, field: string): number | null {
  const value = values[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new InvalidUsageError(`'${field}' must be a positive integer or null`, { field });
  return value;
}

function readFlag(values: RequestValues, field: string): boolean | null {
  const value = values[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw new InvalidUsageError(`'${field}' must be true, false or null`, { field });
  return value;
}
