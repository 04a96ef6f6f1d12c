/**
 * The Helm repository source against a repository served from this process: how an index is
 * read (URLs resolved as Helm resolves them), and that a chart is handed on only when its bytes
 * have the index's digest; every other case is an unreadable item with its reason, and a
 * repository without a readable index is refused before anything is read.
 */
import { createHash } from 'node:crypto';
import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { chartArchive } from '@wharf/testing';
import { helmRepoSource, parseHelmIndex } from './import-helm-repo';
import { ImportSourceError } from './import-sources';
import type { ImportItem } from './release-import';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function itemsOf(source: { items(): AsyncIterable<ImportItem> }): Promise<ImportItem[]> {
  const items: ImportItem[] = [];
  for await (const item of source.items()) items.push(item);
  return items;
}

describe('parseHelmIndex', () => {
  it('resolves relative chart URLs against the repository URL as a directory, and keeps absolute ones', () => {
    const index = `apiVersion: v1
entries:
  web:
    - name: web
      version: 1.0.0
      digest: ${'A'.repeat(64)}
      urls: [charts/web-1.0.0.tgz]
    - name: web
      version: 0.9.0
      urls: [https://cdn.example.com/web-0.9.0.tgz]
  broken:
    - name: broken
      version: 1.0.0
    - name: broken
      urls: [x.tgz]
`;
    expect(parseHelmIndex(index, 'http://repo.example.com/charts/stable')).toEqual([
      {
        name: 'web',
        version: '1.0.0',
        url: 'http://repo.example.com/charts/stable/charts/web-1.0.0.tgz',
        digest: 'a'.repeat(64),
      },
      { name: 'web', version: '0.9.0', url: 'https://cdn.example.com/web-0.9.0.tgz', digest: null },
      { problem: 'broken@1.0.0: no URL in the index' },
      { problem: 'broken@?: no version in the index' },
    ]);
  });

  it.each([
    ['not YAML', 'entries: [unclosed'],
    ['no entries', 'apiVersion: v1\n'],
    ['an HTML page', '<html><body>Not found</body></html>'],
  ])('refuses %s as a whole', (_, text) => {
    expect(() => parseHelmIndex(text, 'http://repo')).toThrow(ImportSourceError);
  });
});

describe('helmRepoSource', () => {
  let server: Server;
  let url: string;
  const files = new Map<string, Buffer>();
  const good = chartArchive({ name: 'web', version: '1.0.0' });
  const other = chartArchive({ name: 'web', version: '1.1.0' });
  const large = Buffer.alloc(5_000, 1);

  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = files.get(req.url ?? '');
      if (req.url === '/slow/index.yaml') return; // never answers
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const entry = (version: string, file: string, digest: string | null) =>
      `    - name: web\n      version: ${version}\n      urls: [${file}]\n${digest ? `      digest: ${digest}\n` : ''}`;
    files.set(
      '/repo/index.yaml',
      Buffer.from(
        'apiVersion: v1\nentries:\n  web:\n' +
          entry('1.0.0', 'charts/web-1.0.0.tgz', sha256(good)) +
          entry('1.1.0', 'charts/web-1.1.0.tgz', sha256(good)) + // the index lies about this one
          entry('1.2.0', 'charts/missing.tgz', sha256(good)) +
          entry('1.3.0', 'charts/web-1.1.0.tgz', null) +
          entry('1.4.0', `${url}/elsewhere/large.tgz`, sha256(large)),
      ),
    );
    files.set('/repo/charts/web-1.0.0.tgz', good);
    files.set('/repo/charts/web-1.0.0.tgz.prov', Buffer.from('a provenance file'));
    files.set('/repo/charts/web-1.1.0.tgz', other);
    files.set('/elsewhere/large.tgz', large);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('hands on a chart whose bytes have the index digest, and reports every other entry with its reason', async () => {
    const source = await helmRepoSource({
      url: `${url}/repo`,
      namespace: 'ns',
      maxArchiveBytes: 1_000,
      provenance: true,
    });

    const items = await itemsOf(source);

    expect(source.total).toBe(5);
    expect(items.map((i) => (i.kind === 'unreadable' ? i.reason : i.kind))).toEqual([
      'release',
      `the downloaded chart's sha256 (${sha256(other)}) is not the index's (${sha256(good)})`,
      `HTTP 404 from ${url}/repo/charts/missing.tgz`,
      'the index gives no sha256 digest to verify the chart with',
      'more than 1000 bytes, the archive limit', // counted as it streams: the server sends no length
    ]);
    expect(items[0]).toEqual({
      kind: 'release',
      origin: `web@1.0.0 (${url}/repo/charts/web-1.0.0.tgz)`,
      namespace: 'ns',
      archive: good,
      provenance: Buffer.from('a provenance file'),
    });
  });

  it('fetches no provenance unless asked', async () => {
    const items = await itemsOf(await helmRepoSource({ url: `${url}/repo/`, namespace: 'ns', maxArchiveBytes: 1_000 }));

    expect(items[0]).not.toHaveProperty('provenance');
  });

  it.each([
    ['a repository without an index', () => `${url}/nothing-here`, /cannot read index.yaml: HTTP 404/],
    ['an unreachable host', () => 'http://127.0.0.1:1', /cannot read index.yaml: fetch failed/],
    ['an index that does not answer in time', () => `${url}/slow`, /cannot read index.yaml/],
    ['a URL of another scheme', () => 'ftp://example.com/charts', /not an http\(s\) URL/],
  ])('refuses %s before reading any chart', async (_, repo, message) => {
    await expect(
      helmRepoSource({ url: repo(), namespace: 'ns', maxArchiveBytes: 1_000, timeoutMs: 500 }),
    ).rejects.toThrow(message);
    await expect(
      helmRepoSource({ url: repo(), namespace: 'ns', maxArchiveBytes: 1_000, timeoutMs: 500 }),
    ).rejects.toBeInstanceOf(ImportSourceError);
  });
});
