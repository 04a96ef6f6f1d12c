import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { PayloadTooLargeError } from '@wharf/http';
import { boundedStream } from './body-limits';

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
