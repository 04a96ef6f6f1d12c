/**
 * `wharf replay <metadata|search|blob-refs|charts|all>` (also `npm run replay -- <projection>`):
 * rebuilds projections from the event log while the registry keeps serving, then switches over
 * (projection-replay.ts). The profile and the stores come from the same WHARF_* variables the
 * services read. Progress on stderr (cli/progress.ts); one JSON report per projection to stdout.
 * Exit 2 on bad usage or configuration, 1 when a replay failed (the live projection is then as
 * it was).
 */
import { loadConfig } from '@wharf/config';
import { progressSink } from './cli/progress';
import { ReplayProgress, replayProjection } from './projection-replay';
import { PROJECTIONS, ProjectionName, openReplay } from './replay-targets';

export function progressLine(p: ReplayProgress): string {
  const eta = p.etaSeconds === null ? '?' : `${Math.ceil(p.etaSeconds)} s`;
  const retry = p.lastError ? ` (retrying: ${p.lastError})` : '';
  return `replay ${p.projection}: ${p.phase}, ${p.done} events done, ${p.remaining} to go, ${Math.round(p.rate)} events/s, ETA ${eta}${retry}`;
}

export async function runReplay(which: ProjectionName | 'all'): Promise<number> {
  const config = loadConfig();
  const names: ProjectionName[] = which === 'all' ? [...PROJECTIONS] : [which];
  for (const name of names) {
    const setup = await openReplay(config, name);
    const progress = progressSink(process.stderr);
    try {
      const report = await replayProjection(setup.log, setup.projection, {
        onProgress: (p) => progress.update(p, progressLine(p), p.done / Math.max(1, p.done + p.remaining)),
      });
      progress.end();
      process.stdout.write(JSON.stringify({ profile: config.profile, ...report }) + '\n');
    } finally {
      await setup.close();
    }
  }
  return 0;
}
