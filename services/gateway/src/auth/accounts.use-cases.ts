/**
 * Users, tokens, organisations, robots, limits and the audit trail: parse what the request
 * names, check the caller's role, send the command to the AccountWriter, present the answer.
 * No secret is ever part of an answer except a token at the moment it is created.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  AccountExistsError,
  AccountNotFoundError,
  AccountView,
  Caller,
  ForbiddenError,
  InvalidUsageError,
  LOGIN_LABEL,
  NamespaceLimits,
  RecordedAccountEvent,
  Role,
  TokenRecord,
  UnauthorizedError,
  findRobot,
  callerName,
  isRole,
  isUnrestricted,
  outlivesProof,
  parseAccountName,
  parseRobotName,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { PACKAGE_READER, PackageReader } from '@wharf/ports';
import { RequestValues, optionalString } from '../http/request-values';
import { AccessControl } from './access-control';
import { AccountDirectory } from './account-directory';
import { AccountWriter } from './account-writer';
import { mintToken } from './api-tokens';
import { Authenticator } from './authenticator';

const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;
const MAX_LABEL = 100;

@Injectable()
export class AccountsUseCases {
  constructor(
    private readonly writer: AccountWriter,
    private readonly directory: AccountDirectory,
    private readonly authenticator: Authenticator,
    private readonly access: AccessControl,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
    @Inject(PACKAGE_READER) private readonly packages: PackageReader,
  ) {}

  /** `client`: the client address, the password hashing pool's lane. */
  async signUp(values: RequestValues, caller: Caller, client = '') {
    const { username, password } = readUser(values);
    if (!this.config.auth.signup && !isUnrestricted(caller)) throw ForbiddenError.because('sign-up is turned off on this registry');
    const name = parseAccountName(username);
    await this.assertNamespaceUnclaimed(name, caller);
    const passwordHash = await this.authenticator.hashNewPassword(checkPassword(password), client);
    await this.writer.execute(name, { type: 'RegisterUser', passwordHash, siteAdmin: false }, name);
    return { username: name, token: (await this.issue(name, null, LOGIN_LABEL, this.defaultExpiry())).text };
  }

  /** Quay's `POST /api/v1/users/login`: a new token for a username and password. */
  async login(values: RequestValues, client = '') {
    const { username, password } = readUser(values);
    const caller = await this.authenticator.checkPassword(username, password, client);
    if (!caller || caller.kind !== 'user') throw new UnauthorizedError('invalid username or password');
    return { token: (await this.issue(caller.name, null, LOGIN_LABEL, this.defaultExpiry())).text };
  }

  /** Creates the configured site admin if it does not exist yet (at boot). */
  async bootstrapAdmin(): Promise<'created' | 'exists' | 'not-configured'> {
    const admin = this.config.auth.admin;
    if (!admin) return 'not-configured';
    if (await this.directory.get(admin.username)) return 'exists';
    const passwordHash = await this.authenticator.hashNewPassword(admin.password);
    await this.writer.execute(parseAccountName(admin.username), { type: 'RegisterUser', passwordHash, siteAdmin: true }, '-');
    return 'created';
  }

  async whoami(caller: Caller) {
    const user = requireUser(caller);
    const memberships = await this.directory.memberships(user);
    const view = await this.directory.get(user);
    return { username: user, site_admin: view?.siteAdmin ?? false, organizations: memberships.map((m) => ({ name: m.namespace, role: m.role })) };
  }

  /**
   * Needs the current password (400 without it, 401 when wrong, 429 while the account's failure
   * budget is spent: it is a password attempt like a login), whatever credentials came with the
   * request, so a stolen token cannot take the account over. Every token of the account is
   * revoked; the answer carries the one token that works afterwards.
   */
  async changePassword(caller: Caller, values: RequestValues, client = '') {
    const user = requireUser(caller);
    const current = optionalString(values, 'current_password');
    if (!current) throw new InvalidUsageError("Missing 'current_password'", { field: 'current_password' });
    const password = checkPassword(optionalString(values, 'password') ?? '');
    if (!(await this.authenticator.checkPassword(user, current, client))) throw new UnauthorizedError('the current password is wrong');
    const passwordHash = await this.authenticator.hashNewPassword(password, client);
    const minted = mintToken(user);
    const replacementToken = { tokenId: minted.id, secretHash: minted.secretHash, label: LOGIN_LABEL, expiresAt: this.defaultExpiry() };
    await this.writer.execute(user, { type: 'ChangePassword', passwordHash, replacementToken }, user);
    return { status: 'ok', token: minted.text };
  }

  async listTokens(caller: Caller) {
    const view = await this.directory.get(requireUser(caller));
    return (view?.tokens ?? []).map(tokenJson);
  }

  async createToken(caller: Caller, values: RequestValues) {
    const user = requireUser(caller);
    const label = readLabel(values);
    const issued = await this.issue(user, null, label, this.expiryFor(caller, values), callerName(caller));
    return { ...tokenJson(issued.record), token: issued.text };
  }

  async revokeToken(caller: Caller, tokenId: string) {
    const user = requireUser(caller);
    await this.writer.execute(user, { type: 'RevokeToken', robot: null, tokenId }, callerName(caller));
    return { status: 'revoked', id: tokenId };
  }

  async createOrganization(caller: Caller, values: RequestValues) {
    const owner = requireUser(caller);
    const name = parseAccountName(optionalString(values, 'name') ?? '');
    await this.assertNamespaceUnclaimed(name, caller);
    return organizationJson(await this.writer.execute(name, { type: 'CreateOrganization', owner }, owner));
  }

  async organization(caller: Caller, org: string) {
    return organizationJson(await this.loadOrganization(caller, org, 'read'));
  }

  async setMemberRole(caller: Caller, org: string, user: string, values: RequestValues) {
    await this.loadOrganization(caller, org, 'admin');
    const role = readRole(values);
    const member = await this.directory.get(parseAccountName(user));
    if (member?.kind !== 'user') throw new AccountNotFoundError('user', user);
    return organizationJson(await this.writer.execute(org, { type: 'SetMemberRole', user, role }, callerName(caller)));
  }

  async removeMember(caller: Caller, org: string, user: string) {
    await this.loadOrganization(caller, org, 'admin');
    return organizationJson(await this.writer.execute(org, { type: 'RemoveMember', user }, callerName(caller)));
  }

  /** Creates the robot (with a first token) or changes its role. */
  async setRobot(caller: Caller, org: string, robotName: string, values: RequestValues) {
    const view = await this.loadOrganization(caller, org, 'admin');
    const robot = parseRobotName(robotName);
    const role = readRole(values);
    const existed = view.robots.some((r) => r.name === robot);
    await this.writer.execute(org, { type: 'SetRobotRole', robot, role }, callerName(caller));
    const issued = existed ? undefined : await this.issue(org, robot, 'created', this.expiryFor(caller, values), callerName(caller));
    return { name: `${org}+${robot}`, role, ...(issued ? { token: issued.text, token_id: issued.record.id, expires_at: issued.record.expiresAt } : {}) };
  }

  async createRobotToken(caller: Caller, org: string, robotName: string, values: RequestValues) {
    await this.loadOrganization(caller, org, 'admin');
    const robot = parseRobotName(robotName);
    const issued = await this.issue(org, robot, readLabel(values), this.expiryFor(caller, values), callerName(caller));
    return { name: `${org}+${robot}`, ...tokenJson(issued.record), token: issued.text };
  }

  async listRobotTokens(caller: Caller, org: string, robotName: string) {
    const view = await this.loadOrganization(caller, org, 'admin');
    const robot = findRobot(view, parseRobotName(robotName));
    if (!robot) throw new AccountNotFoundError('robot', `${org}+${robotName}`);
    return robot.tokens.map(tokenJson);
  }

  async revokeRobotToken(caller: Caller, org: string, robotName: string, tokenId: string) {
    await this.loadOrganization(caller, org, 'admin');
    await this.writer.execute(org, { type: 'RevokeToken', robot: parseRobotName(robotName), tokenId }, callerName(caller));
    return { status: 'revoked', id: tokenId };
  }

  async deleteRobot(caller: Caller, org: string, robotName: string) {
    await this.loadOrganization(caller, org, 'admin');
    await this.writer.execute(org, { type: 'DeleteRobot', robot: parseRobotName(robotName) }, callerName(caller));
    return { status: 'deleted', name: `${org}+${robotName}` };
  }

  async limits(caller: Caller, namespace: string) {
    await this.access.require(caller, namespace, 'admin');
    return limitsJson((await this.loadAccount(namespace)).limits);
  }

  /** Limits are the operator's: only a site admin sets them. */
  async setLimits(caller: Caller, namespace: string, values: RequestValues) {
    if (!isUnrestricted(caller)) {
      if (caller.kind === 'anonymous') throw new UnauthorizedError();
      throw ForbiddenError.because('only a site admin may set namespace limits', { namespace });
    }
    await this.loadAccount(namespace);
    const limits: NamespaceLimits = {
      maxBlobBytes: readLimit(values, 'max_blob_bytes'),
      maxStorageBytes: readLimit(values, 'max_storage_bytes'),
      requestsPerMinute: readLimit(values, 'requests_per_minute'),
      allowOverwrites: readFlag(values, 'allow_overwrites'),
    };
    return limitsJson((await this.writer.execute(namespace, { type: 'SetLimits', limits }, callerName(caller))).limits);
  }

  async audit(caller: Caller, namespace: string, values: RequestValues) {
    await this.access.require(caller, namespace, 'admin');
    const limit = Number(optionalString(values, 'limit') ?? 100);
    const before = optionalString(values, 'before');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidUsageError("'limit' must be an integer from 1 to 1000", { field: 'limit' });
    if (before !== undefined && !/^\d{1,12}$/.test(before)) throw new InvalidUsageError("'before' must be an event version", { field: 'before' });
    const events = await this.directory.history(namespace, { limit, before: before === undefined ? undefined : Number(before) });
    return events.map(auditJson);
  }

  /** Records a package's visibility change in its namespace's audit trail, when the namespace has an account. */
  async recordVisibility(caller: Caller, pkg: string, namespace: string, visibility: 'public' | 'private'): Promise<void> {
    if (!(await this.directory.get(namespace))) return;
    await this.writer.execute(namespace, { type: 'RecordVisibility', package: pkg, visibility }, callerName(caller));
  }

  /**
   * A namespace that already holds packages (pushed in open mode, before accounts) is not handed
   * to whoever signs up first under its name; a site admin may create the account for it.
   */
  private async assertNamespaceUnclaimed(namespace: string, caller: Caller): Promise<void> {
    if (isUnrestricted(caller)) return;
    const packages = await this.packages.list({ namespace, visibleNamespaces: 'all', limit: 1 });
    if (packages.length > 0) throw new AccountExistsError(namespace);
  }

  private async issue(account: string, robot: string | null, label: string, expiresAt: string | null, actor = account): Promise<{ text: string; record: TokenRecord }> {
    const minted = mintToken(robot === null ? account : `${account}+${robot}`);
    await this.writer.execute(account, { type: 'IssueToken', robot, tokenId: minted.id, secretHash: minted.secretHash, label, expiresAt }, actor);
    return { text: minted.text, record: { id: minted.id, secretHash: minted.secretHash, label, expiresAt, createdAt: new Date().toISOString() } };
  }

  /**
   * The expiry of a token the caller creates (`expires_in`, else the configured lifetime), such
   * that it never outlives the token the caller authenticated with: a longer one is cut to that
   * token's expiry (the answer's `expires_at` says so); asking outright for a token that never
   * expires is refused (403).
   */
  private expiryFor(caller: Caller, values: RequestValues): string | null {
    const asked = readExpiry(values, this.defaultExpiry());
    if (!outlivesProof(caller, asked)) return asked;
    const limit = (caller as { proof: { expiresAt: string } }).proof.expiresAt;
    if (asked === null && values.expires_in !== undefined) {
      throw ForbiddenError.because('a token that expires cannot create a token that never expires: authenticate with the password', { expires_at: limit });
    }
    return limit;
  }

  private defaultExpiry(): string | null {
    const ttl = this.config.auth.tokenTtlSeconds;
    return ttl > 0 ? new Date(Date.now() + ttl * 1000).toISOString() : null;
  }

  private async loadAccount(namespace: string): Promise<AccountView> {
    const view = await this.directory.get(namespace);
    if (!view) throw new AccountNotFoundError('organization', namespace);
    return view;
  }

  private async loadOrganization(caller: Caller, org: string, needed: Role): Promise<AccountView> {
    await this.access.require(caller, org, needed);
    const view = await this.loadAccount(org);
    if (view.kind !== 'organization') throw new AccountNotFoundError('organization', org);
    return view;
  }
}

