/**
 * `wharf verify`, an fsck of a registry: folds the whole event log (a consumer group of its own,
 * `verify-<time>`, from the beginning) into scratch stores with the services' own projections,
 * then compares what it got with the live stores, and reads every release's blob back:
 *
 *   metadata  each package's view equals the fold's (and the live store holds no other package), and
 *             the store finds each helm release by its OCI manifest's digest;
 *   search    each package's search document equals the fold's, and so do its rows (one per
 *             release and media type): a row missing, extra or different is named with its package;
 *   charts    each namespace's chart versions equal the fold's (the revision token is not compared);
 *   blobs     each release's .tgz (and provenance file) exists, has its size, and its sha256 is the
 *             blob digest; the sha256 of the gunzipped tar is the appr digest.
 *
 * Reads only, but for the consumer group's checkpoint. A live projection that is still folding
 * recent pushes shows as drift: verify a quiet registry, or run it again.
 */
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { SqliteChartIndexStore } from '@wharf/adapters/chart-index-sqlite';
import { SqliteMetadataStore } from '@wharf/adapters/metadata-sqlite';
import { SqliteSearchIndex } from '@wharf/adapters/search-sqlite';
import { HELM_MEDIA_TYPE, helmManifestDigestOf } from '@wharf/domain';
import type { PackageView } from '@wharf/domain';
import type {
  BlobStore,
  ChartIndexStore,
  EventLog,
  MetadataStore,
  SearchIndex,
  SearchRow,
  SearchRowKey,
} from '@wharf/ports';
import { join } from 'node:path';
import { foldIntoCharts, foldIntoSearch } from './replay-targets';

export type VerifyCheck = 'metadata' | 'search' | 'charts' | 'blobs';

export interface VerifyProblem {
  check: VerifyCheck;
  /** The package, namespace or blob digest concerned. */
  subject: string;
  problem: string;
}

export interface VerifyReport {
  ok: boolean;
  events: number;
  packages: number;
  namespaces: number;
  blobsChecked: number;
  problems: VerifyProblem[];
  seconds: number;
}

export interface VerifyProgress {
  phase: 'folding' | 'comparing' | 'blobs';
  done: number;
  total: number;
}

/** The live stores of a profile. */
export interface LiveStores {
  log: EventLog;
  metadata: MetadataStore;
  search: SearchIndex;
  charts: ChartIndexStore;
  blobs: BlobStore;
}

export interface VerifyOptions {
  /** An empty directory for the scratch stores (the caller removes it). */
  scratchDir: string;
  skipBlobs?: boolean;
  onProgress?: (progress: VerifyProgress) => void;
  onProblem?: (problem: VerifyProblem) => void;
  pollMs?: number;
}

