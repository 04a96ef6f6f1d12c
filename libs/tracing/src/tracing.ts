/**
 * Traces with OpenTelemetry: one trace per request across the gateway, Kafka (W3C trace context
 * in the command and event message headers), the metadata writer, the projectors and the stores,
 * exported over OTLP/HTTP when WHARF_OTLP_TRACES_URL is set. Off by default: then every function
 * here checks one flag and calls straight through, with no span, no context and no header
 * written (not measured apart from the code before tracing: docs/benchmarks.md, "Traces").
 *
 * The rest of Wharf sees only these functions (a boundary rule: @opentelemetry/* is imported
 * here alone), so the SDK, its exporter and its propagator are chosen in one place.
 */
import {
  Context,
  Link,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  TextMapGetter,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

export interface TracingOptions {
  /** The service as traces name it: `wharf-<service>` (embedded, gateway, metadata, search, blob, tools). */
  service: string;
  /** Where spans go (OTLP over HTTP, e.g. http://collector:4318/v1/traces); null: tracing off. */
  otlpTracesUrl: string | null;
  /** The share of new traces recorded (0 to 1); a caller's sampled traceparent is always followed. */
  sampleRatio: number;
  /** In place of the OTLP exporter (tests). */
  exporter?: SpanExporter;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Exports the spans buffered so far. */
  flush(): Promise<void>;
  /** Exports the spans still buffered and stops; a process calls it on its way out. */
  shutdown(): Promise<void>;
}

export type SpanKindName = 'server' | 'client' | 'producer' | 'consumer' | 'internal';
export type SpanAttributes = Record<string, string | number | boolean>;
/** Message headers as Kafka clients and HTTP servers hold them. */
export type Carrier = Record<string, string | Buffer | (string | Buffer)[] | undefined>;

const KINDS: Record<SpanKindName, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};
const TRACER = 'wharf';

let enabled = false;
let provider: TracerProvider | null = null;

export function tracingEnabled(): boolean {
  return enabled;
}

/** Exports the spans this process has buffered (a closing server calls it); nothing when tracing is off. */
export async function flushTraces(): Promise<void> {
  await provider?.forceFlush().catch(() => undefined);
}

/** Starts tracing for this process when an OTLP URL is configured; a no-op handle otherwise. */
export function startTracing(options: TracingOptions): Tracing {
  if (!options.otlpTracesUrl && !options.exporter)
    return { enabled: false, flush: async () => undefined, shutdown: async () => undefined };
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: options.otlpTracesUrl! });
  const started = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': `wharf-${options.service}` }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 500 })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(started);
  enabled = true;
  provider = started;
  return {
    enabled: true,
    flush: () => started.forceFlush(),
    shutdown: async () => {
      enabled = false;
      provider = null;
      await started.shutdown().catch(() => undefined);
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

const getter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return value.map((v) => v.toString());
    return value.toString();
  },
};

/** Runs `fn` in a span of its own, child of the active one; a throw or rejection marks it failed. */
export function inSpan<T>(name: string, kind: SpanKindName, attributes: SpanAttributes, fn: () => T): T {
  if (!enabled) return fn();
  return trace.getTracer(TRACER).startActiveSpan(name, { kind: KINDS[kind], attributes }, (span) => endWith(span, fn));
}

/**
 * Runs `fn` in a span whose parent is the trace context the first carrier holds (a message's
 * headers), linked to the contexts of the others (a batch of messages from several traces).
 */
export function inSpanFrom<T>(
  carriers: readonly (Carrier | undefined)[],
  name: string,
  kind: SpanKindName,
  attributes: SpanAttributes,
  fn: () => T,
): T {
  if (!enabled) return fn();
  const contexts = carriers.map((c) => (c ? propagation.extract(ROOT_CONTEXT, c, getter) : ROOT_CONTEXT));
  const parent = contexts[0] ?? ROOT_CONTEXT;
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const c of contexts.slice(1)) {
    const span = trace.getSpanContext(c);
    if (!span || seen.has(span.spanId)) continue;
    seen.add(span.spanId);
    links.push({ context: span });
  }
  return trace
    .getTracer(TRACER)
    .startActiveSpan(name, { kind: KINDS[kind], attributes, links }, parent, (span) => endWith(span, fn));
}

/** Writes the active trace context (`traceparent`, `tracestate`) into message headers. */
export function injectTraceContext(headers: Record<string, string | Buffer>): void {
  if (!enabled) return;
  propagation.inject(context.active(), headers);
}

/** A request's span, from its arrival (its caller's traceparent as parent) until `end`. */
export interface ServerSpan {
  traceId: string;
  /** Runs the rest of the request's handling with this span as the active one. */
  run(fn: () => void): void;
  end(statusCode: number, route: string | undefined): void;
}

export function startServerSpan(method: string, headers: Carrier): ServerSpan | null {
  if (!enabled) return null;
  const parent = propagation.extract(ROOT_CONTEXT, headers, getter);
  const span = trace
    .getTracer(TRACER)
    .startSpan(method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method } }, parent);
  const active: Context = trace.setSpan(parent, span);
  let ended = false;
  return {
    traceId: span.spanContext().traceId,
    run: (fn) => context.with(active, fn),
    end: (statusCode, route) => {
      if (ended) return;
      ended = true;
      if (route) {
        span.updateName(`${method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

function endWith<T>(span: Span, fn: () => T): T {
  const failed = (error: unknown) => {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    span.end();
  };
  let result: T;
  try {
    result = fn();
  } catch (error) {
    failed(error);
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value: unknown) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        failed(error);
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}
