export * from './gateway.module';
export * from './http/http-setup';
export * from './http/discovery-origin';
// The admin CLI (services/tools) writes accounts through the same writer and shows them as the API does.
export * from './auth/account-writer';
export * from './auth/account-directory';
export { hashPassword } from './auth/password-hasher';
export { limitsJson, organizationJson, tokenJson } from './presenters/accounts.presenter';
// Retention runs: scheduled by each profile's composition root; the admin CLI may call it too.
export { RetentionEnforcer } from './use-cases/retention/retention-enforcer';
export { RetentionPlanner } from './use-cases/retention/retention-planner';
export { PullRecorder } from './use-cases/retention/pull-recorder';
export { retentionPolicyJson, retentionRunJson, siteDefaultJson } from './presenters/retention.presenter';
// The key that signs registry tokens, which a profile may supply (embedded: a data-directory file).
export { REGISTRY_TOKEN_KEY } from './auth/registry-tokens';
