/**
 * Gives the e2e suites two servers:
 * - WHARF_URL, the registry under test in open mode (no accounts, as the reference server), so
 *   the protocol suites run unchanged against any profile: given, or a freshly built embedded
 *   Wharf on a free port with an empty data directory;
 * - WHARF_ENFORCED_URL, the same profile with authentication enforced and a site admin
 *   (E2E_ADMIN), for the access suites: given, or an embedded process of its own, or, when the
 *   distributed stack's service URLs are set (scripts/test.sh), a second gateway in front of
 *   that stack's services.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { E2E_ADMIN } from './target';
import { ROOT, WharfProcess, startWharf } from './wharf-process';

declare global {
  var __WHARF__: WharfProcess | undefined;
  var __WHARF_ENFORCED__: WharfProcess | undefined;
}

const ENFORCED = {
  WHARF_AUTH_MODE: 'enforced',
  WHARF_ADMIN_USERNAME: E2E_ADMIN.username,
  WHARF_ADMIN_PASSWORD: E2E_ADMIN.password,
  // The port is chosen at start, so no WHARF_PUBLIC_URL: the host the suites reach it by, any
  // port, may be named in absolute URLs (the discovery documents, the OCI token realm).
  WHARF_ALLOWED_HOSTS: '127.0.0.1',
};

function build(): void {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
}

export default async function globalSetup(): Promise<void> {
  if (!process.env.WHARF_URL) {
    build();
    const dataDir = mkdtempSync(join(tmpdir(), 'wharf-e2e-'));
    const wharf = await startWharf({ WHARF_DATA_DIR: dataDir, WHARF_AUTH_MODE: 'open' });
    globalThis.__WHARF__ = wharf;
    process.env.WHARF_URL = wharf.url;
    process.env.WHARF_E2E_DATA_DIR = dataDir;
    const enforced = await startWharf({
      WHARF_DATA_DIR: mkdtempSync(join(tmpdir(), 'wharf-e2e-enforced-')),
      ...ENFORCED,
    });
    globalThis.__WHARF_ENFORCED__ = enforced;
    process.env.WHARF_ENFORCED_URL = enforced.url;
    return;
  }
  if (!process.env.WHARF_ENFORCED_URL && process.env.WHARF_SEARCH_URL) {
    // Its own data directory: the gateway keeps OCI upload sessions there (docs/architecture.md).
    const dataDir = mkdtempSync(join(tmpdir(), 'wharf-e2e-gateway-'));
    const gateway = await startWharf(
      {
        WHARF_PROFILE: 'distributed',
        WHARF_DATA_DIR: dataDir,
        // Required of a distributed gateway with accounts enforced (auth/registry-tokens.ts).
        WHARF_REGISTRY_TOKEN_KEY: randomBytes(32).toString('base64'),
        ...ENFORCED,
      },
      60_000,
      'gateway',
    );
    globalThis.__WHARF_ENFORCED__ = gateway;
    process.env.WHARF_ENFORCED_URL = gateway.url;
  }
}
