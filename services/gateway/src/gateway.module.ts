import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessControl } from './auth/access-control';
import { AccountDirectory } from './auth/account-directory';
import { AccountWriter } from './auth/account-writer';
import { AccountsUseCases } from './auth/accounts.use-cases';
import { AdminBootstrap } from './auth/admin-bootstrap';
import { Authenticator } from './auth/authenticator';
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
import { PackagesController } from './http/packages.controller';
import { BlobCensus } from './use-cases/blob-census';
import { ChangePackageUseCases } from './use-cases/change-package.use-cases';
import { ChartIndexCache } from './use-cases/chart-index-cache';
import { ChartMuseumUseCases } from './use-cases/chart-museum.use-cases';
import { HelmRepositoryUseCases } from './use-cases/helm-repository.use-cases';
import { PushReleaseUseCase } from './use-cases/push-release.use-case';
import { ReleasePublisher } from './use-cases/release-publisher';
import { ReadPackageUseCases } from './use-cases/read-package.use-cases';
import { RegistryStatsUseCase } from './use-cases/registry-stats.use-case';

/**
 * The gateway: the App Registry HTTP API and the Helm repositories over the same packages.
 * Writes become commands to PACKAGE_COMMANDS; reads go to PACKAGE_READER, CHART_INDEX_READER,
 * SEARCH_READER and BLOB_STORE, all provided by the profile. Every route first passes the
 * CallerGuard (who is asking, rate limits); accounts live in ACCOUNT_STORE.
 */
@Module({
  controllers: [AccountsController, PackagesController, ChannelsController, DiscoveryController, HelmController],
  providers: [
    CallerGuard,
    { provide: APP_GUARD, useExisting: CallerGuard },
    { provide: APP_GUARD, useClass: OperatorRouteGuard },
    AccountDirectory,
    AccountWriter,
    Authenticator,
    AccessControl,
    AccountsUseCases,
    AdminBootstrap,
    PushAdmission,
    UploadSlots,
    UploadBytesInFlight,
    ArchiveInspectionPool,
    ReleasePublisher, ChartIndexCache, HelmRepositoryUseCases, ChartMuseumUseCases, PushReleaseUseCase, ChangePackageUseCases, ReadPackageUseCases, RegistryStatsUseCase, BlobCensus],
})
export class GatewayModule {}
