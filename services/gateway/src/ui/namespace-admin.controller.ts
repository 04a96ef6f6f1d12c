/**
 * The web UI's pages for what a namespace's admins do (`/ui/-/`): organisations (members, robots
 * and their tokens), a namespace's audit trail and limits, a package's visibility. The API's own
 * use cases refuse whoever may not: the pages only hide the forms.
 */
import { Body, Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isUnrestricted } from '@wharf/domain';
import { SessionPages } from '../auth/session-cookie';
import { AccessControl } from '../auth/access-control';
import {
  auditPage as auditPageQuery,
  memberRole,
  namespaceLimits,
  organizationName,
  robotRequest,
} from '../http/account-requests';
import { visibilityRequest } from '../http/package-requests';
import { AuditTrailUseCases } from '../use-cases/accounts/audit-trail.use-cases';
import { NamespaceLimitsUseCases } from '../use-cases/accounts/namespace-limits.use-cases';
import { OrganizationsUseCases } from '../use-cases/accounts/organizations.use-cases';
import { RobotsUseCases } from '../use-cases/accounts/robots.use-cases';
import { WhoamiUseCase } from '../use-cases/accounts/whoami.use-case';
import { ChangePackageUseCases } from '../use-cases/change-package.use-cases';
import { newCommandMeta } from '../use-cases/command-meta';
import { auditPage } from './pages/audit.page';
import { PageContext } from './pages/layout';
import { organizationPage, organizationsPage } from './pages/organization.pages';
import { UiExceptionFilter } from './ui-exception.filter';
import { tokenFormRequest } from './token-form';
import { UiResponder } from './ui-responder';

/** Events per page of an audit trail. */
export const AUDIT_PAGE_SIZE = 50;

type Request = FastifyRequest;

@Controller('ui')
@SessionPages()
@UseFilters(UiExceptionFilter)
export class UiNamespaceAdminController {
  constructor(
    private readonly pages: UiResponder,
    private readonly access: AccessControl,
    private readonly changes: ChangePackageUseCases,
    private readonly whoami: WhoamiUseCase,
    private readonly organizations: OrganizationsUseCases,
    private readonly robots: RobotsUseCases,
    private readonly audits: AuditTrailUseCases,
    private readonly limits: NamespaceLimitsUseCases,
  ) {}

