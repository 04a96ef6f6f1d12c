/**
 * Turns a request's `Authorization` header into the Caller the access rules decide on. In open
 * mode every request is the open caller. Otherwise: no header is anonymous; a header that is
 * present but malformed, or credentials that do not check out, are refused with 401 (never
 * silently downgraded to anonymous, so a typo cannot look like "the package is gone").
 *
 * Password checks, wherever they come from (Basic on any route, the login route, the current
 * password of a password change), go through `checkPassword`, which keeps these promises:
 * - Failure budget per account name: `failedLoginsPerMinute` wrong passwords a minute. While it
 *   is spent, every password attempt for the name, right or wrong, is refused with 429 and
 *   Retry-After before anything is hashed, so the limit is not an oracle (a right guess looks
 *   like a wrong one). An attempt takes from the budget before it is hashed and a right
 *   password gives it back, so parallel guesses cannot all slip in before the first one fails.
 *   Tokens are never checked against this budget: a victim whose budget an attacker spends
 *   keeps using their tokens.
 * - Unknown names and accounts without a password cost one hash like any other (a placeholder
 *   hash), and have the same budget per name, so neither the time nor the 429 tells which
 *   accounts exist.
 * - A name that fails the account-name syntax (isAccountNameSyntax: too long, uppercase, not
 *   ASCII, ...) is an unknown name that is never looked up in the directory and has no budget
 *   of its own: all such names share one budget key. So the budget's keys and the directory's
 *   cache hold only names an account could have (at most 320 characters), however many names
 *   a caller invents. It still costs a placeholder hash, as any unknown name.
 * - Hashes run in a bounded pool (PasswordHashPool, lanes by client address): when the pool
 *   has no room for the address, 503 with Retry-After before the budget is touched, so a check
 *   refused at once creates no bucket; one refused later, displaced from the pool's queue, gives
 *   back what it took.
 * - A successful check is remembered for a minute, keyed by a hash of the account, the password
 *   and the stored hash (a password change invalidates it), because Helm sends the password with
 *   every request. The memo is consulted only while the budget is not spent.
 * A disabled user (`wharf users disable`) is refused like a wrong password or an unknown token.
 * Registry tokens (the OCI token endpoint's, registry-tokens.ts) are issued and checked here too.
 * A token that checks out is noted as used (TokenUseRecorder: in memory, written once per
 * interval), for the token lists' last use. Neither the password nor the token ever leaves this class. Every refusal is counted (`metrics`:
 * credentials refused by kind, and the failure budget's 429s).
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  ANONYMOUS,
  Caller,
  OPEN_CALLER,
  RateLimitedError,
  UnauthorizedError,
  findRobot,
  isAccountNameSyntax,
  parseAuthorization,
  splitRobotAccount,
  type ApiToken,
  type Credentials,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { AccessMetrics, METRICS, NO_METRICS } from '@wharf/ports';
import { AccountDirectory } from './account-directory';
import { matchToken } from './api-tokens';
import { PasswordHashPool } from './password-hash-pool';
import { hashPassword, preparePlaceholder, verifyAgainstPlaceholder, verifyPassword } from './password-hasher';
import { RateLimiter } from './rate-limiter';
import { TokenUseRecorder } from './token-use-recorder';
import {
  Audience,
  REGISTRY_AUDIENCE,
  REGISTRY_TOKEN_TTL_SECONDS,
  RegistryTokens,
  passwordFingerprint,
} from './registry-tokens';

const PASSWORD_MEMO_MS = 60_000;
const MAX_MEMO = 10_000;
/** The one failure-budget key of every name that fails the account-name syntax (no name has a NUL). */
const MALFORMED_NAMES = '\0malformed';

@Injectable()
export class Authenticator {
  /** Successful password checks: memo key → until (ms). Oldest first (Map order). */
  private readonly verified = new Map<string, number>();
  private readonly failures = new RateLimiter();
  private readonly pool: PasswordHashPool;