function requireUser(caller: Caller): string {
  if (caller.kind === 'user') return caller.name;
  if (caller.kind === 'anonymous') throw new UnauthorizedError();
  throw ForbiddenError.because('this endpoint is for user accounts');
}

function readUser(values: RequestValues): { username: string; password: string } {
  const user = values.user;
  if (typeof user !== 'object' || user === null || Array.isArray(user)) throw new InvalidUsageError("Missing 'user'", { field: 'user' });
  const { username, password } = user as Record<string, unknown>;
  if (typeof username !== 'string' || username === '') throw new InvalidUsageError("Missing 'user.username'", { field: 'user.username' });
  if (typeof password !== 'string' || password === '') throw new InvalidUsageError("Missing 'user.password'", { field: 'user.password' });
  return { username, password };
}

function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new InvalidUsageError(`a password must have ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`, { field: 'password' });
  }
  return password;
}

function readRole(values: RequestValues): Role {
  const role = values.role;
  if (!isRole(role)) throw new InvalidUsageError("'role' must be 'read', 'write' or 'admin'", { field: 'role' });
  return role;
}

function readLabel(values: RequestValues): string {
  const label = optionalString(values, 'label') ?? 'api';
  if (label.length > MAX_LABEL || /[^\x20-\x7e]/.test(label)) throw new InvalidUsageError(`'label' must be printable and at most ${MAX_LABEL} characters`, { field: 'label' });
  if (label === LOGIN_LABEL) throw new InvalidUsageError(`'${LOGIN_LABEL}' is the label of login tokens`, { field: 'label' });
  return label;
}

