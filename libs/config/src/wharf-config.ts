/**
 * Configuration: read from the environment once, at boot, validated as a whole (every bad
 * variable is reported at once), then injected as a typed object. No other file reads
 * process.env.
 */
import { RetentionSettings, parseRetentionSettings } from '@wharf/domain';
import { resolve } from 'node:path';
import { z } from 'zod';

export const WHARF_CONFIG = Symbol('WharfConfig');

const MiB = 1024 * 1024;

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
/** "url[,url...]": one URL per replica of a service. */
const urlList = () =>
  z
    .string()
    .refine(
      (value) => value.split(',').every((url) => URL.canParse(url.trim()) && /^https?:/.test(url.trim())),
      'http(s) URL[,URL...]',
    );

/**
 * A pino redaction path: identifiers or `*` joined by dots, or quoted keys in brackets (without
 * commas, which separate the paths of WHARF_LOG_REDACT).
 */
const LOG_KEY = String.raw`(?:[A-Za-z_$][\w$]*|\*)`;
const LOG_PATH = String.raw`${LOG_KEY}(?:\.${LOG_KEY}|\["[^"\\\],]+"\])*`;

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
  // pino redaction paths censored on top of the defaults (json-logger.ts): user.email,*.apiKey,headers["x-api-key"]
  WHARF_LOG_REDACT: z
    .string()
    .regex(new RegExp(`^${LOG_PATH}(,${LOG_PATH})*$`), 'redaction paths, comma-separated: key, a.b, *.key or a["x-y"]')
    .optional(),
  // Traces over OTLP/HTTP (e.g. http://collector:4318/v1/traces); unset: tracing off (libs/tracing).
  WHARF_OTLP_TRACES_URL: z.string().url().optional(),
  WHARF_TRACES_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
  WHARF_MAX_BODY_BYTES: int(100 * MiB, 1024),
  WHARF_MAX_ACCOUNT_BODY_BYTES: int(16 * 1024, 1024),
  WHARF_REQUEST_TIMEOUT_SECONDS: int(300, 0),
  WHARF_MAX_JSON_PULL_BYTES: int(16 * MiB, 1024),
  WHARF_ALLOWED_HOSTS: z
    .string()
    .regex(/^[^,\s]+(,[^,\s]+)*$/, 'host[:port][,host[:port]...]')
    .optional(),
  WHARF_MAX_METADATA_BYTES: int(64 * 1024, 0),
  WHARF_MAX_PACKAGE_METADATA_BYTES: int(256 * 1024, 0),
  WHARF_MAX_UPLOAD_BYTES_IN_FLIGHT: int(512 * MiB, 1024 * 1024),
  WHARF_TRUSTED_PROXIES: z
    .string()
    .regex(/^[0-9A-Fa-f.:/]+(,[0-9A-Fa-f.:/]+)*$/, 'addresses or CIDR ranges, comma-separated')
    .optional(),
  // Events refuse data nested past 256 levels, and metadata sits one level below the event's data.
  WHARF_MAX_METADATA_DEPTH: int(32, 1).pipe(z.number().max(255)),
  WHARF_MAX_CONCURRENT_UPLOADS_PER_ACCOUNT: int(4, 1),
  WHARF_ARCHIVE_WORKERS: int(2, 0),
  WHARF_MAX_BLOB_BYTES: int(64 * MiB, 1024),
  WHARF_MAX_UNPACKED_BYTES: int(64 * MiB, 1024),
  WHARF_MAX_EXPANSION_RATIO: int(200, 2),
  WHARF_MAX_ARCHIVE_ENTRIES: int(10_000, 1),
  WHARF_LIST_LIMIT: int(1000, 1),
  WHARF_PULL_REDIRECT: z.enum(['true', 'false']).default('false'),
  WHARF_PULL_REDIRECT_TTL_SECONDS: int(300, 1),
  WHARF_BLOB_CACHE_MAX_BYTES: int(64 * MiB, 0),
  WHARF_BLOB_CACHE_MAX_BLOB_BYTES: int(1 * MiB, 0),
  WHARF_METADATA_CACHE_BYTES: int(32 * MiB, 0),
  WHARF_BLOB_GC_INTERVAL_SECONDS: int(3600, 0),
  WHARF_BLOB_GC_GRACE_SECONDS: int(3600, 0),
  // Retention: seconds between runs of every namespace's policies (0: never; runs on demand still work).
  WHARF_RETENTION_INTERVAL_SECONDS: int(3600, 0),
  // Retention: the site's default policy, for namespaces without one of their own (JSON, as the API's PUT body).
  WHARF_RETENTION_DEFAULT_POLICY: z
    .string()
    .optional()
    .transform((v, ctx): RetentionSettings | null => {
      if (v === undefined || v.trim() === '') return null;
      try {
        const value: unknown = JSON.parse(v);
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          throw new Error('a JSON object of policy settings');
        return parseRetentionSettings(value as Record<string, unknown>);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `a retention policy as JSON, e.g. {"keep_last": 10}: ${(error as Error).message}`,
        });
        return z.NEVER;
      }
    }),
  // wharf import from a private Helm repository: the password for --username, or a bearer token. Never logged.
  WHARF_IMPORT_SOURCE_PASSWORD: z.string().min(1).optional(),
  WHARF_IMPORT_SOURCE_TOKEN: z.string().min(1).optional(),
  // OCI blob uploads: seconds an upload session may stay unfinished before it is removed (its bytes too).
  WHARF_OCI_UPLOAD_MAX_AGE_SECONDS: int(24 * 3600, 60),
  // Pull records (retention's keep_pulled_within_days): seconds a gateway coalesces pulls before writing them.
  WHARF_PULL_RECORD_INTERVAL_SECONDS: int(60, 1),
  // Token last use (the token lists' last_used_at): seconds a gateway coalesces token uses before writing them.
  WHARF_TOKEN_USE_INTERVAL_SECONDS: int(60, 1),
  WHARF_AUTH_MODE: z.enum(['enforced', 'open']).default('enforced'),
  WHARF_SIGNUP: z.enum(['true', 'false']).default('true'),
  WHARF_ADMIN_USERNAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,254}$/, 'a lowercase account name')
    .optional(),
  WHARF_ADMIN_PASSWORD: z.string().min(8, 'at least 8 characters').optional(),
  WHARF_DEFAULT_VISIBILITY: z.enum(['public', 'private']).default('public'),
  WHARF_TOKEN_TTL_SECONDS: int(30 * 24 * 3600, 0),
  WHARF_RATE_LIMIT_PER_MINUTE: int(0, 0),
  WHARF_FAILED_LOGINS_PER_MINUTE: int(10, 1),
  // The key that signs the OCI token endpoint's registry tokens (32 bytes, base64), the same on
  // every gateway; embedded, <data>/registry-token.key when unset.
  WHARF_REGISTRY_TOKEN_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, '32 bytes, base64 (openssl rand -base64 32)')
    .optional(),
  WHARF_PASSWORD_HASH_CONCURRENCY: int(2, 1),
  WHARF_PASSWORD_HASH_QUEUE: int(32, 0),
  WHARF_NAMESPACE_MAX_STORAGE_BYTES: int(0, 0),
  WHARF_SQLITE_SYNCHRONOUS: z.enum(['full', 'normal']).default('full'),
  WHARF_READY_MAX_LAG: int(1000, 0),
  WHARF_DEPENDENCY_TIMEOUT_SECONDS: int(30, 1),
  // Webhooks: the key that seals their secrets (32 bytes, base64); embedded, <data>/webhook-secret.key when unset.
  WHARF_WEBHOOK_SECRET_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, '32 bytes, base64 (openssl rand -base64 32)')
    .optional(),
  // Loopback, private, link-local and other special addresses as webhook targets (SSRF): refused unless true.
  WHARF_WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false'),
  WHARF_WEBHOOK_TIMEOUT_SECONDS: int(10, 1),
  WHARF_WEBHOOK_MAX_ATTEMPTS: int(8, 1),
  WHARF_WEBHOOK_BACKOFF_BASE_MS: int(10_000, 1),
  WHARF_WEBHOOK_BACKOFF_MAX_MS: int(3_600_000, 1),
  WHARF_WEBHOOK_RETENTION_DAYS: int(30, 0),
  WHARF_WEBHOOK_WHEN_FAILING: z.enum(['wait', 'drop']).default('wait'),
  // Distributed webhook service replicas: "i/n", this replica sends the lanes that hash to i of n.
  WHARF_WEBHOOK_SHARD: z
    .string()
    .regex(/^\d+\/\d+$/, 'i/n, 0 <= i < n')
    .refine((v) => {
      const [i, n] = v.split('/').map(Number) as [number, number];
      return n >= 1 && i < n;
    }, 'i/n, 0 <= i < n')
    .default('0/1'),
  // Distributed profile: each service requires the ones it uses (requireSettings).
  WHARF_KAFKA_BROKERS: z
    .string()
    .regex(/^[^,\s]+(,[^,\s]+)*$/, 'host:port[,host:port...]')
    .optional(),
  WHARF_KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/)
    .default('wharf.'),
  WHARF_KAFKA_PARTITIONS: int(12, 1),
  WHARF_KAFKA_REPLICATION_FACTOR: int(1, 1),
  WHARF_MONGO_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'a mongodb:// URL')
    .optional(),
  WHARF_MONGO_DATABASE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/)
    .default('wharf'),
  WHARF_S3_ENDPOINT: z.string().url().optional(),
  WHARF_S3_REGION: z.string().min(1).default('us-east-1'),
  WHARF_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  WHARF_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  WHARF_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name')
    .default('wharf-blobs'),
  WHARF_OPENSEARCH_URL: z.string().url().optional(),
  WHARF_OPENSEARCH_INDEX_PREFIX: z
    .string()
    .regex(/^[a-z0-9._-]*$/)
    .default('wharf-'),
  WHARF_OPENSEARCH_REPLICAS: int(0, 0),
  // One URL per replica of the service, comma-separated; the gateway spreads its calls over them.
  WHARF_SEARCH_URL: urlList().optional(),
});

