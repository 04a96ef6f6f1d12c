/**
 * The web UI (`/ui/`): server-rendered pages over the same use cases, guards and input readers
 * as the API routes, so a page shows exactly what the visitor's token would get from the API
 * and every change is refused by the same checks. Every page reads without JavaScript.
 */
import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { gzipSync } from 'node:zlib';
import { Caller, PackageNotFoundError, sortReleasesDescending } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { RouteNotFoundError, renderError } from '@wharf/http';
import { AccessControl } from '../auth/access-control';
import type { listEntryJson } from '../presenters/appr.presenter';
import { publicOrigin } from '../http/discovery.controller';
import {
  auditPage as auditPageQuery,
  memberRole,
  organizationName,
  robotRequest,
  tokenRequest,
  userCredentials,
} from '../http/account-requests';
import { visibilityRequest } from '../http/package-requests';
import { AuditTrailUseCases } from '../use-cases/accounts/audit-trail.use-cases';
import { LogInUseCase } from '../use-cases/accounts/log-in.use-case';
import { NamespaceLimitsUseCases } from '../use-cases/accounts/namespace-limits.use-cases';
import { OrganizationsUseCases } from '../use-cases/accounts/organizations.use-cases';
import { RobotsUseCases } from '../use-cases/accounts/robots.use-cases';
import { WhoamiUseCase } from '../use-cases/accounts/whoami.use-case';
import { SignUpUseCase } from '../use-cases/accounts/sign-up.use-case';
import { UserTokensUseCases } from '../use-cases/accounts/user-tokens.use-cases';
import { ChangePackageUseCases } from '../use-cases/change-package.use-cases';
import { newCommandMeta } from '../use-cases/command-meta';
import { resolveRelease } from '../use-cases/read-package/package-lookup';
import { ListPackagesUseCase } from '../use-cases/read-package/list-packages.use-case';
import { ReadablePackages } from '../use-cases/read-package/readable-packages';
import { SearchPackagesUseCase } from '../use-cases/read-package/search-packages.use-case';
import { Html } from './html';
import { loginPage, signupPage, tokensPage } from './pages/account.pages';
import { auditPage } from './pages/audit.page';
import { PageContext, errorPage } from './pages/layout';
import { namespacePage } from './pages/namespace.page';
import { organizationPage, organizationsPage } from './pages/organization.pages';
import type { ListPage, PackageEntry } from './pages/package-list';
import { packagePage } from './pages/package.page';
import { SearchView, searchPage, searchResults } from './pages/search.page';
import { ReleaseFiles } from './release-files';
import { UI_ASSETS, UI_CONTENT_SECURITY_POLICY } from './ui-assets';
import { UiSession } from './ui-session';

/** Packages per page of a list. */
export const UI_PAGE_SIZE = 20;

/** Pages shorter than this are sent as they are; longer ones gzipped when the client takes gzip. */
const MIN_GZIPPED_PAGE_CHARS = 16 * 1024;

/** Events per page of an audit trail. */
export const AUDIT_PAGE_SIZE = 50;

type Request = FastifyRequest;

@Controller('ui')
export class UiController {
  constructor(
    private readonly session: UiSession,
    private readonly searching: SearchPackagesUseCase,
    private readonly listing: ListPackagesUseCase,
    private readonly packages: ReadablePackages,
    private readonly files: ReleaseFiles,
    private readonly access: AccessControl,
    private readonly logIns: LogInUseCase,
    private readonly signUps: SignUpUseCase,
    private readonly tokens: UserTokensUseCases,
    private readonly changes: ChangePackageUseCases,
    private readonly whoami: WhoamiUseCase,
    private readonly organizations: OrganizationsUseCases,
    private readonly robots: RobotsUseCases,
    private readonly audits: AuditTrailUseCases,
    private readonly limits: NamespaceLimitsUseCases,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  @Get()
  search(@Query() query: Record<string, unknown>, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => {
      const view = await this.searchView(ctx.caller, query);
      return query.partial === '1' ? searchResults(view) : searchPage(ctx, view);
    });
  }

