/**
 * Errors on the OCI distribution API (`/v2/...`): the same typed errors and statuses as every
 * other route (error-renderer.ts, the one status table), in the distribution spec's body, and a
 * 401 there challenges with the distribution token flow (`Bearer realm=...,service=...,scope=...`)
 * so OCI clients (helm registry login, oras, docker) fetch a token from `/v2/token`.
 */
import { ociErrorBody } from '@wharf/contracts';
import type { OciErrorBody } from '@wharf/contracts';
import type { RenderedError } from './error-renderer';

export const OCI_API_ROOT = '/v2';
/** Where the token endpoint lives (gateway: http/oci-token.controller.ts). */
export const OCI_TOKEN_PATH = '/v2/token';
/** The `service` a token is for, in challenges and tokens alike. */
export const OCI_TOKEN_SERVICE = 'wharf';

export function isOciPath(path: string): boolean {
  return path === OCI_API_ROOT || path.startsWith(OCI_API_ROOT + '/');
}

/** `repository:<ns>/<name>:<actions>` of a /v2 path that names a repository, or null. */
export function ociScopeOf(method: string, path: string): string | null {
  const match = /^\/v2\/([^/]+)\/([^/]+)\/(?:blobs|manifests|tags|referrers)(?:\/|$)/.exec(path);
  if (!match) return null;
  const reads = method === 'GET' || method === 'HEAD';
  return `repository:${match[1]}/${match[2]}:${reads ? 'pull' : 'pull,push'}`;
}

/**
 * The challenge of a /v2 401. The realm is the token endpoint under `origin`, the registry's
 * public origin (`publicOrigin`: never a Host the configuration does not allow, since a client
 * sends its credentials to the realm); '' names none, and the realm is then the path alone.
 */
export function ociChallenge(method: string, path: string, origin: string): string {
  const scope = ociScopeOf(method, path);
  const realm = `${origin}${OCI_TOKEN_PATH}`;
  return `Bearer realm="${realm}",service="${OCI_TOKEN_SERVICE}"${scope ? `,scope="${scope}"` : ''}`;
}

/** A rendered error as the /v2 routes answer it; `origin` as `ociChallenge` takes it. */
export function asOciError(
  error: RenderedError,
  method: string,
  path: string,
  origin: string,
): { body: OciErrorBody; headers: Record<string, string> } {
  const headers = { ...error.headers };
  if (error.status === 401) headers['www-authenticate'] = ociChallenge(method, path, origin);
  return { body: ociErrorBody(error.body.code, error.body.message, error.body.details), headers };
}
