import { KeyedMutex } from './keyed-mutex';

/** A promise the test resolves or rejects by hand. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('KeyedMutex', () => {
  it('runs work for the same key one at a time, in the order it was submitted', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const runs = gates.map((gate, i) =>
      mutex.run('pkg', async () => {
        log.push(`start ${i}`);
        await gate.promise;
        log.push(`end ${i}`);
        return i;
      }),
    );

    await flush();
    expect(log).toEqual(['start 0']);
    gates[2].resolve();
    gates[1].resolve();
    await flush();
    expect(log).toEqual(['start 0']);
    gates[0].resolve();

    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2]);
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('runs work for different keys concurrently', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const started: string[] = [];
    const a = mutex.run('a', async () => {
      started.push('a');
      await gate.promise;
    });
    const b = mutex.run('b', async () => {
      started.push('b');
      return 'b done';
    });

    await expect(b).resolves.toBe('b done');
    expect(started).toEqual(['a', 'b']);
    gate.resolve();
    await a;
  });

  it('passes a failure to its caller only, and the next work for the key still runs', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const failing = mutex.run('pkg', async () => {
      await gate.promise;
      throw new Error('boom');
    });
    const next = mutex.run('pkg', async () => 'after');
    gate.resolve();

    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('after');
  });

  it('does not start the next work for a key until a failing one has settled', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const started: string[] = [];
    const failing = mutex.run('pkg', async () => {
      started.push('first');
      await gate.promise;
    });
    const next = mutex.run('pkg', async () => {
      started.push('second');
    });

    await flush();
    expect(started).toEqual(['first']);
    gate.reject(new Error('boom'));
    await expect(failing).rejects.toThrow('boom');
    await next;
    expect(started).toEqual(['first', 'second']);
  });

  it('serialises work submitted while a key is busy, even after earlier work finished', async () => {
    const mutex = new KeyedMutex();
    let running = 0;
    let most = 0;
    const work = async () => {
      running++;
      most = Math.max(most, running);
      await flush();
      running--;
    };
    const first = [mutex.run('pkg', work), mutex.run('pkg', work)];
    await first[0];
    await Promise.all([...first, mutex.run('pkg', work), mutex.run('pkg', work)]);
    expect(most).toBe(1);
  });
});
