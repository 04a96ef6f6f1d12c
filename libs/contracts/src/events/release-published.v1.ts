import { z } from 'zod';
import { chartMetadata, hexDigest, jsonValue, ociDigests, visibility } from './shared.schemas';

export const ReleasePublishedV1 = {
  type: 'ReleasePublished',
  version: 1,
  schema: z.object({
    release: z.string().min(1),
    mediaType: z.string().min(1),
    apprDigest: hexDigest,
    blobDigest: hexDigest,
    size: z.number().int().nonnegative(),
    metadata: jsonValue,
    chart: chartMetadata.nullable(),
    /** Added compatibly (optional): the Helm provenance file stored with the chart. */
    provenanceDigest: hexDigest.optional(),
    /** Added compatibly (optional): the provenance file's length, counted in the storage quota. */
    provenanceSize: z.number().int().nonnegative().optional(),
    /** Added compatibly (optional): the manifest and config of a push over OCI, stored as blobs. */
    oci: ociDigests.optional(),
    replaced: z
      .object({
        apprDigest: hexDigest,
        blobDigest: hexDigest,
        provenanceDigest: hexDigest.optional(),
        oci: ociDigests.optional(),
      })
      .nullable(),
    visibility,
    /** Added compatibly (optional): the release's creation time at the source an import brought it from. */
    createdAt: z.string().datetime({ offset: true }).optional(),
  }),
} as const;
