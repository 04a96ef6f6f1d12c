import { FsUploadSessionStore } from '@wharf/adapters/upload-sessions-fs';
import { WharfConfig } from '@wharf/config';
import { BlobUploadUnknownError, DigestInvalidError, OPEN_CALLER } from '@wharf/domain';
import {
  BlobDigestMismatchError,
  BlobInfo,
  BlobStore,
  DependencyUnavailableError,
  PackageCommands,
  UploadSessionStore,
} from '@wharf/ports';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { ArchiveInspectionPool } from '../../archive/archive-inspection-pool';
import { PushAdmission } from '../../auth/push-admission';
import { ChangePackageUseCases } from '../change-package.use-cases';
import { ReleasePublisher } from '../release-publisher';
import { MOUNT_CANDIDATES, OciPushesUseCases } from './oci-pushes.use-cases';
import { OciReadsUseCases } from './oci-reads.use-cases';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const repo = { caller: OPEN_CALLER, namespace: 'team', name: 'app' };

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The session store's calls, by method name, as the use case makes them. */
function recording(store: UploadSessionStore, calls: string[]): UploadSessionStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** A blob store in memory that verifies digests as the real ones do, and says when a put starts reading. */
class BlobsInMemory {
  readonly stored = new Map<string, Buffer>();
  private started!: () => void;
  readonly reading = new Promise<void>((resolve) => (this.started = resolve));

  async put(content: Buffer | Readable, expected?: string): Promise<BlobInfo> {
    this.started();
    const bytes = Buffer.isBuffer(content) ? content : await bytesOf(content);
    const actual = sha256(bytes);
    if (expected !== undefined && actual !== expected) throw new BlobDigestMismatchError(expected, actual, 'memory');
    this.stored.set(actual, bytes);
    return { digest: actual, size: bytes.length, storedAt: new Date() } as BlobInfo;
  }
}

describe('OciPushesUseCases blob uploads', () => {
  let root: string;
  let store: FsUploadSessionStore;
  let calls: string[];
  let blobs: BlobsInMemory;
  let pushes: OciPushesUseCases;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'wharf-oci-pushes-'));
    store = new FsUploadSessionStore(join(root, 'oci-uploads'));
    calls = [];
    blobs = new BlobsInMemory();
    const admission = {
      admit: async () => ({ namespace: 'team', maxBlobBytes: 1024 * 1024, maxStorageBytes: 0, allowOverwrites: false }),
    } as unknown as PushAdmission;
    pushes = new OciPushesUseCases(
      admission,
      {} as OciReadsUseCases,
      {} as ReleasePublisher,
      {} as ChangePackageUseCases,
      {} as ArchiveInspectionPool,
      blobs as unknown as BlobStore,
      recording(store, calls),
      {} as PackageCommands,
      {} as WharfConfig,
    );
  });

  afterEach(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  const finish = (id: string, body: Readable | null, digest: string) =>
    pushes.finishUpload({ ...repo, id, digest, range: null, body });

  it('should stream a PUT carrying the whole blob into an empty session straight into the blob store, never through the session', async () => {
    const blob = randomBytes(64 * 1024);
    const { id } = await store.start('team/app');
    const done = await finish(id, Readable.from([blob]), `sha256:${sha256(blob)}`);
    expect(done).toEqual({ repository: 'team/app', digest: `sha256:${sha256(blob)}` });
    expect(blobs.stored.get(sha256(blob))?.equals(blob)).toBe(true);
    // No byte of it written to the session or read back from it: only its bookkeeping.
    expect(calls.filter((call) => call === 'append' || call === 'open')).toEqual([]);
    expect(await store.linked('team/app', sha256(blob))).toBe(true);
    expect(await store.get('team/app', id)).toBeNull();
  });

  it('should refuse a chunk or another PUT sent to the session while that PUT streams (BLOB_UPLOAD_UNKNOWN), and keep the blob whole', async () => {
    const blob = randomBytes(64 * 1024);
    const { id } = await store.start('team/app');
    const body = new PassThrough();
    body.write(blob.subarray(0, 1000));
    const put = finish(id, body, `sha256:${sha256(blob)}`);
    await blobs.reading;
    await expect(
      pushes.appendChunk({ ...repo, id, range: null, body: Readable.from([Buffer.from('late chunk')]) }),
    ).rejects.toBeInstanceOf(BlobUploadUnknownError);
    await expect(finish(id, Readable.from([blob]), `sha256:${sha256(blob)}`)).rejects.toBeInstanceOf(
      BlobUploadUnknownError,
    );
    // Refused, they leave the session to the PUT that sealed it.
    expect(await store.get('team/app', id)).not.toBeNull();
    body.end(blob.subarray(1000));
    expect(await put).toEqual({ repository: 'team/app', digest: `sha256:${sha256(blob)}` });
    expect(blobs.stored.get(sha256(blob))?.equals(blob)).toBe(true);
    expect(await store.get('team/app', id)).toBeNull();
  });

  it('should remove the session when a PUT carrying the whole blob fails after sealing it (503), so its retry is BLOB_UPLOAD_UNKNOWN', async () => {
    const blob = randomBytes(1000);
    const { id } = await store.start('team/app');
    blobs.put = async () => {
      throw new DependencyUnavailableError('S3', { cause: new Error('connection refused') });
    };
    await expect(finish(id, Readable.from([blob]), `sha256:${sha256(blob)}`)).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
    expect(await store.get('team/app', id)).toBeNull();
    // The client's retry: a clean 404, and it starts the upload again.
    await expect(finish(id, Readable.from([blob]), `sha256:${sha256(blob)}`)).rejects.toBeInstanceOf(
      BlobUploadUnknownError,
    );
  });

  it('should answer DIGEST_INVALID to a PUT whose whole blob hashes otherwise, store nothing and end the session', async () => {
    const blob = randomBytes(1000);
    const claimed = `sha256:${sha256(Buffer.from('another blob'))}`;
    const { id } = await store.start('team/app');
    await expect(finish(id, Readable.from([blob]), claimed)).rejects.toBeInstanceOf(DigestInvalidError);
    expect(blobs.stored.size).toBe(0);
    expect(await store.get('team/app', id)).toBeNull();
    await expect(finish(id, null, claimed)).rejects.toBeInstanceOf(BlobUploadUnknownError);
  });
});

