/**
 * Reads of the Helm chart repositories (one per namespace): the index file, chart archives and
 * provenance files, and the ChartMuseum API's chart listings. Every read takes a ChartReadAccess,
 * the one place a caller's rights narrow what a namespace shows (AccessControl.chartAccess makes
 * it from the caller's role on the namespace). A chart archive read for an answer is a helm pull
 * on the metrics.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { PullRecorder } from './retention/pull-recorder';
import {
  ChartEntries,
  ChartIndexQuery,
  ChartVersionRecord,
  HELM_MEDIA_TYPE,
  PackageNotFoundError,
  PackageHead,
  ReleaseManifest,
  isSha256Hex,
  parseRepositoryName,
  parseSemVer,
  selectChartEntries,
} from '@wharf/domain';
import {
  BLOB_STORE,
  BlobStore,
  METRICS,
  NO_METRICS,
  PACKAGE_READER,
  PackageReader,
  TransferMetrics,
} from '@wharf/ports';
import { ChartReadAccess, OPEN_ACCESS } from '../auth/chart-read-access';
import { chartVersionJson, chartsJson, renderIndexFromFragments } from '../presenters/helm-index.presenter';
import { ChartIndexCache, RenderedIndex } from './chart-index-cache';

export type IndexFormat = 'yaml' | 'json';

export interface IndexRequest {
  namespace: string;
  query: ChartIndexQuery;
  format: IndexFormat;
  contextPath: string;
  access?: ChartReadAccess;
}

export interface ChartFile {
  filename: string;
  provenance: boolean;
  /** The bytes, whole or streamed. */
  body: Buffer | Readable;
  /** The archive's length (a streamed body's Content-Length); null for a provenance file. */
  size: number | null;
}

@Injectable()
export class HelmRepositoryUseCases {
  constructor(
    private readonly cache: ChartIndexCache,
    @Inject(PACKAGE_READER) private readonly packages: PackageReader,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
    private readonly pulls: PullRecorder,
    @Optional() @Inject(METRICS) private readonly metrics: TransferMetrics = NO_METRICS,
  ) {}

  async index(request: IndexRequest): Promise<RenderedIndex> {
    const namespace = parseRepositoryName(request.namespace);
    const access = request.access ?? OPEN_ACCESS;
    const readsPrivate = access.canRead(namespace, 'private');
    const key = JSON.stringify([
      request.format,
      request.contextPath,
      request.query.latest ?? null,
      request.query.since ?? null,
      readsPrivate,
    ]);
    return this.cache.rendered(namespace, key, (charts) => {
      const visible = charts.versions.filter((v) => access.canRead(namespace, v.visibility));
      const entries = selectChartEntries(visible, request.query);
      const body = renderIndexFromFragments(
        entries,
        { generated: new Date().toISOString(), contextPath: request.contextPath },
        request.format,
        this.cache.fragment,
      );
      let gzipped: Buffer | null = null;
      return { etag: `W/"${indexTag(key, entries)}"`, body, gzipped: () => (gzipped ??= gzipSync(body)) };
    });
  }

  /** `<name>-<version>.tgz` or `<name>-<version>.tgz.prov` of the namespace, with its bytes. */
  /**
   * A chart archive or its provenance file. An archive the blob cache would not keep is streamed
   * (`size` from the release), so concurrent downloads of a large chart hold no copy of it.
   */
  async chartFile(namespaceParam: string, file: string, access: ChartReadAccess = OPEN_ACCESS): Promise<ChartFile> {
    const namespace = parseRepositoryName(namespaceParam);
    const provenance = file.endsWith('.tgz.prov');
    const archive = provenance ? file.slice(0, -'.prov'.length) : file;
    const found = archive.endsWith('.tgz')
      ? await this.findChartArchive(namespace, archive.slice(0, -'.tgz'.length))
      : null;
    if (!found || !access.canRead(namespace, found.view.visibility))
      throw new PackageNotFoundError(`${namespace}/${file}`);
    const digest = provenance ? found.manifest.provenanceDigest : found.manifest.blobDigest;
    if (!digest || !isSha256Hex(digest))
      throw new PackageNotFoundError(found.view.package, found.manifest.release, 'helm provenance');
    if (provenance) return { filename: file, provenance, body: await this.blobs.read(digest), size: null };
    const streamed = found.manifest.size > this.config.blobCache.maxBlobBytes;
    const body = streamed ? await this.blobs.open(digest) : await this.blobs.read(digest);
    this.metrics.pulled('helm', found.manifest.size);
    this.pulls.pulled(found.view.package, found.manifest.release);
    return { filename: file, provenance, body, size: found.manifest.size };
  }

