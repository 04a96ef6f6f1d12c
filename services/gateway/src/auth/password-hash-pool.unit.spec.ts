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
    // One lane each, so neither the per-lane cap nor displacement is what refuses `d`.
    const accepted = ['a', 'b', 'c'].map((n) => pool.run(`lane-${n}`, hash(n)));
    expect(pool.hasRoom('lane-d')).toBe(false);
    const refused = pool.run('lane-d', hash('d'));
    await expect(refused).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(refused).rejects.toMatchObject({ code: 'service-unavailable', retryAfterSeconds: 1 });
    await settle();
    for (const n of ['a', 'b', 'c']) await finish(n);
    await Promise.all(accepted);
    expect(started).toEqual(['a', 'b', 'c']);
  });

  it("should serve waiting lanes in turn, so one lane's long queue does not delay another's hash", async () => {
    const pool = new PasswordHashPool(1, 100, 1, 100); // no per-lane cap: the turn order alone
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

  it('should hold at most `perLaneLimit` waiters per lane and refuse one more from that lane, not from another', async () => {
    const pool = new PasswordHashPool(1, 32, 1, 2);
    const { started, finish, hash, settle } = controlledHashes();
    const accepted = ['x0', 'x1', 'x2'].map((n) => pool.run('attacker', hash(n)));
    expect(pool.hasRoom('attacker')).toBe(false);
    expect(pool.hasRoom('victim')).toBe(true);
    await expect(pool.run('attacker', hash('x3'))).rejects.toMatchObject({ code: 'service-unavailable' });
    const victim = pool.run('victim', hash('v'));
    await settle();
    expect(pool.load).toEqual({ running: 1, waiting: 3 });
    for (const n of ['x0', 'x1', 'v', 'x2']) await finish(n);
    await expect(victim).resolves.toBe('v');
    await Promise.all(accepted);
    expect(started).toEqual(['x0', 'x1', 'v', 'x2']);
  });

  it("should not let one address's 60 parallel guesses refuse another address's login (the reviewer's case, default sizes)", async () => {
    const pool = new PasswordHashPool(2, 32);
    const { started, finish, hash, settle } = controlledHashes();
    const guesses = Array.from({ length: 60 }, (_, i) =>
      pool.run('attacker', hash(`x${i}`)).then(
        () => 'ok',
        (e: { code: string }) => e.code,
      ),
    );
    const admin = pool.run('admin', hash('admin'));
    await settle();
    await finish('x0');
    await finish('x1');
    expect(started).toEqual(['x0', 'x1', 'x2', 'admin']); // the admin waits one hash, in turn
    await finish('admin');
    await expect(admin).resolves.toBe('admin');
    for (const n of ['x2', 'x3']) await finish(n);
    const outcomes = await Promise.all(guesses);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(4); // two running, two waiting
    expect(outcomes.filter((o) => o === 'service-unavailable')).toHaveLength(56);
  });

  it('should make room in a full queue by refusing the newest waiter of the busiest lane, never running it', async () => {
    const pool = new PasswordHashPool(1, 4, 1, 2);
    const { started, finish, hash, settle } = controlledHashes();
    const outcome = (lane: string, name: string) =>
      pool.run(lane, hash(name)).then(
        () => 'ok',
        (e: { code: string }) => e.code,
      );
    const running = outcome('a', 'a0');
    const waiting = [outcome('a', 'a1'), outcome('a', 'a2'), outcome('b', 'b1'), outcome('b', 'b2')];
    expect(pool.load).toEqual({ running: 1, waiting: 4 });
    expect(pool.hasRoom('victim')).toBe(true);
    const victim = outcome('victim', 'v');
    // Both lanes hold two; of equal lanes the one served last gives up its newest waiter.
    expect(await waiting[3]).toBe('service-unavailable');
    expect(pool.load).toEqual({ running: 1, waiting: 4 });
    await settle();
    for (const n of ['a0', 'a1', 'b1', 'v', 'a2']) await finish(n);
    expect(await Promise.all([running, ...waiting.slice(0, 3), victim])).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(started).toEqual(['a0', 'a1', 'b1', 'v', 'a2']);
    expect(pool.load).toEqual({ running: 0, waiting: 0 });
  });

  it('should refuse the newcomer, not a waiter, when no lane holds two more waiters than its own', async () => {
    const pool = new PasswordHashPool(1, 3, 1, 2);
    const { finish, hash, settle } = controlledHashes();
    const outcome = (lane: string, name: string) =>
      pool.run(lane, hash(name)).then(
        () => 'ok',
        (e: { code: string }) => e.code,
      );
    const accepted = [outcome('a', 'a0'), outcome('a', 'a1'), outcome('b', 'b1'), outcome('c', 'c1')];
    expect(pool.hasRoom('d')).toBe(false); // every lane holds one: a tie
    expect(pool.hasRoom('b')).toBe(false); // b would hold two, a (the busiest) holds one
    expect(await outcome('d', 'd1')).toBe('service-unavailable');
    expect(await outcome('b', 'b2')).toBe('service-unavailable');
    await settle();
    for (const n of ['a0', 'a1', 'b1', 'c1']) await finish(n);
    expect(await Promise.all(accepted)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('should free its slot when a hash fails', async () => {
    const pool = new PasswordHashPool(1, 0);
    await expect(pool.run('lane', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(pool.run('lane', async () => 'ok')).resolves.toBe('ok');
  });
});
