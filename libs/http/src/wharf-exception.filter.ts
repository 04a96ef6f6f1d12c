import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JsonLogger } from '@wharf/config';
import { renderError } from './error-renderer';

/** The one place errors become HTTP responses (for routes and for the body parser alike). */
@Catch()
export class WharfExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const path = (request.url ?? '').split('?')[0];
    const error = renderError(exception, request.method, path);
    if (error.unexpected) {
      this.logger.event('error', 'unexpected error', {
        method: request.method,
        path,
        error: (exception as Error)?.message,
        stack: (exception as Error)?.stack,
      });
    } else if (error.status === 503) {
      this.logger.event('warn', 'dependency unavailable', { method: request.method, path, error: (exception as Error)?.message });
    }
    void reply.status(error.status).headers(error.headers).type('application/json').send(error.body);
  }
}
