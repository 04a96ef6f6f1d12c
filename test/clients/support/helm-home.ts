/**
 * The real Helm CLI as the client suites drive it (helm.e2e, helm-oci.e2e, test/deploy): where
 * install.sh puts it and its cm-push plugin, and one isolated Helm home (config, cache, data,
 * registry credentials) per client.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, CLIENTS_DIR, run, runOk, tempDir } from './clients';

export const HELM = join(CACHE, 'helm', 'bin', 'helm');
/** Helm 4 (install.sh component `helm4`), for the suites that run with both majors. */
export const HELM4 = join(CACHE, 'helm4', 'bin', 'helm');
export const HELM_PLUGINS = join(CACHE, 'helm', 'plugins');
/** Compiling helm and helm-push (Kubernetes libraries) from source takes up to ~15 min on 2 cores with a cold Go build cache. */
export const HELM_INSTALL_TIMEOUT_MS = 30 * 60_000;

/** install.sh's `helm` component (a no-op when its pins have not changed); for a beforeAll with HELM_INSTALL_TIMEOUT_MS. */
export function installHelm(): void {
  installComponent('helm');
}

/** install.sh's `helm4` component, as installHelm. */
export function installHelm4(): void {
  installComponent('helm4');
}

function installComponent(component: string): void {
  execFileSync('bash', [join(CLIENTS_DIR, 'install.sh'), component], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, WHARF_CLIENTS_CACHE: CACHE },
    timeout: HELM_INSTALL_TIMEOUT_MS,
  });
}

/** A GnuPG key exported as the legacy keyrings `helm package --sign` reads. */
export interface Signing {
  uid: string;
  secring: string;
  pubring: string;
}

/** A throwaway RSA signing key in GnuPG, exported as the legacy keyrings Helm reads. */
export function signingKey(dir: string): Signing {
  const home = join(dir, 'gnupg');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const uid = 'Wharf E2E <wharf-e2e@example.com>';
  const gpg = (args: string[]) =>
    execFileSync('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args]);
  gpg(['--quick-gen-key', uid, 'rsa2048', 'sign', 'never']);
  const secring = join(dir, 'secring.gpg');
  const pubring = join(dir, 'pubring.gpg');
  writeFileSync(secring, gpg(['--export-secret-keys']));
  writeFileSync(pubring, gpg(['--export']));
  return { uid, secring, pubring };
}

/** Credentials for a private repository. */
export interface HelmCredentials {
  username: string;
  password: string;
}

export class HelmHome {
  readonly dir: string;

  /** `extraEnv`: more of helm's environment (KUBECONFIG for an install); `binary`: which helm (HELM, HELM4). */
  constructor(
    prefix = 'helm',
    private readonly extraEnv: Record<string, string> = {},
    readonly binary = HELM,
  ) {
    this.dir = tempDir(prefix);
  }

  env(): Record<string, string> {
    return {
      HELM_CONFIG_HOME: join(this.dir, 'config'),
      HELM_CACHE_HOME: join(this.dir, 'cache'),
      HELM_DATA_HOME: join(this.dir, 'data'),
      HELM_PLUGINS,
      HELM_REPO_USE_HTTP: 'true',
      ...this.extraEnv,
    };
  }

  /** Runs helm; the exit code and output, whatever they are. */
  run(args: string[], cwd = this.dir) {
    return run(this.binary, args, { cwd, env: this.env(), timeoutMs: 180_000 });
  }

  /** Runs helm; throws with its output unless it exits 0. */
  ok(args: string[], cwd = this.dir) {
    return runOk(this.binary, args, { cwd, env: this.env(), timeoutMs: 180_000 });
  }

  /** `helm repo add`, with credentials when the repository needs them. */
  repoAdd(name: string, url: string, credentials?: HelmCredentials) {
    const auth = credentials ? ['--username', credentials.username, '--password', credentials.password] : [];
    return this.ok(['repo', 'add', name, url, ...auth]);
  }

  /** A chart directory with `helm create`'s layout, packaged by `helm package`; returns the .tgz path. */
  async packageChart(
    name: string,
    version: string,
    options: { appVersion?: string; sign?: Signing } = {},
  ): Promise<string> {
    const src = join(this.dir, 'src', `${name}-${version}`);
    mkdirSync(join(src, name, 'templates'), { recursive: true });
    writeFileSync(
      join(src, name, 'Chart.yaml'),
      `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: The ${name} chart\nappVersion: "${options.appVersion ?? '1.0'}"\nkeywords: [wharf, e2e]\n`,
    );
    writeFileSync(join(src, name, 'values.yaml'), `replicaCount: 1\n`);
    writeFileSync(
      join(src, name, 'templates', 'cm.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  v: "${version}"\n`,
    );
    const out = join(this.dir, 'packages');
    mkdirSync(out, { recursive: true });
    const sign = options.sign ? ['--sign', '--key', options.sign.uid, '--keyring', options.sign.secring] : [];
    await this.ok(['package', join(src, name), '-d', out, ...sign]);
    return join(out, `${name}-${version}.tgz`);
  }

  /** `helm pull oci://...` (plain HTTP) into a fresh directory; returns the pulled bytes. */
  async pullOci(url: string, version: string): Promise<Buffer> {
    const out = tempDir('helm-oci-pull');
    await this.ok(['pull', url, '--version', version, '--plain-http', '-d', out]);
    const [file] = readdirSync(out);
    return readFileSync(join(out, file!));
  }
}
