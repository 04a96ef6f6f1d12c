/**
 * The logs of a running server: the line of a request carries the caller's request id (answered
 * in `x-request-id`) and the trace id of its `traceparent`; SIGUSR2 switches debug logging on
 * and off without a restart, saying so in one line each time.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WharfProcess, startWharf } from '../support/wharf-process';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

describe('logs', () => {
  let dataDir: string;
  let wharf: WharfProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-logs-'));
    wharf = await startWharf({ WHARF_DATA_DIR: dataDir, WHARF_LOG_LEVEL: 'info' });
  });

  afterAll(async () => {
    await wharf.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const lines = (from: number) =>
    wharf
      .output()
      .slice(from)
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  async function until<T>(find: () => T | undefined): Promise<T> {
    for (let polls = 0; polls < 200; polls++) {
      const found = find();
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`not logged; the server printed:\n${wharf.output().slice(-4000)}`);
  }

  it("should put the request's id and trace id on its line, and answer the id", async () => {
    const requestId = `e2e-${randomUUID()}`;
    const res = await fetch(`${wharf.url}/api/v1/packages`, {
      headers: { 'x-request-id': requestId, traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const line = await until(() => lines(0).find((l) => l.msg === 'request' && l.request_id === requestId));
    expect(line).toMatchObject({
      level: 'info',
      method: 'GET',
      status: 200,
      request_id: requestId,
      trace_id: TRACE_ID,
    });

    const other = await fetch(`${wharf.url}/api/v1/packages`, { headers: { 'x-request-id': 'not safe!' } });
    const generated = other.headers.get('x-request-id')!;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const untraced = await until(() => lines(0).find((l) => l.msg === 'request' && l.request_id === generated));
    expect(untraced.trace_id).toBeUndefined();
  });

  it('should switch debug logging on and off on SIGUSR2', async () => {
    const from = wharf.output().length;
    wharf.child.kill('SIGUSR2');
    const on = await until(() => lines(from).find((l) => l.msg === 'log level changed'));
    expect(on).toMatchObject({ from: 'info', to: 'debug', reason: 'SIGUSR2' });
    const again = wharf.output().length;
    wharf.child.kill('SIGUSR2');
    const off = await until(() => lines(again).find((l) => l.msg === 'log level changed'));
    expect(off).toMatchObject({ from: 'debug', to: 'info' });
    expect(wharf.child.exitCode).toBeNull();
  });
});
