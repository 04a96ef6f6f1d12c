/**
 * Bad input is refused, never stored (design brief, "Invariants"). Every hostile write below
 * must get its exact status and error code, and must leave the event log, the blob store and the
 * namespace's packages exactly as they were (`GET /_wharf/stats` before and after).
 *
 * The stats are server-wide, so this file assumes no other writer touches the server while a
 * case runs. The request-body size limit (413 payload-too-large) is covered by a suite that
 * starts Wharf with a small limit; sending 64 MiB here would only slow this one down.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  chartArchive,
  hostileTars,
  tarArchive,
  chartEntries,
  type ArchiveEntry,
  type HostileTar,
} from '@wharf/testing';
import { cnr, expectError, type HttpResponse } from '../support/http-client';
import {
  archiveFor,
  eventually,
  expectRefused,
  listNamespace,
  packagePath,
  push,
  pushBody,
  pushOk,
  search,
  uniqueNamespace,
} from './support/appr.fixtures';
import type { ListEntry } from './support/appr.types';

jest.setTimeout(60_000);

const EXISTING = 'existing';
/** Never created: every push to it below must be refused. */
const VICTIM = 'victim';

let ns: string;
let existingArchive: Buffer;

beforeAll(async () => {
  ns = uniqueNamespace('e2e-bad');
  existingArchive = archiveFor(EXISTING, '1.0.0');
  await pushOk(ns, EXISTING, { release: '1.0.0', mediaType: 'kpm', archive: existingArchive });
  const res = await cnr.post(packagePath(ns, EXISTING, 'channels', 'stable', '1.0.0'));
  expect(res.status).toBe(200);
});

afterAll(async () => {
  // Nothing pushed to the victim got through, under any name.
  if (ns) expect((await listNamespace(ns)).map((p) => p.name)).not.toContain(`${ns}/${VICTIM}`);
});

const victimPath = (): string => packagePath(ns, VICTIM);
let archives = 0;
/**
 * Bytes no earlier case or run has sent, so a server that kept the blob of a refused push would
 * show one more blob (identical bytes would be deduplicated and hide it).
 */
const victimArchive = (extraEntries: ArchiveEntry[] = []): Buffer =>
  chartArchive({ name: VICTIM, version: '1.0.0', extraEntries, salt: `${ns}/${(archives += 1)}` });
const goodBody = (): Record<string, unknown> =>
  pushBody({ release: '1.0.0', mediaType: 'helm', archive: victimArchive() });
const b64 = (bytes: Buffer): string => bytes.toString('base64');

function postRaw(path: string, body: string | Buffer | undefined, contentType?: string): Promise<HttpResponse> {
  return cnr.send('POST', path, { body, headers: contentType ? { 'content-type': contentType } : {} });
}

describe('malformed push bodies: 400 invalid-usage', () => {
  const valid = (): Record<string, unknown> => goodBody();
  const without = (field: string): Record<string, unknown> => {
    const body = valid();
    delete body[field];
    return body;
  };

  it.each<[string, () => string | Buffer | undefined, string | undefined]>([
    ['malformed JSON', () => '{"release": "1.0.0", "blob": ', 'application/json'],
    ['malformed JSON sent as text/plain', () => '{"release": "1.0.0", "blob": ', 'text/plain'],
    ['JSON followed by garbage', () => `${JSON.stringify(valid())} trailing`, 'application/json'],
    ['an empty body', () => '', 'application/json'],
    ['no body at all', () => undefined, undefined],
    ['a JSON array', () => '[]', 'application/json'],
    ['JSON null', () => 'null', 'application/json'],
    ['a JSON string', () => '"1.0.0"', 'application/json'],
    ['a JSON number', () => '42', 'application/json'],
    ['an empty object', () => '{}', 'application/json'],
    ['bytes that are not UTF-8', () => Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x80]), 'application/json'],
  ])('%s', async (_label, body, contentType) => {
    await expectRefused(ns, () => postRaw(victimPath(), body(), contentType), 400, 'invalid-usage');
  });

  it.each<[string, () => Record<string, unknown>]>([
    ['missing release', () => without('release')],
    ['missing blob', () => without('blob')],
    ['release is a number', () => ({ ...valid(), release: 1 })],
    ['release is null', () => ({ ...valid(), release: null })],
    ['release is an array', () => ({ ...valid(), release: ['1.0.0'] })],
    ['release is an object', () => ({ ...valid(), release: {} })],
    ['release is a boolean', () => ({ ...valid(), release: true })],
    ['blob is an object', () => ({ ...valid(), blob: {} })],
    ['blob is a number', () => ({ ...valid(), blob: 42 })],
    ['blob is null', () => ({ ...valid(), blob: null })],
    ['blob is an array', () => ({ ...valid(), blob: [valid().blob] })],
    ['media_type is a number', () => ({ ...valid(), media_type: 5 })],
    ['media_type is an object', () => ({ ...valid(), media_type: { $ne: null } })],
  ])('%s', async (_label, body) => {
    await expectRefused(ns, () => cnr.post(victimPath(), body()), 400, 'invalid-usage');
  });
});

