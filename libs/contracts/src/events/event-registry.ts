/**
 * One schema per (type, version). Producers validate before appending; consumers validate on
 * receipt and upcast older versions to the current one. Within a version only additive,
 * optional fields may be added; anything else is a new version file plus an upcaster here.
 */
import { z } from 'zod';
import type { PackageEvent } from '@wharf/domain';
import { ChannelDeletedV1 } from './channel-deleted.v1';
import { EventEnvelope, envelopeSchema } from './event-envelope';
import { ReleaseAddedToChannelV1 } from './release-added-to-channel.v1';
import { ReleaseDeletedV1 } from './release-deleted.v1';
import { ReleasePublishedV1 } from './release-published.v1';
import { ReleaseRemovedFromChannelV1 } from './release-removed-from-channel.v1';
import { PackageVisibilityChangedV1 } from './package-visibility-changed.v1';
import { OciManifestDeletedV1, OciManifestPushedV1, OciTaggedV1, OciUntaggedV1 } from './oci-artifact-events.v1';

interface EventContract {
  type: string;
  version: number;
  schema: z.ZodTypeAny;
  /** Turns data of this version into data of version + 1; absent on the current version. */
  upcast?: (data: unknown) => unknown;
}

const CONTRACTS: readonly EventContract[] = [
  ReleasePublishedV1,
  ReleaseDeletedV1,
  ReleaseAddedToChannelV1,
  ReleaseRemovedFromChannelV1,
  ChannelDeletedV1,
  PackageVisibilityChangedV1,
  OciManifestPushedV1,
  OciManifestDeletedV1,
  OciTaggedV1,
  OciUntaggedV1,
];

/**
 * How deep objects and arrays may nest in an event's data (the data object is level 1, a
 * release's `metadata` level 2). Producing is held to the tighter bound, so no new event nests
 * deeper than the gateway's metadata rule allows with room to spare (WHARF_MAX_METADATA_DEPTH
 * must stay below it). Consuming accepts more: whatever the earlier, recursive validator let a
 * producer append (it overflowed the stack between 2,000 and 5,000 levels), so no stored event
 * is refused now; deeper data is refused as invalid rather than handed to the consumers'
 * recursive walks (deepFreeze, JSON.stringify), which would overflow on it.
 */
export const MAX_PRODUCED_DATA_DEPTH = 256;
export const MAX_CONSUMED_DATA_DEPTH = 2_048;

const byKey = new Map(CONTRACTS.map((c) => [`${c.type}@${c.version}`, c]));
const currentVersion = new Map<string, number>();
for (const c of CONTRACTS) currentVersion.set(c.type, Math.max(currentVersion.get(c.type) ?? 0, c.version));

export class EventContractError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(issues.length ? `${message}: ${issues.join('; ')}` : message);
    this.name = 'EventContractError';
  }
}

export function currentEventVersion(type: PackageEvent['type']): number {
  const version = currentVersion.get(type);
  if (version === undefined) throw new EventContractError(`unknown event type ${type}`);
  return version;
}

/** Validates an envelope about to be appended; throws EventContractError. */
export function validateForProduce(envelope: EventEnvelope): EventEnvelope {
  const parsed = parseEnvelope(envelope, MAX_PRODUCED_DATA_DEPTH);
  if (parsed.version !== currentEventVersion(parsed.type as PackageEvent['type'])) {
    throw new EventContractError(`refusing to produce ${parsed.type}@${parsed.version}: not the current version`);
  }
  return parsed;
}

/** Validates an envelope read from a log and upcasts its data to the current version. */
export function validateOnConsume(raw: unknown): EventEnvelope {
  let envelope = parseEnvelope(raw, MAX_CONSUMED_DATA_DEPTH);
  for (;;) {
    const contract = byKey.get(`${envelope.type}@${envelope.version}`)!;
    if (!contract.upcast) return envelope;
    envelope = parseEnvelope(
      { ...envelope, version: envelope.version + 1, data: contract.upcast(envelope.data) },
      MAX_CONSUMED_DATA_DEPTH,
    );
  }
}

function parseEnvelope(raw: unknown, maxDataDepth: number): EventEnvelope {
  const head = envelopeSchema.safeParse(raw);
  if (!head.success) throw new EventContractError('malformed event envelope', issuesOf(head.error));
  const contract = byKey.get(`${head.data.type}@${head.data.version}`);
  if (!contract) throw new EventContractError(`unknown event ${head.data.type}@${head.data.version}`);
  const tooDeep = fieldNestedDeeperThan(head.data.data, maxDataDepth);
  if (tooDeep !== null) {
    throw new EventContractError(`invalid ${head.data.type}@${head.data.version} data`, [
      `${tooDeep}: nested deeper than ${maxDataDepth} levels`,
    ]);
  }
  const data = contract.schema.safeParse(head.data.data);
  if (!data.success)
    throw new EventContractError(`invalid ${head.data.type}@${head.data.version} data`, issuesOf(data.error));
  return { ...head.data, data: data.data } as EventEnvelope;
}

/**
 * The top-level field of `data` under which objects and arrays nest deeper than `max` levels
 * (`(root)` if `data` itself is too deep), or null. Iterative: deep input cannot overflow it.
 */
function fieldNestedDeeperThan(data: unknown, max: number): string | null {
  const pending: { value: unknown; depth: number; field: string }[] = [{ value: data, depth: 1, field: '(root)' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > max) return next.field;
    for (const [key, child] of Object.entries(value)) {
      pending.push({ value: child, depth: depth + 1, field: depth === 1 ? key : next.field });
    }
  }
  return null;
}

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}
