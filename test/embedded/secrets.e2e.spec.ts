/**
 * Passwords and tokens are never logged and never stored in the clear. An embedded Wharf with
 * authentication enforced and debug logging is put through sign-up, login, token creation,
 * every accepted form of credentials, failed logins and a robot token; then everything it
 * printed and every file of its data directory are searched for the secrets. The token's
 * SHA-256 must be there (proving the search looks where tokens are kept), the token itself not.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WharfProcess, startWharf } from '../support/wharf-process';

jest.setTimeout(60_000);

const ADMIN_PASSWORD = 'admin-secret-0a1b2c3d';
const PASSWORD = 'user-secret-9f8e7d6c';
const WRONG_PASSWORD = 'wrong-secret-5a5a5a5a';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('secrets at rest and in logs', () => {
  let dataDir: string;
  let wharf: WharfProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-secrets-'));
    wharf = await startWharf({
      WHARF_DATA_DIR: dataDir,
      WHARF_AUTH_MODE: 'enforced',
      WHARF_LOG_LEVEL: 'debug',
      WHARF_ADMIN_USERNAME: 'root',
      WHARF_ADMIN_PASSWORD: ADMIN_PASSWORD,
    });
  });

  afterAll(async () => {
    await wharf.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, body?: unknown, authorization?: string) {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...(authorization ? { authorization } : {}),
    };
    const res = await fetch(`${wharf.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, json: (await res.json()) as any };
  }

  it('should keep no password or token in the clear, in the logs or in the data directory', async () => {
    const signUp = await call('POST', '/api/v1/users', { user: { username: 'alice', password: PASSWORD } });
    expect(signUp.status).toBe(201);
    const login = await call('POST', '/api/v1/users/login', { user: { username: 'alice', password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(
      (await call('POST', '/api/v1/users/login', { user: { username: 'alice', password: WRONG_PASSWORD } })).status,
    ).toBe(401);
    const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
    expect((await call('GET', '/api/v1/user', undefined, basic('alice', PASSWORD))).status).toBe(200);
    expect((await call('GET', '/api/v1/user', undefined, basic('alice', WRONG_PASSWORD))).status).toBe(401);
    expect((await call('GET', '/api/v1/user', undefined, `Bearer ${login.json.token}`)).status).toBe(200);
    const created = await call('POST', '/api/v1/user/tokens', { label: 'ci' }, login.json.token);
    expect(created.status).toBe(201);
    expect((await call('POST', '/api/v1/organizations', { name: 'acme' }, login.json.token)).status).toBe(201);
    const robot = await call('PUT', '/api/v1/organizations/acme/robots/deployer', { role: 'write' }, login.json.token);
    expect(robot.status).toBe(200);
    expect(
      (await call('GET', '/api/v1/organizations/acme', undefined, basic('acme+deployer', robot.json.token))).status,
    ).toBe(200);
    const admin = await call('POST', '/api/v1/users/login', { user: { username: 'root', password: ADMIN_PASSWORD } });
    expect(admin.status).toBe(200);

    const tokens: string[] = [
      signUp.json.token,
      login.json.token,
      created.json.token,
      robot.json.token,
      admin.json.token,
    ];
    const secrets = [PASSWORD, WRONG_PASSWORD, ADMIN_PASSWORD, ...tokens, ...tokens.map((t) => t.split('.')[3])];
    await wharf.kill('SIGTERM');

    const places: [string, string][] = [
      ['process output', wharf.output()],
      ...filesUnder(dataDir).map((f): [string, string] => [f, readFileSync(f).toString('latin1')]),
    ];
    const found = places.flatMap(([where, text]) =>
      secrets.filter((secret) => text.includes(secret)).map((secret) => `${where} contains ${secret.slice(0, 12)}…`),
    );
    expect(found).toEqual([]);

    const stored = places.map(([, text]) => text).join('\n');
    const secretHash = createHash('sha256').update(created.json.token.split('.')[3]).digest('hex');
    expect(stored).toContain(secretHash);
    expect(stored).toMatch(/scrypt\$32768\$8\$1\$/);
    expect(wharf.output()).toMatch(/"caller":"alice"/);
  });
});
