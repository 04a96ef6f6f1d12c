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

export interface OciChallengeRequest {
  method: string;
  protocol: string;
  host: string;
}

export function ociChallenge(request: OciChallengeRequest, path: string): string {
  const scope = ociScopeOf(request.method, path);
  const realm = `${request.protocol}://${request.host}${OCI_TOKEN_PATH}`;
  return `Bearer realm="${realm}",service="${OCI_TOKEN_SERVICE}"${scope ? `,scope="${scope}"` : ''}`;
}

/** A rendered error as the /v2 routes answer it. */
export function asOciError(
  error: RenderedError,
  request: OciChallengeRequest,
  path: string,
): { body: OciErrorBody; headers: Record<string, string> } {
  const headers = { ...error.headers };
  if (error.status === 401) headers['www-authenticate'] = ociChallenge(request, path);
  return { body: ociErrorBody(error.body.code, error.body.message, error.body.details), headers };
}
