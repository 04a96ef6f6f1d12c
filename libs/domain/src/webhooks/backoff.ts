/**
 * When a failed delivery is tried again: exponential backoff with "equal jitter" (AWS's
 * "Exponential Backoff And Jitter": half the step fixed, half random), so the retries of many deliveries to one endpoint that
 * came back spread out instead of arriving together. `random` is in [0, 1); pure.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Delay before attempt `attempt + 1`, after `attempt` (1, 2, ...) failed attempts. */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(ceiling / 2 + (random * ceiling) / 2);
}
