/**
 * Errors thrown before a page runs, by the CallerGuard (a visitor whose rate limit is spent, 429;
 * no room to check credentials, 503), answered as the UI's error page with the status and
 * `Retry-After` of the one table instead of the API's JSON. Bound to the UI's controllers only;
 * any error that is not Wharf's own goes on to the global filter, which logs it.
 */
import { ArgumentsHost, Catch, ExceptionFilter, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WharfError } from '@wharf/domain';
import { UiResponder } from './ui-responder';

@Catch(WharfError)
@Injectable()
export class UiExceptionFilter implements ExceptionFilter<WharfError> {
  constructor(private readonly pages: UiResponder) {}

  catch(error: WharfError, host: ArgumentsHost): Promise<FastifyReply> {
    const http = host.switchToHttp();
    return this.pages.refused(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), error);
  }
}
