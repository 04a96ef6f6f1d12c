/**
 * Peak resident memory of the embedded profile (enforced mode) under the memory attacks of
 * issue 15, item 5, for one or more builds side by side (e.g. the current tree and an older
 * commit checked out with `git worktree add /tmp/wharf-old <commit>` and built there):
 *   - login: 6 parallel anonymous POSTs of 90 MB to /api/v1/users/login;
 *   - json-pull: 8 parallel anonymous `pull?format=json` of a public 31 MB chart;
 *   - json-pull-12mb: the same with a 12 MB chart (under the default WHARF_MAX_JSON_PULL_BYTES,
 *     so a build that bounds JSON pulls serves it, streamed);
 *   - helm-download: 8 parallel anonymous downloads of the 31 MB chart from the Helm repository;
 *   - upload-burst: one signed-up account sends 40 parallel appr pushes of 40 MiB (a 30 MiB chart
 *     in base64) to its own namespace (review of issue 15, finding 3).
 * Each attack gets a fresh process: idle RSS is read once it is seeded and quiet, peak RSS is the
 * highest of samples every 20 ms from the first request to the last answer (the process tree's
 * VmRSS, as bench/lib/targets.ts reads it). Prints one JSON line per (build, attack).
 *
 *   node <bench build>/bench/memory-attack.js [buildRoot ...]     (default: the current directory)
 *   BENCH_ATTACKS=upload-burst,login node ...                      (only those attacks)
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { chartArchive } from '../libs/testing/src/factories/chart-archive.factory';
import { startBuild } from './lib/build-server';
import { rssMiB } from './lib/targets';

const ADMIN = { username: 'benchadmin', password: 'bench-admin-password' };
const MB = 1_000_000;

/** Runs `requests` while sampling the server's RSS; answers the peak and the statuses (or error codes). */
async function peakDuring(
  pid: number,
  requests: () => Promise<string>[],
): Promise<{ peakRssMiB: number; answers: Record<string, number> }> {
  let peak = rssMiB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 20);
  try {
    const outcomes = await Promise.all(requests());
    peak = Math.max(peak, rssMiB(pid));
    const answers: Record<string, number> = {};
    for (const o of outcomes) answers[o] = (answers[o] ?? 0) + 1;
    return { peakRssMiB: peak, answers };
  } finally {
    clearInterval(timer);
  }
}

async function outcome(res: Promise<Response>): Promise<string> {
  try {
    const r = await res;
    await r.arrayBuffer();
    return String(r.status);
  } catch (error) {
    return `error ${((error as Error).cause as { code?: string })?.code ?? (error as Error).message}`;
  }
}

async function quietRss(pid: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 1500));
  return rssMiB(pid);
}

async function adminToken(url: string): Promise<string> {
  const res = await fetch(`${url}/cnr/api/v1/users/login`, { method: 'POST', body: JSON.stringify({ user: ADMIN }) });
  return ((await res.json()) as { token: string }).token;
}

async function pushChart(url: string, token: string, name: string, noiseBytes: number): Promise<number> {
  const archive = chartArchive({
    name,
    version: '1.0.0',
    extraEntries: [{ name: `${name}/noise.bin`, content: randomBytes(noiseBytes) }],
  });
  const res = await fetch(`${url}/cnr/api/v1/packages/${ADMIN.username}/${name}`, {
    method: 'POST',
    headers: { authorization: token },
    body: JSON.stringify({
      release: '1.0.0',
      media_type: 'helm',
      visibility: 'public',
      blob: archive.toString('base64'),
    }),
  });
  if (res.status !== 200) throw new Error(`seeding ${name}: ${res.status} ${await res.text()}`);
  return archive.length;
}

const ATTACKS: Record<
  string,
  { seed?: { name: string; noiseBytes: number }; requests: (url: string) => Promise<string>[] }
> = {
  login: {
    requests: (url) => {
      const body = Buffer.alloc(90 * MB, 0x61);
      return Array.from({ length: 6 }, () =>
        outcome(
          fetch(`${url}/cnr/api/v1/users/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }),
        ),
      );
    },
  },
  'json-pull': {
    seed: { name: 'chart31', noiseBytes: 31 * MB },
    requests: (url) =>
      Array.from({ length: 8 }, () =>
        outcome(fetch(`${url}/cnr/api/v1/packages/${ADMIN.username}/chart31/1.0.0/helm/pull?format=json`)),
      ),
  },
  'helm-download': {
    seed: { name: 'chart31', noiseBytes: 31 * MB },
    requests: (url) =>
      Array.from({ length: 8 }, () => outcome(fetch(`${url}/helm/${ADMIN.username}/charts/chart31-1.0.0.tgz`))),
  },
  'upload-burst': {
    requests: (url) => {
      const user = `uploader${randomBytes(3).toString('hex')}`;
      const token = signUp(url, user);
      const archive = chartArchive({
        name: 'burst',
        version: '1.0.0',
        extraEntries: [{ name: 'burst/noise.bin', content: randomBytes(30 * 1024 * 1024) }],
      });
      const body = Buffer.from(
        JSON.stringify({ release: '1.0.0', media_type: 'helm', blob: archive.toString('base64') }),
      );
      const push = (authorization: string) =>
        fetch(`${url}/cnr/api/v1/packages/${user}/burst`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body,
        });
      return Array.from({ length: 40 }, () => outcome(token.then(push)));
    },
  },
  'json-pull-12mb': {
    seed: { name: 'chart12', noiseBytes: 12 * MB },
    requests: (url) =>
      Array.from({ length: 8 }, () =>
        outcome(fetch(`${url}/cnr/api/v1/packages/${ADMIN.username}/chart12/1.0.0/helm/pull?format=json`)),
      ),
  },
};

/** A fresh account's Bearer token (any signed-up user may push to its own namespace). */
async function signUp(url: string, username: string): Promise<string> {
  const res = await fetch(`${url}/cnr/api/v1/users`, {
    method: 'POST',
    body: JSON.stringify({ user: { username, password: 'bench-uploader-password' } }),
  });
  if (res.status !== 201) throw new Error(`sign-up: ${res.status} ${await res.text()}`);
  return `Bearer ${((await res.json()) as { token: string }).token}`;
}

async function main() {
  const roots = process.argv.length > 2 ? process.argv.slice(2).map((r) => resolve(r)) : [process.cwd()];
  const only = process.env.BENCH_ATTACKS?.split(',');
  for (const [attack, def] of Object.entries(ATTACKS)) {
    if (only && !only.includes(attack)) continue;
    for (const root of roots) {
      const server = await startBuild(root, {
        WHARF_AUTH_MODE: 'enforced',
        WHARF_ADMIN_USERNAME: ADMIN.username,
        WHARF_ADMIN_PASSWORD: ADMIN.password,
      });
      try {
        let seededBytes: number | undefined;
        if (def.seed)
          seededBytes = await pushChart(server.url, await adminToken(server.url), def.seed.name, def.seed.noiseBytes);
        const idleRssMiB = await quietRss(server.child.pid!);
        const t0 = performance.now();
        const { peakRssMiB, answers } = await peakDuring(server.child.pid!, () => def.requests(server.url));
        const seconds = (performance.now() - t0) / 1000;
        console.log(
          JSON.stringify({
            build: root,
            attack,
            ...(seededBytes ? { chartBytes: seededBytes } : {}),
            idleRssMiB: Math.round(idleRssMiB),
            peakRssMiB: Math.round(peakRssMiB),
            seconds: Number(seconds.toFixed(2)),
            answers,
          }),
        );
      } finally {
        await server.stop();
      }
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
