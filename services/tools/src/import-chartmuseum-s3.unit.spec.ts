/**
 * The ChartMuseum bucket source against a bucket double (the real bucket and the real
 * ChartMuseum: test/clients/chartmuseum-s3-import.e2e.spec.ts): which keys its layout names at
 * each depth and prefix, that an object above the limit is refused from its listed size without
 * being read, and that a bucket that cannot be listed is refused before anything is read.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { MAX_PROVENANCE_BYTES } from '@wharf/domain';
import { chartmuseumBucketSource, parseS3Location } from './import-chartmuseum-s3';
import { ImportSourceError } from './import-sources';
import type { ImportItem } from './release-import';

const MODIFIED = new Date('2026-03-04T05:06:07.000Z');

/**
 * A bucket of `objects` (key → bytes), listed two keys a page; records the keys read. `grown`:
 * objects replaced by larger ones after the listing (what a GET finds).
 */
function bucket(objects: Record<string, Buffer | number>, failList = false, grown: Record<string, Buffer> = {}) {
  const reads: string[] = [];
  const bodiesRead: string[] = [];
  const keys = Object.keys(objects).sort();
  const client = {
    send: async (command: unknown) => {
      if (command instanceof ListObjectsV2Command) {
        if (failList) throw new Error('Access Denied');
        const { Prefix = '', ContinuationToken } = command.input;
        const matching = keys.filter((k) => k.startsWith(Prefix));
        const start = ContinuationToken ? Number(ContinuationToken) : 0;
        const page = matching.slice(start, start + 2);
        return {
          Contents: page.map((Key) => {
            const o = objects[Key]!;
            return { Key, Size: typeof o === 'number' ? o : o.length, LastModified: MODIFIED };
          }),
          IsTruncated: start + 2 < matching.length,
          NextContinuationToken: String(start + 2),
        };
      }
      if (command instanceof GetObjectCommand) {
        const key = command.input.Key!;
        reads.push(key);
        const o = grown[key] ?? (objects[key] as Buffer);
        // As S3 answers a Range of bytes=0-N: at most N + 1 bytes, ContentLength what is sent.
        const range = /^bytes=0-(\d+)$/.exec(command.input.Range ?? '');
        const sent = range ? o.subarray(0, Number(range[1]) + 1) : o;
        return {
          ContentLength: sent.length,
          Body: {
            transformToByteArray: async () => (bodiesRead.push(key), new Uint8Array(sent)),
            destroy: () => undefined,
          },
        };
      }
      throw new Error('unexpected command');
    },
  } as unknown as S3Client;
  return { client, reads, bodiesRead };
}

async function itemsOf(source: { items(): AsyncIterable<ImportItem> }): Promise<ImportItem[]> {
  const items: ImportItem[] = [];
  for await (const item of source.items()) items.push(item);
  return items;
}

const bytes = (text: string) => Buffer.from(text);
const summary = (items: ImportItem[]) =>
  items.map((i) =>
    i.kind === 'release'
      ? `${i.origin} -> ${i.namespace}${i.provenance ? ' +prov' : ''} @${i.createdAt}`
      : `${i.origin}: ${i.kind === 'unreadable' ? i.reason : i.kind}`,
  );

