import type { FastifyRequest } from 'fastify';
import { InvalidUsageError } from '@wharf/domain';
import {
  acceptsGzip,
  chartUploadFiles,
  contextPathOf,
  etagMatches,
  indexFormat,
  indexQuery,
  isForced,
} from './helm-http';

const request = (url: string, headers: Record<string, string> = {}, originalUrl = url) =>
  ({ url, originalUrl, headers }) as unknown as FastifyRequest;

describe('indexQuery', () => {
  const now = new Date('2024-06-10T12:34:56.789Z');

  it('reads latest, window (cut-off rounded down to the minute) and since, the later cut-off winning', () => {
    expect(indexQuery({}, now)).toEqual({});
    expect(indexQuery({ latest: '5' }, now)).toEqual({ latest: 5 });
    expect(indexQuery({ window: '2d' }, now)).toEqual({ since: '2024-06-08T12:34:00.000Z' });
    expect(indexQuery({ window: '90m', since: '2024-01-01T00:00:00Z' }, now)).toEqual({
      since: '2024-06-10T11:04:00.000Z',
    });
    expect(indexQuery({ since: '2024-06-10T00:00:00Z', window: '30d' }, now)).toEqual({
      since: '2024-06-10T00:00:00.000Z',
    });
  });

  it.each([
    [{ latest: '0' }],
    [{ latest: 'x' }],
    [{ window: '3w' }],
    [{ since: 'yesterday' }],
    [{ 'latest[$gt]': '1' }],
  ])('refuses %j', (query) => {
    expect(() => indexQuery(query, now)).toThrow(InvalidUsageError);
  });
});

describe('indexFormat', () => {
  it('is JSON for index.json or Accept: application/json, YAML otherwise', () => {
    expect(indexFormat(request('/helm/ns/index.json'))).toBe('json');
    expect(indexFormat(request('/helm/ns/index.yaml', { accept: 'application/json' }))).toBe('json');
    expect(indexFormat(request('/helm/ns/index.yaml', { accept: '*/*' }))).toBe('yaml');
    expect(indexFormat(request('/helm/ns/index.yaml', { accept: 'application/x-yaml, application/json' }))).toBe(
      'yaml',
    );
  });
});

describe('contextPathOf', () => {
  it('is the prefix the client used before /<namespace>/index.*', () => {
    expect(contextPathOf(request('/helm/ns/index.yaml'), 'ns')).toBe('/helm');
    expect(contextPathOf(request('/helm/ns/index.yaml', {}, '/cnr/helm/ns/index.yaml?latest=2'), 'ns')).toBe(
      '/cnr/helm',
    );
    expect(contextPathOf(request('/helm/ns/index.yaml', {}, '/helm/ns/index.yaml/'), 'ns')).toBe('/helm');
  });
});

describe('etagMatches', () => {
  it('compares weakly, in lists, and matches *', () => {
    expect(etagMatches('W/"1.abc"', 'W/"1.abc"')).toBe(true);
    expect(etagMatches('"1.abc"', 'W/"1.abc"')).toBe(true);
    expect(etagMatches('"0.x", W/"1.abc"', 'W/"1.abc"')).toBe(true);
    expect(etagMatches('*', 'W/"1.abc"')).toBe(true);
    expect(etagMatches('W/"2.abc"', 'W/"1.abc"')).toBe(false);
    expect(etagMatches('', 'W/"1.abc"')).toBe(false);
  });
});

describe('acceptsGzip', () => {
  it('honours q=0', () => {
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('br;q=1, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
  });
});

describe('isForced', () => {
  it("reads ChartMuseum's bare ?force", () => {
    expect(isForced({ force: '' })).toBe(true);
    expect(isForced({ force: 'true' })).toBe(true);
    expect(isForced({ force: 'false' })).toBe(false);
    expect(isForced({})).toBe(false);
  });
});

describe('chartUploadFiles', () => {
  const form = (parts: [string, string][]) =>
    Buffer.from(
      parts
        .map(([name, data]) => `--b\r\nContent-Disposition: form-data; name="${name}"; filename="x"\r\n\r\n${data}\r\n`)
        .join('') + '--b--\r\n',
    );

  it('takes the body as the chart, or the form fields chart and prov', () => {
    expect(chartUploadFiles(undefined, Buffer.from('tgz'))).toEqual({ chart: Buffer.from('tgz'), prov: null });
    expect(
      chartUploadFiles(
        'multipart/form-data; boundary=b',
        form([
          ['chart', 'tgz'],
          ['prov', 'sig'],
        ]),
      ),
    ).toEqual({ chart: Buffer.from('tgz'), prov: Buffer.from('sig') });
  });

  it('refuses no chart, an empty chart field and a field sent twice', () => {
    expect(() => chartUploadFiles('application/gzip', Buffer.alloc(0))).toThrow(
      expect.objectContaining({ details: { field: 'chart' } }),
    );
    expect(() => chartUploadFiles('multipart/form-data; boundary=b', form([['prov', 'sig']]))).toThrow(
      expect.objectContaining({ details: { field: 'chart' } }),
    );
    expect(() =>
      chartUploadFiles(
        'multipart/form-data; boundary=b',
        form([
          ['chart', 'a'],
          ['chart', 'b'],
        ]),
      ),
    ).toThrow(expect.objectContaining({ details: { field: 'chart' } }));
  });
});
