/**
 * Runs before every gateway route: resolves the caller from the `Authorization` header (401 for
 * bad credentials), applies the request rate limit (429 with Retry-After), and leaves the caller
 * on the request for `@CurrentCaller()`. It refuses no one for lack of a role: each use case
 * asks AccessControl for what its action needs, so a private package can answer 404.
 */
import { CanActivate, ExecutionContext, Inject, Injectable, createParamDecorator } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Caller, RateLimitedError, callerName } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { AccountDirectory } from './account-directory';
import { Authenticator } from './authenticator';
import { RateLimiter } from './rate-limiter';

type RequestWithCaller = FastifyRequest & { caller?: Caller };

@Injectable()
export class CallerGuard implements CanActivate {
  private readonly limiter = new RateLimiter();

  constructor(
    private readonly authenticator: Authenticator,
    private readonly directory: AccountDirectory,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithCaller>();
    const caller = await this.authenticator.callerFor(request.headers.authorization);
    request.caller = caller;
    await this.limit(request, caller);
    return true;
  }

  private async limit(request: RequestWithCaller, caller: Caller): Promise<void> {
    const namespace = (request.params as Record<string, string> | undefined)?.namespace;
    let perMinute = this.config.auth.rateLimitPerMinute;
    if (namespace && this.config.auth.mode === 'enforced') {
      const own = (await this.directory.get(namespace).catch(() => null))?.limits.requestsPerMinute;
      if (own !== null && own !== undefined) perMinute = own;
    }
    if (perMinute <= 0) return;
    const who = caller.kind === 'user' || caller.kind === 'robot' ? `account:${callerName(caller)}` : `address:${request.ip}`;
    const wait = this.limiter.take(`${namespace ?? ''}|${who}|${perMinute}`, perMinute);
    if (wait > 0) throw new RateLimitedError(wait);
  }
}

/** The caller the CallerGuard resolved for this request. */
export const CurrentCaller = createParamDecorator((_: unknown, context: ExecutionContext): Caller => {
  const caller = context.switchToHttp().getRequest<RequestWithCaller>().caller;
  if (!caller) throw new Error('no caller on the request: is CallerGuard registered?');
  return caller;
});
