/**
 * The e2e tests' webhook receiver (webhook-receiver-server.mjs) as a process of its own, and what a real
 * receiver checks before it trusts a delivery.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { verifySignature } from '@wharf/domain';

export interface Received {
  headers: Record<string, string>;
  body: string;
  status: number;
  answered: boolean;
  at: number;
  answeredAt: number;
}

export interface Receiver {
  url: string;
  child: ChildProcess;
  received(path: string): Promise<Received[]>;
  control(
    path: string,
    behaviour: { fail?: number; status?: number; delayMs?: number; random?: boolean },
  ): Promise<void>;
  /** Takes the receiver down for `ms` (connections refused), then it listens on the same port again. */
  outage(ms: number): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const child = spawn(process.execPath, [join(__dirname, 'webhook-receiver-server.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    child.stdout!.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()).port)),
  );
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    received: async (path) => (await (await fetch(`${url}/_received${path}`)).json()) as Received[],
    control: async (path, behaviour) => {
      await fetch(`${url}/_control${path}`, { method: 'POST', body: JSON.stringify(behaviour) });
    },
    outage: async (ms) => {
      await fetch(`${url}/_outage`, { method: 'POST', body: JSON.stringify({ ms }) });
    },
  };
}

export type ReceivedCloudEvent = Record<string, unknown> & { id: string; type: string; data: Record<string, unknown> };

/** What a receiver checks before it trusts a delivery, with `secret`; each check returns the CloudEvent. */
export function verifiedBy(secret: string): (delivery: Received) => ReceivedCloudEvent {
  return (delivery) => verify(secret, delivery);
}

function verify(secret: string, delivery: Received): ReceivedCloudEvent {
  const headers = {
    'webhook-id': delivery.headers['webhook-id']!,
    'webhook-timestamp': delivery.headers['webhook-timestamp']!,
    'webhook-signature': delivery.headers['webhook-signature']!,
  };
  expect(verifySignature(secret, headers, delivery.body)).toBe(true);
  // As Standard Webhooks receivers do: the signed time is whole seconds, within 5 minutes of arrival.
  const sentAt = Number(headers['webhook-timestamp']) * 1000;
  expect(Number.isInteger(sentAt / 1000) && Math.abs(delivery.at - sentAt) < 5 * 60_000).toBe(true);
  expect(delivery.headers['content-type']).toBe('application/cloudevents+json');
  const event = JSON.parse(delivery.body);
  expect(event.id).toBe(headers['webhook-id']);
  expect(event.specversion).toBe('1.0');
  return event;
}

/** The deliveries the receiver answered with a 2xx on a live connection. */
export const acknowledged = (list: Received[]) => list.filter((r) => r.answered && r.status < 300);
