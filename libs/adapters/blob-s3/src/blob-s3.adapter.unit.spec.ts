/**
 * S3BlobStore.open against a small HTTP server that answers as an S3-compatible server may and
 * versitygw does not: a body sent chunked, without a Content-Length (the int spec covers the
 * real server).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3BlobStore } from './blob-s3.adapter';

let server: Server;
const requests: IncomingMessage[] = [];

beforeEach(async () => {
  requests.length = 0;
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function storeOnServer(): S3BlobStore {
  return new S3BlobStore({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    accessKeyId: 'key',
    secretAccessKey: 'secret',
    bucket: 'bucket',
    maxAttempts: 1,
  });
}

describe('S3BlobStore.open from a server that sends bodies chunked', () => {
  it("should read the object through the SDK's GetObject, whole and by range", async () => {
    const body = randomBytes(300_000);
    const digest = createHash('sha256').update(body).digest('hex');
    server.on('request', (request: IncomingMessage, response) => {
      requests.push(request);
      const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
      const bytes = range ? body.subarray(Number(range[1]), Number(range[2]) + 1) : body;
      response.writeHead(range ? 206 : 200, { 'transfer-encoding': 'chunked' });
      response.write(bytes.subarray(0, 1000));
      response.end(bytes.subarray(1000));
    });
    const store = storeOnServer();
    try {
      const whole = Buffer.concat(await (await store.open(digest)).toArray());
      const part = Buffer.concat(await (await store.open(digest, { start: 10, end: 5009 })).toArray());

      expect(whole.equals(body)).toBe(true);
      expect(part.equals(body.subarray(10, 5010))).toBe(true);
      // Each open: the presigned GET, then the SDK's signed one.
      expect(requests.map((r) => [r.url!.includes('X-Amz-Signature'), r.headers.authorization !== undefined])).toEqual([
        [true, false],
        [false, true],
        [true, false],
        [false, true],
      ]);
    } finally {
      await store.close();
    }
  });
});