  /** ChartMuseum `GET /api/<ns>/charts`: every chart, versions highest first. */
  async listCharts(
    namespace: string,
    access: ChartReadAccess = OPEN_ACCESS,
  ): Promise<Record<string, Record<string, unknown>[]>> {
    return chartsJson(selectChartEntries(await this.visibleVersions(namespace, access)));
  }

  /** ChartMuseum `GET /api/<ns>/charts/<name>`. */
  async chartVersions(
    namespace: string,
    name: string,
    access: ChartReadAccess = OPEN_ACCESS,
  ): Promise<Record<string, unknown>[]> {
    const versions = chartsJson(
      selectChartEntries((await this.visibleVersions(namespace, access)).filter((v) => v.name === name)),
    )[name];
    if (!versions) throw new PackageNotFoundError(`${namespace}/${name}`);
    return versions;
  }

  /** ChartMuseum `GET /api/<ns>/charts/<name>/<version>`. */
  async chartVersion(
    namespace: string,
    name: string,
    version: string,
    access: ChartReadAccess = OPEN_ACCESS,
  ): Promise<Record<string, unknown>> {
    const found = (await this.visibleVersions(namespace, access)).find((v) => v.name === name && v.version === version);
    if (!found) throw new PackageNotFoundError(`${namespace}/${name}`, version, HELM_MEDIA_TYPE);
    return chartVersionJson(found);
  }

  private async visibleVersions(namespaceParam: string, access: ChartReadAccess): Promise<ChartVersionRecord[]> {
    const namespace = parseRepositoryName(namespaceParam);
    return (await this.cache.charts(namespace)).versions.filter((v) => access.canRead(namespace, v.visibility));
  }

  /**
   * Names and versions both may contain `-`, so every split of `<name>-<version>` whose version
   * part is SemVer is tried, reading the package's head and that one row (exact, current on the
   * very next request after a push, and the same cost in a package of any size).
   */
  private async findChartArchive(
    namespace: string,
    stem: string,
  ): Promise<{ view: PackageHead; manifest: ReleaseManifest } | null> {
    for (let dash = stem.indexOf('-'); dash > 0; dash = stem.indexOf('-', dash + 1)) {
      const name = stem.slice(0, dash);
      const version = stem.slice(dash + 1);
      if (!parseSemVer(version) || !/^[a-z0-9][a-z0-9._-]*$/.test(name)) continue;
      const found = await this.packages.getRelease(`${namespace}/${name}`, version, HELM_MEDIA_TYPE);
      if (found?.manifest?.chart) return { view: found.head, manifest: found.manifest };
    }
    return null;
  }
}

/**
 * The index's ETag names what this caller is shown, not the namespace's revision: a private
 * chart pushed into the namespace changes the revision, and a tag that followed it would tell an
 * anonymous caller that something it cannot see was pushed. The rendering's key (format, context
 * path, query) and each shown version's name, version, digest, time and provenance digest fix the
 * body (the chart metadata comes from the archive the digest names) except `generated`, which is
 * why the tag is weak.
 */
function indexTag(key: string, entries: ChartEntries): string {
  const hash = createHash('sha256').update(key);
  for (const [name, versions] of entries) {
    for (const v of versions)
      hash.update(`\0${name}\0${v.version}\0${v.blobDigest}\0${v.createdAt}\0${v.provenanceDigest ?? ''}`);
  }
  return hash.digest('hex').slice(0, 32);
}