/** JSON with every object's keys sorted, so equal states compare equal whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export async function verifyRegistry(live: LiveStores, options: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const problems: VerifyProblem[] = [];
  const report = (problem: VerifyProblem) => {
    problems.push(problem);
    options.onProblem?.(problem);
  };
  const views = new SqliteMetadataStore({ path: join(options.scratchDir, 'metadata.db') });
  const charts = new SqliteChartIndexStore({ path: join(options.scratchDir, 'charts.db') });
  const search = new SqliteSearchIndex({ path: join(options.scratchDir, 'search.db') });
  try {
    const { events, packages } = await foldLog(live.log, views, charts, search, options);
    const names = [...packages].sort();
    const namespaces = [...new Set(names.map((p) => p.slice(0, p.indexOf('/'))))].sort();
    const expected = new Map<string, PackageView>();
    let done = 0;
    const total = names.length + namespaces.length;
    for (const pkg of names) {
      const view = await views.get(pkg);
      if (view) expected.set(pkg, view);
      const actual = await live.metadata.get(pkg);
      if (canonicalJson(view) !== canonicalJson(actual))
        report({ check: 'metadata', subject: pkg, problem: drift(view, actual) });
      else if (view)
        for (const problem of await digestDrift(live.metadata, view))
          report({ check: 'metadata', subject: pkg, problem });
      options.onProgress?.({ phase: 'comparing', done: ++done, total });
    }
    const [liveCount, foldedCount] = [await live.metadata.count(), await views.count()];
    if (liveCount !== foldedCount)
      report({
        check: 'metadata',
        subject: '*',
        problem: `the store lists ${liveCount} packages, the log ${foldedCount}`,
      });
    for (let i = 0; i < names.length; i += 500) {
      const page = names.slice(i, i + 500);
      const [want, got] = [await search.getMany(page), await live.search.getMany(page)];
      const [wantRows, gotRows] = [await search.listRows(page), await live.search.listRows(page)];
      for (const pkg of page) {
        if (canonicalJson(want.get(pkg) ?? null) !== canonicalJson(got.get(pkg) ?? null))
          report({ check: 'search', subject: pkg, problem: drift(want.get(pkg), got.get(pkg)) });
        for (const problem of rowDrift(wantRows.get(pkg) ?? [], gotRows.get(pkg) ?? []))
          report({ check: 'search', subject: pkg, problem });
      }
    }
    for (const namespace of namespaces) {
      const [want, got] = [await charts.read(namespace), await live.charts.read(namespace)];
      if (sortedVersions(want) !== sortedVersions(got))
        report({
          check: 'charts',
          subject: namespace,
          problem: `${got.versions.length} chart versions in the index, ${want.versions.length} by the log, or others`,
        });
      options.onProgress?.({ phase: 'comparing', done: ++done, total });
    }
    const blobsChecked = options.skipBlobs ? 0 : await verifyBlobs(live.blobs, [...expected.values()], report, options);
    return {
      ok: problems.length === 0,
      events,
      packages: names.length,
      namespaces: namespaces.length,
      blobsChecked,
      problems,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await Promise.all([views.close(), charts.close(), search.close()]);
  }
}

async function foldLog(
  log: EventLog,
  views: MetadataStore,
  charts: ChartIndexStore,
  search: SearchIndex,
  options: VerifyOptions,
): Promise<{ events: number; packages: Set<string> }> {
  const total = await log.count();
  const packages = new Set<string>();
  let events = 0;
  const toCharts = foldIntoCharts(views);
  const toSearch = foldIntoSearch(log);
  const subscription = await log.subscribe(
    { group: `verify-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`, batchSize: 200 },
    async (batch) => {
      await toCharts(charts, batch);
      await toSearch(search, batch);
      for (const event of batch) packages.add(event.package);
      events += batch.length;
      options.onProgress?.({ phase: 'folding', done: events, total: Math.max(total, events) });
    },
  );
  try {
    while ((await subscription.lag()) > 0) await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  } finally {
    await subscription.stop();
  }
  return { events: await log.count(), packages };
}

function drift(want: { sequence: number } | null | undefined, got: { sequence: number } | null | undefined): string {
  if (!got) return 'missing from the store';
  if (!want) return 'in the store, not in the log';
  return `differs from the log (store at sequence ${got.sequence}, log at ${want.sequence})`;
}

/** Problems named per row beyond which a package's rows are summed up in one line. */
const ROW_PROBLEMS_SHOWN = 5;

/** What differs between a package's search rows by the log (`want`) and in the store (`got`). */
export function rowDrift(want: readonly SearchRow[], got: readonly SearchRow[]): string[] {
  const key = (row: SearchRowKey) => `${row.release} (${row.mediaType})`;
  const stored = new Map(got.map((row) => [key(row), row]));
  const problems: string[] = [];
  for (const row of want) {
    const found = stored.get(key(row));
    stored.delete(key(row));
    if (!found) problems.push(`row ${key(row)} missing from the store`);
    else if (canonicalJson(found) !== canonicalJson(row))
      problems.push(
        `row ${key(row)} differs from the log (store at sequence ${found.sequence}, log at ${row.sequence})`,
      );
  }
  for (const extra of stored.keys()) problems.push(`row ${extra} in the store, not in the log`);
  if (problems.length <= ROW_PROBLEMS_SHOWN) return problems;
  return [
    ...problems.slice(0, ROW_PROBLEMS_SHOWN - 1),
    `and ${problems.length - ROW_PROBLEMS_SHOWN + 1} more rows differ (of ${want.length} by the log, ${got.length} in the store)`,
  ];
}

