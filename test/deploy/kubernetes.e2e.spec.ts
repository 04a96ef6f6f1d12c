/**
 * Wharf serves its own chart, and the chart installs into a real Kubernetes API server: the
 * chart is packaged and published into the running Wharf with `helm cm-push` and `helm push
 * oci://`, then `helm install` takes it from Wharf's Helm repository or over OCI into kube-apiserver (etcd behind it; no nodes, so
 * nothing runs: the test is what the API server accepts and stores). Tools: test/deploy/install.sh
 * (`chart`, `kube`) and test/clients/install.sh (helm and its cm-push plugin).
 */
import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readTarEntries } from '@wharf/domain';
import { baseUrl, freshNamespace, sha256 } from '../clients/support/clients';
import { HelmHome, installHelm } from '../clients/support/helm-home';
import { KubeApi, startKubeApiServer } from './support/kube-apiserver';

const ROOT = join(__dirname, '..', '..');
const CHART_DIR = join(ROOT, 'deploy', 'helm', 'wharf');
const CHART = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { name: string; version: string };
/** kube-apiserver compiles in ~10 min on 2 cores with a cold Go cache (helm in up to ~15). */
const INSTALL_TIMEOUT_MS = 40 * 60_000;

let kube: KubeApi;
const ns = freshNamespace('charts');

let helmHome: HelmHome;
const helm = (args: string[]) => helmHome.run(args);
const helmOk = (args: string[]) => helmHome.ok(args);

const values = (file: string) => join(CHART_DIR, 'ci', file);

beforeAll(async () => {
  installHelm();
  const tools = execFileSync('bash', [join(ROOT, 'test', 'deploy', 'install.sh'), 'kube'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: INSTALL_TIMEOUT_MS,
  }).trim();
  kube = await startKubeApiServer(tools);
  helmHome = new HelmHome('helm-kube', { KUBECONFIG: kube.kubeconfig });
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await kube?.stop();
});

