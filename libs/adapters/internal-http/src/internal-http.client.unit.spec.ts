/**
 * The internal transport's JSON calls against a plain local HTTP server: answers, typed errors,
 * outages, the time bound, and that one pooled connection carries call after call.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceUnavailableError } from '@wharf/domain';
import { WireError } from '@wharf/contracts';
import { logContext } from '@wharf/config';
import { startServerSpan, startTracing } from '@wharf/tracing';
import { InternalHttpClient } from './internal-http.client';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe('InternalHttpClient', () => {
  let server: Server;
  let handler: Handler;
  let url: string;
  const sockets = new Set<unknown>();

  beforeEach(async () => {
    sockets.clear();
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    server.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const answer = (status: number, body: unknown) => (_req: IncomingMessage, _body: string, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  it("should carry the served request's id, and its trace context with tracing on, on JSON and streamed calls", async () => {
    const seen: { requestId?: string | string[]; traceparent?: string | string[] }[] = [];
    handler = (req, body, res) => {
      seen.push({ requestId: req.headers['x-request-id'], traceparent: req.headers.traceparent });
      answer(200, {})(req, body, res);
    };
    const client = new InternalHttpClient('search', url);
    await logContext.run({ request_id: 'req-1' }, () => client.json('GET', '/internal/v1/search'));
    const tracing = startTracing({
      service: 'test',
      // Nothing listens there: the spans are not the point, the header is.
      otlpTracesUrl: 'http://127.0.0.1:9/v1/traces',
      sampleRatio: 1,
    });
    // The request's span, continuing a caller's trace: the call must carry that trace on.
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const request = startServerSpan('GET', { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` })!;
    try {
      await logContext.run(
        { request_id: 'req-2' },
        () =>
          new Promise<void>((resolve, reject) =>
            request.run(() => void client.send('GET', '/internal/v1/search').then(() => resolve(), reject)),
          ),
      );
      request.end(200, '/');
    } finally {
      await tracing.shutdown();
    }
    await client.json('GET', '/internal/v1/search');
    expect(seen).toEqual([
      { requestId: 'req-1', traceparent: undefined },
      { requestId: 'req-2', traceparent: expect.stringMatching(new RegExp(`^00-${callerTrace}-[0-9a-f]{16}-01$`)) },
      { requestId: undefined, traceparent: undefined },
    ]);
  });

  it('should send the method, path and JSON body, and return the parsed 2xx answer', async () => {
    const seen: { method?: string; url?: string; type?: string; body: string }[] = [];
    handler = (req, body, res) => {
      seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
      answer(200, [{ package: 'ns/a' }])(req, body, res);
    };
    const client = new InternalHttpClient('metadata', `${url}/`);

    await expect(client.json('POST', '/internal/v1/packages/list', { namespace: 'ns', limit: 5 })).resolves.toEqual([
      { package: 'ns/a' },
    ]);
    await expect(client.json('GET', '/internal/v1/packages/ns/a')).resolves.toEqual([{ package: 'ns/a' }]);
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/internal/v1/packages/list',
        type: 'application/json',
        body: '{"namespace":"ns","limit":5}',
      },
      { method: 'GET', url: '/internal/v1/packages/ns/a', type: undefined, body: '' },
    ]);
  });

  it('should carry call after call, concurrent ones included, over pooled keep-alive connections', async () => {
    handler = answer(200, { ok: true });
    const client = new InternalHttpClient('metadata', url);

    for (let i = 0; i < 20; i++) await client.json('GET', '/x');
    expect(sockets.size).toBe(1);
    await Promise.all(Array.from({ length: 4 }, () => client.json('GET', '/x')));
    expect(sockets.size).toBeLessThanOrEqual(4);
    for (let i = 0; i < 20; i++) await client.json('GET', '/x');
    expect(sockets.size).toBeLessThanOrEqual(4);
  });

  it("should rethrow a service's typed error as the same WireError", async () => {
    handler = answer(404, {
      code: 'package-not-found',
      message: 'package ns/a not found',
      details: { package: 'ns/a' },
    });
    const client = new InternalHttpClient('metadata', url);

    const error = await client.json('GET', '/internal/v1/packages/ns/a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WireError);
    expect(error).toMatchObject({
      code: 'package-not-found',
      message: 'package ns/a not found',
      details: { package: 'ns/a' },
    });
  });

  it('should turn a 5xx, a 4xx that is not a Wharf error, and an unreachable service into ServiceUnavailableError naming it', async () => {
    const client = new InternalHttpClient('search', url);
    handler = answer(500, { code: 'internal-error', message: 'boom' });
    await expect(client.json('GET', '/x')).rejects.toThrow(ServiceUnavailableError);
    handler = answer(404, { message: 'Route GET:/x not found', error: 'Not Found', statusCode: 404 });
    await expect(client.json('GET', '/x')).rejects.toThrow(ServiceUnavailableError);

    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    server.listen(0); // afterEach closes it again
    const error = await client.json('GET', '/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(String((error as Error).message)).toContain('search service');
  });

  it('should give up with ServiceUnavailableError when no whole answer arrives within the timeout', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":'); // and never the rest
    };
    const client = new InternalHttpClient('metadata', url, 200);

    const started = Date.now();
    await expect(client.json('GET', '/x')).rejects.toThrow(ServiceUnavailableError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  describe('with several replicas of the service', () => {
    /** A port nothing listens on: a server started and closed again. */
    async function deadUrl(): Promise<string> {
      const gone = createServer();
      await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
      const port = (gone.address() as AddressInfo).port;
      await new Promise((resolve) => gone.close(resolve));
      return `http://127.0.0.1:${port}`;
    }

    it('should answer every call from the replica that is up while the other refuses connections', async () => {
      handler = answer(200, { ok: true });
      const client = new InternalHttpClient('metadata', `${await deadUrl()},${url}`);

      for (let i = 0; i < 4; i++) await expect(client.json('GET', '/x')).resolves.toEqual({ ok: true });
      await expect(client.json('POST', '/internal/v1/packages/list', {})).resolves.toEqual({ ok: true });
      await expect((await client.send('GET', '/blob')).json()).resolves.toEqual({ ok: true });
    });

    it('should spread calls over the replicas in turn', async () => {
      const second = createServer((_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('"second"'),
      );
      await new Promise<void>((resolve) => second.listen(0, '127.0.0.1', resolve));
      try {
        handler = answer(200, 'first');
        const client = new InternalHttpClient(
          'metadata',
          `${url},http://127.0.0.1:${(second.address() as AddressInfo).port}`,
        );

        const answers = [];
        for (let i = 0; i < 4; i++) answers.push(await client.json('GET', '/x'));

        expect(answers).toEqual(['first', 'second', 'first', 'second']);
      } finally {
        second.closeAllConnections();
        await new Promise((resolve) => second.close(resolve));
      }
    });

    it('should be an outage when no replica answers', async () => {
      const client = new InternalHttpClient('metadata', `${await deadUrl()},${await deadUrl()}`);

      await expect(client.json('GET', '/x')).rejects.toBeInstanceOf(ServiceUnavailableError);
    });
  });
});
