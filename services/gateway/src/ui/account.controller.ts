/**
 * The web UI's account pages (`/ui/-/`): log in, sign up, log out, the user's API tokens, through
 * the API's own use cases and input readers; the session is `UiSession`'s.
 */
import { Body, Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SessionPages } from '../auth/session-cookie';
import { Caller } from '@wharf/domain';
import { userCredentials } from '../http/account-requests';
import { LogInUseCase } from '../use-cases/accounts/log-in.use-case';
import { SignUpUseCase } from '../use-cases/accounts/sign-up.use-case';
import { UserTokensUseCases } from '../use-cases/accounts/user-tokens.use-cases';
import { loginPage, signupPage, tokensPage } from './pages/account.pages';
import { PageContext } from './pages/layout';
import { UiSession } from './ui-session';
import { UiExceptionFilter } from './ui-exception.filter';
import { tokenFormRequest } from './token-form';
import { UiResponder } from './ui-responder';

type Request = FastifyRequest;

@Controller('ui')
@SessionPages()
@UseFilters(UiExceptionFilter)
export class UiAccountController {
  constructor(
    private readonly pages: UiResponder,
    private readonly session: UiSession,
    private readonly logIns: LogInUseCase,
    private readonly signUps: SignUpUseCase,
    private readonly tokens: UserTokensUseCases,
  ) {}

  @Get('-/login')
  loginForm(@Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, async (ctx) => loginPage(ctx));
  }

  @Post('-/login')
  logIn(@Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.submit(
      request,
      reply,
      body,
      async (_ctx, form) => {
        const { token } = await this.logIns.execute({ ...credentials(form), client: request.ip });
        this.session.begin(request, reply, token);
        return this.pages.redirect(reply, '/ui/');
      },
      (ctx, form, message) => loginPage(ctx, form.get('username') ?? '', message),
    );
  }

  @Get('-/signup')
  signupForm(@Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, async (ctx) => signupPage(ctx));
  }

  @Post('-/signup')
  signUp(@Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.submit(
      request,
      reply,
      body,
      async (ctx, form) => {
        const { token } = await this.signUps.execute({ ...credentials(form), caller: ctx.caller, client: request.ip });
        this.session.begin(request, reply, token);
        return this.pages.redirect(reply, '/ui/-/tokens');
      },
      (ctx, form, message) => signupPage(ctx, form.get('username') ?? '', message),
    );
  }

  /** Ends the session and revokes its token, so a copied cookie is worth nothing afterwards. */
  @Post('-/logout')
  logOut(@Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, async (ctx) => {
      this.pages.form(request, body);
      const tokenId = sessionTokenId(ctx.caller);
      if (tokenId !== null) await this.tokens.revoke(ctx.caller, tokenId);
      this.session.end(request, reply);
      return this.pages.redirect(reply, '/ui/');
    });
  }

  @Get('-/tokens')
  tokenList(@Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, async (ctx) => this.tokensView(ctx, null, null));
  }

  @Post('-/tokens')
  createToken(@Body() body: unknown, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.submit(
      request,
      reply,
      body,
      async (ctx, form) => {
        const created = await this.tokens.create(ctx.caller, () => tokenFormRequest(form));
        return await this.tokensView(ctx, created, null);
      },
      (ctx, _form, message) => this.tokensView(ctx, null, message),
    );
  }

  @Post('-/tokens/:tokenId/revoke')
  revokeToken(
    @Param('tokenId') tokenId: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.pages.render(request, reply, async (ctx) => {
      this.pages.form(request, body);
      await this.tokens.revoke(ctx.caller, tokenId);
      return this.pages.redirect(reply, '/ui/-/tokens');
    });
  }

  private async tokensView(
    ctx: PageContext,
    created: { label: string; token: string; expires_at: string | null } | null,
    message: string | null,
  ) {
    const tokens = await this.tokens.list(ctx.caller);
    return tokensPage(ctx, { tokens, sessionTokenId: sessionTokenId(ctx.caller), created, message });
  }
}

function credentials(form: URLSearchParams) {
  return userCredentials(
    JSON.stringify({ user: { username: form.get('username') ?? '', password: form.get('password') ?? '' } }),
  );
}

function sessionTokenId(caller: Caller): string | null {
  return caller.kind === 'user' && caller.proof?.by === 'token' ? caller.proof.tokenId : null;
}
