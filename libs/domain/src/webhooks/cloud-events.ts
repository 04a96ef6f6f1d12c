/**
 * Log events as CloudEvents 1.0 (structured JSON mode): what a CD system needs to act on a
 * change, named after the change rather than after Wharf's internal event types. Pure: the
 * registry's address (origin and API prefix) arrives as an argument; URLs are built by
 * `public-urls.ts`, as everywhere else.
 */
import type { PackageEvent } from '../package/package.events';
import { RegistryAddress, apprPullPath, helmChartPath, ociReference } from '../public-urls';
import type { WebhookEventName } from './webhook';

/** The log event a CloudEvent is made from (an envelope of the log, as far as this needs). */
export interface LoggedEvent {
  id: string;
  type: PackageEvent['type'];
  data: PackageEvent['data'];
  package: string;
  sequence: number;
  occurredAt: string;
}

export interface CloudEvent {
  specversion: '1.0';
  /** The log event's id, stable across retries; `<id>.package-deleted` for the package's removal it caused. */
  id: string;
  /** `<registry origin>/<namespace>`. */
  source: string;
  /** `io.wharf.<webhook event name>`. */
  type: string;
  /** `<package>` or `<package>@<release>`. */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

export const CLOUD_EVENT_CONTENT_TYPE = 'application/cloudevents+json';

/** A CloudEvent with the subscription-facing name of its kind, for matching subscriptions. */
export interface NamedCloudEvent {
  name: WebhookEventName;
  event: CloudEvent;
}

/**
 * Manifests a package holds after `event`, from those it held before: what tells a package's
 * deletion (its last manifest deleted) from a release's.
 */
export function manifestsAfter(before: number, event: Pick<LoggedEvent, 'type' | 'data'>): number {
  const e = event as PackageEvent;
  if (e.type === 'ReleasePublished') return e.data.replaced ? before : before + 1;
  if (e.type === 'ReleaseDeleted') return Math.max(0, before - 1);
  return before;
}

/** The CloudEvents a log event makes, given the manifests its package held before it. */
export function cloudEventsOf(
  event: LoggedEvent,
  manifestsBefore: number,
  registry: RegistryAddress,
): NamedCloudEvent[] {
  const [namespace, name] = event.package.split('/') as [string, string];
  const make = (webhookEvent: WebhookEventName, subject: string, data: Record<string, unknown>, id = event.id) => ({
    name: webhookEvent,
    event: {
      specversion: '1.0' as const,
      id,
      source: `${registry.origin}/${namespace}`,
      type: `io.wharf.${webhookEvent}`,
      subject,
      time: event.occurredAt,
      datacontenttype: 'application/json' as const,
      data: { package: event.package, namespace, name, sequence: event.sequence, ...data },
    },
  });
  const e = { type: event.type, data: event.data } as PackageEvent;
  switch (e.type) {
    case 'ReleasePublished':
      return [
        make('release.published', `${event.package}@${e.data.release}`, {
          release: e.data.release,
          mediaType: e.data.mediaType,
          digest: `sha256:${e.data.blobDigest}`,
          apprDigest: `sha256:${e.data.apprDigest}`,
          size: e.data.size,
          replaced: e.data.replaced !== null,
          visibility: e.data.visibility,
          pullUrls: pullUrls(registry, namespace, name, e.data.release, e.data.mediaType),
        }),
      ];
    case 'ReleaseDeleted': {
      const deleted = make('release.deleted', `${event.package}@${e.data.release}`, {
        release: e.data.release,
        mediaType: e.data.mediaType,
        digest: `sha256:${e.data.blobDigest}`,
        apprDigest: `sha256:${e.data.apprDigest}`,
        // Absent when a caller deleted it; retention names its policy.
        ...(e.data.reason ? { reason: e.data.reason } : {}),
      });
      if (manifestsAfter(manifestsBefore, event) > 0 || manifestsBefore === 0) return [deleted];
      return [deleted, make('package.deleted', event.package, {}, `${event.id}.package-deleted`)];
    }
    case 'ReleaseAddedToChannel':
      return [
        make('channel.changed', event.package, {
          channel: e.data.channel,
          change: 'release-added',
          release: e.data.release,
          current: e.data.release,
        }),
      ];
    case 'ReleaseRemovedFromChannel':
      return [
        make('channel.changed', event.package, {
          channel: e.data.channel,
          change: 'release-removed',
          release: e.data.release,
          current: e.data.current,
        }),
      ];
    case 'ChannelDeleted':
      return [make('channel.changed', event.package, { channel: e.data.channel, change: 'deleted', current: null })];
    case 'PackageVisibilityChanged':
      return [make('package.visibility_changed', event.package, { visibility: e.data.visibility })];
    // OCI artifacts that are not releases have no webhook events (yet): subscribers see releases.
    case 'OciManifestPushed':
    case 'OciManifestDeleted':
    case 'OciTagged':
    case 'OciUntagged':
      return [];
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** Where clients pull a release: appr always; the Helm repository and OCI for Helm charts. */
export function pullUrls(
  registry: RegistryAddress,
  namespace: string,
  name: string,
  release: string,
  mediaType: string,
): Record<string, string> {
  const urls: Record<string, string> = {
    appr: `${registry.origin}${apprPullPath(registry.apiPrefix, namespace, name, release, mediaType)}`,
  };
  if (mediaType === 'helm') {
    urls.helm = `${registry.origin}${helmChartPath(namespace, name, release)}`;
    urls.oci = ociReference(registry.origin, namespace, name, release);
  }
  return urls;
}
