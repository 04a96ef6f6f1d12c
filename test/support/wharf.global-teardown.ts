export default async function globalTeardown(): Promise<void> {
  await Promise.all([globalThis.__WHARF__?.kill('SIGTERM'), globalThis.__WHARF_ENFORCED__?.kill('SIGTERM')]);
}
