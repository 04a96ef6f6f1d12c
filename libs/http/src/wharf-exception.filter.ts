import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JsonLogger } from '@wharf/config';
import { renderError } from './error-renderer';
import { asOciError, isOciPath } from './oci-errors';
import { pathOf } from './request-path';

/** The origin a service names in an OCI challenge's realm (`publicOrigin`); '' for none. */
export type OriginOf = (request: FastifyRequest) => string;

/** The one place errors become HTTP responses (for routes and for the body parser alike). */
@Catch()
export class WharfExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly logger: JsonLogger,
    private readonly originOf: OriginOf = () => '',
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const path = pathOf(request.url);
    if (clientWentAway(request)) {
      // The client closed the connection (mid-body, or before the answer): its request failed
      // because of that, whatever the error says (a reset socket looks like an outage to isOutage).
      this.logger.event('info', 'client aborted', {
        method: request.method,
        path,
        error: (exception as Error)?.message,
      });
      return;
    }
    const error = renderError(exception, request.method, path);
    if (error.unexpected) {
      this.logger.event('error', 'unexpected error', {
        method: request.method,
        path,
        error: (exception as Error)?.message,
        stack: (exception as Error)?.stack,
      });
    } else if (error.status === 503) {
      this.logger.event('warn', 'dependency unavailable', {
        method: request.method,
        path,
        error: (exception as Error)?.message,
      });
    }
    if (isOciPath(path)) {
      const oci = asOciError(error, request.method, path, this.originOf(request));
      void reply.status(error.status).headers(oci.headers).type('application/json').send(oci.body);
      return;
    }
    void reply.status(error.status).headers(error.headers).type('application/json').send(error.body);
  }
}

/** True when the client's connection is gone: nothing can be answered, and the failure is the client's. */
export function clientWentAway(request: FastifyRequest): boolean {
  return request.raw.readableAborted || request.raw.socket?.destroyed === true;
}
