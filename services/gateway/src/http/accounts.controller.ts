import { Body, Controller, Delete, Get, HttpCode, Ip, Param, Post, Put, Query } from '@nestjs/common';
import type { Caller } from '@wharf/domain';
import { CurrentCaller } from '../auth/caller.guard';
import { AuditTrailUseCases } from '../use-cases/accounts/audit-trail.use-cases';
import { ChangePasswordUseCase } from '../use-cases/accounts/change-password.use-case';
import { LogInUseCase } from '../use-cases/accounts/log-in.use-case';
import { NamespaceLimitsUseCases } from '../use-cases/accounts/namespace-limits.use-cases';
import { OrganizationsUseCases } from '../use-cases/accounts/organizations.use-cases';
import { RobotsUseCases } from '../use-cases/accounts/robots.use-cases';
import { SignUpUseCase } from '../use-cases/accounts/sign-up.use-case';
import { UserTokensUseCases } from '../use-cases/accounts/user-tokens.use-cases';
import { WhoamiUseCase } from '../use-cases/accounts/whoami.use-case';
import {
  auditPage,
  memberRole,
  namespaceLimits,
  organizationName,
  passwordChange,
  robotRequest,
  tokenRequest,
  userCredentials,
} from './account-requests';

/** Users, tokens, organisations, robots, namespace limits and audit (README: Accounts and access). */
@Controller()
export class AccountsController {
  constructor(
    private readonly signUps: SignUpUseCase,
    private readonly logIns: LogInUseCase,
    private readonly whoamis: WhoamiUseCase,
    private readonly passwords: ChangePasswordUseCase,
    private readonly tokens: UserTokensUseCases,
    private readonly organizations: OrganizationsUseCases,
    private readonly robots: RobotsUseCases,
    private readonly limitsOf: NamespaceLimitsUseCases,
    private readonly audits: AuditTrailUseCases,
  ) {}

  @Post('api/v1/users')
  @HttpCode(201)
  signUp(@Body() body: unknown, @CurrentCaller() caller: Caller, @Ip() client: string) {
    return this.signUps.execute({ ...userCredentials(body), caller, client });
  }

  @Post('api/v1/users/login')
  @HttpCode(200)
  login(@Body() body: unknown, @Ip() client: string) {
    return this.logIns.execute({ ...userCredentials(body), client });
  }

  @Get('api/v1/user')
  whoami(@CurrentCaller() caller: Caller) {
    return this.whoamis.execute(caller);
  }

  @Put('api/v1/user/password')
  changePassword(@Body() body: unknown, @CurrentCaller() caller: Caller, @Ip() client: string) {
    return this.passwords.execute({ caller, request: () => passwordChange(body), client });
  }

  @Get('api/v1/user/tokens')
  listTokens(@CurrentCaller() caller: Caller) {
    return this.tokens.list(caller);
  }

  @Post('api/v1/user/tokens')
  @HttpCode(201)
  createToken(@Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.tokens.create(caller, () => tokenRequest(body));
  }

  @Delete('api/v1/user/tokens/:tokenId')
  revokeToken(@Param('tokenId') tokenId: string, @CurrentCaller() caller: Caller) {
    return this.tokens.revoke(caller, tokenId);
  }

  @Post('api/v1/organizations')
  @HttpCode(201)
  createOrganization(@Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.organizations.create(caller, () => organizationName(body));
  }

  @Get('api/v1/organizations/:namespace')
  organization(@Param('namespace') org: string, @CurrentCaller() caller: Caller) {
    return this.organizations.show(caller, org);
  }

  @Put('api/v1/organizations/:namespace/members/:user')
  setMember(
    @Param('namespace') org: string,
    @Param('user') user: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    return this.organizations.setMemberRole(caller, org, user, () => memberRole(body));
  }

  @Delete('api/v1/organizations/:namespace/members/:user')
  removeMember(@Param('namespace') org: string, @Param('user') user: string, @CurrentCaller() caller: Caller) {
    return this.organizations.removeMember(caller, org, user);
  }

  @Put('api/v1/organizations/:namespace/robots/:robot')
  setRobot(
    @Param('namespace') org: string,
    @Param('robot') robot: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    return this.robots.set(caller, org, robot, () => robotRequest(body));
  }

  @Post('api/v1/organizations/:namespace/robots/:robot/tokens')
  @HttpCode(201)
  createRobotToken(
    @Param('namespace') org: string,
    @Param('robot') robot: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    return this.robots.createToken(caller, org, robot, () => tokenRequest(body));
  }

  @Get('api/v1/organizations/:namespace/robots/:robot/tokens')
  robotTokens(@Param('namespace') org: string, @Param('robot') robot: string, @CurrentCaller() caller: Caller) {
    return this.robots.listTokens(caller, org, robot);
  }

  @Delete('api/v1/organizations/:namespace/robots/:robot/tokens/:tokenId')
  revokeRobotToken(
    @Param('namespace') org: string,
    @Param('robot') robot: string,
    @Param('tokenId') tokenId: string,
    @CurrentCaller() caller: Caller,
  ) {
    return this.robots.revokeToken(caller, org, robot, tokenId);
  }

  @Delete('api/v1/organizations/:namespace/robots/:robot')
  deleteRobot(@Param('namespace') org: string, @Param('robot') robot: string, @CurrentCaller() caller: Caller) {
    return this.robots.delete(caller, org, robot);
  }

  @Get('api/v1/namespaces/:namespace/limits')
  limits(@Param('namespace') namespace: string, @CurrentCaller() caller: Caller) {
    return this.limitsOf.show(caller, namespace);
  }

  @Put('api/v1/namespaces/:namespace/limits')
  setLimits(@Param('namespace') namespace: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.limitsOf.set(caller, namespace, () => namespaceLimits(body));
  }

  @Get('api/v1/namespaces/:namespace/audit')
  audit(@Param('namespace') namespace: string, @Query() query: unknown, @CurrentCaller() caller: Caller) {
    return this.audits.list(caller, namespace, () => auditPage(query));
  }
}
