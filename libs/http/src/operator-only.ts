/**
 * Marks a route that reports on the whole process or registry (metrics, counts across tenants):
 * figures no tenant should read about another. A service that knows its callers (the gateway)
 * must let only an operator through on such a route (services/gateway/src/auth/operator-route.guard.ts);
 * the internal services, which tenants cannot reach, serve them as they are.
 */
import { SetMetadata } from '@nestjs/common';

export const OPERATOR_ONLY = 'wharf:operator-only';

export const OperatorOnly = (): MethodDecorator => SetMetadata(OPERATOR_ONLY, true);
