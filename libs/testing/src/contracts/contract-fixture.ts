/**
 * What every port contract suite shares: a fresh subject per test from the adapter's factory,
 * and a teardown that checks nothing was left behind, closes the subject and lets the factory
 * remove what it created, even when the test failed.
 */
import { randomBytes } from 'node:crypto';

export interface ContractFixture<S> {
  /** A fresh adapter instance that sees no other test's data (own temp dir, bucket prefix, index, topic). */
  subject: S;
  /** Removes whatever the factory created. Runs after the subject was closed, even when the test failed. */
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** Bound for every `eventually` poll; raise it for servers that settle slowly. Default 5 s. */
  eventuallyMs?: number;
  /** Per-test timeout. Default 30 s. */
  testTimeoutMs?: number;
}

export interface ContractContext<F> {
  /** The current test's fixture. */
  readonly fixture: F;
  /** Runs `fn` at teardown (last registered first), before the leftovers check. */
  defer(fn: () => Promise<void> | void): void;
  /** The test closed the subject itself: teardown neither checks nor closes it again. */
  markClosed(): void;
}

interface Closable {
  close(): Promise<void>;
}

/**
 * Registers beforeEach/afterEach for a suite. `leftovers` asserts that the test left nothing
 * behind that the port can observe (distribution's "did not clean up properly"); its failure
 * fails the test. Both hooks get the suite's per-test timeout, not Jest's 5 s: the factory of a
 * real engine's adapter may create topics, indexes or buckets, and a hook that times out leaves
 * the factory running on with nothing to close what it opens.
 */
export function useContractFixture<F extends ContractFixture<Closable>>(
  factory: () => Promise<F>,
  timeoutMs: number,
  leftovers: (fixture: F) => Promise<void> = async () => {},
): ContractContext<F> {
  let current: F | undefined;
  let closed = false;
  let deferred: (() => Promise<void> | void)[] = [];

  beforeEach(async () => {
    closed = false;
    deferred = [];
    current = await factory();
  }, timeoutMs);

  afterEach(async () => {
    const fixture = current;
    current = undefined;
    if (!fixture) return;
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<void> | void) => {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    };
    for (const fn of deferred.reverse()) await attempt(fn);
    if (!closed) {
      await attempt(() => leftovers(fixture));
      await attempt(() => fixture.subject.close());
    }
    await attempt(() => fixture.cleanup());
    if (errors.length > 0) throw errors[0];
  }, timeoutMs);

  return {
    get fixture(): F {
      if (!current) throw new Error('no contract fixture outside a test');
      return current;
    },
    defer: (fn) => void deferred.push(fn),
    markClosed: () => void (closed = true),
  };
}

/**
 * A name no other test or run uses, valid as a namespace, package name, consumer group, key
 * prefix, index or topic name (lowercase letters and digits only), so suites can share a server.
 */
export function uniqueName(prefix = 'c'): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}

/** Fails with a clear reason when an adapter's fixture lacks a hook a contract clause needs. */
export function requireHook<F, K extends keyof F>(fixture: F, hook: K, clause: string): NonNullable<F[K]> {
  const value = fixture[hook];
  if (value === undefined || value === null) {
    throw new Error(`the fixture does not provide ${String(hook)}(), needed to check that ${clause}`);
  }
  return value as NonNullable<F[K]>;
}