describe('blobs that are not a tar.gz: 400 invalid-blob', () => {
  it.each<[string, () => string]>([
    ['not base64', () => '%%% not base64 %%%'],
    ['base64 of a plain tar (not gzip)', () => b64(tarArchive(chartEntries({ name: VICTIM, version: '1.0.0' })))],
    ['base64 of plain text', () => b64(Buffer.from('apiVersion: v2\nname: victim\n'))],
    [
      'base64 of gzip of something that is not a tar',
      () => b64(gzipSync(Buffer.from('hello, this is not a tar archive\n'.repeat(20)))),
    ],
    [
      'base64 of a truncated gzip',
      () => {
        const archive = victimArchive();
        return b64(archive.subarray(0, Math.floor(archive.length / 2)));
      },
    ],
  ])('%s', async (_label, blob) => {
    await expectRefused(ns, () => cnr.post(victimPath(), { ...goodBody(), blob: blob() }), 400, 'invalid-blob');
  });
});

describe('the hostile tar corpus: 422 unsafe-archive or 400 invalid-blob', () => {
  // libs/testing tar-corpus.factory; test/clients/go-tar.e2e.spec.ts reads the same archives with Go.
  const corpus = (): HostileTar[] => hostileTars({ chart: VICTIM, salt: `${ns}/${(archives += 1)}` });

  it.each(hostileTars().map((c) => [c.label, c.refusal] as const))('%s: %s', async (label, refusal) => {
    const hostile = corpus().find((c) => c.label === label)!;
    const body = pushBody({ release: '1.0.0', mediaType: 'helm', archive: gzipSync(hostile.tar) });
    await expectRefused(ns, () => cnr.post(victimPath(), body), refusal === 'unsafe-archive' ? 422 : 400, refusal);
  });
});

describe('gzip bombs: 413 archive-too-large', () => {
  it('refuses an archive past the expansion ratio (16 MiB of zeros)', async () => {
    const archive = victimArchive([{ name: `${VICTIM}/zeros.bin`, content: Buffer.alloc(16 * 1024 * 1024) }]);
    expect(archive.length * 200).toBeLessThan(16 * 1024 * 1024);
    const body = pushBody({ release: '1.0.0', mediaType: 'helm', archive });
    await expectRefused(ns, () => cnr.post(victimPath(), body), 413, 'archive-too-large');
  });

  it('refuses an archive past the unpacked size (65 MiB) at a ratio under the limit', async () => {
    const archive = victimArchive([
      { name: `${VICTIM}/noise.bin`, content: randomBytes(512 * 1024) },
      { name: `${VICTIM}/zeros.bin`, content: Buffer.alloc(65 * 1024 * 1024) },
    ]);
    expect(archive.length * 200).toBeGreaterThan(66 * 1024 * 1024);
    const body = pushBody({ release: '1.0.0', mediaType: 'helm', archive });
    await expectRefused(ns, () => cnr.post(victimPath(), body), 413, 'archive-too-large');
  });
});