export interface WharfConfig {
  profile: 'embedded' | 'distributed';
  http: HttpSettings;
  dataDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Redaction paths added to the logger's defaults (WHARF_LOG_REDACT). */
  logRedact: string[];
  /** Where spans go (WHARF_OTLP_TRACES_URL; null: tracing off) and the share of new traces recorded. */
  tracing: { otlpTracesUrl: string | null; sampleRatio: number };
  archive: { maxBlobBytes: number; maxUnpackedBytes: number; maxExpansionRatio: number; maxEntries: number };
  /** How many worker threads inspect pushed archives off the event loop (0: inspect on the event loop). */
  archiveWorkers: number;
  push: PushSettings;
  listLimit: number;
  sqlite: { synchronous: 'full' | 'normal' };
  /** /readyz fails while a consumer group of the process lags the log by more than `maxLag` events. */
  readiness: { maxLag: number };
  /**
   * Longest wait for another service's answer (internal HTTP, the command bus's reply) before
   * the gateway answers 503 with Retry-After.
   */
  dependencyTimeoutMs: number;
  auth: AuthSettings;
  /**
   * Pulls answered with a redirect to a short-lived URL of the blob store (S3 presigned), when
   * the store can make one. Off by default: real clients expect the bytes.
   */
  pullRedirect: { enabled: boolean; ttlSeconds: number };
  /**
   * The gateway's in-memory cache of blob bytes (least recently used out): blobs of at most
   * `maxBlobBytes` are kept, `maxBytes` in all (either at 0: no cache). Pulls of larger blobs
   * are streamed from the store.
   */
  blobCache: { maxBytes: number; maxBlobBytes: number };
  /**
   * The metadata store's in-memory caches (package heads, release rows, assembled views), in each
   * process that opens it: each may hold `maxBytes` of stored JSON, least recently used out (0: none).
   */
  metadataCache: { maxBytes: number };
  /** Unreferenced blobs older than `graceSeconds` are deleted every `intervalSeconds` (0: never). */
  blobGc: { intervalSeconds: number; graceSeconds: number };
  /** OCI blob upload sessions older than `maxAgeSeconds` are removed, with their bytes (the gateway sweeps them). */
  ociUploads: { maxAgeSeconds: number };
  /**
   * Every namespace's retention policies are run every `intervalSeconds` (0: never); a gateway
   * writes the releases pulled since its last write every `pullRecordIntervalSeconds`.
   */
  retention: {
    intervalSeconds: number;
    pullRecordIntervalSeconds: number;
    /** The site's default policy (id `site-default`), run in every namespace that has none of its own; null: none. */
    siteDefault: RetentionSettings | null;
  };
  webhooks: WebhookDeliverySettings;
  /** `wharf import`'s credentials for a private source (sent to its own origin only); null: none. */
  importSource: { password: string | null; token: string | null };
  /** The distributed profile's engines and service addresses; null where not configured. */
  distributed: DistributedSettings;
}

