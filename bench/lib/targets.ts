/**
 * The servers the benchmark runs side by side, each started fresh on 127.0.0.1 with its own
 * temporary data directory, and how to read their resident memory.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = process.env.WHARF_BENCH_ROOT ?? process.cwd();
export const CACHE = process.env.WHARF_BENCH_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'wharf-bench');

/** gunicorn sync workers for the reference server (its run-server.sh uses 4; we keep 4 on 2 cores). */
export const CNR_WORKERS = Number(process.env.BENCH_CNR_WORKERS ?? 4);

export type TargetName = 'wharf' | 'wharf-enforced' | 'wharf-distributed' | 'cnr' | 'nginx';

export interface Running {
  name: TargetName;
  url: string;
  /** Serves only static files (nginx): seeded by writing files, not by pushing. */
  staticRoot?: string;
  /** The root process id; its descendants count towards its memory. */
  pid: number;
  /** Headers that give a site admin's rights (targets with authentication enforced). */
  admin?: Record<string, string>;
  stop(): Promise<void>;
}

export interface TargetDef {
  name: TargetName;
  label: string;
  /** `true`, or why the target cannot run in this build. */
  available: true | string;
  api: boolean;
  start(): Promise<Running>;
}

function freePort(): Promise<number> {
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
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}\n${log().slice(-3000)}`);
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
  start: () => startEmbedded('wharf', { WHARF_AUTH_MODE: 'open' }),
};

export const BENCH_ADMIN = { username: 'benchadmin', password: 'bench-admin-password' };

/** The embedded profile with authentication enforced and a site admin (the auth scenario only). */
export async function startWharfEnforced(): Promise<Running> {
  const running = await startEmbedded('wharf-enforced', { WHARF_AUTH_MODE: 'enforced', WHARF_ADMIN_USERNAME: BENCH_ADMIN.username, WHARF_ADMIN_PASSWORD: BENCH_ADMIN.password });
  const login = await fetch(`${running.url}/api/v1/users/login`, { method: 'POST', body: JSON.stringify({ user: BENCH_ADMIN }) });
  const { token } = (await login.json()) as { token: string };
  return { ...running, admin: { authorization: `Bearer ${token}` } };
}

async function startEmbedded(name: TargetName, auth: Record<string, string>): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-data-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...wharfNodeArgs(), '-r', join(ROOT, 'scripts', 'dist-paths.js'), join(ROOT, 'dist', 'services', 'embedded', 'src', 'main.js')],
    {
      cwd: ROOT,
      env: { ...process.env, WHARF_PORT: String(port), WHARF_HOST: '127.0.0.1', WHARF_DATA_DIR: dataDir, WHARF_LOG_LEVEL: 'warn', WHARF_PROFILE: 'embedded', ...auth },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = capture(child);
  // at log level warn the "wharf listening" line is not printed: wait for /healthz instead
  const url = `http://127.0.0.1:${port}`;
  const stop = stopper(child, [dataDir]);
  await waitHttp(`${url}/healthz`, child, log).catch(async (e) => {
    await stop();
    throw e;
  });
  return { name, url, pid: child.pid!, stop };
}

/**
 * HOOK: the distributed profile (Kafka + MongoDB + S3 + OpenSearch, gateway + services) is not
 * runnable as a benchmark target yet. When it is, start its backends (deploy/local/backends.sh)
 * and its processes here, return the gateway URL and a root pid whose descendants are all of
 * its processes, and set `available: true`. Every scenario then includes it automatically.
 */
const wharfDistributed: TargetDef = {
  name: 'wharf-distributed',
  label: 'Wharf (distributed)',
  available: 'distributed profile not available as a bench target yet (hook in bench/lib/targets.ts)',
  api: true,
  async start(): Promise<Running> {
    throw new Error('not available');
  },
};

const cnr: TargetDef = {
  name: 'cnr',
  label: `cnr-server 0.2.7.post2 (gunicorn -w ${CNR_WORKERS}, filesystem)`,
  available: existsSync(join(CACHE, 'cnr', 'venv', 'bin', 'gunicorn')) ? true : 'not installed: run bench/install.sh',
  api: true,
  async start() {
    const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-cnr-'));
    const port = await freePort();
    const child = spawn(
      join(CACHE, 'cnr', 'venv', 'bin', 'gunicorn'),
      ['-w', String(CNR_WORKERS), '-b', `127.0.0.1:${port}`, '--timeout', '120', '--log-level', 'warning', 'cnr.api.wsgi:app'],
      {
        cwd: dataDir,
        env: {
          ...process.env,
          // cnr/models/__init__.py reads CNR_DB_CLASS as a "module:Class" path (filesystem is also its default);
          // cnr/models/kv/filesystem/__init__.py reads DATABASE_URL as the base directory.
          CNR_DB_CLASS: 'cnr.models.kv.filesystem.db:CnrDB',
          DATABASE_URL: dataDir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const log = capture(child);
    const url = `http://127.0.0.1:${port}`;
    const stop = stopper(child, [dataDir]);
    await waitHttp(`${url}/version`, child, log).catch(async (e) => {
      await stop();
      throw e;
    });
    return { name: 'cnr', url, pid: child.pid!, stop };
  },
};

const nginx: TargetDef = {
  name: 'nginx',
  label: 'nginx 1.22 (Debian), static files',
  available: existsSync(join(CACHE, 'nginx', 'root', 'usr', 'sbin', 'nginx')) ? true : 'not installed: run bench/install.sh',
  api: false,
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
    const child = spawn(join(CACHE, 'nginx', 'root', 'usr', 'sbin', 'nginx'), ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = capture(child);
    const url = `http://127.0.0.1:${port}`;
    const stop = stopper(child, [dir]);
    await waitHttp(`${url}/`, child, () => log() + (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '')).catch(async (e) => {
      await stop();
      throw e;
    });
    return { name: 'nginx', url, staticRoot: root, pid: child.pid!, stop };
  },
};

export const TARGETS: TargetDef[] = [wharf, wharfDistributed, cnr, nginx];

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
