/**
 * The PackageCommands contract (libs/ports/src/package-commands.port.ts), run unchanged against
 * every way the gateway reaches a package's writer:
 *
 *   describePackageCommandsContract('commands-kafka', async () => ({ subject, read, seed, cleanup }));
 *
 * The subject is the caller's end (the writer itself in-process, the Kafka client with a writer
 * behind the Kafka server); `read` is what the gateway's reads see (the metadata store). Each test
 * uses packages of its own; teardown checks the subject waits for no reply any more.
 */
import { PackageCommand, PackageEvent, PackageView, WharfError, releaseNames } from '@wharf/domain';
import type { PackageCommands } from '@wharf/ports';
import {
  addReleaseToChannel,
  commandMeta,
  deleteChannel,
  importReleases,
  importedRelease,
  pushRelease,
  testDigest,
} from '../decider-spec';
import { ContractFixture, ContractOptions, uniqueName, useContractFixture } from './contract-fixture';
import { releasePublished } from './contract-data.factory';

export interface PackageCommandsFixture extends ContractFixture<PackageCommands & { close(): Promise<void> }> {
  /** The package as the gateway's reads see it now (null: no such package). */
  read(pkg: string): Promise<PackageView | null>;
  /** Writes `events` as `pkg`'s history (the log and the store, the writer bypassed): a fresh package only. */
  seed(pkg: string, events: PackageEvent[]): Promise<void>;
  /** Commands the subject still waits an answer for (absent: it keeps none); checked to be 0 after each test. */
  awaitingReplies?(): number;
}

/** Releases enough that the package's view is larger than a Kafka message (1 MB by default). */
const RELEASES_OVER_ONE_MB = 4_000;