  constructor(
    private readonly directory: AccountDirectory,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
    @Optional() @Inject(METRICS) private readonly metrics: AccessMetrics = NO_METRICS,
    private readonly registryTokens: RegistryTokens = new RegistryTokens(config),
    @Optional() @Inject(TokenUseRecorder) private readonly tokenUses: TokenUseRecorder | null = null,
  ) {
    this.pool = new PasswordHashPool(config.auth.passwordHashConcurrency, config.auth.passwordHashQueue);
    if (config.auth.mode === 'enforced') void preparePlaceholder();
  }

  /**
   * `client` (the client address) is the hashing pool's lane for a password in the header;
   * `audience` is where the credentials are presented: a registry token is refused (401) on any
   * route but the registry's (`/v2/`), where passwords and API tokens work as everywhere.
   */
  async callerFor(authorization: string | undefined, client = '', audience: Audience = 'wharf-api'): Promise<Caller> {
    if (this.config.auth.mode === 'open') return OPEN_CALLER;
    const credentials: Credentials = parseAuthorization(authorization);
    switch (credentials.kind) {
      case 'none':
        return ANONYMOUS;
      case 'malformed':
        this.metrics.authenticationFailed('malformed');
        throw new UnauthorizedError('malformed Authorization header');
      case 'token':
        return this.byToken(credentials.token, credentials.claimedAccount);
      case 'registry-token':
        return this.byRegistryToken(credentials.text, audience);
      case 'password':
        return this.byPassword(credentials.account, credentials.password, client);
    }
  }

  /**
   * The user whose password this is, or null (a wrong password, an unknown name, an account
   * without a password): for the login route, which answers 401 itself. Throws
   * RateLimitedError while the name's failure budget is spent, ServiceUnavailableError when the
   * hashing queue is full.
   */
  async checkPassword(account: string, password: string, client = ''): Promise<Caller | null> {
    const perMinute = this.config.auth.failedLoginsPerMinute;
    // A name no account can have is an unknown user that is never looked up and never gets a
    // bucket of its own: its length and number are the caller's choice, the budget's keys are not.
    const wellFormed = isAccountNameSyntax(account);
    const budgetKey = wellFormed ? account : MALFORMED_NAMES;
    const spent = this.failures.wait(budgetKey, perMinute);
    if (spent > 0) throw this.budgetSpent(spent);
    const view = wellFormed ? await this.directory.get(account) : null;
    // A disabled user is an account without a password: one placeholder hash, then refused.
    const stored = view?.kind === 'user' && !view.disabled ? view.passwordHash : null;
    const memoKey = stored ? createHash('sha256').update(`${account}\0${password}\0${stored}`).digest('hex') : null;
    if (memoKey && (this.verified.get(memoKey) ?? 0) > Date.now())
      return this.passwordCaller(view!.namespace, view!.siteAdmin);
    // Refused before `take`, so a full pool costs the budget nothing and creates no bucket.
    if (!this.pool.hasRoom(client)) throw this.pool.refusal();
    const wait = this.failures.take(budgetKey, perMinute);
    if (wait > 0) throw this.budgetSpent(wait);
    let right: boolean;
    try {
      right = await this.pool.run(client, () =>
        stored ? verifyPassword(password, stored) : verifyAgainstPlaceholder(password),
      );
    } catch (error) {
      this.failures.giveBack(budgetKey, perMinute); // not a guess: the pool refused it
      throw error;
    }
    if (!right) {
      this.metrics.authenticationFailed('password');
      return null;
    }
    this.failures.giveBack(budgetKey, perMinute);
    this.remember(memoKey!);
    return this.passwordCaller(view!.namespace, view!.siteAdmin);
  }

