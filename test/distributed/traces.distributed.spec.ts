/**
 * Traces of the distributed profile (issue 19): with WHARF_OTLP_TRACES_URL set, a push is one
 * trace from the gateway through Kafka to the metadata writer and on to the projectors, stored
 * in a real Jaeger (deploy/local/jaeger.sh: Jaeger v2 built from the Go module proxy, OTLP over
 * HTTP in, its query API out). The caller's W3C traceparent is the trace's root, so the test
 * finds the push's trace by the id it sent.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartArchive, eventually } from '@wharf/testing';
import { DistributedStack } from './support/distributed-stack';

jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');

interface JaegerSpan {
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; spanID: string }[];
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** Starts the project's Jaeger (idempotent: `backends.sh up` may have) and reads its endpoints. */
function jaeger(): { otlpUrl: string; queryUrl: string } {
  execFileSync('bash', [join(ROOT, 'deploy', 'local', 'jaeger.sh'), 'start'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 30 * 60_000,
  });
  const env = execFileSync('bash', [join(ROOT, 'deploy', 'local', 'backends.sh'), 'env'], { encoding: 'utf8' });
  const value = (name: string) => new RegExp(`^export ${name}=(\\S+)$`, 'm').exec(env)![1]!;
  return { otlpUrl: value('WHARF_JAEGER_OTLP_URL'), queryUrl: value('WHARF_JAEGER_URL') };
}

const runId = `tr${Date.now().toString(36)}`;
const { otlpUrl, queryUrl } = jaeger();
const stack = new DistributedStack({
  runId,
  logDir: mkdtempSync(join(tmpdir(), `wharf-traces-${runId}-`)),
  env: { WHARF_OTLP_TRACES_URL: otlpUrl },
});

beforeAll(() => stack.up());
afterAll(() => stack.down());

async function traceOf(traceId: string): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${queryUrl}/api/traces/${traceId}`);
  if (res.status !== 200) return undefined;
  return ((await res.json()) as { data: JaegerTrace[] }).data[0];
}

it('should make a push one trace: gateway → Kafka → metadata writer → projectors, each span under its cause', async () => {
  const traceId = randomBytes(16).toString('hex');
  const callerSpan = randomBytes(8).toString('hex');
  const archive = chartArchive({ name: 'traced', version: '1.0.0', salt: runId });
  const pushed = await fetch(`${stack.url('gateway')}/cnr/api/v1/packages/traces/traced`, {
    method: 'POST',
    headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    body: JSON.stringify({ release: '1.0.0', media_type: 'helm', blob: archive.toString('base64') }),
  });
  expect(pushed.status).toBe(200);

  let trace: JaegerTrace | undefined;
  await eventually(async () => {
    trace = await traceOf(traceId);
    const services = new Set(Object.values(trace?.processes ?? {}).map((p) => p.serviceName));
    expect([...services].sort()).toEqual(
      expect.arrayContaining(['wharf-gateway', 'wharf-metadata', 'wharf-search', 'wharf-blob']),
    );
    // Every span the checks below read: each service exports its spans in batches of its own, so
    // one service's spans can be in Jaeger before another's (the gateway ends its request's last).
    expect(trace!.spans.map((s) => s.operationName)).toEqual(
      expect.arrayContaining([
        'search handle events',
        'POST /api/v1/packages/:namespace/:package',
        'send PushRelease',
        'handle command',
        'event_log.append',
        'blobs.put',
      ]),
    );
  }, 60_000);

  const spans = new Map(trace!.spans.map((s) => [s.spanID, s]));
  const serviceOf = (s: JaegerSpan) => trace!.processes[s.processID]!.serviceName;
  const parentOf = (s: JaegerSpan) => spans.get(s.references.find((r) => r.refType === 'CHILD_OF')?.spanID ?? '');
  /** The span's causes, nearest first: service and operation of each. */
  const chain = (s: JaegerSpan) => {
    const found: string[] = [];
    for (let p = parentOf(s); p; p = parentOf(p)) found.push(`${serviceOf(p)} ${p.operationName}`);
    return found;
  };
  const named = (service: string, operation: string) =>
    trace!.spans.find((s) => serviceOf(s) === service && s.operationName === operation);

  // The request's span is the caller's span's child: the trace continues the caller's.
  const request = named('wharf-gateway', 'POST /api/v1/packages/:namespace/:package')!;
  expect(request.references).toEqual([expect.objectContaining({ refType: 'CHILD_OF', spanID: callerSpan })]);
  // The writer handled the command the gateway sent, and appended to the log under that span.
  const handled = chain(named('wharf-metadata', 'handle command')!);
  expect(handled[0]).toBe('wharf-gateway send PushRelease');
  // One span per command: the producer span is the request's own child, not wrapped in a store call's.
  expect(handled[1]).toBe('wharf-gateway POST /api/v1/packages/:namespace/:package');
  expect(chain(named('wharf-metadata', 'event_log.append')!)[0]).toBe('wharf-metadata handle command');
  // The projectors' deliveries are in the trace of the append that wrote the event, and their
  // store calls under them (OpenSearch for search).
  const searchDelivery = named('wharf-search', 'search handle events')!;
  expect(chain(searchDelivery)).toContain('wharf-metadata handle command');
  const searchWrite = trace!.spans.find((s) => serviceOf(s) === 'wharf-search' && parentOf(s) === searchDelivery);
  expect(searchWrite?.operationName).toMatch(/^search\./);
  // The gateway's own store calls (the blob in S3) are its request's children too.
  expect(chain(named('wharf-gateway', 'blobs.put')!)[0]).toBe(
    'wharf-gateway POST /api/v1/packages/:namespace/:package',
  );
});
