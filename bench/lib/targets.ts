/**
 * The servers the benchmark runs side by side, each started fresh on 127.0.0.1 with its own
 * temporary data directory, and how to read their resident memory.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ROOT = process.env.WHARF_BENCH_ROOT ?? process.cwd();
export const CACHE = process.env.WHARF_BENCH_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'wharf-bench');

/** gunicorn sync workers for the reference server (its run-server.sh uses 4; we keep 4 on 2 cores). */
export const CNR_WORKERS = Number(process.env.BENCH_CNR_WORKERS ?? 4);

export type TargetName =
  | 'wharf'
  | 'wharf-before'
  | 'wharf-enforced'
  | 'wharf-distributed'
  | 'wharf-distributed-before'
  | 'cnr'
  | 'nginx'
  | 'distribution'
  | 'distribution-s3';

/** The OCI registry the `oci` scenario runs beside Wharf (bench/install.sh builds it). */
export const DISTRIBUTION_VERSION = 'v3.1.2';
export const DISTRIBUTION_BIN = join(CACHE, 'distribution', `registry-${DISTRIBUTION_VERSION}`);

export interface Running {
  name: TargetName;
  url: string;
  /** Serves only static files (nginx): seeded by writing files, not by pushing. */
  staticRoot?: string;
  /** The root process id; its descendants count towards its memory. */
  pid: number;
  /** Headers that give a site admin's rights (targets with authentication enforced). */
  admin?: Record<string, string>;
  /** The end of the server's own output (stdout and stderr), for a report whose requests failed. */
  logTail?: () => string;
  /** The engines the target works on, by name (MongoDB-wire, Kafka, OpenSearch, S3): their CPU is reported beside the target's. */
  engines?: Record<string, number>;
  /**
   * The distributed profile: the variables that point `npm run import` (bench/import-seed.ts) at
   * this target's engines and namespaces, and its services' base URLs (their /metrics report lag).
   */
  distributed?: { env: Record<string, string>; services: string[] };
  stop(): Promise<void>;
}

export interface TargetDef {
  name: TargetName;
  label: string;
  /** `true`, or why the target cannot run in this build. */
  available: true | string;
  api: boolean;
  /** Serves the OCI Distribution API (`/v2/`): the `oci` scenario's targets. */
  oci: boolean;
  /** Serves nothing but `/v2/` (an OCI registry): left out of every other scenario. */
  ociOnly?: boolean;
  start(): Promise<Running>;
  /**
   * Starts the target on a data directory that the caller seeded and keeps (growth scenarios:
   * seeded offline, served for the measurements). Only targets with an offline seeding path.
   */
  startOn?(dataDir: string): Promise<Running>;
}

/**
 * BENCH_PORTS=<first>-<last>: every server the bench starts listens in that block (the next port
 * of it that is free), for a machine whose other users keep to blocks of their own. Unset: any
 * free port the system hands out.
 */
const PORT_BLOCK = /^(\d+)-(\d+)$/.exec(process.env.BENCH_PORTS ?? '');
let nextInBlock = PORT_BLOCK ? Number(PORT_BLOCK[1]) : 0;

/**
 * BENCH_NAME_PREFIX (default `wharf`): what the names the bench creates on the shared engines
 * start with (the distributed targets' database, topic and index prefixes and buckets).
 */
const NAME_PREFIX = process.env.BENCH_NAME_PREFIX || 'wharf';

