/**
 * The discovery documents (`/`, `/.well-known/app-registry-uri.json`) and the OCI token realm of a
 * /v2 401 name the registry's origin (`publicOrigin`). In enforced mode with neither
 * WHARF_PUBLIC_URL nor WHARF_ALLOWED_HOSTS they name none (no request's Host is trusted), and
 * carry relative URLs: safe, but not what a client that needs an absolute URL can use (OCI
 * clients such as `helm registry login` cannot log in). Said once at start, so an operator
 * behind a proxy sets one of the two.
 */
import type { JsonLogger, WharfConfig } from '@wharf/config';

export function warnWhenDiscoveryHasNoOrigin(config: WharfConfig, logger: JsonLogger): void {
  if (config.auth.mode !== 'enforced' || config.http.publicUrl !== null || config.http.allowedHosts !== null) return;
  logger.event('warn', 'discovery documents and the OCI token realm carry relative URLs', {
    reason: 'enforced mode echoes no Host header without WHARF_PUBLIC_URL or WHARF_ALLOWED_HOSTS',
    fix: 'set WHARF_PUBLIC_URL to the URL clients use (or WHARF_ALLOWED_HOSTS)',
  });
}
