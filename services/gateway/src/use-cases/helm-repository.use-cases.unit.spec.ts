import { SqlitePullRecordStore } from '@wharf/adapters/pull-records-sqlite';
import { loadConfig } from '@wharf/config';
import { PackageNotFoundError, PackageView } from '@wharf/domain';
import { BlobStore, ChartIndexReader, PackageReader } from '@wharf/ports';
import { packageReaderOf, packageView, releasePublished } from '@wharf/testing';
import { ChartIndexCache } from './chart-index-cache';
import { HelmRepositoryUseCases } from './helm-repository.use-cases';
import { PullRecorder } from './retention/pull-recorder';

const view = packageView('team/app', [releasePublished({ release: '1.0.0' }), releasePublished({ release: '1.1.0' })]);
const archive = Buffer.from('the chart archive');

/**
 * A reader that answers a release as its head and one row, and refuses to assemble the whole
 * package: what a chart download may read, whatever the package's size.
 */
function headAndRowReader(views: PackageView[], calls: string[]): PackageReader {
  const reader = packageReaderOf(views);
  return {
    ...reader,
    get: async (pkg) => {
      throw new Error(`a chart download read the whole package ${pkg}`);
    },
    getRelease: async (pkg, release, mediaType) => {
      calls.push(`${pkg} ${release} ${mediaType}`);
      return reader.getRelease(pkg, release, mediaType);
    },
  };
}

const blobs = {
  read: async (digest: string) => {
    if (digest !== view.manifests[1]!.blobDigest) throw new Error(`unexpected read of ${digest}`);
    return archive;
  },
} as unknown as BlobStore;

function useCases(calls: string[]): HelmRepositoryUseCases {
  const config = loadConfig({});
  return new HelmRepositoryUseCases(
    new ChartIndexCache({} as ChartIndexReader),
    headAndRowReader([view], calls),
    blobs,
    config,
    new PullRecorder(new SqlitePullRecordStore({ path: ':memory:' }), config),
  );
}

describe('HelmRepositoryUseCases.chartFile', () => {
  it('should serve a chart archive from its package head and one row, never the whole package', async () => {
    const calls: string[] = [];
    const file = await useCases(calls).chartFile('team', 'app-1.1.0.tgz');
    expect(file.body).toEqual(archive);
    expect(file.size).toBe(view.manifests[1]!.size);
    expect(calls).toEqual(['team/app 1.1.0 helm']);
  });

  it('should try every split of name and version, and answer 404 for a version the package lacks', async () => {
    const calls: string[] = [];
    await expect(useCases(calls).chartFile('team', 'app-2.0.0.tgz')).rejects.toBeInstanceOf(PackageNotFoundError);
    expect(calls).toEqual(['team/app 2.0.0 helm']);
  });
});