async function freePort(): Promise<number> {
  if (!PORT_BLOCK) return anyFreePort();
  for (const last = Number(PORT_BLOCK[2]); nextInBlock <= last; nextInBlock++) {
    if (await portFree(nextInBlock)) return nextInBlock++;
  }
  throw new Error(`BENCH_PORTS ${process.env.BENCH_PORTS}: no free port left`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitHttp(url: string, child: ChildProcess, log: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${url}: process exited with ${child.exitCode}\n${log().slice(-3000)}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms\n${log().slice(-3000)}`);
}

function stopper(child: ChildProcess, dirs: string[]): () => Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
}

function capture(child: ChildProcess): () => string {
  let out = '';
  const on = (c: Buffer) => {
    out += c.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', on);
  child.stderr?.on('data', on);
  return () => out;
}

/** With BENCH_CPU_PROF_DIR set, Wharf gets the file-toggled CPU profiler (see cpu-profiler.ts). */
function wharfNodeArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  if (!dir) return [];
  mkdirSync(dir, { recursive: true });
  return ['-r', join(__dirname, 'cpu-profiler.js')];
}

const wharf: TargetDef = {
  name: 'wharf',
  label: 'Wharf (embedded)',
  available: true,
  api: true,
  oci: true,
  start: () => startEmbedded('wharf', { WHARF_AUTH_MODE: 'open' }),
  startOn: (dataDir) => startEmbedded('wharf', { WHARF_AUTH_MODE: 'open' }, dataDir),
};

/**
 * A second embedded Wharf from another build, for before/after figures in one run:
 * BENCH_WHARF_BEFORE_ROOT is a directory holding that build's `dist/`, `scripts/`, `tsconfig.json`
 * and `node_modules` (e.g. a copy of them made before the change). Unset: not available.
 */
const BEFORE_ROOT = process.env.BENCH_WHARF_BEFORE_ROOT;
const wharfBefore: TargetDef = {
  name: 'wharf-before',
  label: 'Wharf (embedded, the build in BENCH_WHARF_BEFORE_ROOT)',
  available:
    BEFORE_ROOT && existsSync(join(BEFORE_ROOT, 'dist', 'services', 'embedded', 'src', 'main.js'))
      ? true
      : 'BENCH_WHARF_BEFORE_ROOT does not name a directory with a built dist/',
  api: true,
  oci: true,
  start: () => startEmbedded('wharf-before', { WHARF_AUTH_MODE: 'open' }, undefined, BEFORE_ROOT),
  startOn: (dataDir) => startEmbedded('wharf-before', { WHARF_AUTH_MODE: 'open' }, dataDir, BEFORE_ROOT),
};

export const BENCH_ADMIN = { username: 'benchadmin', password: 'bench-admin-password' };

/** The embedded profile with authentication enforced and a site admin (the auth scenario only). */
export async function startWharfEnforced(): Promise<Running> {
  const running = await startEmbedded('wharf-enforced', {
    WHARF_AUTH_MODE: 'enforced',
    WHARF_ADMIN_USERNAME: BENCH_ADMIN.username,
    WHARF_ADMIN_PASSWORD: BENCH_ADMIN.password,
  });
  const login = await fetch(`${running.url}/api/v1/users/login`, {
    method: 'POST',
    body: JSON.stringify({ user: BENCH_ADMIN }),
  });
  const { token } = (await login.json()) as { token: string };
  return { ...running, admin: { authorization: `Bearer ${token}` } };
}

async function startEmbedded(
  name: TargetName,
  auth: Record<string, string>,
  keptDataDir?: string,
  root: string = ROOT,
): Promise<Running> {
  const dataDir = keptDataDir ?? mkdtempSync(join(tmpdir(), 'wharf-bench-data-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...wharfNodeArgs(),
      '-r',
      join(root, 'scripts', 'dist-paths.js'),
      join(root, 'dist', 'services', 'embedded', 'src', 'main.js'),
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        WHARF_PORT: String(port),
        WHARF_HOST: '127.0.0.1',
        WHARF_DATA_DIR: dataDir,
        WHARF_LOG_LEVEL: 'warn',
        WHARF_PROFILE: 'embedded',
        ...auth,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = capture(child);
  // at log level warn the "wharf listening" line is not printed: wait for /healthz instead
  const url = `http://127.0.0.1:${port}`;
  const stop = stopper(child, keptDataDir ? [] : [dataDir]);
  // a seeded directory: the server folds the log before it listens (up to 300 s)
  await waitHttp(`${url}/healthz`, child, log, keptDataDir ? 400_000 : 60_000).catch(async (e) => {
    await stop();
    throw e;
  });
  return { name, url, pid: child.pid!, stop, logTail: () => log().slice(-1500) };
}

/** `export K=V` lines of `deploy/local/backends.sh env` (values %q-quoted only where needed). */
function backendsEnv(): Record<string, string> {
  const out = execFileSync('bash', [join(ROOT, 'deploy', 'local', 'backends.sh'), 'env'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const env: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  }
  return env;
}

let distributedRuns = 0;

/**
 * The distributed profile: the local engines (Kafka, FerretDB, Versity S3, OpenSearch through
 * deploy/local/backends.sh, started if they are not running, left running afterwards: they are
 * shared) and the four compiled services (metadata, search, blob, then the gateway, each healthy
 * before the next), all under one `bash` supervisor so that the supervisor's pid is the root of
 * every Wharf process (memory is the sum of the four services plus a ~4 MiB bash; the engines are
 * not counted). Each run has namespaces of its own in every engine (database, topic prefix,
 * index prefix, bucket), dropped again when it stops.
 */
const wharfDistributed: TargetDef = distributedTarget(
  'wharf-distributed',
  'Wharf (distributed: gateway + metadata + search + blob, local engines)',
  ROOT,
);

/**
 * The same distributed profile from the build in BENCH_WHARF_BEFORE_ROOT (as `wharf-before`), on
 * the same engines with namespaces of its own: a build before and after a change side by side.
 */
const wharfDistributedBefore: TargetDef = distributedTarget(
  'wharf-distributed-before',
  'Wharf (distributed, the build in BENCH_WHARF_BEFORE_ROOT)',
  BEFORE_ROOT ?? '',
);

function distributedTarget(name: TargetName, label: string, root: string): TargetDef {
  return {
    name,
    label,
    available: existsSync(join(root, 'dist', 'services', 'gateway', 'src', 'main.js'))
      ? true
      : root === ROOT
        ? 'not built: npm run build'
        : 'BENCH_WHARF_BEFORE_ROOT does not name a directory with a built dist/',
    api: true,
    oci: true,
    async start(): Promise<Running> {
      // BENCH_ENGINES_RUNNING=1: the engines are someone else's to start; they are only used.
      if (process.env.BENCH_ENGINES_RUNNING !== '1') {
        execFileSync('bash', [join(ROOT, 'deploy', 'local', 'backends.sh'), 'up'], {
          cwd: ROOT,
          stdio: ['ignore', 'ignore', 'pipe'],
          timeout: 900_000,
        });
      }
      const engines = backendsEnv();
      const id = `bench${Date.now().toString(36)}${process.pid.toString(36)}${++distributedRuns}`;
      const namespaces = {
        WHARF_MONGO_DATABASE: `${NAME_PREFIX.replace(/-/g, '_')}_${id}`,
        WHARF_KAFKA_TOPIC_PREFIX: `${NAME_PREFIX}-${id}.`,
        WHARF_OPENSEARCH_INDEX_PREFIX: `${NAME_PREFIX}-${id}-`,
        WHARF_S3_BUCKET: `${NAME_PREFIX}-${id}`,
      };
      const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-dist-'));
      const services = ['metadata', 'search', 'blob', 'gateway'] as const;
      const ports: Record<string, number> = {};
      for (const s of services) ports[s] = await freePort();
      // The supervisor: starts each service (healthy before the next), then waits; when one exits
      // it stops the others and exits with its status; SIGTERM stops them all (gateway first).
      const script = `
set -u
pids=()
stop() { for ((i=\${#pids[@]}-1; i>=0; i--)); do kill -TERM "\${pids[$i]}" 2>/dev/null; done; wait; }
trap 'stop; exit 0' TERM INT
for s in ${services.join(' ')}; do
  port_var="PORT_$s"; port="\${!port_var}"
  mkdir -p "$DIR/$s-data"
  WHARF_PORT="$port" WHARF_DATA_DIR="$DIR/$s-data" node -r "$ROOT/scripts/dist-paths.js" "$ROOT/dist/services/$s/src/main.js" >"$DIR/$s.log" 2>&1 &
  pids+=("$!")
  for ((t=0; t<1200; t++)); do
    kill -0 "$!" 2>/dev/null || { echo "$s exited during startup:"; tail -50 "$DIR/$s.log"; stop; exit 1; }
    curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
    sleep 0.2
  done
done
echo "all services healthy"
wait -n
rc=$?
echo "a service exited ($rc):"; tail -20 "$DIR"/*.log
stop
exit "$rc"
`;
      const child = spawn('bash', ['-c', script], {
        cwd: root,
        env: {
          ...process.env,
          ...engines,
          ...namespaces,
          PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
          ROOT: root,
          DIR: dir,
          ...Object.fromEntries(services.map((s) => [`PORT_${s}`, String(ports[s])])),
          WHARF_PROFILE: 'distributed',
          WHARF_AUTH_MODE: 'open',
          WHARF_HOST: '127.0.0.1',
          WHARF_LOG_LEVEL: 'warn',
          WHARF_SEARCH_URL: `http://127.0.0.1:${ports.search}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const log = capture(child);
      const url = `http://127.0.0.1:${ports.gateway}`;
      const stopChild = stopper(child, []);
      const stop = async () => {
        const tree = processTree(child.pid!).slice(1);
        await stopChild();
        // if the supervisor had to be killed, its services are not left behind
        for (const p of tree) {
          try {
            if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(join(root, 'dist', 'services')))
              process.kill(p, 'SIGKILL');
          } catch {
            // gone
          }
        }
        await dropNamespaces(engines, namespaces).catch((e) =>
          process.stderr.write(`[bench] ${name}: cleaning ${id} failed: ${e}\n`),
        );
        rmSync(dir, { recursive: true, force: true });
      };
      await waitHttp(`${url}/healthz`, child, () => log() + logsOf(dir), 300_000).catch(async (e) => {
        await stop();
        throw e;
      });
      return {
        name,
        url,
        pid: child.pid!,
        stop,
        engines: enginePids(),
        distributed: {
          env: { ...engines, ...namespaces, WHARF_PROFILE: 'distributed' },
          services: services.map((s) => `http://127.0.0.1:${ports[s]}`),
        },
      };
    },
  };
}

/**
 * The local engines' pids, from deploy/local's pid files (`$WHARF_RUN_DIR/<engine>/<engine>.pid`).
 * They are shared: whatever else uses them while a case runs (other test runs) counts too.
 */
function enginePids(): Record<string, number> {
  const run = process.env.WHARF_RUN_DIR ?? join(process.env.HOME ?? '/root', '.cache', 'wharf-run');
  const engines: Record<string, number> = {};
  for (const [name, dir] of [
    ['mongodb-wire', 'ferretdb'],
    ['kafka', 'kafka'],
    ['opensearch', 'opensearch'],
    ['s3', 's3'],
  ] as const) {
    try {
      const pid = Number(readFileSync(join(run, dir, `${dir}.pid`), 'utf8').trim());
      if (pid > 0 && existsSync(`/proc/${pid}`)) engines[name] = pid;
    } catch {
      // not running: not reported
    }
  }
  return engines;
}

function logsOf(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8').slice(-1500)}`)
    .join('\n');
}

/** The AWS SDK (Wharf's own dependency) and a client of the local S3 engine. */
function s3ClientFor(engines: Record<string, string>): { s3: any; client: any } {
  const s3 = require(require.resolve('@aws-sdk/client-s3', { paths: [ROOT] }));
  const client = new s3.S3Client({
    endpoint: engines.WHARF_S3_ENDPOINT,
    region: engines.WHARF_S3_REGION,
    credentials: {
      accessKeyId: engines.WHARF_S3_ACCESS_KEY_ID,
      secretAccessKey: engines.WHARF_S3_SECRET_ACCESS_KEY,
    },
    forcePathStyle: true,
  });
  return { s3, client };
}

/** Best effort: drops a run's database, topics and consumer groups, indexes and bucket (the engines are shared). */
async function dropNamespaces(
  engines: Record<string, string>,
  ns: Record<
    'WHARF_MONGO_DATABASE' | 'WHARF_KAFKA_TOPIC_PREFIX' | 'WHARF_OPENSEARCH_INDEX_PREFIX' | 'WHARF_S3_BUCKET',
    string
  >,
): Promise<void> {
  // The drivers are Wharf's own dependencies (the bench is compiled outside the repo).
  const req = (m: string) => require(require.resolve(m, { paths: [ROOT] }));
  const steps: [string, () => Promise<unknown>][] = [
    [
      'mongo',
      async () => {
        const { MongoClient } = req('mongodb');
        const client = new MongoClient(engines.WHARF_MONGO_URL, { serverSelectionTimeoutMS: 10_000 });
        try {
          await client.db(ns.WHARF_MONGO_DATABASE).dropDatabase();
        } finally {
          await client.close();
        }
      },
    ],
    [
      'kafka',
      async () => {
        const { Kafka, logLevel } = req('kafkajs');
        const admin = new Kafka({
          clientId: 'wharf-bench',
          brokers: engines.WHARF_KAFKA_BROKERS!.split(','),
          logLevel: logLevel.NOTHING,
        }).admin();
        await admin.connect();
        try {
          const { groups } = await admin.listGroups();
          const ours = groups
            .map((g: { groupId: string }) => g.groupId)
            .filter((g: string) => g.startsWith(ns.WHARF_KAFKA_TOPIC_PREFIX));
          if (ours.length) await admin.deleteGroups(ours).catch(() => undefined);
          const topics = ((await admin.listTopics()) as string[]).filter((t) =>
            t.startsWith(ns.WHARF_KAFKA_TOPIC_PREFIX),
          );
          if (topics.length) await admin.deleteTopics({ topics, timeout: 20_000 });
        } finally {
          await admin.disconnect();
        }
      },
    ],
    [
      'opensearch',
      async () => {
        const base = engines.WHARF_OPENSEARCH_URL;
        const res = await fetch(
          `${base}/_cat/indices/${encodeURIComponent(ns.WHARF_OPENSEARCH_INDEX_PREFIX)}*?format=json`,
        );
        const list = res.ok ? ((await res.json()) as { index: string }[]) : [];
        for (const { index } of list)
          await (await fetch(`${base}/${encodeURIComponent(index)}`, { method: 'DELETE' })).arrayBuffer();
      },
    ],
    [
      's3',
      async () => {
        const { s3, client } = s3ClientFor(engines);
        const Bucket = ns.WHARF_S3_BUCKET;
        try {
          for (let token: string | undefined, i = 0; i < 10_000; i++) {
            const page = await client.send(new s3.ListObjectsV2Command({ Bucket, ContinuationToken: token }));
            const keys = (page.Contents ?? []).map((o: { Key: string }) => ({ Key: o.Key }));
            if (keys.length)
              await client.send(new s3.DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } }));
            token = page.NextContinuationToken;
            if (!token) break;
          }
          await client.send(new s3.DeleteBucketCommand({ Bucket }));
        } catch (e) {
          if ((e as { name?: string }).name !== 'NoSuchBucket') throw e;
        } finally {
          client.destroy();
        }
      },
    ],
  ];
  const failed: string[] = [];
  for (const [name, step] of steps) await step().catch((e) => failed.push(`${name}: ${(e as Error).message ?? e}`));
  if (failed.length) throw new Error(failed.join('; '));
}

const cnr: TargetDef = {
  name: 'cnr',
  label: `cnr-server 0.2.7.post2 (gunicorn -w ${CNR_WORKERS}, filesystem)`,
  available: existsSync(join(CACHE, 'cnr', 'venv', 'bin', 'gunicorn')) ? true : 'not installed: run bench/install.sh',
  api: true,
  oci: false,
  start: () => startCnr(),
  startOn: (dataDir) => startCnr(dataDir),
};

/** Environment of the reference server (and of bench/cnr-seed.py, which writes the same store). */
export function cnrEnv(dataDir: string): Record<string, string> {
  return {
    // cnr/models/__init__.py reads CNR_DB_CLASS as a "module:Class" path (filesystem is also its default);
    // cnr/models/kv/filesystem/__init__.py reads DATABASE_URL as the base directory.
    CNR_DB_CLASS: 'cnr.models.kv.filesystem.db:CnrDB',
    DATABASE_URL: dataDir,
  };
}

async function startCnr(keptDataDir?: string): Promise<Running> {
  const dataDir = keptDataDir ?? mkdtempSync(join(tmpdir(), 'wharf-bench-cnr-'));
  const port = await freePort();
  const child = spawn(
    join(CACHE, 'cnr', 'venv', 'bin', 'gunicorn'),
    [
      '-w',
      String(CNR_WORKERS),
      '-b',
      `127.0.0.1:${port}`,
      '--timeout',
      '120',
      '--log-level',
      'warning',
      'cnr.api.wsgi:app',
    ],
    {
      cwd: dataDir,
      env: { ...process.env, ...cnrEnv(dataDir) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = capture(child);
  const url = `http://127.0.0.1:${port}`;
  const stop = stopper(child, keptDataDir ? [] : [dataDir]);
  await waitHttp(`${url}/version`, child, log).catch(async (e) => {
    await stop();
    throw e;
  });
  return { name: 'cnr', url, pid: child.pid!, stop, logTail: () => log().slice(-1500) };
}

export { freePort };

const nginx: TargetDef = {
  name: 'nginx',
  label: 'nginx 1.22 (Debian), static files',
  available: existsSync(join(CACHE, 'nginx', 'root', 'usr', 'sbin', 'nginx'))
    ? true
    : 'not installed: run bench/install.sh',
  api: false,
  oci: false,
  async start() {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-nginx-'));
    chmodSync(dir, 0o755); // nginx workers run as an unprivileged user when started by root
    const root = join(dir, 'www');
    mkdirSync(root);
    mkdirSync(join(dir, 'tmp'));
    const port = await freePort();
    const conf = `
worker_processes auto;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp;
  uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { try_files $uri =404; }
  }
}
`;
    writeFileSync(join(dir, 'nginx.conf'), conf);
    const child = spawn(
      join(CACHE, 'nginx', 'root', 'usr', 'sbin', 'nginx'),
      ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const log = capture(child);
    const url = `http://127.0.0.1:${port}`;
    const stop = stopper(child, [dir]);
    await waitHttp(
      `${url}/`,
      child,
      () => log() + (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''),
    ).catch(async (e) => {
      await stop();
      throw e;
    });
    return { name: 'nginx', url, staticRoot: root, pid: child.pid!, stop };
  },
};

/**
 * Starts `registry serve` with `storage` (the YAML flow mapping's inside) and the settings both
 * Distribution targets share: no authentication, access log off, on a free port.
 */
async function startDistribution(
  name: 'distribution' | 'distribution-s3',
  storage: (dir: string) => string,
  extra: { afterStop?: () => Promise<void>; engines?: Record<string, number> } = {},
): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), `wharf-bench-${name}-`));
  const port = await freePort();
  const config = [
    'version: 0.1',
    'log: { level: error, accesslog: { disabled: true } }',
    `storage: { ${storage(dir)} }`,
    `http: { addr: 127.0.0.1:${port} }`,
  ].join('\n');
  writeFileSync(join(dir, 'config.yml'), config + '\n');
  const child = spawn(DISTRIBUTION_BIN, ['serve', join(dir, 'config.yml')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = capture(child);
  const url = `http://127.0.0.1:${port}`;
  const stopProcess = stopper(child, [dir]);
  const stop = async () => {
    await stopProcess();
    await extra.afterStop?.();
  };
  await waitHttp(`${url}/v2/`, child, log).catch(async (e) => {
    await stop();
    throw e;
  });
  return {
    name,
    url,
    pid: child.pid!,
    stop,
    logTail: () => log().slice(-1500),
    ...(extra.engines ? { engines: extra.engines } : {}),
  };
}

/** Settings of Distribution's storage both targets share: deletes on, the sample config's in-memory blob descriptor cache. */
const DISTRIBUTION_STORAGE = 'delete: { enabled: true }, cache: { blobdescriptor: inmemory }';

/**
 * CNCF Distribution, the registry most OCI registries are measured against: `registry serve` with
 * its filesystem storage in a temporary directory, no authentication, deletes enabled, the
 * in-memory blob descriptor cache of its sample configuration, access log off.
 */
const distribution: TargetDef = {
  name: 'distribution',
  label: `CNCF Distribution ${DISTRIBUTION_VERSION} (registry, filesystem storage)`,
  available: existsSync(DISTRIBUTION_BIN) ? true : 'not installed: run bench/install.sh',
  api: false,
  oci: true,
  ociOnly: true,
  start: () =>
    startDistribution(
      'distribution',
      (dir) => `filesystem: { rootdirectory: ${join(dir, 'data')} }, ${DISTRIBUTION_STORAGE}`,
    ),
};

/**
 * CNCF Distribution as a replicated deployment runs it: its S3 storage driver on the local S3
 * engine (the one the distributed profile keeps its blobs in), a bucket of its own, the same
 * settings as `distribution` otherwise, and blob redirects off (the bytes go through the
 * registry, as the `wharf-distributed` target relays them). The S3 engine's CPU is reported
 * beside it, as the distributed profile's engines are.
 */
const distributionS3: TargetDef = {
  name: 'distribution-s3',
  label: `CNCF Distribution ${DISTRIBUTION_VERSION} (registry, S3 storage on the local S3 engine)`,
  available: existsSync(DISTRIBUTION_BIN) ? true : 'not installed: run bench/install.sh',
  api: false,
  oci: true,
  ociOnly: true,
  async start() {
    const engines = backendsEnv();
    const bucket = `${NAME_PREFIX === 'wharf' ? '' : `${NAME_PREFIX}-`}distribution-${Date.now().toString(36)}-${process.pid}`;
    const { s3, client } = s3ClientFor(engines);
    try {
      await client.send(new s3.CreateBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
    const s3Pid = enginePids().s3;
    return startDistribution(
      'distribution-s3',
      () =>
        [
          `s3: { accesskey: "${engines.WHARF_S3_ACCESS_KEY_ID}", secretkey: "${engines.WHARF_S3_SECRET_ACCESS_KEY}",`,
          `region: "${engines.WHARF_S3_REGION}", regionendpoint: "${engines.WHARF_S3_ENDPOINT}", bucket: "${bucket}",`,
          `forcepathstyle: true, secure: false, v4auth: true }, ${DISTRIBUTION_STORAGE}, redirect: { disable: true }`,
        ].join(' '),
      {
        afterStop: () =>
          dropNamespaces(engines, {
            WHARF_MONGO_DATABASE: `unused-${bucket}`,
            WHARF_KAFKA_TOPIC_PREFIX: `unused-${bucket}.`,
            WHARF_OPENSEARCH_INDEX_PREFIX: `unused-${bucket}-`,
            WHARF_S3_BUCKET: bucket,
          }).catch((e) => {
            process.stderr.write(`[bench] distribution-s3: bucket ${bucket} not removed: ${String(e)}\n`);
          }),
        ...(s3Pid ? { engines: { s3: s3Pid } } : {}),
      },
    );
  },
};

export const TARGETS: TargetDef[] = [
  wharf,
  wharfBefore,
  wharfDistributed,
  wharfDistributedBefore,
  cnr,
  nginx,
  distribution,
  distributionS3,
];

/** pid and all its descendants. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Resident set (VmRSS) of pid and its descendants, in MiB. */
export function rssMiB(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

/** Proportional set size (shared pages split between sharers) of pid and its descendants, in MiB. */
export function pssMiB(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) pid and its live descendants have used, in ms. */
export function cpuMs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

export interface ProcessUse {
  rssRestMiB: number;
  rssPeakMiB: number;
  pssPeakMiB: number;
  /** CPU time the process tree used between start and stop. */
  cpuMs: number;
}

/**
 * Watches a target's process tree while a load runs: resident memory at rest and at its peak
 * (sampled every 250 ms), and the CPU time it used. CPU per request is the figure a shared
 * machine disturbs least: other processes slow a server down, they do not make it work more.
 */
export class ProcessSampler {
  private readonly use: ProcessUse;
  private readonly cpuAtStart: number;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    const rss = rssMiB(pid);
    this.use = { rssRestMiB: rss, rssPeakMiB: rss, pssPeakMiB: pssMiB(pid), cpuMs: 0 };
    this.cpuAtStart = cpuMs(pid);
    this.timer = setInterval(() => this.sample(), 250);
  }

  stop(): ProcessUse {
    clearInterval(this.timer);
    this.sample();
    return { ...this.use, cpuMs: cpuMs(this.pid) - this.cpuAtStart };
  }

  private sample(): void {
    this.use.rssPeakMiB = Math.max(this.use.rssPeakMiB, rssMiB(this.pid));
    this.use.pssPeakMiB = Math.max(this.use.pssPeakMiB, pssMiB(this.pid));
  }
}
