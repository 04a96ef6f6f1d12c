/**
 * A client that pushes a steady stream of releases (a new release each time, over a few
 * packages) and records every push the server acknowledged with 200, with the digests the
 * server must serve back. Failures are counted by status ("network" when the connection
 * failed); a failed push is never retried, so it may or may not have landed, but it was
 * never acknowledged.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { chartArchive } from '@wharf/testing';
import { sleep } from './distributed-stack';

export interface AcknowledgedPush {
  pkg: string;
  release: string;
  apprDigest: string;
  blobDigest: string;
  bytes: Buffer;
  at: number;
}

export interface PushStreamOptions {
  /** The gateway's base URL, asked again before each push (it changes only if the gateway moves). */
  url: () => string;
  /** Package names "ns/name" the stream cycles through. */
  packages: string[];
  /** Pushes in flight at once. Default 2. */
  concurrency?: number;
  /** Client-side timeout of one push. Default 60 s. */
  timeoutMs?: number;
  /** Number of the stream's first push (releases are numbered from it), so streams never collide. Default 0. */
  first?: number;
}

export class PushStream {
  readonly acknowledged: AcknowledgedPush[] = [];
  readonly failures = new Map<string, number>();
  /** Time of each failure, to measure outages. */
  readonly failureTimes: { at: number; status: string }[] = [];
  private next: number;
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(private readonly options: PushStreamOptions) {
    this.next = options.first ?? 0;
  }

  get attempted(): number {
    return this.next - (this.options.first ?? 0);
  }

  /** Milliseconds from `since` to the first push acknowledged after it (undefined: none yet). */
  resumedAfter(since: number): number | undefined {
    const first = this.acknowledged.find((push) => push.at > since);
    return first ? first.at - since : undefined;
  }

  /** The longest time without an acknowledgement that ended after `since`: the outage clients saw. */
  longestGapAfter(since: number): number {
    const times = this.acknowledged.map((push) => push.at).sort((a, b) => a - b);
    let longest = 0;
    for (let i = 1; i < times.length; i++) if (times[i] > since) longest = Math.max(longest, times[i] - times[i - 1]);
    return longest;
  }

  start(): void {
    this.running = true;
    this.workers = Array.from({ length: this.options.concurrency ?? 2 }, () => this.work());
  }

  /** Stops sending new pushes; resolves when the ones in flight have answered. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** Resolves once `count` more pushes were acknowledged (or rejects after timeoutMs). */
  async waitForAcknowledged(count: number, timeoutMs = 120_000): Promise<void> {
    const target = this.acknowledged.length + count;
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledged.length < target) {
      if (Date.now() > deadline) {
        throw new Error(
          `only ${this.acknowledged.length} of ${target} pushes acknowledged after ${timeoutMs} ms; failures: ${JSON.stringify(Object.fromEntries(this.failures))}`,
        );
      }
      await sleep(100);
    }
  }

  private async work(): Promise<void> {
    while (this.running) {
      const n = this.next++;
      const pkg = this.options.packages[n % this.options.packages.length];
      const release = `1.${Math.floor(n / 1000)}.${n % 1000}`;
      const bytes = chartArchive({ name: pkg.split('/')[1], version: release, salt: `${pkg}@${release}` });
      const status = await this.push(pkg, release, bytes);
      if (status === '200') {
        this.acknowledged.push({
          pkg,
          release,
          apprDigest: sha256(gunzipSync(bytes)),
          blobDigest: sha256(bytes),
          bytes,
          at: Date.now(),
        });
      } else {
        this.failures.set(status, (this.failures.get(status) ?? 0) + 1);
        this.failureTimes.push({ at: Date.now(), status });
        await sleep(200);
      }
    }
  }

  private async push(pkg: string, release: string, bytes: Buffer): Promise<string> {
    try {
      const res = await fetch(`${this.options.url()}/cnr/api/v1/packages/${pkg}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ release, media_type: 'helm', blob: bytes.toString('base64') }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
      });
      const body = await res.text();
      if (res.status === 200 && JSON.parse(body).status !== 'ok') return 'bad-200';
      return String(res.status);
    } catch {
      return 'network';
    }
  }
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
