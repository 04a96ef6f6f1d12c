/**
 * Bounded polling for adapters that are asynchronous or eventually consistent (a subscription
 * delivering in the background, OpenSearch after a refresh). Contract suites poll; they never
 * sleep a fixed time hoping the adapter caught up.
 */

/**
 * Calls `probe` until it resolves without throwing and returns its value; after `timeoutMs`
 * rethrows the probe's last error, so a failure reads as the assertion that never held.
 */
export async function eventually<T>(probe: () => T | Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let interval = 5;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      const left = deadline - Date.now();
      if (left <= 0) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(interval, left)));
      interval = Math.min(interval * 2, 200);
    }
  }
}

/** A promise the test resolves by hand: holds a handler mid-batch, or releases it. */
export interface Gate {
  promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets already-queued callbacks and I/O completions run; not a wait for the adapter. */
export async function turnEventLoop(times = 3): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise((resolve) => setImmediate(resolve));
}
