/**
 * A real Kubernetes API server for the chart's install tests: kube-apiserver on Debian's etcd,
 * both built or unpacked by test/deploy/install.sh (component `kube`), on free ports of
 * 127.0.0.1, with a data directory of their own. No controllers and no nodes: objects are stored
 * after the server's own validation and admission, and nothing runs them, which is what an
 * install test needs to see (what Helm sends, as Kubernetes accepts it).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@wharf/testing';

/** A cold etcd and kube-apiserver answer /readyz in 5–20 s on 2 cores. */
const READY_TIMEOUT_MS = 120_000;

export interface KubeApi {
  /** A kubeconfig file for helm (KUBECONFIG), as the cluster's admin. */
  kubeconfig: string;
  /** GET a path of the API as the admin: status and parsed body. */
  get<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export async function startKubeApiServer(tools: string): Promise<KubeApi> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-kube-'));
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const token = randomBytes(24).toString('hex');
  writeFileSync(join(dir, 'tokens.csv'), `${token},wharf-admin,wharf-admin,"system:masters"\n`, { mode: 0o600 });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  mkdirSync(join(dir, 'certs'));

  const children: ChildProcess[] = [];
  const launch = (name: string, cmd: string, args: string[]) => {
    const log = openSync(join(dir, `${name}.log`), 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
    children.push(child);
    return child;
  };
  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  launch('etcd', join(tools, 'bin', 'etcd'), [
    '--data-dir',
    join(dir, 'etcd'),
    '--listen-client-urls',
    `http://127.0.0.1:${etcdClient}`,
    '--advertise-client-urls',
    `http://127.0.0.1:${etcdClient}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${etcdPeer}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${etcdPeer}`,
    '--initial-cluster',
    `default=http://127.0.0.1:${etcdPeer}`,
  ]);
  const apiserver = launch('kube-apiserver', join(tools, 'bin', 'kube-apiserver'), [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(dir, 'certs')}`,
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--service-cluster-ip-range=10.96.0.0/16',
  ]);

  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'admin', user: { token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
      'current-context': 'test',
    }),
    { mode: 0o600 },
  );

  const get = <T>(path: string) =>
    new Promise<{ status: number; body: T }>((resolve, reject) => {
      // The server's certificate is the one it made for itself in certs/: this client trusts it as
      // the kubeconfig does (insecure-skip-tls-verify), on 127.0.0.1 only.
      const req = request(
        `${server}${path}`,
        { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 10_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              /* /readyz answers text */
            }
            resolve({ status: res.statusCode ?? 0, body: body as T });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
      req.on('error', reject);
      req.end();
    });

  const fail = async (why: string): Promise<never> => {
    const tail = (name: string) => readFileSync(join(dir, `${name}.log`), 'utf8').slice(-3000);
    const message = `${why}\n--- etcd.log\n${tail('etcd')}\n--- kube-apiserver.log\n${tail('kube-apiserver')}`;
    await stop();
    throw new Error(message);
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (apiserver.exitCode !== null) await fail(`kube-apiserver exited with ${apiserver.exitCode}`);
    const ready = await get('/readyz').catch(() => ({ status: 0 }));
    if (ready.status === 200) break;
    if (Date.now() > deadline) await fail(`kube-apiserver not ready within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return { kubeconfig, get, stop };
}
