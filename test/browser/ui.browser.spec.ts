/**
 * The web UI in a real browser (Debian's Chromium through playwright-core) against a real Wharf
 * with accounts enforced: sign up, a token made in the UI, an organisation and a robot (API), a
 * chart pushed with the robot's token, found by search as you type, its page read (README
 * sanitised, values, templates, versions), its install commands copied and run with the real
 * helm CLI, made private and then invisible to another visitor, the token revoked, log out.
 * axe-core checks every page visited; the README's screenshots are saved on the way.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { HelmHome, installHelm, HELM_INSTALL_TIMEOUT_MS } from '../clients/support/helm-home';
import {
  BROWSER_ADMIN,
  browserUrl,
  launchChromium,
  newVisitor,
  screenshot,
  seriousAxeViolations,
} from './support/browser';

const id = randomBytes(3).toString('hex');
const alice = { username: `alice${id}`, password: `alice-password-${id}` };
const bob = { username: `bob${id}`, password: `bob-password-${id}` };
const org = `team${id}`;
const chart = `webdemo${id}`;
const packagePath = `/ui/${org}/${chart}`;

const README = [
  '# Demo chart',
  '',
  'Installs **webdemo**. <script>window.__pwned = true</script>',
  '',
  '<img src="https://images.invalid/tracker.png" onerror="window.__pwned = true">',
  '',
  '![logo](https://images.invalid/logo.png)',
  '',
  '[click](javascript:window.__pwned=true)',
  '',
].join('\n');

let browser: Browser;
let helm: HelmHome;
let aliceContext: BrowserContext;
let alicePage: Page;
let uiToken = '';
const remoteRequests: string[] = [];

async function api(path: string, init: { method?: string; token?: string; body?: unknown; raw?: Buffer } = {}) {
  const response = await fetch(`${browserUrl()}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Every page the tests open passes axe-core (no serious or critical violation). */
async function visit(page: Page, path: string): Promise<void> {
  await page.goto(path);
  expect(await seriousAxeViolations(page)).toEqual([]);
}

