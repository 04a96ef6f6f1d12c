import {
  packageListQuery,
  pushReleaseRequest,
  packageSearch,
  showPackageMediaType,
  visibilityRequest,
} from './package-requests';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('pushReleaseRequest', () => {
  it('reads the push from the body merged over the query, the body winning, with the defaults', () => {
    expect(pushReleaseRequest({ release: '0.0.1', force: 'true' }, json({ release: '1.0.0', blob: 'H4sI' }))).toEqual({
      release: '1.0.0',
      mediaType: 'kpm',
      blob: 'H4sI',
      metadata: null,
      visibility: undefined,
      force: true,
    });
    expect(
      pushReleaseRequest(
        {},
        json({ release: '1.0.0', blob: 'x', media_type: 'helm', metadata: { a: 1 }, visibility: 'private' }),
      ),
    ).toMatchObject({
      mediaType: 'helm',
      metadata: { a: 1 },
      visibility: 'private',
      force: false,
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no release', { blob: 'x' }, 'invalid-usage'],
    ['a release that is not SemVer', { release: '1.0', blob: 'x' }, 'invalid-release'],
    ['a bad media type', { release: '1.0.0', blob: 'x', media_type: '-' }, 'invalid-media-type'],
    ['no blob', { release: '1.0.0' }, 'invalid-usage'],
    ['metadata that is not an object', { release: '1.0.0', blob: 'x', metadata: 'text' }, 'invalid-usage'],
    ['an unknown visibility', { release: '1.0.0', blob: 'x', visibility: 'secret' }, 'invalid-usage'],
  ])('refuses %s', (_label, body, code) => {
    expect(() => pushReleaseRequest({}, json(body))).toThrow(expect.objectContaining({ code }));
  });

  it('reports the first bad field in the order the push checks them: release before media type before blob', () => {
    expect(() => pushReleaseRequest({}, json({ release: 'x', media_type: '-' }))).toThrow(
      expect.objectContaining({ code: 'invalid-release' }),
    );
    expect(() => pushReleaseRequest({}, json({ release: '1.0.0', media_type: '-' }))).toThrow(
      expect.objectContaining({ code: 'invalid-media-type' }),
    );
  });
});

describe('the other package routes', () => {
  it('reads a visibility change, and refuses a missing or unknown one', () => {
    expect(visibilityRequest(json({ visibility: 'public' }))).toBe('public');
    expect(() => visibilityRequest(json({}))).toThrow(
      expect.objectContaining({ code: 'invalid-usage', details: { field: 'visibility' } }),
    );
  });

  it('reads the listing query within the configured bound, empty values meaning absent', () => {
    expect(packageListQuery({}, 50)).toEqual({
      namespace: undefined,
      nameContains: undefined,
      mediaType: undefined,
      limit: 50,
      offset: 0,
    });
    expect(
      packageListQuery({ namespace: 'ns', query: 'app', media_type: 'helm', limit: '50', offset: '3' }, 50),
    ).toEqual({
      namespace: 'ns',
      nameContains: 'app',
      mediaType: 'helm',
      limit: 50,
      offset: 3,
    });
    expect(packageListQuery({ namespace: '', media_type: '' }, 50)).toMatchObject({
      namespace: undefined,
      mediaType: undefined,
    });
    expect(() => packageListQuery({ limit: '51' }, 50)).toThrow(
      expect.objectContaining({ message: "'limit' must be an integer from 1 to 50" }),
    );
    expect(() => packageListQuery({ media_type: '-' }, 50)).toThrow(
      expect.objectContaining({ code: 'invalid-media-type' }),
    );
  });

  it('reads the search text and the media type a package is shown for', () => {
    expect(packageSearch({})).toEqual({ text: '', namespace: undefined, mediaType: undefined, sort: 'relevance' });
    expect(packageSearch({ q: 'nginx', namespace: ' acme ', media_type: 'helm', sort: 'recent' })).toEqual({
      text: 'nginx',
      namespace: 'acme',
      mediaType: 'helm',
      sort: 'recent',
    });
    expect(packageSearch({ sort: '' }).sort).toBe('relevance');
    for (const sort of ['newest', 'RECENT', ['recent', 'relevance']]) {
      expect(() => packageSearch({ q: 'nginx', sort })).toThrow(
        expect.objectContaining({ code: 'invalid-usage', details: { field: 'sort' } }),
      );
    }
    expect(() => packageSearch({ q: 'nginx', media_type: 'Not A Type' })).toThrow(
      expect.objectContaining({ code: 'invalid-media-type' }),
    );
    expect(showPackageMediaType({})).toBeUndefined();
    expect(showPackageMediaType({ media_type: 'helm' })).toBe('helm');
    expect(() => showPackageMediaType({ 'media_type[$ne]': 'x' })).toThrow(
      expect.objectContaining({ code: 'invalid-usage' }),
    );
  });
});