describe('bad names: 400 invalid-name', () => {
  const raw = (nsSegment: string, nameSegment: string): string => `/api/v1/packages/${nsSegment}/${nameSegment}`;

  it.each<[string, () => string]>([
    ['an uppercase package', () => raw(ns, 'Victim')],
    ['an uppercase namespace', () => raw(ns.toUpperCase(), VICTIM)],
    ['a Cyrillic look-alike letter', () => raw(ns, encodeURIComponent('vi\u0441tim'))],
    ['a letter with a diacritic', () => raw(ns, encodeURIComponent('vict\u00edm'))],
    ['a fullwidth letter', () => raw(ns, encodeURIComponent('\uff56ictim'))],
    ['a zero-width space', () => raw(ns, encodeURIComponent('vic\u200btim'))],
    ['a percent-encoded slash in the package', () => raw(ns, 'vic%2Ftim')],
    ['a percent-encoded slash in the namespace', () => raw(`${ns}%2Fx`, VICTIM)],
    ['.. inside the package', () => raw(ns, 'vic..tim')],
    ['.. inside the namespace', () => raw(`${ns}..x`, VICTIM)],
    ['a leading dash', () => raw(ns, '-victim')],
    ['a leading dot', () => raw(ns, '.victim')],
    ['a leading underscore', () => raw(ns, '_victim')],
    ['a space', () => raw(ns, 'vic%20tim')],
    ['an @', () => raw(ns, 'victim@1.0.0')],
    ['a 256-character package', () => raw(ns, 'v'.repeat(256))],
    ['a 256-character namespace', () => raw('n'.repeat(256), VICTIM)],
    ['a trailing dot', () => raw(ns, 'victim.')],
  ])('push with %s', async (_label, path) => {
    await expectRefused(ns, () => cnr.post(path(), goodBody()), 400, 'invalid-name');
  });

  // fetch resolves `..` and `%2e%2e` segments itself; these go out byte for byte.
  it.each([['..'], ['%2E%2E'], ['%2e.'], ['.']])('push to the package segment %s, sent verbatim', async (segment) => {
    const body = JSON.stringify(goodBody());
    await expectRefused(
      ns,
      () =>
        cnr.exact('POST', `/api/v1/packages/${ns}/${segment}`, {
          body,
          headers: { 'content-type': 'application/json' },
        }),
      400,
      'invalid-name',
    );
  });

  // Channel names follow Quay's tag rule instead: ASCII letters of either case, digits, `_`, `.`
  // and `-`, starting with a letter, digit or `_`, at most 128 characters, no `..`.
  it.each<[string, string]>([
    ['a space', 'sta%20ble'],
    ['a colon', 'sta:ble'],
    ['.. inside', 'sta..ble'],
    ['a percent-encoded slash', 'sta%2Fble'],
    ['a leading dash', '-stable'],
    ['a leading dot', '.stable'],
    ['a Cyrillic look-alike letter', encodeURIComponent('\u0455table')],
    ['129 characters', 's'.repeat(129)],
  ])('add to a channel named with %s', async (_label, channel) => {
    await expectRefused(
      ns,
      () => cnr.post(`${packagePath(ns, EXISTING)}/channels/${channel}/1.0.0`),
      400,
      'invalid-name',
    );
  });

  it.each<[string, () => string]>([
    ['show an uppercase package', () => raw(ns, 'Existing')],
    ['show with a percent-encoded slash', () => `${raw(ns, 'exi%2Fsting')}/1.0.0/kpm`],
    ['pull with a Cyrillic look-alike letter', () => `${raw(ns, encodeURIComponent('\u0435xisting'))}/1.0.0/kpm/pull`],
    ['list channels of a package with ..', () => `${raw(ns, 'exi..sting')}/channels`],
    ['show a channel named with a colon', () => `${packagePath(ns, EXISTING)}/channels/sta:ble`],
  ])('reads refuse them too: %s', async (_label, path) => {
    expectError(await cnr.get(path()), 400, 'invalid-name');
  });

  it('accepts a 255-character name (the limit is inclusive)', async () => {
    const name = 'a'.repeat(255);
    await pushOk(ns, name, { release: '1.0.0', mediaType: 'helm', archive: archiveFor(name.slice(0, 40), '1.0.0') });
    expect((await cnr.get(packagePath(ns, name, '1.0.0', 'helm'))).status).toBe(200);
  });
});