export interface WebhookDeliverySettings {
  /** The AES-256 key that seals webhook secrets; null: the embedded profile keeps one in its data directory. */
  secretKey: Buffer | null;
  /** Whether targets may resolve to loopback, private, link-local or other non-public addresses. */
  allowPrivateAddresses: boolean;
  /** Longest a send may take, connection to the end of the answer. */
  timeoutMs: number;
  /** Attempts of one delivery before its subscription is marked failing. */
  maxAttempts: number;
  backoff: { baseMs: number; maxMs: number };
  /**
   * Which lanes (subscription, package) this process sends: those whose hash is `index` modulo
   * `count`. Each replica of the distributed webhook service gets its own index; the embedded
   * profile is 0 of 1.
   */
  shard: { index: number; count: number };
  /**
   * What a failing subscription's deliveries do until it is resumed: wait (kept in order, sent on
   * resume) or drop (its pending deliveries dropped, and no new ones queued).
   */
  whenFailing: 'wait' | 'drop';
  /** Delivered and cancelled deliveries of events older than this are deleted, attempts too (0: kept for ever). */
  retentionDays: number;
}

export interface HttpSettings {
  host: string;
  port: number;
  apiPrefix: string;
  publicUrl: string | null;
  /** Largest request body on the upload routes (appr push, ChartMuseum upload). */
  maxBodyBytes: number;
  /** Largest request body on every other route (accounts, login, channels, visibility, limits). */
  maxAccountBodyBytes: number;
  /**
   * Longest time a client may take to send a whole request, headers and body (0: no bound); a
   * slow-drip body then costs a connection for at most this long.
   */
  requestTimeoutMs: number;
  /** Largest blob a JSON pull (`?format=json`, `/pull/json`) returns; above it, 413 pointing at the raw pull. */
  maxJsonPullBytes: number;
  /**
   * `Host` values (host or host:port, lowercase) the discovery documents may echo when no
   * public URL is configured; null: any (open mode only; enforced mode echoes no Host without
   * either setting).
   */
  allowedHosts: string[] | null;
  /**
   * Proxies whose `X-Forwarded-For` names the client (addresses or CIDR ranges); null: none, the
   * peer's address is the client's. Limits keyed by client address need it behind a proxy.
   */
  trustedProxies: string[] | null;
}

