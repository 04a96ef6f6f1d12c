/**
 * `wharf import --from-helm-repo <url>`: any Helm chart repository (ChartMuseum, GitHub Pages,
 * Harbor, a Wharf namespace, `helm repo index` output on a web server) read as Helm reads it:
 * its index.yaml, then each version's first URL, resolved against the repository's URL as Helm
 * resolves it.
 *
 * The index is read whole before the first chart (unreachable, not YAML, no `entries`:
 * ImportSourceError, nothing written). A chart that cannot be downloaded (an HTTP error, a
 * timeout, larger than an archive may be), has no digest in the index, or whose bytes do not
 * have that digest is an unreadable item: reported and skipped before a byte of it is stored.
 * A chart that downloads and verifies goes to the import as a chart file would (its Chart.yaml
 * names the package and release), so a corrupt one is refused there.
 *
 * Every request goes through a FetchPolicy (remote-fetch.ts): a chart URL on another origin than
 * the repository's, or a redirect to one, is refused (an unreadable item saying which host to
 * allow) unless `allowHosts` names its host.
 */
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { MAX_PROVENANCE_BYTES, isSha256Hex } from '@wharf/domain';
import type { ImportItem, ImportSource } from './release-import';
import { ImportSourceError } from './import-sources';
import { FetchPolicy, printableUrl, withoutUrlSecrets } from './remote-fetch';
import { sourceTime } from './source-times';

export interface HelmRepoSourceOptions {
  /** The repository's URL, the one `helm repo add` is given (index.yaml is under it). */
  url: string;
  namespace: string;
  maxArchiveBytes: number;
  /** Also fetch `<chart URL>.prov` (a 404 means none). */
  provenance?: boolean;
  /** Downloads in flight at once. */
  concurrency?: number;
  /** Time one request may take (ms). */
  timeoutMs?: number;
  /** The largest index.yaml read. */
  maxIndexBytes?: number;
  /** Hosts besides the repository's origin that charts may be fetched from (`host` or `host:port`). */
  allowHosts?: readonly string[];
  /** Redirects one request may follow, each to an allowed origin. */
  maxRedirects?: number;
  /** `Authorization` for a private repository, sent to its own origin only (remote-fetch.ts). */
  authorization?: string;
}

/** One chart version of an index, as the import needs it. */
export interface HelmIndexEntry {
  name: string;
  version: string;
  /** The chart's absolute URL. */
  url: string;
  /** Hex SHA-256 of the .tgz, as the index gives it (null: none given). */
  digest: string | null;
  /** The index's `created`, when it is a time (source-times.ts). */
  createdAt?: string;
}

const DEFAULT_MAX_INDEX_BYTES = 256 * 1024 * 1024;

/**
 * The chart versions of an index.yaml, in the index's order, each with its absolute URL; throws
 * ImportSourceError when the text is not an index. A version without a name, version or URL is
 * returned with what it has, for the import to report (`problem`).
 */
export function parseHelmIndex(text: string, repoUrl: string): (HelmIndexEntry | { problem: string })[] {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new ImportSourceError(`${printableUrl(repoUrl)}: index.yaml is not YAML: ${(error as Error).message}`);
  }
  const entries = (doc as { entries?: unknown } | null)?.entries;
  if (typeof doc !== 'object' || doc === null || typeof entries !== 'object' || entries === null)
    throw new ImportSourceError(
      `${printableUrl(repoUrl)}: index.yaml has no "entries" map: not a Helm repository index`,
    );
  // Helm resolves a chart's relative URL against the repository URL taken as a directory.
  const base = repoUrl.endsWith('/') ? repoUrl : `${repoUrl}/`;
  const out: (HelmIndexEntry | { problem: string })[] = [];
  for (const [key, versions] of Object.entries(entries as Record<string, unknown>)) {
    if (!Array.isArray(versions)) {
      out.push({ problem: `entry ${key}: not a list of versions` });
      continue;
    }
    for (const v of versions as Record<string, unknown>[]) {
      const name = typeof v?.name === 'string' ? v.name : key;
      const version = typeof v?.version === 'string' ? v.version : undefined;
      const urls = Array.isArray(v?.urls) ? v.urls.filter((u): u is string => typeof u === 'string') : [];
      if (version === undefined || urls.length === 0) {
        out.push({
          problem: `${name}@${version ?? '?'}: no ${version === undefined ? 'version' : 'URL'} in the index`,
        });
        continue;
      }
      let url: string;
      try {
        url = new URL(urls[0]!, base).toString();
      } catch {
        out.push({ problem: `${name}@${version}: the URL ${printableUrl(urls[0]!)} is not one` });
        continue;
      }
      const digest =
        typeof v.digest === 'string' && isSha256Hex(v.digest.toLowerCase()) ? v.digest.toLowerCase() : null;
      const createdAt = sourceTime(v.created);
      out.push({ name, version, url, digest, ...(createdAt ? { createdAt } : {}) });
    }
  }
  return out;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The item one index entry becomes: a verified release, or why it is not one. */
