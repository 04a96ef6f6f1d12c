import { Body, Controller, Delete, Get, HttpCode, Ip, Param, Post, Put, Query } from '@nestjs/common';
import type { Caller } from '@wharf/domain';
import { AccountsUseCases } from '../auth/accounts.use-cases';
import { CurrentCaller } from '../auth/caller.guard';
import { mergeValues, parseJsonBody } from './request-values';

/** Users, tokens, organisations, robots, namespace limits and audit (README: Accounts and access). */
@Controller()
export class AccountsController {
  constructor(private readonly accounts: AccountsUseCases) {}

  @Post('api/v1/users')
  @HttpCode(201)
  signUp(@Body() body: unknown, @CurrentCaller() caller: Caller, @Ip() client: string) {
    return this.accounts.signUp(parseJsonBody(body), caller, client);
  }

  @Post('api/v1/users/login')
  @HttpCode(200)
  login(@Body() body: unknown, @Ip() client: string) {
    return this.accounts.login(parseJsonBody(body), client);
  }

  @Get('api/v1/user')
  whoami(@CurrentCaller() caller: Caller) {
    return this.accounts.whoami(caller);
  }

  @Put('api/v1/user/password')
  changePassword(@Body() body: unknown, @CurrentCaller() caller: Caller, @Ip() client: string) {
    return this.accounts.changePassword(caller, parseJsonBody(body), client);
  }

  @Get('api/v1/user/tokens')
  tokens(@CurrentCaller() caller: Caller) {
    return this.accounts.listTokens(caller);
  }

  @Post('api/v1/user/tokens')
  @HttpCode(201)
  createToken(@Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.accounts.createToken(caller, parseJsonBody(body));
  }

  @Delete('api/v1/user/tokens/:tokenId')
  revokeToken(@Param('tokenId') tokenId: string, @CurrentCaller() caller: Caller) {
    return this.accounts.revokeToken(caller, tokenId);
  }

  @Post('api/v1/organizations')
  @HttpCode(201)
  createOrganization(@Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.accounts.createOrganization(caller, parseJsonBody(body));
  }

  @Get('api/v1/organizations/:namespace')
  organization(@Param('namespace') org: string, @CurrentCaller() caller: Caller) {
    return this.accounts.organization(caller, org);
  }

  @Put('api/v1/organizations/:namespace/members/:user')
  setMember(@Param('namespace') org: string, @Param('user') user: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.accounts.setMemberRole(caller, org, user, parseJsonBody(body));
  }

  @Delete('api/v1/organizations/:namespace/members/:user')
  removeMember(@Param('namespace') org: string, @Param('user') user: string, @CurrentCaller() caller: Caller) {
    return this.accounts.removeMember(caller, org, user);
  }

  @Put('api/v1/organizations/:namespace/robots/:robot')
  setRobot(@Param('namespace') org: string, @Param('robot') robot: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.accounts.setRobot(caller, org, robot, parseJsonBody(body));
  }

  @Post('api/v1/organizations/:namespace/robots/:robot/tokens')
  @HttpCode(201)
  createRobotToken(@Param('namespace') org: string, @Param('robot') robot: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.accounts.createRobotToken(caller, org, robot, parseJsonBody(body));
  }

  @Get('api/v1/organizations/:namespace/robots/:robot/tokens')
  robotTokens(@Param('namespace') org: string, @Param('robot') robot: string, @CurrentCaller() caller: Caller) {
    return this.accounts.listRobotTokens(caller, org, robot);
  }

  @Delete('api/v1/organizations/:namespace/robots/:robot/tokens/:tokenId')
  revokeRobotToken(@Param('namespace') org: string, @Param('robot') robot: string, @Param('tokenId') tokenId: string, @CurrentCaller() caller: Caller) {
    return this.accounts.revokeRobotToken(caller, org, robot, tokenId);
  }

  @Delete('api/v1/organizations/:namespace/robots/:robot')
  deleteRobot(@Param('namespace') org: string, @Param('robot') robot: string, @CurrentCaller() caller: Caller) {
    return this.accounts.deleteRobot(caller, org, robot);
  }

  @Get('api/v1/namespaces/:namespace/limits')
  limits(@Param('namespace') namespace: string, @CurrentCaller() caller: Caller) {
    return this.accounts.limits(caller, namespace);
  }

  @Put('api/v1/namespaces/:namespace/limits')
  setLimits(@Param('namespace') namespace: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.accounts.setLimits(caller, namespace, parseJsonBody(body));
  }

  @Get('api/v1/namespaces/:namespace/audit')
  audit(@Param('namespace') namespace: string, @Query() query: unknown, @CurrentCaller() caller: Caller) {
    return this.accounts.audit(caller, namespace, mergeValues(query, {}));
  }
}
