/**
 * `wharf import --from-chartmuseum s3://<bucket>[/<prefix>]`: a ChartMuseum storage in an S3
 * bucket (its `--storage amazon`, `--storage-amazon-bucket` and `--storage-amazon-prefix`), read
 * in place. The layout is the local directory's (import-sources.ts, chartmuseumStorageSource):
 * `<prefix>/<name>-<version>.tgz` with `<name>-<version>.tgz.prov` next to it, or, with `depth`
 * 1, one level of repositories, `<prefix>/<repo>/...`, each into the namespace named `<repo>`
 * (only those of `namespaces` when given). index-cache.yaml is not read: the charts are the
 * truth. A chart's creation time is its object's LastModified, as ChartMuseum reports it.
 *
 * The bucket is listed once, before the first item (a bucket that cannot be listed:
 * ImportSourceError, nothing written); an object larger than the limit is refused from its
 * listed size, before a byte is read, and one that grew past it since the listing from the GET's
 * ContentLength, its body unread (the GET asks for one byte past the limit at most). Credentials and region come from the AWS SDK's usual chain
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_PROFILE, …); the endpoint of an
 * S3-compatible store (MinIO, versitygw) is `--s3-endpoint`, addressed path-style as
 * ChartMuseum addresses it.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { MAX_PROVENANCE_BYTES } from '@wharf/domain';
import { ImportSourceError } from './import-sources';
import { withoutUrlSecrets } from './remote-fetch';
import type { ImportItem, ImportSource } from './release-import';
import { sourceTime } from './source-times';

export interface S3Location {
  bucket: string;
  /** Without leading or trailing `/`; empty: the bucket's root. */
  prefix: string;
}

/** `s3://bucket[/prefix]`, or null when `value` is not an s3:// location. */
export function parseS3Location(value: string): S3Location | null {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(value);
  if (!match) return null;
  return { bucket: match[1]!, prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export interface ChartmuseumBucketOptions {
  location: S3Location;
  depth: 0 | 1;
  namespaces: readonly string[];
  maxArchiveBytes: number;
  client: S3Client;
}

interface Listed {
  key: string;
  size: number;
  modified: Date | undefined;
}

/** The S3 client of `--s3-endpoint` and `--s3-region` (each optional: the SDK's chain otherwise). */
export function chartmuseumBucketClient(options: { endpoint?: string; region?: string }): S3Client {
  return new S3Client({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
  });
}

export async function chartmuseumBucketSource(o: ChartmuseumBucketOptions): Promise<ImportSource> {
  const { bucket, prefix } = o.location;
  const root = prefix === '' ? '' : `${prefix}/`;
  const where = `s3://${bucket}/${root}`;
  let listed: Listed[];
  try {
    listed = await listAll(o.client, bucket, root);
  } catch (error) {
    throw new ImportSourceError(`${where}: cannot list the bucket: ${withoutUrlSecrets((error as Error).message)}`);
  }
  const keys = new Map(listed.map((l) => [l.key, l]));
  const charts = listed
    .filter((l) => l.key.endsWith('.tgz'))
    .map((l) => ({ ...l, repo: repoOf(l.key.slice(root.length), o.depth) }))
    .filter((l): l is Listed & { repo: string } => l.repo !== null)
    .filter((l) => o.depth === 0 || o.namespaces.length === 0 || o.namespaces.includes(l.repo))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const namespaceOf = (repo: string) => (o.depth === 0 ? o.namespaces[0]! : repo);
  return {
    total: charts.length,
    async *items(): AsyncIterable<ImportItem> {
      for (const chart of charts) {
        const origin = `s3://${bucket}/${chart.key}`;
        const prov = keys.get(`${chart.key}.prov`);
        let archive: Buffer;
        let provenance: Buffer | undefined;
        try {
          archive = await read(o.client, bucket, chart, o.maxArchiveBytes, 'archive');
          if (prov) provenance = await read(o.client, bucket, prov, MAX_PROVENANCE_BYTES, 'provenance');
        } catch (error) {
          yield { kind: 'unreadable', origin, reason: withoutUrlSecrets((error as Error).message) };
          continue;
        }
        const createdAt = chart.modified ? sourceTime(chart.modified) : undefined;
        yield {
          kind: 'release',
          origin,
          namespace: namespaceOf(chart.repo),
          archive,
          ...(provenance ? { provenance } : {}),
          ...(createdAt ? { createdAt } : {}),
        };
      }
    },
  };
}

/** The repository a key (relative to the prefix) belongs to at `depth`: '' at 0; null when it is not at that depth. */
function repoOf(relative: string, depth: 0 | 1): string | null {
  const parts = relative.split('/');
  if (parts.length !== depth + 1 || parts.some((p) => p === '')) return null;
  return depth === 0 ? '' : parts[0]!;
}

async function listAll(client: S3Client, bucket: string, prefix: string): Promise<Listed[]> {
  const out: Listed[] = [];
  for (let token: string | undefined; ;) {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? [])
      if (object.Key) out.push({ key: object.Key, size: object.Size ?? 0, modified: object.LastModified });
    if (!page.IsTruncated || !page.NextContinuationToken) return out;
    token = page.NextContinuationToken;
  }
}

async function read(client: S3Client, bucket: string, object: Listed, maxBytes: number, what: string): Promise<Buffer> {
  if (object.size > maxBytes) throw new Error(`${object.size} bytes, above the ${what} limit of ${maxBytes}`);
  const tooLarge = () => new Error(`more than ${maxBytes} bytes, above the ${what} limit`);
  // Replaced since it was listed: a byte past the limit is enough to refuse it (S3 refuses a
  // range of an empty object, so an object listed empty is asked for whole, within the same check).
  const res = await client.send(
    new GetObjectCommand({
      Bucket: bucket,
      Key: object.key,
      ...(object.size > 0 ? { Range: `bytes=0-${maxBytes}` } : {}),
    }),
  );
  if ((res.ContentLength ?? 0) > maxBytes) {
    (res.Body as { destroy?: () => void } | undefined)?.destroy?.();
    throw tooLarge();
  }
  const bytes = Buffer.from((await res.Body?.transformToByteArray()) ?? []);
  if (bytes.length > maxBytes) throw tooLarge();
  return bytes;
}
