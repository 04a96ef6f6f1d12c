import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  Tracing,
  inSpan,
  inSpanFrom,
  injectTraceContext,
  startServerSpan,
  startTracing,
  tracingEnabled,
} from './tracing';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const callerTraceparent = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;

describe('tracing off (no OTLP URL)', () => {
  it('runs the code and writes no header', async () => {
    const tracing = startTracing({ service: 'test', otlpTracesUrl: null, sampleRatio: 1 });
    expect(tracing.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
    const headers: Record<string, string> = {};
    const result = await inSpan('work', 'internal', {}, async () => {
      injectTraceContext(headers);
      return 42;
    });
    expect(result).toBe(42);
    expect(headers).toEqual({});
    expect(startServerSpan('GET', { traceparent: callerTraceparent })).toBeNull();
  });
});

describe('tracing on', () => {
  let exporter: InMemorySpanExporter;
  let tracing: Tracing;
  const spans = async (): Promise<ReadableSpan[]> => {
    await tracing.flush();
    return exporter.getFinishedSpans();
  };
  const byName = (all: ReadableSpan[], name: string) => all.find((s) => s.name === name)!;

  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    tracing = startTracing({ service: 'test', otlpTracesUrl: null, sampleRatio: 1, exporter });
  });
  afterEach(() => tracing.shutdown());

  it("continues the caller's trace from a request's traceparent and names the span by route", async () => {
    const server = startServerSpan('POST', { traceparent: callerTraceparent })!;
    expect(server.traceId).toBe(CALLER_TRACE);
    await new Promise<void>((resolve) =>
      server.run(() => void inSpan('store call', 'client', { store: 'metadata' }, async () => undefined).then(resolve)),
    );
    server.end(201, '/api/v1/packages/:namespace/:package');
    const all = await spans();
    const request = byName(all, 'POST /api/v1/packages/:namespace/:package');
    expect(request.spanContext().traceId).toBe(CALLER_TRACE);
    expect(request.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(request.attributes['http.response.status_code']).toBe(201);
    const child = byName(all, 'store call');
    expect(child.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(child.attributes.store).toBe('metadata');
  });

  it('carries the trace through message headers, Buffers included, to the consumer', async () => {
    const headers: Record<string, string> = {};
    await inSpan('send command', 'producer', {}, async () => injectTraceContext(headers));
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const received = { traceparent: Buffer.from(headers.traceparent!) };
    await inSpanFrom([received], 'handle command', 'consumer', {}, async () => undefined);
    const all = await spans();
    const sent = byName(all, 'send command');
    const handled = byName(all, 'handle command');
    expect(handled.spanContext().traceId).toBe(sent.spanContext().traceId);
    expect(handled.parentSpanContext?.spanId).toBe(sent.spanContext().spanId);
  });

  it("makes a batch's first message the parent and links the other traces", async () => {
    const other = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
    inSpanFrom(
      [{ traceparent: callerTraceparent }, { traceparent: other }, undefined],
      'project',
      'consumer',
      {},
      () => 1,
    );
    const [span] = await spans();
    expect(span!.spanContext().traceId).toBe(CALLER_TRACE);
    expect(span!.links.map((l) => l.context.traceId)).toEqual(['1'.repeat(32)]);
  });

  it('marks a span failed when its code throws or rejects, and passes the error on', async () => {
    await expect(inSpan('rejects', 'internal', {}, () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(() =>
      inSpan('throws', 'internal', {}, () => {
        throw new Error('bad');
      }),
    ).toThrow('bad');
    const all = await spans();
    for (const name of ['rejects', 'throws']) expect(byName(all, name).status.code).toBe(2 /* ERROR */);
  });

  it('records none of the new traces at ratio 0, but follows a sampled caller', async () => {
    await tracing.shutdown();
    exporter = new InMemorySpanExporter();
    tracing = startTracing({ service: 'test', otlpTracesUrl: null, sampleRatio: 0, exporter });
    await inSpan('unsampled', 'internal', {}, async () => undefined);
    const server = startServerSpan('GET', { traceparent: callerTraceparent })!;
    server.end(200, '/');
    expect((await spans()).map((s) => s.name)).toEqual(['GET /']);
  });
});
