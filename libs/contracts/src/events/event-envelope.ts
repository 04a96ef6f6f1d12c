/**
 * The versioned envelope every event travels in, on every log. `sequence` is per package and
 * gapless from 1; with `package` it identifies the event for idempotent projections. `id` is
 * unique per event; `causationId` is the command that caused it; `correlationId` ties together
 * everything one client request caused.
 */
import { z } from 'zod';
import type { PackageEvent, RecordedEvent } from '@wharf/domain';

export const envelopeSchema = z.object({
  type: z.string().min(1),
  version: z.number().int().positive(),
  id: z.string().min(1),
  occurredAt: z.string().datetime({ offset: true }),
  correlationId: z.string().min(1),
  causationId: z.string().min(1),
  package: z.string().regex(/^[^/]+\/[^/]+$/),
  sequence: z.number().int().positive(),
  data: z.unknown(),
});

export interface EventEnvelope<E extends PackageEvent = PackageEvent> extends RecordedEvent<E> {
  version: number;
  id: string;
  correlationId: string;
}

/** An envelope as read back from a log, with the log's own position (opaque outside the adapter). */
export interface StoredEvent<E extends PackageEvent = PackageEvent> extends EventEnvelope<E> {
  position: string;
}
