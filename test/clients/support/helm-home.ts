/**
 * The real Helm CLI for the client suites: an isolated Helm home per test with the cm-push
 * plugin, charts made with `helm create`'s layout and packaged (optionally signed) by `helm
 * package`. Pins and build: install.sh (component `helm`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, runOk, tempDir } from './clients';

export const HELM = join(CACHE, 'helm', 'bin', 'helm');
export const HELM_PLUGINS = join(CACHE, 'helm', 'plugins');
/** Compiling helm and helm-push (Kubernetes libraries) from source takes up to ~15 min on 2 cores with a cold Go build cache. */
export const HELM_INSTALL_TIMEOUT_MS = 30 * 60_000;

/** Credentials for a private repository (the tenancy suites pass them; the open-mode tests here need none). */
export interface HelmCredentials {
  username: string;
  password: string;
}

/** One isolated Helm home (config, cache, data) per test, with the cm-push plugin installed. */
export class HelmHome {
  readonly dir = tempDir('helm');

  env(): Record<string, string> {
    return {
      HELM_CONFIG_HOME: join(this.dir, 'config'),
      HELM_CACHE_HOME: join(this.dir, 'cache'),
      HELM_DATA_HOME: join(this.dir, 'data'),
      HELM_PLUGINS,
      HELM_REPO_USE_HTTP: 'true',
    };
  }

  run(args: string[], cwd = this.dir) {
    return runOk(HELM, args, { cwd, env: this.env(), timeoutMs: 120_000 });
  }

  /** `helm repo add`, with credentials when the repository needs them. */
  repoAdd(name: string, url: string, credentials?: HelmCredentials) {
    const auth = credentials ? ['--username', credentials.username, '--password', credentials.password] : [];
    return this.run(['repo', 'add', name, url, ...auth]);
  }

  /** A chart directory made with `helm create`'s layout, packaged by `helm package`; returns the .tgz path. */
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
    await this.run(['package', join(src, name), '-d', out, ...sign]);
    return join(out, `${name}-${version}.tgz`);
  }
}

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
