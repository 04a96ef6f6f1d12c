import { RateLimitedError } from '@wharf/domain';
import { RecordingMetrics } from '@wharf/testing';
import { UploadSlots, WAITING_UPLOADS_PER_SLOT, uploaderOf } from './upload-slots';

/** An upload that runs until the test ends it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, upload: async () => opened };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe(UploadSlots.name, () => {
  const slotsOf = (running: number, metrics = new RecordingMetrics()) =>
    new UploadSlots(
      {
        push: {
          maxConcurrentUploadsPerAccount: running,
          maxMetadataBytes: 0,
          maxMetadataDepth: 1,
          maxPackageMetadataBytes: 0,
          maxUploadBytesInFlight: 1 << 30,
        },
      },
      metrics,
    );

  it('runs at most the bound at once per uploader, queues the next ones in order, and refuses past the queue with 429', async () => {
    const metrics = new RecordingMetrics();
    const slots = slotsOf(2, metrics);
    const waiting = 2 * WAITING_UPLOADS_PER_SLOT;
    const gates = Array.from({ length: 2 + waiting }, gate);
    const started: number[] = [];
    const done = gates.map((g, i) => slots.run('account:a', async () => (started.push(i), g.upload())));
    await flush();
    expect(started).toEqual([0, 1]);
    expect(slots.inFlight('account:a')).toEqual({ running: 2, waiting });

    await expect(slots.run('account:a', async () => 'never')).rejects.toBeInstanceOf(RateLimitedError);
    expect(metrics.counted).toEqual(['rate limited: uploads']);
    // Another uploader is not held up by this one.
    await expect(slots.run('account:b', async () => 'b ran')).resolves.toBe('b ran');

    gates[1].open();
    await flush();
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    await Promise.all(done);
    expect(started).toEqual(gates.map((_, i) => i));
    expect(slots.inFlight('account:a')).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the slot of an upload that fails, and forgets an idle uploader', async () => {
    const slots = slotsOf(1);
    await expect(slots.run('k', async () => Promise.reject(new Error('bad archive')))).rejects.toThrow('bad archive');
    await expect(slots.run('k', async () => 'next')).resolves.toBe('next');
    expect((slots as unknown as { uploaders: Map<string, unknown> }).uploaders.size).toBe(0);
  });

  it('gives a slot back once however often its release is called, and takes a waiter whose client went away out of the queue', async () => {
    const slots = slotsOf(1);
    const release = await slots.acquire('k');
    const gone = new AbortController();
    const waiter = slots.acquire('k', gone.signal);
    const next = slots.acquire('k');
    expect(slots.inFlight('k')).toEqual({ running: 1, waiting: 2 });
    gone.abort(new Error('client went away'));
    await expect(waiter).rejects.toThrow('client went away');
    expect(slots.inFlight('k')).toEqual({ running: 1, waiting: 1 });

    release();
    release();
    const releaseNext = await next;
    expect(slots.inFlight('k')).toEqual({ running: 1, waiting: 0 });
    releaseNext();
    expect((slots as unknown as { uploaders: Map<string, unknown> }).uploaders.size).toBe(0);
    await expect(slots.acquire('k', gone.signal)).rejects.toThrow('client went away');
    expect(slots.inFlight('k')).toEqual({ running: 0, waiting: 0 });
  });

  it('counts accounts by name and everyone else by client address', () => {
    expect(uploaderOf({ kind: 'user', name: 'alice', siteAdmin: false }, '10.0.0.1')).toBe('account:alice');
    expect(uploaderOf({ kind: 'robot', org: 'acme', name: 'ci', role: 'write' }, '10.0.0.1')).toBe('account:acme+ci');
    expect(uploaderOf({ kind: 'open' }, '10.0.0.1')).toBe('address:10.0.0.1');
    expect(uploaderOf({ kind: 'anonymous' }, '10.0.0.2')).toBe('address:10.0.0.2');
  });
});
