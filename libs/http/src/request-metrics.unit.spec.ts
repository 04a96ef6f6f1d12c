import { Controller, Get, Param } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { JsonLogger } from '@wharf/config';
import { PackageNotFoundError } from '@wharf/domain';
import { WharfMetrics } from '@wharf/metrics';
import { metricSample } from '@wharf/testing';
import { createService } from './service-app';

@Controller()
class ThingsController {
  @Get('things/:id')
  thing(@Param('id') id: string) {
    if (id === 'missing') throw new PackageNotFoundError('ns/missing');
    return { id };
  }
}

describe('request metrics (every service app)', () => {
  let app: NestFastifyApplication;
  const metrics = new WharfMetrics('test', { processMetrics: false });

  beforeAll(async () => {
    app = await createService(
      { providers: [], imports: [], controllers: [ThingsController], checks: [], metrics, onClose: async () => {} },
      new JsonLogger('silent'),
    );
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(() => app.close());

  const get = (url: string) => app.getHttpAdapter().getInstance().inject({ method: 'GET', url });
  const requests = (route: string, status_class: string) =>
    metricSample(metrics, 'wharf_http_request_duration_seconds_count', { method: 'GET', route, status_class });

  it('should observe each answer under its route template and status class, never its URL', async () => {
    expect((await get('/things/a')).statusCode).toBe(200);
    expect((await get('/things/b?x=1')).statusCode).toBe(200);
    expect((await get('/things/missing')).statusCode).toBe(404);
    expect((await get('/no/such/route/1')).statusCode).toBe(404);
    expect((await get('/no/such/route/2')).statusCode).toBe(404);

    expect(await requests('/things/:id', '2xx')).toBe(2);
    expect(await requests('/things/:id', '4xx')).toBe(1);
    expect(await requests('unmatched', '4xx')).toBe(2);
    const text = await metrics.exposition();
    expect(text).not.toContain('/things/a');
    expect(text).not.toContain('/no/such');
  });

  it('should serve the metrics on /metrics, observed too', async () => {
    const res = await get('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('# TYPE wharf_http_request_duration_seconds histogram');
    expect(await requests('/metrics', '2xx')).toBe(1);
  });
});
