/**
 * Scopes of the distribution token flow: `repository:<ns>/<name>:<action>[,<action>]`, the only
 * resource type Wharf grants (`registry:catalog:*` is an admin's and not served yet). A scope
 * that does not parse is left out of the grant, never an error: clients send scopes for
 * resources a registry may not know.
 */
export type OciAction = 'pull' | 'push' | 'delete';

export interface OciScope {
  namespace: string;
  name: string;
  actions: OciAction[];
}

const ACTIONS: ReadonlySet<string> = new Set(['pull', 'push', 'delete', '*']);

export function parseOciScope(text: string): OciScope | null {
  const match = /^repository:([^/:]+)\/([^/:]+):([a-z*,]+)$/.exec(text);
  if (!match) return null;
  const [, namespace, name, list] = match as unknown as [string, string, string, string];
  const asked = list.split(',');
  if (asked.some((a) => !ACTIONS.has(a))) return null;
  const actions = asked.includes('*') ? (['pull', 'push', 'delete'] as OciAction[]) : (asked as OciAction[]);
  return { namespace, name, actions: [...new Set(actions)] };
}

export function formatOciScope(scope: OciScope): string {
  return `repository:${scope.namespace}/${scope.name}:${scope.actions.join(',')}`;
}
