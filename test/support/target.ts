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
