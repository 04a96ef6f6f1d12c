import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { Server, createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBlobStoreContract } from '@wharf/testing';
import { FsBlobStore } from './blob-fs.adapter';

describeBlobStoreContract('blob-fs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wharf-blobs-'));
  return {
    subject: new FsBlobStore(root),
    strayUploads: () => fs.readdir(join(root, 'uploads')).catch(() => []),
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
});

describe('FsBlobStore.sweepUploads', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'wharf-blobs-sweep-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  async function upload(name: string, writtenAt: Date): Promise<void> {
    await fs.mkdir(join(root, 'uploads'), { recursive: true });
    await fs.writeFile(join(root, 'uploads', name), 'partial');
    await fs.utimes(join(root, 'uploads', name), writtenAt, writtenAt);
  }

  it('should delete the uploads a crash left older than the grace, and keep newer ones and the blobs', async () => {
    const store = new FsBlobStore(root);
    const stored = await store.put(Buffer.from('a blob'));
    const now = Date.now();
    await upload('crashed-long-ago', new Date(now - 2 * 3600_000));
    await upload('in-progress', new Date(now - 60_000));

    expect(await store.sweepUploads(new Date(now - 3600_000))).toBe(1);
    expect(await fs.readdir(join(root, 'uploads'))).toEqual(['in-progress']);
    expect((await store.read(stored.digest)).toString()).toBe('a blob');
  });

  it('should be a no-op when there is no uploads directory', async () => {
    expect(await new FsBlobStore(root).sweepUploads(new Date())).toBe(0);
  });
});

describe('FsBlobStore.open piped into an HTTP response (reused buffers)', () => {
  let root: string;
  let server: Server;
  let store: FsBlobStore;
  let opened: Readable[];
  let url: string;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'wharf-blobs-http-'));
    store = new FsBlobStore(root);
    opened = [];
    server = createServer((request, response) => {
      void store.open(request.url!.slice(1)).then((body) => {
        opened.push(body);
        body.pipe(response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  const closed = (bodies: Readable[]) =>
    Promise.all(bodies.map(async (body) => (body.closed ? undefined : await once(body, 'close'))));
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  /** A download that reads nothing for a while first: the server's socket fills, its writes wait. */
  function slowDownload(path: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      get(`${url}/${path}`, (response) => {
        const chunks: Buffer[] = [];
        response.pause();
        setTimeout(() => response.resume(), 300);
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks)));
        response.on('error', reject);
      }).on('error', reject);
    });
  }

  it('should send every byte of a multi-chunk blob to each of many concurrent slow downloads', async () => {
    const content = randomBytes(12 * 1024 * 1024 + 17);
    const { digest } = await store.put(content);
    const downloads = await Promise.all(Array.from({ length: 6 }, () => slowDownload(digest)));
    for (const bytes of downloads) {
      expect(bytes.length).toBe(content.length);
      expect(sha256(bytes)).toBe(digest);
    }
    await closed(opened);
    expect(opened.every((body) => body.readableEnded && body.destroyed)).toBe(true);
  });

  it('should close the file when the download is abandoned part way', async () => {
    const { digest } = await store.put(randomBytes(8 * 1024 * 1024));
    const response = await fetch(`${url}/${digest}`);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    await closed(opened);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.destroyed).toBe(true);
    expect(opened[0]!.readableEnded).toBe(false);
  });

  it('should pipe as any stream into a destination that is not a response', async () => {
    const content = randomBytes(1024 * 1024 + 5);
    const { digest } = await store.put(content);
    const chunks: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    (await store.open(digest)).pipe(sink);
    await once(sink, 'end');
    expect(sha256(Buffer.concat(chunks))).toBe(digest);
  });
});