  @Get('-/assets/:hash/:file')
  asset(@Param('file') file: string, @Req() request: Request, @Res() reply: FastifyReply) {
    const found = UI_ASSETS.find((a) => a.name === file);
    if (!found) throw new RouteNotFoundError('GET', request.url);
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    void reply
      .header('content-type', found.contentType)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('vary', 'accept-encoding');
    if (gzip) void reply.header('content-encoding', 'gzip');
    return reply.send(gzip ? found.gzip : found.body);
  }

  @Get('-/login')
  loginForm(@Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => loginPage(ctx));
  }

  @Post('-/login')
  logIn(@Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => {
      const form = this.form(request, body);
      const username = form.get('username') ?? '';
      try {
        const { token } = await this.logIns.execute({ ...credentials(form), client: request.ip });
        this.session.begin(request, reply, token);
        return this.redirect(reply, '/ui/');
      } catch (error) {
        return this.formProblem(reply, error, (message) => loginPage(ctx, username, message));
      }
    });
  }

  @Get('-/signup')
  signupForm(@Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => signupPage(ctx));
  }

  @Post('-/signup')
  signUp(@Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => {
      const form = this.form(request, body);
      const username = form.get('username') ?? '';
      try {
        const { token } = await this.signUps.execute({ ...credentials(form), caller: ctx.caller, client: request.ip });
        this.session.begin(request, reply, token);
        return this.redirect(reply, '/ui/-/tokens');
      } catch (error) {
        return this.formProblem(reply, error, (message) => signupPage(ctx, username, message));
      }
    });
  }

  /** Ends the session and revokes its token, so a copied cookie is worth nothing afterwards. */
  @Post('-/logout')
  logOut(@Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => {
      this.form(request, body);
      const tokenId = sessionTokenId(ctx.caller);
      if (tokenId !== null) await this.tokens.revoke(ctx.caller, tokenId);
      this.session.end(request, reply);
      return this.redirect(reply, '/ui/');
    });
  }

  @Get('-/tokens')
  tokenList(@Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => this.tokensView(ctx, null, null));
  }

  @Post('-/tokens')
  createToken(@Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => {
      const form = this.form(request, body);
      const days = Number(form.get('days') ?? '');
      try {
        const created = await this.tokens.create(ctx.caller, () =>
          tokenRequest(
            JSON.stringify({
              label: form.get('label') ?? '',
              expires_in: Number.isInteger(days) ? days * 86_400 : days,
            }),
          ),
        );
        return await this.tokensView(ctx, created, null);
      } catch (error) {
        return this.formProblem(
          reply,
          error,
          () => null,
          (message) => this.tokensView(ctx, null, message),
        );
      }
    });
  }

  @Post('-/tokens/:tokenId/revoke')
  revokeToken(
    @Param('tokenId') tokenId: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.render(request, reply, async (ctx) => {
      this.form(request, body);
      await this.tokens.revoke(ctx.caller, tokenId);
      return this.redirect(reply, '/ui/-/tokens');
    });
  }

  @Get('-/orgs')
  organizationList(@Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => this.organizationsView(ctx, null));
  }

  @Post('-/orgs')
  createOrganization(@Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => {
      const form = this.form(request, body);
      try {
        const created = await this.organizations.create(ctx.caller, () =>
          organizationName(JSON.stringify({ name: form.get('name') ?? '' })),
        );
        return this.redirect(reply, `/ui/-/orgs/${encodeURIComponent(created.name)}`);
      } catch (error) {
        return this.formProblem(
          reply,
          error,
          () => null,
          (message) => this.organizationsView(ctx, message),
        );
      }
    });
  }

  @Get('-/orgs/:org')
  organization(@Param('org') org: string, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => this.organizationView(ctx, org, null, null));
  }

  @Post('-/orgs/:org/members')
  setMember(@Param('org') org: string, @Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => {
      const form = this.form(request, body);
      try {
        await this.organizations.setMemberRole(ctx.caller, org, form.get('user') ?? '', () =>
          memberRole(JSON.stringify({ role: form.get('role') ?? '' })),
        );
        return this.redirect(reply, `/ui/-/orgs/${encodeURIComponent(org)}`);
      } catch (error) {
        return this.formProblem(
          reply,
          error,
          () => null,
          (message) => this.organizationView(ctx, org, null, message),
        );
      }
    });
  }

  @Post('-/orgs/:org/members/:user/remove')
  removeMember(
    @Param('org') org: string,
    @Param('user') user: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.render(request, reply, async (ctx) => {
      this.form(request, body);
      await this.organizations.removeMember(ctx.caller, org, user);
      return this.redirect(reply, `/ui/-/orgs/${encodeURIComponent(org)}`);
    });
  }

  /** A new robot (or a new role for one): its first token is shown once, on the answer itself. */
  @Post('-/orgs/:org/robots')
  setRobot(@Param('org') org: string, @Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => {
      const form = this.form(request, body);
      try {
        const robot = await this.robots.set(ctx.caller, org, form.get('name') ?? '', () =>
          robotRequest(JSON.stringify({ role: form.get('role') ?? '' })),
        );
        const created = robot.token ? { name: robot.name, token: robot.token } : null;
        return await this.organizationView(ctx, org, created, null);
      } catch (error) {
        return this.formProblem(
          reply,
          error,
          () => null,
          (message) => this.organizationView(ctx, org, null, message),
        );
      }
    });
  }

  @Post('-/orgs/:org/robots/:robot/tokens/:tokenId/revoke')
  revokeRobotToken(
    @Param('org') org: string,
    @Param('robot') robot: string,
    @Param('tokenId') tokenId: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.render(request, reply, async (ctx) => {
      this.form(request, body);
      await this.robots.revokeToken(ctx.caller, org, robot, tokenId);
      return this.redirect(reply, `/ui/-/orgs/${encodeURIComponent(org)}`);
    });
  }

  /** A namespace's audit trail and limits: its admins only (the use cases refuse anyone else). */
  @Get('-/audit/:namespace')
  audit(
    @Param('namespace') namespace: string,
    @Query() query: Record<string, unknown>,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.render(request, reply, async (ctx) => {
      const limits = await this.limits.show(ctx.caller, namespace);
      const page = () => auditPageQuery({ before: query.before, limit: String(AUDIT_PAGE_SIZE) });
      const events = await this.audits.list(ctx.caller, namespace, page);
      return auditPage(ctx, { namespace, events, limits, older: events.length === AUDIT_PAGE_SIZE });
    });
  }

  /** A namespace admin makes a package public or private: the API's own use case and checks. */
  @Post('-/visibility')
  setVisibility(@Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.render(request, reply, async (ctx) => {
      const form = this.form(request, body);
      const namespace = form.get('namespace') ?? '';
      const name = form.get('package') ?? '';
      await this.changes.setVisibility({
        namespace,
        name,
        visibility: () => visibilityRequest(JSON.stringify({ visibility: form.get('visibility') ?? '' })),
        meta: newCommandMeta(request.id),
        caller: ctx.caller,
      });
      return this.redirect(reply, `/ui/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`);
    });
  }

  @Get(':namespace')
  namespace(
    @Param('namespace') namespace: string,
    @Query() query: Record<string, unknown>,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.render(request, reply, async (ctx) => {
      const page = pageNumber(query.page);
      const found = await this.listing.execute(ctx.caller, {
        namespace,
        limit: UI_PAGE_SIZE + 1,
        offset: (page - 1) * UI_PAGE_SIZE,
      });
      const list: ListPage = {
        entries: found.slice(0, UI_PAGE_SIZE).map(listedEntry),
        page,
        hasNext: found.length > UI_PAGE_SIZE,
        base: `/ui/${encodeURIComponent(namespace)}`,
      };
      const admin = ctx.accounts && (await this.access.roleOn(ctx.caller, namespace)) === 'admin';
      return namespacePage(ctx, namespace, list, admin);
    });
  }

  @Get(':namespace/:package')
  package(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Query() query: Record<string, unknown>,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.render(request, reply, async (ctx) => {
      const view = await this.packages.get(ctx.caller, namespace, name);
      const release = resolveRelease(view, typeof query.release === 'string' ? query.release : undefined);
      const byRelease = new Map<string, typeof view.manifests>();
      for (const m of view.manifests) byRelease.set(m.release, [...(byRelease.get(m.release) ?? []), m]);
      const manifests = byRelease.get(release) ?? [];
      const shown = manifests.find((m) => m.mediaType === 'helm') ?? manifests[0];
      const files = shown ? await this.files.of(shown) : { files: null, note: null };
      const role = await this.access.roleOn(ctx.caller, view.namespace);
      return packagePage(ctx, {
        view,
        release,
        manifests,
        releases: sortReleasesDescending([...byRelease.keys()]).map((r) => ({
          release: r,
          manifests: byRelease.get(r) ?? [],
        })),
        chart: shown?.chart ?? null,
        files: files.files,
        filesNote: files.note,
        origin: this.origin(request),
        admin: ctx.accounts && role === 'admin',
      });
    });
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private async searchView(caller: Caller, query: Record<string, unknown>): Promise<SearchView> {
    const text = typeof query.q === 'string' ? query.q.trim() : '';
    const namespace = typeof query.namespace === 'string' ? query.namespace.trim() : '';
    const page = pageNumber(query.page);
    const base =
      `/ui/?${new URLSearchParams({ ...(text ? { q: text } : {}), ...(namespace ? { namespace } : {}) })}`.replace(
        /\?$/,
        '',
      );
    if (text === '') {
      const found = await this.listing.execute(caller, {
        namespace: namespace || undefined,
        limit: UI_PAGE_SIZE + 1,
        offset: (page - 1) * UI_PAGE_SIZE,
      });
      const entries = found.slice(0, UI_PAGE_SIZE).map((p): PackageEntry => listedEntry(p));
      return { query: text, namespace, entries, page, hasNext: found.length > UI_PAGE_SIZE, base };
    }
    // Best match first, over the packages the visitor may read (the search use case's own filter).
    const names = (await this.searching.execute(caller, text)).filter(
      (n) => namespace === '' || n.startsWith(`${namespace}/`),
    );
    const slice = names.slice((page - 1) * UI_PAGE_SIZE, page * UI_PAGE_SIZE);
    const entries = (await Promise.all(slice.map((n) => this.entryOf(caller, n)))).filter(
      (e): e is PackageEntry => e !== null,
    );
    return { query: text, namespace, entries, page, hasNext: names.length > page * UI_PAGE_SIZE, base };
  }

  private async entryOf(caller: Caller, full: string): Promise<PackageEntry | null> {
    const slash = full.indexOf('/');
    try {
      const view = await this.packages.get(caller, full.slice(0, slash), full.slice(slash + 1));
      const latest = sortReleasesDescending([...new Set(view.manifests.map((m) => m.release))])[0] ?? null;
      const head = view.manifests.find((m) => m.release === latest);
      return {
        namespace: view.namespace,
        name: view.name,
        latest,
        visibility: view.visibility,
        description: head?.chart?.description ?? null,
        updatedAt: view.updatedAt,
      };
    } catch (error) {
      // The search index lags the writes a moment: a package deleted since is left out.
      if (error instanceof PackageNotFoundError) return null;
      throw error;
    }
  }

  private async tokensView(
    ctx: PageContext,
    created: { label: string; token: string; expires_at: string | null } | null,
    message: string | null,
  ) {
    const tokens = await this.tokens.list(ctx.caller);
    return tokensPage(ctx, { tokens, sessionTokenId: sessionTokenId(ctx.caller), created, message });
  }

  private async organizationsView(ctx: PageContext, message: string | null) {
    const me = await this.whoami.execute(ctx.caller);
    return organizationsPage(ctx, { organizations: me.organizations, message });
  }

  private async organizationView(
    ctx: PageContext,
    org: string,
    created: { name: string; token: string } | null,
    message: string | null,
  ) {
    const shown = await this.organizations.show(ctx.caller, org);
    const admin = (await this.access.roleOn(ctx.caller, org)) === 'admin';
    return organizationPage(ctx, { ...shown, admin, created, message });
  }

  /** The form's fields, once its CSRF token is checked (403 otherwise, nothing done). */
  private form(request: Request, body: unknown): URLSearchParams {
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
  private async formProblem(
    reply: FastifyReply,
    error: unknown,
    again: (message: string) => Html | null,
    againAsync?: (message: string) => Promise<Html>,
  ): Promise<Html> {
    const rendered = renderError(error, 'POST', '/ui');
    if (rendered.unexpected || rendered.status >= 500) throw error;
    void reply.status(rendered.status);
    const message = rendered.body.message;
    return again(message) ?? (await againAsync!(message));
  }

  private redirect(reply: FastifyReply, location: string): null {
    void reply.status(303).header('location', location);
    return null;
  }

  /**
   * Runs a page: the visitor's caller and form token, the page's HTML with the UI's headers, or
   * the error the use case threw as a page with its status (a private package the visitor may
   * not read is a 404, as on the API). Unexpected errors go on to the exception filter and log.
   */
  private async render(
    request: Request,
    reply: FastifyReply,
    build: (ctx: PageContext) => Promise<Html | null>,
  ): Promise<FastifyReply> {
    const caller = await this.session.callerOf(request, reply);
    const ctx: PageContext = {
      caller,
      csrf: this.session.csrfToken(request, reply),
      accounts: this.config.auth.mode === 'enforced',
      signup: this.config.auth.signup,
    };
    let page: Html | null;
    try {
      page = await build(ctx);
    } catch (error) {
      const rendered = renderError(error, request.method, request.url);
      if (rendered.unexpected) throw error;
      if (rendered.status === 401 && request.method === 'GET')
        return reply.status(303).header('location', '/ui/-/login').send();
      void reply.status(rendered.status);
      for (const [name, value] of Object.entries(rendered.headers)) void reply.header(name, value);
      page = errorPage(ctx, rendered.status, rendered.body.message);
    }
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

  /** The origin the install commands name: as the discovery page's (WHARF_PUBLIC_URL, or a Host that may be echoed). */
  private origin(request: Request): string {
    return publicOrigin(this.config, request);
  }
}

/** An entry of the API's package listing, whose `name` is the full `namespace/name`. */
function listedEntry(p: ReturnType<typeof listEntryJson>): PackageEntry {
  return {
    namespace: p.namespace,
    name: p.name.startsWith(`${p.namespace}/`) ? p.name.slice(p.namespace.length + 1) : p.name,
    latest: p.default,
    visibility: p.visibility,
    description: null,
    updatedAt: p.updated_at,
  };
}

function credentials(form: URLSearchParams) {
  return userCredentials(
    JSON.stringify({ user: { username: form.get('username') ?? '', password: form.get('password') ?? '' } }),
  );
}

function sessionTokenId(caller: Caller): string | null {
  return caller.kind === 'user' && caller.proof?.by === 'token' ? caller.proof.tokenId : null;
}

function pageNumber(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : 1;
  return Number.isInteger(n) && n >= 1 && n <= 10_000 ? n : 1;
}
