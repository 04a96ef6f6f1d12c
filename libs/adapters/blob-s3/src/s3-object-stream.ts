/**
 * One object's GET over a plain-HTTP connection of its own, read without the AWS SDK: what
 * `S3BlobStore.open` serves large blobs with when the endpoint is `http:`.
 *
 * Why not the SDK: its GetObject body came through the SDK's handler and stream wrappers as a new
 * buffer per socket read; relaying a 5 MB blob cost the gateway five times the CPU of
 * Distribution relaying the same object from the same S3. Here the socket reads into buffers the
 * stream owns (net's `onread`), so nothing is allocated per chunk when the body is piped into an
 * HTTP response, and nothing sits between the socket and the response but a write.
 *
 * The request is signed as a presigned URL (signed locally, see `S3ObjectUrls`), sent with
 * `Connection: close`: the connection is the body's, closed when the body ends or the stream is
 * destroyed (a client that went away), so no socket outlives its download. The answer's head is
 * read before `openObject` resolves: 200 with a Content-Length is a stream of the body, one
 * without (chunked) rejects with `S3UnframedBodyError` (206 for a
 * GET of a byte range, sent as `Range: bytes=start-end`), any other
 * status rejects with `S3ResponseError` (its `statusCode` and S3's error `code`), a connection
 * that fails or stalls for `timeoutMs` with node's socket error or a `TimeoutError`.
 */
