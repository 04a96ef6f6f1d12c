/**
 * `npm run import -- --charts <dir> --namespace <ns>` or `npm run import -- --from-export <dir>`:
 * appends releases in bulk through the package writers of the configured profile
 * (release-import.ts, import-targets.ts), from the same WHARF_* variables the services read.
 * Progress goes to stderr (a line redrawn in place on a terminal, JSON lines otherwise), with every
 * problem (conflict, refused item); one JSON report to stdout. Exit 0 when every release was
 * imported or was there already, 1 when any was refused, in conflict or failed (the others are
 * imported: a bad chart does not stop the import), 2 on bad usage, configuration or source, or
 * when the embedded data directory is in use.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { DataDirLockedError } from '@wharf/adapters/sqlite';
import { ConfigError, loadConfig } from '@wharf/config';
import { ImportSourceError, chartDirectorySource, exportSource } from './import-sources';
import { openImportTarget } from './import-targets';
import { ImportProblem, ImportProgress, ImportSource, importReleases } from './release-import';

const USAGE = `usage: npm run import -- --charts <dir> --namespace <ns>
       npm run import -- --from-export <dir> [--namespace <ns>]...`;

export function importProgressLine(p: ImportProgress): string {
  const of = p.total === null ? '' : ` of ${p.total}`;
  const eta = p.etaSeconds === null ? '?' : `${Math.ceil(p.etaSeconds)} s`;
  return `import: ${p.done}${of} releases (${p.imported} imported, ${p.skipped} already there, ${p.conflicts} in conflict, ${p.failed} refused or failed), ${Math.round(p.rate)} releases/s, ETA ${eta}`;
}

class UsageError extends Error {}

function sourceOf(argv: string[], maxArchiveBytes: number): ImportSource {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        charts: { type: 'string' },
        'from-export': { type: 'string' },
        namespace: { type: 'string', multiple: true },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { charts, 'from-export': fromExport, namespace } = parsed.values;
  if ((charts === undefined) === (fromExport === undefined))
    throw new UsageError('give one of --charts, --from-export');
  if (charts !== undefined) {
    if (namespace?.length !== 1) throw new UsageError('--charts needs one --namespace: the repository to import into');
    return chartDirectorySource(charts, namespace[0]!, maxArchiveBytes);
  }
  return exportSource(fromExport!, namespace);
}

async function main(argv: string[]): Promise<number> {
  let source: ImportSource;
  let config;
  try {
    config = loadConfig();
    source = sourceOf(argv, config.archive.maxBlobBytes);
  } catch (error) {
    if (error instanceof UsageError) process.stderr.write(`import: ${error.message}\n${USAGE}\n`);
    else if (error instanceof ConfigError || error instanceof ImportSourceError)
      process.stderr.write(`import: ${error.message}\n`);
    else throw error;
    return 2;
  }
  let target;
  try {
    target = await openImportTarget(config);
  } catch (error) {
    if (!(error instanceof DataDirLockedError || error instanceof ConfigError)) throw error;
    process.stderr.write(`import: ${error.message}\n`);
    return 2;
  }
  const tty = process.stderr.isTTY === true;
  const onProgress = (p: ImportProgress) =>
    process.stderr.write(tty ? `\r\x1b[K${importProgressLine(p)}` : JSON.stringify({ progress: p }) + '\n');
  const onProblem = (p: ImportProblem) =>
    process.stderr.write(
      tty ? `\r\x1b[K${p.kind}: ${p.origin}: ${p.message}\n` : JSON.stringify({ problem: p }) + '\n',
    );
  try {
    const report = await importReleases(source, target, {
      archiveLimits: config.archive,
      defaultVisibility: config.auth.defaultVisibility,
      onProgress,
      onProblem,
    });
    await target.settle((lag) => {
      if (lag > 0)
        process.stderr.write(
          tty ? `\r\x1b[Kimport: folding, ${lag} events to go` : JSON.stringify({ folding: lag }) + '\n',
        );
    });
    if (tty) process.stderr.write('\n');
    const { problems, ...counts } = report;
    process.stdout.write(JSON.stringify({ profile: config.profile, ...counts, problems: problems.length }) + '\n');
    return problems.length > 0 ? 1 : 0;
  } finally {
    await target.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`import: ${error?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
