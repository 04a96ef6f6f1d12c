/**
 * operator-courier 2.1.11 pushes to a URL it hard-codes (https://quay.io/cnr/api/v1/packages/...)
 * and has no option to change it. Its HTTP library (requests) honours HTTPS_PROXY and
 * REQUESTS_CA_BUNDLE, so the unmodified CLI can be pointed at Wharf: this local proxy accepts
 * only `CONNECT quay.io:443`, terminates TLS with a throw-away self-signed certificate for
 * quay.io, and forwards each request to the Wharf under test over plain HTTP on this machine.
 * Nothing ever leaves the machine: any other CONNECT or request is refused.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import * as http from 'node:http';
import * as https from 'node:https';
import { join } from 'node:path';
import { tempDir } from './clients';

export interface QuayProxy {
  /** For HTTPS_PROXY. */
  proxyUrl: string;
  /** The certificate to trust, for REQUESTS_CA_BUNDLE. */
  caFile: string;
  /** Every request forwarded: "METHOD path" and its body. */
  requests: Array<{ line: string; body: Buffer }>;
  close(): Promise<void>;
}

export async function startQuayProxy(target: string): Promise<QuayProxy> {
  const dir = tempDir('quay-proxy');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=quay.io',
      '-addext',
      'subjectAltName=DNS:quay.io',
    ],
    { stdio: 'ignore' },
  );
  const upstream = new URL(target);
  const requests: Array<{ line: string; body: Buffer }> = [];

  const tlsServer = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const seen = { line: `${req.method} ${req.url}`, body: Buffer.alloc(0) };
    requests.push(seen);
    req.on('data', (chunk: Buffer) => (seen.body = Buffer.concat([seen.body, chunk])));
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(forward);
  });

  const proxy = http.createServer((_req, res) => {
    res.writeHead(403);
    res.end('only CONNECT quay.io:443');
  });
  proxy.on('connect', (req: http.IncomingMessage, socket, head: Buffer) => {
    if (req.url !== 'quay.io:443') {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) socket.unshift(head);
    tlsServer.emit('connection', socket);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    proxyUrl: `http://127.0.0.1:${port}`,
    caFile: cert,
    requests,
    async close() {
      proxy.closeAllConnections();
      tlsServer.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
