/**
 * Two replicas of every service (issue 17, item 4): while a client pushes a steady stream spread
 * over both gateways, one replica of each kind (metadata, search, blob, gateway) is killed with
 * SIGKILL at once and not started again. The survivors take over: the killed writer's
 * partitions of `metadata-writers` go to the other writer once its session expires (10 s), the
 * gateways pass over the dead metadata, search and blob instances, and the surviving search and
 * blob services follow the whole log. The writer is then started again (it takes partitions
 * back) and killed once more, so the survivor gets back partitions the other wrote meanwhile.
 * Every acknowledged push is then readable from both
 * gateways (the killed one started again, still given the dead instances) after the blob
 * services' collectors have run, none landed twice, and every projection equals a fresh fold of
 * the log.
 *
 * The bound asserted is on behaviour, not speed: every package accepts pushes again within
 * TAKEOVER_BOUND_MS of the kill. What it measures is printed ([replicas] line); see
 * docs/architecture.md, "Replicas".
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistributedStack, sleep } from './support/distributed-stack';
import { AcknowledgedPush, PushStream, sha256 } from './support/push-stream';
import { expectEnginesAgreeWithLog } from './support/log-checks';

jest.setTimeout(600_000);

/** Commands are keyed by namespace: eight namespaces, so both writers own some of them. */
const PACKAGES = ['ra/alpha', 'rb/bravo', 'rc/charlie', 'rd/delta', 're/echo', 'rf/foxtrot', 'rg/golf', 'rh/hotel'];
/**
 * Both blob services collect garbage every second, with a grace period past the commands'
 * deadline (a blob is never older than the grace when its release's command is applied): a
 * replica that counted only some partitions would delete blobs acknowledged pushes reference.
 */
const DEADLINE_S = 15;
const GRACE_S = 20;
/**
 * The writers' session (10 s) plus a rebalance, with room for two cores shared by eight services
 * and the engines: an upper limit of the take-over, not a speed target.
 */
const TAKEOVER_BOUND_MS = 60_000;

const runId = `r${Date.now().toString(36)}`;
const stack = new DistributedStack({
  runId,
  logDir: mkdtempSync(join(tmpdir(), `wharf-replicas-${runId}-`)),
  env: {
    WHARF_DEPENDENCY_TIMEOUT_SECONDS: String(DEADLINE_S),
    WHARF_BLOB_GC_INTERVAL_SECONDS: '1',
    WHARF_BLOB_GC_GRACE_SECONDS: String(GRACE_S),
  },
});

beforeAll(async () => {
  await stack.up(2);
});

afterAll(async () => {
  await stack.down();
});

async function expectReadable(push: AcknowledgedPush, gateway: string): Promise<void> {
  const what = `${push.pkg}@${push.release} via ${gateway}`;
  const base = `${stack.url(gateway)}/cnr/api/v1/packages/${push.pkg}/${push.release}/helm`;
  const show = await fetch(base);
  expect({ what, status: show.status }).toEqual({ what, status: 200 });
  const manifest = (await show.json()) as { content: { digest: string } };
  expect({ what, digest: manifest.content.digest }).toEqual({ what, digest: push.apprDigest });
  const pull = await fetch(`${base}/pull`);
  expect({ what, status: pull.status }).toEqual({ what, status: 200 });
  expect({ what, digest: sha256(Buffer.from(await pull.arrayBuffer())) }).toEqual({ what, digest: push.blobDigest });
}

/** Every package, whichever writer owned it, accepts pushes again within the bound after `killedAt`. */
async function expectTakeOver(stream: PushStream, killedAt: number): Promise<void> {
  const deadline = killedAt + TAKEOVER_BOUND_MS;
  while (resumedPerPackage(stream, killedAt).size < PACKAGES.length && Date.now() < deadline) await sleep(200);
  expect([...resumedPerPackage(stream, killedAt).keys()].sort()).toEqual([...PACKAGES].sort());
}

/** Per package, milliseconds from `since` to its first push acknowledged after it. */
function resumedPerPackage(stream: PushStream, since: number): Map<string, number> {
  const resumed = new Map<string, number>();
  for (const push of stream.acknowledged)
    if (push.at > since && !resumed.has(push.pkg)) resumed.set(push.pkg, push.at - since);
  return resumed;
}

it('loses and duplicates no push, and the survivors take over, when one replica of each service is killed with SIGKILL', async () => {
  const started = Date.now();
  // A load balancer's view: pushes alternate over the gateways it still sees alive.
  const gateways = ['gateway', 'gateway#2'];
  let turn = 0;
  const stream = new PushStream({
    url: () => stack.url(gateways[turn++ % gateways.length]),
    packages: PACKAGES,
    concurrency: 4,
  });
  let killedAt = 0;
  /** When the metadata writer was killed the second time. */
  const secondKill: number[] = [];
  stream.start();
  try {
    await stream.waitForAcknowledged(40);
    killedAt = Date.now();
    for (const instance of ['metadata', 'search', 'blob', 'gateway']) await stack.kill(instance);
    gateways.splice(gateways.indexOf('gateway'), 1);
    await expectTakeOver(stream, killedAt);
    await stream.waitForAcknowledged(20, 60_000);
    // The writer again, which takes back partitions from the survivor; killed once more, its
    // partitions go back to the survivor, whose memory of them (the log's sequences) is stale.
    await stack.start('metadata');
    await stream.waitForAcknowledged(20, 60_000);
    secondKill.push(Date.now());
    await stack.kill('metadata');
    await expectTakeOver(stream, secondKill[0]);
    await stream.waitForAcknowledged(20, 60_000);
  } finally {
    await stream.stop();
  }
  const acknowledged = stream.acknowledged;
  const afterKill = acknowledged.filter((push) => push.at > killedAt);
  expect(afterKill.length).toBeGreaterThan(0);

  // The killed gateway again, given the dead instances of the other services as before.
  await stack.start('gateway');
  // Past the grace period of the first pushes' blobs, plus a few collections.
  const collected = acknowledged[0].at + (GRACE_S + 3) * 1000;
  if (Date.now() < collected) await sleep(collected - Date.now());
  for (const push of acknowledged) {
    await expectReadable(push, 'gateway');
    await expectReadable(push, 'gateway#2');
  }

  // The surviving search service took the dead one's partitions: the index equals the fold.
  const { eventCount } = await expectEnginesAgreeWithLog(stack, {
    brokers: stack.env.WHARF_KAFKA_BROKERS.split(','),
    acknowledged,
    searchWithinMs: TAKEOVER_BOUND_MS,
    noDeadLetters: true,
  });

  const resumed = resumedPerPackage(stream, killedAt);
  const takeover = Math.max(...resumed.values());
  const secondTakeover = Math.max(...resumedPerPackage(stream, secondKill[0]).values());
  process.stdout.write(
    `[replicas] ${acknowledged.length} pushes acknowledged of ${stream.attempted} (${afterKill.length} after the kill), failures ${JSON.stringify(Object.fromEntries(stream.failures))}, ` +
      `${eventCount} events; every package accepted pushes again ${(takeover / 1000).toFixed(1)} s after the kill ` +
      `(per package: ${[...resumed].map(([pkg, ms]) => `${pkg.split('/')[1]} ${(ms / 1000).toFixed(1)}`).join(', ')}), ` +
      `longest time without an acknowledged push ${(stream.longestGapAfter(killedAt) / 1000).toFixed(1)} s; ` +
      `the metadata writer restarted and killed again: every package again ${(secondTakeover / 1000).toFixed(1)} s after; ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
});
