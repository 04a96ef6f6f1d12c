import { FsUploadSessionStore } from '@wharf/adapters/upload-sessions-fs';
import { loadConfig } from '@wharf/config';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadSessionExpiry } from './upload-session-expiry';

describe('UploadSessionExpiry', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'wharf-upload-expiry-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('should remove the sessions older than WHARF_OCI_UPLOAD_MAX_AGE_SECONDS and keep the younger', async () => {
    const config = loadConfig({ WHARF_DATA_DIR: root, WHARF_OCI_UPLOAD_MAX_AGE_SECONDS: '600' });
    const sessions = new FsUploadSessionStore(join(root, 'oci-uploads'));
    const expiry = new UploadSessionExpiry(sessions, config);
    const session = await sessions.start('ns/app');
    const started = session.startedAt.getTime();
    expect(await expiry.sweep(new Date(started + 599_000))).toBe(0);
    expect(await sessions.get('ns/app', session.id)).not.toBeNull();
    expect(await expiry.sweep(new Date(started + 601_000))).toBe(1);
    expect(await sessions.get('ns/app', session.id)).toBeNull();
  });
});