export function describePackageCommandsContract(
  name: string,
  factory: () => Promise<PackageCommandsFixture>,
  options: ContractOptions = {},
): void {
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`PackageCommands contract: ${name}`, () => {
    const ctx = useContractFixture(factory, timeout, async (fixture) => {
      if (fixture.awaitingReplies) expect(fixture.awaitingReplies()).toBe(0);
    });
    const commands = () => ctx.fixture.subject;
    const read = async (pkg: string) => (await ctx.fixture.read(pkg))!;
    const freshPackage = () => `${uniqueName('n')}/app`;
    let ids = 0;
    const meta = () => ({ meta: commandMeta({ commandId: `${uniqueName('cmd')}-${++ids}` }) });

    async function refusal(command: PackageCommand): Promise<unknown> {
      return commands()
        .execute(command)
        .then(
          () => null,
          (error: unknown) => error,
        );
    }

    it(
      'should resolve a push only once a read shows it, with the sequences of its events and the visibility',
      async () => {
        const pkg = freshPackage();

        const result = await commands().execute(pushRelease({ package: pkg, release: '1.0.0', ...meta() }));

        expect(result).toEqual({ sequences: [1], visibility: 'public' });
        const view = await read(pkg);
        expect(view.sequence).toBe(1);
        expect(releaseNames(view)).toEqual(['1.0.0']);
      },
      timeout,
    );

    it(
      'should carry the OCI artifact commands: a manifest put with its tag, the tag deleted, the manifest deleted',
      async () => {
        const pkg = freshPackage();
        const digest = testDigest(`manifest:${pkg}`);
        const artifact = {
          digest,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          size: 100,
          blobs: [testDigest(`config:${pkg}`)],
          manifests: [],
          storedBytes: 150,
        };

        const put = await commands().execute({
          type: 'PutOciManifest',
          package: pkg,
          artifact,
          tag: 'latest',
          tagNamesRelease: null,
          visibility: 'public',
          ...meta(),
        });
        expect(put.sequences).toEqual([1, 2]);
        expect((await read(pkg)).ociArtifacts).toMatchObject([{ digest, tags: ['latest'] }]);

        await commands().execute({ type: 'DeleteOciTag', package: pkg, tag: 'latest', ...meta() });
        expect((await read(pkg)).ociArtifacts).toMatchObject([{ digest, tags: [] }]);
        await commands().execute({ type: 'DeleteOciManifest', package: pkg, digest, ...meta() });
        expect((await read(pkg)).ociArtifacts).toBeUndefined();
      },
      timeout,
    );

    it(
      "should continue the package's stream: a command's sequences follow the package's last",
      async () => {
        const pkg = freshPackage();
        await ctx.fixture.seed(pkg, [releasePublished({ release: '1.0.0' }), releasePublished({ release: '1.1.0' })]);

        const first = await commands().execute(pushRelease({ package: pkg, release: '2.0.0', ...meta() }));
        const second = await commands().execute(pushRelease({ package: pkg, release: '3.0.0', ...meta() }));

        expect([first.sequences, second.sequences]).toEqual([[3], [4]]);
        expect(releaseNames(await read(pkg)).sort()).toEqual(['1.0.0', '1.1.0', '2.0.0', '3.0.0']);
      },
      timeout,
    );

    it(
      "should reject a refused command with the decider's typed error (code and details), and change nothing",
      async () => {
        const pkg = freshPackage();
        await commands().execute(pushRelease({ package: pkg, release: '1.0.0', ...meta() }));

        const error = await refusal(pushRelease({ package: pkg, release: '1.0.0', ...meta() }));

        expect(error).toBeInstanceOf(WharfError);
        expect(error).toMatchObject({
          code: 'package-exists',
          details: { package: pkg, release: '1.0.0', media_type: 'helm' },
        });
        expect((await read(pkg)).sequence).toBe(1);
      },
      timeout,
    );

    it(
      'should answer a command sent again (same command id) without appending it again',
      async () => {
        const pkg = freshPackage();
        const push = pushRelease({ package: pkg, release: '1.0.0', ...meta() });
        await commands().execute(push);

        const again = await commands().execute(push);

        expect(again).toEqual({ sequences: [], visibility: 'public' });
        expect((await read(pkg)).sequence).toBe(1);
      },
      timeout,
    );

    it(
      'should answer a channel command with the channel after it, null once the channel is gone, and SetVisibility with the visibility',
      async () => {
        const pkg = freshPackage();
        await commands().execute(pushRelease({ package: pkg, release: '1.0.0', ...meta() }));

        const added = await commands().execute(
          addReleaseToChannel({ package: pkg, channel: 'stable', release: '1.0.0', ...meta() }),
        );
        const deleted = await commands().execute(deleteChannel({ package: pkg, channel: 'stable', ...meta() }));
        const hidden = await commands().execute({
          type: 'SetVisibility',
          package: pkg,
          visibility: 'private',
          ...meta(),
        });

        expect(added).toEqual({
          sequences: [2],
          visibility: 'public',
          channel: { name: 'stable', current: '1.0.0', releases: ['1.0.0'] },
        });
        expect(deleted).toEqual({ sequences: [3], visibility: 'public', channel: null });
        expect(hidden).toEqual({ sequences: [4], visibility: 'private' });
        expect((await read(pkg)).visibility).toBe('private');
      },
      timeout,
    );

    it(
      'should answer each of many commands in flight at once with its own result',
      async () => {
        const packages = Array.from({ length: 6 }, freshPackage);
        const sent = packages.flatMap((pkg, i) => [
          pushRelease({ package: pkg, release: '1.0.0', ...meta() }),
          pushRelease({ package: pkg, release: i % 2 === 0 ? '1.0.0' : '2.0.0', ...meta() }),
        ]);

        const outcomes = await Promise.all(
          sent.map((command) =>
            commands()
              .execute(command)
              .then(
                (r) => r.sequences,
                (e: WharfError) => e.code,
              ),
          ),
        );

        // Per package, one of the two pushes of 1.0.0 was refused (either may arrive first); 2.0.0 follows 1.0.0.
        packages.forEach((_, i) => {
          const mine = outcomes.slice(2 * i, 2 * i + 2);
          if (i % 2 === 0) expect([...mine].sort()).toEqual([[1], 'package-exists'].sort());
          else expect([...mine].sort()).toEqual([[1], [2]]);
        });
        for (const [i, pkg] of packages.entries())
          expect(releaseNames(await read(pkg)).sort()).toEqual(i % 2 === 0 ? ['1.0.0'] : ['1.0.0', '2.0.0']);
      },
      timeout,
    );

    it(
      'should answer an import with what it published, skipped and found in conflict, and append only the new releases',
      async () => {
        const pkg = freshPackage();
        await commands().execute(pushRelease({ package: pkg, release: '1.0.0', ...meta() }));
        await commands().execute(pushRelease({ package: pkg, release: '1.1.0', ...meta() }));
        const other = importedRelease({ release: '1.1.0', content: { blobDigest: testDigest('other') } });

        const result = await commands().execute(
          importReleases(['1.0.0', other, '2.0.0', '3.0.0'], {
            package: pkg,
            channels: [{ name: 'stable', releases: ['2.0.0', '3.0.0'], current: '2.0.0' }],
            ...meta(),
          }),
        );
        const again = await commands().execute(importReleases(['2.0.0', '3.0.0'], { package: pkg, ...meta() }));

        expect(result).toEqual({
          sequences: [3, 4, 5, 6, 7],
          visibility: 'public',
          import: {
            imported: 2,
            skipped: 1,
            conflicts: [
              {
                release: '1.1.0',
                mediaType: 'helm',
                heldBlobDigest: pushRelease({ release: '1.1.0' }).content.blobDigest,
                importedBlobDigest: testDigest('other'),
              },
            ],
          },
        });
        expect(again).toEqual({
          sequences: [],
          visibility: 'public',
          import: { imported: 0, skipped: 2, conflicts: [] },
        });
        const view = await read(pkg);
        expect(view.sequence).toBe(7);
        expect(releaseNames(view).sort()).toEqual(['1.0.0', '1.1.0', '2.0.0', '3.0.0']);
        expect(view.manifests.find((m) => m.release === '1.1.0')!.blobDigest).not.toBe(testDigest('other'));
        expect(view.channels).toEqual([{ name: 'stable', current: '2.0.0', releases: ['2.0.0', '3.0.0'] }]);
      },
      timeout,
    );

    it(
      'should answer a command into a package whose view is larger than a Kafka message (1 MB)',
      async () => {
        const pkg = freshPackage();
        await ctx.fixture.seed(
          pkg,
          Array.from({ length: RELEASES_OVER_ONE_MB }, (_, i) => releasePublished({ release: `1.${i}.0` })),
        );
        expect(JSON.stringify(await read(pkg)).length).toBeGreaterThan(1024 * 1024);

        const result = await commands().execute(pushRelease({ package: pkg, release: '9.0.0', ...meta() }));

        expect(result).toEqual({ sequences: [RELEASES_OVER_ONE_MB + 1], visibility: 'public' });
        expect(releaseNames(await read(pkg))).toContain('9.0.0');
      },
      Math.max(timeout, 60_000),
    );
  });
}
