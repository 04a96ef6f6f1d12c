/**
 * The options of `wharf import` and the rules between them, checked as the command line is
 * parsed (cli/program.ts) and again before an import opens anything: bad usage writes nothing.
 */
import { parseAccountName } from '@wharf/domain';
import { UsageError } from './cli/usage-error';
import { parseS3Location } from './import-chartmuseum-s3';
import { printableUrl } from './remote-fetch';

export interface ImportOptions {
  charts?: string;
  fromExport?: string;
  fromHelmRepo?: string;
  fromChartmuseum?: string;
  fromCnr?: string;
  namespace: string[];
  /** --from-chartmuseum: 0, one repository; 1, one per subdirectory (ChartMuseum's --depth). */
  depth?: 0 | 1;
  /** --from-helm-repo: fetch each chart's .prov too. */
  provenance?: boolean;
  /** --from-helm-repo: mirror, importing again this many seconds after each round, until a signal. */
  every?: number;
  /** --from-helm-repo: hosts besides the repository's origin that chart URLs may point to. */
  allowHost?: string[];
  /** --from-helm-repo: basic auth as this user, the password from WHARF_IMPORT_SOURCE_PASSWORD. */
  username?: string;
  /** --from-chartmuseum s3://…: an S3-compatible store's endpoint (path-style); else AWS's. */
  s3Endpoint?: string;
  /** --from-chartmuseum s3://…: the bucket's region; else the SDK's (AWS_REGION). */
  s3Region?: string;
}

/**
 * The `Authorization` header for a private Helm repository: basic with `--username` and
 * WHARF_IMPORT_SOURCE_PASSWORD, or bearer with WHARF_IMPORT_SOURCE_TOKEN; undefined when none is
 * given. The secrets come from the environment, never from argv (`ps`, shell history).
 */
export function sourceAuthorization(
  options: Pick<ImportOptions, 'username'>,
  credentials: { password: string | null; token: string | null },
): string | undefined {
  if (options.username !== undefined) {
    if (credentials.token !== null)
      throw new UsageError(
        'give --username (with WHARF_IMPORT_SOURCE_PASSWORD) or WHARF_IMPORT_SOURCE_TOKEN, not both',
      );
    if (credentials.password === null)
      throw new UsageError('--username needs the password in WHARF_IMPORT_SOURCE_PASSWORD');
    return `Basic ${Buffer.from(`${options.username}:${credentials.password}`).toString('base64')}`;
  }
  return credentials.token !== null ? `Bearer ${credentials.token}` : undefined;
}

/** Checks the options before anything is opened: bad usage writes nothing. */
export function checkImportOptions(options: ImportOptions): void {
  const { charts, fromExport, fromHelmRepo, fromChartmuseum, fromCnr, namespace, depth } = options;
  const given = [charts, fromExport, fromHelmRepo, fromChartmuseum, fromCnr].filter((s) => s !== undefined);
  if (given.length !== 1)
    throw new UsageError('give one of --charts, --from-export, --from-helm-repo, --from-chartmuseum, --from-cnr');
  const into = (flag: string) => {
    if (namespace.length !== 1) throw new UsageError(`${flag} needs one --namespace: the repository to import into`);
  };
  for (const ns of namespace) parseAccountName(ns);
  if (charts !== undefined) into('--charts');
  if (fromHelmRepo !== undefined) into('--from-helm-repo');
  if (fromChartmuseum !== undefined && (depth ?? 0) === 0) into('--from-chartmuseum (without --depth 1)');
  if (depth !== undefined && fromChartmuseum === undefined)
    throw new UsageError('--depth goes with --from-chartmuseum');
  if (options.every !== undefined && fromHelmRepo === undefined)
    throw new UsageError('--every goes with --from-helm-repo (a mirror of a repository)');
  if (options.username !== undefined && fromHelmRepo === undefined)
    throw new UsageError('--username goes with --from-helm-repo (a private repository)');
  if ((options.allowHost ?? []).length > 0 && fromHelmRepo === undefined)
    throw new UsageError('--allow-host goes with --from-helm-repo');
  if ((options.s3Endpoint !== undefined || options.s3Region !== undefined) && !fromChartmuseum?.startsWith('s3://'))
    throw new UsageError('--s3-endpoint and --s3-region go with --from-chartmuseum s3://<bucket>[/<prefix>]');
  if (fromChartmuseum?.startsWith('s3://') && parseS3Location(fromChartmuseum) === null)
    throw new UsageError(
      `${printableUrl(fromChartmuseum)}: give s3://<bucket>[/<prefix>] (a bucket name of 3 to 63 lowercase letters, digits, '.' and '-')`,
    );
  if (options.provenance && fromHelmRepo === undefined)
    throw new UsageError(
      '--provenance goes with --from-helm-repo (the other sources read .prov files as they find them)',
    );
}
