export default async function globalTeardown(): Promise<void> {
  await globalThis.__WHARF__?.kill('SIGTERM');
}
