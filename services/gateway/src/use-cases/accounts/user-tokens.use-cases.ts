import { Injectable } from '@nestjs/common';
import { Caller, callerName } from '@wharf/domain';
import { AccountDirectory } from '../../auth/account-directory';
import { AccountWriter } from '../../auth/account-writer';
import { TokenUseRecorder, tokenUseKey } from '../../auth/token-use-recorder';
import { tokenJson } from '../../presenters/accounts.presenter';
import type { RequestInput } from '../request-input';
import { requireUser } from './account-lookup';
import { TokenIssuer } from './token-issuer';

/** What a new token asks for (read at the edge): a valid label and a lifetime (see `TokenIssuer.expiryFor`). */
export interface TokenRequest {
  label: string;
  lifetimeSeconds: number | null | undefined;
}

/** The calling user's own API tokens: list (with each one's last use), create, revoke. */
@Injectable()
export class UserTokensUseCases {
  constructor(
    private readonly writer: AccountWriter,
    private readonly directory: AccountDirectory,
    private readonly tokens: TokenIssuer,
    private readonly tokenUses: TokenUseRecorder,
  ) {}

  async list(caller: Caller) {
    const user = requireUser(caller);
    const view = await this.directory.get(user);
    const uses = await this.tokenUses.lastUses([user]);
    return (view?.tokens ?? []).map((t) => tokenJson(t, uses.get(tokenUseKey(user, t.id)) ?? null));
  }

  async create(caller: Caller, input: RequestInput<TokenRequest>) {
    const user = requireUser(caller);
    const request = input();
    const issued = await this.tokens.issue(
      user,
      null,
      request.label,
      this.tokens.expiryFor(caller, request.lifetimeSeconds),
      callerName(caller),
    );
    return { ...tokenJson(issued.record, null), token: issued.text };
  }

  async revoke(caller: Caller, tokenId: string) {
    const user = requireUser(caller);
    await this.writer.execute(user, { type: 'RevokeToken', robot: null, tokenId }, callerName(caller));
    return { status: 'revoked', id: tokenId };
  }
}
