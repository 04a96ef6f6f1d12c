import { z } from 'zod';
import { hexDigest, ociDigests } from './shared.schemas';

export const ReleaseDeletedV1 = {
  type: 'ReleaseDeleted',
  version: 1,
  schema: z.object({
    release: z.string().min(1),
    mediaType: z.string().min(1),
    apprDigest: hexDigest,
    blobDigest: hexDigest,
    /** Added compatibly (optional): the provenance file the deleted release referenced. */
    provenanceDigest: hexDigest.optional(),
    /** Added compatibly (optional): the OCI manifest and config the deleted release referenced. */
    oci: ociDigests.optional(),
    /** Added compatibly (optional): why the registry deleted it; absent when a caller asked. */
    reason: z.object({ kind: z.literal('retention'), policy: z.string().min(1).max(64) }).optional(),
  }),
} as const;
