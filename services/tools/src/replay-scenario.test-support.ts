/**
 * For the replay tests: a registry's worth of history written through the package writer
 * (pushes, channels, deletes, packages emptied), on whatever adapters the test wires.
 */
import type { PackageCommand, PackageView } from '@wharf/domain';
import type { PackageCommands } from '@wharf/ports';
import { KeyedMutex, MetadataProjector, PackageProjection, PackageWriter } from '@wharf/metadata';
import {
  InMemoryEventLog,
  InMemoryMetadataStore,
  addReleaseToChannel,
  chartMetadata,
  deleteChannel,
  deleteRelease,
  pushRelease,
  removeReleaseFromChannel,
} from '@wharf/testing';

/** The commands of one package's history; every fifth package ends with no release left. */
export function packageHistory(pkg: string, index: number): PackageCommand[] {
  let n = 0;
  const meta = () => ({
    meta: { commandId: `${pkg}#${++n}`, issuedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, index, n)).toISOString() },
  });
  const name = pkg.split('/')[1];
  const chart = (version: string) => ({
    content: {
      chart: chartMetadata({
        name,
        version,
        description: `${name} chart number ${index}`,
        keywords: [`k${index % 7}`, 'replay'],
      }),
    },
  });
  const commands: PackageCommand[] = [
    pushRelease({ package: pkg, release: '1.0.0', ...chart('1.0.0'), ...meta() }),
    pushRelease({ package: pkg, release: '1.1.0', ...chart('1.1.0'), ...meta() }),
    pushRelease({ package: pkg, release: '1.1.0', mediaType: 'kpm', ...meta() }),
    pushRelease({ package: pkg, release: '2.0.0-beta.1', ...chart('2.0.0-beta.1'), ...meta() }),
    addReleaseToChannel({ package: pkg, channel: 'stable', release: '1.0.0', ...meta() }),
    addReleaseToChannel({ package: pkg, channel: 'stable', release: '1.1.0', ...meta() }),
    addReleaseToChannel({ package: pkg, channel: 'beta', release: '2.0.0-beta.1', ...meta() }),
    deleteRelease({ package: pkg, release: '1.0.0', ...meta() }),
    removeReleaseFromChannel({ package: pkg, channel: 'stable', release: '1.1.0', ...meta() }),
    deleteChannel({ package: pkg, channel: 'beta', ...meta() }),
    pushRelease({ package: pkg, release: '1.2.0', force: true, ...chart('1.2.0'), ...meta() }),
    pushRelease({
      package: pkg,
      release: '1.2.0',
      force: true,
      content: { size: 999, chart: chartMetadata({ name, version: '1.2.0', description: 'forced' }) },
      ...meta(),
    }),
  ];
  if (index % 5 === 4) {
    for (const [release, mediaType] of [
      ['1.1.0', 'helm'],
      ['1.1.0', 'kpm'],
      ['2.0.0-beta.1', 'helm'],
      ['1.2.0', 'helm'],
    ]) {
      commands.push(deleteRelease({ package: pkg, release, mediaType, ...meta() }));
    }
  }
  return commands;
}

/**
 * Runs every package's history (packages in parallel, each in order) through `writer`; returns
 * the view each package must have: the one the same commands leave through a package writer of
 * its own on in-memory ports.
 */
export async function writeHistory(
  writer: PackageCommands,
  packages: string[],
  concurrency = 8,
): Promise<Map<string, PackageView>> {
  const reference = referenceWriter();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < packages.length; i = next++) {
      for (const command of packageHistory(packages[i], i)) {
        await writer.execute(command);
        await reference.writer.execute(command);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const views = new Map<string, PackageView>();
  for (const pkg of packages) views.set(pkg, (await reference.store.get(pkg))!);
  return views;
}

function referenceWriter() {
  const log = new InMemoryEventLog();
  const store = new InMemoryMetadataStore();
  const locks = new KeyedMutex();
  const projection = new PackageProjection(store);
  return {
    store,
    writer: new PackageWriter(log, store, projection, new MetadataProjector(log, projection, locks), locks),
  };
}
