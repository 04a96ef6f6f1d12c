/**
 * What every upload protocol checks before it stores anything: the caller holds `write` on the
 * namespace (401/403 otherwise, before a byte of the archive is decoded), the archive fits the
 * namespace's blob size limit, and the namespace stays within its storage quota. Only an admin
 * of the namespace may choose the visibility of the package a push creates.
 *
 * The storage check here is a cheap early refusal, not the guarantee: concurrent pushes all pass
 * it at once. The writer reserves the quota across the namespace before it appends (the push
 * command carries `namespaceQuotaBytes`).
 */
import { Inject, Injectable } from '@nestjs/common';
import { Caller, ForbiddenError, QuotaExceededError } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { PACKAGE_READER, PackageReader } from '@wharf/ports';
import { AccessControl } from './access-control';
import { AccountDirectory } from './account-directory';

export interface AdmittedPush {
  namespace: string;
  /** The largest archive this namespace accepts (the registry's limit or the namespace's lower one). */
  maxBlobBytes: number;
  /** The namespace's storage quota in bytes; 0: none. */
  maxStorageBytes: number;
  /** Whether a forced push may replace an existing release here. */
  allowOverwrites: boolean;
}

const PAGE = 1000;

@Injectable()
export class PushAdmission {
  constructor(
    private readonly access: AccessControl,
    private readonly directory: AccountDirectory,
    @Inject(PACKAGE_READER) private readonly reader: PackageReader,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  async admit(caller: Caller, namespace: string): Promise<AdmittedPush> {
    await this.access.require(caller, namespace, 'write');
    const limits = (await this.directory.get(namespace))?.limits;
    return {
      namespace,
      maxBlobBytes: Math.min(this.config.archive.maxBlobBytes, limits?.maxBlobBytes ?? Infinity),
      maxStorageBytes: limits?.maxStorageBytes ?? this.config.auth.maxNamespaceStorageBytes,
      allowOverwrites: limits?.allowOverwrites ?? true,
    };
  }

  /**
   * Refuses (403 forbidden) a push that names `visibility` from a caller who is not an admin of
   * the namespace (its owner, a site admin, open mode): `write` alone must not publish a package.
   */
  async assertMayChooseVisibility(caller: Caller, admitted: AdmittedPush): Promise<void> {
    if ((await this.access.roleOn(caller, admitted.namespace)) === 'admin') return;
    throw ForbiddenError.because(`only an admin of namespace '${admitted.namespace}' may set 'visibility' on push`, {
      namespace: admitted.namespace,
      scopes: ['admin'],
      field: 'visibility',
    });
  }

  /** Refuses (413 quota-exceeded) a push of `addedBytes` that would take the namespace past its quota. */
  async assertStorage(admitted: AdmittedPush, addedBytes: number): Promise<void> {
    if (admitted.maxStorageBytes <= 0) return;
    let used = 0;
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.reader.list({
        namespace: admitted.namespace,
        visibleNamespaces: 'all',
        includeOciOnly: true,
        limit: PAGE,
        offset,
      });
      used += page.reduce((sum, p) => sum + (p.storedBytes ?? 0), 0);
      if (page.length < PAGE) break;
    }
    if (used + addedBytes > admitted.maxStorageBytes)
      throw new QuotaExceededError(admitted.namespace, admitted.maxStorageBytes, used);
  }
}
