import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, JsonLogger, loadConfig } from '@wharf/config';
import { WharfMetrics } from '@wharf/metrics';
import { LagGauge, ReadinessCheck, lagWithin, readinessProbe } from './service-host.module';
import { createService } from './service-app';

describe('readiness on consumer lag', () => {
  describe('lagWithin', () => {
    it('should be ready while every group is at or under the bound, and name each group over it', async () => {
      const lags: Record<string, number> = { metadata: 0, search: 10 };
      const gauges: LagGauge[] = [];
      const check = lagWithin(gauges, 10);
      // Gauges registered after the check was made are read too.
      gauges.push(
        { group: 'metadata', lag: async () => lags.metadata },
        { group: 'search', lag: async () => lags.search },
      );

      expect(await check()).toBeNull();
      lags.search = 11;
      expect(await check()).toBe('consumer group search lags by 11 events (more than 10)');
      lags.metadata = 500;
      expect(await check()).toBe(
        'consumer group metadata lags by 500 events (more than 10); consumer group search lags by 11 events (more than 10)',
      );
    });

    it('should with a bound of 0 be ready only when fully caught up', async () => {
      let lag = 0;
      const check = lagWithin([{ group: 'blob-references', lag: async () => lag }], 0);
      expect(await check()).toBeNull();
      lag = 1;
      expect(await check()).toMatch(/blob-references lags by 1 events/);
    });

    it('should fail when a gauge cannot be read', async () => {
      const check = lagWithin([{ group: 'search', lag: async () => Promise.reject(new Error('broker down')) }], 10);
      await expect(check()).rejects.toThrow('broker down');
    });
  });

  describe('GET /readyz', () => {
    let app: NestFastifyApplication;
    let lag = 0;
    const checks: ReadinessCheck[] = [];
    const gauges: LagGauge[] = [{ group: 'search', lag: async () => lag }];

    beforeAll(async () => {
      app = await createService(
        {
          providers: [],
          imports: [],
          checks,
          gauges,
          metrics: new WharfMetrics('test', { processMetrics: false }),
          onClose: async () => {},
        },
        new JsonLogger('silent'),
      );
      checks.push(lagWithin(gauges, 100));
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
    });

    afterAll(() => app.close());

    const get = (url: string) => app.getHttpAdapter().getInstance().inject({ method: 'GET', url });

    it('should answer 200 within the bound and 503 service-unavailable with Retry-After beyond it, with the lag on /metrics', async () => {
      lag = 100;
      expect((await get('/readyz')).statusCode).toBe(200);

      lag = 101;
      const res = await get('/readyz');
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json()).toMatchObject({
        code: 'service-unavailable',
        details: { dependency: 'consumer group search lags by 101 events (more than 100)' },
      });
      expect((await get('/metrics')).body).toContain('wharf_consumer_lag{group="search",service="test"} 101');
      expect((await get('/healthz')).statusCode).toBe(200);
    });
  });

  describe('GET /readyz when a dependency fails', () => {
    const DRIVER_TEXT = 'connect ECONNREFUSED 10.1.2.3:27017 (mongodb://wharf:hunter2@db-7.internal)';
    let app: NestFastifyApplication;
    const logged: string[] = [];
    let storeDown = false;
    let gaugeDown = false;
    const checks: ReadinessCheck[] = [];
    const gauges: LagGauge[] = [
      { group: 'search', lag: async () => (gaugeDown ? Promise.reject(new Error(DRIVER_TEXT)) : 0) },
    ];

    beforeAll(async () => {
      app = await createService(
        {
          providers: [],
          imports: [],
          checks,
          gauges,
          metrics: new WharfMetrics('test', { processMetrics: false }),
          onClose: async () => {},
        },
        new JsonLogger('warn', (line) => logged.push(line)),
      );
      checks.push(
        readinessProbe('metadata store', async () => {
          if (storeDown) throw new Error(DRIVER_TEXT);
        }),
        lagWithin(gauges, 100),
      );
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
    });

    afterAll(() => app.close());

    const ready = () => app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/readyz' });

    it('should name the dependency that is not ready, never its error, which goes to the log', async () => {
      expect((await ready()).statusCode).toBe(200);

      storeDown = true;
      gaugeDown = true;
      const res = await ready();
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({
        code: 'service-unavailable',
        details: { dependency: 'metadata store is not answering; the lag of consumer group search is not answering' },
      });
      expect(res.body).not.toMatch(/ECONNREFUSED|10\.1\.2\.3|hunter2|internal/);
      expect(logged.join('\n')).toContain(`metadata store: ${DRIVER_TEXT}`);
    });
  });

  describe('WHARF_READY_MAX_LAG', () => {
    it('should default to 1000, accept 0, and refuse what is not a non-negative integer', () => {
      expect(loadConfig({}).readiness.maxLag).toBe(1000);
      expect(loadConfig({ WHARF_READY_MAX_LAG: '0' }).readiness.maxLag).toBe(0);
      for (const bad of ['-1', 'many', '1.5'])
        expect(() => loadConfig({ WHARF_READY_MAX_LAG: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ WHARF_READY_MAX_LAG: '-1', WHARF_DEPENDENCY_TIMEOUT_SECONDS: '0' })).toThrow(
        /WHARF_READY_MAX_LAG[\s\S]*WHARF_DEPENDENCY_TIMEOUT_SECONDS/,
      );
      expect(loadConfig({ WHARF_DEPENDENCY_TIMEOUT_SECONDS: '3' }).dependencyTimeoutMs).toBe(3000);
    });
  });
});
