import { Inject, Injectable } from '@nestjs/common';
import {
  Caller,
  PackageHead,
  PackageNotFoundError,
  PackageView,
  ReleaseManifest,
  ociRepositoryExists,
  ociRepositoryHeadExists,
  parsePackageRef,
} from '@wharf/domain';
import { HeadAndManifest, PACKAGE_READER, PackageReader, ReleaseOfHead } from '@wharf/ports';
import { AccessControl } from '../../auth/access-control';
import { loadExistingHead, loadExistingPackage, readManifest } from './package-lookup';

/** The guard of every read of one package: it exists and the caller may read it, else package-not-found (a private package answers like a missing one). */
@Injectable()
export class ReadablePackages {
  constructor(
    @Inject(PACKAGE_READER) private readonly reader: PackageReader,
    private readonly access: AccessControl,
  ) {}

  /** The whole view: for reads of every manifest (a package's, a blob's by digest). */
  async get(caller: Caller, namespace: string, name: string): Promise<PackageView> {
    const view = await loadExistingPackage(this.reader, parsePackageRef(namespace, name));
    await this.access.assertReadable(caller, view);
    return view;
  }

  /** The head alone (channels, releases, visibility): no manifest is read. */
  async head(caller: Caller, namespace: string, name: string): Promise<PackageHead> {
    const head = await loadExistingHead(this.reader, parsePackageRef(namespace, name));
    await this.access.assertReadable(caller, head);
    return head;
  }

  /** The head and the one manifest a release query and media type (or `-`) name. */
  async manifest(
    caller: Caller,
    namespace: string,
    name: string,
    releaseQuery: string,
    mediaType: string,
  ): Promise<{ head: PackageHead; manifest: ReleaseManifest }> {
    return readManifest(this.reader, parsePackageRef(namespace, name), releaseQuery, mediaType, (head) =>
      this.access.assertReadable(caller, head),
    );
  }

  /**
   * The same guard for an OCI repository, which exists while its package holds a release or an OCI
   * artifact; with `emptied`, also once its last one was deleted (its tag list is then empty, as
   * the distribution spec's registries answer), while a name never pushed to stays unknown.
   */
  async getRepository(
    caller: Caller,
    namespace: string,
    name: string,
    { emptied = false }: { emptied?: boolean } = {},
  ): Promise<PackageView> {
    const ref = parsePackageRef(namespace, name);
    const view = await this.reader.get(ref.full);
    if (view === null || (!emptied && !ociRepositoryExists(view))) throw new PackageNotFoundError(ref.full);
    await this.access.assertReadable(caller, view);
    return view;
  }

  /** The same guard by the repository's head alone: no manifest row is read. */
  async repositoryHead(caller: Caller, namespace: string, name: string): Promise<PackageHead> {
    const ref = parsePackageRef(namespace, name);
    const head = await this.reader.getHead(ref.full);
    if (!ociRepositoryHeadExists(head)) throw new PackageNotFoundError(ref.full);
    await this.access.assertReadable(caller, head);
    return head;
  }

  /**
   * The same guard by the repository's head and the row of (release, media type), in one read;
   * `manifest` null when the head holds none. `release` may be chosen from the head read.
   */
  async repositoryRelease(
    caller: Caller,
    namespace: string,
    name: string,
    release: ReleaseOfHead,
    mediaType: string,
  ): Promise<HeadAndManifest> {
    const ref = parsePackageRef(namespace, name);
    const read = await this.reader.getRelease(ref.full, release, mediaType);
    if (!read || !ociRepositoryHeadExists(read.head)) throw new PackageNotFoundError(ref.full);
    await this.access.assertReadable(caller, read.head);
    return read;
  }
}
