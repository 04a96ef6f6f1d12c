/**
 * OCI upload sessions as files (the embedded profile: `<data>/oci-uploads`):
 *   <root>/<id>.json   the session: repository, start time
 *   <root>/<id>.data   its bytes so far
 *   <root>/links/<sha256 of the repository>/<digest>   an empty file: the repository holds that blob
 *   <root>/links/<sha256 of the repository>/sha512-<hex>   an alias: the sha256 hex it names
 *   <root>/holders/<digest>/<sha256 of the repository>   the repository's name: it holds that blob
 *   <root>/holders/sha512-<hex>/<sha256 of the repository>   the same for an alias
 * The holders are the links read the other way round (`holders`, a mount that names no
 * repository): written after the link and removed before it, so a crash between leaves a link
 * that is only not found by digest, and a holder is returned only while its link is there (one
 * left by a crash, or a race of a link with an unlink, is skipped). Links written before the
 * holders were kept have none (their directories name a hash, not the repository): such a blob
 * is found again once a push or a mount links it anew.
 * A chunk is appended to the data file as it streams in (never held in memory); a chunk that
 * fails or passes the bound is cut off again (truncate to the old size), so the file always
 * ends where the last whole chunk ended. Chunks of a session are appended one at a time
 * (a queue per id, in this process; the embedded profile has one). `open` and `seal` seal the
 * session (`sealed` in its record, written whole under another name and renamed): no chunk after
 * it, and `seal` only once.
 * A session's last activity is its data file's modification time (a kept chunk writes it; a
 * refused one writes nothing, or is cut off again, which sets it too: a client still sending).
 */
import { createHash, randomUUID } from 'node:crypto';
import { isSha256Hex, isSha512Hex, ociDigestOrNull } from '@wharf/domain';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertHoldersLimit,
  UploadOffsetMismatchError,
  UploadSession,
  UploadSessionNotFoundError,
  UploadSessionStore,
  UploadTooLargeError,
} from '@wharf/ports';
import { SerialByKey } from '@wharf/collections';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface SessionRecord {
  repository: string;
  startedAt: string;
  /** Opened to be finished: takes no more chunks. */
  sealed?: boolean;
}

export class FsUploadSessionStore implements UploadSessionStore {
  private readonly serial = new SerialByKey();
  /** Chunks are appended to a file: any size costs the same. */
  readonly minChunkBytes = 0;

  constructor(private readonly root: string) {}

  async start(repository: string): Promise<UploadSession> {
    await fs.mkdir(this.root, { recursive: true });
    const id = randomUUID();
    const startedAt = new Date();
    await fs.writeFile(this.dataPath(id), Buffer.alloc(0), { flag: 'wx' });
    const record: SessionRecord = { repository, startedAt: startedAt.toISOString() };
    await fs.writeFile(this.recordPath(id), JSON.stringify(record), { flag: 'wx' });
    return { id, repository, size: 0, startedAt };
  }

  async get(repository: string, id: string): Promise<UploadSession | null> {
    if (!ID.test(id)) return null;
    const record = await this.record(id);
    if (!record || record.repository !== repository) return null;
    const stat = await fs.stat(this.dataPath(id)).catch(() => null);
    if (!stat) return null;
    return { id, repository, size: stat.size, startedAt: new Date(record.startedAt) };
  }

  /** Nothing but the chunk passes through memory. */
  async heldBytes(): Promise<number> {
    return 0;
  }

