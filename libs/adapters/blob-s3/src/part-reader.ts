/**
 * A blob's bytes as S3's multipart uploads take them: a stream cut into parts of the sizes asked
 * for, every byte hashed on the way (a streamed blob's digest is known only at its end).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobInfo } from '@wharf/ports';
import { NAME } from './s3-limits';

/** Cuts a byte stream into parts of a requested size, hashing every byte on the way. */
export class PartReader {
  size = 0;
  private readonly hash = createHash('sha256');
  private readonly chunks: AsyncIterator<unknown>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;
  private hex: string | undefined;

  constructor(source: Readable) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  /**
   * The next `length` bytes, or fewer when the stream ends; `last` when nothing follows. Reads
   * one byte past the part first, so a last part is never empty (except for an empty stream).
   */
  async next(length: number): Promise<{ part: Buffer; last: boolean }> {
    while (this.pendingBytes <= length && !this.ended) {
      const { done, value } = await this.chunks.next();
      if (done) {
        this.ended = true;
        break;
      }
      const chunk = toBuffer(value);
      if (chunk.length === 0) continue;
      this.hash.update(chunk);
      this.size += chunk.length;
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const part = this.take(Math.min(length, this.pendingBytes));
    return { part, last: this.ended && this.pendingBytes === 0 };
  }

  /** The sha256 of every byte read; call once the stream is done. */
  digest(): string {
    this.hex ??= this.hash.digest('hex');
    return this.hex;
  }

  /** Cuts `length` bytes off the pending chunks: no copy when the first chunk holds them all. */
  private take(length: number): Buffer {
    const head = this.pending[0];
    let part: Buffer;
    if (head && head.length >= length) {
      part = head.subarray(0, length);
      this.pending[0] = head.subarray(length);
    } else {
      part = Buffer.allocUnsafe(length);
      let offset = 0;
      while (offset < length) {
        // The caller asks for no more than is pending.
        const chunk = this.pending[0]!;
        const n = Math.min(chunk.length, length - offset);
        chunk.copy(part, offset, 0, n);
        offset += n;
        this.pending[0] = chunk.subarray(n);
        if (this.pending[0].length === 0) this.pending.shift();
      }
    }
    if (this.pending[0]?.length === 0) this.pending.shift();
    this.pendingBytes -= length;
    return part;
  }
}

export async function hashOnly(source: Readable): Promise<BlobInfo> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const value of source) {
    const chunk = toBuffer(value);
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: hash.digest('hex'), size };
}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value);
  throw new TypeError(`${NAME}: the stream yielded a ${typeof value}, not bytes`);
}

/** A Buffer as a stream's chunks of at most `size` bytes, without copies. */
export function* slices(bytes: Buffer, size: number): Generator<Buffer> {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}
