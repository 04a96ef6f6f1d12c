/**
 * What the file adapter adds to the port's contract: a session record left unreadable by a crash
 * mid-write is a session that is gone (never a 500, never a start that fails), and opening the
 * store removes it with the sessions abandoned for a day.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
});
