/**
 * `wharf import --from-cnr <dir>`: the filesystem database of cnr-server (the App Registry's
 * reference server, 0.2.x, `DATABASE_URL` pointing at a directory), read in place, channels
 * included. Its layout, from its key-value model over files (keys prefixed `cnr/packages/`,
 * `CNR_KV_PREFIX`):
 *
 *   <dir>/cnr/packages/packages.json                  {"packages": {ns: {name: {...}}}}
 *   <dir>/cnr/packages/<ns>/<name>/releases.json      {"releases": {release: {"manifests":
 *        {mediaType: {"metadata", "content": {"digest", "size"}}}, "channels": [...]}},
 *        "channels": {name: {"name", "current"}}}
 *   <dir>/cnr/packages/<ns>/<name>/digests/sha256/<d> the archive, base64, as it was pushed
 *
 * where a manifest's content digest is appr's (the sha256 of the uncompressed tar): checked
 * against the bytes, a mismatch refuses the release. `<dir>` may also be the prefix directory
 * itself. Lock files (`*.lock`) are ignored: stop cnr-server, or copy its directory, first.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type JsonValue, isSha256Hex } from '@wharf/domain';
import type { ImportItem, ImportSource } from './release-import';
import { ImportSourceError, readRegularFile } from './import-sources';
import { sourceTime } from './source-times';

interface CnrManifest {
  metadata?: unknown;
  /** `datetime.utcnow().isoformat()` when the release was pushed. */
  created_at?: unknown;
  content?: { digest?: unknown; size?: unknown };
}
interface CnrReleases {
  releases?: Record<string, { manifests?: Record<string, CnrManifest>; channels?: unknown }>;
  channels?: Record<string, { name?: unknown; current?: unknown }>;
}

const PREFIX = join('cnr', 'packages');

/** The largest packages.json or releases.json read (a package's releases.json grows with its releases). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** The directory holding packages.json: `<dir>/cnr/packages`, or `<dir>` itself. */
function prefixOf(dir: string): string {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new ImportSourceError(`${dir}: no such directory`);
  for (const candidate of [join(root, PREFIX), root])
    if (existsSync(join(candidate, 'packages.json'))) return candidate;
  throw new ImportSourceError(`${dir}: not a cnr-server database (no ${PREFIX}/packages.json)`);
}

/** The packages packages.json lists, as `ns/name`, sorted; throws ImportSourceError when it is not readable. */
function packagesOf(prefix: string): string[] {
  let doc: { packages?: Record<string, Record<string, unknown>> };
  try {
    doc = JSON.parse(
      readRegularFile(join(prefix, 'packages.json'), MAX_JSON_BYTES, prefix).toString('utf8'),
    ) as typeof doc;
  } catch (error) {
    throw new ImportSourceError(`${prefix}/packages.json: not JSON: ${(error as Error).message}`);
  }
  if (typeof doc?.packages !== 'object' || doc.packages === null)
    throw new ImportSourceError(`${prefix}/packages.json: no "packages" map`);
  return Object.entries(doc.packages)
    .flatMap(([ns, names]) => Object.keys(names ?? {}).map((name) => `${ns}/${name}`))
    .sort();
}

const createdAtOf = (manifest: CnrManifest): { createdAt?: string } => {
  const createdAt = sourceTime(manifest.created_at);
  return createdAt ? { createdAt } : {};
};

/** A name or digest used as a path segment: nothing that climbs out of the database. */
const safeSegment = (s: string) => s !== '' && s !== '.' && s !== '..' && !/[/\\\0]/.test(s);

export function cnrServerSource(dir: string, namespaces: readonly string[], maxArchiveBytes: number): ImportSource {
  const prefix = prefixOf(dir);
  const packages = packagesOf(prefix).filter(
    (p) => namespaces.length === 0 || namespaces.includes(p.slice(0, p.indexOf('/'))),
  );
  return {
    async *items(): AsyncIterable<ImportItem> {
      for (const pkg of packages) {
        const [namespace, name] = pkg.split('/') as [string, string];
        if (!safeSegment(namespace) || !safeSegment(name)) {
          yield { kind: 'unreadable', origin: pkg, reason: 'not a package name' };
          continue;
        }
        const base = join(prefix, namespace, name);
        let data: CnrReleases;
        try {
          data = JSON.parse(
            readRegularFile(join(base, 'releases.json'), MAX_JSON_BYTES, prefix).toString('utf8'),
          ) as CnrReleases;
          if (typeof data?.releases !== 'object' || data.releases === null) throw new Error('no "releases" map');
        } catch (error) {
          yield { kind: 'unreadable', origin: `${pkg}/releases.json`, reason: (error as Error).message };
          continue;
        }
        for (const [release, entry] of Object.entries(data.releases)) {
          for (const [mediaType, manifest] of Object.entries(entry?.manifests ?? {})) {
            const origin = `${pkg}@${release} (${mediaType})`;
            const digest = manifest?.content?.digest;
            if (typeof digest !== 'string' || !isSha256Hex(digest)) {
              yield { kind: 'unreadable', origin, reason: 'its manifest has no sha256 content digest' };
              continue;
            }
            let archive: Buffer;
            try {
              const path = join(base, 'digests', 'sha256', digest);
              // Base64: four characters for three bytes.
              const encodedLimit = Math.floor(((maxArchiveBytes + 3) * 4) / 3);
              if (statSync(path).size > encodedLimit)
                throw new Error(`its blob is above the archive limit of ${maxArchiveBytes} bytes`);
              const encoded = readRegularFile(path, encodedLimit, prefix);
              archive = Buffer.from(encoded.toString('utf8'), 'base64');
            } catch (error) {
              yield { kind: 'unreadable', origin, reason: (error as Error).message };
              continue;
            }
            yield {
              kind: 'release',
              origin,
              namespace,
              name,
              release,
              mediaType,
              archive,
              metadata: (manifest.metadata ?? null) as JsonValue,
              expected: { apprDigest: digest },
              ...createdAtOf(manifest),
            };
          }
        }
        const channels = Object.values(data.channels ?? {}).flatMap((c) =>
          typeof c?.name === 'string' && typeof c.current === 'string'
            ? [
                {
                  name: c.name,
                  current: c.current,
                  releases: Object.entries(data.releases!)
                    .filter(([, r]) => Array.isArray(r?.channels) && r.channels.includes(c.name))
                    .map(([release]) => release),
                },
              ]
            : [],
        );
        if (channels.length > 0) yield { kind: 'channels', origin: pkg, package: pkg, channels };
      }
    },
  };
}
