import { InvalidChartError, InvalidNameError } from '../errors';
import { emptyPackageView } from '../package/package.view';
import { evolve } from '../package/package.decider';
import type { RecordedEvent } from '../package/package.events';
import { chartCoordinates } from './chart-upload';
import { chartVersionsOf, touchesCharts } from './chart-versions';
import { assertProvenance } from './provenance';

const digest = (c: string) => c.repeat(64);

function published(
  release: string,
  mediaType: string,
  sequence: number,
  extra: Record<string, unknown> = {},
): RecordedEvent {
  return {
    type: 'ReleasePublished',
    data: {
      release,
      mediaType,
      apprDigest: digest('a'),
      blobDigest: digest('b'),
      size: 10,
      metadata: null,
      chart: mediaType === 'helm' ? { apiVersion: 'v2', name: 'other-name', version: '0.0.1', appVersion: '9' } : null,
      replaced: null,
      visibility: 'public',
      ...extra,
    },
    package: 'ns/web',
    sequence,
    occurredAt: `2024-01-0${sequence}T00:00:00.000Z`,
    causationId: `c${sequence}`,
  };
}

describe('chartVersionsOf', () => {
  it('takes helm releases with chart metadata only, named by package and release', () => {
    const events = [
      published('1.0.0', 'helm', 1, { provenanceDigest: digest('c') }),
      published('1.0.0', 'kpm', 2),
      published('2.0.0', 'helm', 3, { chart: null }),
    ];
    const view = events.reduce(evolve, emptyPackageView('ns/web'));
    expect(chartVersionsOf(view)).toEqual({
      package: 'ns/web',
      namespace: 'ns',
      sequence: 3,
      visibility: 'public',
      versions: [
        {
          name: 'web',
          version: '1.0.0',
          chart: { apiVersion: 'v2', name: 'other-name', version: '0.0.1', appVersion: '9' },
          blobDigest: digest('b'),
          apprDigest: digest('a'),
          size: 10,
          provenanceDigest: digest('c'),
          createdAt: '2024-01-01T00:00:00.000Z',
        },
      ],
    });
  });
});

describe('touchesCharts', () => {
  it('is true for helm publishes and deletes and for events that may change visibility, never for channel events or other media types', () => {
    expect(touchesCharts([{ type: 'PackageVisibilityChanged', data: { visibility: 'private' } }])).toBe(true);
    expect(touchesCharts([{ type: 'ReleasePublished', data: { mediaType: 'helm' } }])).toBe(true);
    expect(touchesCharts([{ type: 'ReleaseDeleted', data: { mediaType: 'helm' } }])).toBe(true);
    expect(touchesCharts([{ type: 'ReleasePublished', data: { mediaType: 'kpm' } }])).toBe(false);
    expect(touchesCharts([{ type: 'ReleaseAddedToChannel', data: { channel: 'stable', release: '1.0.0' } }])).toBe(
      false,
    );
  });
});

describe('chartCoordinates', () => {
  it('names the package and release from Chart.yaml', () => {
    expect(chartCoordinates('ns', { name: 'web', version: '1.2.3' }, null)).toEqual({
      ref: { namespace: 'ns', name: 'web', full: 'ns/web' },
      release: '1.2.3',
    });
  });

  it('refuses a missing Chart.yaml, a bad name and a version that is not strict SemVer', () => {
    expect(() => chartCoordinates('ns', null, 'no Chart.yaml')).toThrow(InvalidChartError);
    expect(() => chartCoordinates('ns', { name: 'Web', version: '1.0.0' }, null)).toThrow(InvalidNameError);
    expect(() => chartCoordinates('ns', { name: 'web', version: '1.0' }, null)).toThrow(InvalidChartError);
  });
});

describe('assertProvenance', () => {
  const prov = (body: string) =>
    Buffer.from(
      `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${body}\n-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n`,
    );

  it('accepts a clear-signed message naming the archive digest', () => {
    expect(() => assertProvenance(prov(`files:\n  web-1.0.0.tgz: sha256:${digest('b')}`), digest('b'))).not.toThrow();
  });

  it('refuses one for another archive, or one that is not clear-signed', () => {
    expect(() => assertProvenance(prov(`files:\n  web-1.0.0.tgz: sha256:${digest('d')}`), digest('b'))).toThrow(
      /sha256 mismatch/,
    );
    expect(() => assertProvenance(Buffer.from(`sha256:${digest('b')}`), digest('b'))).toThrow(/clear-signed/);
    expect(() => assertProvenance(Buffer.alloc(0), digest('b'))).toThrow(/empty/);
  });
});