import { connect, Socket } from 'node:net';
import { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { NAME } from './s3-limits';

/**
 * Bytes per socket read: a 5 MB body in about twenty reads, each written to the response as it
 * is (at most two of them buffered per download in flight).
 */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Read buffers of finished GETs, taken by the next ones: a buffer outside the JS heap per GET
 * (two of 256 KiB) would make V8 collect the whole heap every few downloads, as a buffer per
 * chunk did in blob-fs. At most this many are kept.
 */
const SPARE_BUFFERS_KEPT = 16;
const spareBuffers: Buffer[] = [];

/** An answer's head larger than this is not S3's. */
const MAX_HEAD_BYTES = 64 * 1024;

/** How much of an error answer's body is kept for its `<Code>`. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** S3 answered something other than 200 (206 for a range) to a GET; `code` is its XML error's `<Code>` when it sent one. */
export class S3ResponseError extends Error {
  /** The status where the SDK's errors keep it, so the adapter reads both alike (s3-outage.ts). */
  readonly $metadata: { httpStatusCode: number };

  constructor(
    readonly statusCode: number,
    readonly code: string | undefined,
    key: string,
  ) {
    super(`${NAME}: GET ${key} answered ${statusCode}${code ? ` ${code}` : ''}`);
    this.name = code ?? 'S3ResponseError';
    this.$metadata = { httpStatusCode: statusCode };
  }
}

/**
 * S3 answered the GET with a body this reader does not frame (chunked, or without a
 * Content-Length, as some S3-compatible servers send): the connection is closed, and the caller
 * reads the object another way (the adapter: the SDK's GetObject).
 */
export class S3UnframedBodyError extends Error {
  constructor(key: string) {
    super(`${NAME}: GET ${key}: S3 answered without a Content-Length`);
    this.name = 'S3UnframedBodyError';
  }
}

/**
 * Sends a GET of `url` (an object's presigned URL, `http:`), of only bytes `range.start` to
 * `range.end` (inclusive) when given, and resolves once the answer's head is in.
 */
export function openObject(
  url: URL,
  key: string,
  timeoutMs: number,
  range?: { start: number; end: number },
): Promise<S3ObjectStream> {
  return new Promise((resolve, reject) => new S3ObjectStream(url, key, timeoutMs, range, resolve, reject));
}

interface Head {
  status: number;
  length: number | null;
}

/**
 * The body of one GET. Read as any stream, each chunk is a copy (the reader may keep it). Piped
 * into an HTTP response, the socket reads into two buffers this stream reuses, each only once
 * the response has handed the bytes written from it to its socket (the write's callback), as
 * blob-fs's FileBlobStream does for files.
 */
export class S3ObjectStream extends Readable {
  /** The body's length, from the answer's Content-Length. */
  length = 0;
  /** The status a body comes with: 206 for a ranged GET (a 200 would be the whole object), else 200. */
  private readonly bodyStatus: number;
  private readonly socket: Socket;
  private readonly buffers = [takeBuffer(), takeBuffer()];
  private buffersReturned = false;
  private next = 0;
  private phase: 'head' | 'error-body' | 'body' | 'done' = 'head';
  private head: Buffer[] = [];
  private headBytes = 0;
  private errorHead: Head | null = null;
  /** Body bytes that arrived with the head, sent first. */
  private early: Buffer | null = null;
  private remaining = 0;
  private response: ServerResponse | null = null;
  /** Writes to `response` not yet handed to its socket (0, 1 or 2). */
  private writing = 0;
  /** The socket is paused until the reader or the response takes more. */
  private waitingOnReader = false;
  /** A reader asked for the body (`_read`) or a response took it (`pipe`): until then, S3's silence still counts. */
  private taken = false;
  /** The read timeout went off while waiting on the reader: armed again when reading resumes. */
  private timerLapsed = false;

  constructor(
    url: URL,
    private readonly key: string,
    private readonly timeoutMs: number,
    range: { start: number; end: number } | undefined,
    private readonly opened: (stream: S3ObjectStream) => void,
    private readonly failed: (error: Error) => void,
  ) {
    super({ highWaterMark: READ_CHUNK_BYTES });
    this.bodyStatus = range ? 206 : 200;
    this.socket = connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 80),
      // net calls `buffer` after each read for the next one, and `callback` with the one read into.
      onread: { buffer: () => this.buffers[this.next]!, callback: (bytes, buffer) => this.received(bytes, buffer) },
    });
    this.socket.setNoDelay(true);
    this.socket.setTimeout(timeoutMs);
    this.socket.on('timeout', () => {
      // Opened and never read (its caller threw before sending it): closed, so its socket and
      // buffers are not kept forever. Nobody listens for an error on it, so it ends without one.
      if (this.phase === 'body' && !this.taken) return void this.destroy();
      // Paused for a slow reader is not S3's silence.
      if (this.waitingOnReader) return void (this.timerLapsed = true);
      const error = new Error(`${NAME}: GET ${key}: no bytes from S3 for ${timeoutMs} ms`);
      error.name = 'TimeoutError';
      this.socket.destroy(error);
    });
    this.socket.on('error', (error) => {
      if (!this.bodyReceived()) this.fail(error);
    });
    this.socket.on('close', () => {
      if (this.phase !== 'done' && !this.bodyReceived())
        this.fail(new Error(`${NAME}: GET ${key}: S3 closed the connection early`));
    });
    // Range is not among the URL's signed headers: S3 takes it unsigned.
    const rangeHeader = range ? `Range: bytes=${range.start}-${range.end}\r\n` : '';
    this.socket.write(
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${rangeHeader}Connection: close\r\n\r\n`,
    );
  }

  override _read(): void {
    this.taken = true;
    if (this.phase !== 'body' || this.response) return;
    if (this.early) {
      const early = this.early;
      this.early = null;
      if (!this.pushBody(early)) return;
    } else if (this.remaining === 0) {
      this.phase = 'done';
      this.push(null);
      return;
    }
    this.readMore();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.phase = 'done';
    this.socket.destroy();
    this.returnBuffers();
    callback(error);
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    // Bytes already in the stream's buffer (pushed for a reader that never took them) go first:
    // the relay writes only what the socket reads next, so such a stream pipes as streams do.
    if (
      !(destination instanceof ServerResponse) ||
      options?.end === false ||
      this.readableDidRead ||
      this.readableLength > 0 ||
      this.destroyed
    )
      return super.pipe(destination, options);
    this.relayTo(destination);
    return destination;
  }

  /** Writes the body into `response` from the socket's two buffers, then ends both. */
  private relayTo(response: ServerResponse): void {
    this.response = response;
    this.taken = true;
    // A response closed before the body was all written (a client gone): the upstream goes too.
    response.once('close', () => {
      if (this.phase !== 'done') this.destroy();
    });
    if (this.early) {
      const early = this.early;
      this.early = null;
      this.write(early); // the last write finishes
      if (this.remaining > 0) this.readMore();
    } else if (this.remaining === 0) this.finish();
    else this.readMore();
  }

  /** One socket read landed in `this.buffers[this.next]`; false pauses the socket. */
  private received(bytes: number, buffer: Uint8Array): boolean {
    if (this.phase === 'head' || this.phase === 'error-body') return this.receivedHead(buffer.subarray(0, bytes));
    if (this.phase !== 'body') return false;
    const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, Math.min(bytes, this.remaining));
    this.remaining -= chunk.length;
    if (!this.response) return this.waitUnless(this.pushBody(Buffer.from(chunk)));
    this.next ^= 1;
    this.write(chunk);
    // The other buffer is still being written: no read into it until it is free.
    return this.waitUnless(this.writing < 2);
  }

  /** `more`, the answer to net's read callback; when false, the socket waits on the reader. */
  private waitUnless(more: boolean): boolean {
    if (!more) this.waitingOnReader = true;
    return more;
  }

  private readMore(): void {
    this.waitingOnReader = false;
    if (this.timerLapsed) {
      this.timerLapsed = false;
      this.socket.setTimeout(this.timeoutMs);
    }
    this.socket.resume(); // a no-op when it is reading
  }

  private write(chunk: Buffer): void {
    const response = this.response!;
    this.writing++;
    const last = this.remaining === 0;
    response.write(chunk, (error) => {
      this.writing--;
      if (this.destroyed) return this.returnBuffers();
      // The response's socket is gone: the rest of the body is not read from S3 for nothing.
      if (error) return void this.destroy();
      if (last) this.finish();
      else if (this.writing < 2) this.readMore();
    });
  }

  /**
   * Gives the read buffers to the next GETs once nothing can touch them: the socket is closed (no
   * read lands in them any more) and no write from them is in flight (what the stream pushed to a
   * reader were copies).
   */
  private returnBuffers(): void {
    if (this.buffersReturned || this.writing > 0 || !this.socket.destroyed) return;
    this.buffersReturned = true;
    for (const buffer of this.buffers) if (spareBuffers.length < SPARE_BUFFERS_KEPT) spareBuffers.push(buffer);
  }

  /** Every byte of the body came (S3 may close the connection before the last is written on). */
  private bodyReceived(): boolean {
    return this.phase === 'body' && this.remaining === 0;
  }

  /** The whole body was written: the response ends, then this stream ('end', 'close'), as after a pipe. */
  private finish(): void {
    this.phase = 'done';
    this.socket.destroy();
    this.returnBuffers();
    this.response!.end();
    this.push(null);
    this.resume();
  }

  private pushBody(chunk: Buffer): boolean {
    const more = this.push(chunk);
    if (this.remaining === 0) {
      this.phase = 'done';
      this.socket.destroy();
      this.returnBuffers();
      this.push(null);
      return false;
    }
    return more;
  }

  private receivedHead(bytes: Uint8Array): boolean {
    this.head.push(Buffer.from(bytes));
    this.headBytes += bytes.length;
    const all = Buffer.concat(this.head);
    if (this.phase === 'error-body') return this.receivedErrorBody(all);
    const end = all.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.headBytes > MAX_HEAD_BYTES) this.fail(new Error(`${NAME}: GET ${this.key}: answer head too large`));
      return true;
    }
    const head = parseHead(all.subarray(0, end).toString('latin1'));
    const rest = all.subarray(end + 4);
    this.head = [rest];
    this.headBytes = rest.length;
    if (head === null) {
      this.fail(new Error(`${NAME}: GET ${this.key}: S3 sent an answer that is not HTTP/1.1`));
      return false;
    }
    if (head.status !== this.bodyStatus) {
      this.phase = 'error-body';
      this.errorHead = head;
      return this.receivedErrorBody(rest);
    }
    if (head.length === null) {
      this.fail(new S3UnframedBodyError(this.key));
      return false;
    }
    this.phase = 'body';
    this.head = [];
    this.length = head.length;
    this.remaining = head.length;
    if (rest.length > 0) {
      this.early = rest.subarray(0, Math.min(rest.length, this.remaining));
      this.remaining -= this.early.length;
    }
    this.opened(this);
    // Paused until a reader or a response takes the body.
    return this.waitUnless(false);
  }

  /** Collects an error answer's body (up to its length, or MAX_ERROR_BODY_BYTES), then fails with its code. */
  private receivedErrorBody(body: Buffer): boolean {
    const head = this.errorHead!;
    const complete = head.length === null ? body.length >= MAX_ERROR_BODY_BYTES : body.length >= head.length;
    if (!complete && body.length < MAX_ERROR_BODY_BYTES) return true;
    const code = /<Code>([^<]{1,100})<\/Code>/.exec(body.toString('utf8'))?.[1];
    this.fail(new S3ResponseError(head.status, code, this.key));
    return false;
  }

  /** Before the head: the open fails. After: the stream is destroyed with the error. */
  private fail(error: Error): void {
    if (this.phase === 'done') return;
    if (
      this.phase === 'error-body' &&
      this.errorHead &&
      error.name !== 'TimeoutError' &&
      !(error instanceof S3ResponseError)
    ) {
      // The server closed after an error answer without a length: its body is what came.
      const code = /<Code>([^<]{1,100})<\/Code>/.exec(Buffer.concat(this.head).toString('utf8'))?.[1];
      error = new S3ResponseError(this.errorHead.status, code, this.key);
    }
    const opening = this.phase === 'head' || this.phase === 'error-body';
    this.phase = 'done';
    this.socket.destroy();
    this.returnBuffers();
    if (opening) this.failed(error);
    else this.destroy(error);
  }
}

function takeBuffer(): Buffer {
  return spareBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
}

/** Status and Content-Length of an HTTP/1.1 answer's head; null when it is not one. */
function parseHead(text: string): Head | null {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1];
  if (!status) return null;
  let length: number | null = null;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length' && /^\d+$/.test(value)) length = Number(value);
    // A chunked body has no Content-Length to trust (RFC 9112 §6.3): not an answer this reader takes.
    if (name === 'transfer-encoding') return { status: Number(status), length: null };
  }
  return { status: Number(status), length };
}