function sortedVersions(charts: { versions: unknown[] }): string {
  return charts.versions.map(canonicalJson).sort().join('\n');
}

async function verifyBlobs(
  blobs: BlobStore,
  views: PackageView[],
  report: (problem: VerifyProblem) => void,
  options: VerifyOptions,
): Promise<number> {
  const wanted = new Map<string, { subject: string; size?: number; apprDigest?: string }>();
  for (const view of views)
    for (const m of view.manifests) {
      const subject = `${view.package}@${m.release} (${m.mediaType})`;
      wanted.set(m.blobDigest, { subject, size: m.size, apprDigest: m.apprDigest });
      if (m.provenanceDigest)
        wanted.set(m.provenanceDigest, { subject: `${subject} provenance`, size: m.provenanceSize });
    }
  let done = 0;
  for (const [digest, want] of wanted) {
    const problem = await checkBlob(blobs, digest, want.size, want.apprDigest);
    if (problem) report({ check: 'blobs', subject: `${digest} ${want.subject}`, problem });
    options.onProgress?.({ phase: 'blobs', done: ++done, total: wanted.size });
  }
  return wanted.size;
}

/** What is wrong with the blob, or null. `apprDigest`: also the sha256 of its gunzipped bytes. */
async function checkBlob(blobs: BlobStore, digest: string, size?: number, apprDigest?: string): Promise<string | null> {
  if (!(await blobs.stat(digest))) return 'missing from the blob store';
  const whole = createHash('sha256');
  const inner = createHash('sha256');
  let bytes = 0;
  const gunzip = apprDigest ? createGunzip() : null;
  const unzipped = gunzip
    ? new Promise<string | null>((resolve) => {
        gunzip.on('data', (chunk: Buffer) => inner.update(chunk));
        gunzip.on('end', () => resolve(null));
        gunzip.on('error', (error) => resolve(`does not gunzip: ${error.message}`));
      })
    : Promise.resolve(null);
  for await (const chunk of await blobs.open(digest)) {
    whole.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    gunzip?.write(chunk);
  }
  gunzip?.end();
  const gunzipProblem = await unzipped;
  const actual = whole.digest('hex');
  if (actual !== digest) return `its bytes hash to sha256:${actual}`;
  if (size !== undefined && bytes !== size) return `${bytes} bytes, the release says ${size}`;
  if (gunzipProblem) return gunzipProblem;
  if (apprDigest && inner.digest('hex') !== apprDigest) return 'its gunzipped tar does not match the appr digest';
  return null;
}

/**
 * The helm releases of `view` the store does not find by their OCI manifest's digest (its
 * records of digests, kept apart from the head): a `/v2/` pull by digest of them would answer 404.
 */
export async function digestDrift(store: Pick<MetadataStore, 'getRelease'>, view: PackageView): Promise<string[]> {
  const problems: string[] = [];
  for (const manifest of view.manifests) {
    const digest = manifest.mediaType === HELM_MEDIA_TYPE ? helmManifestDigestOf(manifest) : null;
    if (digest === null) continue;
    const found = await store.getRelease(view.package, { helmManifestDigest: digest }, HELM_MEDIA_TYPE);
    if (canonicalJson(found?.manifest ?? null) !== canonicalJson(manifest))
      problems.push(`release ${manifest.release} (helm) is not found by its manifest digest sha256:${digest}`);
  }
  return problems;
}
