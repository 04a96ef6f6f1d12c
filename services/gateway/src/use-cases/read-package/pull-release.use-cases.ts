import { Injectable } from '@nestjs/common';
import { Caller } from '@wharf/domain';
import { pullFilename } from '../../presenters/appr.presenter';
import { ArchiveReads, ArchiveToSend, BlobForJson, HOLDS_NOTHING, HeldBlobs, RedirectedBlob } from './archive-reads';
import { PullRecorder } from '../retention/pull-recorder';
import { ReadablePackages } from './readable-packages';

/**
 * The pull of a release's archive: raw (or a redirect to the store), or as JSON. Each is noted
 * as the release's last pull (retention's keep_pulled_within_days), an answer of 304 too: the
 * client used the release.
 */
@Injectable()
export class PullReleaseUseCases {
  constructor(
    private readonly packages: ReadablePackages,
    private readonly archives: ArchiveReads,
    private readonly pulls: PullRecorder,
  ) {}

  /** The raw pull: a redirect when configured and possible, else the archive. */
  async archive(
    caller: Caller,
    namespace: string,
    name: string,
    releaseQuery: string,
    mediaType: string,
    held: HeldBlobs = HOLDS_NOTHING,
  ): Promise<ArchiveToSend | RedirectedBlob> {
    const { head: view, manifest } = await this.packages.manifest(caller, namespace, name, releaseQuery, mediaType);
    this.pulls.pulled(view.package, manifest.release);
    const archive = {
      view,
      manifest,
      filename: pullFilename(view, manifest.release),
      blobDigest: manifest.blobDigest,
      immutable: false,
    };
    if (held(manifest.blobDigest)) return { ...archive, body: null };
    const location = await this.archives.redirectFor(manifest.blobDigest);
    return location ? { view, manifest, location } : { ...archive, body: await this.archives.body(manifest) };
  }

  /** The JSON pull (`?format=json`, `/pull/json`): see `ArchiveReads.bodyForJson`. */
  async json(
    caller: Caller,
    namespace: string,
    name: string,
    releaseQuery: string,
    mediaType: string,
  ): Promise<BlobForJson> {
    const { head: view, manifest } = await this.packages.manifest(caller, namespace, name, releaseQuery, mediaType);
    this.pulls.pulled(view.package, manifest.release);
    const rawPull = `${this.archives.packagePath(view)}/${encodeURIComponent(manifest.release)}/${encodeURIComponent(manifest.mediaType)}/pull`;
    return { view, manifest, body: await this.archives.bodyForJson(manifest, rawPull) };
  }
}
