/**
 * Lets only an operator through to the routes marked `@OperatorOnly()` (`/metrics`,
 * `/_wharf/stats`): a site admin in enforced mode, anyone in open mode (the open caller is
 * unrestricted). Anonymous callers get 401, every other caller 403, in the API's error format.
 * Those figures span every tenant (counts that include private packages, a blob count that
 * reveals whether another tenant stored the same bytes), so they are the operator's alone.
 *
 * Registered after CallerGuard (gateway.module.ts): it reads the caller that guard resolved.
 */
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Caller, ForbiddenError, UnauthorizedError, isUnrestricted } from '@wharf/domain';
import { OPERATOR_ONLY } from '@wharf/http';

@Injectable()
export class OperatorRouteGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.reflector.get<boolean | undefined>(OPERATOR_ONLY, context.getHandler())) return true;
    const caller = context.switchToHttp().getRequest<{ caller?: Caller }>().caller;
    if (!caller) throw new Error('no caller on the request: OperatorRouteGuard must run after CallerGuard');
    if (isUnrestricted(caller)) return true;
    if (caller.kind === 'anonymous') throw new UnauthorizedError();
    throw ForbiddenError.because('only a site admin may read registry-wide figures', {});
  }
}
