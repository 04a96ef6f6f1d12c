/** The account use cases wired over one account store as the gateway module wires them, for unit specs. */
import { SqlitePullRecordStore } from '@wharf/adapters/pull-records-sqlite';
import type { WharfConfig } from '@wharf/config';
import type { AccountStore, PackageReader } from '@wharf/ports';
import { AccessControl } from '../../auth/access-control';
import { AccountDirectory } from '../../auth/account-directory';
import { AccountWriter } from '../../auth/account-writer';
import { AdminBootstrap } from '../../auth/admin-bootstrap';
import { Authenticator } from '../../auth/authenticator';
import { TokenUseRecorder } from '../../auth/token-use-recorder';
import { AccountLookup } from './account-lookup';
import { AuditTrailUseCases } from './audit-trail.use-cases';
import { ChangePasswordUseCase } from './change-password.use-case';
import { LogInUseCase } from './log-in.use-case';
import { NamespaceLimitsUseCases } from './namespace-limits.use-cases';
import { OrganizationsUseCases } from './organizations.use-cases';
import { RobotsUseCases } from './robots.use-cases';
import { SignUpUseCase } from './sign-up.use-case';
import { TokenIssuer } from './token-issuer';
import { UserTokensUseCases } from './user-tokens.use-cases';
import { WhoamiUseCase } from './whoami.use-case';

/** `packages`: what the namespace-claim check sees (a namespace with packages is claimed). */
export function accountUseCases(
  store: AccountStore,
  directory: AccountDirectory,
  authenticator: Authenticator,
  config: WharfConfig,
  packages: PackageReader,
  tokenUses: TokenUseRecorder = new TokenUseRecorder(new SqlitePullRecordStore({ path: ':memory:' }), config),
) {
  const writer = new AccountWriter(store, directory);
  const access = new AccessControl(directory);
  const lookup = new AccountLookup(directory, access, packages);
  const tokens = new TokenIssuer(writer, config);
  return {
    admin: new AdminBootstrap(writer, directory, authenticator, config),
    signUp: new SignUpUseCase(writer, authenticator, lookup, tokens, config),
    logIn: new LogInUseCase(authenticator, tokens),
    whoami: new WhoamiUseCase(directory),
    changePassword: new ChangePasswordUseCase(writer, authenticator, tokens),
    userTokens: new UserTokensUseCases(writer, directory, tokens, tokenUses),
    organizations: new OrganizationsUseCases(writer, directory, lookup, tokenUses),
    robots: new RobotsUseCases(writer, lookup, tokens, tokenUses),
    limits: new NamespaceLimitsUseCases(writer, access, lookup),
    audit: new AuditTrailUseCases(writer, directory, access),
  };
}
