/**
 * Shared plumbing for the third-party client suites: where install.sh put the clients, running
 * them as child processes, fresh namespaces, and the digests the suites compare.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const CLIENTS_DIR = join(__dirname, '..');
export const CACHE = process.env.WHARF_CLIENTS_CACHE || join(homedir(), '.cache', 'wharf-clients');
export const VENV = (name: string) => join(CACHE, 'venv', name);

/** Time a hook may take to install a client on a fresh machine (install.sh, cached after). */
export const INSTALL_TIMEOUT_MS = 600_000;

/** Runs install.sh for the given components (a no-op when their pins have not changed). */
export function ensureInstalled(...components: string[]): void {
  execFileSync('bash', [join(CLIENTS_DIR, 'install.sh'), ...components], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, WHARF_CLIENTS_CACHE: CACHE },
    timeout: INSTALL_TIMEOUT_MS,
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws on a non-zero exit (the caller asserts). */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        cwd: opts.cwd,
        env: { ...process.env, ...opts.env },
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
  });
}

/** Like run(), but fails the test with the command's output unless it exits 0. */
export async function runOk(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`,
    );
  }
  return r;
}

export function baseUrl(): string {
  const url = process.env.WHARF_URL;
  if (!url) throw new Error('WHARF_URL is not set (the e2e globalSetup sets it)');
  return url.trim().replace(/\/+$/, '');
}

/**
 * The registry as the appr CLI takes it: "scheme://host:port" (appr assumes https for any bare
 * host but one starting with "localhost", so the scheme is spelled out).
 */
export function registry(): string {
  return new URL(baseUrl()).origin;
}

/** A namespace no other run has used: lowercase, starts with a letter, no dots (appr's regexp). */
export function freshNamespace(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `wharf-${prefix}-`));
}

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** content.digest as Wharf and the reference server compute it: sha256 of the gunzipped tar. */
export const contentDigest = (tgz: Buffer): string => sha256(gunzipSync(tgz));

export const sha256File = (path: string): string => sha256(readFileSync(path));

/** The names and contents of the regular files in a .tgz, read with the system tar. */
export function tgzFiles(tgzPath: string): Record<string, string> {
  const names = execFileSync('tar', ['tzf', tgzPath])
    .toString()
    .split('\n')
    .filter((n) => n && !n.endsWith('/'));
  const out: Record<string, string> = {};
  for (const name of names) out[name] = execFileSync('tar', ['xzOf', tgzPath, name]).toString();
  return out;
}

export async function getJson<T = unknown>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${baseUrl()}${path}`);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: the assertion shows the text */
  }
  return { status: res.status, body: body as T };
}

export async function getBytes(path: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${baseUrl()}${path}`);
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}
