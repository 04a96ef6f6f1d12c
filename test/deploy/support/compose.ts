/**
 * A compose file as the deploy tests read it: YAML with merge keys, `${VAR:-default}` taken at
 * its default (what compose gives when VAR is unset), required `${VAR:?…}` and plain `${VAR}`
 * left as `${VAR}`. Wharf's own services are those whose command runs dist/services/….
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, unknown>;
  ports?: string[];
}

/** `${VAR:-default}` → default, `${VAR:?message}` and `${VAR}` → `${VAR}`. */
export function withDefaults(text: string): string {
  return text.replace(/\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_m, name: string, fallback?: string) =>
    fallback !== undefined ? fallback : `\${${name}}`,
  );
}

export function composeServices(path: string): Record<string, ComposeService> {
  const doc = parse(withDefaults(readFileSync(path, 'utf8')), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  return doc.services;
}

export function isWharfService(service: ComposeService): boolean {
  return (service.command ?? []).some((arg) => arg.startsWith('dist/services/'));
}

/** A service's WHARF_* variables, names sorted, values as strings. */
export function wharfVariables(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {})
      .filter(([key]) => key.startsWith('WHARF_'))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => [key, String(value)]),
  );
}
