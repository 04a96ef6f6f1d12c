/**
 * The `wharf` command line: every command, its arguments and options, and their validation,
 * with commander (see docs/operations.md, "The admin CLI", for why that library). Parsing
 * only: each command hands typed values to a `WharfActions` method, so a unit test can check
 * that bad input is refused (exit 2) before anything is opened or written.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  RetentionSettings,
  WharfError,
  parseAccountName,
  parseRetentionPolicyId,
  parseRetentionSettings,
  parseRobotName,
} from '@wharf/domain';
import { ImportOptions, checkImportOptions } from '../import-options';
import { PROJECTIONS, ProjectionName } from '../replay-targets';
import { UsageError } from './usage-error';

export interface LimitsChange {
  maxBlobBytes?: number | null;
  maxStorageBytes?: number | null;
  requestsPerMinute?: number | null;
  allowOverwrites?: boolean | null;
}

/** What each command does once its input is valid; resolves to the exit status. */
export interface WharfActions {
  replay(which: ProjectionName | 'all'): Promise<number>;
  import(options: ImportOptions): Promise<number>;
  export(options: { out: string; namespace?: string }): Promise<number>;
  accountsList(kind: 'user' | 'organization'): Promise<number>;
  usersShow(user: string): Promise<number>;
  usersCreate(user: string, options: { admin: boolean }): Promise<number>;
  usersResetPassword(user: string): Promise<number>;
  usersMakeAdmin(user: string, options: { revoke: boolean }): Promise<number>;
  usersDisable(user: string, options: { enable: boolean }): Promise<number>;
  orgsCreate(org: string, options: { owner: string }): Promise<number>;
  orgsShow(org: string): Promise<number>;
  tokensRevoke(account: string, tokenId: string): Promise<number>;
  limitsShow(namespace: string): Promise<number>;
  limitsSet(namespace: string, change: LimitsChange): Promise<number>;
  retentionShow(namespace: string): Promise<number>;
  retentionSet(namespace: string, id: string, settings: RetentionSettings): Promise<number>;
  retentionDelete(namespace: string, id: string): Promise<number>;
  retentionPreview(namespace: string): Promise<number>;
  retentionRun(namespace: string): Promise<number>;
  retentionDefaultShow(): Promise<number>;
  retentionDefaultSet(settings: RetentionSettings): Promise<number>;
  retentionDefaultDelete(): Promise<number>;
  gc(options: { dryRun: boolean }): Promise<number>;
  verify(options: { skipBlobs: boolean }): Promise<number>;
}

const ENVIRONMENT = `
The profile and its stores come from the services' own WHARF_* variables: WHARF_PROFILE,
WHARF_DATA_DIR (embedded), WHARF_KAFKA_BROKERS, WHARF_MONGO_URL, WHARF_S3_*, WHARF_OPENSEARCH_URL
(distributed). Exit status: 0 done, 1 failed or found a problem, 2 bad usage or configuration.`;

