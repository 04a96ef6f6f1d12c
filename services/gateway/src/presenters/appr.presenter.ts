/**
 * The App Registry's JSON shapes (reference server §1.3), built from package views. Every
 * response body of the appr API is made here, so the wire format lives in one file.
 */
import {
  PackageSummary,
  PackageView,
  ReleaseManifest,
  channelsPointingAt,
  contentMediaType,
  manifestMediaType,
  sortReleasesDescending,
} from '@wharf/domain';

export function manifestJson(view: PackageView, m: ReleaseManifest) {
  return {
    package: view.package,
    release: m.release,
    created_at: m.createdAt,
    mediaType: manifestMediaType(m.mediaType),
    metadata: m.metadata,
    content: { digest: m.apprDigest, mediaType: contentMediaType(m.mediaType), size: m.size, urls: [] as string[] },
  };
}

/** The single-manifest form also lists the channels whose current release it is. */
export function manifestWithChannelsJson(view: PackageView, m: ReleaseManifest) {
  return { ...manifestJson(view, m), channels: channelsPointingAt(view, m.release) };
}

export function listEntryJson(summary: PackageSummary, mediaType?: string) {
  const releases = summary.releases.filter((r) => mediaType === undefined || r.mediaTypes.includes(mediaType));
  const head = releases[0];
  return {
    name: summary.package,
    namespace: summary.namespace,
    default: head?.release ?? null,
    releases: releases.map((r) => r.release),
    manifests: mediaType !== undefined ? [mediaType] : (head?.mediaTypes ?? []),
    visibility: summary.visibility,
    created_at: summary.createdAt,
    updated_at: summary.updatedAt,
  };
}

export function channelJson(channel: { name: string; current: string; releases: string[] }) {
  return { name: channel.name, current: channel.current, releases: sortReleasesDescending(channel.releases) };
}

export function pullFilename(view: PackageView, release: string): string {
  return `${view.namespace}_${view.name}_${release}.tar.gz`;
}

export function pullJson(view: PackageView, m: ReleaseManifest, blob: Buffer) {
  return { package: view.package, release: m.release, media_type: m.mediaType, filename: pullFilename(view, m.release), blob: blob.toString('base64') };
}

export function blobFilename(view: PackageView, digest: string): string {
  return `${view.namespace}_${view.name}_${digest.slice(0, 8)}.tar.gz`;
}

export function blobJson(view: PackageView, digest: string, blob: Buffer) {
  return { package: view.package, release: digest, filename: blobFilename(view, digest), blob: blob.toString('base64') };
}
