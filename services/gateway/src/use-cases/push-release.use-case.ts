/**
 * Push (appr): validate everything that can be validated without state (name, release, media
 * type, blob encoding, archive safety), then hand over to the ReleasePublisher, which refuses a
 * duplicate early, stores the blob and sends the command to the package's writer.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  Caller,
  CommandMeta,
  DEFAULT_MEDIA_TYPE,
  InvalidUsageError,
  JsonValue,
  Visibility,
  parseVisibility,
  assertRelease,
  decodeBlobBase64,
  inspectArchive,
  parseMediaType,
  parsePackageRef,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { RequestValues, flag, optionalString, requiredString } from '../http/request-values';
import { PushAdmission } from '../auth/push-admission';
import { ReleasePublisher } from './release-publisher';

export interface PushReleaseInput {
  namespace: string;
  name: string;
  values: RequestValues;
  meta: CommandMeta;
  caller: Caller;
}

@Injectable()
export class PushReleaseUseCase {
  constructor(
    private readonly publisher: ReleasePublisher,
    private readonly admission: PushAdmission,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  async execute(input: PushReleaseInput): Promise<{ status: 'ok' }> {
    const ref = parsePackageRef(input.namespace, input.name);
    const admitted = await this.admission.admit(input.caller, ref.namespace);
    const release = assertRelease(requiredString(input.values, 'release'));
    const mediaType = parseMediaType(optionalString(input.values, 'media_type') ?? DEFAULT_MEDIA_TYPE);
    const blobText = requiredString(input.values, 'blob');
    const metadata = readMetadata(input.values);
    const visibility = readVisibility(input.values, this.config.auth.defaultVisibility);
    // A namespace that forbids overwrites answers a forced push of an existing release with 409.
    const force = flag(input.values, 'force') && admitted.allowOverwrites;

    const archive = decodeBlobBase64(blobText, admitted.maxBlobBytes);
    const inspection = inspectArchive(archive, this.config.archive);
    await this.admission.assertStorage(admitted, archive.length);

    await this.publisher.publish({
      ...{ ref, release, mediaType, archive, inspection, metadata, force, visibility, meta: input.meta },
      // TEMPORARY (sec-domain, for its e2e until sec-push lands): the writer's fields, unrefined.
      visibilityRequested: optionalString(input.values, 'visibility') !== undefined,
      allowOverwrites: admitted.allowOverwrites,
      namespaceQuotaBytes: admitted.maxStorageBytes,
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

function readVisibility(values: RequestValues, fallback: Visibility): Visibility {
  return parseVisibility(optionalString(values, 'visibility') ?? fallback);
}
