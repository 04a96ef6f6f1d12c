import { Injectable } from '@nestjs/common';
import {
  AccountNotFoundError,
  Caller,
  Role,
  callerName,
  findRobot,
  parseRobotName,
  parseTokenLifetime,
} from '@wharf/domain';
import { AccountWriter } from '../../auth/account-writer';
import { TokenUseRecorder, tokenUseKey } from '../../auth/token-use-recorder';
import { robotName, tokenJson } from '../../presenters/accounts.presenter';
import type { RequestInput } from '../request-input';
import { AccountLookup } from './account-lookup';
import { TokenIssuer } from './token-issuer';
import type { TokenRequest } from './user-tokens.use-cases';

export interface RobotRequest {
  role: Role;
  /** The first token's `expires_in` as sent: parsed only when the robot is created, a role change ignores it. */
  expiresIn: unknown;
}

/** An organisation's robots and their tokens; every action is an admin's of the organisation. */
@Injectable()
export class RobotsUseCases {
  constructor(
    private readonly writer: AccountWriter,
    private readonly lookup: AccountLookup,
    private readonly tokens: TokenIssuer,
    private readonly tokenUses: TokenUseRecorder,
  ) {}

  /** Creates the robot (with a first token) or changes its role. */
  async set(caller: Caller, org: string, name: string, input: RequestInput<RobotRequest>) {
    const view = await this.lookup.organization(caller, org, 'admin');
    const robot = parseRobotName(name);
    const request = input();
    const { role } = request;
    const existed = view.robots.some((r) => r.name === robot);
    await this.writer.execute(org, { type: 'SetRobotRole', robot, role }, callerName(caller));
    const issued = existed
      ? undefined
      : await this.tokens.issue(
          org,
          robot,
          'created',
          this.tokens.expiryFor(caller, parseTokenLifetime(request.expiresIn)),
          callerName(caller),
        );
    return {
      name: robotName(org, robot),
      role,
      ...(issued ? { token: issued.text, token_id: issued.record.id, expires_at: issued.record.expiresAt } : {}),
    };
  }

  async createToken(caller: Caller, org: string, name: string, input: RequestInput<TokenRequest>) {
    await this.lookup.organization(caller, org, 'admin');
    const robot = parseRobotName(name);
    const request = input();
    const issued = await this.tokens.issue(
      org,
      robot,
      request.label,
      this.tokens.expiryFor(caller, request.lifetimeSeconds),
      callerName(caller),
    );
    return { name: robotName(org, robot), ...tokenJson(issued.record, null), token: issued.text };
  }

  async listTokens(caller: Caller, org: string, name: string) {
    const view = await this.lookup.organization(caller, org, 'admin');
    const robot = findRobot(view, parseRobotName(name));
    if (!robot) throw new AccountNotFoundError('robot', robotName(org, name));
    const account = robotName(org, robot.name);
    const uses = await this.tokenUses.lastUses([account]);
    return robot.tokens.map((t) => tokenJson(t, uses.get(tokenUseKey(account, t.id)) ?? null));
  }

  async revokeToken(caller: Caller, org: string, name: string, tokenId: string) {
    await this.lookup.organization(caller, org, 'admin');
    await this.writer.execute(org, { type: 'RevokeToken', robot: parseRobotName(name), tokenId }, callerName(caller));
    return { status: 'revoked', id: tokenId };
  }

  async delete(caller: Caller, org: string, name: string) {
    await this.lookup.organization(caller, org, 'admin');
    await this.writer.execute(org, { type: 'DeleteRobot', robot: parseRobotName(name) }, callerName(caller));
    return { status: 'deleted', name: robotName(org, name) };
  }
}
