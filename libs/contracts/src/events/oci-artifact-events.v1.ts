/** The events of OCI artifacts that are not releases (libs/domain/src/package/package.oci.ts). */
import { z } from 'zod';
import { OCI_TAG } from '@wharf/domain';
import { hexDigest } from './shared.schemas';

const ociTag = z.string().regex(OCI_TAG, 'an OCI tag');

export const OciManifestPushedV1 = {
  type: 'OciManifestPushed',
  version: 1,
  schema: z.object({
    digest: hexDigest,
    mediaType: z.string().min(1),
    artifactType: z.string().min(1).optional(),
    size: z.number().int().nonnegative(),
    subject: hexDigest.optional(),
    blobs: z.array(hexDigest),
    manifests: z.array(hexDigest),
    annotations: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    storedBytes: z.number().int().nonnegative().optional(),
    aliases: z
      .array(z.object({ digest: z.string().regex(/^sha512:[0-9a-f]{128}$/, 'a sha512 digest'), key: hexDigest }))
      .optional(),
    visibility: z.enum(['public', 'private']),
  }),
} as const;

export const OciManifestDeletedV1 = {
  type: 'OciManifestDeleted',
  version: 1,
  schema: z.object({ digest: hexDigest, blobs: z.array(hexDigest), manifests: z.array(hexDigest) }),
} as const;

export const OciTaggedV1 = {
  type: 'OciTagged',
  version: 1,
  schema: z.object({ tag: ociTag, digest: hexDigest }),
} as const;

export const OciUntaggedV1 = {
  type: 'OciUntagged',
  version: 1,
  schema: z.object({ tag: ociTag }),
} as const;
