/**
 * Shared vocabulary of the e2e suites: namespaces, paths, pushes, the reference seed, the appr
 * digest rule, the "nothing stored" check and polling for eventually consistent reads.
 *
 * Every suite works in namespaces it made up itself, so files can share one server; nothing
 * here assumes an empty registry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { chartArchive } from '@wharf/testing';
import { cnr, exclusively, expectError, root, type HttpClient, type HttpResponse } from '../../support/http-client';
import type { ListEntry, Manifest, Stats } from './appr.types';

/** A namespace no other test file (or earlier run) uses. */
export function uniqueNamespace(label = 'e2e'): string {
  return `${label}-${randomBytes(5).toString('hex')}`;
}

export function uniqueToken(label = 'zz'): string {
  return `${label}${randomBytes(6).toString('hex')}`;
}

/** `/api/v1/packages/{ns}/{name}[/segment...]`, each segment percent-encoded. */
export function packagePath(ns: string, name: string, ...segments: string[]): string {
  return ['/api/v1/packages', ns, name, ...segments].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}

/** appr-api.md §2.4: lowercase hex sha256 of the gunzipped tar, not of the .tar.gz bytes. */
export function apprDigest(archive: Buffer): string {
  return createHash('sha256').update(gunzipSync(archive)).digest('hex');
}

export const manifestMediaType = (type: string): string => `application/vnd.cnr.package-manifest.${type}.v0.json`;
export const contentMediaType = (type: string): string => `application/vnd.cnr.package.${type}.v0.tar+gzip`;

/** ISO-8601 date-time, with or without fraction and zone. */
export const isoDateTime = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/);

/** The manifest object of §1.3 for an archive pushed as `release`/`mediaType`. */
export function expectedManifest(
  pkg: string,
  release: string,
  mediaType: string,
  archive: Buffer,
  extra: { channels?: string[]; metadata?: unknown } = {},
): Record<string, unknown> {
  return {
    package: pkg,
    release,
    created_at: isoDateTime,
    mediaType: manifestMediaType(mediaType),
    metadata: extra.metadata ?? null,
    content: { digest: apprDigest(archive), mediaType: contentMediaType(mediaType), size: archive.length, urls: [] },
    ...(extra.channels ? { channels: extra.channels } : {}),
  };
}

/** Channel lists come in no promised order; compare them as sets. */
export function withSortedChannels<T extends Pick<Manifest, 'channels'>>(manifest: T): T {
  return manifest.channels ? { ...manifest, channels: [...manifest.channels].sort() } : manifest;
}

export interface PushInput {
  release: string;
  mediaType?: string;
  archive: Buffer;
  metadata?: unknown;
  /** Sent as the body's `force` field, verbatim (a string or, to prove it is ignored, a boolean). */
  force?: unknown;
}

export function pushBody(input: PushInput): Record<string, unknown> {
  return {
    release: input.release,
    ...(input.mediaType === undefined ? {} : { media_type: input.mediaType }),
    blob: input.archive.toString('base64'),
    ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
    ...(input.force === undefined ? {} : { force: input.force }),
  };
}

export function push(
  ns: string,
  name: string,
  input: PushInput,
  client: HttpClient = cnr,
  query?: Record<string, string>,
): Promise<HttpResponse> {
  return client.post(packagePath(ns, name), pushBody(input), { query });
}

/** Pushes and asserts the 200 `{"status":"ok"}` acknowledgement. */
export async function pushOk(ns: string, name: string, input: PushInput, client: HttpClient = cnr): Promise<void> {
  const res = await push(ns, name, input, client);
  expect({ status: res.status, body: res.text() }).toEqual({ status: 200, body: expect.any(String) });
  expect(res.json()).toEqual({ status: 'ok' });
}

/** A chart archive whose bytes and digest differ per (name, release, salt). */
export function archiveFor(name: string, release: string, salt = ''): Buffer {
  return chartArchive({ name, version: release, salt: `${name}@${release}/${salt}` });
}

export interface SeededRelease {
  release: string;
  mediaType: string;
  archive: Buffer;
  digest: string;
}