export interface PushSettings {
  /** Largest `metadata` of one release, as compact JSON (UTF-8 bytes); 0: none accepted. */
  maxMetadataBytes: number;
  /** Deepest nesting of objects and arrays accepted in `metadata`. */
  maxMetadataDepth: number;
  /**
   * All of a package's releases' `metadata` together, as compact JSON; a push past it is refused.
   * In the distributed profile the writer's reply carries the package's view over Kafka, whose
   * messages stop at 1 MB by default: keep this well below that.
   */
  maxPackageMetadataBytes: number;
  /**
   * Bytes of upload bodies the gateway admits at once, whoever sends them (each upload counts the
   * most its body may be); an upload past it waits, then answers 503.
   */
  maxUploadBytesInFlight: number;
  /**
   * Uploads one account (or anonymous or open-mode client address) may have running at once;
   * eight times as many more wait their turn, and past that an upload answers 429.
   */
  maxConcurrentUploadsPerAccount: number;
}

export interface AuthSettings {
  /** 'open': no authentication, anyone may do anything (the reference server's behaviour); only when set explicitly. */
  mode: 'enforced' | 'open';
  /** Whether `POST /api/v1/users` lets anyone sign up. */
  signup: boolean;
  /** A site admin created at boot when the account does not exist yet. */
  admin: { username: string; password: string } | null;
  /** Visibility of a package created by a push that does not say. */
  defaultVisibility: 'public' | 'private';
  /** Lifetime of tokens issued by login and by the token API when none is asked for (0: no expiry). */
  tokenTtlSeconds: number;
  /**
   * Requests per minute per caller across all routes: per account (all its tokens), or per client
   * address for anonymous callers and refused credentials; the caller's own namespace limit
   * overrides it, and a namespace's limit adds a bucket on its routes (0: no limit).
   */
  rateLimitPerMinute: number;
  /** Wrong passwords per account per minute; past it every password attempt for the account is refused (429) unhashed. */
  failedLoginsPerMinute: number;
  /** A gateway writes each token used since its last write (last_used_at) every this many seconds. */
  tokenUseIntervalSeconds: number;
  /** The key signing registry tokens (the OCI token endpoint's); null: the profile picks one (see RegistryTokens). */
  registryTokenKey: Buffer | null;
  /** Password hashes (scrypt) computed at once, off the event loop. */
  passwordHashConcurrency: number;
  /** Password checks that may wait for a hashing slot; one more answers 503. */
  passwordHashQueue: number;
  /** Storage quota of each namespace unless set per namespace (0: none). */
  maxNamespaceStorageBytes: number;
}