describe('the chart, published into Wharf and installed from it', () => {
  let packaged: Buffer;

  beforeAll(async () => {
    const out = join(helmHome.dir, 'package');
    mkdirSync(out, { recursive: true });
    await helmOk(['package', CHART_DIR, '-d', out]);
    packaged = readFileSync(join(out, `${CHART.name}-${CHART.version}.tgz`));
    await helmOk(['cm-push', join(out, `${CHART.name}-${CHART.version}.tgz`), `${baseUrl()}/helm/${ns}`]);
    await helmOk(['repo', 'add', 'wharf', `${baseUrl()}/helm/${ns}`]);
  }, 300_000);

  it('is served byte for byte as it was pushed', async () => {
    const dest = join(helmHome.dir, 'pulled');
    mkdirSync(dest, { recursive: true });
    await helmOk(['pull', `wharf/${CHART.name}`, '--version', CHART.version, '-d', dest]);
    const pulled = readFileSync(join(dest, `${CHART.name}-${CHART.version}.tgz`));
    // helm cm-push packages the chart again before it uploads it (new timestamps, so other bytes
    // than `packaged` unless both fall in one second): the archive served is the one the index
    // names by digest, which Wharf took from the upload, and it holds the packaged chart's files.
    const index = parse(await (await fetch(`${baseUrl()}/helm/${ns}/index.yaml`)).text()) as {
      entries: Record<string, { version: string; digest: string }[]>;
    };
    expect(sha256(pulled)).toBe(index.entries[CHART.name]!.find((v) => v.version === CHART.version)!.digest);
    expect(filesOf(pulled)).toEqual(filesOf(packaged));
  });

  it('installs the distributed profile: each service with the replicas and settings given', async () => {
    await helmOk([
      'install',
      'registry',
      `wharf/${CHART.name}`,
      '--version',
      CHART.version,
      '--namespace',
      'wharf-distributed',
      '--create-namespace',
      '-f',
      values('distributed-values.yaml'),
      '--set',
      'gateway.replicaCount=3,search.autoscaling.enabled=true,search.autoscaling.maxReplicas=7',
    ]);
    const apps = '/apis/apps/v1/namespaces/wharf-distributed';
    const gateway = await kube.get<{
      spec: { replicas: number; template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
    }>(`${apps}/deployments/registry-wharf-gateway`);
    expect(gateway.status).toBe(200);
    expect(gateway.body.spec.replicas).toBe(3);
    expect(gateway.body.spec.template.spec.containers[0]!.env).toContainEqual({
      name: 'WHARF_SEARCH_URL',
      value: 'http://registry-wharf-search:5102',
    });
    for (const name of ['registry-wharf-metadata', 'registry-wharf-search']) {
      expect((await kube.get(`${apps}/deployments/${name}`)).status).toBe(200);
    }
    expect((await kube.get(`${apps}/statefulsets/registry-wharf-blob`)).status).toBe(200);
    const hpa = await kube.get<{ spec: { maxReplicas: number; scaleTargetRef: { name: string } } }>(
      '/apis/autoscaling/v2/namespaces/wharf-distributed/horizontalpodautoscalers/registry-wharf-search',
    );
    expect(hpa.body.spec).toMatchObject({ maxReplicas: 7, scaleTargetRef: { name: 'registry-wharf-search' } });
    const pdbs = await kube.get<{ items: unknown[] }>(
      '/apis/policy/v1/namespaces/wharf-distributed/poddisruptionbudgets',
    );
    expect(pdbs.body.items).toHaveLength(3);
    const secret = await kube.get<{ data: Record<string, string> }>(
      '/api/v1/namespaces/wharf-distributed/secrets/registry-wharf',
    );
    expect(Buffer.from(secret.body.data['admin-password']!, 'base64').toString()).toBe('change-me-please');
    const policy = await kube.get(
      '/apis/networking.k8s.io/v1/namespaces/wharf-distributed/networkpolicies/registry-wharf-internal',
    );
    expect(policy.status).toBe(200);
    const status = await helmOk(['status', 'registry', '--namespace', 'wharf-distributed', '-o', 'json']);
    expect((JSON.parse(status.stdout) as { info: { status: string } }).info.status).toBe('deployed');
  });

  it('installs the embedded profile as one pod with its volume', async () => {
    await helmOk([
      'install',
      'small',
      `wharf/${CHART.name}`,
      '--version',
      CHART.version,
      '--namespace',
      'wharf-embedded',
      '--create-namespace',
      '-f',
      values('embedded-values.yaml'),
    ]);
    const set = await kube.get<{ spec: { replicas: number; volumeClaimTemplates: { metadata: { name: string } }[] } }>(
      '/apis/apps/v1/namespaces/wharf-embedded/statefulsets/small-wharf-embedded',
    );
    expect(set.body.spec.replicas).toBe(1);
    expect(set.body.spec.volumeClaimTemplates.map((t) => t.metadata.name)).toEqual(['data']);
    const deployments = await kube.get<{ items: unknown[] }>('/apis/apps/v1/namespaces/wharf-embedded/deployments');
    expect(deployments.body.items).toEqual([]);
  });

  it('is pushed over OCI too, and installs from oci:// (the same bytes under both protocols)', async () => {
    const ociNs = freshNamespace('charts-oci');
    const host = new URL(baseUrl()).host;
    const tgz = join(helmHome.dir, 'package', `${CHART.name}-${CHART.version}.tgz`);
    await helmOk(['push', tgz, `oci://${host}/${ociNs}`, '--plain-http']);
    const pulled = join(helmHome.dir, 'pulled-oci');
    mkdirSync(pulled, { recursive: true });
    await helmOk([
      'pull',
      `oci://${host}/${ociNs}/${CHART.name}`,
      '--version',
      CHART.version,
      '--plain-http',
      '-d',
      pulled,
    ]);
    expect(sha256(readFileSync(join(pulled, `${CHART.name}-${CHART.version}.tgz`)))).toBe(sha256(packaged));
    await helmOk([
      'install',
      'from-oci',
      `oci://${host}/${ociNs}/${CHART.name}`,
      '--version',
      CHART.version,
      '--plain-http',
      '--namespace',
      'wharf-oci',
      '--create-namespace',
      '-f',
      values('embedded-values.yaml'),
    ]);
    const set = await kube.get('/apis/apps/v1/namespaces/wharf-oci/statefulsets/from-oci-wharf-embedded');
    expect(set.status).toBe(200);
  });

  it("is refused by the API server's own validation when a value makes an invalid object", async () => {
    // The values schema cannot know every Kubernetes rule: a host name with an underscore passes
    // it, and the API server refuses the Ingress.
    const r = await helm([
      'install',
      'bad',
      `wharf/${CHART.name}`,
      '--version',
      CHART.version,
      '--namespace',
      'wharf-bad',
      '--create-namespace',
      '-f',
      values('embedded-values.yaml'),
      '--set',
      'ingress.enabled=true,ingress.hosts[0].host=not_a_host',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Ingress.*Invalid value: "not_a_host"/s);
    const ingresses = await kube.get<{ items: unknown[] }>('/apis/networking.k8s.io/v1/namespaces/wharf-bad/ingresses');
    expect(ingresses.body.items).toEqual([]);
    const status = await helmOk(['status', 'bad', '--namespace', 'wharf-bad', '-o', 'json']);
    expect((JSON.parse(status.stdout) as { info: { status: string } }).info.status).toBe('failed');
  });
});

/** A chart archive's files and the sha256 of each, whatever its timestamps. */
function filesOf(tgz: Buffer): Record<string, string> {
  const tar = gunzipSync(tgz);
  const files: Record<string, string> = {};
  for (const entry of readTarEntries(tar))
    if (entry.type === 'file')
      files[entry.path] = sha256(tar.subarray(entry.dataOffset, entry.dataOffset + entry.size));
  return files;
}
