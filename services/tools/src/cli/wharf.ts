/**
 * `wharf`, the admin command line (bin/wharf.js runs this compiled file): parses with
 * program.ts, runs the command on the configured profile, and maps failures to exit statuses:
 * 0 done; 1 a command that failed or found a problem (verify, an import with refused charts, a
 * domain refusal such as an account that exists); 2 bad usage, input or configuration, or an
 * embedded data directory held by another process, with nothing written.
 */
import 'reflect-metadata';
import { CommanderError } from 'commander';
import { DataDirLockedError } from '@wharf/adapters/sqlite';
import { ConfigError, loadConfig } from '@wharf/config';
import { InvalidNameError, InvalidUsageError, WharfError } from '@wharf/domain';
import { runExport } from '../export';
import { ImportSourceError } from '../import-sources';
import { runImport } from '../import';
import { runReplay } from '../replay';
import { AccountAdmin } from './account-actions';
import { runGc, runVerify } from './maintenance-actions';
import { RetentionAdmin } from './retention-actions';
import { readNewPassword } from './password-input';
import { WharfActions, buildProgram } from './program';
import { UsageError } from './usage-error';

const USAGE_ERRORS = [
  UsageError,
  ConfigError,
  InvalidUsageError,
  InvalidNameError,
  ImportSourceError,
  DataDirLockedError,
];

function realActions(): WharfActions {
  const out = (json: object) => process.stdout.write(JSON.stringify(json) + '\n');
  const io = { stdout: process.stdout, stderr: process.stderr };
  const accounts = async (work: (admin: AccountAdmin) => Promise<number>) => {
    const admin = await AccountAdmin.open(loadConfig(), out);
    try {
      return await work(admin);
    } finally {
      await admin.close();
    }
  };
  const retention = async (work: (admin: RetentionAdmin) => Promise<number>, forRun = false) => {
    const admin = await RetentionAdmin.open(loadConfig(), out, forRun);
    try {
      return await work(admin);
    } finally {
      await admin.close();
    }
  };
  // The password is read before anything is opened: a bad one writes nothing.
  const password = () => readNewPassword({ stdin: process.stdin, stderr: process.stderr });
  return {
    replay: (which) => runReplay(which),
    import: (options) => runImport(options),
    export: (options) => runExport(options),
    accountsList: (kind) => accounts((a) => a.list(kind)),
    usersShow: (user) => accounts((a) => a.showUser(user)),
    usersCreate: async (user, o) => {
      const secret = await password();
      return accounts((a) => a.createUser(user, secret, o.admin));
    },
    usersResetPassword: async (user) => {
      const secret = await password();
      return accounts((a) => a.resetPassword(user, secret));
    },
    usersMakeAdmin: (user, o) => accounts((a) => a.makeAdmin(user, !o.revoke)),
    usersDisable: (user, o) => accounts((a) => a.disable(user, !o.enable)),
    orgsCreate: (org, o) => accounts((a) => a.createOrganization(org, o.owner)),
    orgsShow: (org) => accounts((a) => a.showOrganization(org)),
    tokensRevoke: (account, id) => accounts((a) => a.revokeToken(account, id)),
    limitsShow: (ns) => accounts((a) => a.showLimits(ns)),
    limitsSet: (ns, change) => accounts((a) => a.setLimits(ns, change)),
    retentionShow: (ns) => retention((r) => r.show(ns)),
    retentionSet: (ns, id, settings) => retention((r) => r.set(ns, id, settings)),
    retentionDelete: (ns, id) => retention((r) => r.delete(ns, id)),
    retentionPreview: (ns) => retention((r) => r.preview(ns)),
    retentionRun: (ns) => retention((r) => r.run(ns), true),
    retentionDefaultShow: () => retention((r) => r.siteDefault()),
    retentionDefaultSet: (settings) => retention((r) => r.setSiteDefault(settings)),
    retentionDefaultDelete: () => retention((r) => r.deleteSiteDefault()),
    gc: (o) => runGc(loadConfig(), o, io),
    verify: (o) => runVerify(loadConfig(), o, io),
  };
}

/** Exit status of a failure, and what stderr says about it (never a password: none is in any error). */
export function failure(error: unknown): { code: number; message: string } {
  if (error instanceof CommanderError) return { code: error.exitCode === 0 ? 0 : 2, message: '' };
  if (USAGE_ERRORS.some((kind) => error instanceof kind))
    return { code: 2, message: `wharf: ${(error as Error).message}\n` };
  if (error instanceof WharfError) return { code: 1, message: `wharf: ${error.code}: ${error.message}\n` };
  return { code: 1, message: `wharf: ${(error as Error)?.stack ?? String(error)}\n` };
}

/** Runs `wharf` with `argv` (node's, with the two leading entries); resolves to the exit status. */
export async function runWharf(argv: string[], actions: WharfActions = realActions()): Promise<number> {
  let status = 0;
  const program = buildProgram(actions, (code) => (status = code));
  try {
    await program.parseAsync(argv);
    return status;
  } catch (error) {
    const { code, message } = failure(error);
    process.stderr.write(message);
    return code;
  }
}

if (require.main === module) {
  void runWharf(process.argv).then((code) => process.exit(code));
}