describe('releases that are not strict SemVer 2.0: 422 invalid-release', () => {
  it.each([
    ['1.0'],
    ['1'],
    ['v1.0.0'],
    ['01.0.0'],
    ['1.0.0.0'],
    ['1.0.0-'],
    ['1.0.0+'],
    ['1.0.0-01'],
    ['latest'],
    [' 1.0.0'],
    ['1.0.0/../2.0.0'],
    [`1.0.0-${'a'.repeat(300)}`],
  ])('%j', async (release) => {
    const body = pushBody({ release, mediaType: 'helm', archive: victimArchive() });
    await expectRefused(ns, () => cnr.post(victimPath(), body), 422, 'invalid-release');
  });
});

describe('media types with path characters: 400 invalid-media-type', () => {
  it.each([['a/b'], ['../helm'], ['helm/../kpm'], ['..'], ['helm\\kpm']])('%j', async (mediaType) => {
    const body = pushBody({ release: '1.0.0', mediaType, archive: victimArchive() });
    await expectRefused(ns, () => cnr.post(victimPath(), body), 400, 'invalid-media-type');
  });
});

describe('duplicates and force: 409 package-exists', () => {
  it('a push of identical bytes stores nothing', async () => {
    await expectRefused(
      ns,
      () => push(ns, EXISTING, { release: '1.0.0', mediaType: 'kpm', archive: existingArchive }),
      409,
      'package-exists',
    );
  });

  it.each<[string, Record<string, unknown>, Record<string, string> | undefined]>([
    ['without force', {}, undefined],
    ['force as a JSON boolean', { force: true }, undefined],
    ['force "yes" in the body', { force: 'yes' }, undefined],
    ['force "True" in the body', { force: 'True' }, undefined],
    ['?force=1', {}, { force: '1' }],
    ['?force=false', {}, { force: 'false' }],
  ])('different bytes %s', async (label, extra, query) => {
    const body = {
      ...pushBody({ release: '1.0.0', mediaType: 'kpm', archive: archiveFor(EXISTING, '1.0.0', `${ns}/${label}`) }),
      ...extra,
    };
    await expectRefused(ns, () => cnr.post(packagePath(ns, EXISTING), body, { query }), 409, 'package-exists');
  });
});

describe('writes aimed at things that do not exist', () => {
  it.each<[string, () => Promise<HttpResponse>, number, string | string[]]>([
    [
      'add a missing release to a channel',
      () => cnr.post(packagePath(ns, EXISTING, 'channels', 'stable', '9.9.9')),
      404,
      'package-release-not-found',
    ],
    [
      'add to a channel of a missing package',
      () => cnr.post(packagePath(ns, 'missing', 'channels', 'stable', '1.0.0')),
      404,
      'package-not-found',
    ],
    [
      'delete a missing channel',
      () => cnr.delete(packagePath(ns, EXISTING, 'channels', 'nope')),
      404,
      'channel-not-found',
    ],
    [
      'delete a release from a missing channel',
      () => cnr.delete(packagePath(ns, EXISTING, 'channels', 'nope', '1.0.0')),
      404,
      'channel-not-found',
    ],
    [
      'delete a missing release',
      () => cnr.delete(packagePath(ns, EXISTING, '9.9.9', 'kpm')),
      404,
      ['package-not-found', 'package-release-not-found'],
    ],
    [
      'delete a media type the release lacks',
      () => cnr.delete(packagePath(ns, EXISTING, '1.0.0', 'helm')),
      404,
      ['package-not-found', 'package-release-not-found'],
    ],
    [
      'delete from a missing package',
      () => cnr.delete(packagePath(ns, 'missing', '1.0.0', 'kpm')),
      404,
      'package-not-found',
    ],
  ])('%s', async (_label, write, status, code) => {
    await expectRefused(ns, write, status, code);
  });
});