async function itemOf(
  entry: HelmIndexEntry,
  o: Required<HelmRepoSourceOptions>,
  policy: FetchPolicy,
): Promise<ImportItem> {
  const origin = `${entry.name}@${entry.version} (${printableUrl(entry.url)})`;
  if (entry.digest === null)
    return { kind: 'unreadable', origin, reason: 'the index gives no sha256 digest to verify the chart with' };
  try {
    const archive = await policy.download(entry.url, o.maxArchiveBytes);
    if (archive === null) throw new Error(`HTTP 404 from ${printableUrl(entry.url)}`);
    const digest = sha256(archive);
    if (digest !== entry.digest)
      return {
        kind: 'unreadable',
        origin,
        reason: `the downloaded chart's sha256 (${digest}) is not the index's (${entry.digest})`,
      };
    const provenance = o.provenance ? await policy.download(`${entry.url}.prov`, MAX_PROVENANCE_BYTES) : null;
    return {
      kind: 'release',
      origin,
      namespace: o.namespace,
      archive,
      ...(provenance ? { provenance } : {}),
      ...(entry.createdAt ? { createdAt: entry.createdAt } : {}),
    };
  } catch (error) {
    const e = error as Error & { cause?: Error };
    const reason = e.cause ? `${e.message}: ${e.cause.message}` : e.message;
    return { kind: 'unreadable', origin, reason: withoutUrlSecrets(reason) };
  }
}

/**
 * Reads the repository's index now (throws ImportSourceError when it cannot), and returns the
 * source of its charts: downloaded `concurrency` at a time, handed on in the index's order.
 */
export async function helmRepoSource(options: HelmRepoSourceOptions): Promise<ImportSource> {
  const o: Required<HelmRepoSourceOptions> = {
    provenance: false,
    concurrency: 8,
    timeoutMs: 60_000,
    maxIndexBytes: DEFAULT_MAX_INDEX_BYTES,
    allowHosts: [],
    maxRedirects: 5,
    authorization: '',
    ...options,
  };
  let base: URL;
  try {
    base = new URL(o.url.endsWith('/') ? o.url : `${o.url}/`);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error();
  } catch {
    // Whatever it is, credentials in it are not printed.
    throw new ImportSourceError(`${printableUrl(o.url)}: not an http(s) URL`);
  }
  // A URL's credentials would be printed with it in every report line.
  if (base.username !== '' || base.password !== '')
    throw new ImportSourceError(
      `${printableUrl(base)}: give credentials with --username and WHARF_IMPORT_SOURCE_PASSWORD, or WHARF_IMPORT_SOURCE_TOKEN, not in the URL`,
    );
  const policy = new FetchPolicy({
    repository: base,
    allowHosts: o.allowHosts,
    maxRedirects: o.maxRedirects,
    timeoutMs: o.timeoutMs,
    ...(o.authorization !== '' ? { authorization: o.authorization } : {}),
  });
  let text: string;
  try {
    const bytes = await policy.download(new URL('index.yaml', base).toString(), o.maxIndexBytes);
    if (bytes === null) throw new Error('HTTP 404 (is this the URL given to helm repo add?)');
    text = bytes.toString('utf8');
  } catch (error) {
    const e = error as Error & { cause?: Error };
    throw new ImportSourceError(
      withoutUrlSecrets(
        `${printableUrl(o.url)}: cannot read index.yaml: ${e.message}${e.cause ? `: ${e.cause.message}` : ''}`,
      ),
    );
  }
  const entries = parseHelmIndex(text, o.url);
  return {
    total: entries.length,
    async *items(): AsyncIterable<ImportItem> {
      const window: Promise<ImportItem>[] = [];
      let next = 0;
      const start = () => {
        const e = entries[next++]!;
        window.push(
          'problem' in e
            ? Promise.resolve({ kind: 'unreadable', origin: printableUrl(o.url), reason: e.problem })
            : itemOf(e, o, policy),
        );
      };
      while (next < entries.length && window.length < o.concurrency) start();
      while (window.length > 0) {
        const item = await window.shift()!;
        if (next < entries.length) start();
        yield item;
      }
    },
  };
}
