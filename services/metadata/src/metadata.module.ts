import { Global, Module } from '@nestjs/common';
import { PACKAGE_COMMANDS } from '@wharf/ports';
import { ChartIndexProjection } from './chart-index-projection';
import { KeyedMutex } from './keyed-mutex';
import { MetadataProjector } from './metadata-projector';
import { PackageProjection } from './package-projection';
import { PackageWriter } from './package-writer';

/**
 * The metadata service: owner of the metadata store and single writer of packages. Expects
 * EVENT_LOG, METADATA_STORE and CHART_INDEX_STORE from the profile's adapters module. Global, because the
 * gateway sends its commands to PACKAGE_COMMANDS without knowing who implements it.
 */
@Global()
@Module({
  providers: [
    KeyedMutex,
    ChartIndexProjection,
    PackageProjection,
    MetadataProjector,
    PackageWriter,
    { provide: PACKAGE_COMMANDS, useExisting: PackageWriter },
  ],
  exports: [PACKAGE_COMMANDS, MetadataProjector],
})
export class MetadataModule {}
