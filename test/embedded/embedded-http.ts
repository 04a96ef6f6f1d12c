/** Plain HTTP against an embedded Wharf a test started itself (test/support/wharf-process.ts). */
export async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}/cnr${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, bytes, json: (): any => JSON.parse(bytes.toString()) };
}