describe('OciPushesUseCases mounts without `from`', () => {
  const hex = 'e'.repeat(64);
  const mount = `sha256:${hex}`;
  let root: string;
  let store: FsUploadSessionStore;
  /** The repositories whose blob the caller may read, and the reads the use case made, in order. */
  let readable: Set<string>;
  let tried: string[];
  let pushes: OciPushesUseCases;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'wharf-oci-mounts-'));
    store = new FsUploadSessionStore(join(root, 'oci-uploads'));
    readable = new Set();
    tried = [];
    const reads = {
      blob: async (path: { namespace: string; name: string }) => {
        const repository = `${path.namespace}/${path.name}`;
        tried.push(repository);
        if (!readable.has(repository)) throw new Error(`${repository}: not found`);
        return { key: hex, size: 1 };
      },
    };
    const admission = {
      admit: async () => ({ namespace: 'team', maxBlobBytes: 1024, maxStorageBytes: 0, allowOverwrites: false }),
    } as unknown as PushAdmission;
    pushes = new OciPushesUseCases(
      admission,
      reads as unknown as OciReadsUseCases,
      {} as ReleasePublisher,
      {} as ChangePackageUseCases,
      {} as ArchiveInspectionPool,
      {} as BlobStore,
      store,
      {} as PackageCommands,
      {} as WharfConfig,
    );
  });

  afterEach(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  const start = (mountDigest: string) =>
    pushes.startUpload({ ...repo, digest: null, mount: mountDigest, from: null, body: null });

  /** `count` repositories holding the blob, in the store's order. */
  async function holders(count: number): Promise<string[]> {
    for (let i = 0; i < count; i++) await store.link(`other${i}/app`, hex);
    return store.holders(mount, count);
  }

  it('should mount from the first holder the caller may read, in the store order, reading none after it', async () => {
    const order = await holders(5);
    readable.add(order[2]!).add(order[4]!);
    expect(await start(mount)).toEqual({ kind: 'blob', repository: 'team/app', digest: mount });
    expect(tried).toEqual(order.slice(0, 3));
    expect(await store.linked('team/app', hex)).toBe(true);
  });

  it(`should try at most ${MOUNT_CANDIDATES} holders, then open a session`, async () => {
    const order = await holders(MOUNT_CANDIDATES + 1);
    readable.add(order[MOUNT_CANDIDATES]!);
    expect(await start(mount)).toMatchObject({ kind: 'session', repository: 'team/app', size: 0 });
    expect(tried).toEqual(order.slice(0, MOUNT_CANDIDATES));
    expect(await store.linked('team/app', hex)).toBe(false);
    readable.add(order[MOUNT_CANDIDATES - 1]!);
    expect(await start(mount)).toMatchObject({ kind: 'blob', digest: mount });
  });

  it('should open a session, reading no repository, for a digest held nowhere or a malformed one', async () => {
    expect(await start(mount)).toMatchObject({ kind: 'session' });
    expect(await start('sha256:nothex')).toMatchObject({ kind: 'session' });
    expect(tried).toEqual([]);
    expect(await store.linked('team/app', hex)).toBe(false);
  });
});