describe('query parameters that look like operators', () => {
  /** Either a clean refusal or a 200 list; never a 5xx. */
  function listOrRefusal(res: HttpResponse): ListEntry[] | undefined {
    expect(res.status).toBeLessThan(500);
    if (res.status !== 200) {
      expectError(res, 400, 'invalid-usage');
      return undefined;
    }
    return res.json<ListEntry[]>();
  }

  it.each([
    ['namespace=NS&namespace[$ne]=zzz'],
    ['namespace[$ne]=zzz&namespace=NS'],
    ['namespace=NS&namespace[$regex]=.*'],
  ])('list ?%s stays within the namespace', async (query) => {
    const entries = listOrRefusal(await cnr.get('/api/v1/packages', { query: query.replace(/NS/g, ns) }));
    for (const entry of entries ?? []) expect(entry.name).toMatch(new RegExp(`^${ns}/`));
  });

  it.each([['namespace[$ne]=zzz'], ['namespace[$regex]=.*'], ['namespace[$gt]=']])(
    'list ?%s does not match everything',
    async (query) => {
      const entries = listOrRefusal(await cnr.get('/api/v1/packages', { query }));
      expect((entries ?? []).map((e) => e.name)).not.toContain(`${ns}/${EXISTING}`);
    },
  );

  it.each([['.*'], ['*'], ['name:* OR *'], ['*:*'], ['" OR ""="'], ["') OR 1=1 --"]])(
    'list ?query=%j within the namespace matches nothing',
    async (q) => {
      await eventually(async () => {
        const res = await cnr.get('/api/v1/packages', { query: { namespace: ns, query: EXISTING } });
        expect(res.json<ListEntry[]>().map((e) => e.name)).toContain(`${ns}/${EXISTING}`);
      });
      const entries = listOrRefusal(await cnr.get('/api/v1/packages', { query: { namespace: ns, query: q } }));
      expect(entries ?? []).toEqual([]);
    },
  );
});

describe('search queries with query-language syntax', () => {
  beforeAll(async () => {
    // Make sure the package is searchable, so that "not found" below means "not matched".
    await eventually(async () => expect(await search(EXISTING)).toContain(`${ns}/${EXISTING}`));
  });

  it.each([['name:* OR *'], ['*'], ['.*'], ['*:*'], ['_exists_:name'], ['" OR ""="'], ['{"match_all":{}}']])(
    '%j does not match everything',
    async (q) => {
      const res = await cnr.get('/api/v1/packages/search', { query: { q } });
      expect(res.status).toBeLessThan(500);
      if (res.status !== 200) {
        expectError(res, 400, 'invalid-usage');
        return;
      }
      const names = res.json<string[]>();
      expect(Array.isArray(names)).toBe(true);
      expect(names).not.toContain(`${ns}/${EXISTING}`);
    },
  );

  it('q[$ne]=x neither fails nor matches everything', async () => {
    const res = await cnr.get('/api/v1/packages/search', { query: 'q[$ne]=x' });
    expect(res.status).toBeLessThan(500);
    if (res.status === 200) expect(res.json<string[]>()).not.toContain(`${ns}/${EXISTING}`);
    else expectError(res, 400, 'invalid-usage');
  });
});

it('leaves the existing package exactly as seeded', async () => {
  const pulled = await cnr.get(packagePath(ns, EXISTING, '1.0.0', 'kpm', 'pull'));
  expect(pulled.bytes.equals(existingArchive)).toBe(true);
  expect((await cnr.get(packagePath(ns, EXISTING, 'channels'))).json()).toEqual([
    { name: 'stable', current: '1.0.0', releases: ['1.0.0'] },
  ]);
  const victim = await cnr.get(victimPath());
  expectError(victim, 404, 'package-not-found');
});
