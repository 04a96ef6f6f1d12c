/**
 * `/metrics` over HTTP (issue 19), against whichever profile serves WHARF_URL (the embedded
 * process, or a gateway of the distributed stack, whose /metrics are the gateway's own): the
 * families exist, and the counters move when pushes, pulls and refused credentials happen.
 * Other suites run against the same servers at once and only ever add to the counters, so each
 * check is "moved by at least what this suite did".
 */
import { randomBytes } from 'node:crypto';
import { PrometheusScrape, WHARF_METRIC_FAMILIES, parsePrometheusText, sumOfSamples } from '@wharf/testing';
import { HttpClient, cnr, expectError, expectJson, root } from '../support/http-client';
import { E2E_ADMIN, enforcedUrl } from '../support/target';
import { archiveFor, packagePath, pushOk, uniqueNamespace } from './support/appr.fixtures';

jest.setTimeout(120_000);

const GATEWAY_FAMILIES = [...WHARF_METRIC_FAMILIES, 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes'];

async function scrape(client: HttpClient): Promise<PrometheusScrape> {
  const res = await client.get('/metrics');
  expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({
    status: 200,
    type: expect.stringContaining('text/plain'),
  });
  return parsePrometheusText(res.text());
}

/** How much each series moved between two scrapes. */
const moved = (before: PrometheusScrape, after: PrometheusScrape, name: string, labels: Record<string, string> = {}) =>
  sumOfSamples(after, name, labels) - sumOfSamples(before, name, labels);

describe('/metrics (open registry at WHARF_URL)', () => {
  it('should declare every family, each series labelled with its service', async () => {
    const scraped = await scrape(root);
    for (const family of GATEWAY_FAMILIES) expect([family, scraped.families.has(family)]).toEqual([family, true]);
    const services = new Set(scraped.samples.map((s) => s.labels.service));
    expect(services.size).toBe(1);
    expect(['embedded', 'gateway']).toContain([...services][0]);
  });

  it('should count pushes and pulls by protocol with their bytes, requests by route template, store calls and blob cache hits', async () => {
    const ns = uniqueNamespace('metrics');
    const archive = archiveFor('mchart', '1.0.0');
    const chart = archiveFor('cmchart', '2.0.0');
    const before = await scrape(root);

    await pushOk(ns, 'mchart', { release: '1.0.0', mediaType: 'helm', archive });
    for (let i = 0; i < 2; i++) {
      const pulled = await cnr.get(packagePath(ns, 'mchart', '1.0.0', 'helm', 'pull'));
      expect({ status: pulled.status, same: pulled.bytes.equals(archive) }).toEqual({ status: 200, same: true });
    }
    const helmPull = await root.get(`/helm/${ns}/charts/mchart-1.0.0.tgz`);
    expect({ status: helmPull.status, same: helmPull.bytes.equals(archive) }).toEqual({ status: 200, same: true });
    const uploaded = await root.send('POST', `/api/${ns}/charts`, {
      body: chart,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(uploaded.status).toBe(201);
    expect((await cnr.get(`/no/such/route/${randomBytes(4).toString('hex')}`)).status).toBe(404);

    const after = await scrape(root);
    expect(moved(before, after, 'wharf_pushes_total', { protocol: 'appr' })).toBeGreaterThanOrEqual(1);
    expect(moved(before, after, 'wharf_pushed_bytes_total', { protocol: 'appr' })).toBeGreaterThanOrEqual(
      archive.length,
    );
    expect(moved(before, after, 'wharf_pushes_total', { protocol: 'chartmuseum' })).toBeGreaterThanOrEqual(1);
    expect(moved(before, after, 'wharf_pushed_bytes_total', { protocol: 'chartmuseum' })).toBeGreaterThanOrEqual(
      chart.length,
    );
    expect(moved(before, after, 'wharf_pulls_total', { protocol: 'appr' })).toBeGreaterThanOrEqual(2);
    expect(moved(before, after, 'wharf_pulled_bytes_total', { protocol: 'appr' })).toBeGreaterThanOrEqual(
      2 * archive.length,
    );
    expect(moved(before, after, 'wharf_pulls_total', { protocol: 'helm' })).toBeGreaterThanOrEqual(1);
    // The second pull and the Helm download of the same bytes come from memory.
    expect(moved(before, after, 'wharf_blob_cache_hits_total')).toBeGreaterThanOrEqual(2);

    const requests = (labels: Record<string, string>) =>
      moved(before, after, 'wharf_http_request_duration_seconds_count', labels);
    expect(
      requests({ method: 'POST', route: '/api/v1/packages/:namespace/:package', status_class: '2xx' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      requests({
        method: 'GET',
        route: '/api/v1/packages/:namespace/:package/:release/:mediaType/pull',
        status_class: '2xx',
      }),
    ).toBeGreaterThanOrEqual(2);
    expect(requests({ route: 'unmatched', status_class: '4xx' })).toBeGreaterThanOrEqual(1);
    // Route templates only: no namespace of ours appears in any label.
    expect(after.samples.some((s) => Object.values(s.labels).some((v) => v.includes(ns)))).toBe(false);

    expect(
      moved(before, after, 'wharf_store_call_duration_seconds_count', {
        store: 'blobs',
        operation: 'put',
        outcome: 'ok',
      }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      moved(before, after, 'wharf_store_call_duration_seconds_count', { store: 'metadata', outcome: 'ok' }),
    ).toBeGreaterThan(0);
  });
});

describe('/metrics with authentication enforced (WHARF_ENFORCED_URL)', () => {
  const anonymous = new HttpClient('', enforcedUrl);
  const anonymousCnr = new HttpClient('/cnr', enforcedUrl);
  let admin: HttpClient;
  let adminToken: string;

  beforeAll(async () => {
    adminToken = expectJson(await anonymousCnr.post('/api/v1/users/login', { user: E2E_ADMIN }), 200).token as string;
    admin = anonymous.with({ authorization: adminToken });
  });

  it('should refuse an anonymous scrape', async () => {
    expectError(await anonymous.get('/metrics'), 401, 'unauthorized-access');
  });

  it('should count refused credentials by kind, for a site admin to read', async () => {
    const before = await scrape(admin);
    const login = await anonymousCnr.post('/api/v1/users/login', {
      user: { username: `nobody-${randomBytes(4).toString('hex')}`, password: 'not the password' },
    });
    expectError(login, 401, 'unauthorized-access');
    // The admin's token with another secret: well-formed, refused.
    const forged = adminToken.slice(0, -4) + (adminToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expectError(
      await anonymousCnr.get('/api/v1/user', { headers: { authorization: forged } }),
      401,
      'unauthorized-access',
    );
    const after = await scrape(admin);

    expect(
      moved(before, after, 'wharf_authentication_failures_total', { credential: 'password' }),
    ).toBeGreaterThanOrEqual(1);
    expect(moved(before, after, 'wharf_authentication_failures_total', { credential: 'token' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      moved(before, after, 'wharf_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/v1/users/login',
        status_class: '4xx',
      }),
    ).toBeGreaterThanOrEqual(1);
  });
});
