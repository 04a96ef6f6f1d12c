/**
 * `wharf import` (also `npm run import -- ...`) from a directory of charts (`--charts <dir>
 * --namespace <ns>`), another Wharf's export (`--from-export <dir>`), any Helm repository by URL
 * (`--from-helm-repo <url> --namespace <ns>`, import-helm-repo.ts) or a ChartMuseum storage
 * directory (`--from-chartmuseum <dir>`, single or multitenant) or a cnr-server filesystem
 * database (`--from-cnr <dir>`, import-cnr.ts, channels included):
 * appends releases in bulk through the package writers of the configured profile
 * (release-import.ts, import-targets.ts), from the same WHARF_* variables the services read.
 * Progress goes to stderr (a bar redrawn in place on a terminal, JSON lines otherwise), with every
 * problem (conflict, refused item); one JSON report to stdout. Exit 0 when every release was
 * imported or was there already, 1 when any was refused, in conflict or failed (the others are
 * imported: a bad chart does not stop the import), 2 on bad usage, configuration or source, or
 * when the embedded data directory is in use.
 */
import { WharfConfig, loadConfig } from '@wharf/config';
import { progressSink } from './cli/progress';
import { cnrServerSource } from './import-cnr';
import { helmRepoSource } from './import-helm-repo';
import { ImportOptions, checkImportOptions, sourceAuthorization } from './import-options';
import { chartmuseumBucketClient, chartmuseumBucketSource, parseS3Location } from './import-chartmuseum-s3';
import { ImportSourceError, chartDirectorySource, chartmuseumStorageSource, exportSource } from './import-sources';
import { openImportTarget } from './import-targets';
import { ImportProblem, ImportProgress, ImportSource, importReleases } from './release-import';

const definedAuthorization = (authorization: string | undefined) => (authorization ? { authorization } : {});

export function importProgressLine(p: ImportProgress): string {
  const of = p.total === null ? '' : ` of ${p.total}`;
  const eta = p.etaSeconds === null ? '?' : `${Math.ceil(p.etaSeconds)} s`;
  return `import: ${p.done}${of} releases (${p.imported} imported, ${p.skipped} already there, ${p.conflicts} in conflict, ${p.failed} refused or failed), ${Math.round(p.rate)} releases/s, ETA ${eta}`;
}

async function sourceOf(
  options: ImportOptions,
  maxArchiveBytes: number,
  credentials: WharfConfig['importSource'],
): Promise<ImportSource> {
  checkImportOptions(options);
  const { charts, fromExport, fromHelmRepo, fromChartmuseum, fromCnr, namespace } = options;
  if (charts !== undefined) return chartDirectorySource(charts, namespace[0]!, maxArchiveBytes);
  if (fromHelmRepo !== undefined)
    return helmRepoSource({
      url: fromHelmRepo,
      namespace: namespace[0]!,
      maxArchiveBytes,
      provenance: options.provenance ?? false,
      allowHosts: options.allowHost ?? [],
      ...definedAuthorization(sourceAuthorization(options, credentials)),
    });
  if (fromCnr !== undefined) return cnrServerSource(fromCnr, namespace, maxArchiveBytes);
  const bucket = fromChartmuseum !== undefined ? parseS3Location(fromChartmuseum) : null;
  if (bucket !== null)
    return chartmuseumBucketSource({
      location: bucket,
      depth: options.depth ?? 0,
      namespaces: namespace,
      maxArchiveBytes,
      client: chartmuseumBucketClient({ endpoint: options.s3Endpoint, region: options.s3Region }),
    });
  if (fromChartmuseum !== undefined)
    return chartmuseumStorageSource(fromChartmuseum, options.depth ?? 0, namespace, maxArchiveBytes);
  return exportSource(fromExport!, namespace.length > 0 ? namespace : undefined);
}

/**
 * Runs the import once, or with `every` (a mirror of a Helm repository) again that many seconds
 * after each round ends, until SIGINT or SIGTERM: a signal during a round lets it finish (a
 * release is imported whole or not at all, and a round is idempotent), during the wait ends at
 * once. A round whose index cannot be read is reported (`{"problem": ...}` on stderr) and tried
 * again at the next; only the first round's source must be readable. One report line a round
 * (with `round` when mirroring); the status is the last round's.
 */
export async function runImport(options: ImportOptions): Promise<number> {
  const config = loadConfig();
  let source: ImportSource | null = await sourceOf(options, config.archive.maxBlobBytes, config.importSource);
  const target = await openImportTarget(config);
  const progress = progressSink(process.stderr);
  const onProgress = (p: ImportProgress) =>
    progress.update(p, importProgressLine(p), p.total === null ? null : p.done / Math.max(1, p.total));
  const onProblem = (p: ImportProblem) => progress.note({ problem: p }, `${p.kind}: ${p.origin}: ${p.message}`);
  const every = options.every;
  let stopping = false;
  let wake = () => {};
  const stop = () => {
    stopping = true;
    wake();
  };
  if (every !== undefined) for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, stop);
  let status = 0;
  try {
    for (let round = 1; ; round++) {
      if (source) {
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
        const line = { profile: config.profile, ...(every !== undefined ? { round } : {}), ...counts };
        process.stdout.write(JSON.stringify({ ...line, problems: problems.length }) + '\n');
        status = problems.length > 0 ? 1 : 0;
      }
      if (every === undefined || stopping) return status;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, every * 1000);
        wake = () => (clearTimeout(timer), resolve());
      });
      if (stopping) return status;
      try {
        source = await sourceOf(options, config.archive.maxBlobBytes, config.importSource);
      } catch (error) {
        if (!(error instanceof ImportSourceError)) throw error;
        source = null;
        status = 1;
        progress.note(
          { problem: { round: round + 1, message: error.message } },
          `round ${round + 1}: ${error.message}`,
        );
      }
    }
  } finally {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, stop);
    await target.close();
  }
}
