import {
  BadRequestException,
  HttpException,
  InternalServerErrorException,
  MethodNotAllowedException,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import {
  ArchiveTooLargeError,
  ChannelNotFoundError,
  ConcurrencyConflictError,
  InvalidBlobError,
  InvalidMediaTypeError,
  InvalidNameError,
  InvalidReleaseError,
  InvalidUsageError,
  PackageExistsError,
  PackageNotFoundError,
  RangeNotSatisfiableError,
  RateLimitedError,
  ReleaseNotFoundError,
  ServiceUnavailableError,
  UnsafeArchiveError,
  UnsupportedError,
  WharfError,
} from '@wharf/domain';
import { fromWire, toWire } from '@wharf/contracts';
import { DependencyUnavailableError } from '@wharf/ports';
import { renderError } from './error-renderer';
import { PayloadTooLargeError, RouteNotFoundError } from './transport-errors';

const typedErrors: [WharfError<string>, number][] = [
  [new InvalidUsageError('Missing release', { field: 'release' }), 400],
  [new InvalidNameError('package', 'Bad!', 'not allowed'), 400],
  [new InvalidMediaTypeError('x y', 'bad'), 400],
  [new InvalidBlobError('not gzip'), 400],
  [new PackageNotFoundError('ns1/app1', '1.0.0', 'helm'), 404],
  [new ReleaseNotFoundError('ns1/app1', '>=9'), 404],
  [new ChannelNotFoundError('ns1/app1', 'stable'), 404],
  [new RouteNotFoundError('GET', '/nope'), 404],
  [new PackageExistsError('ns1/app1', '1.0.0', 'helm'), 409],
  [new ConcurrencyConflictError('ns1/app1', 1, 2), 409],
  [new PayloadTooLargeError(1024), 413],
  [new ArchiveTooLargeError('entries', 10), 413],
  [new InvalidReleaseError('1.0', 'not semver'), 422],
  [new UnsafeArchiveError('../etc/passwd', 'escapes'), 422],
  [new UnsupportedError('reindex is not supported'), 501],
];

describe('renderError', () => {
  it.each(typedErrors)(
    'renders %p with status %i, its code, message and details, flat and in the error envelope',
    (error, status) => {
      const rendered = renderError(error, 'GET', '/api/v1/packages');
      const content = { code: error.code, message: error.message, details: error.details };
      expect(rendered).toEqual({ status, body: { ...content, error: content }, headers: {}, unexpected: false });
    },
  );

  it('renders the reference server body for a missing package', () => {
    expect(renderError(new PackageNotFoundError('ns1/app1'), 'GET', '/').body).toMatchObject({
      code: 'package-not-found',
      message: "package ns1/app1 doesn't exist, v: None, type: None",
      details: { package: 'ns1/app1', release: null, media_type: null },
    });
  });

  it('renders a range that names no byte of a blob as 416 with the Content-Range of its size', () => {
    const rendered = renderError(new RangeNotSatisfiableError(2048), 'GET', '/v2/a/b/blobs/sha256:00');
    expect(rendered.status).toBe(416);
    expect(rendered.body.code).toBe('range-not-satisfiable');
    expect(rendered.headers).toEqual({ 'content-range': 'bytes */2048' });
  });

  it('renders ServiceUnavailable as 503 with Retry-After', () => {
    const rendered = renderError(new ServiceUnavailableError('metadata store'), 'POST', '/x');
    expect(rendered.status).toBe(503);
    expect(rendered.body.code).toBe('service-unavailable');
    expect(rendered.body.details).toEqual({ dependency: 'metadata store' });
    expect(rendered.headers).toEqual({ 'retry-after': '5' });
    expect(renderError(new ServiceUnavailableError('event log', 30), 'POST', '/x').headers).toEqual({
      'retry-after': '30',
    });
  });

  it('renders a 503 or 429 that crossed a process boundary (a command reply) with Retry-After too', () => {
    const unavailable = fromWire(toWire(new ServiceUnavailableError('metadata service')));
    const limited = fromWire(toWire(new RateLimitedError(17)));

    expect(renderError(unavailable, 'POST', '/x')).toMatchObject({ status: 503, headers: { 'retry-after': '5' } });
    expect(renderError(limited, 'POST', '/x')).toMatchObject({ status: 429, headers: { 'retry-after': '17' } });
  });

  describe('a dependency that cannot be reached', () => {
    const secret = 'connect ECONNREFUSED 10.0.0.7:27017 mongodb://admin:hunter2@db';

    it.each<[string, unknown]>([
      ['a refused connection', Object.assign(new Error(secret), { code: 'ECONNREFUSED' })],
      [
        'a reset connection, as the cause',
        new Error('request failed', { cause: Object.assign(new Error(secret), { code: 'ECONNRESET' }) }),
      ],
      // What the store adapters make of their drivers' outages (MongoDB's server selection, an SQLite file locked by another process, ...).
      [
        'a store adapter reporting its engine down',
        new DependencyUnavailableError('MongoDB', {
          cause: Object.assign(new Error(secret), { name: 'MongoServerSelectionError' }),
        }),
      ],
      [
        'a store outage, as the cause',
        new Error('apply failed', {
          cause: new DependencyUnavailableError('SQLite', {
            cause: Object.assign(new Error(secret), { code: 'SQLITE_BUSY' }),
          }),
        }),
      ],
      ['a 5xx from a store', Object.assign(new Error(secret), { statusCode: 502 })],
    ])('(%s) is a 503 service-unavailable with Retry-After that says nothing about internals', (_kind, error) => {
      const rendered = renderError(error, 'GET', '/api/v1/packages');
      expect(rendered).toMatchObject({ status: 503, headers: { 'retry-after': '5' }, unexpected: false });
      expect(rendered.body).toMatchObject({ code: 'service-unavailable', error: { code: 'service-unavailable' } });
      expect(JSON.stringify(rendered)).not.toMatch(/hunter2|ECONN|10\.0\.0\.7|mongodb:/);
    });
  });

  describe('an unexpected error', () => {
    const secret = 'SQLITE_CORRUPT at /var/lib/wharf/metadata.db password=hunter2';

    it.each<[string, unknown]>([
      ['an Error', new Error(secret)],
      ['a TypeError', new TypeError(secret)],
      ['an Error with a code of its own', Object.assign(new Error(secret), { code: 'ERR_OSSL_EVP_BAD_DECRYPT' })],
      ['a string', secret],
      ['an object', { message: secret }],
      ['null', null],
      ['undefined', undefined],
      ['a 5xx HttpException', new InternalServerErrorException(secret)],
    ])('(%s) is a 500 internal-error that says nothing about internals', (_kind, error) => {
      const rendered = renderError(error, 'GET', '/api/v1/packages');
      expect(rendered.status).toBe(500);
      expect(rendered.unexpected).toBe(true);
      expect(rendered.body).toEqual({
        code: 'internal-error',
        message: 'internal error',
        details: {},
        error: { code: 'internal-error', message: 'internal error', details: {} },
      });
      expect(JSON.stringify(rendered)).not.toMatch(/hunter2|SQLITE|\/var\/lib|at .*\.ts:/);
    });

    // An error's `code` is looked up in the Fastify table; names inherited from Object.prototype
    // must not count as entries (see report).
    it.each(['constructor', '__proto__'])('whose code is %j is still a 500 internal-error', (code) => {
      const rendered = renderError(Object.assign(new Error(secret), { code }), 'GET', '/');
      expect(rendered.status).toBe(500);
      expect(rendered.body.code).toBe('internal-error');
    });
  });

  describe('framework errors', () => {
    it.each([
      ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'payload-too-large'],
      ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'invalid-usage'],
      ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'invalid-usage'],
      ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 400, 'invalid-usage'],
      ['FST_ERR_BAD_URL', 400, 'invalid-usage'],
    ])('%s → %i %s', (code, status, wireCode) => {
      const rendered = renderError(Object.assign(new Error('fastify says no'), { code }), 'POST', '/x');
      expect(rendered.status).toBe(status);
      expect(rendered.body.code).toBe(wireCode);
      expect(rendered.unexpected).toBe(false);
    });

    it('a 404 from the router is route-not-found naming the method and path', () => {
      const rendered = renderError(new NotFoundException(), 'GET', '/api/v1/nope');
      expect(rendered.status).toBe(404);
      expect(rendered.body).toMatchObject({
        code: 'route-not-found',
        details: { method: 'GET', path: '/api/v1/nope' },
      });
      expect(rendered.body.error.code).toBe('route-not-found');
    });

    it('a 405 is method-not-allowed', () => {
      const rendered = renderError(new MethodNotAllowedException(), 'PUT', '/api/v1/packages');
      expect(rendered.status).toBe(405);
      expect(rendered.body).toMatchObject({
        code: 'method-not-allowed',
        details: { method: 'PUT', path: '/api/v1/packages' },
      });
    });

    it('a 413 HttpException is payload-too-large', () => {
      expect(renderError(new PayloadTooLargeException(), 'POST', '/x')).toMatchObject({
        status: 413,
        body: { code: 'payload-too-large' },
      });
    });

    it('another 4xx HttpException is invalid-usage', () => {
      expect(renderError(new BadRequestException('bad'), 'POST', '/x')).toMatchObject({
        status: 400,
        body: { code: 'invalid-usage' },
        unexpected: false,
      });
      expect(renderError(new HttpException('teapot', 418), 'POST', '/x')).toMatchObject({
        status: 400,
        body: { code: 'invalid-usage' },
      });
    });

    it('a Fastify request error carrying a 4xx statusCode is a client error', () => {
      expect(
        renderError(
          Object.assign(new Error('bad body'), { code: 'FST_ERR_UNKNOWN_PARSE', statusCode: 400 }),
          'POST',
          '/x',
        ),
      ).toMatchObject({
        status: 400,
        body: { code: 'invalid-usage' },
      });
      expect(
        renderError(
          Object.assign(new Error('too big'), { code: 'FST_ERR_OTHER_LIMIT', statusCode: 413 }),
          'POST',
          '/x',
        ),
      ).toMatchObject({
        status: 413,
        body: { code: 'payload-too-large' },
      });
    });

    it("a dependency's error with a 4xx statusCode is our failure: a 500 that does not leak its message", () => {
      const rendered = renderError(
        Object.assign(new Error('index_not_found_exception: wharf-packages'), { statusCode: 404 }),
        'GET',
        '/x',
      );
      expect(rendered).toMatchObject({
        status: 500,
        body: { code: 'internal-error', message: 'internal error' },
        unexpected: true,
      });
      expect(JSON.stringify(rendered.body)).not.toContain('index_not_found');
    });
  });
});
