/**
 * Driving Debian's Chromium with playwright-core (no browser download), with an axe-core check
 * of every page and the screenshots the README shows.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/**
 * Where the screenshots go: the README's own (`docs/screenshots`) with WHARF_UPDATE_SCREENSHOTS=1,
 * else a directory under the system's temporary one, so `npm test` leaves the checkout as it was.
 */
export const SCREENSHOTS =
  process.env.WHARF_UPDATE_SCREENSHOTS === '1'
    ? join(__dirname, '..', '..', '..', 'docs', 'screenshots')
    : join(tmpdir(), 'wharf-browser-screenshots');

/**
 * The site admin the browser tier's server starts with: not the e2e suites' (`siteadmin`), since in
 * front of the distributed stack both gateways share one account store, where the first made wins.
 */
export const BROWSER_ADMIN = { username: 'browseradmin', password: 'browser-admin-password-4c1d' } as const;

export function browserUrl(): string {
  const url = process.env.WHARF_BROWSER_URL;
  if (!url) throw new Error('WHARF_BROWSER_URL is not set (the browser globalSetup sets it)');
  return url.replace(/\/+$/, '');
}

/** A fresh headless Chromium (Playwright gives each launch a new temporary profile). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function newVisitor(
  browser: Browser,
  options: { javaScriptEnabled?: boolean; colorScheme?: 'light' | 'dark'; width?: number } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: browserUrl(),
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    colorScheme: options.colorScheme ?? 'light',
    viewport: { width: options.width ?? 1200, height: 900 },
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: browserUrl() });
  return context;
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it is now. Injected through the
 * DevTools protocol (`evaluate`), which the page's Content-Security-Policy does not govern, so
 * the policy under test stays on.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (o: unknown) => Promise<{ violations: AxeViolation[] }> } })
      .axe;
    const result = await axe.run({ resultTypes: ['violations'] });
    return result.violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A screenshot for the README; tokens on the page are masked (they are a test server's, but still). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({
    path: join(SCREENSHOTS, `${name}.png`),
    fullPage: false,
    mask: [page.locator('#new-token, #robot-token')],
  });
}
