/**
 * What every UI page does around its content: the visitor (`UiSession`) and its form token, the
 * page's headers (CSP, no-store), errors as pages with the status of the one table, form POSTs
 * checked for CSRF, a refused form shown again with the use case's message, redirects after a POST.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { gzipSync } from 'node:zlib';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { renderError } from '@wharf/http';
import { ANONYMOUS } from '@wharf/domain';
import { Html } from './html';
import { PageContext, errorPage } from './pages/layout';
import { UI_CONTENT_SECURITY_POLICY } from './ui-assets';
import { UiSession } from './ui-session';

/** Pages shorter than this are sent as they are; longer ones gzipped when the client takes gzip. */
const MIN_GZIPPED_PAGE_CHARS = 16 * 1024;

type Request = FastifyRequest;

@Injectable()
export class UiResponder {
  constructor(
    private readonly session: UiSession,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  /** The form's fields, once its CSRF token is checked (403 otherwise, nothing done). */
  form(request: Request, body: unknown): URLSearchParams {
    const form = new URLSearchParams(
      Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '',
    );
    this.session.assertForm(request, form);
    return form;
  }

  /**
   * A refused form shown again with the server's message and its status (400, 401, 403, 409):
   * the refusal is the use case's, the page only says it.
   */
  async formProblem(
    reply: FastifyReply,
    error: unknown,
    again: (message: string) => Html | Promise<Html>,
  ): Promise<Html> {
    const rendered = renderError(error, 'POST', '/ui');
    if (rendered.unexpected || rendered.status >= 500) throw error;
    void reply.status(rendered.status);
    keepRetryAfter(reply, rendered.headers);
    return again(rendered.body.message);
  }

  /**
   * A form POST's page: the form checked (`form`), then `act`; a refusal by the use case shows the
   * form's page again with its message (`formProblem`).
   */
  submit(
    request: Request,
    reply: FastifyReply,
    body: unknown,
    act: (ctx: PageContext, form: URLSearchParams) => Promise<Html | null>,
    again: (ctx: PageContext, form: URLSearchParams, message: string) => Html | Promise<Html>,
  ): Promise<FastifyReply> {
    return this.render(request, reply, async (ctx) => {
      const form = this.form(request, body);
      try {
        return await act(ctx, form);
      } catch (error) {
        return this.formProblem(reply, error, (message) => again(ctx, form, message));
      }
    });
  }

  redirect(reply: FastifyReply, location: string): null {
    void reply.status(303).header('location', location);
    return null;
  }

  /**
   * Runs a page: the visitor's caller and form token, the page's HTML with the UI's headers, or
   * the error the use case threw as a page with its status (a private package the visitor may
   * not read is a 404, as on the API). Unexpected errors go on to the exception filter and log.
   */
  async render(
    request: Request,
    reply: FastifyReply,
    build: (ctx: PageContext) => Promise<Html | null>,
  ): Promise<FastifyReply> {
    const ctx: PageContext = {
      caller: this.session.callerOf(request, reply),
      csrf: this.session.csrfToken(request, reply),
      accounts: this.config.auth.mode === 'enforced',
      signup: this.config.auth.signup,
    };
    let page: Html | null;
    try {
      page = await build(ctx);
    } catch (error) {
      return this.failed(request, reply, ctx, error);
    }
    return this.send(request, reply, page);
  }

  /**
   * A request the CallerGuard refused before the page ran (429: the visitor's rate limit is
   * spent; 503): an error page with the status of the one table, and no account links, since
   * the visitor is not known. `ui-exception.filter.ts` calls it.
   */
  refused(request: Request, reply: FastifyReply, error: unknown): Promise<FastifyReply> {
    const ctx: PageContext = { caller: ANONYMOUS, csrf: '', accounts: false, signup: false };
    return this.failed(request, reply, ctx, error);
  }

  private async failed(request: Request, reply: FastifyReply, ctx: PageContext, error: unknown): Promise<FastifyReply> {
    const rendered = renderError(error, request.method, request.url);
    if (rendered.unexpected) throw error;
    // Not signed in (or the session expired before a form was sent): the login page, never the
    // API's `WWW-Authenticate: Basic`, which would open the browser's own password prompt.
    if (rendered.status === 401) return reply.status(303).header('location', '/ui/-/login').send();
    void reply.status(rendered.status);
    keepRetryAfter(reply, rendered.headers);
    return this.send(request, reply, errorPage(ctx, rendered.status, rendered.body.message));
  }

  private async send(request: Request, reply: FastifyReply, page: Html | null): Promise<FastifyReply> {
    void reply
      .header('cache-control', 'no-store')
      .header('content-security-policy', UI_CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin');
    if (page === null) return reply.send();
    void reply.header('content-type', 'text/html; charset=utf-8').header('vary', 'accept-encoding');
    // A package page with many versions is hundreds of KB of table rows: gzip cuts it ten-fold.
    if (page.text.length < MIN_GZIPPED_PAGE_CHARS || !/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')))
      return reply.send(page.text);
    return reply.header('content-encoding', 'gzip').send(gzipSync(page.text, { level: 6 }));
  }
}

/** Of an API error's headers, a page keeps `Retry-After` only (429, 503): the others speak to API clients. */
function keepRetryAfter(reply: FastifyReply, headers: Record<string, string>): void {
  if (headers['retry-after'] !== undefined) void reply.header('retry-after', headers['retry-after']);
}
