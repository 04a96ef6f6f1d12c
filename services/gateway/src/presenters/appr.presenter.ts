/**
 * The App Registry's JSON shapes (reference server §1.3), built from package views or heads. Every
 * response body of the appr API is made here, so the wire format lives in one file.
 */
import { Readable } from 'node:stream';
import {
  HeadFields,
  PackageSummary,
  ReleaseManifest,
  channelsPointingAt,
  contentMediaType,
  manifestMediaType,
  sortReleasesDescending,
} from '@wharf/domain';

export function manifestJson(view: HeadFields, m: ReleaseManifest) {
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
export function manifestWithChannelsJson(view: HeadFields, m: ReleaseManifest) {
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

export function pullFilename(view: HeadFields, release: string): string {
  return `${view.namespace}_${view.name}_${release}.tar.gz`;
}

/** A JSON pull: the release's fields, then the archive in base64 (`withBase64Blob`). */
export function pullJson(view: HeadFields, m: ReleaseManifest, blob: Buffer | Readable) {
  return withBase64Blob(
    { package: view.package, release: m.release, media_type: m.mediaType, filename: pullFilename(view, m.release) },
    blob,
    m.size,
  );
}

export function blobFilename(view: HeadFields, digest: string): string {
  return `${view.namespace}_${view.name}_${digest.slice(0, 8)}.tar.gz`;
}

export function blobJson(view: HeadFields, m: ReleaseManifest, digest: string, blob: Buffer | Readable) {
  return withBase64Blob({ package: view.package, release: digest, filename: blobFilename(view, digest) }, blob, m.size);
}

/** A JSON body sent as a stream of text of a known length. */
export interface StreamedJson {
  stream: Readable;
  length: number;
}

/**
 * `fields` plus `blob`, the archive in base64, as the last member: one object for bytes already
 * in memory; for a stream (a blob too large for the blob cache), the same JSON text streamed,
 * encoded as the bytes arrive, so neither the blob nor its base64 is ever held whole. `size` is
 * the blob's length, from its release, which gives the text's length.
 */
export function withBase64Blob<T extends object>(
  fields: T,
  blob: Buffer | Readable,
  size: number,
): (T & { blob: string }) | StreamedJson {
  if (Buffer.isBuffer(blob)) return { ...fields, blob: blob.toString('base64') };
  const head = `${JSON.stringify(fields).slice(0, -1)},"blob":"`;
  const tail = '"}';
  return {
    stream: Readable.from(base64Json(head, blob, tail)),
    length: Buffer.byteLength(head) + Math.ceil(size / 3) * 4 + tail.length,
  };
}

async function* base64Json(head: string, blob: Readable, tail: string): AsyncIterable<string> {
  yield head;
  // base64 encodes 3 bytes at a time: a chunk's last 1-2 bytes wait for the next chunk.
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of blob as AsyncIterable<Buffer>) {
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const whole = bytes.length - (bytes.length % 3);
    yield bytes.subarray(0, whole).toString('base64');
    carry = bytes.subarray(whole);
  }
  yield carry.toString('base64') + tail;
}
