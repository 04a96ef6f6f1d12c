/**
 * openObject against small HTTP servers that answer as S3 does, and as S3 does when it fails:
 * the answers a real S3 cannot be made to give on demand (the int spec covers the real one).
 */
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { isOutage } from '@wharf/ports';
import { S3ResponseError, openObject } from './s3-object-stream';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

let server: Server;
let sockets: Set<Socket>;
let handler: Handler;

beforeEach(async () => {
  sockets = new Set();
  server = createServer((request, response) => handler(request, response));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function urlOf(path = '/bucket/key?X-Amz-Signature=abc'): URL {
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
}

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function failure(call: Promise<unknown>): Promise<Error> {
  return call.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: Error) => error,
  );
}

const s3Error = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code></Error>`;

describe('openObject', () => {
  it('should send the signed path and query, and stream exactly the body of a 200', async () => {
    const body = randomBytes(1024 * 1024 + 7);
    let asked = '';
    handler = (request, response) => {
      asked = request.url!;
      response.writeHead(200, { 'content-length': body.length });
      response.end(body);
    };

    const stream = await openObject(urlOf(), 'key', 5_000);

    expect(stream.length).toBe(body.length);
    expect((await drain(stream)).equals(body)).toBe(true);
    expect(asked).toBe('/bucket/key?X-Amz-Signature=abc');
  });

  it('should stream an empty body', async () => {
    handler = (_request, response) => response.writeHead(200, { 'content-length': 0 }).end();

    expect((await drain(await openObject(urlOf(), 'key', 5_000))).length).toBe(0);
  });

  it("should reject with S3's status and error code, a 404 and a 503 alike, the 503 an outage", async () => {
    for (const [status, code] of [
      [404, 'NoSuchKey'],
      [503, 'SlowDown'],
    ] as const) {
      handler = (_request, response) =>
        response.writeHead(status, { 'content-type': 'application/xml' }).end(s3Error(code));

      const error = await failure(openObject(urlOf(), 'key', 5_000));

      expect(error).toBeInstanceOf(S3ResponseError);
      expect(error).toMatchObject({ statusCode: status, code, name: code, $metadata: { httpStatusCode: status } });
      expect(isOutage(error)).toBe(status === 503);
    }
  });

  it('should reject with the socket error, an outage, when nothing listens', async () => {
    const url = urlOf();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    server = createServer();
    server.listen(0); // closed again by afterEach

    const error = await failure(openObject(url, 'key', 5_000));

    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isOutage(error)).toBe(true);
  });

  it('should reject an answer without a Content-Length (chunked), and close its connection', async () => {
    handler = (_request, response) => {
      response.writeHead(200);
      response.write('part');
    };

    const error = await failure(openObject(urlOf(), 'key', 5_000));

    expect(error.message).toMatch(/without a Content-Length/);
    await waitFor(() => sockets.size === 0);
  });

  it('should fail with a TimeoutError, an outage, when S3 stops sending, before the head and in the body', async () => {
    handler = () => undefined;
    const beforeHead = await failure(openObject(urlOf(), 'key', 200));
    expect(beforeHead.name).toBe('TimeoutError');
    expect(isOutage(beforeHead)).toBe(true);

    handler = (_request, response) => {
      response.writeHead(200, { 'content-length': 1000 });
      response.write(Buffer.alloc(10));
    };
    const stream = await openObject(urlOf(), 'key', 200);
    const inBody = await failure(drain(stream));
    expect(inBody.name).toBe('TimeoutError');
    await waitFor(() => sockets.size === 0);
  });

  it('should not time out while S3 waits on a reader slower than the timeout', async () => {
    const body = randomBytes(4 * 1024 * 1024);
    handler = (_request, response) => response.writeHead(200, { 'content-length': body.length }).end(body);

    const stream = await openObject(urlOf(), 'key', 200);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      if (chunks.length === 2) await new Promise((resolve) => setTimeout(resolve, 500));
    }

    expect(Buffer.concat(chunks).equals(body)).toBe(true);
  });

  it('should close a stream opened but never read once S3 has been silent for the timeout', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-length': 10 * 1024 * 1024 });
      response.write(Buffer.alloc(64 * 1024));
    };
    const stream = await openObject(urlOf(), 'key', 200);
    expect(sockets.size).toBe(1);

    await waitFor(() => sockets.size === 0);

    expect(stream.destroyed).toBe(true);
  });

  it('should fail the stream when S3 closes the connection before the whole body', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-length': 1000 });
      response.write(Buffer.alloc(10), () => response.socket!.destroy());
    };

    const stream = await openObject(urlOf(), 'key', 5_000);

    expect((await failure(drain(stream))).message).toMatch(/closed the connection early/);
  });

  it('should close the connection to S3 when the stream is destroyed before its end', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-length': 10 * 1024 * 1024 });
      response.write(Buffer.alloc(64 * 1024));
    };
    const stream = await openObject(urlOf(), 'key', 5_000);
    expect(sockets.size).toBe(1);

    stream.destroy();

    await waitFor(() => sockets.size === 0);
  });

  describe('piped into an HTTP response', () => {
    let front: Server;

    /** A server whose every GET pipes openObject's stream into its response (after `before`), and its URL. */
    async function relay(before?: (stream: Readable) => Promise<void>): Promise<string> {
      front = createServer((request, response) => {
        void openObject(urlOf(`/bucket/key${request.url!.slice(1)}`), 'key', 5_000).then(async (stream) => {
          response.setHeader('content-length', stream.length);
          await before?.(stream);
          stream.pipe(response);
        });
      });
      await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(front.address() as AddressInfo).port}/`;
    }

    afterEach(async () => {
      front.closeAllConnections();
      await new Promise((resolve) => front.close(resolve));
    });

    it('should relay exactly the body, sent by S3 in pieces of any size', async () => {
      const body = randomBytes(3 * 1024 * 1024 + 3);
      handler = (_request, response) => {
        response.writeHead(200, { 'content-length': body.length });
        // Uneven writes, some larger than a read buffer, the first with the head.
        let at = 0;
        const sizes = [5, 300_000, 1, 700_000, 65_536];
        const next = (i: number): void => {
          if (at >= body.length) return void response.end();
          const piece = body.subarray(at, at + sizes[i % sizes.length]!);
          at += piece.length;
          response.write(piece, () => next(i + 1));
        };
        next(0);
      };

      const answer = await fetch(await relay());

      expect(Buffer.from(await answer.arrayBuffer()).equals(body)).toBe(true);
      await waitFor(() => sockets.size === 0);
    });

    it('should relay exactly the body when bytes were already buffered in the stream before the pipe', async () => {
      const body = randomBytes(1024 * 1024 + 7);
      handler = (_request, response) => response.writeHead(200, { 'content-length': body.length }).end(body);

      const answer = await fetch(
        await relay(async (stream) => {
          stream.read(0); // a reader's first ask: the stream fills its buffer, nothing is taken from it
          await waitFor(() => stream.readableLength > 0);
        }),
      );

      expect(Buffer.from(await answer.arrayBuffer()).equals(body)).toBe(true);
    });

    it('should relay exactly the body to a client slower than S3 (no buffer reused while its bytes are being sent)', async () => {
      const body = randomBytes(24 * 1024 * 1024);
      handler = (_request, response) => response.writeHead(200, { 'content-length': body.length }).end(body);

      const answer = await fetch(await relay());
      const reader = answer.body!.getReader();
      const chunks: Uint8Array[] = [];
      for (;;) {
        // The client pauses between reads, so the relay's writes wait on it while S3 has sent everything.
        await new Promise((resolve) => setTimeout(resolve, 5));
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
      }

      expect(Buffer.concat(chunks).equals(body)).toBe(true);
    });

    it('should relay concurrent and successive downloads each exactly, the aborted ones among them', async () => {
      const bodies = Array.from({ length: 6 }, () => randomBytes(2 * 1024 * 1024 + 1));
      handler = (request, response) => {
        const body = bodies[Number(new URL(request.url!, 'http://x').searchParams.get('n'))]!;
        response.writeHead(200, { 'content-length': body.length }).end(body);
      };
      const url = await relay();

      for (let round = 0; round < 3; round++) {
        const got = await Promise.all(
          bodies.map(async (_, n) => {
            const aborted = new AbortController();
            const answer = await fetch(`${url}?n=${n}`, { signal: aborted.signal });
            if (n % 3 === round) {
              await answer.body!.getReader().read();
              aborted.abort();
              return null;
            }
            return Buffer.from(await answer.arrayBuffer());
          }),
        );
        got.forEach((bytes, n) => expect(bytes === null || bytes.equals(bodies[n]!)).toBe(true));
      }
      await waitFor(() => sockets.size === 0);
    });

    it("should close the connection to S3 when the response's client goes away mid-body", async () => {
      handler = (_request, response) => {
        response.writeHead(200, { 'content-length': 64 * 1024 * 1024 });
        response.write(Buffer.alloc(1024 * 1024)); // and never the rest
      };
      const aborted = new AbortController();
      const answer = await fetch(await relay(), { signal: aborted.signal });
      await answer.body!.getReader().read();
      expect(sockets.size).toBe(1);

      aborted.abort();

      await waitFor(() => sockets.size === 0);
    });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(condition()).toBe(true);
}
