/**
 * Push: validate everything that can be validated without state (name, release, media type,
 * blob encoding, archive safety), refuse a duplicate early so its blob is never stored, store
 * the blob under its own digest, then send the command to the package's writer. Only the
 * writer's answer makes the push acknowledged.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  CommandMeta,
  DEFAULT_MEDIA_TYPE,
  InvalidUsageError,
  JsonValue,
  PackageExistsError,
  Visibility,
  assertRelease,
  decodeBlobBase64,
  findManifest,
  inspectArchive,
  parseMediaType,
  parsePackageRef,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { BLOB_STORE, BlobStore, PACKAGE_COMMANDS, PACKAGE_READER, PackageCommands, PackageReader } from '@wharf/ports';
import { RequestValues, flag, optionalString, requiredString } from '../http/request-values';

export interface PushReleaseInput {
  namespace: string;
  name: string;
  values: RequestValues;
  meta: CommandMeta;
}

@Injectable()
export class PushReleaseUseCase {
  constructor(
    @Inject(PACKAGE_COMMANDS) private readonly commands: PackageCommands,
    @Inject(PACKAGE_READER) private readonly reader: PackageReader,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  async execute(input: PushReleaseInput): Promise<{ status: 'ok' }> {
    const ref = parsePackageRef(input.namespace, input.name);
    const release = assertRelease(requiredString(input.values, 'release'));
    const mediaType = parseMediaType(optionalString(input.values, 'media_type') ?? DEFAULT_MEDIA_TYPE);
    const blobText = requiredString(input.values, 'blob');
    const metadata = readMetadata(input.values);
    const visibility = readVisibility(input.values);
    const force = flag(input.values, 'force');

    const archive = decodeBlobBase64(blobText, this.config.archive.maxBlobBytes);
    const inspection = inspectArchive(archive, this.config.archive);

    const current = await this.reader.get(ref.full);
    if (!force && current && findManifest(current, release, mediaType)) {
      throw new PackageExistsError(ref.full, release, mediaType);
    }
    await this.blobs.put(archive, inspection.blobDigest);
    await this.commands.execute({
      type: 'PushRelease',
      package: ref.full,
      release,
      mediaType,
      content: {
        apprDigest: inspection.apprDigest,
        blobDigest: inspection.blobDigest,
        size: inspection.size,
        chart: inspection.chart,
      },
      metadata,
      force,
      visibility,
      meta: input.meta,
    });
    return { status: 'ok' };
  }
}

function readMetadata(values: RequestValues): JsonValue {
  const metadata = values.metadata;
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== 'object') throw new InvalidUsageError("'metadata' must be a JSON object or null", { field: 'metadata' });
  return metadata as JsonValue;
}

function readVisibility(values: RequestValues): Visibility {
  const visibility = optionalString(values, 'visibility') ?? 'public';
  if (visibility !== 'public' && visibility !== 'private') {
    throw new InvalidUsageError("'visibility' must be 'public' or 'private'", { field: 'visibility' });
  }
  return visibility;
}
