import { Injectable } from '@nestjs/common';
import { LOGIN_LABEL, UnauthorizedError } from '@wharf/domain';
import { Authenticator } from '../../auth/authenticator';
import type { UserCredentials } from './sign-up.use-case';
import { TokenIssuer } from './token-issuer';

export interface LogIn extends UserCredentials {
  /** The client address, the password hashing pool's lane. */
  client: string;
}

/** Quay's `POST /api/v1/users/login`: a new token for a username and password. */
@Injectable()
export class LogInUseCase {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly tokens: TokenIssuer,
  ) {}

  async execute({ username, password, client }: LogIn) {
    const caller = await this.authenticator.checkPassword(username, password, client);
    if (!caller || caller.kind !== 'user') throw new UnauthorizedError('invalid username or password');
    return { token: (await this.tokens.issue(caller.name, null, LOGIN_LABEL, this.tokens.defaultExpiry())).text };
  }
}
