import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AccountsUseCases } from './accounts.use-cases';

/** Creates the site admin named in the configuration (WHARF_ADMIN_USERNAME) before the gateway serves. */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  constructor(private readonly accounts: AccountsUseCases) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.accounts.bootstrapAdmin();
  }
}
