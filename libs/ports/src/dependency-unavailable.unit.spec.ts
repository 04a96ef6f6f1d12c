import { ServiceUnavailableError } from '@wharf/domain';
import { DependencyUnavailableError, isOutage, translateOutages } from './dependency-unavailable';

const engineDown = () => Object.assign(new Error('engine down'), { name: 'EngineDownError' });
const isEngineDown = (error: unknown) => (error as Error)?.name === 'EngineDownError';

describe('isOutage', () => {
  it.each([
    ['DependencyUnavailableError', new DependencyUnavailableError('MongoDB', { cause: new Error('x') })],
    [
      'DependencyUnavailableError as a cause',
      new Error('apply failed', { cause: new DependencyUnavailableError('SQLite', { cause: new Error('x') }) }),
    ],
    ['ServiceUnavailableError', new ServiceUnavailableError('x')],
    [
      'a socket error code in a cause',
      new Error('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }),
    ],
    ["a request's timeout", Object.assign(new Error('x'), { name: 'TimeoutError' })],
    ['an HTTP 503', Object.assign(new Error('x'), { statusCode: 503 })],
    ['an HTTP 429', Object.assign(new Error('x'), { statusCode: 429 })],
  ])('is true for %s', (_name, error) => expect(isOutage(error)).toBe(true));

  it.each([
    ['a plain error', new Error('cannot fold')],
    ['an HTTP 400', Object.assign(new Error('mapper_parsing_exception'), { statusCode: 400 })],
    // Drivers' own errors are their adapters' to translate; the port knows none of them.
    [
      'a driver error no adapter translated',
      Object.assign(new Error('x'), { name: 'MongoServerSelectionError', code: 'SQLITE_BUSY' }),
    ],
    ['a non-error', 'boom'],
  ])('is false for %s', (_name, error) => expect(isOutage(error)).toBe(false));
});

describe('translateOutages', () => {
  class Adapter {
    constructor(private readonly failure: () => unknown) {}
    async read(): Promise<string> {
      throw this.failure();
    }
    write(): number {
      throw this.failure();
    }
    async ok(value: string): Promise<string> {
      return `${value}:${this.label()}`;
    }
    label(): string {
      return 'adapter';
    }
    async *list(): AsyncIterable<number> {
      yield 1;
      throw this.failure();
    }
  }
  translateOutages(Adapter, 'Engine', isEngineDown);

  it('turns a rejection that is the engine being down into DependencyUnavailableError, its cause kept', async () => {
    const down = engineDown();
    const error = await new Adapter(() => down).read().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ dependency: 'Engine', cause: down, message: 'Engine is unavailable: engine down' });
    expect(isOutage(error)).toBe(true);
  });

  it('translates a synchronous throw and an async generator too', async () => {
    expect(() => new Adapter(engineDown).write()).toThrow(DependencyUnavailableError);
    const seen: number[] = [];
    const listing = (async () => {
      for await (const n of new Adapter(engineDown).list()) seen.push(n);
    })();
    await expect(listing).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(seen).toEqual([1]);
  });

  it('lets every other error through unchanged, so a bug stays a bug', async () => {
    const bug = new TypeError('cannot read x of undefined');

    await expect(new Adapter(() => bug).read()).rejects.toBe(bug);
    expect(() => new Adapter(() => bug).write()).toThrow(bug);
  });

  it('leaves results, `this` and method names as they were', async () => {
    const adapter = new Adapter(engineDown);

    expect(await adapter.ok('v')).toBe('v:adapter');
    expect(adapter.label()).toBe('adapter');
    expect(Adapter.prototype.read.name).toBe('read');
  });
});