export interface DistributedSettings {
  kafka: { brokers: string[]; topicPrefix: string; partitions: number; replicationFactor: number } | null;
  mongo: { url: string; database: string } | null;
  s3: {
    endpoint: string | undefined;
    region: string;
    accessKeyId: string | undefined;
    secretAccessKey: string | undefined;
    bucket: string;
  } | null;
  opensearch: { url: string; indexPrefix: string; replicas: number } | null;
  /** Where the gateway reaches the other services (their internal HTTP APIs): one URL per replica, comma-separated. */
  services: { search: string | null };
}

const SETTING_VARIABLES = {
  kafka: 'WHARF_KAFKA_BROKERS',
  mongo: 'WHARF_MONGO_URL',
  s3: 'WHARF_S3_ENDPOINT',
  opensearch: 'WHARF_OPENSEARCH_URL',
  'services.search': 'WHARF_SEARCH_URL',
} as const;

/** Fails with every missing variable at once when a service lacks the settings it needs. */
export function requireSettings(config: WharfConfig, ...needed: (keyof typeof SETTING_VARIABLES)[]): void {
  const d = config.distributed;
  const present = (key: keyof typeof SETTING_VARIABLES) =>
    key.startsWith('services.') ? d.services[key.slice(9) as 'search'] !== null : d[key as 'kafka'] !== null;
  const missing = needed
    .filter((key) => !present(key))
    .map((key) => `${SETTING_VARIABLES[key]}: required by this service`);
  if (missing.length > 0) throw new ConfigError(missing);
}

/**
 * For the blob service's collector (distributed profile): a pushed blob is stored before its
 * command is sent, and is referenced only once the command is applied, which a writer does until
 * the command's deadline (WHARF_DEPENDENCY_TIMEOUT_SECONDS after it was sent) and never after.
 * A grace period not above that could delete the blob of a push that is still to be acknowledged.
 */
