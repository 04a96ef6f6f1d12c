/**
 * The package as the writer decides and folds most commands: its head and the manifests of the
 * (release, media type)s the commands touch (`touchedRows`), not its whole view. `evolveHead`
 * folds an event into that state as `evolve` folds it into a view, so that the head it gives is
 * the head of the view `evolve` gives (`packageHead(evolve(view, e))`, keys in the same order),
 * and `headChanges` names the rows to write: a push costs the same in a package of one release
 * and of 100,000. Events that need the whole view (OCI artifacts, an import's bulk publish) are
 * folded on the view.
 */
import { manifestBytes, metadataBytes } from './package.summary';
import type { ReleaseDeleted, ReleasePublished, RecordedEvent, PackageEvent } from './package.events';
import type { HeadFields, ManifestChanges, ManifestRow, PackageHead } from './package.head';
import { headRow, indexWith, indexWithout, lastManifestChanges, manifestRowKey } from './package.head';
import { HeadOnlyEvent, applyHeadEvent, manifestPublishedBy, stamped, withoutTombstone } from './package.decider';
import type { ReleaseManifest, ReleaseTombstone } from './package.view';

export interface PackageHeadState {
  head: PackageHead;
  /**
   * The manifests the head holds among the (release, media type)s the commands touch, kept up
   * to date by `evolveHead` (a publication replaces its row, a delete removes it).
   */
  rows: ReleaseManifest[];
}

/** The head a package has before its first event (`packageHead(emptyPackageView(pkg))`). */
export function emptyHeadState(head: PackageHead): PackageHeadState {
  return { head, rows: [] };
}

/** The state after `events`, in order. */
export function evolveHeadAll(state: PackageHeadState, events: readonly RecordedEvent[]): PackageHeadState {
  let next = state;
  for (const event of events) next = evolveHead(next, event);
  return next;
}

export function evolveHead(state: PackageHeadState, event: RecordedEvent): PackageHeadState {
  const { head } = state;
  const { releases, storedBytes, metadataBytes: metaBytes, ...fields } = head;
  const e = { type: event.type, data: event.data } as PackageEvent;
  let next: { fields: HeadFields; index: IndexPart; rows: ReleaseManifest[] };
  const index: IndexPart = { releases, storedBytes, metadataBytes: metaBytes };
  switch (e.type) {
    case 'ReleasePublished':
      next = published(state, fields, index, event as RecordedEvent<ReleasePublished>);
      break;
    case 'ReleaseDeleted':
      next = deleted(state, fields, index, e);
      break;
    case 'ReleaseAddedToChannel':
    case 'ReleaseRemovedFromChannel':
    case 'ChannelDeleted':
    case 'PackageVisibilityChanged':
      next = { fields: applyHeadEvent(fields, e as HeadOnlyEvent), index, rows: state.rows };
      break;
    default:
      throw new Error(`${e.type} is folded on the package's whole view, not on its head`);
  }
  return {
    head: { ...stamped(next.fields, fields, event), ...next.index },
    rows: next.rows,
  };
}

/** What a run of events changed among the rows (as `manifestChanges` on a view), read off the state after them. */
export function headChanges(after: PackageHeadState, events: readonly RecordedEvent[]): ManifestChanges {
  const { wanted, deleted: gone } = lastManifestChanges(events);
  const published: ManifestRow[] = [];
  for (const [key, sequence] of wanted) {
    const manifest = after.rows.find((m) => manifestRowKey(m.release, m.mediaType) === key);
    if (!manifest) throw new Error(`the head state of ${after.head.package} lacks manifests its events published`);
    published.push({ manifest, sequence });
  }
  return { published, deleted: gone };
}

type IndexPart = Pick<PackageHead, 'releases' | 'storedBytes' | 'metadataBytes'>;

function rowOf(state: PackageHeadState, release: string, mediaType: string): ReleaseManifest | undefined {
  return headRow(state.head, state.rows, release, mediaType);
}

function othersThan(rows: ReleaseManifest[], release: string, mediaType: string): ReleaseManifest[] {
  return rows.filter((m) => !(m.release === release && m.mediaType === mediaType));
}

/** As `evolve` folds a ReleasePublished into a view. */
function published(
  state: PackageHeadState,
  fields: HeadFields,
  index: IndexPart,
  event: RecordedEvent<ReleasePublished>,
): { fields: HeadFields; index: IndexPart; rows: ReleaseManifest[] } {
  const { release, mediaType } = event.data;
  const replaced = rowOf(state, release, mediaType);
  const manifest = manifestPublishedBy(event);
  const isNewPackage = index.releases.length === 0;
  return {
    fields: {
      ...withoutTombstone(fields, release, mediaType),
      visibility: isNewPackage ? event.data.visibility : fields.visibility,
      createdAt: isNewPackage ? event.occurredAt : fields.createdAt,
    },
    index: {
      releases: indexWith(index.releases, release, mediaType),
      storedBytes: index.storedBytes + manifestBytes(manifest) - (replaced ? manifestBytes(replaced) : 0),
      metadataBytes:
        index.metadataBytes + metadataBytes(manifest.metadata) - (replaced ? metadataBytes(replaced.metadata) : 0),
    },
    rows: [...othersThan(state.rows, release, mediaType), manifest],
  };
}

/** As `evolve` folds a ReleaseDeleted into a view. */
function deleted(
  state: PackageHeadState,
  fields: HeadFields,
  index: IndexPart,
  e: ReleaseDeleted,
): { fields: HeadFields; index: IndexPart; rows: ReleaseManifest[] } {
  const { release, mediaType, blobDigest } = e.data;
  const gone = rowOf(state, release, mediaType);
  const releases = indexWithout(index.releases, release, mediaType);
  const tombstones: ReleaseTombstone[] = [
    ...(withoutTombstone(fields, release, mediaType).tombstones ?? []),
    { release, mediaType, blobDigest },
  ];
  return {
    fields: { ...fields, tombstones, createdAt: releases.length === 0 ? null : fields.createdAt },
    index: {
      releases,
      storedBytes: index.storedBytes - (gone ? manifestBytes(gone) : 0),
      metadataBytes: index.metadataBytes - (gone ? metadataBytes(gone.metadata) : 0),
    },
    rows: othersThan(state.rows, release, mediaType),
  };
}
