import { ConfigError, loadConfig, requireGcGraceAboveCommandDeadline } from './wharf-config';

describe('loadConfig: the URLs of the services the gateway calls', () => {
  it('should take one URL per replica, comma-separated', () => {
    const config = loadConfig({
      WHARF_SEARCH_URL: 'http://10.0.0.1:5102,http://10.0.0.2:5102',
    });

    expect(config.distributed.services).toEqual({
      search: 'http://10.0.0.1:5102,http://10.0.0.2:5102',
    });
  });

  it('should refuse a list with an entry that is not an http(s) URL, naming the variable', () => {
    for (const bad of ['http://a:5102,', 'http://a:5102,b:5102', 'ftp://a:21', '']) {
      expect(() => loadConfig({ WHARF_SEARCH_URL: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ WHARF_SEARCH_URL: bad })).toThrow(/WHARF_SEARCH_URL/);
    }
  });
});

describe('requireGcGraceAboveCommandDeadline: the blob collector waits out every command', () => {
  const config = (env: Record<string, string>) => loadConfig({ WHARF_BLOB_GC_INTERVAL_SECONDS: '60', ...env });

  it('should refuse a grace period not above the dependency timeout, naming both variables', () => {
    for (const grace of ['30', '5']) {
      expect(() =>
        requireGcGraceAboveCommandDeadline(
          config({ WHARF_BLOB_GC_GRACE_SECONDS: grace, WHARF_DEPENDENCY_TIMEOUT_SECONDS: '30' }),
        ),
      ).toThrow(/WHARF_BLOB_GC_GRACE_SECONDS: must be above WHARF_DEPENDENCY_TIMEOUT_SECONDS \(30\)/);
    }
  });

  it('should accept a grace period above the timeout, and any when the collector is off', () => {
    expect(() =>
      requireGcGraceAboveCommandDeadline(
        config({ WHARF_BLOB_GC_GRACE_SECONDS: '31', WHARF_DEPENDENCY_TIMEOUT_SECONDS: '30' }),
      ),
    ).not.toThrow();
    expect(() =>
      requireGcGraceAboveCommandDeadline(
        loadConfig({ WHARF_BLOB_GC_INTERVAL_SECONDS: '0', WHARF_BLOB_GC_GRACE_SECONDS: '0' }),
      ),
    ).not.toThrow();
    expect(() => requireGcGraceAboveCommandDeadline(loadConfig({}))).not.toThrow();
  });
});

describe('loadConfig: WHARF_LOG_REDACT, the redaction paths added to the defaults', () => {
  it('should take comma-separated pino paths', () => {
    expect(loadConfig({}).logRedact).toEqual([]);
    expect(loadConfig({ WHARF_LOG_REDACT: 'user.email,*.apiKey,headers["x-api-key"]' }).logRedact).toEqual([
      'user.email',
      '*.apiKey',
      'headers["x-api-key"]',
    ]);
  });

  it('should refuse what is not a path, naming the variable', () => {
    for (const bad of ['', 'a,', 'a b', 'a..b', '.a', 'a.b-c', 'a[0', 'a,b;c', 'a["x,y"]']) {
      expect(() => loadConfig({ WHARF_LOG_REDACT: bad })).toThrow(/WHARF_LOG_REDACT/);
    }
  });
});

describe("loadConfig: the site's default retention policy", () => {
  it('should read it as the API reads a policy, and have none when unset', () => {
    expect(loadConfig({}).retention.siteDefault).toBeNull();
    expect(
      loadConfig({ WHARF_RETENTION_DEFAULT_POLICY: '{"keep_last": 10, "prereleases": "drop"}' }).retention.siteDefault,
    ).toEqual({
      packagePattern: null,
      keepLast: 10,
      keepPushedWithinDays: null,
      keepChannelReleases: 'current',
      prereleases: 'drop',
    });
  });

  it('should refuse what is not a policy, naming the variable and the field, with the other errors', () => {
    for (const [bad, why] of [
      ['keep_last=10', /JSON/],
      ['[1]', /a JSON object/],
      ['{}', /keep_last/],
      ['{"keep_last": 10, "colour": "red"}', /colour/],
    ] as const) {
      expect(() => loadConfig({ WHARF_RETENTION_DEFAULT_POLICY: bad })).toThrow(why);
      expect(() => loadConfig({ WHARF_RETENTION_DEFAULT_POLICY: bad, WHARF_PORT: 'x' })).toThrow(
        /WHARF_RETENTION_DEFAULT_POLICY[\s\S]*WHARF_PORT|WHARF_PORT[\s\S]*WHARF_RETENTION_DEFAULT_POLICY/,
      );
    }
  });
});

describe('a refused secret', () => {
  it('is named with its length, never echoed, in the configuration error', () => {
    const secret = 'c2hvcnQta2V5LXZhbHVl';
    for (const name of ['WHARF_REGISTRY_TOKEN_KEY', 'WHARF_WEBHOOK_SECRET_KEY']) {
      let message = '';
      try {
        loadConfig({ [name]: secret });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(`${name}:`);
      expect(message).toContain(`a value of ${secret.length} characters, not shown`);
      expect(message).not.toContain(secret);
    }
    // Other values are quoted as given, to say what was wrong.
    expect(() => loadConfig({ WHARF_PORT: 'eighty' })).toThrow(/"eighty"/);
  });
});

describe('loadConfig: WHARF_METADATA_CACHE_BYTES, the metadata store caches of every process', () => {
  it('should default to 32 MiB and take 0 (no cache) or a size in bytes', () => {
    expect(loadConfig({}).metadataCache).toEqual({ maxBytes: 32 * 1024 * 1024 });
    expect(loadConfig({ WHARF_METADATA_CACHE_BYTES: '0' }).metadataCache).toEqual({ maxBytes: 0 });
    expect(loadConfig({ WHARF_METADATA_CACHE_BYTES: '536870912' }).metadataCache).toEqual({
      maxBytes: 512 * 1024 * 1024,
    });
  });

  it('should refuse what is not a whole number of bytes, naming the variable', () => {
    for (const bad of ['-1', '1.5', '32MiB']) {
      expect(() => loadConfig({ WHARF_METADATA_CACHE_BYTES: bad })).toThrow(/WHARF_METADATA_CACHE_BYTES/);
    }
  });
});
