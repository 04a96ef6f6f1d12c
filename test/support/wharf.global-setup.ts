/**
 * Gives the e2e suites a server: WHARF_URL if it is set (any profile, anywhere), else a freshly
 * built embedded Wharf on a free port with an empty data directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, WharfProcess, startWharf } from './wharf-process';

declare global {
  // eslint-disable-next-line no-var
  var __WHARF__: WharfProcess | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.WHARF_URL) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-e2e-'));
  const wharf = await startWharf({ WHARF_DATA_DIR: dataDir});
  globalThis.__WHARF__ = wharf;
  process.env.WHARF_URL = wharf.url;
  process.env.WHARF_E2E_DATA_DIR = dataDir;
}
