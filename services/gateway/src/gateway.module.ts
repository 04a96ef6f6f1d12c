import { Module } from '@nestjs/common';
import { ChannelsController } from './http/channels.controller';
import { DiscoveryController } from './http/discovery.controller';
import { PackagesController } from './http/packages.controller';
import { ChangePackageUseCases } from './use-cases/change-package.use-cases';
import { PushReleaseUseCase } from './use-cases/push-release.use-case';
import { ReadPackageUseCases } from './use-cases/read-package.use-cases';
import { RegistryStatsUseCase } from './use-cases/registry-stats.use-case';

/**
 * The gateway: the App Registry HTTP API. Writes become commands to PACKAGE_COMMANDS; reads go
 * to PACKAGE_READER, SEARCH_READER and BLOB_STORE, all provided by the profile.
 */
@Module({
  controllers: [PackagesController, ChannelsController, DiscoveryController],
  providers: [PushReleaseUseCase, ChangePackageUseCases, ReadPackageUseCases, RegistryStatsUseCase],
})
export class GatewayModule {}