export interface RocketchatSeed {
  ns: string;
  name: 'rocketchat';
  /** `ns/rocketchat` */
  pkg: string;
  path(...segments: string[]): string;
  release(release: string, mediaType: string): SeededRelease;
}

/**
 * The reference suite's backup1.json, through HTTP: `rocketchat` with kpm 0.0.1/1.0.1/2.0.1 and
 * helm 0.0.1; channel dev holds 1.0.1, stable holds 1.0.1 then 2.0.1 (so dev→1.0.1, stable→2.0.1).
 */
export async function seedRocketchat(
  ns: string = uniqueNamespace('e2e-ref'),
  client: HttpClient = cnr,
): Promise<RocketchatSeed> {
  const name = 'rocketchat' as const;
  const releases = new Map<string, SeededRelease>();
  for (const [release, mediaType] of [
    ['0.0.1', 'kpm'],
    ['1.0.1', 'kpm'],
    ['2.0.1', 'kpm'],
    ['0.0.1', 'helm'],
  ] as const) {
    const archive = archiveFor(name, release, mediaType);
    await pushOk(ns, name, { release, mediaType, archive }, client);
    releases.set(`${release}/${mediaType}`, { release, mediaType, archive, digest: apprDigest(archive) });
  }
  for (const [channel, release] of [
    ['dev', '1.0.1'],
    ['stable', '1.0.1'],
    ['stable', '2.0.1'],
  ]) {
    const res = await client.post(packagePath(ns, name, 'channels', channel, release));
    expect({ status: res.status, body: res.text() }).toEqual({ status: 200, body: expect.any(String) });
  }
  return {
    ns,
    name,
    pkg: `${ns}/${name}`,
    path: (...segments) => packagePath(ns, name, ...segments),
    release(release, mediaType) {
      const seeded = releases.get(`${release}/${mediaType}`);
      if (!seeded) throw new Error(`not seeded: ${release}/${mediaType}`);
      return seeded;
    },
  };
}

export async function listNamespace(ns: string, client: HttpClient = cnr): Promise<ListEntry[]> {
  const res = await client.get('/api/v1/packages', { query: { namespace: ns } });
  expect(res.status).toBe(200);
  return res.json<ListEntry[]>();
}

/** Events and blobs of the whole registry, counted now; `client` (at the bare root) must be allowed to ask: a site admin in enforced mode. */
export async function stats(client: HttpClient = root): Promise<Stats> {
  const res = await client.get('/_wharf/stats', { query: { fresh: 'true' } });
  expect({ status: res.status, body: res.text() }).toEqual({ status: 200, body: expect.any(String) });
  const body = res.json<Stats>();
  expect(body).toEqual(expect.objectContaining({ events: expect.any(Number), blobs: expect.any(Number) }));
  return { events: body.events, blobs: body.blobs };
}

interface Snapshot {
  stats: Stats;
  packages: ListEntry[];
}

async function snapshot(ns: string): Promise<Snapshot> {
  return { stats: await stats(), packages: await listNamespace(ns) };
}

/**
 * "Bad input changes nothing": runs a write that must be refused, checks the error, and checks
 * that neither the event log, the blob store, nor the namespace's packages changed.
 *
 * The stats are server-wide, so the check holds the e2e write lock: other test files using this
 * client wait, but any other writer to the same server would still show up as a change.
 */
export async function expectRefused(
  ns: string,
  write: () => Promise<HttpResponse>,
  status: number,
  code: string | readonly string[],
): Promise<HttpResponse> {
  const { before, res, after } = await exclusively(async () => ({
    before: await snapshot(ns),
    res: await write(),
    after: await snapshot(ns),
  }));
  expectError(res, status, code);
  expect(after).toEqual(before);
  return res;
}

/** Retries `probe` (which asserts) until it passes or `timeoutMs` runs out; for search and other eventually consistent reads. */
export async function eventually<T>(probe: () => Promise<T>, { timeoutMs = 5_000, intervalMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export async function search(q: string, client: HttpClient = cnr): Promise<string[]> {
  const res = await client.get('/api/v1/packages/search', { query: { q } });
  expect({ status: res.status, body: res.text() }).toEqual({ status: 200, body: expect.any(String) });
  return res.json<string[]>();
}
