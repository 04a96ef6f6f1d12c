/**
 * Configuration: read from the environment once, at boot, validated as a whole (every bad
 * variable is reported at once), then injected as a typed object. No other file reads
 * process.env.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

export const WHARF_CONFIG = Symbol('WharfConfig');

const MiB = 1024 * 1024;

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

const schema = z.object({
  WHARF_PROFILE: z.enum(['embedded', 'distributed']).default('embedded'),
  WHARF_HOST: z.string().min(1).default('127.0.0.1'),
  WHARF_PORT: int(5000, 0).pipe(z.number().max(65535)),
  WHARF_DATA_DIR: z.string().min(1).default('./data'),
  WHARF_API_PREFIX: z
    .string()
    .regex(/^\/[a-z0-9_-]+$/, 'a single path segment such as /cnr')
    .default('/cnr'),
  WHARF_PUBLIC_URL: z.string().url().optional(),
  WHARF_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  WHARF_MAX_BODY_BYTES: int(100 * MiB, 1024),
  WHARF_MAX_BLOB_BYTES: int(64 * MiB, 1024),
  WHARF_MAX_UNPACKED_BYTES: int(64 * MiB, 1024),
  WHARF_MAX_EXPANSION_RATIO: int(200, 2),
  WHARF_MAX_ARCHIVE_ENTRIES: int(10_000, 1),
  WHARF_LIST_LIMIT: int(1000, 1),
  WHARF_BLOB_GC_INTERVAL_SECONDS: int(3600, 0),
  WHARF_BLOB_GC_GRACE_SECONDS: int(3600, 0),
  WHARF_SQLITE_SYNCHRONOUS: z.enum(['full', 'normal']).default('full'),
});

export interface WharfConfig {
  profile: 'embedded' | 'distributed';
  http: { host: string; port: number; apiPrefix: string; publicUrl: string | null; maxBodyBytes: number };
  dataDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  archive: { maxBlobBytes: number; maxUnpackedBytes: number; maxExpansionRatio: number; maxEntries: number };
  listLimit: number;
  sqlite: { synchronous: 'full' | 'normal' };
  /** Unreferenced blobs older than `graceSeconds` are deleted every `intervalSeconds` (0: never). */
  blobGc: { intervalSeconds: number; graceSeconds: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): WharfConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`));
  }
  const e = parsed.data;
  return {
    profile: e.WHARF_PROFILE,
    http: {
      host: e.WHARF_HOST,
      port: e.WHARF_PORT,
      apiPrefix: e.WHARF_API_PREFIX,
      publicUrl: e.WHARF_PUBLIC_URL ?? null,
      maxBodyBytes: e.WHARF_MAX_BODY_BYTES,
    },
    dataDir: resolve(e.WHARF_DATA_DIR),
    logLevel: e.WHARF_LOG_LEVEL,
    archive: {
      maxBlobBytes: e.WHARF_MAX_BLOB_BYTES,
      maxUnpackedBytes: e.WHARF_MAX_UNPACKED_BYTES,
      maxExpansionRatio: e.WHARF_MAX_EXPANSION_RATIO,
      maxEntries: e.WHARF_MAX_ARCHIVE_ENTRIES,
    },
    listLimit: e.WHARF_LIST_LIMIT,
    sqlite: { synchronous: e.WHARF_SQLITE_SYNCHRONOUS },
    blobGc: { intervalSeconds: e.WHARF_BLOB_GC_INTERVAL_SECONDS, graceSeconds: e.WHARF_BLOB_GC_GRACE_SECONDS },
  };
}

/** The documented variables, for the README table and `--help`. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);
