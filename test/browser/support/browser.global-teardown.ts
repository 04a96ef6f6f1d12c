export default async function globalTeardown(): Promise<void> {
  await globalThis.__WHARF_BROWSER__?.kill('SIGTERM');
}