  /**
   * A registry token (registry-tokens.ts) for `account`, a user who just proved their password:
   * short-lived, recorded nowhere, ended early by a password change or by disabling the user.
   * UnauthorizedError for an account that is not a user with a password.
   */
  async issueRegistryToken(account: string): Promise<{ token: string; expiresAt: string }> {
    const view = await this.directory.get(account);
    if (view?.kind !== 'user' || view.disabled || !view.passwordHash)
      throw new UnauthorizedError('log in with a password or a token');
    const exp = Math.floor(Date.now() / 1000) + REGISTRY_TOKEN_TTL_SECONDS;
    const token = this.registryTokens.sign({ sub: account, exp, pwd: passwordFingerprint(view.passwordHash) });
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** Keys the failure budget holds, for tests and metrics. */
  get failureBudgetKeys(): number {
    return this.failures.size;
  }

  /** A new password's hash, computed in the same bounded pool as the checks. */
  hashNewPassword(password: string, client = ''): Promise<string> {
    return this.pool.run(client, () => hashPassword(password));
  }

  private budgetSpent(seconds: number): RateLimitedError {
    this.metrics.rateLimited('failed_logins');
    return new RateLimitedError(seconds);
  }

  private passwordCaller(name: string, siteAdmin: boolean): Caller {
    return { kind: 'user', name, siteAdmin, proof: { by: 'password' } };
  }

  private remember(memoKey: string): void {
    this.verified.delete(memoKey);
    while (this.verified.size >= MAX_MEMO) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(memoKey, Date.now() + PASSWORD_MEMO_MS);
  }

  private async byPassword(account: string, password: string, client: string): Promise<Caller> {
    const caller = await this.checkPassword(account, password, client);
    if (!caller) throw new UnauthorizedError('invalid username or password');
    return caller;
  }

  private async byRegistryToken(text: string, audience: Audience): Promise<Caller> {
    if (audience !== REGISTRY_AUDIENCE) {
      this.metrics.authenticationFailed('token');
      throw new UnauthorizedError('a registry token opens /v2/ alone: use a password or an API token here');
    }
    const claims = this.registryTokens.verify(text, Math.floor(Date.now() / 1000), audience);
    const view = claims && isAccountNameSyntax(claims.sub) ? await this.directory.get(claims.sub) : null;
    if (
      !claims ||
      view?.kind !== 'user' ||
      view.disabled ||
      !view.passwordHash ||
      passwordFingerprint(view.passwordHash) !== claims.pwd
    ) {
      this.metrics.authenticationFailed('token');
      throw new UnauthorizedError('invalid or expired token');
    }
    return {
      kind: 'user',
      name: view.namespace,
      siteAdmin: view.siteAdmin,
      proof: { by: 'registry-token', expiresAt: new Date(claims.exp * 1000).toISOString() },
    };
  }

  private async byToken(token: ApiToken, claimedAccount: string | null): Promise<Caller> {
    // Basic auth with a token: the user part must name the token's account, or be a placeholder.
    if (
      claimedAccount !== null &&
      claimedAccount !== token.account &&
      !['$token', 'token', 'oauth2accesstoken'].includes(claimedAccount)
    ) {
      this.metrics.authenticationFailed('token');
      throw new UnauthorizedError('invalid credentials');
    }
    const now = new Date().toISOString();
    const robot = splitRobotAccount(token.account);
    if (robot) {
      const org = await this.directory.get(robot.org);
      const record = org?.kind === 'organization' ? findRobot(org, robot.robot) : undefined;
      const matched = record && matchToken(record.tokens, token, now);
      if (record && matched) {
        this.tokenUses?.used(token.account, matched.id);
        return {
          kind: 'robot',
          org: robot.org,
          name: robot.robot,
          role: record.role,
          proof: { by: 'token', tokenId: matched.id, expiresAt: matched.expiresAt },
        };
      }
    } else {
      const user = await this.directory.get(token.account);
      const matched = user?.kind === 'user' && !user.disabled ? matchToken(user.tokens, token, now) : undefined;
      if (user && matched) {
        this.tokenUses?.used(token.account, matched.id);
        return {
          kind: 'user',
          name: user.namespace,
          siteAdmin: user.siteAdmin,
          proof: { by: 'token', tokenId: matched.id, expiresAt: matched.expiresAt },
        };
      }
    }
    this.metrics.authenticationFailed('token');
    throw new UnauthorizedError('invalid or expired token');
  }
}
