import { ServiceUnavailableError } from '@wharf/domain';
import { PasswordHashPool } from './password-hash-pool';

/** A hash that finishes when the test says so, recording when it started. */
function controlledHashes() {
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  const hash = (name: string) => () =>
    new Promise<string>((resolve) => {
      started.push(name);
      finish.set(name, () => resolve(name));
    });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { started, finish: async (name: string) => (finish.get(name)!(), settle()), hash, settle };
}

describe(PasswordHashPool.name, () => {
  it('should run at most `concurrency` hashes at once and start the next when one finishes', async () => {
    const pool = new PasswordHashPool(2, 10);
    const { started, finish, hash, settle } = controlledHashes();
    const results = ['a', 'b', 'c'].map((n) => pool.run('lane', hash(n)));
    await settle();
    expect(started).toEqual(['a', 'b']);
    expect(pool.load).toEqual({ running: 2, waiting: 1 });
    await finish('a');
    expect(started).toEqual(['a', 'b', 'c']);
    await finish('b');
    await finish('c');
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
    expect(pool.load).toEqual({ running: 0, waiting: 0 });
  });

  it('should refuse one more than the queue holds with 503 and Retry-After, without running it', async () => {
    const pool = new PasswordHashPool(1, 2);
    const { started, finish, hash, settle } = controlledHashes();
    const accepted = ['a', 'b', 'c'].map((n) => pool.run('lane', hash(n)));
    const refused = pool.run('lane', hash('d'));
    await expect(refused).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(refused).rejects.toMatchObject({ code: 'service-unavailable', retryAfterSeconds: 1 });
    await settle();
    for (const n of ['a', 'b', 'c']) await finish(n);
    await Promise.all(accepted);
    expect(started).toEqual(['a', 'b', 'c']);
  });

  it("should serve waiting lanes in turn, so one lane's long queue does not delay another's hash", async () => {
    const pool = new PasswordHashPool(1, 100);
    const { started, finish, hash, settle } = controlledHashes();
    const all = [pool.run('attacker', hash('x0'))];
    for (let i = 1; i <= 16; i++) all.push(pool.run('attacker', hash(`x${i}`)));
    all.push(pool.run('victim', hash('v')));
    await settle();
    await finish('x0');
    await finish('x1');
    expect(started).toEqual(['x0', 'x1', 'v']);
    await finish('v');
    for (let i = 2; i <= 16; i++) await finish(`x${i}`);
    await Promise.all(all);
    expect(pool.load).toEqual({ running: 0, waiting: 0 });
  });

  it('should free its slot when a hash fails', async () => {
    const pool = new PasswordHashPool(1, 0);
    await expect(pool.run('lane', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(pool.run('lane', async () => 'ok')).resolves.toBe('ok');
  });
});
