import { Body, Controller, Get, Post } from '@nestjs/common';
import { IncomingMessage, request } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { JsonLogger } from '@wharf/config';
import { WharfMetrics } from '@wharf/metrics';
import { createService } from './service-app';
import { traceIdOf } from './request-context';

const lines: string[] = [];
const logger = new JsonLogger('info', (line) => lines.push(line));
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

@Controller()
class LoggingController {
  @Post('things')
  async create(@Body() body: { name: string }) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    logger.event('info', 'thing created', { name: body.name });
    return { ok: true };
  }

  @Get('broken')
  broken() {
    throw new Error('bug');
  }
}

describe('request context: request id and trace id on the lines of a request', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createService(
      {
        providers: [],
        imports: [],
        controllers: [LoggingController],
        checks: [],
        metrics: new WharfMetrics('test', { processMetrics: false }),
        onClose: async () => {},
      },
      logger,
    );
    await app.listen(0, '127.0.0.1');
  });

  afterAll(() => app.close());

  const logged = (msg: string) =>
    lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === msg);

  it("should keep a safe X-Request-Id, answer it, and put it and the trace id on the handler's lines", async () => {
    // The body comes after the headers, as a large upload's does: reading it runs outside the request's context.
    const { port } = new URL(await app.getUrl());
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/things',
          headers: { 'content-type': 'application/json', 'x-request-id': 'proxy-42.a', traceparent: TRACEPARENT },
        },
        resolve,
      );
      req.once('error', reject);
      req.flushHeaders();
      setTimeout(() => req.end(JSON.stringify({ name: 'one' })), 50);
    });
    res.resume();
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-request-id']).toBe('proxy-42.a');
    expect(logged('thing created')).toEqual([
      expect.objectContaining({ name: 'one', request_id: 'proxy-42.a', trace_id: TRACE_ID }),
    ]);
  });

  it('should generate an id for an unsafe or missing X-Request-Id, and one per request', async () => {
    const ids: (string | null)[] = [];
    for (const header of ['bad id with spaces', 'x'.repeat(65), '"><script>', undefined]) {
      const res = await fetch(`${await app.getUrl()}/broken`, {
        headers: header === undefined ? {} : { 'x-request-id': header },
      });
      expect(res.status).toBe(500);
      ids.push(res.headers.get('x-request-id'));
    }
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(4);
    expect(logged('unexpected error').map((line) => line.request_id)).toEqual(ids);
    expect(logged('unexpected error').filter((line) => 'trace_id' in line)).toEqual([]);
  });
});

describe(traceIdOf.name, () => {
  it('should take the trace id of a valid W3C traceparent only', () => {
    expect(traceIdOf(TRACEPARENT)).toBe(TRACE_ID);
    expect(traceIdOf(`01-${TRACE_ID}-00f067aa0ba902b7-01-future`)).toBe(TRACE_ID);
    for (const bad of [
      undefined,
      '',
      [TRACEPARENT],
      `ff-${TRACE_ID}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID}-00f067aa0ba902b7-01-extra`,
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID}-00f067aa0ba902b7`,
    ]) {
      expect(traceIdOf(bad)).toBeUndefined();
    }
  });
});
