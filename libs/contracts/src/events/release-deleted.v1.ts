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
  }),
} as const;