describe('parseS3Location', () => {
  it('reads s3://bucket[/prefix], the prefix without its slashes', () => {
    expect(parseS3Location('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Location('s3://my-bucket/')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Location('s3://my.bucket/a/b/')).toEqual({ bucket: 'my.bucket', prefix: 'a/b' });
    for (const bad of ['/var/lib/cm', 's3://', 's3://Bad_Bucket/x', 's3://ab', 'http://bucket/x'])
      expect(parseS3Location(bad)).toBeNull();
  });
});

describe('chartmuseumBucketSource', () => {
  const objects = {
    'cm/index-cache.yaml': bytes('entries: {}'),
    'cm/team-a/web-1.0.0.tgz': bytes('web'),
    'cm/team-a/web-1.0.0.tgz.prov': bytes('signature'),
    'cm/team-a/deeper/x-1.0.0.tgz': bytes('not at depth 1'),
    'cm/team-b/db-2.0.0.tgz': bytes('db'),
    'cm/top-1.0.0.tgz': bytes('top'),
    'cm-other/team-a/elsewhere-1.0.0.tgz': bytes('another prefix'),
  };

  it('reads the charts of depth 1 under the prefix, a namespace per repository, .prov and time kept', async () => {
    const { client } = bucket(objects);
    const source = await chartmuseumBucketSource({
      location: { bucket: 'b', prefix: 'cm' },
      depth: 1,
      namespaces: [],
      maxArchiveBytes: 100,
      client,
    });
    expect(source.total).toBe(2);
    expect(summary(await itemsOf(source))).toEqual([
      `s3://b/cm/team-a/web-1.0.0.tgz -> team-a +prov @${MODIFIED.toISOString()}`,
      `s3://b/cm/team-b/db-2.0.0.tgz -> team-b @${MODIFIED.toISOString()}`,
    ]);
  });

  it('reads only the repositories named, and at depth 0 the prefix itself into the one namespace', async () => {
    const { client } = bucket(objects);
    const named = await chartmuseumBucketSource({
      location: { bucket: 'b', prefix: 'cm' },
      depth: 1,
      namespaces: ['team-b'],
      maxArchiveBytes: 100,
      client,
    });
    expect(summary(await itemsOf(named))).toEqual([
      `s3://b/cm/team-b/db-2.0.0.tgz -> team-b @${MODIFIED.toISOString()}`,
    ]);
    const flat = await chartmuseumBucketSource({
      location: { bucket: 'b', prefix: 'cm' },
      depth: 0,
      namespaces: ['myorg'],
      maxArchiveBytes: 100,
      client,
    });
    expect(summary(await itemsOf(flat))).toEqual([`s3://b/cm/top-1.0.0.tgz -> myorg @${MODIFIED.toISOString()}`]);
  });

  it('refuses an object above its limit from its listed size, without reading it', async () => {
    const { client, reads } = bucket({
      'big-1.0.0.tgz': 101,
      'ok-1.0.0.tgz': bytes('ok'),
      'ok-1.0.0.tgz.prov': MAX_PROVENANCE_BYTES + 1,
    });
    const source = await chartmuseumBucketSource({
      location: { bucket: 'b', prefix: '' },
      depth: 0,
      namespaces: ['ns'],
      maxArchiveBytes: 100,
      client,
    });
    expect(summary(await itemsOf(source))).toEqual([
      's3://b/big-1.0.0.tgz: 101 bytes, above the archive limit of 100',
      `s3://b/ok-1.0.0.tgz: ${MAX_PROVENANCE_BYTES + 1} bytes, above the provenance limit of ${MAX_PROVENANCE_BYTES}`,
    ]);
    expect(reads).toEqual(['ok-1.0.0.tgz']);
  });

  it('refuses an object that grew above its limit after the listing, without reading its body', async () => {
    const { client, bodiesRead } = bucket({ 'big-1.0.0.tgz': bytes('small') }, false, {
      'big-1.0.0.tgz': Buffer.alloc(10 * 1024 * 1024),
    });
    const source = await chartmuseumBucketSource({
      location: { bucket: 'b', prefix: '' },
      depth: 0,
      namespaces: ['ns'],
      maxArchiveBytes: 100,
      client,
    });
    expect(summary(await itemsOf(source))).toEqual([
      's3://b/big-1.0.0.tgz: more than 100 bytes, above the archive limit',
    ]);
    expect(bodiesRead).toEqual([]);
  });

  it('refuses a bucket it cannot list before reading anything', async () => {
    const { client } = bucket({}, true);
    await expect(
      chartmuseumBucketSource({
        location: { bucket: 'b', prefix: 'cm' },
        depth: 0,
        namespaces: ['ns'],
        maxArchiveBytes: 1,
        client,
      }),
    ).rejects.toThrow(new ImportSourceError('s3://b/cm/: cannot list the bucket: Access Denied'));
  });
});
