import {
  TEST_PACKAGE,
  addReleaseToChannel,
  commandMeta,
  deleteChannel,
  deleteRelease,
  pushRelease,
  removeReleaseFromChannel,
  testDigest,
} from '@wharf/testing';
import { deepFreeze } from '@wharf/contracts';
import type { PackageCommand } from './package.commands';
import type { PackageEvent, RecordedEvent } from './package.events';
import { decide, evolve, touchedRows } from './package.decider';
import { builtHelmManifest } from '../oci/helm-oci';
import { helmDigestOfRow, helmReleaseOfDigest, manifestChanges, packageHead } from './package.head';
import { PackageHeadState, evolveHead, evolveHeadAll, headChanges } from './package.head-state';
import { PackageView, emptyPackageView, findManifest } from './package.view';

/**
 * A deterministic stream of the commands decided on heads: pushes (forced or not, with metadata),
 * deletes (mostly of a (release, media type) pushed earlier in the stream, so that many succeed),
 * channels, visibility.
 */
function commands(seed: number, length: number): PackageCommand[] {
  // mulberry32: the low bits of a power-of-two LCG cycle with a short period, which tied each
  // draw to the ones before it (no delete ever named a release the stream had pushed).
  let x = seed >>> 0;
  const next = (n: number) => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) >>> 0;
  };
  const pushed: { release: string; mediaType: string }[] = [];
  const added: { channel: string; release: string }[] = [];
  // Pre-releases and build metadata: the release index's order is SemVer precedence, then text.
  const releases = ['1.0.0', '1.0.0-rc.1', '1.0.0+b2', '1.0.0+b10', '2.0.0', '0.9.1', '1.10.0', '1.2.0-alpha'];
  const out: PackageCommand[] = [];
  for (let i = 0; i < length; i++) {
    const release = releases[next(releases.length)]!;
    const mediaType = next(4) === 0 ? 'kpm' : 'helm';
    const meta = { commandId: `c-${seed}-${i}`, issuedAt: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z` };
    const roll = next(12);
    if (roll < 6) {
      pushed.push({ release, mediaType });
      out.push(
        pushRelease({
          release,
          mediaType,
          force: next(2) === 0,
          allowOverwrites: next(5) !== 0,
          metadata: next(3) === 0 ? { notes: 'x'.repeat(next(40)) } : null,
          maxPackageMetadataBytes: next(4) === 0 ? 120 : undefined,
          namespaceQuotaBytes: next(4) === 0 ? 900 : undefined,
          visibility: next(3) === 0 ? 'private' : 'public',
          visibilityRequested: next(4) === 0,
          content: {
            blobDigest: testDigest(`${seed}-${i}`),
            size: 100 + next(50),
            ...(next(3) === 0 ? { provenanceDigest: testDigest(`p${i}`), provenanceSize: 7 } : {}),
            // A chart's OCI manifest: built from its metadata, or the one a client pushed (by the
            // command's place, not the stream, which would change every other draw).
            chart: i % 4 === 3 ? null : { apiVersion: 'v2', name: 'app1', version: release, appVersion: `${i}` },
            ...((seed + i) % 3 === 0
              ? { oci: { manifestDigest: testDigest(`m${i}`), configDigest: testDigest(`c${i}`) } }
              : {}),
          },
          meta,
        }),
      );
    } else if (roll < 8) {
      const target = pushed.length > 0 && next(4) !== 0 ? pushed[next(pushed.length)]! : { release, mediaType };
      out.push(deleteRelease({ ...target, meta }));
    } else if (roll < 10) {
      const channel = `c${next(2)}`;
      added.push({ channel, release });
      out.push(addReleaseToChannel({ channel, release, meta }));
    } else if (roll < 11) {
      const target =
        added.length > 0 && next(4) !== 0 ? added[next(added.length)]! : { channel: `c${next(2)}`, release };
      out.push(removeReleaseFromChannel({ ...target, meta }));
    } else if (next(2) === 0) out.push(deleteChannel({ channel: `c${next(2)}`, meta }));
    else
      out.push({
        type: 'SetVisibility',
        package: TEST_PACKAGE,
        visibility: next(2) === 0 ? 'private' : 'public',
        meta: commandMeta(meta),
      });
  }
  return out;
}

/** The head state a writer loads for `command`: the view's head and the view's manifests the command touches. */
function loaded(view: PackageView, command: PackageCommand): PackageHeadState {
  const rows = touchedRows(command)
    .map((t) => findManifest(view, t.release, t.mediaType))
    .filter((m) => m !== undefined);
  return { head: packageHead(view), rows };
}

function outcome(run: () => PackageEvent[]): { events: PackageEvent[] } | { refused: string } {
  try {
    return { events: run() };
  } catch (error) {
    return { refused: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  }
}

describe('deciding and folding on a head and the rows a command touches', () => {
  it('decides as on the whole view, and folds to the head of the view evolve folds, keys in the same order', () => {
    let decisions = 0;
    const applied = new Map<string, number>();
    for (let seed = 1; seed <= 150; seed++) {
      let view = emptyPackageView(TEST_PACKAGE);
      let sequence = 0;
      for (const command of commands(seed, 50)) {
        const context = { namespaceBytesElsewhere: 300 };
        const onView = outcome(() => decide(command, view, context));
        let state = deepFreeze(loaded(view, command));
        expect(outcome(() => decide(command, state, context))).toEqual(onView);
        decisions++;
        if (!('events' in onView)) continue;
        applied.set(command.type, (applied.get(command.type) ?? 0) + 1);
        const recordedEvents: RecordedEvent[] = onView.events.map((e) => ({
          ...e,
          package: TEST_PACKAGE,
          sequence: ++sequence,
          occurredAt: `2026-01-02T00:00:${String(sequence % 60).padStart(2, '0')}.000Z`,
          causationId: command.meta.commandId,
        }));
        const after = recordedEvents.reduce(evolve, view);
        state = evolveHeadAll(state, recordedEvents);
        expect(JSON.stringify(state.head)).toBe(JSON.stringify(packageHead(after)));
        expect(headChanges(state, recordedEvents)).toEqual(manifestChanges(after, recordedEvents));
        view = after;
      }
    }
    expect(decisions).toBe(150 * 50);
    // Each kind of command is decided and folded both ways many times, not only refused.
    expect(applied.get('PushRelease') ?? 0).toBeGreaterThan(1000);
    for (const type of ['DeleteRelease', 'AddReleaseToChannel', 'SetVisibility'])
      expect(applied.get(type) ?? 0).toBeGreaterThan(200);
    for (const type of ['RemoveReleaseFromChannel', 'DeleteChannel'])
      expect(applied.get(type) ?? 0).toBeGreaterThan(50);
  });

  it('refuses to decide or fold a release it was not given the row of', () => {
    const pushed = deepFreeze(
      evolve(emptyPackageView(TEST_PACKAGE), {
        type: 'ReleasePublished',
        data: { ...(decide(pushRelease({ release: '1.0.0' }), emptyPackageView(TEST_PACKAGE))[0]!.data as object) },
        package: TEST_PACKAGE,
        sequence: 1,
        occurredAt: '2026-01-01T00:00:00.000Z',
        causationId: 'c1',
      } as RecordedEvent),
    );
    const withoutRow: PackageHeadState = { head: packageHead(pushed), rows: [] };
    expect(() => decide(pushRelease({ release: '1.0.0', force: true }), withoutRow)).toThrow(/was not loaded/);
    expect(() =>
      evolveHead(withoutRow, {
        type: 'ReleaseDeleted',
        data: { release: '1.0.0', mediaType: 'helm', apprDigest: 'a', blobDigest: 'b' },
        package: TEST_PACKAGE,
        sequence: 2,
        occurredAt: '2026-01-01T00:00:01.000Z',
        causationId: 'c2',
      }),
    ).toThrow(/was not loaded/);
  });

  describe('the index of helm manifest digests', () => {
    /** Decides `command` on the head state and on the view, folds both, and checks they agree. */
    const step = (at: { view: PackageView; state: PackageHeadState }, command: PackageCommand) => {
      const events = decide(command, at.view).map((e, i) => ({
        ...e,
        package: TEST_PACKAGE,
        sequence: at.view.sequence + i + 1,
        occurredAt: '2026-01-02T00:00:00.000Z',
        causationId: command.meta.commandId,
      })) as RecordedEvent[];
      const view = events.reduce(evolve, at.view);
      const state = evolveHeadAll({ head: at.state.head, rows: at.view.manifests }, events);
      return { view, state };
    };
    const chart = (version: string, appVersion: string) => ({ apiVersion: 'v2', name: 'app1', version, appVersion });
    const pushedOverOci = { manifestDigest: testDigest('manifest-2'), configDigest: testDigest('config-2') };
    const commandsOfHistory = (): PackageCommand[] => [
      pushRelease({ release: '1.0.0', content: { chart: chart('1.0.0', 'a') }, meta: { commandId: 'h1' } }),
      pushRelease({
        release: '2.0.0',
        content: { chart: chart('2.0.0', 'a'), oci: pushedOverOci },
        meta: { commandId: 'h2' },
      }),
      pushRelease({ release: '1.0.0', mediaType: 'kpm', meta: { commandId: 'h3' } }),
      pushRelease({ release: '3.0.0', meta: { commandId: 'h4' } }), // no chart metadata: no manifest served
      pushRelease({
        release: '1.0.0',
        force: true,
        content: { chart: chart('1.0.0', 'b') },
        meta: { commandId: 'h5' },
      }),
      deleteRelease({ release: '2.0.0', meta: { commandId: 'h6' } }),
    ];
    const empty = (): { view: PackageView; state: PackageHeadState } => ({
      view: emptyPackageView(TEST_PACKAGE),
      state: { head: packageHead(emptyPackageView(TEST_PACKAGE)), rows: [] },
    });

    it('finds each helm release by the digest of the manifest it is served with, among names a republish or a delete left behind', () => {
      let at = empty();
      const built = (release: string) => builtHelmManifest(findManifest(at.view, release, 'helm')!)!.manifest.digest;
      // A store's records: every release ever named under a digest, none ever removed.
      const named = new Map<string, Set<string>>();
      const find = (digest: string) =>
        helmReleaseOfDigest(
          at.state.head,
          [...(named.get(digest) ?? [])],
          digest,
          (release) => findManifest(at.view, release, 'helm') ?? null,
        )?.release ?? null;
      const seen: Record<string, string | null>[] = [];
      for (const command of commandsOfHistory()) {
        const before = at.view.manifests.find((m) => m.release === '1.0.0' && m.mediaType === 'helm');
        at = step(at, command);
        expect(JSON.stringify(at.state.head)).toBe(JSON.stringify(packageHead(at.view)));
        for (const m of at.view.manifests) {
          const entry = helmDigestOfRow(m);
          if (entry) named.set(entry.digest, new Set([...(named.get(entry.digest) ?? []), entry.release]));
        }
        seen.push({
          first: find(built('1.0.0')),
          replaced: before && command.meta.commandId === 'h5' ? find(builtHelmManifest(before)!.manifest.digest) : null,
          pushed: find(pushedOverOci.manifestDigest),
        });
      }
      expect(seen.map((s) => s.first)).toEqual(['1.0.0', '1.0.0', '1.0.0', '1.0.0', '1.0.0', '1.0.0']);
      expect(seen[4]!.replaced).toBeNull(); // the manifest before the republish is no longer served
      expect(seen.map((s) => s.pushed)).toEqual([null, '2.0.0', '2.0.0', '2.0.0', '2.0.0', null]);
      expect(at.state.head).not.toHaveProperty('helmManifestDigests');
    });
  });
});
