/**
 * The package aggregate's OCI artifacts (manifests that are not releases): deciding a manifest
 * PUT, a delete by digest and a tag delete, and folding their events. Part of the package
 * decider (package.decider.ts dispatches here), so an artifact and a release of one repository
 * are decided on one state: a tag that names a helm release cannot also name an artifact.
 */
import { ManifestBlobUnknownError, ManifestUnknownError, PackageExistsError, QuotaExceededError } from '../errors';
import { storedBytesOf } from './package.summary';
import type { DeleteOciManifest, DeleteOciTag, PutOciManifest } from './package.commands';
import type { OciManifestDeleted, OciManifestPushed, OciTagged, OciUntagged, PackageEvent } from './package.events';
import { OciArtifact, PackageView, findManifest, findOciArtifact, findOciTag } from './package.view';

/**
 * `namespaceBytesElsewhere`: what the namespace's other packages hold, measured by the writer
 * when the command carries a quota (as for PushRelease).
 */
export function decidePutOciManifest(
  command: PutOciManifest,
  state: PackageView,
  hadEvents: boolean,
  namespaceBytesElsewhere?: number,
): PackageEvent[] {
  const { artifact, tag, tagNamesRelease: release } = command;
  if (release && findManifest(state, release.release, release.mediaType))
    throw new PackageExistsError(command.package, release.release, release.mediaType);
  for (const child of artifact.manifests)
    if (!findOciArtifact(state, child)) throw new ManifestBlobUnknownError(`sha256:${child}`);
  const events: PackageEvent[] = [];
  const isNew = !findOciArtifact(state, artifact.digest);
  if (isNew) assertArtifactWithinQuota(command, state, namespaceBytesElsewhere);
  if (isNew)
    events.push({
      type: 'OciManifestPushed',
      data: { ...artifact, visibility: hadEvents ? state.visibility : command.visibility },
    });
  if (tag !== null && findOciTag(state, tag)?.digest !== artifact.digest)
    events.push({ type: 'OciTagged', data: { tag, digest: artifact.digest } });
  return events;
}

/** With a quota, a new artifact may grow the namespace up to it and no further (QuotaExceededError). */
function assertArtifactWithinQuota(command: PutOciManifest, state: PackageView, elsewhere: number | undefined): void {
  const quota = command.namespaceQuotaBytes ?? 0;
  const added = command.artifact.storedBytes ?? 0;
  if (quota <= 0 || added <= 0) return;
  if (elsewhere === undefined)
    throw new Error(
      `an OCI push into ${command.package} carries a quota, but its writer did not measure the namespace`,
    );
  const used = elsewhere + storedBytesOf(state);
  if (used + added > quota) throw new QuotaExceededError(state.namespace, quota, used);
}

export function decideDeleteOciManifest(command: DeleteOciManifest, state: PackageView): PackageEvent[] {
  const artifact = findOciArtifact(state, command.digest);
  if (!artifact) throw new ManifestUnknownError(command.package, `sha256:${command.digest}`);
  return [
    {
      type: 'OciManifestDeleted',
      data: { digest: artifact.digest, blobs: artifact.blobs, manifests: artifact.manifests },
    },
  ];
}

export function decideDeleteOciTag(command: DeleteOciTag, state: PackageView): PackageEvent[] {
  if (!findOciTag(state, command.tag)) throw new ManifestUnknownError(command.package, command.tag);
  return [{ type: 'OciUntagged', data: { tag: command.tag } }];
}

type OciEvent = OciManifestPushed | OciManifestDeleted | OciTagged | OciUntagged;

/** Folds one OCI artifact event; `occurredAt` is the event's time. */
export function evolveOci(state: PackageView, e: OciEvent, occurredAt: string): PackageView {
  const artifacts = state.ociArtifacts ?? [];
  switch (e.type) {
    case 'OciManifestPushed': {
      const { visibility, ...data } = e.data;
      const isNew = state.manifests.length === 0 && artifacts.length === 0;
      const artifact: OciArtifact = { ...data, tags: [], createdAt: occurredAt };
      return {
        ...state,
        visibility: isNew ? visibility : state.visibility,
        ociArtifacts: [...artifacts.filter((a) => a.digest !== data.digest), artifact],
      };
    }
    case 'OciManifestDeleted':
      return withArtifacts(
        state,
        artifacts.filter((a) => a.digest !== e.data.digest),
      );
    case 'OciTagged':
      return withArtifacts(
        state,
        artifacts.map((a) => {
          const others = a.tags.filter((t) => t !== e.data.tag);
          return a.digest === e.data.digest ? { ...a, tags: [...others, e.data.tag] } : { ...a, tags: others };
        }),
      );
    case 'OciUntagged':
      return withArtifacts(
        state,
        artifacts.map((a) => ({ ...a, tags: a.tags.filter((t) => t !== e.data.tag) })),
      );
    default: {
      const unknown: never = e;
      return unknown;
    }
  }
}

/** The state with `artifacts`; the field goes when none is left, so the view has the shape it had before. */
function withArtifacts(state: PackageView, artifacts: OciArtifact[]): PackageView {
  if (artifacts.length > 0) return { ...state, ociArtifacts: artifacts };
  const { ociArtifacts: _gone, ...rest } = state;
  return rest;
}
