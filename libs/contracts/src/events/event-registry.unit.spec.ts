import type { JsonValue, PackageEvent } from '@wharf/domain';
import {
  addedToChannel,
  chartMetadata,
  channelDeleted,
  published,
  deleted,
  removedFromChannel,
  testDigest,
} from '@wharf/testing';
import type { EventEnvelope } from './event-envelope';
import {
  EventContractError,
  MAX_CONSUMED_DATA_DEPTH,
  MAX_PRODUCED_DATA_DEPTH,
  currentEventVersion,
  validateForProduce,
  validateOnConsume,
} from './event-registry';

function envelope(event: PackageEvent, overrides: Record<string, unknown> = {}): EventEnvelope {
  return {
    type: event.type,
    version: 1,
    id: 'event-1',
    occurredAt: '2026-02-01T12:00:00.000Z',
    correlationId: 'correlation-1',
    causationId: 'command-1',
    package: 'ns1/app1',
    sequence: 1,
    data: event.data,
    ...overrides,
  } as EventEnvelope;
}

function overJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** The error a call throws, failing the test when it throws nothing or something else. */
function contractError(call: () => unknown): EventContractError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(EventContractError);
    return error as EventContractError;
  }
  throw new Error('expected an EventContractError, nothing was thrown');
}

const everyEvent: [string, () => PackageEvent][] = [
  ['ReleasePublished (minimal)', () => published()],
  [
    'ReleasePublished (chart, metadata, replaced, private)',
    () =>
      published({
        metadata: { maintainers: [{ name: 'a', email: null }], n: 1.5, ok: true, tags: ['x'] },
        chart: chartMetadata({
          maintainers: [{ name: 'm', email: 'm@example.com' }],
          annotations: { 'a/b': 'c' },
          dependencies: [{ name: 'dep', version: '1.0.0' }],
          deprecated: false,
        }),
        replaced: { apprDigest: testDigest('old'), blobDigest: testDigest('old-blob') },
        visibility: 'private',
        size: 0,
      }),
  ],
  ['ReleaseDeleted', () => deleted({ release: '1.0.0-rc.1+build.5', mediaType: 'kpm' })],
  ['ReleaseDeleted (by retention)', () => deleted({ reason: { kind: 'retention', policy: 'keep-10' } })],
  ['ReleaseAddedToChannel', () => addedToChannel({ channel: 'stable', release: '2.0.0' })],
  ['ReleaseRemovedFromChannel (new current)', () => removedFromChannel({ current: '0.9.0' })],
  ['ReleaseRemovedFromChannel (none left)', () => removedFromChannel({ current: null })],
  ['ChannelDeleted', () => channelDeleted({ channel: '__proto__' })],
  [
    'OciManifestPushed (pushed by sha512, naming a sha512 blob)',
    () => ({
      type: 'OciManifestPushed',
      data: {
        digest: testDigest('manifest'),
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        size: 10,
        blobs: [testDigest('layer')],
        manifests: [],
        aliases: [
          { digest: `sha512:${'a'.repeat(128)}`, key: testDigest('manifest') },
          { digest: `sha512:${'b'.repeat(128)}`, key: testDigest('layer') },
        ],
        visibility: 'public',
      },
    }),
  ],
];

