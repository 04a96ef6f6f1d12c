import { DependencyUnavailableError } from '@wharf/ports';
import { metricSample } from '@wharf/testing';
import { instrumentStore } from './store-calls';
import { WharfMetrics } from './wharf-metrics';

/** A store with a private field, a helper it calls on itself, and each kind of outcome. */
class FakeStore {
  #rows = new Map<string, string>([['a', 'A']]);
  readonly engineName = 'fake';

  async get(key: string): Promise<string | null> {
    return this.lookup(key);
  }

  lookup(key: string): string | null {
    return this.#rows.get(key) ?? null;
  }

  async put(): Promise<void> {
    throw new Error('refused');
  }

  async count(): Promise<number> {
    throw new DependencyUnavailableError('FakeDB', { cause: new Error('ECONNREFUSED') });
  }

  explode(): never {
    throw new TypeError('sync failure');
  }
}

describe('instrumentStore', () => {
  const setup = () => {
    const metrics = new WharfMetrics('test', { processMetrics: false });
    const store = new FakeStore();
    const instrumented = instrumentStore(store, metrics, 'metadata', 'sqlite');
    const calls = (operation: string, outcome: string) =>
      metricSample(metrics, 'wharf_store_call_duration_seconds_count', {
        store: 'metadata',
        engine: 'sqlite',
        operation,
        outcome,
      });
    return { store, instrumented, calls };
  };

  it('should time each call from outside by operation and outcome, passing results and errors through unchanged', async () => {
    const { instrumented, calls } = setup();

    expect(await instrumented.get('a')).toBe('A');
    expect(await instrumented.get('b')).toBeNull();
    await expect(instrumented.put()).rejects.toThrow('refused');
    await expect(instrumented.count()).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(() => instrumented.explode()).toThrow(TypeError);

    expect(await calls('get', 'ok')).toBe(2);
    expect(await calls('put', 'error')).toBe(1);
    expect(await calls('count', 'outage')).toBe(1);
    expect(await calls('explode', 'error')).toBe(1);
    // The adapter's call of its own helper is not a store call.
    expect(await calls('lookup', 'ok')).toBe(0);
    expect(instrumented.lookup('a')).toBe('A');
    expect(await calls('lookup', 'ok')).toBe(1);
  });

  it('should leave the adapter itself and its properties as they are', async () => {
    const { store, instrumented, calls } = setup();
    expect(instrumented.engineName).toBe('fake');
    expect(instrumented).toBeInstanceOf(FakeStore);
    expect(await store.get('a')).toBe('A');
    expect(await calls('get', 'ok')).toBe(0);
  });
});
