import { randomUUID } from 'node:crypto';
import type { CommandMeta } from '@wharf/domain';

/**
 * Ids and time for a command, made at the edge so the domain stays pure. Its correlation id is
 * the request's id (the one on the request's log lines and in its `x-request-id` answer).
 */
export function newCommandMeta(requestId: string, now: Date = new Date()): CommandMeta {
  return { commandId: randomUUID(), correlationId: requestId, issuedAt: now.toISOString() };
}
