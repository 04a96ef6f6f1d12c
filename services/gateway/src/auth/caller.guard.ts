/**
 * Runs before every gateway route: resolves the caller from the `Authorization` header (401 for
 * bad credentials), applies the request rate limits (429 with Retry-After), and leaves the
 * caller on the request for `@CurrentCaller()`. It refuses no one for lack of a role: each use
 * case asks AccessControl for what its action needs, so a private package can answer 404.
 *
 * Rate limits, per gateway process:
 * - the caller's own bucket, across every route: one per user (every token shares it), one for
 *   all the robots of an organisation, or, for anonymous callers, per client address. Its size is
 *   `rateLimitPerMinute`, or the `requests_per_minute` a site admin set on the caller's own
 *   namespace (a robot's: its organisation's), so rotating namespaces or tokens does not escape;
 * - a namespace's own `requests_per_minute` as a second bucket per (namespace, caller) on the
 *   routes of that namespace;
 * - a request whose credentials are refused (401), or whose password could not be hashed for
 *   want of room (503), takes from its client address's bucket, and a password is not checked
 *   at all once that bucket is spent (429), so guessing through Basic auth on any route is a
 *   request like any other.
 * Each 429 it answers is counted as a refusal of the `requests` limit.
 *
 * The web UI's pages (`@SessionPages()`) take their caller from the session cookie instead of
 * the `Authorization` header (session-cookie.ts), through the same authentication and limits, so
 * a user's own rate limit and a disabled account apply to pages as to the API. A session the
 * Authenticator refuses (expired, revoked, its user disabled) makes an anonymous visitor whose
 * cookie the page clears (`staleSession`), and costs its client address a request like any
 * refused credentials.
 */
import { CanActivate, ExecutionContext, Inject, Injectable, Optional, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import {
  ANONYMOUS,
  Caller,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthorizedError,
  parseAuthorization,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { AccessMetrics, METRICS, NO_METRICS } from '@wharf/ports';
import { AccountDirectory } from './account-directory';
import { Authenticator } from './authenticator';
import { RateLimiter } from './rate-limiter';
import { Audience, REGISTRY_AUDIENCE } from './registry-tokens';
import { SESSION_PAGES, sessionTokenOf } from './session-cookie';

export type RequestWithCaller = Pick<FastifyRequest, 'headers' | 'ip' | 'params'> & {
  caller?: Caller;
  /** The matched route (Fastify's); its pattern decides the audience of the credentials. */
  routeOptions?: { url?: string };
  /** Set on a page whose session cookie was refused: the page clears it. */
  staleSession?: boolean;
};

/**
 * Where a request's credentials are presented: the OCI distribution routes (`/v2`, `/v2/...`,
 * by the matched route's pattern, never the raw URL) are the registry's, where a registry token
 * is accepted; every other route (no route at all included) is the API's, where it is not.
 */
export function audienceOf(request: Pick<RequestWithCaller, 'routeOptions'>): Audience {
  const route = request.routeOptions?.url ?? '';
  return route === '/v2' || route.startsWith('/v2/') ? REGISTRY_AUDIENCE : 'wharf-api';
}

@Injectable()
export class CallerGuard implements CanActivate {
  private readonly limiter = new RateLimiter();
  private readonly reflector = new Reflector();

  constructor(
    private readonly authenticator: Authenticator,
    private readonly directory: AccountDirectory,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
    @Optional() @Inject(METRICS) private readonly metrics: AccessMetrics = NO_METRICS,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const pages = this.reflector.get<boolean | undefined>(SESSION_PAGES, context.getClass()) === true;
    await this.callerOf(context.switchToHttp().getRequest<RequestWithCaller>(), pages);
    return true;
  }

  /**
   * The request's caller, authenticated and counted against the rate limits once per request:
   * the upload routes ask before their body is read (http/body-limits.ts), and the guard then
   * finds the caller already on the request.
   */
  async callerOf(request: RequestWithCaller, sessionPages = false): Promise<Caller> {
    if (request.caller) return request.caller;
    const caller = sessionPages ? await this.sessionCaller(request) : await this.authenticate(request);
    await this.limit(request, caller);
    request.caller = caller;
    return caller;
  }

  private async authenticate(request: RequestWithCaller): Promise<Caller> {
    const address = `address:${request.ip}`;
    const perMinute = this.config.auth.rateLimitPerMinute;
    // A password costs a hash: an address whose bucket is spent gets no more of them. Tokens
    // are cheap and skip this, so a user behind the same address keeps working with a token.
    if (parseAuthorization(request.headers.authorization).kind === 'password') {
      const wait = this.limiter.wait(`${address}|${perMinute}`, perMinute);
      if (wait > 0) throw this.refused(wait);
    }
    try {
      return await this.authenticator.callerFor(request.headers.authorization, request.ip, audienceOf(request));
    } catch (error) {
      if (error instanceof UnauthorizedError || error instanceof ServiceUnavailableError) this.take(address, perMinute);
      throw error;
    }
  }

  private async sessionCaller(request: RequestWithCaller): Promise<Caller> {
    const token = sessionTokenOf(request.headers);
    if (token === undefined) return this.authenticator.callerFor(undefined, request.ip);
    try {
      return await this.authenticator.callerFor(`Bearer ${token}`, request.ip);
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      this.take(`address:${request.ip}`, this.config.auth.rateLimitPerMinute);
      request.staleSession = true;
      return ANONYMOUS;
    }
  }

  private async limit(request: RequestWithCaller, caller: Caller): Promise<void> {
    const who = bucketOf(caller, request.ip);
    this.take(who, await this.callerLimit(caller));
    const namespace = (request.params as Record<string, string> | undefined)?.namespace;
    if (namespace && this.config.auth.mode === 'enforced') {
      const own = await this.namespaceLimit(namespace);
      if (own !== null) this.take(`namespace:${namespace}|${who}`, own);
    }
  }

  /** The caller's own requests per minute: its account namespace's limit if a site admin set one. */
  private async callerLimit(caller: Caller): Promise<number> {
    const home = caller.kind === 'user' ? caller.name : caller.kind === 'robot' ? caller.org : null;
    return (home === null ? null : await this.namespaceLimit(home)) ?? this.config.auth.rateLimitPerMinute;
  }

  private async namespaceLimit(namespace: string): Promise<number | null> {
    return (await this.directory.get(namespace).catch(() => null))?.limits.requestsPerMinute ?? null;
  }

  /** The key includes the limit, so a changed limit starts a fresh bucket. */
  private take(key: string, perMinute: number): void {
    const wait = this.limiter.take(`${key}|${perMinute}`, perMinute);
    if (wait > 0) throw this.refused(wait);
  }

  private refused(seconds: number): RateLimitedError {
    this.metrics.rateLimited('requests');
    return new RateLimitedError(seconds);
  }
}

/**
 * Whose bucket a request takes from: a user's own; the organisation's for all of its robots
 * (robots cost one request each to create, so one bucket per robot would let a tenant multiply
 * its limit); the client address for everyone else.
 */
function bucketOf(caller: Caller, address: string): string {
  switch (caller.kind) {
    case 'user':
      return `account:${caller.name}`;
    case 'robot':
      return `robots-of:${caller.org}`;
    default:
      return `address:${address}`;
  }
}

/** The caller the CallerGuard resolved for this request. */
export const CurrentCaller = createParamDecorator((_: unknown, context: ExecutionContext): Caller => {
  const caller = context.switchToHttp().getRequest<RequestWithCaller>().caller;
  if (!caller) throw new Error('no caller on the request: is CallerGuard registered?');
  return caller;
});
