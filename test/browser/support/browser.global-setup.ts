/**
 * The browser tier's server: Debian's Chromium installed if missing (install.sh), the build,
 * and one Wharf with authentication enforced, sign-up on, and a Host the install commands may
 * name (WHARF_ALLOWED_HOSTS). Embedded by default; a gateway of the distributed profile in front
 * of a running stack when its service URLs are set (as the e2e setup does, scripts/test.sh).
 * WHARF_BROWSER_URL: test a server that is already running instead.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, WharfProcess, startWharf } from '../../support/wharf-process';
import { BROWSER_ADMIN } from './browser';

declare global {
  var __WHARF_BROWSER__: WharfProcess | undefined;
}

export default async function globalSetup(): Promise<void> {
  execFileSync('bash', [join(__dirname, '..', 'install.sh')], { stdio: 'inherit', timeout: 600_000 });
  if (process.env.WHARF_BROWSER_URL) return;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  const distributed = Boolean(process.env.WHARF_SEARCH_URL);
  const env = {
    WHARF_DATA_DIR: mkdtempSync(join(tmpdir(), 'wharf-browser-')),
    WHARF_AUTH_MODE: 'enforced',
    WHARF_SIGNUP: 'true',
    WHARF_ALLOWED_HOSTS: '127.0.0.1',
    WHARF_ADMIN_USERNAME: BROWSER_ADMIN.username,
    WHARF_ADMIN_PASSWORD: BROWSER_ADMIN.password,
    // A distributed gateway with accounts enforced requires the registry tokens' key (auth/registry-tokens.ts).
    ...(distributed
      ? { WHARF_PROFILE: 'distributed', WHARF_REGISTRY_TOKEN_KEY: randomBytes(32).toString('base64') }
      : {}),
  };
  const wharf = await startWharf(env, 60_000, distributed ? 'gateway' : 'embedded');
  globalThis.__WHARF_BROWSER__ = wharf;
  process.env.WHARF_BROWSER_URL = wharf.url;
}
