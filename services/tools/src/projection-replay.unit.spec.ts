import { emptyPackageView, evolve } from '@wharf/domain';
import {
  InMemoryEventLog,
  InMemoryMetadataStore,
  eventEnvelopes,
  packageView,
  releaseDeleted,
  releasePublished,
} from '@wharf/testing';
import type { MetadataStore } from '@wharf/ports';
import { ReplayFailedError, ReplayProgress, replayProjection } from './projection-replay';
import { foldIntoMetadata } from './replay-targets';

/** The view the log says a package has: every event of its stream folded. */
const foldedFromLog = (log: InMemoryEventLog, pkg: string) => log.streamOf(pkg).reduce(evolve, emptyPackageView(pkg));

async function logWith(packages: string[], releasesEach: number): Promise<InMemoryEventLog> {
  const log = new InMemoryEventLog();
  for (const pkg of packages) {
    const events = Array.from({ length: releasesEach }, (_, i) => releasePublished({ release: `1.${i}.0` }));
    await log.append(pkg, 0, eventEnvelopes(pkg, 0, [...events, releaseDeleted('1.0.0')]));
  }
  return log;
}

describe('replayProjection', () => {
  const packages = ['ns/a', 'ns/b', 'ns/c'];

  it('should rebuild the projection from the whole log, drop what the log does not say, and report progress', async () => {
    const log = await logWith(packages, 4);
    const live = new InMemoryMetadataStore();
    live.seed(packageView('ns/stale', [releasePublished()]));
    live.seed(packageView('ns/a', [releasePublished({ release: '9.9.9' })]));
    const progress: ReplayProgress[] = [];

    const report = await replayProjection(
      log,
      { name: 'metadata', live, apply: foldIntoMetadata },
      { batchSize: 2, progressEveryMs: 0, pollMs: 1, onProgress: (p) => progress.push(p) },
    );

    for (const pkg of packages) expect(await live.get(pkg)).toEqual(foldedFromLog(log, pkg));
    expect(await live.get('ns/stale')).toBeNull();
    expect(report).toMatchObject({ projection: 'metadata', rebuilt: 15, tail: 0 });
    expect(progress.at(-1)).toMatchObject({ phase: 'done', done: 15, remaining: 0 });
    expect(progress.some((p) => p.phase === 'rebuilding')).toBe(true);
  });

  it('should not lose events appended during the rebuild, including those the live writer applied to the old storage', async () => {
    const log = await logWith(packages, 3);
    const live = new InMemoryMetadataStore();
    let appendedDuringRebuild = false;
    const apply = async (store: MetadataStore, events: Parameters<typeof foldIntoMetadata>[1]) => {
      await foldIntoMetadata(store, events);
      if (appendedDuringRebuild) return;
      appendedDuringRebuild = true;
      // The live writer at work meanwhile: appends, then applies to the live (old) store only.
      for (const pkg of ['ns/a', 'ns/new']) {
        const last = log.streamOf(pkg).length;
        await log.append(pkg, last, eventEnvelopes(pkg, last, [releasePublished({ release: '7.0.0' })]));
        await foldIntoMetadata(
          live,
          log.streamOf(pkg).map((e, i) => ({ ...e, position: String(i) })),
        );
      }
    };

    const report = await replayProjection(log, { name: 'metadata', live, apply }, { batchSize: 2, pollMs: 1 });

    for (const pkg of [...packages, 'ns/new']) expect(await live.get(pkg)).toEqual(foldedFromLog(log, pkg));
    expect(report.rebuilt + report.tail).toBe(await log.count());
  });

  it('should fold the tail into the live store after the switch, so a write that reached the old storage is not lost', async () => {
    const log = await logWith(['ns/a'], 2);
    const live = new InMemoryMetadataStore();
    const rebuild = live.rebuild.bind(live);
    // The live writer appends and applies to the old storage just before the switch.
    live.rebuild = async () => {
      const started = await rebuild();
      const switchOver = started.switchOver;
      return {
        ...started,
        switchOver: async () => {
          await log.append('ns/a', 3, eventEnvelopes('ns/a', 3, [releasePublished({ release: '8.0.0' })]));
          await foldIntoMetadata(
            live,
            log.streamOf('ns/a').map((e, i) => ({ ...e, position: String(i) })),
          );
          return switchOver();
        },
      };
    };

    const report = await replayProjection(log, { name: 'metadata', live, apply: foldIntoMetadata }, { pollMs: 1 });

    expect(await live.get('ns/a')).toEqual(foldedFromLog(log, 'ns/a'));
    expect(report).toMatchObject({ rebuilt: 3, tail: 1 });
  });

  it('should give up on a batch that keeps failing, drop the fresh storage and leave the live projection as it was', async () => {
    const log = await logWith(packages, 2);
    const live = new InMemoryMetadataStore();
    const before = packageView('ns/a', [releasePublished({ release: '5.0.0' })]);
    live.seed(before);
    let aborted = false;
    const rebuild = live.rebuild.bind(live);
    live.rebuild = async () => {
      const started = await rebuild();
      return { ...started, abort: async () => ((aborted = true), started.abort()) };
    };
    const failing = async () => {
      throw new Error('disk full');
    };

    await expect(
      replayProjection(log, { name: 'metadata', live, apply: failing }, { maxFailures: 3, pollMs: 1 }),
    ).rejects.toThrow(ReplayFailedError);

    expect(aborted).toBe(true);
    expect(await live.get('ns/a')).toEqual(before);
    expect(await live.get('ns/b')).toBeNull();
  });
});
