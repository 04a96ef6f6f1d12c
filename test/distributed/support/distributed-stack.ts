/**
 * The distributed profile as separate processes, started by a test itself: the compiled
 * gateway, metadata, search and blob services on free ports of their own, in namespaces of their
 * own in every engine (database, topic prefix, index prefix, bucket), so a run never sees another
 * run's data or processes. Each process can be killed (SIGKILL: no shutdown hook runs) and
 * started again; a service may have several instances (`search#2`): `up(2)` starts two of each,
 * and every gateway is given every instance of the other services started by `up`. The webhook
 * service is not part of `up`: a suite that needs it starts `webhooks` itself.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, WriteStream } from 'node:fs';
import { join } from 'node:path';
import { S3BlobStore } from '@wharf/adapters/blob-s3';
import { freePort } from '@wharf/testing';

export const ROOT = join(__dirname, '..', '..', '..');

export type ServiceName = 'gateway' | 'metadata' | 'search' | 'blob' | 'webhooks';

export interface StackOptions {
  /** Short id of the run: names the engines' namespaces and the log directory. */
  runId: string;
  /** Overrides of the engines' endpoints (e.g. a Kafka broker of the test's own). */
  env?: Record<string, string>;
  /** Where the processes' logs go. */
  logDir: string;
  /** Settings over the stack's own (e.g. authentication enforced instead of open). */
  overrides?: Record<string, string>;
}

interface Instance {
  service: ServiceName;
  port: number;
  child: ChildProcess | null;
  exited: Promise<void>;
  log: WriteStream;
}

export class DistributedStack {
  private readonly instances = new Map<string, Instance>();
  /** The port of each instance `up` planned: the gateways know the other services by these. */
  private readonly ports = new Map<string, number>();
  /** The key signing registry tokens, shared by this stack's gateways and given to no other service. */
  private readonly registryTokenKey = randomBytes(32).toString('base64');

  constructor(private readonly options: StackOptions) {
    mkdirSync(options.logDir, { recursive: true });
  }

  /** The engines' namespaces of this run (what scripts/test.sh sets for the stack tier). */
  get namespaces() {
    const id = this.options.runId;
    return {
      WHARF_MONGO_DATABASE: `wharf_${id}`,
      WHARF_KAFKA_TOPIC_PREFIX: `wharf-${id}.`,
      WHARF_OPENSEARCH_INDEX_PREFIX: `wharf-${id}-`,
      WHARF_S3_BUCKET: `wharf-${id}`,
    };
  }

  get env(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    return { ...env, ...this.options.env, ...this.namespaces };
  }

  /** A client of the stack's S3 bucket, for tests that look at the stored blobs (close it after). */
  bucket(): S3BlobStore {
    const env = this.env;
    return new S3BlobStore({
      endpoint: env.WHARF_S3_ENDPOINT,
      region: env.WHARF_S3_REGION,
      accessKeyId: env.WHARF_S3_ACCESS_KEY_ID,
      secretAccessKey: env.WHARF_S3_SECRET_ACCESS_KEY,
      bucket: env.WHARF_S3_BUCKET,
    });
  }

  url(instance: string = 'gateway'): string {
    const found = this.instances.get(instance);
    if (!found) throw new Error(`no instance ${instance}`);
    return `http://127.0.0.1:${found.port}`;
  }

  /**
   * Starts `replicas` instances each (`service`, `service#2`, ...) of metadata, search, blob,
   * then the gateway, each healthy before the next.
   */
  async up(replicas = 1): Promise<void> {
    const order: string[] = [];
    for (const service of ['metadata', 'search', 'blob', 'gateway'] as const) {
      for (let r = 1; r <= replicas; r++) {
        const instance = r === 1 ? service : `${service}#${r}`;
        this.ports.set(instance, await freePort());
        order.push(instance);
      }
    }
    for (const instance of order) await this.start(instance);
  }

  /** The URLs of the instances of `service` that `up` planned, comma-separated (what a gateway is given). */
  private urlsOf(service: ServiceName): string {
    return [...this.ports]
      .filter(([instance]) => instance.split('#')[0] === service)
      .map(([, port]) => `http://127.0.0.1:${port}`)
      .join(',');
  }

  /**
   * Starts (or restarts) an instance: `service` or `service#n`. An instance `up` planned keeps
   * the port the gateways know it by; others get ports of their own.
   */
  async start(instance: string, timeoutMs = 120_000): Promise<void> {
    const service = instance.split('#')[0] as ServiceName;
    const previous = this.instances.get(instance);
    if (previous?.child) throw new Error(`${instance} is running`);
    const port = previous?.port ?? this.ports.get(instance) ?? (await freePort());
    const log =
      previous?.log ??
      createWriteStream(join(this.options.logDir, `${instance.replace('#', '-')}.log`), { flags: 'a' });
    log.write(`\n==== start ${new Date().toISOString()}\n`);
    const child = spawn(
      process.execPath,
      ['-r', join(ROOT, 'scripts', 'dist-paths.js'), join(ROOT, 'dist', 'services', service, 'src', 'main.js')],
      {
        cwd: ROOT,
        env: {
          ...this.env,
          WHARF_PROFILE: 'distributed',
          WHARF_HOST: '127.0.0.1',
          WHARF_PORT: String(port),
          WHARF_DATA_DIR: join(this.options.logDir, `${instance.replace('#', '-')}-data`),
          WHARF_SEARCH_URL: this.urlsOf('search'),
          WHARF_LOG_LEVEL: 'warn',
          // These suites are about crash safety, not access control: anonymous clients may push.
          WHARF_AUTH_MODE: 'open',
          ...(service === 'gateway' ? { WHARF_REGISTRY_TOKEN_KEY: this.registryTokenKey } : {}),
          ...this.options.overrides,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const entry: Instance = { service, port, child, exited, log };
    this.instances.set(instance, entry);
    void exited.then(() => {
      if (entry.child === child) entry.child = null;
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!entry.child) throw new Error(`${instance} exited during startup (see ${this.options.logDir})`);
      if (await healthy(`http://127.0.0.1:${port}`)) return;
      if (Date.now() > deadline)
        throw new Error(`${instance} not healthy after ${timeoutMs} ms (see ${this.options.logDir})`);
      await sleep(200);
    }
  }

  /** Sends `signal` (SIGKILL by default) and waits until the process is gone. */
  async kill(instance: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const entry = this.instances.get(instance);
    if (!entry?.child) return;
    entry.child.kill(signal);
    await entry.exited;
    entry.child = null;
  }

  /** Stops every instance (SIGTERM, then SIGKILL after 10 s). */
  async down(): Promise<void> {
    const order = [...this.instances.keys()].sort((a, b) => rank(a) - rank(b));
    for (const instance of order) {
      const entry = this.instances.get(instance)!;
      if (entry.child) {
        const timer = setTimeout(() => entry.child?.kill('SIGKILL'), 10_000);
        await this.kill(instance, 'SIGTERM');
        clearTimeout(timer);
      }
      entry.log.end();
    }
  }
}

function rank(instance: string): number {
  return ['webhooks', 'gateway', 'blob', 'search', 'metadata'].indexOf(instance.split('#')[0]);
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
