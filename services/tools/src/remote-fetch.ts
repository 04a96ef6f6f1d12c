/**
 * Where `wharf import --from-helm-repo` may fetch from, and how: the one gate every request of a
 * remote source goes through.
 *
 * A repository's index.yaml is written by whoever runs the repository, and it names the URL of
 * every chart. Followed blindly, a hostile index makes the importer fetch what the machine
 * running it can reach and the internet cannot (cloud metadata at 169.254.169.254, an admin
 * port on localhost, a service inside the operator's network) or put load on another site. So
 * a URL is fetched only when its origin (scheme, host, port) is the repository's own, or its
 * host is one the operator allowed by name (`--allow-host`); every redirect is followed by
 * hand, at most `maxRedirects` of them, each checked the same way, and never from https to
 * http. Credentials for a private source (`authorization`) go to the repository's own origin
 * only, never to an allowed host or through a redirect elsewhere (Helm's default too, without
 * `--pass-credentials`), and never into a message: errors name URLs by `printableUrl`, origin and
 * path only, so neither userinfo nor a query string (a presigned URL's signature) is printed. Bodies are read to at most the caller's limit, a declared length above it refused before a byte is read.
 *
 * What this does not do: the repository's own host, and the allowed ones, are trusted names:
 * they are resolved by the system's resolver at each request, so a name that resolves to an
 * internal address is fetched from (the operator chose it).
 */

/**
 * A URL as every message of an import prints it: scheme, host, port and path, never its userinfo
 * (`user:password@`), query (a presigned URL's signature and credential, a `?token=`) or
 * fragment; text with none of them is printed as written. Text that is no URL is cut at its first `?` or `#`, and its userinfo dropped.
 */
export function printableUrl(url: string | URL): string {
  // Nothing to hide (no userinfo, query or fragment): as written.
  if (typeof url === 'string' && !/[@?#]/.test(url)) return url;
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return String(url)
      .split(/[?#]/, 1)[0]!
      .replace(/^([a-z][a-z0-9+.-]*:)?(\/\/)?[^/@]*@/i, '$1$2');
  }
  const origin =
    parsed.origin !== 'null' ? parsed.origin : `${parsed.protocol}${parsed.host ? `//${parsed.host}` : ''}`;
  return `${origin}${parsed.pathname}`;
}

const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi;

/**
 * `text` with every URL in it printed by printableUrl: for messages that come from elsewhere
 * (Node's fetch names the whole URL in some of its errors), before they reach a report.
 */
export function withoutUrlSecrets(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => {
    const [, url, punctuation] = /^(.*?)([.,:;]*)$/.exec(match)!;
    return `${printableUrl(url!)}${punctuation}`;
  });
}

/** The request was refused before it was sent, or its body was larger than allowed. */
export class FetchRefusedError extends Error {}

export interface FetchPolicyOptions {
  /** The repository's URL (its origin is always allowed). */
  repository: URL;
  /** Other hosts chart downloads may reach: `host` (any port) or `host:port`, any case. */
  allowHosts?: readonly string[];
  /** Redirects one request may follow (each checked); 0 refuses every redirect. */
  maxRedirects?: number;
  /** Time one request, redirects included, may take (ms). */
  timeoutMs: number;
  /** The `Authorization` header for the repository's own origin (basic or bearer). Never logged. */
  authorization?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class FetchPolicy {
  private readonly origin: string;
  private readonly hosts: ReadonlySet<string>;
  private readonly maxRedirects: number;

  constructor(private readonly options: FetchPolicyOptions) {
    this.origin = options.repository.origin;
    this.hosts = new Set((options.allowHosts ?? []).map((h) => h.toLowerCase()));
    this.maxRedirects = options.maxRedirects ?? 5;
  }

  /** Why `url` may not be fetched, or null when it may. */
  refusal(url: URL): string | null {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol} is not http(s)`;
    if (url.origin === this.origin) return null;
    if (this.hosts.has(url.hostname.toLowerCase()) || this.hosts.has(url.host.toLowerCase())) return null;
    return `${url.host} is not the repository's origin (${this.origin}); add --allow-host ${url.hostname} to fetch from it`;
  }

  /**
   * The body of `url`, at most `maxBytes` of it; null on a 404. Throws FetchRefusedError for a
   * URL or redirect the policy refuses and for a body above `maxBytes`, Error for any other
   * failure (an HTTP error, a timeout, a connection refused).
   */
  async download(url: string, maxBytes: number): Promise<Buffer | null> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let current = new URL(url);
    for (let redirects = 0; ; redirects++) {
      const refused = this.refusal(current);
      if (refused) throw new FetchRefusedError(`refused ${printableUrl(current)}: ${refused}`);
      if (current.username !== '' || current.password !== '')
        throw new FetchRefusedError(`refused ${printableUrl(current)}: it has credentials in it`);
      const headers: Record<string, string> =
        this.options.authorization !== undefined && current.origin === this.origin
          ? { authorization: this.options.authorization }
          : {};
      const res = await fetch(current, { signal, redirect: 'manual', headers });
      if (REDIRECTS.has(res.status)) {
        await res.body?.cancel();
        const location = res.headers.get('location');
        if (location === null) throw new Error(`HTTP ${res.status} without a Location from ${printableUrl(current)}`);
        if (redirects >= this.maxRedirects)
          throw new FetchRefusedError(`more than ${this.maxRedirects} redirects from ${printableUrl(url)}`);
        const next = new URL(location, current);
        if (current.protocol === 'https:' && next.protocol === 'http:')
          throw new FetchRefusedError(`refused the redirect from https to ${printableUrl(next)}`);
        current = next;
        continue;
      }
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status} from ${printableUrl(current)}`);
      }
      return readCapped(res, maxBytes);
    }
  }
}

/** A response's body, refusing more than `maxBytes` (the rest is never read). */
async function readCapped(res: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new FetchRefusedError(`${declared} bytes, above the limit of ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > maxBytes) throw new FetchRefusedError(`more than ${maxBytes} bytes, the limit`);
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}
