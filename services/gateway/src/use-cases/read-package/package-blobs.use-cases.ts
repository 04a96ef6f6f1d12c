import { Injectable } from '@nestjs/common';
import { Caller, PackageNotFoundError, isSha256Hex, parsePackageRef } from '@wharf/domain';
import { blobFilename } from '../../presenters/appr.presenter';
import { ArchiveReads, ArchiveToSend, BlobForJson, HOLDS_NOTHING, HeldBlobs } from './archive-reads';
import { ReadablePackages } from './readable-packages';

/**
 * A blob by its appr digest (or by the digest of its bytes), only among this package's
 * releases: raw, or as JSON.
 */
@Injectable()
export class PackageBlobsUseCases {
  constructor(
    private readonly packages: ReadablePackages,
    private readonly archives: ArchiveReads,
  ) {}

  async archive(
    caller: Caller,
    namespace: string,
    name: string,
    digest: string,
    held: HeldBlobs = HOLDS_NOTHING,
  ): Promise<ArchiveToSend> {
    const { view, manifest, wanted } = await this.find(caller, namespace, name, digest);
    const body = held(manifest.blobDigest) ? null : await this.archives.body(manifest);
    return {
      view,
      manifest,
      filename: blobFilename(view, wanted),
      blobDigest: manifest.blobDigest,
      immutable: wanted === manifest.blobDigest,
      body,
    };
  }

  /** See `ArchiveReads.bodyForJson`. */
  async json(
    caller: Caller,
    namespace: string,
    name: string,
    digest: string,
  ): Promise<BlobForJson & { digest: string }> {
    const { view, manifest, wanted } = await this.find(caller, namespace, name, digest);
    const rawPull = `${this.archives.packagePath(view)}/blobs/sha256/${wanted}`;
    return { view, manifest, digest: wanted, body: await this.archives.bodyForJson(manifest, rawPull) };
  }

  private async find(caller: Caller, namespace: string, name: string, digest: string) {
    const ref = parsePackageRef(namespace, name);
    const view = await this.packages.get(caller, namespace, name);
    const wanted = digest.toLowerCase();
    const manifest = isSha256Hex(wanted)
      ? view.manifests.find((m) => m.apprDigest === wanted || m.blobDigest === wanted)
      : undefined;
    if (!manifest) throw new PackageNotFoundError(ref.full, `sha256:${wanted.slice(0, 64)}`);
    return { view, manifest, wanted };
  }
}
