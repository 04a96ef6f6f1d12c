/**
 * The Helm repository source against a repository served from this process: how an index is
 * read (URLs resolved as Helm resolves them), and that a chart is handed on only when its bytes
 * have the index's digest; every other case is an unreadable item with its reason, and a
 * repository without a readable index is refused before anything is read.
 */
import { createHash } from 'node:crypto';
import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { MAX_PROVENANCE_BYTES } from '@wharf/domain';
import { chartArchive } from '@wharf/testing';
import { helmRepoSource, parseHelmIndex } from './import-helm-repo';
import { ImportSourceError } from './import-sources';
import { printableUrl, withoutUrlSecrets } from './remote-fetch';
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
      created: "2019-03-04T05:06:07.123456+01:00"
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
        createdAt: '2019-03-04T04:06:07.123Z',
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
      'more than 1000 bytes, the limit', // counted as it streams: the server sends no length
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
    ['a URL of another scheme, with credentials', () => 'ftp://u:sekrit@example.com/c', /^ftp:\/\/example.com\/c: not/],
  ])('refuses %s before reading any chart', async (_, repo, message) => {
    await expect(
      helmRepoSource({ url: repo(), namespace: 'ns', maxArchiveBytes: 1_000, timeoutMs: 500 }),
    ).rejects.toThrow(message);
    await expect(
      helmRepoSource({ url: repo(), namespace: 'ns', maxArchiveBytes: 1_000, timeoutMs: 500 }),
    ).rejects.toBeInstanceOf(ImportSourceError);
  });
});

