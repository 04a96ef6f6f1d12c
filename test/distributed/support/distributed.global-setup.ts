/**
 * jest globalSetup of the `distributed` project: the real engines (as for the int tier) and a
 * fresh build of the services, which the suites start as processes of their own.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import backendsSetup from '../../support/backends.global-setup';

const ROOT = join(__dirname, '..', '..', '..');

export default async function globalSetup(): Promise<void> {
  await backendsSetup();
  // Emit only: types are the typecheck tier's business, and it runs first.
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--noCheck'],
    { stdio: 'inherit' },
  );
}