/** A domain parser whose refusal becomes commander's invalid argument (exit 2). */
function viaDomain(parse: (value: string) => string): (value: string) => string {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      if (error instanceof WharfError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

/** An account name (user or organisation) by the domain's naming rules. */
const accountName = viaDomain(parseAccountName);

/** A user, or `org+robot`: the account a token belongs to. */
function tokenOwner(value: string): string {
  const [org, robot, ...rest] = value.split('+');
  if (rest.length > 0) throw new InvalidArgumentError('give a user, or org+robot');
  accountName(org!);
  if (robot !== undefined) viaDomain(parseRobotName)(robot);
  return value;
}

function tokenId(value: string): string {
  if (!/^[0-9a-f]{16}$/.test(value)) throw new InvalidArgumentError('a token id is hexadecimal (see the tokens list)');
  return value;
}

// commander turns a parser's null into '' (an option's missing value): `none` is kept as a word and
// becomes null in `limitsChange`.
const NONE = 'none';

/** A positive integer, or `none` (no limit: the registry's default applies). */
function limit(value: string): number | typeof NONE {
  if (value === NONE) return NONE;
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new InvalidArgumentError("a positive integer, or 'none'");
  return Number(value);
}

function flag(value: string): boolean | typeof NONE {
  if (value === NONE) return NONE;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new InvalidArgumentError("'true', 'false' or 'none'");
}

function projection(value: string): ProjectionName | 'all' {
  if (value === 'all' || (PROJECTIONS as readonly string[]).includes(value)) return value as ProjectionName | 'all';
  throw new InvalidArgumentError(`one of ${PROJECTIONS.join(', ')}, all`);
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** A whole number as typed (ranges are the domain's: parseRetentionSettings). */
function wholeNumber(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('a whole number');
  return Number(value);
}

/** The options of `wharf retention set`, in the API's form, read by the API's own parser. */
function retentionSettingsOf(o: {
  package?: string;
  keepLast?: number;
  keepPushedWithinDays?: number;
  keepPulledWithinDays?: number;
  keepChannelReleases?: string;
  prereleases?: string;
}): RetentionSettings {
  return parseRetentionSettings({
    package: o.package,
    keep_last: o.keepLast,
    keep_pushed_within_days: o.keepPushedWithinDays,
    keep_pulled_within_days: o.keepPulledWithinDays,
    keep_channel_releases: o.keepChannelReleases,
    prereleases: o.prereleases,
  });
}

/** `host` or `host:port`, as a URL's host reads it (lower case, brackets for IPv6). */
function allowedHost(value: string): string {
  let url: URL | null = null;
  try {
    url = new URL(`http://${value}/`);
  } catch {
    // refused below
  }
  if (url === null || url.host !== value.toLowerCase() || url.username !== '' || url.hostname === '')
    throw new InvalidArgumentError('a host name or address, optionally with :port (no scheme, no path)');
  return url.host;
}

export function buildProgram(actions: WharfActions, exit: (code: number) => void): Command {
  const program = new Command('wharf')
    .description('Administer a Wharf registry: accounts, limits, blob GC, projections, export and import.')
    .addHelpText('after', ENVIRONMENT)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true });
  const done = (code: Promise<number>) => code.then(exit);

  program
    .command('replay')
    .description('rebuild a projection from the event log while the registry serves, then switch over')
    .argument('<projection>', `${PROJECTIONS.join(', ')} or all`, projection)
    .action((which: ProjectionName | 'all') => done(actions.replay(which)));

  program
    .command('import')
    .description(
      'append releases in bulk through the package writers: a chart directory, an export, a Helm repository by URL, a ChartMuseum storage, a cnr-server database',
    )
    .option('--charts <dir>', 'a directory of .tgz charts (with --namespace)')
    .option('--from-export <dir>', 'a directory written by wharf export')
    .option(
      '--from-helm-repo <url>',
      "a Helm repository's URL (with --namespace): index.yaml, each chart verified by its digest",
    )
    .option(
      '--from-chartmuseum <dir|s3://bucket[/prefix]>',
      'a ChartMuseum storage: its directory (--storage-local-rootdir) or its S3 bucket and prefix (--storage amazon; credentials and region from the AWS variables), .prov files kept',
    )
    .option('--from-cnr <dir>', 'a cnr-server filesystem database (its DATABASE_URL directory), channels included')
    .addOption(
      new Option(
        '--depth <n>',
        "--from-chartmuseum: 1 for ChartMuseum's --depth=1, a namespace per repository",
      ).argParser((v) => {
        if (v !== '0' && v !== '1') throw new InvalidArgumentError("'0' or '1'");
        return Number(v) as 0 | 1;
      }),
    )
    .addOption(
      new Option(
        '--every <seconds>',
        '--from-helm-repo: mirror, importing again this long after each round, until SIGINT or SIGTERM',
      ).argParser((v) => {
        if (!/^[1-9]\d*$/.test(v) || !Number.isSafeInteger(Number(v)))
          throw new InvalidArgumentError('a positive whole number of seconds');
        return Number(v);
      }),
    )
    .option('--provenance', "--from-helm-repo: also fetch each chart's .prov (a 404 means none)")
    .option(
      '--s3-endpoint <url>',
      '--from-chartmuseum s3://…: an S3-compatible endpoint (MinIO, versitygw), path-style',
    )
    .option('--s3-region <region>', "--from-chartmuseum s3://…: the bucket's region (else AWS_REGION)")
    .option(
      '--username <user>',
      '--from-helm-repo: a private repository, basic auth as this user with the password in WHARF_IMPORT_SOURCE_PASSWORD (or set WHARF_IMPORT_SOURCE_TOKEN for a bearer token)',
    )
    .option(
      '--allow-host <host>',
      "--from-helm-repo: a host (or host:port) besides the repository's own origin that chart URLs and redirects may reach; repeatable",
      (v: string, previous: string[] | undefined) => [...(previous ?? []), allowedHost(v)],
    )
    .option(
      '--namespace <ns>',
      'the namespace to import into (--charts, --from-helm-repo, --from-chartmuseum) or to take (--from-export, --from-cnr, --from-chartmuseum --depth 1); repeatable',
      collect,
      [],
    )
    .action((o: ImportOptions) => {
      checkImportOptions(o);
      return done(actions.import(o));
    });

  program
    .command('export')
    .description('write a namespace, or the whole registry, to a portable directory (digests and history kept)')
    .requiredOption('--out <dir>', 'the directory to write')
    .option('--namespace <ns>', 'only this namespace', accountName)
    .action((o: { out: string; namespace?: string }) => done(actions.export(o)));

  const users = program.command('users').description('user accounts (passwords are read from a prompt or stdin)');
  users
    .command('list')
    .description('every user, one JSON object a line, in name order')
    .action(() => done(actions.accountsList('user')));
  users
    .command('show')
    .description('a user: site admin, disabled, its tokens (never a secret)')
    .argument('<user>', 'the user', accountName)
    .action((user: string) => done(actions.usersShow(user)));
  users
    .command('create')
    .description('register a user; the password is asked on a terminal, else read from the first line of stdin')
    .argument('<user>', 'the user name (also its namespace)', accountName)
    .option('--admin', 'make it a site admin', false)
    .action((user: string, o: { admin: boolean }) => done(actions.usersCreate(user, o)));
  users
    .command('reset-password')
    .description("set a user's password (asked, or stdin) and revoke every token it had")
    .argument('<user>', 'the user', accountName)
    .action((user: string) => done(actions.usersResetPassword(user)));
  users
    .command('make-admin')
    .description('make a user a site admin (--revoke: take it back)')
    .argument('<user>', 'the user', accountName)
    .option('--revoke', 'take site admin back', false)
    .action((user: string, o: { revoke: boolean }) => done(actions.usersMakeAdmin(user, o)));
  users
    .command('disable')
    .description("refuse a user's password and revoke its tokens (--enable: accept it again)")
    .argument('<user>', 'the user', accountName)
    .option('--enable', 'enable the user again', false)
    .action((user: string, o: { enable: boolean }) => done(actions.usersDisable(user, o)));

  const orgs = program.command('orgs').description('organisations');
  orgs
    .command('list')
    .description('every organisation, one JSON object a line, in name order')
    .action(() => done(actions.accountsList('organization')));
  orgs
    .command('create')
    .description('create an organisation whose first admin is --owner')
    .argument('<org>', 'the organisation name (also its namespace)', accountName)
    .requiredOption('--owner <user>', 'an existing user, the first admin', accountName)
    .action((org: string, o: { owner: string }) => done(actions.orgsCreate(org, o)));
  orgs
    .command('show')
    .description('an organisation: its members and robots')
    .argument('<org>', 'the organisation', accountName)
    .action((org: string) => done(actions.orgsShow(org)));

  program
    .command('tokens')
    .description('API tokens')
    .command('revoke')
    .description('revoke one token of a user or of a robot (org+robot)')
    .argument('<account>', 'the user, or org+robot', tokenOwner)
    .argument('<token-id>', "the token's id (the part before the secret)", tokenId)
    .action((account: string, id: string) => done(actions.tokensRevoke(account, id)));

  const limits = program.command('limits').description("a namespace's limits");
  limits
    .command('show')
    .description("a namespace's limits (null: the registry's default applies)")
    .argument('<namespace>', 'the namespace (a user or an organisation)', accountName)
    .action((ns: string) => done(actions.limitsShow(ns)));
  limits
    .command('set')
    .description("change a namespace's limits; an option left out keeps its value, 'none' removes it")
    .argument('<namespace>', 'the namespace (a user or an organisation)', accountName)
    .addOption(new Option('--max-blob-bytes <n>', 'largest archive a push may carry').argParser(limit))
    .addOption(new Option('--max-storage-bytes <n>', 'storage quota of the namespace').argParser(limit))
    .addOption(new Option('--requests-per-minute <n>', 'requests a caller may make in it').argParser(limit))
    .addOption(new Option('--allow-overwrites <bool>', 'whether a forced push may replace a release').argParser(flag))
    .action((ns: string, o: Record<keyof LimitsChange, number | boolean | typeof NONE>) => {
      if (Object.keys(o).length === 0)
        throw new UsageError('give at least one limit to set (see wharf limits set --help)');
      const change = Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === NONE ? null : v]));
      return done(actions.limitsSet(ns, change as LimitsChange));
    });

  const retention = program
    .command('retention')
    .description("a namespace's retention policies, their dry run and a run now; the site's default");
  retention
    .command('show')
    .description("a namespace's policies, and which run in it (its own, the site's default, or none)")
    .argument('<namespace>', 'the namespace (a user or an organisation)', accountName)
    .action((ns: string) => done(actions.retentionShow(ns)));
  retention
    .command('set')
    .description(
      'create or replace a policy, as PUT .../retention/policies/<id> does: options left out take their defaults',
    )
    .argument('<namespace>', 'the namespace', accountName)
    .argument('<id>', 'the policy id: lowercase letters, digits and inner hyphens', viaDomain(parseRetentionPolicyId))
    .option('--package <pattern>', "package names it covers ('*' any run, '?' one character); default: all")
    .addOption(new Option('--keep-last <n>', 'keep the N highest releases by SemVer').argParser(wholeNumber))
    .addOption(new Option('--keep-pushed-within-days <n>', 'keep releases pushed within N days').argParser(wholeNumber))
    .addOption(new Option('--keep-pulled-within-days <n>', 'keep releases pulled within N days').argParser(wholeNumber))
    .addOption(new Option('--keep-channel-releases <which>', "'current' (default) or 'all'"))
    .addOption(new Option('--prereleases <how>', "'count' (default), 'keep' or 'drop'"))
    .action((ns: string, id: string, o: Parameters<typeof retentionSettingsOf>[0]) =>
      done(actions.retentionSet(ns, id, retentionSettingsOf(o))),
    );
  retention
    .command('delete')
    .description('delete a policy')
    .argument('<namespace>', 'the namespace', accountName)
    .argument('<id>', 'the policy id', viaDomain(parseRetentionPolicyId))
    .action((ns: string, id: string) => done(actions.retentionDelete(ns, id)));
  retention
    .command('preview')
    .description('the dry run: what a run would delete now, each manifest with its policy')
    .argument('<namespace>', 'the namespace', accountName)
    .action((ns: string) => done(actions.retentionPreview(ns)));
  retention
    .command('run')
    .description(
      'run the policies now (embedded: with the server stopped, or use POST .../retention/run; distributed: through the metadata service)',
    )
    .argument('<namespace>', 'the namespace', accountName)
    .action((ns: string) => done(actions.retentionRun(ns)));
  const siteDefault = retention
    .command('default')
    .description(
      "the site's default policy, run in namespaces without their own: set here or through the API, it takes the place of WHARF_RETENTION_DEFAULT_POLICY",
    );
  siteDefault
    .command('show', { isDefault: true })
    .description("the site's default and where it comes from ('api', 'configuration' or 'none')")
    .action(() => done(actions.retentionDefaultShow()));
  siteDefault
    .command('set')
    .description("create or replace the site's default, as PUT /api/v1/retention/default does")
    .option('--package <pattern>', "package names it covers ('*' any run, '?' one character); default: all")
    .addOption(new Option('--keep-last <n>', 'keep the N highest releases by SemVer').argParser(wholeNumber))
    .addOption(new Option('--keep-pushed-within-days <n>', 'keep releases pushed within N days').argParser(wholeNumber))
    .addOption(new Option('--keep-pulled-within-days <n>', 'keep releases pulled within N days').argParser(wholeNumber))
    .addOption(new Option('--keep-channel-releases <which>', "'current' (default) or 'all'"))
    .addOption(new Option('--prereleases <how>', "'count' (default), 'keep' or 'drop'"))
    .action((o: Parameters<typeof retentionSettingsOf>[0]) =>
      done(actions.retentionDefaultSet(retentionSettingsOf(o))),
    );
  siteDefault
    .command('delete')
    .description("delete the site's default: none runs from then on, the configuration's included")
    .action(() => done(actions.retentionDefaultDelete()));

  program
    .command('gc')
    .description('collect unreferenced blobs now (embedded: the data directory; distributed: on the blob service host)')
    .option('--dry-run', 'say what would be deleted, delete nothing', false)
    .action((o: { dryRun: boolean }) => done(actions.gc(o)));

  program
    .command('verify')
    .description(
      'fsck: every release blob exists and matches its digests; metadata, search and chart index agree with the log',
    )
    .option('--skip-blobs', 'check the projections only', false)
    .action((o: { skipBlobs: boolean }) => done(actions.verify(o)));

  for (const command of allCommands(program)) command.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allCommands(c)]);
}
