import { Injectable } from '@nestjs/common';
import { Caller, LOGIN_LABEL, UnauthorizedError, assertNewPassword } from '@wharf/domain';
import { AccountWriter } from '../../auth/account-writer';
import { mintToken } from '../../auth/api-tokens';
import { Authenticator } from '../../auth/authenticator';
import type { RequestInput } from '../request-input';
import { requireUser } from './account-lookup';
import { TokenIssuer } from './token-issuer';

export interface PasswordChange {
  currentPassword: string;
  /** The new password, as sent ('' when absent): the password rule is checked here. */
  password: string;
}

export interface ChangePassword {
  caller: Caller;
  request: RequestInput<PasswordChange>;
  /** The client address, the password hashing pool's lane. */
  client: string;
}

/**
 * Needs the current password (400 without it, 401 when wrong, 429 while the account's failure
 * budget is spent: it is a password attempt like a login), whatever credentials came with the
 * request, so a stolen token cannot take the account over. Every token of the account is
 * revoked; the answer carries the one token that works afterwards.
 */
@Injectable()
export class ChangePasswordUseCase {
  constructor(
    private readonly writer: AccountWriter,
    private readonly authenticator: Authenticator,
    private readonly tokens: TokenIssuer,
  ) {}

  async execute({ caller, request, client }: ChangePassword) {
    const user = requireUser(caller);
    const { currentPassword, password } = request();
    assertNewPassword(password);
    if (!(await this.authenticator.checkPassword(user, currentPassword, client)))
      throw new UnauthorizedError('the current password is wrong');
    const passwordHash = await this.authenticator.hashNewPassword(password, client);
    const minted = mintToken(user);
    const replacementToken = {
      tokenId: minted.id,
      secretHash: minted.secretHash,
      label: LOGIN_LABEL,
      expiresAt: this.tokens.defaultExpiry(),
    };
    await this.writer.execute(user, { type: 'ChangePassword', passwordHash, replacementToken }, user);
    return { status: 'ok', token: minted.text };
  }
}
