/**
 * The AWS SDK's errors that mean S3 could not be reached or is overloaded: an answer of 429 or
 * 5xx, which the SDK keeps in `$metadata.httpStatusCode` (a refused connection or a timeout
 * carries node's socket code or the platform's TimeoutError, which the ports recognise on their
 * own). What the adapter translates into the ports' DependencyUnavailableError (libs/ports,
 * dependency-unavailable.ts).
 */
import { errorChain } from '@wharf/ports';

/** True when `error` or one of its causes is S3 answering 429 or 5xx. */
export function isS3Outage(error: unknown): boolean {
  for (const e of errorChain(error) as Iterable<{ $metadata?: { httpStatusCode?: unknown } }>) {
    const status = e.$metadata?.httpStatusCode;
    if (typeof status === 'number' && (status === 429 || status >= 500)) return true;
  }
  return false;
}
