/**
 * `npm run replay -- <metadata|search|blob-refs|charts|all>`: rebuilds projections from the event log
 * while the registry keeps serving, then switches over (services/tools/src/projection-replay.ts).
 * The profile and the stores come from the same WHARF_* variables the services read. Progress
 * lines go to stderr; one JSON report per projection to stdout. Exit 2 on bad usage or
 * configuration, 1 when a replay failed (the live projection is then as it was).
 */
import 'reflect-metadata';
import { ConfigError, loadConfig } from '@wharf/config';
import { ReplayProgress, replayProjection } from './projection-replay';
import { PROJECTIONS, ProjectionName, openReplay } from './replay-targets';

const USAGE = `usage: npm run replay -- <${PROJECTIONS.join('|')}|all>`;

export function progressLine(p: ReplayProgress): string {
  const eta = p.etaSeconds === null ? '?' : `${Math.ceil(p.etaSeconds)} s`;
  const retry = p.lastError ? ` (retrying: ${p.lastError})` : '';
  return `replay ${p.projection}: ${p.phase}, ${p.done} events done, ${p.remaining} to go, ${Math.round(p.rate)} events/s, ETA ${eta}${retry}`;
}

async function main(argv: string[]): Promise<number> {
  const [which, ...rest] = argv;
  if (!which || rest.length > 0 || !(which === 'all' || (PROJECTIONS as readonly string[]).includes(which))) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`replay: ${error.message}\n`);
    return 2;
  }
  const names: ProjectionName[] = which === 'all' ? [...PROJECTIONS] : [which as ProjectionName];
  for (const name of names) {
    const setup = await openReplay(config, name);
    try {
      const report = await replayProjection(setup.log, setup.projection, {
        onProgress: (p) => process.stderr.write(progressLine(p) + '\n'),
      });
      process.stdout.write(JSON.stringify({ profile: config.profile, ...report }) + '\n');
    } finally {
      await setup.close();
    }
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(
        `replay: ${error instanceof ConfigError ? error.message : (error?.stack ?? String(error))}\n`,
      );
      process.exit(error instanceof ConfigError ? 2 : 1);
    },
  );
}
