/**
 * Where the black-box suites find the server under test. The e2e globalSetup starts a Wharf
 * profile (or points at one already running) and exports its base URL as WHARF_URL; the suites
 * never start anything themselves, so the same files run against every profile.
 */
export function baseUrl(): string {
  const url = process.env.WHARF_URL;
  if (!url || url.trim() === '') {
    throw new Error(
      'WHARF_URL is not set: the e2e suites need the base URL of a running Wharf server ' +
        '(e.g. WHARF_URL=http://127.0.0.1:5000); the e2e globalSetup normally sets it.',
    );
  }
  return url.trim().replace(/\/+$/, '');
}

/**
 * The same registry with authentication enforced (WHARF_AUTH_MODE=enforced), for the access
 * suites: WHARF_ENFORCED_URL, which the e2e globalSetup sets (an embedded process of its own, or
 * a second gateway in front of the distributed stack's services).
 */
export function enforcedUrl(): string {
  const url = process.env.WHARF_ENFORCED_URL;
  if (!url || url.trim() === '') {
    throw new Error(
      'WHARF_ENFORCED_URL is not set: the access suites need a Wharf gateway with WHARF_AUTH_MODE=enforced (the e2e globalSetup normally starts one)',
    );
  }
  return url.trim().replace(/\/+$/, '');
}

/** The site admin the enforced registry was started with. */
export const E2E_ADMIN = { username: 'siteadmin', password: 'e2e-admin-password-7f3a' } as const;