describe('event contracts', () => {
  it('refuses a ReleaseDeleted whose reason is not a retention policy', () => {
    for (const reason of [
      { kind: 'whim', policy: 'p' },
      { kind: 'retention', policy: '' },
    ])
      contractError(() => validateForProduce(envelope(deleted({ reason } as never))));
  });

  it.each(everyEvent)('%s round-trips produce → JSON → consume unchanged', (_name, make) => {
    const original = envelope(make());
    const produced = validateForProduce(original);
    expect(produced).toEqual(original);
    expect(validateOnConsume(overJson(produced))).toEqual(original);
  });

  it.each([
    'ReleasePublished',
    'ReleaseDeleted',
    'ReleaseAddedToChannel',
    'ReleaseRemovedFromChannel',
    'ChannelDeleted',
  ] as const)('the current version of %s is 1', (type) => {
    expect(currentEventVersion(type)).toBe(1);
  });

  it('has no current version for an unknown type', () => {
    expect(() => currentEventVersion('ReleaseFrobbed' as PackageEvent['type'])).toThrow(EventContractError);
  });

  describe('refuses a malformed envelope, naming the field', () => {
    it.each([
      ['id', { id: undefined }],
      ['id', { id: '' }],
      ['occurredAt', { occurredAt: 'yesterday' }],
      ['correlationId', { correlationId: undefined }],
      ['causationId', { causationId: 42 }],
      ['package', { package: 'no-namespace' }],
      ['package', { package: 'a/b/c' }],
      ['sequence', { sequence: 0 }],
      ['sequence', { sequence: 1.5 }],
      ['version', { version: '1' }],
      ['type', { type: '' }],
    ])('%s: %j', (field, overrides) => {
      for (const validate of [validateOnConsume, validateForProduce] as ((raw: unknown) => unknown)[]) {
        const error = contractError(() => validate(envelope(published(), overrides)));
        expect(error.message).toMatch(/malformed event envelope/);
        expect(error.issues.some((issue) => issue.startsWith(`${field}:`))).toBe(true);
      }
    });

    it.each([null, 'ReleasePublished', 42, []])('not an object: %j', (raw) => {
      const error = contractError(() => validateOnConsume(raw));
      expect(error.message).toMatch(/malformed event envelope/);
    });
  });

  it('refuses an unknown event type, naming it', () => {
    const error = contractError(() => validateOnConsume(envelope(published(), { type: 'ReleaseFrobbed' })));
    expect(error.message).toContain('ReleaseFrobbed');
  });

  it('refuses an unknown version of a known type, naming it', () => {
    const error = contractError(() => validateOnConsume(envelope(published(), { version: 2 })));
    expect(error.message).toContain('ReleasePublished@2');
  });

  describe('refuses data that breaks its schema, naming the field', () => {
    it.each<[string, () => PackageEvent]>([
      ['apprDigest', () => published({ apprDigest: testDigest('x').toUpperCase() })],
      ['blobDigest', () => published({ blobDigest: 'sha256:' + testDigest('x') })],
      ['size', () => published({ size: -1 })],
      ['size', () => published({ size: 1.5 })],
      ['visibility', () => published({ visibility: 'secret' as 'public' })],
      ['release', () => published({ release: '' })],
      [
        'replaced',
        () =>
          ({ type: 'ReleasePublished', data: { ...published().data, replaced: undefined } }) as unknown as PackageEvent,
      ],
      ['chart.name', () => published({ chart: { version: '1.0.0' } as never })],
      ['apprDigest', () => deleted({ apprDigest: 'abc' })],
      ['mediaType', () => deleted({ mediaType: '' })],
      ['channel', () => addedToChannel({ channel: '' })],
      ['current', () => removedFromChannel({ current: '' })],
      ['channel', () => ({ type: 'ChannelDeleted', data: {} }) as unknown as PackageEvent],
    ])('%s', (field, make) => {
      for (const validate of [validateOnConsume, validateForProduce] as ((raw: unknown) => unknown)[]) {
        const error = contractError(() => validate(overJson(envelope(make()))));
        expect(error.message).toMatch(/^invalid \w+@1 data/);
        expect(error.issues.some((issue) => issue.startsWith(`${field}:`))).toBe(true);
      }
    });

    it('refuses an envelope whose data is missing', () => {
      const error = contractError(() => validateOnConsume(envelope(addedToChannel(), { data: undefined })));
      expect(error.message).toMatch(/invalid ReleaseAddedToChannel@1 data/);
    });
  });

  describe('deeply nested data', () => {
    /** `levels` objects (or arrays) inside each other, a number innermost. */
    function nested(levels: number, kind: 'object' | 'array' = 'object'): JsonValue {
      let value: JsonValue = 1;
      for (let i = 0; i < levels; i++) value = kind === 'object' ? { a: value } : [value];
      return value;
    }

    // The data object is level 1 and metadata level 2, so metadata may nest one level less.
    it.each([
      ['produce', validateForProduce as (raw: unknown) => unknown, MAX_PRODUCED_DATA_DEPTH],
      ['consume', validateOnConsume as (raw: unknown) => unknown, MAX_CONSUMED_DATA_DEPTH],
    ])('%s accepts metadata up to its bound (%s levels of data)', (_name, validate, bound) => {
      const original = envelope(published({ metadata: nested(bound - 1) }));
      expect(validate(original)).toEqual(original);
    });

    it.each([
      ['produce', validateForProduce as (raw: unknown) => unknown, MAX_PRODUCED_DATA_DEPTH],
      ['consume', validateOnConsume as (raw: unknown) => unknown, MAX_CONSUMED_DATA_DEPTH],
    ])('%s refuses metadata one level past its bound, naming the field', (_name, validate, bound) => {
      const error = contractError(() => validate(envelope(published({ metadata: nested(bound) }))));
      expect(error.message).toMatch(/^invalid ReleasePublished@1 data/);
      expect(error.issues).toEqual([`metadata: nested deeper than ${bound} levels`]);
    });

    it.each([
      ['produce', validateForProduce as (raw: unknown) => unknown, 1_000],
      ['produce', validateForProduce as (raw: unknown) => unknown, 100_000],
      ['consume', validateOnConsume as (raw: unknown) => unknown, 100_000],
    ])(
      '%s refuses %s levels of objects or arrays as invalid data, not with a stack overflow',
      (_name, validate, levels) => {
        for (const kind of ['object', 'array'] as const) {
          const error = contractError(() => validate(envelope(published({ metadata: nested(levels, kind) }))));
          expect(error.issues).toEqual([expect.stringMatching(/^metadata: nested deeper than \d+ levels$/)]);
        }
      },
    );

    it('accepts more depth on consume than on produce, so no event appended before the produce bound existed is refused', () => {
      expect(MAX_CONSUMED_DATA_DEPTH).toBeGreaterThan(MAX_PRODUCED_DATA_DEPTH);
      const appendedEarlier = envelope(published({ metadata: nested(MAX_PRODUCED_DATA_DEPTH + 100) }));
      expect(validateOnConsume(overJson(appendedEarlier))).toEqual(appendedEarlier);
    });
  });

  it.each<[string, unknown]>([
    ['NaN', { n: Number.NaN }],
    ['a function', { f: () => 1 }],
    ['a Date', { when: new Date(0) }],
    ['undefined in an array', [1, undefined]],
  ])('refuses metadata that is not JSON (%s), naming the field', (_name, metadata) => {
    const error = contractError(() => validateForProduce(envelope(published({ metadata: metadata as JsonValue }))));
    expect(error.issues).toEqual([expect.stringMatching(/^metadata: not a (finite number|JSON value)/)]);
  });

  it('refuses to produce a version that is not the current one', () => {
    const error = contractError(() =>
      validateForProduce(envelope(published(), { version: currentEventVersion('ReleasePublished') + 1 })),
    );
    expect(error.message).toContain('ReleasePublished@2');
  });
});
