import { AddressInfo } from 'node:net';
import { Server, createServer } from 'node:http';
import { RefusedAddressError, Resolve, guardedLookup, sendWebhook } from './webhook-sender';

/** A resolver that answers `addresses` for every name, as dns.lookup with `all: true` does. */
function resolvingTo(...addresses: string[]): Resolve {
  return (_hostname, _options, callback) =>
    callback(
      null,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
}

function lookupOnce(lookup: ReturnType<typeof guardedLookup>, all: boolean) {
  return new Promise<{ error: Error | null; address: unknown }>((resolve) =>
    lookup('hook.example', { all }, (error, address) => resolve({ error, address })),
  );
}

describe('guardedLookup', () => {
  it('should refuse a name when any address it resolves to is not public', async () => {
    for (const answer of [['10.0.0.1'], ['8.8.8.8', '127.0.0.1'], ['2606:4700::1', '64:ff9b::a9fe:a9fe']]) {
      const { error } = await lookupOnce(guardedLookup(false, resolvingTo(...answer)), true);
      expect([answer, error]).toEqual([answer, expect.any(RefusedAddressError)]);
    }
  });

  it('should hand the socket exactly the addresses it checked', async () => {
    expect(await lookupOnce(guardedLookup(false, resolvingTo('8.8.8.8', '2606:4700::1')), true)).toEqual({
      error: null,
      address: [
        { address: '8.8.8.8', family: 4 },
        { address: '2606:4700::1', family: 6 },
      ],
    });
    expect(await lookupOnce(guardedLookup(false, resolvingTo('8.8.4.4')), false)).toEqual({
      error: null,
      address: '8.8.4.4',
    });
  });

  it('should let private addresses through when the operator allows them', async () => {
    expect((await lookupOnce(guardedLookup(true, resolvingTo('127.0.0.1')), true)).error).toBeNull();
  });
});

describe('sendWebhook', () => {
  const servers: Server[] = [];
  const hits: string[] = [];

  /** A receiver on 127.0.0.1 that records each request and answers with `answer`. */
  async function receiver(name: string, answer: (res: import('node:http').ServerResponse) => void): Promise<string> {
    const server = createServer((req, res) => {
      hits.push(name);
      req.resume();
      req.on('end', () => answer(res));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  afterEach(async () => {
    hits.length = 0;
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('should check the addresses a name resolves to when it connects (a rebound name reaches nothing)', async () => {
    const target = new URL(await receiver('target', (res) => res.end('ok')));
    const result = await sendWebhook(
      `http://rebound.example:${target.port}/hook`,
      '{}',
      {},
      {
        timeoutMs: 5000,
        allowPrivateAddresses: false,
        resolve: resolvingTo('127.0.0.1'),
      },
    );
    expect(result).toMatchObject({ status: null, error: expect.stringContaining('refused: rebound.example') });
    expect(hits).toEqual([]);
  });

  it('should refuse an address literal that is not public, in any IPv6 spelling', async () => {
    const target = new URL(await receiver('target', (res) => res.end('ok')));
    for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '[0:0:0:0:0:ffff:7f00:1]', '[::127.0.0.1]']) {
      const result = await sendWebhook(
        `http://${host}:${target.port}/`,
        '{}',
        {},
        {
          timeoutMs: 5000,
          allowPrivateAddresses: false,
        },
      );
      expect([host, result.error]).toEqual([host, expect.stringContaining('refused')]);
    }
    expect(hits).toEqual([]);
  });

  it('should not follow a redirect: the answer is a failure and the place it points to gets nothing', async () => {
    const elsewhere = await receiver('elsewhere', (res) => res.end('ok'));
    const redirecting = await receiver('redirecting', (res) =>
      res.writeHead(307, { location: `${elsewhere}/metadata` }).end(),
    );
    const result = await sendWebhook(`${redirecting}/hook`, '{}', {}, { timeoutMs: 5000, allowPrivateAddresses: true });
    expect(result).toMatchObject({ status: 307, error: expect.stringContaining('not followed') });
    expect(hits).toEqual(['redirecting']);
  });
});
