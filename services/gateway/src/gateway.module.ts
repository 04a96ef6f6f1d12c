import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessControl } from './auth/access-control';
import { AccountDirectory } from './auth/account-directory';
import { AccountWriter } from './auth/account-writer';
import { AdminBootstrap } from './auth/admin-bootstrap';
import { Authenticator } from './auth/authenticator';
import { TokenUseRecorder } from './auth/token-use-recorder';
import { RegistryTokens } from './auth/registry-tokens';
import { CallerGuard } from './auth/caller.guard';
import { OperatorRouteGuard } from './auth/operator-route.guard';
import { PushAdmission } from './auth/push-admission';
import { UploadBytesInFlight } from './auth/upload-bytes-in-flight';
import { UploadSlots } from './auth/upload-slots';
import { ArchiveInspectionPool } from './archive/archive-inspection-pool';
import { AccountsController } from './http/accounts.controller';
import { ChannelsController } from './http/channels.controller';
import { DiscoveryController } from './http/discovery.controller';
import { HelmController } from './http/helm.controller';
import { OciController } from './http/oci.controller';
import { PackagesController } from './http/packages.controller';
import { RetentionController } from './http/retention.controller';
import { WebhooksController } from './http/webhooks.controller';
import { AccountLookup } from './use-cases/accounts/account-lookup';
import { AuditTrailUseCases } from './use-cases/accounts/audit-trail.use-cases';
import { ChangePasswordUseCase } from './use-cases/accounts/change-password.use-case';
import { LogInUseCase } from './use-cases/accounts/log-in.use-case';
import { NamespaceLimitsUseCases } from './use-cases/accounts/namespace-limits.use-cases';
import { OrganizationsUseCases } from './use-cases/accounts/organizations.use-cases';
import { RobotsUseCases } from './use-cases/accounts/robots.use-cases';
import { SignUpUseCase } from './use-cases/accounts/sign-up.use-case';
import { TokenIssuer } from './use-cases/accounts/token-issuer';
import { UserTokensUseCases } from './use-cases/accounts/user-tokens.use-cases';
import { WhoamiUseCase } from './use-cases/accounts/whoami.use-case';
import { BlobCensus } from './use-cases/blob-census';
import { ChangePackageUseCases } from './use-cases/change-package.use-cases';
import { ChartIndexCache } from './use-cases/chart-index-cache';
import { ChartMuseumUseCases } from './use-cases/chart-museum.use-cases';
import { HelmRepositoryUseCases } from './use-cases/helm-repository.use-cases';
import { OciPushesUseCases } from './use-cases/oci/oci-pushes.use-cases';
import { OciReadsUseCases } from './use-cases/oci/oci-reads.use-cases';
import { UploadSessionExpiry } from './use-cases/oci/upload-session-expiry';
import { OciTokenUseCase } from './use-cases/oci/oci-token.use-case';
import { PushReleaseUseCase } from './use-cases/push-release.use-case';
import { ReleasePublisher } from './use-cases/release-publisher';
import { ArchiveReads } from './use-cases/read-package/archive-reads';
import { ListPackagesUseCase } from './use-cases/read-package/list-packages.use-case';
import { PackageBlobsUseCases } from './use-cases/read-package/package-blobs.use-cases';
import { PullReleaseUseCases } from './use-cases/read-package/pull-release.use-cases';
import { ReadablePackages } from './use-cases/read-package/readable-packages';
import { SearchPackagesUseCase } from './use-cases/read-package/search-packages.use-case';
import { ShowChannelsUseCases } from './use-cases/read-package/show-channels.use-cases';
import { ShowPackageUseCases } from './use-cases/read-package/show-package.use-cases';
import { RegistryStatsUseCase } from './use-cases/registry-stats.use-case';
import { RetentionEnforcer } from './use-cases/retention/retention-enforcer';
import { RetentionPlanner } from './use-cases/retention/retention-planner';
import { PullRecorder } from './use-cases/retention/pull-recorder';
import { RetentionPoliciesUseCases } from './use-cases/retention/retention-policies.use-cases';
import { SiteRetentionDefaultUseCases } from './use-cases/retention/site-retention-default.use-cases';
import { WebhookSubscriptionsUseCases } from './use-cases/webhooks/webhook-subscriptions.use-cases';
import { ReleaseFiles } from './ui/release-files';
import { UiAccountController } from './ui/account.controller';
import { UiBrowseController } from './ui/browse.controller';
import { UiNamespaceAdminController } from './ui/namespace-admin.controller';
import { UiResponder } from './ui/ui-responder';
import { UiSession } from './ui/ui-session';

/**
 * The gateway: the App Registry HTTP API and the Helm repositories over the same packages.
 * Writes become commands to PACKAGE_COMMANDS; reads go to PACKAGE_READER, CHART_INDEX_READER,
 * SEARCH_READER, BLOB_STORE, UPLOAD_SESSIONS (OCI blob uploads) and PULL_RECORDS (last pulls, for retention), all provided by the profile. Every route first passes the
 * CallerGuard (who is asking, rate limits); accounts live in ACCOUNT_STORE.
 */
@Module({
  controllers: [
    AccountsController,
    PackagesController,
    ChannelsController,
    DiscoveryController,
    HelmController,
    WebhooksController,
    RetentionController,
    OciController,
    UiBrowseController,
    UiAccountController,
    UiNamespaceAdminController,
  ],
  providers: [
    CallerGuard,
    { provide: APP_GUARD, useExisting: CallerGuard },
    { provide: APP_GUARD, useClass: OperatorRouteGuard },
    // Who is calling, what they may do, and the uploads they hold
    AccountDirectory,
    AccountWriter,
    Authenticator,
    RegistryTokens,
    TokenUseRecorder,
    AccessControl,
    AdminBootstrap,
    PushAdmission,
    UploadSlots,
    UploadBytesInFlight,
    ArchiveInspectionPool,
    // Accounts
    AccountLookup,
    TokenIssuer,
    SignUpUseCase,
    LogInUseCase,
    WhoamiUseCase,
    ChangePasswordUseCase,
    UserTokensUseCases,
    OrganizationsUseCases,
    RobotsUseCases,
    NamespaceLimitsUseCases,
    AuditTrailUseCases,
    // Webhooks
    WebhookSubscriptionsUseCases,
    // Retention
    PullRecorder,
    RetentionPlanner,
    RetentionEnforcer,
    RetentionPoliciesUseCases,
    SiteRetentionDefaultUseCases,
    // Writes
    ReleasePublisher,
    PushReleaseUseCase,
    ChangePackageUseCases,
    ChartMuseumUseCases,
    // Reads of packages
    ReadablePackages,
    ArchiveReads,
    ListPackagesUseCase,
    SearchPackagesUseCase,
    ShowPackageUseCases,
    ShowChannelsUseCases,
    PullReleaseUseCases,
    PackageBlobsUseCases,
    // Helm repositories
    ChartIndexCache,
    HelmRepositoryUseCases,
    // The OCI distribution API
    OciReadsUseCases,
    OciPushesUseCases,
    OciTokenUseCase,
    UploadSessionExpiry,
    // Operators
    RegistryStatsUseCase,
    BlobCensus,
    // The web UI (ui/)
    UiSession,
    UiResponder,
    ReleaseFiles,
  ],
})
export class GatewayModule {}