function readExpiry(values: RequestValues, fallback: string | null): string | null {
  const seconds = values.expires_in;
  if (seconds === undefined) return fallback;
  if (seconds === null || seconds === 0) return null;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 60 || seconds > 10 * 365 * 86400) {
    throw new InvalidUsageError("'expires_in' must be a number of seconds from 60 to ten years, or null", { field: 'expires_in' });
  }
  return new Date(Date.now() + seconds * 1000).toISOString();
}

function readLimit(values: RequestValues, field: string): number | null {
  const value = values[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new InvalidUsageError(`'${field}' must be a positive integer or null`, { field });
  return value;
}

function readFlag(values: RequestValues, field: string): boolean | null {
  const value = values[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw new InvalidUsageError(`'${field}' must be true, false or null`, { field });
  return value;
}

function tokenJson(token: TokenRecord) {
  return { id: token.id, label: token.label, created_at: token.createdAt, expires_at: token.expiresAt };
}

function limitsJson(limits: NamespaceLimits) {
  return {
    max_blob_bytes: limits.maxBlobBytes,
    max_storage_bytes: limits.maxStorageBytes,
    requests_per_minute: limits.requestsPerMinute,
    allow_overwrites: limits.allowOverwrites ?? null,
  };
}

function organizationJson(view: AccountView) {
  return {
    name: view.namespace,
    created_at: view.createdAt,
    members: [...view.members].sort((a, b) => a.user.localeCompare(b.user)).map((m) => ({ user: m.user, role: m.role })),
    robots: [...view.robots]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => ({ name: `${view.namespace}+${r.name}`, role: r.role, tokens: r.tokens.map(tokenJson) })),
  };
}

/** An audit entry: the event without secrets (password and token hashes are left out). */
function auditJson(event: RecordedAccountEvent) {
  const data: Record<string, unknown> = { ...(event.data as Record<string, unknown>) };
  delete data.passwordHash;
  delete data.secretHash;
  return { version: event.version, type: event.type, actor: event.actor, occurred_at: event.occurredAt, data };
}
