/**
 * The registry's public URLs, built one way: the origin (WHARF_PUBLIC_URL, else the address the
 * server answers on) followed by the route's path. The App Registry API sits under the API
 * prefix (WHARF_API_PREFIX, `/cnr` by default); the Helm repository at the root; OCI (`/v2/`) at
 * the root of the host, which is why an OCI reference names the host alone.
 */
import { chartFileName } from './helm/chart-versions';
import { tagOfRelease } from './oci/helm-oci';

/** Where the registry is reached: the origin without a trailing slash, and the API prefix. */
export interface RegistryAddress {
  origin: string;
  apiPrefix: string;
}

/** `<apiPrefix>/api/v1/packages/<ns>/<name>`: a package in the App Registry API. */
export function apprPackagePath(apiPrefix: string, namespace: string, name: string): string {
  return `${apiPrefix}/api/v1/packages/${namespace}/${name}`;
}

export function apprPullPath(apiPrefix: string, namespace: string, name: string, release: string, mediaType: string) {
  return `${apprPackagePath(apiPrefix, namespace, name)}/${release}/${mediaType}/pull`;
}

/** A chart archive in the namespace's Helm repository. */
export function helmChartPath(namespace: string, name: string, release: string): string {
  return `/helm/${namespace}/charts/${chartFileName(name, release)}`;
}

/** `oci://<host>/<ns>/<name>:<tag>`: what `helm pull` takes for a release. */
export function ociReference(origin: string, namespace: string, name: string, release: string): string {
  return `oci://${new URL(origin).host}/${namespace}/${name}:${tagOfRelease(release)}`;
}
