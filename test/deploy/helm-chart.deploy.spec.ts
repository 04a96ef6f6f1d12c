/**
 * The Helm chart of the distributed profile (deploy/helm/wharf), checked with the tools its users'
 * CI would run: `helm lint --strict`, its helm-unittest suites (deploy/helm/wharf/tests),
 * kubeconform in strict mode against the Kubernetes v1.33 schemas (no network), and against
 * docker-compose.yml, which must name the same services with the same WHARF_* variables. The
 * tools are pinned and built outside the repository by test/deploy/install.sh.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { composeServices, isWharfService, wharfVariables } from './support/compose';

const ROOT = join(__dirname, '..', '..');
const CHART = join(ROOT, 'deploy', 'helm', 'wharf');
const KUBE_VERSION = '1.33.0';
/** A cold Go build cache compiles helm-unittest in about a minute on 2 cores (helm itself up to ~15). */
const INSTALL_TIMEOUT_MS = 30 * 60_000;

let tools = '';
let helm = '';

interface Rendered {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: {
    template?: { spec: { containers: { name: string; env?: { name: string }[] }[] } };
  };
}

function runTool(cmd: string, args: string[], input?: string) {
  const r = spawnSync(cmd, args, { cwd: CHART, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function render(...args: string[]): string {
  const r = runTool(helm, ['template', 'wharf', '.', '--kube-version', KUBE_VERSION, ...args]);
  if (r.code !== 0) throw new Error(`helm template ${args.join(' ')}: ${r.out}`);
  return r.out;
}

function kubeconform(manifests: string, ...args: string[]) {
  return runTool(
    join(tools, 'bin', 'kubeconform'),
    [
      '-strict',
      '-summary',
      '-schema-location',
      join(tools, 'schemas', '{{ .ResourceKind }}{{ .KindSuffix }}.json'),
      ...args,
      '-',
    ],
    manifests,
  );
}

beforeAll(() => {
  tools = execFileSync('bash', [join(ROOT, 'test', 'deploy', 'install.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: INSTALL_TIMEOUT_MS,
  }).trim();
  helm = join(
    process.env.WHARF_CLIENTS_CACHE || join(process.env.HOME ?? '', '.cache', 'wharf-clients'),
    'helm',
    'bin',
    'helm',
  );
}, INSTALL_TIMEOUT_MS);

const VALUES = ['ci/distributed-values.yaml', 'ci/embedded-values.yaml'];

describe('helm lint --strict', () => {
  it.each(VALUES)('passes with %s', (values) => {
    const r = runTool(helm, ['lint', '--strict', '.', '-f', values]);
    expect(r.out).toContain('0 chart(s) failed');
    expect(r.code).toBe(0);
  });

  it('fails on a value the schema refuses, naming it', () => {
    const r = runTool(helm, ['lint', '--strict', '.', '-f', VALUES[0]!, '--set', 'gateway.replicaCount=two']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/gateway\.replicaCount|replicaCount/);
  });
});

describe('helm-unittest', () => {
  it("passes every test of the chart's suites", () => {
    const r = runTool(join(tools, 'bin', 'helm-unittest'), ['.']);
    expect(r.out).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(r.out).not.toMatch(/Tests:.*failed/);
    expect(r.code).toBe(0);
  });
});

describe('kubeconform -strict (Kubernetes v1.33 schemas)', () => {
  it.each(VALUES)('accepts every object rendered with %s', (values) => {
    const r = kubeconform(render('-f', values));
    expect(r.out).toMatch(/Invalid: 0, Errors: 0, Skipped: 0/);
    expect(r.code).toBe(0);
  });

  it('accepts every optional object too: autoscalers, ingress, TLS, network peers', () => {
    const manifests = render(
      '-f',
      VALUES[0]!,
      '--set',
      'gateway.autoscaling.enabled=true,metadata.autoscaling.enabled=true,search.autoscaling.enabled=true',
      '--set',
      'blob.podDisruptionBudget.enabled=true,blob.persistence.storageClass=fast',
      '--set',
      'ingress.enabled=true,ingress.className=nginx,ingress.hosts[0].host=charts.example.com',
      '--set',
      'ingress.tls[0].secretName=wharf-tls,ingress.tls[0].hosts[0]=charts.example.com',
      '--set-json',
      'networkPolicy.extraIngressFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}}}]',
    );
    const kinds = parseAllDocuments(manifests).map((d) => (d.toJS() as Rendered | null)?.kind);
    expect(kinds).toEqual(expect.arrayContaining(['HorizontalPodAutoscaler', 'Ingress', 'NetworkPolicy']));
    const r = kubeconform(manifests);
    expect(r.out).toMatch(/Invalid: 0, Errors: 0, Skipped: 0/);
    expect(r.code).toBe(0);
  });

  it('finds an object Kubernetes would refuse (the check is not a no-op)', () => {
    const broken = render('-f', VALUES[0]!).replace(/containerPort: 5101/, 'containerPort: "5101"');
    const r = kubeconform(broken);
    expect(r.out).toContain('Invalid: 1');
    expect(r.code).not.toBe(0);
  });
});

describe('docker-compose.yml', () => {
  /** Each Wharf service's WHARF_* variable names, by service (the chart's components, compose's services). */
  function chartVariables(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const doc of parseAllDocuments(render('-f', VALUES[0]!))) {
      const o = doc.toJS() as Rendered | null;
      if (!o || !['Deployment', 'StatefulSet'].includes(o.kind)) continue;
      const [container] = o.spec!.template!.spec.containers;
      out[container!.name] = (container!.env ?? [])
        .map((e) => e.name)
        .filter((name) => name.startsWith('WHARF_'))
        .sort();
    }
    return out;
  }

  function composeVariables(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [name, service] of Object.entries(composeServices(join(ROOT, 'docker-compose.yml')))) {
      if (!isWharfService(service)) continue; // the engines: Kafka, MongoDB, S3, OpenSearch
      out[name] = Object.keys(wharfVariables(service));
    }
    return out;
  }

  it("runs the chart's services, each with the chart's WHARF_* variables", () => {
    const chart = chartVariables();
    expect(Object.keys(chart).sort()).toEqual(['blob', 'gateway', 'metadata', 'search', 'webhooks']);
    expect(composeVariables()).toEqual(chart);
  });
});
