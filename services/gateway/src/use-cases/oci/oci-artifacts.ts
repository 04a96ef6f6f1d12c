/**
 * The OCI view of one package's helm releases (docs/architecture.md, "OCI distribution"): which
 * manifest a tag or digest names, and which blobs a repository holds. Pure over the view, but
 * for the bytes of manifests a client pushed, which are blobs.
 */
import {
  HELM_MEDIA_TYPE,
  HelmReleaseManifest,
  OCI_IMAGE_MANIFEST,
  OciArtifact,
  PackageView,
  ReleaseManifest,
  builtHelmManifest,
  findChannel,
  findManifest,
  findOciArtifact,
  findOciTag,
  helmManifestKeyOf,
  helmReleaseManifestOf,
  isOciDigestReference,
  isReleaseTag,
  parseAnyOciDigest,
  releaseOfTag,
  tagOfRelease,
} from '@wharf/domain';

/** A helm release as an OCI artifact: its manifest's digest, and how to get its bytes (HelmReleaseManifest). */
export interface HelmArtifact extends HelmReleaseManifest {
  release: ReleaseManifest;
}

export function helmReleasesOf(view: PackageView): ReleaseManifest[] {
  return view.manifests.filter((m) => m.mediaType === HELM_MEDIA_TYPE);
}

/**
 * The manifest and config built for a release, once per manifest object: the stores hand out the
 * same object while the head is at the same sequence (a kept row, a cached view) and never
 * change it, so a hot tag or digest does not serialise and hash its manifest on every request.
 */
function builtOnce(release: ReleaseManifest): ReturnType<typeof builtHelmManifest> {
  let built = builtByRelease.get(release);
  if (built === undefined) builtByRelease.set(release, (built = builtHelmManifest(release)));
  return built;
}
const builtByRelease = new WeakMap<ReleaseManifest, ReturnType<typeof builtHelmManifest>>();

/** The release's manifest by the domain's rule (helmReleaseManifestOf), built at most once per manifest object. */
export function artifactOf(release: ReleaseManifest): HelmArtifact | null {
  const manifest = helmReleaseManifestOf(release, builtOnce);
  return manifest && { release, ...manifest };
}

/** The artifact a tag (a release, `+` as `_`, or a channel's name) or a digest names; null for none (charts have sha256 digests only). */
export function findArtifact(view: PackageView, reference: string): HelmArtifact | null {
  if (isOciDigestReference(reference)) {
    const key = helmManifestKeyOf(parseAnyOciDigest(reference));
    if (key === null) return null;
    for (const release of helmReleasesOf(view)) {
      const artifact = artifactOf(release);
      if (artifact?.manifestDigest === key) return artifact;
    }
    return null;
  }
  const releaseName = isReleaseTag(reference) ? releaseOfTag(reference) : findChannel(view, reference)?.current;
  const release = releaseName === undefined ? undefined : findManifest(view, releaseName, HELM_MEDIA_TYPE);
  return release ? artifactOf(release) : null;
}

/** The OCI artifact (not a release) a tag or digest (sha256, or a sha512 it was pushed by) names; undefined for none. */
export function findOtherArtifact(view: Pick<PackageView, 'ociArtifacts'>, reference: string): OciArtifact | undefined {
  if (!isOciDigestReference(reference)) return findOciTag(view, reference);
  const digest = parseAnyOciDigest(reference);
  if (digest.algorithm === 'sha256') return findOciArtifact(view, digest.hex);
  const key = aliasKeyIn(view, digest.text);
  return key === null ? undefined : findOciArtifact(view, key);
}

/**
 * The sha256 (hex) of the content a sha512 digest names in the repository, by what its artifacts
 * recorded (`aliases`: their own digests, their blobs', their entries'); null when none names it.
 */
export function aliasKeyIn(view: Pick<PackageView, 'ociArtifacts'>, digest: string): string | null {
  for (const artifact of view.ociArtifacts ?? [])
    for (const alias of artifact.aliases ?? []) if (alias.digest === digest) return alias.key;
  return null;
}

/** The tags of the repository: its helm releases' (`+` as `_`) and its OCI artifacts'. */
export function tagsOf(view: PackageView): string[] {
  return [
    ...helmReleasesOf(view).map((m) => tagOfRelease(m.release)),
    ...(view.ociArtifacts ?? []).flatMap((a) => a.tags),
  ];
}

/** A blob of the repository: where its bytes are (in memory, or in the blob store) and its size when known. */
export type RepositoryBlob =
  | { digest: string; bytes: Buffer }
  | {
      digest: string;
      stored: true;
      size: number | null;
      mediaType?: string;
      /** The helm release whose chart layer this is: fetching it is a pull of that release. */
      chartOf?: string;
    };

/**
 * A blob the package's helm releases reference: a chart layer, a provenance file, a pushed
 * manifest or config, or a built config. Null for any other digest, so a repository never
 * serves another package's bytes.
 */
export function findRepositoryBlob(view: PackageView, hex: string): RepositoryBlob | null {
  for (const release of helmReleasesOf(view)) {
    if (release.blobDigest === hex) return { digest: hex, stored: true, size: release.size, chartOf: release.release };
    if (release.provenanceDigest === hex) return { digest: hex, stored: true, size: release.provenanceSize ?? null };
    if (release.oci && (release.oci.configDigest === hex || release.oci.manifestDigest === hex))
      return { digest: hex, stored: true, size: null };
    const built = release.oci ? null : builtOnce(release);
    if (built?.config.digest === hex) return { digest: hex, bytes: built.config.bytes };
    if (built?.manifest.digest === hex) return { digest: hex, bytes: built.manifest.bytes };
  }
  for (const artifact of view.ociArtifacts ?? [])
    if (artifact.digest === hex || artifact.blobs.includes(hex)) return { digest: hex, stored: true, size: null };
  return null;
}

/** A manifest to answer: its bytes (or a stream of them), length, digest and media type. */
export interface ManifestToSend {
  /** `<algorithm>:<hex>`: the one it was asked by, or its sha256. */
  digest: string;
  mediaType: string;
  size: number;
  body: Buffer;
}

export const HELM_MANIFEST_MEDIA_TYPE = OCI_IMAGE_MANIFEST;
