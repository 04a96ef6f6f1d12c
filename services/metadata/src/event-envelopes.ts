import { randomUUID } from 'node:crypto';
import type { CommandMeta, PackageEvent } from '@wharf/domain';
import { EventEnvelope, currentEventVersion, validateForProduce } from '@wharf/contracts';

/** Wraps decided events in validated envelopes that continue the package's stream after `lastSequence`. */
export function envelopesFor(
  pkg: string,
  lastSequence: number,
  events: PackageEvent[],
  meta: CommandMeta,
): EventEnvelope[] {
  return events.map((event, i) =>
    validateForProduce({
      type: event.type,
      version: currentEventVersion(event.type),
      id: randomUUID(),
      occurredAt: meta.issuedAt,
      correlationId: meta.correlationId,
      causationId: meta.commandId,
      package: pkg,
      sequence: lastSequence + i + 1,
      data: event.data,
    } as EventEnvelope),
  );
}
