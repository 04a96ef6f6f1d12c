/**
 * The Kafka broker stopped and started again under a stream of pushes (a broker of this test's
 * own: the shared one serves other runs). While it is down pushes fail with 503, never with
 * another status and never acknowledged; once it is back the stream resumes by itself, and no
 * acknowledged push is lost or lands twice.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistributedStack, sleep } from './support/distributed-stack';
import { PushStream, sha256 } from './support/push-stream';
import { expectEnginesAgreeWithLog } from './support/log-checks';
import { OwnKafka } from './support/own-kafka';

jest.setTimeout(600_000);

const PACKAGES = ['broker/one', 'broker/two', 'broker/three'];
const DOWN_MS = 15_000;
/** The gateway's bound on a command's round trip (WHARF_DEPENDENCY_TIMEOUT_SECONDS), well inside DOWN_MS. */
const DEPENDENCY_TIMEOUT_SECONDS = 6;

const runId = `b${Date.now().toString(36)}`;
let kafka: OwnKafka;
let stack: DistributedStack;

beforeAll(async () => {
  kafka = await OwnKafka.create();
  await kafka.start();
  stack = new DistributedStack({
    runId,
    env: { WHARF_KAFKA_BROKERS: kafka.brokers, WHARF_DEPENDENCY_TIMEOUT_SECONDS: String(DEPENDENCY_TIMEOUT_SECONDS) },
    logDir: mkdtempSync(join(tmpdir(), `wharf-broker-${runId}-`)),
  });
  await stack.up();
});

afterAll(async () => {
  await stack?.down();
  await kafka?.destroy();
});

it('answers 503 while the broker is down, resumes by itself when it is back, and loses or doubles no push', async () => {
  const stream = new PushStream({ url: () => stack.url(), packages: PACKAGES, concurrency: 3, timeoutMs: 90_000 });
  // Set as the broker goes down and comes back; 0 in the report if the stream failed before.
  const at = { stopping: 0, gone: 0, starting: 0, restarted: 0 };
  stream.start();
  try {
    await stream.waitForAcknowledged(20);
    at.stopping = Date.now();
    await kafka.stop();
    at.gone = Date.now();
    await sleep(DOWN_MS);
    at.starting = Date.now();
    await kafka.start();
    at.restarted = Date.now();
    await stream.waitForAcknowledged(20, 240_000);
  } finally {
    await stream.stop();
  }

  // Nothing was acknowledged while the broker was down, and every failure was a 503.
  expect(stream.acknowledged.filter((push) => push.at > at.gone && push.at < at.starting)).toEqual([]);
  expect(
    stream.failureTimes.filter((failure) => failure.at > at.gone && failure.at < at.starting).length,
  ).toBeGreaterThan(0);
  expect([...stream.failures.keys()]).toEqual(['503']);

  for (const push of stream.acknowledged) {
    const base = `${stack.url()}/cnr/api/v1/packages/${push.pkg}/${push.release}/helm`;
    const show = await fetch(base);
    expect(show.status).toBe(200);
    expect(((await show.json()) as { content: { digest: string } }).content.digest).toBe(push.apprDigest);
    expect(sha256(Buffer.from(await (await fetch(`${base}/pull`)).arrayBuffer()))).toBe(push.blobDigest);
  }
  await expectEnginesAgreeWithLog(stack, {
    brokers: [kafka.brokers],
    acknowledged: stream.acknowledged,
    searchWithinMs: 60_000,
    noDeadLetters: false,
  });

  process.stdout.write(
    `[broker] ${stream.acknowledged.length} pushes acknowledged of ${stream.attempted}, failures ${JSON.stringify(Object.fromEntries(stream.failures))}, ` +
      `broker stopping ${((at.gone - at.stopping) / 1000).toFixed(1)} s, down ${DOWN_MS / 1000} s, starting ${((at.restarted - at.starting) / 1000).toFixed(1)} s, ` +
      `first push acknowledged ${((stream.resumedAfter(at.restarted) ?? 0) / 1000).toFixed(1)} s after the broker was back\n`,
  );
});
