import { randomUUID } from 'node:crypto';
import type { CommandMeta } from '@wharf/domain';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Ids and time for a command, made at the edge so the domain stays pure. */
export function newCommandMeta(requestId: string | undefined, now: Date = new Date()): CommandMeta {
  return {
    commandId: randomUUID(),
    correlationId: requestId && REQUEST_ID.test(requestId) ? requestId : randomUUID(),
    issuedAt: now.toISOString(),
  };
}