  @Get('-/orgs')
  organizationList(@Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, async (ctx) => this.organizationsView(ctx, null));
  }

  @Post('-/orgs')
  createOrganization(@Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.submit(
      request,
      reply,
      body,
      async (ctx, form) => {
        const created = await this.organizations.create(ctx.caller, () =>
          organizationName(JSON.stringify({ name: form.get('name') ?? '' })),
        );
        return this.pages.redirect(reply, `/ui/-/orgs/${encodeURIComponent(created.name)}`);
      },
      (ctx, _form, message) => this.organizationsView(ctx, message),
    );
  }

  @Get('-/orgs/:org')
  organization(@Param('org') org: string, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, async (ctx) => this.organizationView(ctx, org, null, null));
  }

  @Post('-/orgs/:org/members')
  setMember(@Param('org') org: string, @Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.submit(
      request,
      reply,
      body,
      async (ctx, form) => {
        await this.organizations.setMemberRole(ctx.caller, org, form.get('user') ?? '', () =>
          memberRole(JSON.stringify({ role: form.get('role') ?? '' })),
        );
        return this.pages.redirect(reply, `/ui/-/orgs/${encodeURIComponent(org)}`);
      },
      (ctx, _form, message) => this.organizationView(ctx, org, null, message),
    );
  }

  @Post('-/orgs/:org/members/:user/remove')
  removeMember(
    @Param('org') org: string,
    @Param('user') user: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.orgAction(request, reply, body, org, (caller) => this.organizations.removeMember(caller, org, user));
  }

  /** A new robot (or a new role for one): its first token is shown once, on the answer itself. */
  @Post('-/orgs/:org/robots')
  setRobot(@Param('org') org: string, @Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.submit(
      request,
      reply,
      body,
      async (ctx, form) => {
        const robot = await this.robots.set(ctx.caller, org, form.get('name') ?? '', () =>
          robotRequest(JSON.stringify({ role: form.get('role') ?? '' })),
        );
        const created = robot.token ? { name: robot.name, token: robot.token } : null;
        return await this.organizationView(ctx, org, created, null);
      },
      (ctx, _form, message) => this.organizationView(ctx, org, null, message),
    );
  }

  /** Another token for a robot (the API's `POST .../robots/{robot}/tokens`), shown once. */
  @Post('-/orgs/:org/robots/:robot/tokens')
  createRobotToken(
    @Param('org') org: string,
    @Param('robot') robot: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.pages.submit(
      request,
      reply,
      body,
      async (ctx, form) => {
        const issued = await this.robots.createToken(ctx.caller, org, robot, () => tokenFormRequest(form));
        return await this.organizationView(ctx, org, { name: issued.name, token: issued.token }, null);
      },
      (ctx, _form, message) => this.organizationView(ctx, org, null, message),
    );
  }

  /** Deletes a robot and every token it has (the API's `DELETE .../robots/{robot}`). */
  @Post('-/orgs/:org/robots/:robot/delete')
  deleteRobot(
    @Param('org') org: string,
    @Param('robot') robot: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.orgAction(request, reply, body, org, (caller) => this.robots.delete(caller, org, robot));
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
    return this.orgAction(request, reply, body, org, (caller) => this.robots.revokeToken(caller, org, robot, tokenId));
  }

  /** A namespace's audit trail and limits: its admins only (the use cases refuse anyone else). */
  @Get('-/audit/:namespace')
  audit(
    @Param('namespace') namespace: string,
    @Query() query: Record<string, unknown>,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.pages.render(request, reply, async (ctx) => this.auditView(ctx, namespace, query.before, null));
  }

  /** A site admin sets a namespace's limits: the API's own use case, which refuses anyone else. */
  @Post('-/audit/:namespace/limits')
  setLimits(
    @Param('namespace') namespace: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.pages.submit(
      request,
      reply,
      body,
      async (ctx, form) => {
        await this.limits.set(ctx.caller, namespace, () => namespaceLimits(JSON.stringify(limitsOfForm(form))));
        return this.pages.redirect(reply, `/ui/-/audit/${encodeURIComponent(namespace)}`);
      },
      (ctx, _form, message) => this.auditView(ctx, namespace, undefined, message),
    );
  }

  private async auditView(ctx: PageContext, namespace: string, before: unknown, message: string | null) {
    const limits = await this.limits.show(ctx.caller, namespace);
    const page = () => auditPageQuery({ before, limit: String(AUDIT_PAGE_SIZE) });
    const events = await this.audits.list(ctx.caller, namespace, page);
    return auditPage(ctx, {
      namespace,
      events,
      limits,
      older: events.length === AUDIT_PAGE_SIZE,
      canSetLimits: isUnrestricted(ctx.caller),
      message,
    });
  }

  /** A namespace admin makes a package public or private: the API's own use case and checks. */
  @Post('-/visibility')
  setVisibility(@Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, async (ctx) => {
      const form = this.pages.form(request, body);
      const namespace = form.get('namespace') ?? '';
      const name = form.get('package') ?? '';
      await this.changes.setVisibility({
        namespace,
        name,
        visibility: () => visibilityRequest(JSON.stringify({ visibility: form.get('visibility') ?? '' })),
        meta: newCommandMeta(request.id),
        caller: ctx.caller,
      });
      return this.pages.redirect(reply, `/ui/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`);
    });
  }

  /** A form that changes an organisation, then its page again (303). */
  private orgAction(
    request: Request,
    reply: FastifyReply,
    body: unknown,
    org: string,
    act: (caller: PageContext['caller']) => Promise<unknown>,
  ) {
    return this.pages.render(request, reply, async (ctx) => {
      this.pages.form(request, body);
      await act(ctx.caller);
      return this.pages.redirect(reply, `/ui/-/orgs/${encodeURIComponent(org)}`);
    });
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
}

/** The limits form as the API's JSON body: an empty field is no limit (null), a number is sent as one. */
function limitsOfForm(form: URLSearchParams): Record<string, unknown> {
  const number = (name: string) => {
    const value = (form.get(name) ?? '').trim();
    // Not a number: sent as the text, which the API's reader refuses (400), never as no limit.
    return value === '' ? null : Number.isFinite(Number(value)) ? Number(value) : value;
  };
  const overwrites = form.get('allow_overwrites') ?? '';
  return {
    max_blob_bytes: number('max_blob_bytes'),
    max_storage_bytes: number('max_storage_bytes'),
    requests_per_minute: number('requests_per_minute'),
    allow_overwrites: overwrites === 'true' ? true : overwrites === 'false' ? false : null,
  };
}
