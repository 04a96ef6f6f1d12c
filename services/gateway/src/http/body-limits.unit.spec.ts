import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PayloadTooLargeError } from '@wharf/http';
import { ServiceUnavailableError } from '@wharf/domain';
import { loadConfig } from '@wharf/config';
import { MAX_WAITING_UPLOADS, UploadBytesInFlight } from '../auth/upload-bytes-in-flight';
import { UPLOAD_ROUTES, UploadGate, admitUploadBody, boundedStream } from './body-limits';

const MiB = 1024 * 1024;

describe('boundedStream', () => {
  it('fails past the bound, then reads the rest of the body to its end (the connection is not left stalled)', async () => {
    const body = new PassThrough({ highWaterMark: 16 * 1024 });
    const bounded = boundedStream(body, 64 * 1024);
    const failed = once(bounded, 'error');
    bounded.resume();
    const ended = once(body, 'end');
    // 1 MiB in 64 KiB chunks, written as the client would send it, each when the socket takes it.
    void (async () => {
      for (let i = 0; i < 16; i++) if (!body.write(Buffer.alloc(64 * 1024))) await once(body, 'drain');
      body.end();
    })();
    const [error] = await failed;
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    await ended;
    expect(body.readableEnded).toBe(true);
  });

  it('passes a body within the bound through unchanged', async () => {
    const body = new PassThrough();
    const bounded = boundedStream(body, 10);
    const chunks: Buffer[] = [];
    bounded.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.end(Buffer.from('0123456789'));
    await once(bounded, 'end');
    expect(Buffer.concat(chunks).toString()).toBe('0123456789');
  });
});

describe('admitUploadBody', () => {
  const config = loadConfig({ WHARF_MAX_UPLOAD_BYTES_IN_FLIGHT: String(8 * MiB) });

  /** A request of `route` ('METHOD /pattern') in repository ns/app, declaring `declared` bytes of body. */
  function upload(route: string, declared: number): { request: FastifyRequest; reply: FastifyReply } {
    const [method, url] = route.split(' ');
    const request = {
      method,
      routeOptions: { url },
      params: { namespace: 'ns', name: 'app', id: 'u1' },
      headers: { 'content-length': String(declared) },
      socket: { destroyed: false },
      ip: '192.0.2.1',
    };
    return { request: request as unknown as FastifyRequest, reply: { raw: { once: () => undefined } } as never };
  }

  function gateOver(budget: UploadBytesInFlight, sessionHeld: number): UploadGate {
    return {
      callerOf: async () => ({ kind: 'open' }),
      admit: async (_caller, namespace) => ({
        namespace,
        maxBlobBytes: 64 * MiB,
        maxStorageBytes: 0,
        allowOverwrites: true,
      }),
      takeSlot: async () => () => undefined,
      reserveBytes: (bytes, signal) => budget.acquire(bytes, signal),
      sessionHeldBytes: async (repository, id) => (repository === 'ns/app' && id === 'u1' ? sessionHeld : 0),
    };
  }

  it("counts the bytes an OCI upload session holds in memory beside a chunk's body, so the budget refuses with 503 past its queue", async () => {
    const budget = new UploadBytesInFlight(config);
    const admit = admitUploadBody(() => gateOver(budget, 7 * MiB), config);
    const body = new PassThrough();
    const { request, reply } = upload(UPLOAD_ROUTES.ociUploadChunk, 1024);
    await admit(request, reply, body);
    expect(budget.usage()).toEqual({ bytes: 7 * MiB + 1024, waiting: 0 });
    // The end of an upload (PUT) reads the session's tail back too; its body alone would fit.
    const waiting = Array.from({ length: MAX_WAITING_UPLOADS }, () => {
      const next = upload(UPLOAD_ROUTES.ociUploadEnd, 1024);
      return admit(next.request, next.reply, new PassThrough()).catch((error: unknown) => error);
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(budget.usage()).toEqual({ bytes: 7 * MiB + 1024, waiting: MAX_WAITING_UPLOADS });
    const refused = upload(UPLOAD_ROUTES.ociUploadChunk, 1024);
    await expect(admit(refused.request, refused.reply, new PassThrough())).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
    void waiting;
  });

  it('counts only the body of a monolithic OCI upload and of other uploads', async () => {
    const budget = new UploadBytesInFlight(config);
    const admit = admitUploadBody(() => gateOver(budget, 7 * MiB), config);
    const { request, reply } = upload(UPLOAD_ROUTES.ociUploadStart, 1024);
    await admit(request, reply, new PassThrough());
    expect(budget.usage()).toEqual({ bytes: 1024, waiting: 0 });
  });
});