  append(repository: string, id: string, offset: number, content: Readable, maxBytes: number): Promise<UploadSession> {
    return this.serial.run(id, async () => {
      const session = await this.require(repository, id);
      if ((await this.record(id))?.sealed) throw new UploadSessionNotFoundError(id);
      if (offset !== session.size) throw new UploadOffsetMismatchError(id, session.size, offset);
      let size = session.size;
      try {
        await pipeline(
          content,
          async function* (chunks: AsyncIterable<Buffer>) {
            for await (const chunk of chunks) {
              size += chunk.length;
              if (size > maxBytes) throw new UploadTooLargeError(id, maxBytes);
              yield chunk;
            }
          },
          createWriteStream(this.dataPath(id), { flags: 'a' }),
        );
        const handle = await fs.open(this.dataPath(id), 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (error) {
        await fs.truncate(this.dataPath(id), session.size).catch(() => undefined);
        throw error;
      }
      return { ...session, size };
    });
  }

  open(repository: string, id: string): Promise<Readable> {
    return this.serial.run(id, async () => {
      await this.require(repository, id);
      await this.markSealed(id);
      return this.stream(id);
    });
  }

  seal(repository: string, id: string): Promise<UploadSession> {
    return this.serial.run(id, async () => {
      const session = await this.require(repository, id);
      if (!(await this.markSealed(id))) throw new UploadSessionNotFoundError(id);
      return session;
    });
  }

  /** Seals the session's record (written whole under another name and renamed); false when it was sealed already. */
  private async markSealed(id: string): Promise<boolean> {
    const record = await this.record(id);
    if (!record || record.sealed) return false;
    const temporary = `${this.recordPath(id)}.${randomUUID()}.tmp`;
    await fs.writeFile(temporary, JSON.stringify({ ...record, sealed: true }));
    await fs.rename(temporary, this.recordPath(id));
    return true;
  }

  private stream(id: string): Readable {
    return createReadStream(this.dataPath(id), { highWaterMark: 256 * 1024 });
  }

  async delete(repository: string, id: string): Promise<boolean> {
    if (!(await this.get(repository, id))) return false;
    await this.remove(id);
    return true;
  }

  async link(repository: string, digest: string): Promise<void> {
    if (!isSha256Hex(digest)) throw new Error(`not a sha256 digest: ${digest}`);
    const dir = this.linksOf(repository);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(join(dir, digest), '');
    await this.putHolder(digest, repository);
  }

  async linked(repository: string, digest: string): Promise<boolean> {
    if (!isSha256Hex(digest)) return false;
    return (await fs.stat(join(this.linksOf(repository), digest)).catch(() => null)) !== null;
  }

  async unlink(repository: string, digest: string): Promise<boolean> {
    if (!(await this.linked(repository, digest))) return false;
    await fs.rm(this.holderPath(digest, repository), { force: true });
    await fs.rm(join(this.linksOf(repository), digest), { force: true });
    return true;
  }

  async linkAlias(repository: string, alias: string, digest: string): Promise<void> {
    const name = aliasFile(alias);
    if (name === null) throw new Error(`not a sha512 digest: ${alias}`);
    await this.link(repository, digest);
    const dir = this.linksOf(repository);
    // Written whole under another name, then renamed: a crash leaves the old target or the new one.
    const temporary = join(dir, `${name}.${randomUUID()}.tmp`);
    await fs.writeFile(temporary, digest);
    await fs.rename(temporary, join(dir, name));
    await this.putHolder(name, repository);
  }

  async resolveAlias(repository: string, alias: string): Promise<string | null> {
    const name = aliasFile(alias);
    if (name === null) return null;
    const target = await fs.readFile(join(this.linksOf(repository), name), 'utf8').catch(() => null);
    return target !== null && isSha256Hex(target) ? target : null;
  }

  async unlinkAlias(repository: string, alias: string): Promise<boolean> {
    if ((await this.resolveAlias(repository, alias)) === null) return false;
    await fs.rm(this.holderPath(aliasFile(alias)!, repository), { force: true });
    await fs.rm(join(this.linksOf(repository), aliasFile(alias)!), { force: true });
    return true;
  }

  /** In the order of the repositories' hashes (the holders' file names). */
  async holders(digest: string, limit: number): Promise<string[]> {
    assertHoldersLimit(limit);
    const parsed = ociDigestOrNull(digest);
    if (parsed === null) return [];
    const [name, holds]: [string, (repository: string) => Promise<boolean>] =
      parsed.algorithm === 'sha256'
        ? [parsed.hex, (repository) => this.linked(repository, parsed.hex)]
        : [aliasFile(digest)!, (repository) => this.resolvesAlias(repository, digest)];
    const files = await fs.readdir(join(this.root, 'holders', name)).catch(() => [] as string[]);
    const found: string[] = [];
    for (const file of files.filter(isSha256Hex).sort()) {
      if (found.length === limit) break;
      const repository = await fs.readFile(join(this.root, 'holders', name, file), 'utf8').catch(() => null);
      // A file cut short by a crash names another hash; a holder whose link is gone is stale.
      if (repository === null || sha256Of(repository) !== file || !(await holds(repository))) continue;
      found.push(repository);
    }
    return found;
  }

  private async resolvesAlias(repository: string, alias: string): Promise<boolean> {
    return (await this.resolveAlias(repository, alias)) !== null;
  }

  /** Records that `repository` holds `name` (a sha256 hex or an alias's file name), whole or not at all. */
  private async putHolder(name: string, repository: string): Promise<void> {
    const path = this.holderPath(name, repository);
    await fs.mkdir(join(this.root, 'holders', name), { recursive: true });
    const temporary = `${path}.${randomUUID()}.tmp`;
    await fs.writeFile(temporary, repository);
    await fs.rename(temporary, path);
  }

  private holderPath(name: string, repository: string): string {
    return join(this.root, 'holders', name, sha256Of(repository));
  }

  async expire(before: Date): Promise<number> {
    const names = await fs.readdir(this.root).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      const record = await this.record(id);
      if (record === null || (await this.lastActivity(id, record)) < before) {
        await this.remove(id);
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.serial.idle();
  }

  private async require(repository: string, id: string): Promise<UploadSession> {
    const session = await this.get(repository, id);
    if (!session) throw new UploadSessionNotFoundError(id);
    return session;
  }

  /** A session's record; null when there is none, or when it is unreadable (a crash mid-write): that session is gone. */
  private async record(id: string): Promise<SessionRecord | null> {
    const text = await fs.readFile(this.recordPath(id), 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      return JSON.parse(text) as SessionRecord;
    } catch {
      return null;
    }
  }

  /** When the session last changed: its start, or its data file's last write. */
  private async lastActivity(id: string, record: SessionRecord): Promise<Date> {
    const written = (await fs.stat(this.dataPath(id)).catch(() => null))?.mtimeMs ?? 0;
    return new Date(Math.max(Date.parse(record.startedAt), written));
  }

  private async remove(id: string): Promise<void> {
    await fs.rm(this.recordPath(id), { force: true });
    await fs.rm(this.dataPath(id), { force: true });
  }

  private linksOf(repository: string): string {
    return join(this.root, 'links', sha256Of(repository));
  }

  private recordPath(id: string): string {
    return join(this.root, `${id}.json`);
  }

  private dataPath(id: string): string {
    return join(this.root, `${id}.data`);
  }
}

/** How long an OCI upload session may stay unfinished, unless the caller says (WHARF_OCI_UPLOAD_MAX_AGE_SECONDS). */
export const UPLOAD_SESSION_MAX_AGE_MS = 24 * 3600_000;

/** The sessions under `root`, those older than `maxAgeMs` (or unreadable) removed first. */
export async function openUploadSessions(
  root: string,
  maxAgeMs = UPLOAD_SESSION_MAX_AGE_MS,
): Promise<FsUploadSessionStore> {
  const sessions = new FsUploadSessionStore(root);
  await sessions.expire(new Date(Date.now() - maxAgeMs));
  return sessions;
}

/** The file name of alias `sha512:<hex>`; null for anything else. */
function aliasFile(alias: string): string | null {
  const hex = alias.startsWith('sha512:') ? alias.slice('sha512:'.length) : null;
  return hex !== null && isSha512Hex(hex) ? `sha512-${hex}` : null;
}

function sha256Of(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
