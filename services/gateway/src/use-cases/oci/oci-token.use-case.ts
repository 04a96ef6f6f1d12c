/**
 * The distribution token flow's endpoint (`GET /v2/token?service=...&scope=...`, what a /v2 401
 * challenges with): the caller authenticated as on every route (Basic with a password, an API
 * token or a robot token; CallerGuard), and receives a bearer token for the /v2 routes, with the
 * scopes its roles grant. The token is:
 * - after a password: a registry token (auth/registry-tokens.ts), signed and short-lived
 *   (`OCI_TOKEN_TTL_SECONDS`), not an API token: recorded nowhere, not listed among the user's
 *   tokens nor counted toward their cap, so logins do not pile up; a password change ends it;
 * - after a token (an API, robot or registry token): that very token (no token outlives the
 *   proof it was made from);
 * - open mode: a placeholder, since every caller is the open caller.
 * An anonymous caller gets no token (401): public pulls need none, the /v2 routes answer them
 * without a challenge.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  Caller,
  OciAction,
  UnauthorizedError,
  canRead,
  formatOciScope,
  parseOciScope,
  parsePackageRef,
  roleAtLeast,
} from '@wharf/domain';
import { PACKAGE_READER, PackageReader } from '@wharf/ports';
import { AccessControl } from '../../auth/access-control';
import { Authenticator } from '../../auth/authenticator';
import { REGISTRY_TOKEN_TTL_SECONDS } from '../../auth/registry-tokens';

export const OCI_TOKEN_TTL_SECONDS = REGISTRY_TOKEN_TTL_SECONDS;

export interface OciTokenRequest {
  caller: Caller;
  /** The API token the caller authenticated with, as sent; null after a password. */
  presentedToken: string | null;
  scopes: string[];
}

export interface OciTokenAnswer {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
  /** The scopes granted, in the request's syntax (informational: every request is checked again). */
  scope: string;
}

@Injectable()
export class OciTokenUseCase {
  constructor(
    private readonly access: AccessControl,
    private readonly authenticator: Authenticator,
    @Inject(PACKAGE_READER) private readonly reader: PackageReader,
  ) {}

  async issue(request: OciTokenRequest): Promise<OciTokenAnswer> {
    const { caller } = request;
    if (caller.kind === 'anonymous') throw new UnauthorizedError('log in with Basic credentials');
    const token = await this.tokenFor(caller, request.presentedToken);
    const granted: string[] = [];
    for (const text of request.scopes) {
      const scope = parseOciScope(text);
      if (!scope) continue;
      const actions = await this.grant(caller, scope.namespace, scope.name, scope.actions);
      if (actions.length > 0) granted.push(formatOciScope({ ...scope, actions }));
    }
    return {
      token,
      access_token: token,
      expires_in: OCI_TOKEN_TTL_SECONDS,
      issued_at: new Date().toISOString(),
      scope: granted.join(' '),
    };
  }

  private async tokenFor(caller: Caller, presented: string | null): Promise<string> {
    if (caller.kind === 'open') return 'open';
    if (presented !== null) return presented;
    if (caller.kind !== 'user') throw new UnauthorizedError('a robot logs in with its token');
    return (await this.authenticator.issueRegistryToken(caller.name)).token;
  }

  private async grant(caller: Caller, namespace: string, name: string, asked: OciAction[]): Promise<OciAction[]> {
    let ref;
    try {
      ref = parsePackageRef(namespace, name);
    } catch {
      return [];
    }
    const role = await this.access.roleOn(caller, ref.namespace);
    // Its visibility is in the head: no manifest row is read.
    const head = await this.reader.getHead(ref.full);
    return asked.filter((action) =>
      action === 'pull' ? canRead(role, head?.visibility ?? 'private') : roleAtLeast(role, 'write'),
    );
  }
}
