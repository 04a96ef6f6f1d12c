/** Test data (Helm chart archives of a given .tgz size), seeding through HTTP, and a bounded pool. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chartArchive } from '../../libs/testing/src/factories/chart-archive.factory';
import type { Running } from './targets';

export const API = '/cnr/api/v1/packages';

/** A chart whose .tgz is `size` bytes (±16): random padding, so gzip cannot shrink it. */
export function sizedChart(name: string, version: string, size: number, salt = ''): Buffer {
  const build = (pad: number) =>
    chartArchive({
      name,
      version,
      salt: `${salt}${version}`,
      extraEntries: pad > 0 ? [{ name: `${name}/files/padding.bin`, content: randomBytes(pad) }] : [],
    });
  let pad = Math.max(0, size - build(0).length - 600);
  for (let i = 0; i < 4; i++) {
    const got = build(pad).length;
    if (Math.abs(got - size) <= 16) break;
    pad = Math.max(0, pad + (size - got));
  }
  return build(pad);
}

/**
 * A cheap chart of about 4 KB for push loads: shared padding, distinct Chart.yaml. The padding is
 * pseudo-random (gzip cannot shrink it) but the same in every process, so a seeding run again
 * (an import resumed after a kill) brings the very same bytes.
 */
const PAD_4K = Buffer.concat(
  Array.from({ length: Math.ceil(3300 / 32) }, (_, i) => createHash('sha256').update(`wharf-bench-pad-${i}`).digest()),
).subarray(0, 3300);
export function pushChart(name: string, version: string): Buffer {
  return chartArchive({
    name,
    version,
    salt: version,
    extraEntries: [{ name: `${name}/files/padding.bin`, content: PAD_4K }],
  });
}

export function pushBody(release: string, tgz: Buffer): string {
  return JSON.stringify({ release, media_type: 'helm', blob: tgz.toString('base64') });
}

export function pullPath(ns: string, name: string, release: string): string {
  return `${API}/${ns}/${name}/${release}/helm/pull`;
}

export class PushError extends Error {}

/** 5xx answers retried while seeding, per target. */
export const seedRetries = new Map<string, number>();

/** Pushes one release (or, for a static target, writes the file where the pull URL points). */
export async function seedOne(
  t: Running,
  ns: string,
  name: string,
  release: string,
  tgz: Buffer,
  headers: Record<string, string> = t.admin ?? {},
): Promise<void> {
  if (t.staticRoot) {
    const file = join(t.staticRoot, pullPath(ns, name, release));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, tgz);
    return;
  }
  // The reference server answers 500 when concurrent pushes race on its JSON index files:
  // seeding retries a 5xx or a reset connection up to 3 times (each retry is counted in the report by the caller's pool).
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${t.url}${API}/${ns}/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: pushBody(release, tgz),
      });
      text = await res.text();
    } catch (e) {
      // gunicorn's sync workers close kept-alive connections: a reused socket can be reset
      if (attempt >= 3) throw e;
      seedRetries.set(t.name, (seedRetries.get(t.name) ?? 0) + 1);
      continue;
    }
    if (res.ok) return;
    // a 500 from the reference can still have stored the push: the retry then finds it
    if (res.status === 409 && attempt > 1) return;
    if (res.status < 500 || attempt >= 3)
      throw new PushError(`push ${ns}/${name}@${release} to ${t.name}: ${res.status} ${text.slice(0, 300)}`);
    seedRetries.set(t.name, (seedRetries.get(t.name) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 50 * attempt));
  }
}

/**
 * Runs `fn(i)` for i in [from, to) with `concurrency` in flight, until done or `deadline`
 * (epoch ms). Returns how many succeeded and failed; stops starting new work at the deadline.
 */
export async function pool(
  from: number,
  to: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
  deadline = Number.POSITIVE_INFINITY,
): Promise<{ done: number; failed: number; lastError?: string }> {
  let next = from;
  let done = 0;
  let failed = 0;
  let lastError: string | undefined;
  const worker = async () => {
    while (next < to && Date.now() < deadline) {
      const i = next++;
      try {
        await fn(i);
        done++;
      } catch (e) {
        failed++;
        lastError = String((e as Error).message ?? e);
        if (failed > 50 && failed > done) throw new Error(`too many failures; last: ${lastError}`, { cause: e });
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { done, failed, ...(lastError ? { lastError } : {}) };
}

/**
 * Words of the search registry: every package's name, description and keywords carry two of
 * them, so a one-word query finds the same packages in Wharf (name, keywords, description) and
 * in the reference (a regex over `namespace/name` only). No word contains another, nor is part
 * of the namespace or of the `-n<i>` suffix, so the reference's substring match finds no extra.
 */
export const SEARCH_WORDS = (
  'apache atlas beacon blossom canyon cedar cobalt comet condor crimson delta dolphin ember falcon fjord ' +
  'glacier granite harbor hazel horizon iris jasper juniper kestrel lagoon lantern lumen magnet maple meadow ' +
  'meteor mistral nebula nimbus oasis onyx opal orbit osprey pebble pelican phoenix pine prairie prism ' +
  'quartz quiver raven reef ripple saffron sapphire sequoia sierra sparrow spruce summit tundra tulip ' +
  'velvet violet walnut willow zephyr zircon acorn badger bison bramble breeze buffalo cactus caribou ' +
  'cinder clover coral cougar cypress dune eagle fennel ferret gecko geyser gopher heron ibis jackal ' +
  'koala lynx mango marble mesa mink moose otter panda quokka'
).split(' ');

export const SEARCH_NS = 'registry';

/** The i-th package of the search registry: its name, and the two words it carries. */
export function searchPackage(i: number): { name: string; words: [string, string] } {
  const n = SEARCH_WORDS.length;
  const a = SEARCH_WORDS[i % n]!;
  const b = SEARCH_WORDS[(Math.floor(i / n) * 7 + i + 1) % n]!;
  const words: [string, string] = a === b ? [a, SEARCH_WORDS[(i + 2) % n]!] : [a, b];
  return { name: `${words[0]}-${words[1]}-n${i}`, words };
}

/** A small chart (≈ 400 bytes) of the search registry, described by its two words. */
export function searchChart(i: number, version: string): Buffer {
  const { name, words } = searchPackage(i);
  return chartArchive({
    name,
    version,
    salt: version,
    description: `The ${words[0]} ${words[1]} service, package ${i}`,
    keywords: [...words],
  });
}
