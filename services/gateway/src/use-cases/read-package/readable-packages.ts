import { Inject, Injectable } from '@nestjs/common';
import { Caller, PackageNotFoundError, PackageView, ociRepositoryExists, parsePackageRef } from '@wharf/domain';
import { PACKAGE_READER, PackageReader } from '@wharf/ports';
import { AccessControl } from '../../auth/access-control';
import { loadExistingPackage } from './package-lookup';

/** The guard of every read of one package: it exists and the caller may read it, else package-not-found (a private package answers like a missing one). */
@Injectable()
export class ReadablePackages {
  constructor(
    @Inject(PACKAGE_READER) private readonly reader: PackageReader,
    private readonly access: AccessControl,
  ) {}

  async get(caller: Caller, namespace: string, name: string): Promise<PackageView> {
    const view = await loadExistingPackage(this.reader, parsePackageRef(namespace, name));
    await this.access.assertReadable(caller, view);
    return view;
  }

  /** The same guard for an OCI repository, which exists while its package holds a release or an OCI artifact. */
  async getRepository(caller: Caller, namespace: string, name: string): Promise<PackageView> {
    const ref = parsePackageRef(namespace, name);
    const view = await this.reader.get(ref.full);
    if (!ociRepositoryExists(view)) throw new PackageNotFoundError(ref.full);
    await this.access.assertReadable(caller, view);
    return view;
  }
}
