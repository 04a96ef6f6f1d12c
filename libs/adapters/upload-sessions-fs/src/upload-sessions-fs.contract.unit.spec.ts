import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeUploadSessionsContract } from '@wharf/testing';
import { FsUploadSessionStore } from './upload-sessions-fs.adapter';

describeUploadSessionsContract('upload-sessions-fs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wharf-oci-uploads-'));
  return {
    subject: new FsUploadSessionStore(join(root, 'oci-uploads')),
    // The same directory, as the gateway restarted opens it.
    reopen: async () => new FsUploadSessionStore(join(root, 'oci-uploads')),
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
});
