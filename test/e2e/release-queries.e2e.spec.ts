/**
 * `{release}` in GET paths is a release query (appr-api.md §2.2): `default` is the highest
 * version, pre-releases included; anything else is a semver range, comma meaning "and", which
 * considers pre-releases only when the query itself contains `-`. Ordering is semver, not text.
 */
import { cnr, expectError } from '../support/http-client';
import { archiveFor, isoDateTime, listNamespace, packagePath, pushOk, uniqueNamespace } from './support/appr.fixtures';
import type { Manifest, PullJson } from './support/appr.types';

jest.setTimeout(30_000);

const NAME = 'ranges';
/** Pushed in this (non-sorted) order, so that neither insertion nor text order equals semver order. */
const RELEASES = ['1.9.9', '0.9.0', '2.1.0-alpha.1', '1.10.0', '1.0.0', '2.0.0', '1.0.1', '2.1.0-beta.1', '1.5.0'];
const DESCENDING = ['2.1.0-beta.1', '2.1.0-alpha.1', '2.0.0', '1.10.0', '1.9.9', '1.5.0', '1.0.1', '1.0.0', '0.9.0'];

let ns: string;
const path = (...segments: string[]): string => packagePath(ns, NAME, ...segments);

beforeAll(async () => {
  ns = uniqueNamespace();
  for (const release of RELEASES)
    await pushOk(ns, NAME, { release, mediaType: 'kpm', archive: archiveFor(NAME, release) });
});

it('lists releases in semver order, highest (pre-release included) as default', async () => {
  expect(await listNamespace(ns)).toEqual([
    {
      name: `${ns}/${NAME}`,
      namespace: ns,
      default: '2.1.0-beta.1',
      releases: DESCENDING,
      manifests: ['kpm'],
      visibility: 'public',
      created_at: isoDateTime,
      updated_at: isoDateTime,
    },
  ]);
});

const MATCHES: Array<[query: string, release: string]> = [
  ['default', '2.1.0-beta.1'],
  ['>=1.0.0', '2.0.0'],
  ['==1.0.1', '1.0.1'],
  ['1.0.1', '1.0.1'],
  ['>=1.5,<2.0', '1.10.0'],
  ['>=1.0.0,<1.10.0', '1.9.9'],
  ['<1.0.0', '0.9.0'],
  ['>1.9.9,<=2.0.0', '2.0.0'],
  ['>=2.1.0-0', '2.1.0-beta.1'],
  ['<2.1.0-beta.1', '2.1.0-alpha.1'],
  ['==2.1.0-alpha.1', '2.1.0-alpha.1'],
  ['2.1.0-alpha.1', '2.1.0-alpha.1'],
];
const NO_MATCH = [
  '>=3.0.0',
  '1.0.2',
  '==1.0.2',
  '<0.9.0',
  // 2.1.0-alpha.1 and 2.1.0-beta.1 are above 2.0.0, but the query has no "-".
  '>2.0.0',
];
const UNPARSABLE = ['abc', 'latest', '>=a.b.c', '>>1.0.0'];

describe.each(MATCHES)('query %s', (query, expected) => {
  it(`shows ${expected}`, async () => {
    const res = await cnr.get(path(query, 'kpm'));
    expect({ status: res.status, release: res.json<Manifest>().release }).toEqual({ status: 200, release: expected });
  });

  it(`pulls ${expected}`, async () => {
    const json = await cnr.get(path(query, 'kpm', 'pull', 'json'));
    expect(json.status).toBe(200);
    expect(json.json<PullJson>()).toEqual(
      expect.objectContaining({
        release: expected,
        filename: `${ns}_${NAME}_${expected}.tar.gz`,
        blob: archiveFor(NAME, expected).toString('base64'),
      }),
    );
    const raw = await cnr.get(path(query, 'kpm', 'pull'));
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-disposition')).toBe(`${ns}_${NAME}_${expected}.tar.gz`);
    expect(raw.bytes.equals(archiveFor(NAME, expected))).toBe(true);
  });
});

it('combines a query with the "-" media type', async () => {
  const res = await cnr.get(path('>=1.5,<2.0', '-', 'pull', 'json'));
  expect(res.status).toBe(200);
  expect(res.json<PullJson>()).toEqual(expect.objectContaining({ release: '1.10.0', media_type: 'kpm' }));
});

describe.each(NO_MATCH)('query %s matches nothing', (query) => {
  it('404s show and pull with package-release-not-found', async () => {
    expectError(await cnr.get(path(query, 'kpm')), 404, 'package-release-not-found');
    expectError(await cnr.get(path(query, 'kpm', 'pull')), 404, 'package-release-not-found');
  });
});

describe.each(UNPARSABLE)('query %s does not parse', (query) => {
  it('422s show and pull with invalid-release', async () => {
    expectError(await cnr.get(path(query, 'kpm')), 422, 'invalid-release');
    expectError(await cnr.get(path(query, 'kpm', 'pull')), 422, 'invalid-release');
  });
});

/**
 * Wharf resolves queries on `P/{release}` (all manifests of one release) too, like every other
 * GET path. The reference server looks that segment up verbatim there (a query gives
 * package-not-found), so these cases are Wharf's decision, not reference parity.
 */
describe('the manifests of one release, P/{release}', () => {
  it.each(MATCHES)('query %s lists the manifests of %s', async (query, expected) => {
    const res = await cnr.get(path(query));
    expect(res.status).toBe(200);
    expect(res.json<Manifest[]>().map((m) => m.release)).toEqual([expected]);
  });

  it.each(NO_MATCH)('query %s 404s with package-release-not-found', async (query) => {
    expectError(await cnr.get(path(query)), 404, 'package-release-not-found');
  });

  it.each(UNPARSABLE)('query %s 422s with invalid-release', async (query) => {
    expectError(await cnr.get(path(query)), 422, 'invalid-release');
  });
});
