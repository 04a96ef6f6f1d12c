import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import { BlobHttpClient } from '@wharf/adapters/blob-http-client';
import { JsonLogger } from '@wharf/config';
import { createService } from '@wharf/http';
import { WharfMetrics } from '@wharf/metrics';
import { BLOB_STORE } from '@wharf/ports';
import { describeBlobStoreContract } from '@wharf/testing';
import { InternalBlobsController } from './internal-blobs.controller';

/**
 * The gateway's client of the blob service, over real HTTP to the blob service's internal API
 * (its controller, composed as services/blob/src/main.ts does, with streamed octet bodies),
 * backed by blob-fs in a temp dir: every port error must cross the wire as itself. It lives with
 * the service whose API it exercises, since a library never imports a service.
 */
describeBlobStoreContract('blob-http-client to the blob service over blob-fs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wharf-blob-http-'));
  const store = new FsBlobStore(root);
  const app = await createService(
    {
      providers: [{ provide: BLOB_STORE, useValue: store }],
      imports: [],
      controllers: [InternalBlobsController],
      checks: [],
      metrics: new WharfMetrics('blob', { processMetrics: false }),
      onClose: () => store.close(),
    },
    new JsonLogger('silent'),
    { streamOctets: true },
  );
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    subject: new BlobHttpClient(`http://127.0.0.1:${port}`),
    strayUploads: () => fs.readdir(join(root, 'uploads')).catch(() => []),
    cleanup: async () => {
      await app.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
});
