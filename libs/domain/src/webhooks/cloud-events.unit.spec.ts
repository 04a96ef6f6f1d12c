import type { PackageEvent } from '../package/package.events';
import { LoggedEvent, cloudEventsOf, manifestsAfter } from './cloud-events';

const BASE = 'https://registry.example';
const REGISTRY = { origin: BASE, apiPrefix: '/cnr' };
const logged = (event: PackageEvent, over: Partial<LoggedEvent> = {}): LoggedEvent => ({
  id: 'ev-1',
  ...event,
  package: 'acme/web',
  sequence: 3,
  occurredAt: '2026-01-01T00:00:00.000Z',
  ...over,
});
const published: PackageEvent = {
  type: 'ReleasePublished',
  data: {
    release: '1.2.3',
    mediaType: 'helm',
    apprDigest: 'a'.repeat(64),
    blobDigest: 'b'.repeat(64),
    size: 1234,
    metadata: null,
    chart: null,
    replaced: null,
    visibility: 'public',
  },
};
const deleted: PackageEvent = {
  type: 'ReleaseDeleted',
  data: { release: '1.2.3', mediaType: 'helm', apprDigest: 'a'.repeat(64), blobDigest: 'b'.repeat(64) },
};

describe('cloudEventsOf', () => {
  it('should put the appr pull URL under the API prefix, the Helm repository and OCI at the root', () => {
    const registry = { origin: 'https://wharf.example:8443/registry', apiPrefix: '/appr' };
    const event = { ...published, data: { ...published.data, release: '1.2.3+build.1' } } as PackageEvent;
    expect(cloudEventsOf(logged(event), 0, registry)[0]!.event.data.pullUrls).toEqual({
      appr: 'https://wharf.example:8443/registry/appr/api/v1/packages/acme/web/1.2.3+build.1/helm/pull',
      helm: 'https://wharf.example:8443/registry/helm/acme/charts/web-1.2.3+build.1.tgz',
      oci: 'oci://wharf.example:8443/acme/web:1.2.3_build.1',
    });
    const manifest = { ...published, data: { ...published.data, mediaType: 'kpm' } } as PackageEvent;
    expect(cloudEventsOf(logged(manifest), 0, registry)[0]!.event.data.pullUrls).toEqual({
      appr: 'https://wharf.example:8443/registry/appr/api/v1/packages/acme/web/1.2.3/kpm/pull',
    });
  });

  it('should map a publication to io.wharf.release.published with the log id, time, digests and pull URLs', () => {
    expect(cloudEventsOf(logged(published), 0, REGISTRY)).toEqual([
      {
        name: 'release.published',
        event: {
          specversion: '1.0',
          id: 'ev-1',
          source: `${BASE}/acme`,
          type: 'io.wharf.release.published',
          subject: 'acme/web@1.2.3',
          time: '2026-01-01T00:00:00.000Z',
          datacontenttype: 'application/json',
          data: {
            package: 'acme/web',
            namespace: 'acme',
            name: 'web',
            sequence: 3,
            release: '1.2.3',
            mediaType: 'helm',
            digest: `sha256:${'b'.repeat(64)}`,
            apprDigest: `sha256:${'a'.repeat(64)}`,
            size: 1234,
            replaced: false,
            visibility: 'public',
            pullUrls: {
              appr: `${BASE}/cnr/api/v1/packages/acme/web/1.2.3/helm/pull`,
              helm: `${BASE}/helm/acme/charts/web-1.2.3.tgz`,
              oci: 'oci://registry.example/acme/web:1.2.3',
            },
          },
        },
      },
    ]);
  });

  it('should add package.deleted, with an id of its own, when the last manifest goes', () => {
    expect(cloudEventsOf(logged(deleted), 2, REGISTRY).map((c) => [c.name, c.event.id])).toEqual([
      ['release.deleted', 'ev-1'],
    ]);
    expect(cloudEventsOf(logged(deleted), 1, REGISTRY).map((c) => [c.name, c.event.id, c.event.subject])).toEqual([
      ['release.deleted', 'ev-1', 'acme/web@1.2.3'],
      ['package.deleted', 'ev-1.package-deleted', 'acme/web'],
    ]);
  });

  it("should name the retention policy of a retention delete, and no reason for a caller's delete", () => {
    const byRetention = { ...deleted, data: { ...deleted.data, reason: { kind: 'retention', policy: 'keep-3' } } };
    expect(cloudEventsOf(logged(byRetention as PackageEvent), 2, REGISTRY)[0]!.event.data).toMatchObject({
      reason: { kind: 'retention', policy: 'keep-3' },
    });
    expect(cloudEventsOf(logged(deleted), 2, REGISTRY)[0]!.event.data).not.toHaveProperty('reason');
  });

  it('should map channel and visibility changes', () => {
    const kinds = (
      [
        { type: 'ReleaseAddedToChannel', data: { channel: 'stable', release: '1.2.3' } },
        { type: 'ReleaseRemovedFromChannel', data: { channel: 'stable', release: '1.2.3', current: null } },
        { type: 'ChannelDeleted', data: { channel: 'stable' } },
        { type: 'PackageVisibilityChanged', data: { visibility: 'private' } },
      ] as PackageEvent[]
    ).map((e) =>
      cloudEventsOf(logged(e), 1, REGISTRY).map((c) => [c.event.type, c.event.data.change ?? c.event.data.visibility]),
    );
    expect(kinds).toEqual([
      [['io.wharf.channel.changed', 'release-added']],
      [['io.wharf.channel.changed', 'release-removed']],
      [['io.wharf.channel.changed', 'deleted']],
      [['io.wharf.package.visibility_changed', 'private']],
    ]);
  });

  it('should count manifests: a forced push replaces, a delete removes', () => {
    expect(manifestsAfter(0, published)).toBe(1);
    expect(
      manifestsAfter(1, {
        ...published,
        data: { ...published.data, replaced: { apprDigest: 'x', blobDigest: 'y' } },
      } as PackageEvent),
    ).toBe(1);
    expect(manifestsAfter(1, deleted)).toBe(0);
  });
});
