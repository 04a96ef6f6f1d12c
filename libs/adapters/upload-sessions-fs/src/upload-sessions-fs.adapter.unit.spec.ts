/**
 * What the file adapter adds to the port's contract: a session record left unreadable by a crash
 * mid-write is a session that is gone (never a 500, never a start that fails), and opening the
 * store removes it with the sessions abandoned for a day; a holder (the link by digest) whose
 * link is gone, or that a crash cut short, is not named, and a link written before holders were
 * kept is only not found by digest.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsUploadSessionStore, openUploadSessions } from './upload-sessions-fs.adapter';

describe('FsUploadSessionStore', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'wharf-oci-uploads-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('should answer an unreadable session record as no session, and remove it when opened', async () => {
    const dir = join(root, 'oci-uploads');
    const sessions = new FsUploadSessionStore(dir);
    const session = await sessions.start('ns/app');
    writeFileSync(join(dir, `${session.id}.json`), '{"repository":"ns/a');
    expect(await sessions.get('ns/app', session.id)).toBeNull();
    await openUploadSessions(dir);
    expect(existsSync(join(dir, `${session.id}.json`))).toBe(false);
    expect(existsSync(join(dir, `${session.id}.data`))).toBe(false);
  });

  it('should remove at open the sessions older than the age it is given (WHARF_OCI_UPLOAD_MAX_AGE_SECONDS)', async () => {
    const dir = join(root, 'oci-uploads');
    const session = await new FsUploadSessionStore(dir).start('ns/app');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await (await openUploadSessions(dir, 60_000)).get('ns/app', session.id)).not.toBeNull();
    expect(await (await openUploadSessions(dir, 10)).get('ns/app', session.id)).toBeNull();
  });

  it('should not name a holder whose link is gone, nor one a crash cut short', async () => {
    const dir = join(root, 'oci-uploads');
    const sessions = new FsUploadSessionStore(dir);
    const hex = 'a'.repeat(64);
    await sessions.link('ns/kept', hex);
    const holders = join(dir, 'holders', hex);
    // Left by a crash between a holder's write and its link's removal, and one cut short mid-write.
    writeFileSync(join(holders, sha256('ns/gone')), 'ns/gone');
    writeFileSync(join(holders, sha256('ns/cut-short')), 'ns/cut');
    await sessions.link('ns/cut', hex);
    expect(await sessions.holders(`sha256:${hex}`, 10)).toEqual(['ns/cut', 'ns/kept'].sort(bySha256));
    await sessions.link('ns/cut-short', hex);
    await sessions.unlink('ns/cut', hex);
    expect(await sessions.holders(`sha256:${hex}`, 10)).toEqual(['ns/cut-short', 'ns/kept'].sort(bySha256));
  });

  it('should not find by digest a link written before holders were kept, until it is linked again', async () => {
    const dir = join(root, 'oci-uploads');
    const sessions = new FsUploadSessionStore(dir);
    const hex = 'b'.repeat(64);
    mkdirSync(join(dir, 'links', sha256('ns/old')), { recursive: true });
    writeFileSync(join(dir, 'links', sha256('ns/old'), hex), '');
    expect(await sessions.linked('ns/old', hex)).toBe(true);
    expect(await sessions.holders(`sha256:${hex}`, 10)).toEqual([]);
    await sessions.link('ns/old', hex);
    expect(await sessions.holders(`sha256:${hex}`, 10)).toEqual(['ns/old']);
  });
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function bySha256(a: string, b: string): number {
  return sha256(a).localeCompare(sha256(b));
}