async function packageChart(version: string): Promise<Buffer> {
  const dir = join(helm.dir, 'src', version, chart);
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(
    join(dir, 'Chart.yaml'),
    `apiVersion: v2\nname: ${chart}\nversion: ${version}\nappVersion: "2.4"\ndescription: A chart the browser tier pushes\nkeywords: [web, demo]\nmaintainers: [{name: Alice, email: alice@example.com}]\nhome: https://example.com/webdemo\n`,
  );
  writeFileSync(join(dir, 'README.md'), README);
  writeFileSync(join(dir, 'values.yaml'), `# how many\nreplicaCount: 2\ngreeting: hello-${id}\n`);
  writeFileSync(
    join(dir, 'templates', 'configmap.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: {{ .Values.greeting }}\n',
  );
  const out = join(helm.dir, 'packages');
  await helm.ok(['package', dir, '-d', out]);
  return readFileSync(join(out, `${chart}-${version}.tgz`));
}

/** The search projection follows the log a moment behind the write. */
async function searchable(text: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const found = await api(`/api/v1/packages/search?q=${text}`);
    if (JSON.stringify(found.json).includes(`${org}/${chart}`)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${org}/${chart} never became searchable`);
}

beforeAll(async () => {
  installHelm();
  helm = new HelmHome('helm-browser');
  browser = await launchChromium();
  aliceContext = await newVisitor(browser);
  alicePage = await aliceContext.newPage();
  alicePage.on('request', (request) => {
    if (!request.url().startsWith(browserUrl())) remoteRequests.push(request.url());
  });
}, HELM_INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
});

describe('the web UI in a browser', () => {
  it('signs up through the form and lands on the tokens page, logged in', async () => {
    // `/` is still the appr discovery page, and links to the UI.
    await visit(alicePage, '/');
    expect(await alicePage.locator('meta[name="appr-package"]').getAttribute('content')).toContain('/api/v1/packages/');
    await alicePage.getByRole('link', { name: 'Browse and search packages' }).click();
    await alicePage.waitForURL('**/ui/');
    expect(await seriousAxeViolations(alicePage)).toEqual([]);
    await visit(alicePage, '/ui/-/signup');
    await alicePage.getByLabel('Username').fill(alice.username);
    await alicePage.getByLabel('Password').fill(alice.password);
    await alicePage.getByRole('button', { name: 'Create account' }).click();
    await alicePage.waitForURL('**/ui/-/tokens');
    expect(await seriousAxeViolations(alicePage)).toEqual([]);
    await expect(alicePage.getByRole('navigation', { name: 'Account' }).textContent()).resolves.toContain(
      alice.username,
    );
  });

  it('creates an API token with an expiry, which then works on the API', async () => {
    await alicePage.getByLabel('Label').fill('ci');
    await alicePage.getByLabel('Expires in (days)').fill('7');
    await alicePage.getByRole('button', { name: 'Create token' }).click();
    uiToken = ((await alicePage.locator('#new-token').textContent()) ?? '').trim();
    expect(uiToken).toMatch(/^wharf\./);
    const row = alicePage.locator('tr', { hasText: 'ci' });
    const expires = (await row.locator('td').nth(2).textContent()) ?? '';
    const days = (Date.parse(expires.replace(' ', 'T') + 'Z') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
    expect((await row.locator('td').nth(3).textContent())?.trim()).toBe('never');
    expect(await seriousAxeViolations(alicePage)).toEqual([]);
    await screenshot(alicePage, 'tokens');
    expect((await api('/api/v1/user', { token: uiToken })).json).toMatchObject({ username: alice.username });
    // The list writes the gateway's pending token uses first: the use just made shows at once.
    await visit(alicePage, '/ui/-/tokens');
    const lastUsed = (await alicePage.locator('tr', { hasText: 'ci' }).locator('td').nth(3).textContent()) ?? '';
    expect(lastUsed.trim()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it('creates an organisation and a robot in the UI, and pushes two versions of a chart with its token', async () => {
    await visit(alicePage, '/ui/-/orgs');
    await alicePage.getByLabel('Name').fill(org);
    await alicePage.getByRole('button', { name: 'Create organisation' }).click();
    await alicePage.waitForURL(`**/ui/-/orgs/${org}`);
    expect(await seriousAxeViolations(alicePage)).toEqual([]);
    expect(await alicePage.locator('tbody tr', { hasText: alice.username }).textContent()).toContain('admin');
    await alicePage.getByLabel('Name').fill('ci');
    await alicePage.getByLabel('Role').last().selectOption('write');
    await alicePage.getByRole('button', { name: 'Create robot' }).click();
    const robotToken = ((await alicePage.locator('#robot-token').textContent()) ?? '').trim();
    expect(robotToken).toMatch(/^wharf\./);
    expect(await alicePage.locator('tbody tr', { hasText: `${org}+ci` }).textContent()).toContain('write');
    expect(await seriousAxeViolations(alicePage)).toEqual([]);
    await screenshot(alicePage, 'organization');
    // A name the rules refuse is the API's 400, shown on the page, and nothing is created.
    await visit(alicePage, '/ui/-/orgs');
    await alicePage.getByLabel('Name').fill('Not A Name!');
    await alicePage.getByRole('button', { name: 'Create organisation' }).click();
    expect(await alicePage.getByRole('alert').textContent()).toBeTruthy();
    expect(await alicePage.locator('main li').count()).toBe(1);
    for (const version of ['0.1.0', '0.2.0']) {
      const pushed = await api(`/api/${org}/charts`, {
        method: 'POST',
        token: robotToken,
        raw: await packageChart(version),
      });
      expect(pushed).toEqual({ status: 201, json: { saved: true } });
    }
  });

  it('finds the chart by search as you type', async () => {
    await searchable(chart);
    // Without a query the home page lists the packages the visitor may read, by name, a page at a
    // time (filtered here to the organisation's namespace: the registry may hold many others).
    await visit(alicePage, `/ui/?namespace=${org}`);
    const result = alicePage.locator(`#results a[href="${packagePath}"]`);
    await result.waitFor();
    expect(await alicePage.locator('#results').textContent()).not.toContain('A chart the browser tier pushes');
    await visit(alicePage, '/ui/');
    await alicePage.getByRole('searchbox', { name: 'Search' }).pressSequentially(chart, { delay: 10 });
    // The script fetched the server-rendered results (with descriptions) and updated the URL, no submit.
    await alicePage.waitForURL(`**/ui/?q=${chart}`);
    await alicePage.locator('#results', { hasText: 'A chart the browser tier pushes' }).waitFor();
    await result.waitFor();
    // A media type filter, as you type too: the chart is no kpm package, and is a helm one.
    await alicePage.getByLabel('Type').selectOption('kpm');
    await alicePage.waitForURL(`**/ui/?q=${chart}&media_type=kpm`);
    await result.waitFor({ state: 'detached' });
    await alicePage.getByLabel('Type').selectOption('helm');
    await alicePage.waitForURL(`**/ui/?q=${chart}&media_type=helm`);
    await result.waitFor();
    // The sort, as you type too (its default, best match, stays out of the URL).
    await alicePage.getByLabel('Sort').selectOption('recent');
    await alicePage.waitForURL(`**/ui/?q=${chart}&media_type=helm&sort=recent`);
    await result.waitFor();
    await alicePage.getByLabel('Sort').selectOption('');
    await alicePage.waitForURL(`**/ui/?q=${chart}&media_type=helm`);
    await result.waitFor();
    expect(await seriousAxeViolations(alicePage)).toEqual([]);
    await screenshot(alicePage, 'search');
    await result.click();
    await alicePage.waitForURL(`**${packagePath}`);
  });

  it('shows the package page: README sanitised, values, metadata, templates, versions, install commands', async () => {
    let dialogs = 0;
    alicePage.on('dialog', (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });
    await visit(alicePage, packagePath);
    await expect(alicePage.getByRole('heading', { name: 'Demo chart' }).isVisible()).resolves.toBe(true);
    const readme = (await alicePage.locator('.readme').innerHTML()).toLowerCase();
    expect(readme).not.toContain('<script');
    expect(readme).not.toContain('<img');
    expect(readme).not.toMatch(/href="javascript:/);
    expect(await alicePage.evaluate(() => (globalThis as unknown as { __pwned?: boolean }).__pwned)).toBeUndefined();
    expect(await alicePage.locator('#values-yaml').textContent()).toBe(
      `# how many\nreplicaCount: 2\ngreeting: hello-${id}\n`,
    );
    expect(await alicePage.locator('aside').textContent()).toContain('2.4');
    expect(await alicePage.locator('aside').textContent()).toContain('Alice');
    expect(await alicePage.locator('#files + ul').textContent()).toContain('templates/configmap.yaml');
    const versions = alicePage.locator('section[aria-labelledby="versions"] tbody tr');
    expect(await versions.count()).toBe(2);
    expect(await versions.first().textContent()).toMatch(/0\.2\.0[\s\S]*helm[\s\S]*sha256:[0-9a-f]{64}/);
    expect(remoteRequests).toEqual([]);
    expect(dialogs).toBe(0);
    await screenshot(alicePage, 'package');
    const dark = await newVisitor(browser, { colorScheme: 'dark', width: 420 });
    const phone = await dark.newPage();
    await visit(phone, packagePath);
    await screenshot(phone, 'package-dark-narrow');
    await dark.close();
  });

  it('copies the install commands, which the real helm CLI runs', async () => {
    const copy = async (id: string): Promise<string> => {
      await alicePage.locator(`button[data-copy="${id}"]`).click();
      const copied = await alicePage.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      );
      expect(copied).toBe(((await alicePage.locator(`#${id}`).textContent()) ?? '').trim());
      return copied;
    };
    const words = (command: string) => command.split(/\s+/).slice(1);
    const repoAdd = await copy('cmd-helm-repo');
    await helm.ok(words(repoAdd));
    // No cluster in this tier: `helm template` takes the very arguments `helm install` was given.
    const install = words(await copy('cmd-helm-install'));
    expect(install[0]).toBe('install');
    const rendered = await helm.ok(['template', ...install.slice(1)]);
    expect(rendered.stdout).toContain(`greeting: hello-${id}`);
    const oci = words(await copy('cmd-helm-oci'));
    const fromOci = await helm.ok(['template', ...oci.slice(1)]);
    expect(fromOci.stdout).toContain(`greeting: hello-${id}`);
  });

  it('works without JavaScript: search results and the package page are server-rendered', async () => {
    const context = await newVisitor(browser, { javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`/ui/?q=${chart}`);
    await page.locator(`#results a[href="${packagePath}"]`).waitFor();
    // The filters are a plain form: submitted, its query parameters filter the server-rendered list.
    await page.getByLabel('Type').selectOption('kpm');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(`**/ui/?q=${chart}&namespace=&media_type=kpm&sort=`);
    expect(await page.locator(`#results a[href="${packagePath}"]`).count()).toBe(0);
    expect(await page.getByLabel('Type').inputValue()).toBe('kpm');
    // The sort too: a query parameter the server reads and the page shows selected.
    await page.getByLabel('Type').selectOption('helm');
    await page.getByLabel('Sort').selectOption('recent');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(`**/ui/?q=${chart}&namespace=&media_type=helm&sort=recent`);
    await page.locator(`#results a[href="${packagePath}"]`).waitFor();
    expect(await page.getByLabel('Sort').inputValue()).toBe('recent');
    await page.goto(packagePath);
    expect(await page.locator('#values-yaml').textContent()).toContain('replicaCount: 2');
    expect(await page.locator('button[data-copy]').first().isHidden()).toBe(true);
    await context.close();
  });

  it('shows the manifest of a release that is not a chart, its metadata as sent', async () => {
    const blob = (await packageChart('0.1.0')).toString('base64');
    const pushed = await api(`/api/v1/packages/${org}/notes${id}`, {
      method: 'POST',
      token: uiToken,
      body: { blob, release: '1.0.0', media_type: 'kpm', metadata: { note: `<b>kpm ${id}</b>` } },
    });
    expect(pushed.status).toBe(200);
    await visit(alicePage, `/ui/${org}/notes${id}`);
    const manifest = alicePage.locator('section[aria-labelledby="manifest"]');
    expect(await manifest.textContent()).toContain('application/vnd.cnr.package-manifest.kpm.v0.json');
    expect(await manifest.locator('pre').textContent()).toContain(`"note": "<b>kpm ${id}</b>"`);
    expect(await alicePage.locator('#files').count()).toBe(1);
  });

  it('makes the package private: another user sees neither its page nor its name, and cannot change it', async () => {
    await visit(alicePage, packagePath);
    await alicePage.getByRole('button', { name: 'Make private' }).click();
    await alicePage.waitForURL(`**${packagePath}`);
    expect(await alicePage.locator('h1 .badge').textContent()).toBe('private');

    const context = await newVisitor(browser);
    const page = await context.newPage();
    await visit(page, '/ui/-/signup');
    await page.getByLabel('Username').fill(bob.username);
    await page.getByLabel('Password').fill(bob.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/ui/-/tokens');
    const response = await page.goto(packagePath);
    expect(response?.status()).toBe(404);
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(await page.content()).not.toContain('Demo chart');
    await visit(page, `/ui/?q=${chart}`);
    expect(await page.locator(`a[href="${packagePath}"]`).count()).toBe(0);
    expect(await page.locator('#results').textContent()).toContain('No package matches');
    await visit(page, `/ui/${org}`);
    expect(await page.locator(`a[href="${packagePath}"]`).count()).toBe(0);
    // The UI shows bob no button; the server refuses the form all the same.
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const forged = await page.request.post('/ui/-/visibility', {
      form: { _csrf: csrf, namespace: org, package: chart, visibility: 'public' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    const withoutCsrf = await alicePage.request.post('/ui/-/visibility', {
      form: { namespace: org, package: chart, visibility: 'public' },
      maxRedirects: 0,
    });
    expect(withoutCsrf.status()).toBe(403);
    expect((await api(`/api/v1/packages/${org}/${chart}`)).status).toBe(404);
    expect((await page.goto(`/ui/-/audit/${org}`))?.status()).toBe(403);
    await context.close();

    await visit(alicePage, `/ui/${org}`);
    expect(await alicePage.locator(`li:has(a[href="${packagePath}"]) .badge`).textContent()).toBe('private');
    // The namespace's admin reads who changed it in its audit trail.
    await alicePage.getByRole('link', { name: 'Audit trail and limits' }).click();
    const trail = alicePage.locator('tbody tr', { hasText: 'PackageVisibilityChanged' });
    expect(await trail.first().textContent()).toContain(alice.username);
    expect(await trail.first().textContent()).toContain('private');
    expect(await seriousAxeViolations(alicePage)).toEqual([]);
  });

  it('revokes the token in the UI: the API refuses it afterwards', async () => {
    await visit(alicePage, '/ui/-/tokens');
    await alicePage.getByRole('button', { name: 'Revoke token ci' }).click();
    await alicePage.waitForURL('**/ui/-/tokens');
    expect(await alicePage.getByRole('button', { name: 'Revoke token ci' }).count()).toBe(0);
    expect((await api('/api/v1/user', { token: uiToken })).status).toBe(401);
  });

  it('gives a robot a second token and deletes the robot in the UI: its token stops working', async () => {
    await visit(alicePage, `/ui/-/orgs/${org}`);
    await alicePage.getByLabel('Label').fill('deploy');
    await alicePage.getByRole('button', { name: `New token for ${org}+ci` }).click();
    const second = ((await alicePage.locator('#robot-token').textContent()) ?? '').trim();
    expect(second).toMatch(/^wharf\./);
    const robotRow = (await alicePage.locator('tbody tr', { hasText: `${org}+ci` }).textContent()) ?? '';
    expect(robotRow).toContain('deploy');
    expect(robotRow).toContain('never used'); // the new token
    expect(robotRow).toMatch(/last used \d{4}-/); // the first, which pushed the chart
    expect(await seriousAxeViolations(alicePage)).toEqual([]);
    const readWith = (token: string) => api(`/api/v1/packages/${org}/${chart}`, { token });
    expect((await readWith(second)).status).toBe(200);
    await alicePage.getByRole('button', { name: `Delete robot ${org}+ci` }).click();
    await alicePage.waitForURL(`**/ui/-/orgs/${org}`);
    expect(await alicePage.locator('tbody tr', { hasText: `${org}+ci` }).count()).toBe(0);
    expect((await readWith(second)).status).toBe(401);
  });

  it('logs out: the session token is revoked and the tokens page asks to log in', async () => {
    const [session] = (await aliceContext.cookies()).filter((c) => c.name === 'wharf_session');
    expect(session?.httpOnly).toBe(true);
    await alicePage.getByRole('button', { name: 'Log out' }).click();
    await alicePage.waitForURL('**/ui/');
    expect(await alicePage.getByRole('link', { name: 'Log in' }).count()).toBe(1);
    expect((await api('/api/v1/user', { token: session!.value })).status).toBe(401);
    await alicePage.goto('/ui/-/tokens');
    expect(alicePage.url()).toContain('/ui/-/login');
    expect(await seriousAxeViolations(alicePage)).toEqual([]);
    await screenshot(alicePage, 'login');
  });

  it('logs in: a wrong password is refused on the page, the right one opens a session', async () => {
    await alicePage.getByLabel('Username').fill(alice.username);
    await alicePage.getByLabel('Password').fill('not-the-password');
    const refused = alicePage.waitForResponse(
      (r) => r.url().endsWith('/ui/-/login') && r.request().method() === 'POST',
    );
    await alicePage.getByRole('button', { name: 'Log in' }).click();
    expect((await refused).status()).toBe(401);
    expect(await alicePage.getByRole('alert').textContent()).toContain('invalid username or password');
    expect(await alicePage.getByLabel('Username').inputValue()).toBe(alice.username);
    expect(await seriousAxeViolations(alicePage)).toEqual([]);
    await alicePage.getByLabel('Password').fill(alice.password);
    await alicePage.getByRole('button', { name: 'Log in' }).click();
    await alicePage.waitForURL('**/ui/');
    expect(await alicePage.getByRole('navigation', { name: 'Account' }).textContent()).toContain(alice.username);
    // The session sees alice's private package again.
    await visit(alicePage, packagePath);
    expect(await alicePage.locator('h1 .badge').textContent()).toBe('private');
  });

  it("answers the UI's 429 page to a user whose own rate limit, set by a site admin, is spent", async () => {
    const carol = { username: `carol${id}`, password: `carol-password-${id}` };
    const { json: signedUp } = await api('/api/v1/users', { method: 'POST', body: { user: carol } });
    const { json: admin } = await api('/api/v1/users/login', { method: 'POST', body: { user: BROWSER_ADMIN } });
    const limited = await api(`/api/v1/namespaces/${carol.username}/limits`, {
      method: 'PUT',
      token: String(admin.token),
      body: { requests_per_minute: 4 },
    });
    expect(limited.status).toBe(200);
    const context = await newVisitor(browser);
    await context.addCookies([{ name: 'wharf_session', value: String(signedUp.token), url: `${browserUrl()}/ui` }]);
    const page = await context.newPage();
    const statuses: number[] = [];
    for (let i = 0; i < 8 && !statuses.includes(429); i++) statuses.push((await page.goto('/ui/-/tokens'))!.status());
    expect(statuses[0]).toBe(200);
    expect(statuses).toContain(429);
    const refused = await page.goto('/ui/-/tokens');
    expect(refused!.status()).toBe(429);
    expect(Number(refused!.headers()['retry-after'])).toBeGreaterThan(0);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Too many requests');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await context.close();
  });

  it("lets a site admin set a namespace's limits on its page, which the namespace's own admin reads but may not set", async () => {
    await visit(alicePage, `/ui/-/audit/${org}`);
    expect(await alicePage.getByRole('button', { name: 'Set limits' }).count()).toBe(0);
    const { json: admin } = await api('/api/v1/users/login', { method: 'POST', body: { user: BROWSER_ADMIN } });
    const context = await newVisitor(browser);
    await context.addCookies([{ name: 'wharf_session', value: String(admin.token), url: `${browserUrl()}/ui` }]);
    const page = await context.newPage();
    await visit(page, `/ui/-/audit/${org}`);
    await page.getByLabel('requests per minute').fill('600');
    await page.getByLabel('allow overwrites').selectOption('false');
    await page.getByRole('button', { name: 'Set limits' }).click();
    await page.waitForURL(`**/ui/-/audit/${org}`);
    expect(await seriousAxeViolations(page)).toEqual([]);
    const limits = await api(`/api/v1/namespaces/${org}/limits`, { token: String(admin.token) });
    expect(limits.json).toMatchObject({ requests_per_minute: 600, allow_overwrites: false, max_blob_bytes: null });
    await context.close();
  });
});
