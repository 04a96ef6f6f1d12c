import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, JsonLogger, loadConfig } from '@wharf/config';
import { LagGauge, ReadinessCheck, lagWithin } from './service-host.module';
import { createService } from './service-app';

describe('readiness on consumer lag', () => {
  describe('lagWithin', () => {
    it('should be ready while every group is at or under the bound, and name each group over it', async () => {
      const lags: Record<string, number> = { metadata: 0, search: 10 };
      const gauges: LagGauge[] = [];
      const check = lagWithin(gauges, 10);
      // Gauges registered after the check was made are read too.
      gauges.push({ group: 'metadata', lag: async () => lags.metadata }, { group: 'search', lag: async () => lags.search });

      expect(await check()).toBeNull();
      lags.search = 11;
      expect(await check()).toBe('consumer group search lags by 11 events (more than 10)');
      lags.metadata = 500;
      expect(await check()).toBe('consumer group metadata lags by 500 events (more than 10); consumer group search lags by 11 events (more than 10)');
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
      app = await createService({ providers: [], imports: [], checks, gauges, onClose: async () => {} }, new JsonLogger('silent'));
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
      expect(res.json()).toMatchObject({ code: 'service-unavailable', details: { dependency: 'consumer group search lags by 101 events (more than 100)' } });
      expect((await get('/metrics')).body).toContain('wharf_consumer_lag{group="search"} 101');
      expect((await get('/healthz')).statusCode).toBe(200);
    });
  });

  describe('WHARF_READY_MAX_LAG', () => {
    it('should default to 1000, accept 0, and refuse what is not a non-negative integer', () => {
      expect(loadConfig({}).readiness.maxLag).toBe(1000);
      expect(loadConfig({ WHARF_READY_MAX_LAG: '0' }).readiness.maxLag).toBe(0);
      for (const bad of ['-1', 'many', '1.5']) expect(() => loadConfig({ WHARF_READY_MAX_LAG: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ WHARF_READY_MAX_LAG: '-1', WHARF_DEPENDENCY_TIMEOUT_SECONDS: '0' })).toThrow(/WHARF_READY_MAX_LAG[\s\S]*WHARF_DEPENDENCY_TIMEOUT_SECONDS/);
      expect(loadConfig({ WHARF_DEPENDENCY_TIMEOUT_SECONDS: '3' }).dependencyTimeoutMs).toBe(3000);
    });
  });
});