export function requireGcGraceAboveCommandDeadline(config: WharfConfig): void {
  if (config.blobGc.intervalSeconds === 0 || config.blobGc.graceSeconds * 1000 > config.dependencyTimeoutMs) return;
  throw new ConfigError([
    `WHARF_BLOB_GC_GRACE_SECONDS: must be above WHARF_DEPENDENCY_TIMEOUT_SECONDS (${config.dependencyTimeoutMs / 1000}), ` +
      `the longest a push's command may wait to be applied (got ${config.blobGc.graceSeconds})`,
  ]);
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Variables whose value is a secret (or may hold one, as a MongoDB URL's password): never echoed. */
const SECRET_VARIABLE = /PASSWORD|SECRET|KEY|TOKEN|MONGO_URL/;

/** A refused value as the error shows it: quoted, or only its length for a secret. */
function shownValue(name: string, value: string | undefined): string {
  if (value === undefined || !SECRET_VARIABLE.test(name)) return JSON.stringify(value);
  return `a value of ${value.length} characters, not shown`;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): WharfConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `${i.path.join('.')}: ${i.message} (got ${shownValue(String(i.path[0]), env[String(i.path[0])])})`,
      ),
    );
  }
  const e = parsed.data;
  if (Boolean(e.WHARF_ADMIN_USERNAME) !== Boolean(e.WHARF_ADMIN_PASSWORD)) {
    throw new ConfigError(['WHARF_ADMIN_USERNAME and WHARF_ADMIN_PASSWORD: set both or neither']);
  }
  return {
    profile: e.WHARF_PROFILE,
    http: {
      host: e.WHARF_HOST,
      port: e.WHARF_PORT,
      apiPrefix: e.WHARF_API_PREFIX,
      publicUrl: e.WHARF_PUBLIC_URL ?? null,
      maxBodyBytes: e.WHARF_MAX_BODY_BYTES,
      maxAccountBodyBytes: e.WHARF_MAX_ACCOUNT_BODY_BYTES,
      requestTimeoutMs: e.WHARF_REQUEST_TIMEOUT_SECONDS * 1000,
      maxJsonPullBytes: e.WHARF_MAX_JSON_PULL_BYTES,
      allowedHosts: e.WHARF_ALLOWED_HOSTS ? e.WHARF_ALLOWED_HOSTS.toLowerCase().split(',') : null,
      trustedProxies: e.WHARF_TRUSTED_PROXIES ? e.WHARF_TRUSTED_PROXIES.split(',') : null,
    },
    dataDir: resolve(e.WHARF_DATA_DIR),
    logLevel: e.WHARF_LOG_LEVEL,
    logRedact: e.WHARF_LOG_REDACT ? e.WHARF_LOG_REDACT.split(',') : [],
    tracing: { otlpTracesUrl: e.WHARF_OTLP_TRACES_URL ?? null, sampleRatio: e.WHARF_TRACES_SAMPLE_RATIO },
    archive: {
      maxBlobBytes: e.WHARF_MAX_BLOB_BYTES,
      maxUnpackedBytes: e.WHARF_MAX_UNPACKED_BYTES,
      maxExpansionRatio: e.WHARF_MAX_EXPANSION_RATIO,
      maxEntries: e.WHARF_MAX_ARCHIVE_ENTRIES,
    },
    archiveWorkers: e.WHARF_ARCHIVE_WORKERS,
    push: {
      maxMetadataBytes: e.WHARF_MAX_METADATA_BYTES,
      maxMetadataDepth: e.WHARF_MAX_METADATA_DEPTH,
      maxPackageMetadataBytes: e.WHARF_MAX_PACKAGE_METADATA_BYTES,
      maxUploadBytesInFlight: e.WHARF_MAX_UPLOAD_BYTES_IN_FLIGHT,
      maxConcurrentUploadsPerAccount: e.WHARF_MAX_CONCURRENT_UPLOADS_PER_ACCOUNT,
    },
    listLimit: e.WHARF_LIST_LIMIT,
    sqlite: { synchronous: e.WHARF_SQLITE_SYNCHRONOUS },
    readiness: { maxLag: e.WHARF_READY_MAX_LAG },
    dependencyTimeoutMs: e.WHARF_DEPENDENCY_TIMEOUT_SECONDS * 1000,
    auth: {
      mode: e.WHARF_AUTH_MODE,
      signup: e.WHARF_SIGNUP === 'true',
      admin:
        e.WHARF_ADMIN_USERNAME && e.WHARF_ADMIN_PASSWORD
          ? { username: e.WHARF_ADMIN_USERNAME, password: e.WHARF_ADMIN_PASSWORD }
          : null,
      defaultVisibility: e.WHARF_DEFAULT_VISIBILITY,
      tokenTtlSeconds: e.WHARF_TOKEN_TTL_SECONDS,
      rateLimitPerMinute: e.WHARF_RATE_LIMIT_PER_MINUTE,
      failedLoginsPerMinute: e.WHARF_FAILED_LOGINS_PER_MINUTE,
      tokenUseIntervalSeconds: e.WHARF_TOKEN_USE_INTERVAL_SECONDS,
      registryTokenKey: e.WHARF_REGISTRY_TOKEN_KEY ? Buffer.from(e.WHARF_REGISTRY_TOKEN_KEY, 'base64') : null,
      passwordHashConcurrency: e.WHARF_PASSWORD_HASH_CONCURRENCY,
      passwordHashQueue: e.WHARF_PASSWORD_HASH_QUEUE,
      maxNamespaceStorageBytes: e.WHARF_NAMESPACE_MAX_STORAGE_BYTES,
    },
    pullRedirect: { enabled: e.WHARF_PULL_REDIRECT === 'true', ttlSeconds: e.WHARF_PULL_REDIRECT_TTL_SECONDS },
    blobCache: { maxBytes: e.WHARF_BLOB_CACHE_MAX_BYTES, maxBlobBytes: e.WHARF_BLOB_CACHE_MAX_BLOB_BYTES },
    metadataCache: { maxBytes: e.WHARF_METADATA_CACHE_BYTES },
    blobGc: { intervalSeconds: e.WHARF_BLOB_GC_INTERVAL_SECONDS, graceSeconds: e.WHARF_BLOB_GC_GRACE_SECONDS },
    ociUploads: { maxAgeSeconds: e.WHARF_OCI_UPLOAD_MAX_AGE_SECONDS },
    importSource: { password: e.WHARF_IMPORT_SOURCE_PASSWORD ?? null, token: e.WHARF_IMPORT_SOURCE_TOKEN ?? null },
    retention: {
      intervalSeconds: e.WHARF_RETENTION_INTERVAL_SECONDS,
      pullRecordIntervalSeconds: e.WHARF_PULL_RECORD_INTERVAL_SECONDS,
      siteDefault: e.WHARF_RETENTION_DEFAULT_POLICY,
    },
    webhooks: {
      secretKey: e.WHARF_WEBHOOK_SECRET_KEY ? Buffer.from(e.WHARF_WEBHOOK_SECRET_KEY, 'base64') : null,
      allowPrivateAddresses: e.WHARF_WEBHOOK_ALLOW_PRIVATE === 'true',
      timeoutMs: e.WHARF_WEBHOOK_TIMEOUT_SECONDS * 1000,
      maxAttempts: e.WHARF_WEBHOOK_MAX_ATTEMPTS,
      backoff: { baseMs: e.WHARF_WEBHOOK_BACKOFF_BASE_MS, maxMs: e.WHARF_WEBHOOK_BACKOFF_MAX_MS },
      retentionDays: e.WHARF_WEBHOOK_RETENTION_DAYS,
      whenFailing: e.WHARF_WEBHOOK_WHEN_FAILING,
      shard: {
        index: Number(e.WHARF_WEBHOOK_SHARD.split('/')[0]),
        count: Number(e.WHARF_WEBHOOK_SHARD.split('/')[1]),
      },
    },
    distributed: {
      kafka: e.WHARF_KAFKA_BROKERS
        ? {
            brokers: e.WHARF_KAFKA_BROKERS.split(','),
            topicPrefix: e.WHARF_KAFKA_TOPIC_PREFIX,
            partitions: e.WHARF_KAFKA_PARTITIONS,
            replicationFactor: e.WHARF_KAFKA_REPLICATION_FACTOR,
          }
        : null,
      mongo: e.WHARF_MONGO_URL ? { url: e.WHARF_MONGO_URL, database: e.WHARF_MONGO_DATABASE } : null,
      s3: e.WHARF_S3_ENDPOINT
        ? {
            endpoint: e.WHARF_S3_ENDPOINT,
            region: e.WHARF_S3_REGION,
            accessKeyId: e.WHARF_S3_ACCESS_KEY_ID,
            secretAccessKey: e.WHARF_S3_SECRET_ACCESS_KEY,
            bucket: e.WHARF_S3_BUCKET,
          }
        : null,
      opensearch: e.WHARF_OPENSEARCH_URL
        ? {
            url: e.WHARF_OPENSEARCH_URL,
            indexPrefix: e.WHARF_OPENSEARCH_INDEX_PREFIX,
            replicas: e.WHARF_OPENSEARCH_REPLICAS,
          }
        : null,
      services: {
        search: e.WHARF_SEARCH_URL ?? null,
      },
    },
  };
}

/** The documented variables, for the README table and `--help`. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

/** What every Kafka client of a service needs, from the configuration (requireSettings(config, 'kafka') first). */
export function kafkaClientOptions(config: WharfConfig, clientId: string) {
  const kafka = config.distributed.kafka;
  if (!kafka) throw new ConfigError(['WHARF_KAFKA_BROKERS: required by this service']);
  return {
    brokers: kafka.brokers,
    clientId,
    topicPrefix: kafka.topicPrefix,
    partitions: kafka.partitions,
    replicationFactor: kafka.replicationFactor,
  };
}
