/**
 * One HTTP POST of a delivery. The host is resolved here and every address it resolves to must
 * pass the address policy (unless private addresses are allowed); the connection then goes to
 * the address that was checked, through the request's own `lookup`, so a second resolution
 * cannot swap in another (DNS rebinding). Redirects are not followed (a 3xx is a failure, as
 * the target could point anywhere), and the whole exchange is bounded by `timeoutMs`.
 */
import { LookupAddress, lookup as dnsLookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { isPublicAddress } from './address-policy';

/** Bytes of an answer kept for the delivery log. */
export const RESPONSE_EXCERPT_BYTES = 1024;

export interface SendOptions {
  timeoutMs: number;
  allowPrivateAddresses: boolean;
  /** How names are resolved (dns.lookup; tests give their own answers). */
  resolve?: Resolve;
}

export interface SendResult {
  status: number | null;
  latencyMs: number;
  error: string | null;
  response: string;
}

export class RefusedAddressError extends Error {
  constructor(host: string, address: string) {
    super(`refused: ${host} resolves to ${address}, a non-public address (WHARF_WEBHOOK_ALLOW_PRIVATE)`);
    this.name = 'RefusedAddressError';
  }
}

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/** Every address of a name, as `dns.lookup` with `all: true` answers. */
export type Resolve = (
  hostname: string,
  options: { all: true },
  callback: (error: Error | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for node's request, so the check happens when the socket connects: it resolves
 * once, refuses the name if any answer is not public, and gives the socket only what it checked.
 */
export function guardedLookup(allowPrivate: boolean, resolve: Resolve = dnsLookup) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolve(hostname, { all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = addresses.find((a) => !isPublicAddress(a.address));
      if (refused && !allowPrivate) return callback(new RefusedAddressError(hostname, refused.address), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export async function sendWebhook(
  target: string,
  body: string,
  headers: Record<string, string>,
  options: SendOptions,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url = new URL(target);
  const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // An address literal never reaches `lookup`: check it here.
  if (isIP(literal) && !options.allowPrivateAddresses && !isPublicAddress(literal)) {
    return {
      status: null,
      latencyMs: elapsed(),
      error: new RefusedAddressError(literal, literal).message,
      response: '',
    };
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<SendResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...result, latencyMs: elapsed() });
    };
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Wharf-Webhooks' },
        lookup: guardedLookup(options.allowPrivateAddresses, options.resolve) as never,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let length = 0;
        const done = () =>
          finish({
            status: res.statusCode ?? null,
            error:
              res.statusCode && res.statusCode >= 300 && res.statusCode < 400
                ? `redirect to ${String(res.headers.location ?? '').slice(0, 200)} not followed`
                : null,
            response: Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8'),
          });
        res.on('data', (chunk: Buffer) => {
          if (length < RESPONSE_EXCERPT_BYTES) chunks.push(chunk);
          length += chunk.length;
          if (length >= RESPONSE_EXCERPT_BYTES) done();
        });
        res.on('end', done);
        res.on('error', (error) => finish({ status: res.statusCode ?? null, error: error.message, response: '' }));
      },
    );
    const timer = setTimeout(
      () => finish({ status: null, error: `timed out after ${options.timeoutMs} ms`, response: '' }),
      options.timeoutMs,
    );
    req.on('error', (error) => finish({ status: null, error: error.message, response: '' }));
    req.end(body);
  });
}
