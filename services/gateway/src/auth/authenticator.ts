/**
 * Turns a request's `Authorization` header into the Caller the access rules decide on. In open
 * mode every request is the open caller. Otherwise: no header is anonymous; a header that is
 * present but malformed, or credentials that do not check out, are refused with 401 (never
 * silently downgraded to anonymous, so a typo cannot look like "the package is gone").
 *
 * A password check costs a scrypt hash (tens of milliseconds), and Helm sends the password with
 * every request, so a successful check is remembered for a minute, keyed by a hash of the
 * account, the password and the stored hash (a password change invalidates it). Wrong
 * passwords are limited per account (FAILED_PASSWORDS_PER_MINUTE, then 429), so guessing is slow
 * whatever the request rate limit. Neither the password nor the token ever leaves this class.
 */
import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ANONYMOUS, Caller, OPEN_CALLER, RateLimitedError, UnauthorizedError, findRobot, parseAuthorization, splitRobotAccount, type ApiToken, type Credentials } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { AccountDirectory } from './account-directory';
import { matchToken } from './api-tokens';
import { verifyPassword } from './password-hasher';
import { RateLimiter } from './rate-limiter';

const PASSWORD_MEMO_MS = 60_000;
export const FAILED_PASSWORDS_PER_MINUTE = 10;
const MAX_MEMO = 10_000;

@Injectable()
export class Authenticator {
  private readonly verified = new Map<string, number>();
  private readonly failures = new RateLimiter();

  constructor(
    private readonly directory: AccountDirectory,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  async callerFor(authorization: string | undefined): Promise<Caller> {
    if (this.config.auth.mode === 'open') return OPEN_CALLER;
    const credentials: Credentials = parseAuthorization(authorization);
    switch (credentials.kind) {
      case 'none':
        return ANONYMOUS;
      case 'malformed':
        throw new UnauthorizedError('malformed Authorization header');
      case 'token':
        return this.byToken(credentials.token, credentials.claimedAccount);
      case 'password':
        return this.byPassword(credentials.account, credentials.password);
    }
  }

  /** The user whose password this is, or null: for login, which answers 401 itself. */
  async checkPassword(account: string, password: string): Promise<Caller | null> {
    const view = await this.directory.get(account);
    if (!view || view.kind !== 'user' || !view.passwordHash) return null;
    const key = createHash('sha256').update(`${account}\0${password}\0${view.passwordHash}`).digest('hex');
    const until = this.verified.get(key);
    if (until === undefined || until < Date.now()) {
      if (!(await verifyPassword(password, view.passwordHash))) {
        const wait = this.failures.take(account, FAILED_PASSWORDS_PER_MINUTE);
        if (wait > 0) throw new RateLimitedError(wait);
        return null;
      }
      if (this.verified.size >= MAX_MEMO) this.verified.clear();
      this.verified.set(key, Date.now() + PASSWORD_MEMO_MS);
    }
    return { kind: 'user', name: view.namespace, siteAdmin: view.siteAdmin };
  }

  private async byPassword(account: string, password: string): Promise<Caller> {
    const caller = await this.checkPassword(account, password);
    if (!caller) throw new UnauthorizedError('invalid username or password');
    return caller;
  }

  private async byToken(token: ApiToken, claimedAccount: string | null): Promise<Caller> {
    // Basic auth with a token: the user part must name the token's account, or be a placeholder.
    if (claimedAccount !== null && claimedAccount !== token.account && !['$token', 'token', 'oauth2accesstoken'].includes(claimedAccount)) {
      throw new UnauthorizedError('invalid credentials');
    }
    const now = new Date().toISOString();
    const robot = splitRobotAccount(token.account);
    if (robot) {
      const org = await this.directory.get(robot.org);
      const record = org?.kind === 'organization' ? findRobot(org, robot.robot) : undefined;
      if (record && matchToken(record.tokens, token, now)) return { kind: 'robot', org: robot.org, name: robot.robot, role: record.role };
    } else {
      const user = await this.directory.get(token.account);
      if (user?.kind === 'user' && matchToken(user.tokens, token, now)) return { kind: 'user', name: user.namespace, siteAdmin: user.siteAdmin };
    }
    throw new UnauthorizedError('invalid or expired token');
  }
}
