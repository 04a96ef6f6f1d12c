/**
 * The origin Wharf names in absolute URLs it writes for a client (the discovery documents, the
 * OCI token realm of a /v2 401): one rule, so no answer echoes a `Host` another would refuse.
 * Behind a caching proxy, a Host echoed into a cached answer would send every later client (and,
 * for the token realm, its credentials) to the attacker's host (issue 15, item 11).
 */
import type { WharfConfig } from '@wharf/config';

/** What the rule reads of a request. */
export interface OriginRequest {
  protocol: string;
  headers: { host?: string | undefined };
}

/**
 * WHARF_PUBLIC_URL (without a trailing slash), else the request's Host when it may be echoed
 * (`echoableHost`), else '' (name no origin: URLs relative to the server that answered). The
 * scheme is `https` or `http`, nothing else: behind a trusted proxy `protocol` comes from the
 * client's `X-Forwarded-Proto`, which a proxy may pass through as the client sent it
 * (`https://evil.example/#` would make the origin another host's).
 */
export function publicOrigin(request: OriginRequest, config: Pick<WharfConfig, 'http' | 'auth'>): string {
  if (config.http.publicUrl) return config.http.publicUrl.replace(/\/$/, '');
  const host = echoableHost(request.headers.host, config.http.allowedHosts, config.auth.mode);
  return host === null ? '' : `${request.protocol === 'https' ? 'https' : 'http'}://${host}`;
}

/**
 * Whether a request's `Host` may be named: with `allowedHosts`, only those (`host` allows any
 * port, `host:port` that one); without, any well-formed Host in open mode (a registry on one's
 * own machine) and none in enforced mode. Null: name no host.
 */
export function echoableHost(
  host: string | undefined,
  allowedHosts: readonly string[] | null,
  mode: 'open' | 'enforced',
): string | null {
  if (host === undefined || !/^[A-Za-z0-9.:[\]-]{1,255}$/.test(host)) return null;
  const wanted = host.toLowerCase();
  if (allowedHosts === null) return mode === 'open' ? wanted : null;
  const name = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(wanted)?.[1];
  return allowedHosts.some((allowed) => allowed === wanted || allowed === name) ? wanted : null;
}
