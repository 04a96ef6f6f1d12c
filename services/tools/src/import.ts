/**
 * `wharf import --charts <dir> --namespace <ns>` or `wharf import --from-export <dir>` (also
 * `npm run import -- ...`):
 * appends releases in bulk through the package writers of the configured profile
 * (release-import.ts, import-targets.ts), from the same WHARF_* variables the services read.
 * Progress goes to stderr (a bar redrawn in place on a terminal, JSON lines otherwise), with every
 * problem (conflict, refused item); one JSON report to stdout. Exit 0 when every release was
 * imported or was there already, 1 when any was refused, in conflict or failed (the others are
 * imported: a bad chart does not stop the import), 2 on bad usage, configuration or source, or
 * when the embedded data directory is in use.
 */
import { loadConfig } from '@wharf/config';
import { progressSink } from './cli/progress';
import { UsageError } from './cli/usage-error';
import { chartDirectorySource, exportSource } from './import-sources';
import { openImportTarget } from './import-targets';
import { ImportProblem, ImportProgress, ImportSource, importReleases } from './release-import';

export function importProgressLine(p: ImportProgress): string {
  const of = p.total === null ? '' : ` of ${p.total}`;
  const eta = p.etaSeconds === null ? '?' : `${Math.ceil(p.etaSeconds)} s`;
  return `import: ${p.done}${of} releases (${p.imported} imported, ${p.skipped} already there, ${p.conflicts} in conflict, ${p.failed} refused or failed), ${Math.round(p.rate)} releases/s, ETA ${eta}`;
}

function sourceOf(options: ImportOptions, maxArchiveBytes: number): ImportSource {
  const { charts, fromExport, namespace } = options;
  if ((charts === undefined) === (fromExport === undefined))
    throw new UsageError('give one of --charts, --from-export');
  if (charts !== undefined) {
    if (namespace.length !== 1) throw new UsageError('--charts needs one --namespace: the repository to import into');
    return chartDirectorySource(charts, namespace[0]!, maxArchiveBytes);
  }
  return exportSource(fromExport!, namespace.length > 0 ? namespace : undefined);
}

export interface ImportOptions {
  charts?: string;
  fromExport?: string;
  namespace: string[];
}

export async function runImport(options: ImportOptions): Promise<number> {
  const config = loadConfig();
  const source = sourceOf(options, config.archive.maxBlobBytes);
  const target = await openImportTarget(config);
  const progress = progressSink(process.stderr);
  const onProgress = (p: ImportProgress) =>
    progress.update(p, importProgressLine(p), p.total === null ? null : p.done / Math.max(1, p.total));
  const onProblem = (p: ImportProblem) => progress.note({ problem: p }, `${p.kind}: ${p.origin}: ${p.message}`);
  try {
    const report = await importReleases(source, target, {
      archiveLimits: config.archive,
      defaultVisibility: config.auth.defaultVisibility,
      onProgress,
      onProblem,
    });
    await target.settle((lag) => {
      if (lag > 0) progress.update({ folding: lag }, `import: folding, ${lag} events to go`);
    });
    progress.end();
    const { problems, ...counts } = report;
    process.stdout.write(JSON.stringify({ profile: config.profile, ...counts, problems: problems.length }) + '\n');
    return problems.length > 0 ? 1 : 0;
  } finally {
    await target.close();
  }
}
