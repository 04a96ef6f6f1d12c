import { Inject, Injectable } from '@nestjs/common';
import {
  Caller,
  ForbiddenError,
  LOGIN_LABEL,
  assertNewPassword,
  isUnrestricted,
  parseAccountName,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { AccountWriter } from '../../auth/account-writer';
import { Authenticator } from '../../auth/authenticator';
import { AccountLookup } from './account-lookup';
import { TokenIssuer } from './token-issuer';

/** Quay's `{"user": {"username", "password"}}`, read at the edge. */
export interface UserCredentials {
  username: string;
  password: string;
}

export interface SignUp extends UserCredentials {
  caller: Caller;
  /** The client address, the password hashing pool's lane. */
  client: string;
}

/** Registers a user (the namespace of its name) and answers with a login token. */
@Injectable()
export class SignUpUseCase {
  constructor(
    private readonly writer: AccountWriter,
    private readonly authenticator: Authenticator,
    private readonly lookup: AccountLookup,
    private readonly tokens: TokenIssuer,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  async execute({ username, password, caller, client }: SignUp) {
    if (!this.config.auth.signup && !isUnrestricted(caller))
      throw ForbiddenError.because('sign-up is turned off on this registry');
    const name = parseAccountName(username);
    await this.lookup.assertUnclaimed(name, caller);
    const passwordHash = await this.authenticator.hashNewPassword(assertNewPassword(password), client);
    await this.writer.execute(name, { type: 'RegisterUser', passwordHash, siteAdmin: false }, name);
    return {
      username: name,
      token: (await this.tokens.issue(name, null, LOGIN_LABEL, this.tokens.defaultExpiry())).text,
    };
  }
}