describe('helmRepoSource: where a hostile index may send the importer', () => {
  let repo: Server;
  let inside: Server;
  let repoUrl: string;
  let insideHost: string;
  const insideHits: string[] = [];
  const good = chartArchive({ name: 'app', version: '1.0.0' });
  const files = new Map<string, Buffer>();
  const redirects = new Map<string, string>();

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const entry = (version: string, file: string) =>
    `    - name: app\n      version: ${version}\n      urls: [${file}]\n      digest: ${sha256(good)}\n`;
  const reasons = (items: ImportItem[]) => items.map((i) => (i.kind === 'unreadable' ? i.reason : i.kind));

  beforeAll(async () => {
    // "inside" stands for an address only the operator's network reaches (metadata, an admin port).
    inside = createServer((req, res) => {
      insideHits.push(req.url ?? '');
      res.writeHead(200).end(good);
    });
    repo = createServer((req, res) => {
      const to = redirects.get(req.url ?? '');
      if (to !== undefined) return res.writeHead(302, { location: to }).end();
      const body = files.get(req.url ?? '');
      res.writeHead(body ? 200 : 404).end(body);
    });
    insideHost = await listen(inside);
    repoUrl = `http://${await listen(repo)}`;
  });
  beforeEach(() => {
    insideHits.length = 0;
    files.clear();
    redirects.clear();
    files.set('/charts/app-1.0.0.tgz', good);
  });
  afterAll(async () => {
    for (const server of [repo, inside]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const index = (...entries: string[]) =>
    files.set('/index.yaml', Buffer.from('apiVersion: v1\nentries:\n  app:\n' + entries.join('')));
  const source = (extra: { allowHosts?: string[]; maxRedirects?: number } = {}) =>
    helmRepoSource({ url: repoUrl, namespace: 'ns', maxArchiveBytes: 100_000, ...extra }).then(itemsOf);

  it('refuses a chart URL on another origin, naming the option that allows it, and never contacts that host', async () => {
    index(entry('1.0.0', 'charts/app-1.0.0.tgz'), entry('1.1.0', `http://${insideHost}/latest/meta-data/`));

    const items = await source();

    expect(reasons(items)).toEqual([
      'release',
      `refused http://${insideHost}/latest/meta-data/: ${insideHost} is not the repository's origin (${repoUrl}); add --allow-host 127.0.0.1 to fetch from it`,
    ]);
    expect(insideHits).toEqual([]);
  });

  it('fetches from a host the operator allowed, by host:port or by host', async () => {
    index(entry('1.1.0', `http://${insideHost}/cdn/app-1.0.0.tgz`));

    expect(reasons(await source({ allowHosts: [insideHost] }))).toEqual(['release']);
    expect(reasons(await source({ allowHosts: ['127.0.0.1'] }))).toEqual(['release']);
    expect(insideHits).toEqual(['/cdn/app-1.0.0.tgz', '/cdn/app-1.0.0.tgz']);
  });

  it('refuses a URL of another scheme in the index', async () => {
    index(entry('1.1.0', `data:application/gzip;base64,${good.toString('base64')}`));

    expect(reasons(await source())).toEqual([expect.stringMatching(/^refused data:.*: data: is not http\(s\)$/)]);
  });

  it('follows a redirect within the origin, and refuses one to another origin before contacting it', async () => {
    redirects.set('/moved/app-1.0.0.tgz', '/charts/app-1.0.0.tgz');
    redirects.set('/away/app-1.0.0.tgz', `http://${insideHost}/internal`);
    index(entry('1.0.0', 'moved/app-1.0.0.tgz'), entry('1.1.0', 'away/app-1.0.0.tgz'));

    expect(reasons(await source())).toEqual([
      'release',
      `refused http://${insideHost}/internal: ${insideHost} is not the repository's origin (${repoUrl}); add --allow-host 127.0.0.1 to fetch from it`,
    ]);
    expect(insideHits).toEqual([]);
  });

  it('refuses the index itself when it redirects to another origin', async () => {
    redirects.set('/index.yaml', `http://${insideHost}/index.yaml`);

    await expect(source()).rejects.toThrow(`cannot read index.yaml: refused http://${insideHost}/index.yaml`);
    expect(insideHits).toEqual([]);
  });

  it('follows at most maxRedirects redirects', async () => {
    redirects.set('/loop/a.tgz', '/loop/b.tgz');
    redirects.set('/loop/b.tgz', '/loop/a.tgz');
    redirects.set('/two/a.tgz', '/two/b.tgz');
    redirects.set('/two/b.tgz', '/charts/app-1.0.0.tgz');
    index(entry('1.0.0', 'loop/a.tgz'), entry('1.1.0', 'two/a.tgz'));

    expect(reasons(await source({ maxRedirects: 2 }))).toEqual([
      `more than 2 redirects from ${repoUrl}/loop/a.tgz`,
      'release',
    ]);
    expect(reasons(await source({ maxRedirects: 1 }))[1]).toBe(`more than 1 redirects from ${repoUrl}/two/a.tgz`);
  });

  it("caps a chart's .prov at the provenance limit, not the archive limit", async () => {
    index(entry('1.0.0', 'charts/app-1.0.0.tgz'));
    files.set('/charts/app-1.0.0.tgz.prov', Buffer.alloc(MAX_PROVENANCE_BYTES + 1, 65));

    const items = await helmRepoSource({
      url: repoUrl,
      namespace: 'ns',
      maxArchiveBytes: 10 * MAX_PROVENANCE_BYTES,
      provenance: true,
    }).then(itemsOf);

    expect(reasons(items)).toEqual([`more than ${MAX_PROVENANCE_BYTES} bytes, the limit`]);
  });
});

describe('helmRepoSource: a private repository', () => {
  const SECRET = 'hunter2-not-for-logs';
  const AUTH = `Basic ${Buffer.from(`mirror:${SECRET}`).toString('base64')}`;
  const good = chartArchive({ name: 'app', version: '1.0.0' });
  let repo: Server;
  let cdn: Server;
  let repoUrl: string;
  let cdnHost: string;
  const cdnSaw: (string | undefined)[] = [];

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    cdn = createServer((req, res) => {
      cdnSaw.push(req.headers.authorization);
      res.writeHead(200).end(good);
    });
    cdnHost = await listen(cdn);
    repo = createServer((req, res) => {
      if (req.headers.authorization !== AUTH) return res.writeHead(401).end();
      if (req.url === '/index.yaml') {
        const entry = (version: string, url: string) =>
          `    - {name: app, version: ${version}, digest: ${sha256(good)}, urls: [${url}]}\n`;
        return res.end(
          'apiVersion: v1\nentries:\n  app:\n' +
            entry('1.0.0', 'charts/app-1.0.0.tgz') +
            entry('1.1.0', `http://${cdnHost}/app-1.1.0.tgz`) +
            entry('1.2.0', 'moved/app-1.2.0.tgz'),
        );
      }
      if (req.url === '/moved/app-1.2.0.tgz')
        return res.writeHead(302, { location: `http://${cdnHost}/app-1.2.0.tgz` }).end();
      res.writeHead(req.url === '/charts/app-1.0.0.tgz' ? 200 : 404).end(good);
    });
    repoUrl = `http://${await listen(repo)}`;
  });
  afterAll(async () => {
    for (const server of [repo, cdn]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sends the credentials to the repository only, never to another host or through a redirect', async () => {
    const source = await helmRepoSource({
      url: repoUrl,
      namespace: 'ns',
      maxArchiveBytes: 100_000,
      allowHosts: [cdnHost],
      authorization: AUTH,
    });
    const items = await itemsOf(source);

    expect(items.map((i) => i.kind)).toEqual(['release', 'release', 'release']);
    expect(cdnSaw).toEqual([undefined, undefined]);
    expect(JSON.stringify(items.map((i) => i.origin))).not.toContain(SECRET);
  });

  it('refuses the repository without credentials, saying so without any secret', async () => {
    await expect(helmRepoSource({ url: repoUrl, namespace: 'ns', maxArchiveBytes: 100_000 })).rejects.toThrow(
      'cannot read index.yaml: HTTP 401',
    );
  });

  it('refuses credentials in the URL, naming the URL without them', async () => {
    const withSecret = repoUrl.replace('http://', `http://mirror:${SECRET}@`);
    const refusal = helmRepoSource({ url: withSecret, namespace: 'ns', maxArchiveBytes: 100_000 });

    await expect(refusal).rejects.toThrow(`${repoUrl}/: give credentials with --username`);
    await expect(
      helmRepoSource({ url: withSecret, namespace: 'ns', maxArchiveBytes: 100_000 }).catch((e: Error) => e.message),
    ).resolves.not.toContain(SECRET);
  });
});

describe('helmRepoSource: what its messages print of a URL', () => {
  const SECRET = 'sig-0f1e2d3c-not-for-logs';
  const good = chartArchive({ name: 'app', version: '1.0.0' });
  const other = chartArchive({ name: 'app', version: '1.1.0' });
  let repo: Server;
  let elsewhere: Server;
  let repoUrl: string;
  let elsewhereHost: string;
  let index = '';

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const entry = (version: string, url: string) =>
    `    - {name: app, version: ${version}, digest: ${sha256(good)}, urls: ['${url}']}\n`;

  beforeAll(async () => {
    elsewhere = createServer((_req, res) => res.writeHead(200).end(good));
    elsewhereHost = await listen(elsewhere);
    repo = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/index.yaml') return res.end(index);
      if (path === '/charts/app.tgz') return res.end(good);
      if (path === '/charts/other.tgz') return res.end(other);
      if (path === '/charts/broken.tgz') return res.writeHead(500).end();
      if (path === '/away.tgz')
        return res.writeHead(302, { location: `http://${elsewhereHost}/b/app.tgz?X-Amz-Signature=${SECRET}` }).end();
      res.writeHead(404).end();
    });
    repoUrl = `http://${await listen(repo)}`;
  });
  afterAll(async () => {
    for (const server of [repo, elsewhere]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('names each failed chart by origin and path only: no query string, no userinfo', async () => {
    const presigned = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA${SECRET}&X-Amz-Signature=${SECRET}`;
    const host = repoUrl.slice('http://'.length);
    index =
      'apiVersion: v1\nentries:\n  app:\n' +
      entry('1.0.0', `charts/app.tgz?${presigned}`) +
      entry('1.1.0', `http://mirror:${SECRET}@${host}/charts/missing.tgz?${presigned}#${SECRET}`) +
      entry('1.2.0', `charts/other.tgz?token=${SECRET}`) +
      entry('1.3.0', `charts/broken.tgz?token=${SECRET}`) +
      entry('1.4.0', `http://${elsewhereHost}/b/app.tgz?${presigned}`) +
      entry('1.5.0', `away.tgz?token=${SECRET}`) +
      entry('1.6.0', `http://u:${SECRET}@[nope/x.tgz?sig=${SECRET}`);

    const items = await itemsOf(
      await helmRepoSource({ url: `${repoUrl}/?token=${SECRET}`, namespace: 'ns', maxArchiveBytes: 100_000 }),
    );

    expect(JSON.stringify(items.map((i) => [i.origin, i.kind === 'unreadable' ? i.reason : i.kind]))).not.toContain(
      SECRET,
    );
    expect(items.map((i) => i.origin)).toEqual([
      `app@1.0.0 (${repoUrl}/charts/app.tgz)`,
      `app@1.1.0 (${repoUrl}/charts/missing.tgz)`,
      `app@1.2.0 (${repoUrl}/charts/other.tgz)`,
      `app@1.3.0 (${repoUrl}/charts/broken.tgz)`,
      `app@1.4.0 (http://${elsewhereHost}/b/app.tgz)`,
      `app@1.5.0 (${repoUrl}/away.tgz)`,
      `${repoUrl}/`,
    ]);
    expect(items.map((i) => (i.kind === 'unreadable' ? i.reason : i.kind))).toEqual([
      'release',
      `refused ${repoUrl}/charts/missing.tgz: it has credentials in it`,
      expect.stringContaining("is not the index's"),
      `HTTP 500 from ${repoUrl}/charts/broken.tgz`,
      expect.stringMatching(new RegExp(`^refused http://${elsewhereHost}/b/app\\.tgz: `)),
      expect.stringMatching(new RegExp(`^refused http://${elsewhereHost}/b/app\\.tgz: `)),
      'app@1.6.0: the URL http://[nope/x.tgz is not one',
    ]);
  });

  it('names the repository by origin and path only when its index cannot be read', async () => {
    const refusal = helmRepoSource({
      url: `${repoUrl}/missing/?token=${SECRET}`,
      namespace: 'ns',
      maxArchiveBytes: 100_000,
    }).catch((e: Error) => e.message);

    await expect(refusal).resolves.toMatch(new RegExp(`^${repoUrl.replace(/\./g, '\\.')}/missing/: cannot read`));
    await expect(refusal).resolves.not.toContain(SECRET);
  });
});

describe('printableUrl, withoutUrlSecrets', () => {
  it('should print every URL in a message by origin and path', () => {
    expect(
      withoutUrlSecrets('cannot fetch http://u:pw@a.example/x.tgz?sig=s: moved (to https://b.example/y?t=s), gone'),
    ).toBe('cannot fetch http://a.example/x.tgz: moved (to https://b.example/y), gone');
  });

  it.each([
    ['https://user:pw@charts.example.com:8443/a/b.tgz?X-Amz-Signature=s#f', 'https://charts.example.com:8443/a/b.tgz'],
    ['http://example.com', 'http://example.com'],
    ['http://example.com?', 'http://example.com/'],
    ['data:application/gzip;base64,AAAA', 'data:application/gzip;base64,AAAA'],
    ['http://u:pw@[bad/x.tgz?sig=s', 'http://[bad/x.tgz'],
    ['ftp://u:pw@host/x?y', 'ftp://host/x'],
    ['//u:pw@host/x?y', '//host/x'],
    ['charts/a@1.0.0.tgz?t=s', 'charts/a@1.0.0.tgz'],
  ])('prints %s as %s', (url, printed) => {
    expect(printableUrl(url)).toBe(printed);
  });
});
