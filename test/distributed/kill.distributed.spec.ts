/**
 * Crash safety of the distributed profile: while a client pushes a steady stream of releases,
 * each service is killed with SIGKILL (metadata, then search, then blob, then the gateway) and
 * started again a few seconds later. Pushes may fail while a service is down, but none that was
 * acknowledged is lost, none lands twice, and every projection equals a fresh fold of the log.
 * Then a second search process joins: it takes partitions of group `search` and answers the
 * same as the first, while the upload path goes on untouched.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistributedStack, sleep } from './support/distributed-stack';
import { AcknowledgedPush, PushStream, sha256 } from './support/push-stream';
import { expectEnginesAgreeWithLog, readTopic, searchProblems, streams } from './support/log-checks';
import { eventually } from '@wharf/testing';

jest.setTimeout(600_000);

const PACKAGES = ['crash/alpha', 'crash/bravo', 'crash/charlie', 'crash/delta', 'crash/echo', 'crash/foxtrot'];
const DOWN_MS = 3_000;

const runId = `k${Date.now().toString(36)}`;
const stack = new DistributedStack({ runId, logDir: mkdtempSync(join(tmpdir(), `wharf-kill-${runId}-`)) });

beforeAll(async () => {
  await stack.up();
});

afterAll(async () => {
  await stack.down();
});

async function expectReadable(push: AcknowledgedPush): Promise<void> {
  const base = `${stack.url()}/cnr/api/v1/packages/${push.pkg}/${push.release}/helm`;
  const show = await fetch(base);
  expect({ push: `${push.pkg}@${push.release}`, status: show.status }).toEqual({
    push: `${push.pkg}@${push.release}`,
    status: 200,
  });
  const manifest = (await show.json()) as { content: { digest: string } };
  expect(manifest.content.digest).toBe(push.apprDigest);
  const pull = await fetch(`${base}/pull`);
  expect(pull.status).toBe(200);
  expect(sha256(Buffer.from(await pull.arrayBuffer()))).toBe(push.blobDigest);
}

async function searchFrom(instance: string, text: string): Promise<string[]> {
  const res = await fetch(`${stack.url(instance)}/internal/v1/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text, limit: 100 }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as string[];
}

async function groupMembers(group: string): Promise<{ memberId: string; partitions: number[] }[]> {
  const { Kafka, AssignerProtocol, logLevel } = await import('kafkajs');
  const admin = new Kafka({ brokers: stack.env.WHARF_KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [described] = (await admin.describeGroups([`${stack.namespaces.WHARF_KAFKA_TOPIC_PREFIX}${group}`])).groups;
    return described.members.map((m) => {
      const assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      return { memberId: m.memberId, partitions: Object.values(assignment?.assignment ?? {}).flat() };
    });
  } finally {
    await admin.disconnect();
  }
}

it('loses no acknowledged push and applies no event twice when each service is killed with SIGKILL and restarted', async () => {
  const started = Date.now();
  const stream = new PushStream({ url: () => stack.url(), packages: PACKAGES, concurrency: 3 });
  const kills: string[] = [];
  stream.start();
  try {
    await stream.waitForAcknowledged(30);
    for (const service of ['metadata', 'search', 'blob', 'gateway']) {
      const killedAt = Date.now();
      await stack.kill(service);
      await sleep(DOWN_MS);
      await stack.start(service);
      const restartedAt = Date.now();
      // The stream resumes by itself after every restart.
      await stream.waitForAcknowledged(30, 180_000);
      kills.push(
        `${service} (back ${((restartedAt - killedAt) / 1000).toFixed(1)} s after the kill; longest time without an acknowledged push ${(stream.longestGapAfter(killedAt) / 1000).toFixed(1)} s)`,
      );
    }
  } finally {
    await stream.stop();
  }
  const acknowledged = stream.acknowledged;

  for (const push of acknowledged) await expectReadable(push);

  const brokers = stack.env.WHARF_KAFKA_BROKERS.split(',');
  const { eventCount } = await expectEnginesAgreeWithLog(stack, {
    brokers,
    acknowledged,
    searchWithinMs: 60_000,
    noDeadLetters: true,
  });
  for (const pkg of PACKAGES) expect(await searchFrom('search', pkg.split('/')[1])).toContain(pkg);

  process.stdout.write(
    `[kill] ${acknowledged.length} pushes acknowledged of ${stream.attempted}, failures ${JSON.stringify(Object.fromEntries(stream.failures))}, ` +
      `${eventCount} events, kills: ${kills.join(', ')}, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
});

it('scales search alone: a second search process takes partitions and answers the same', async () => {
  const stream = new PushStream({ url: () => stack.url(), packages: PACKAGES, concurrency: 2, first: 100_000 });
  stream.start();
  try {
    await stack.start('search#2');
    // Both members share the events topic's partitions (the topic has more than one).
    const members = await eventually(async () => {
      const found = await groupMembers('search');
      expect(found).toHaveLength(2);
      for (const member of found) expect(member.partitions.length).toBeGreaterThan(0);
      return found;
    }, 90_000);
    // Between them, every partition of the events topic (WHARF_KAFKA_PARTITIONS, 12 by default), each once.
    expect(members.flatMap((m) => m.partitions).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    // The upload path does not notice.
    await stream.waitForAcknowledged(20, 60_000);
  } finally {
    await stream.stop();
  }
  expect([...stream.failures.keys()]).toEqual([]);

  const brokers = stack.env.WHARF_KAFKA_BROKERS.split(',');
  const log = streams(await readTopic(brokers, `${stack.namespaces.WHARF_KAFKA_TOPIC_PREFIX}events`));
  await eventually(
    async () =>
      expect(
        await searchProblems(stack.env.WHARF_OPENSEARCH_URL, stack.namespaces.WHARF_OPENSEARCH_INDEX_PREFIX, log),
      ).toEqual([]),
    60_000,
  );
  for (const text of ['crash', 'alpha', 'echo', 'fox']) {
    expect(await searchFrom('search#2', text)).toEqual(await searchFrom('search', text));
  }
  for (const push of stream.acknowledged) await expectReadable(push);
});
