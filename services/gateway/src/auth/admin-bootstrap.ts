import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { OPERATOR_ACTOR, parseAccountName } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { AccountDirectory } from './account-directory';
import { AccountWriter } from './account-writer';
import { Authenticator } from './authenticator';

/** Creates the site admin named in the configuration (WHARF_ADMIN_USERNAME) before the gateway serves. */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  constructor(
    private readonly writer: AccountWriter,
    private readonly directory: AccountDirectory,
    private readonly authenticator: Authenticator,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bootstrap();
  }

  /** Creates the configured site admin if it does not exist yet. */
  async bootstrap(): Promise<'created' | 'exists' | 'not-configured'> {
    const admin = this.config.auth.admin;
    if (!admin) return 'not-configured';
    if (await this.directory.get(admin.username)) return 'exists';
    const passwordHash = await this.authenticator.hashNewPassword(admin.password);
    await this.writer.execute(
      parseAccountName(admin.username),
      { type: 'RegisterUser', passwordHash, siteAdmin: true },
      OPERATOR_ACTOR,
    );
    return 'created';
  }
}
