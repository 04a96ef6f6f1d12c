import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * The request's id (fastify's `request.id`, chosen once by `requestIdOf` in libs/http: the
 * caller's safe X-Request-Id or a UUID): the id on its log lines, in its `x-request-id` answer and
 * the correlation id of the commands it sends.
 */
export const RequestId = createParamDecorator(
  (_: unknown, context: ExecutionContext): string => context.switchToHttp().getRequest<FastifyRequest>().id,
);
