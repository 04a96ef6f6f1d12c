import { ServiceUnavailableError } from '@wharf/domain';
import { MAX_WAITING_UPLOADS, UploadBytesInFlight } from './upload-bytes-in-flight';

const budgetOf = (bytes: number) =>
  new UploadBytesInFlight({
    push: {
      maxUploadBytesInFlight: bytes,
      maxConcurrentUploadsPerAccount: 4,
      maxMetadataBytes: 0,
      maxMetadataDepth: 1,
      maxPackageMetadataBytes: 0,
    },
  });

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe(UploadBytesInFlight.name, () => {
  it('admits uploads while their bytes fit, queues the next ones in order, and refuses past the queue with 503 and Retry-After', async () => {
    const budget = budgetOf(100);
    const releaseA = await budget.acquire(60);
    const admitted: number[] = [];
    const waiters = Array.from({ length: 1 + MAX_WAITING_UPLOADS }, (_, i) =>
      budget.acquire(30).then((release) => (admitted.push(i), release)),
    );
    await flush();
    // 30 would fit beside 60, but the queue is served in order, and it is not empty.
    expect(admitted).toEqual([0]);
    expect(budget.usage()).toEqual({ bytes: 90, waiting: MAX_WAITING_UPLOADS });
    await budget.acquire(1).then(
      () => Promise.reject(new Error('admitted')),
      (error: unknown) => expect(error).toBeInstanceOf(ServiceUnavailableError),
    );
    await expect(budget.acquire(1)).rejects.toMatchObject({
      code: 'service-unavailable',
      retryAfterSeconds: expect.any(Number),
    });

    releaseA();
    releaseA();
    await flush();
    expect(admitted).toEqual([0, 1, 2]);
    expect(budget.usage()).toEqual({ bytes: 90, waiting: MAX_WAITING_UPLOADS - 2 });
    for (const waiter of waiters) (await waiter)();
    expect(budget.usage()).toEqual({ bytes: 0, waiting: 0 });
  });

  it('admits an upload larger than the whole budget when nothing else is in flight', async () => {
    const budget = budgetOf(100);
    const release = await budget.acquire(500);
    expect(budget.usage()).toEqual({ bytes: 500, waiting: 0 });
    release();
    expect(budget.usage()).toEqual({ bytes: 0, waiting: 0 });
  });

  it('takes a waiter whose client went away out of the queue, and lets the ones behind it in', async () => {
    const budget = budgetOf(100);
    const release = await budget.acquire(50);
    const gone = new AbortController();
    const big = budget.acquire(80, gone.signal);
    const small = budget.acquire(40);
    await flush();
    expect(budget.usage()).toEqual({ bytes: 50, waiting: 2 });
    gone.abort(new Error('client went away'));
    await expect(big).rejects.toThrow('client went away');
    (await small)();
    release();
    expect(budget.usage()).toEqual({ bytes: 0, waiting: 0 });
  });
});
