/**
 * The PackageCommands contract against the in-process bus: the embedded profile's gateway calls
 * the package writer directly (here on in-memory ports).
 */
import {
  describePackageCommandsContract,
  eventEnvelopes,
  InMemoryEventLog,
  InMemoryMetadataStore,
} from '@wharf/testing';
import { KeyedMutex } from './keyed-mutex';
import { MetadataProjector } from './metadata-projector';
import { PackageProjection } from './package-projection';
import { PackageWriter } from './package-writer';

describePackageCommandsContract('in-process package writer', async () => {
  const log = new InMemoryEventLog();
  const store = new InMemoryMetadataStore();
  const locks = new KeyedMutex();
  const projection = new PackageProjection(store);
  const writer = new PackageWriter(log, store, projection, new MetadataProjector(log, projection, locks), locks);
  return {
    subject: { execute: (command) => writer.execute(command), close: () => log.close() },
    read: (pkg) => store.get(pkg),
    seed: async (pkg, events) => {
      const envelopes = eventEnvelopes(pkg, 0, events);
      await log.append(pkg, 0, envelopes);
      await projection.apply(pkg, envelopes, null);
    },
    cleanup: async () => {},
  };
});
