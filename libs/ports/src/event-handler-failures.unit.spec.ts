import type { EventEnvelope } from '@wharf/contracts';
import { ServiceUnavailableError } from '@wharf/domain';
import { UnappliableEventsError, deliverBounded, isOutage } from './event-handler-failures';

const event = (sequence: number, pkg = 'ns/app') =>
  ({ id: `${pkg}#${sequence}`, package: pkg, sequence }) as EventEnvelope;
const ids = (events: readonly EventEnvelope[]) => events.map((e) => e.id);

/** A handler that records each batch it was handed and fails as `fail` says. */
function handler(fail: (batch: EventEnvelope[], attempt: number) => unknown) {
  const batches: string[][] = [];
  const applied: string[] = [];
  return {
    batches,
    applied,
    handle: async (batch: EventEnvelope[]) => {
      batches.push(ids(batch));
      const error = fail(batch, batches.length);
      if (error) throw error;
      applied.push(...ids(batch));
    },
  };
}

describe('deliverBounded', () => {
  const events = [event(1), event(2), event(1, 'ns/other'), event(3)];
  let pauses: number;
  const control = (maxAttempts: number, stopAfter = Infinity) => ({
    maxAttempts,
    pause: async () => ++pauses <= stopAfter,
  });

  beforeEach(() => (pauses = 0));

  it('hands a batch that succeeds over once and sets nothing aside', async () => {
    const h = handler(() => null);

    expect(await deliverBounded(events, h.handle, control(3))).toEqual({ delivered: true, setAside: [] });
    expect(h.batches).toEqual([ids(events)]);
  });

  it('after maxAttempts failures, retries event by event and sets aside only the one that keeps failing, with the error as reason', async () => {
    const h = handler((batch) => (batch.some((e) => e.id === 'ns/other#1') ? new Error('document too large') : null));

    const outcome = await deliverBounded(events, h.handle, control(2));

    expect(outcome).toEqual({
      delivered: true,
      setAside: [{ event: events[2], reason: 'failed 2 times: document too large' }],
    });
    expect(h.batches).toEqual([
      ids(events),
      ids(events),
      ['ns/app#1'],
      ['ns/app#2'],
      ['ns/other#1'],
      ['ns/other#1'],
      ['ns/app#3'],
    ]);
    expect(h.applied).toEqual(['ns/app#1', 'ns/app#2', 'ns/app#3']);
  });

  it('sets aside at once, without a pause, what the handler rejects as unappliable', async () => {
    const h = handler((batch) =>
      batch.length === 4 ? new UnappliableEventsError([{ event: events[3], reason: 'parked' }]) : null,
    );

    expect(await deliverBounded(events, h.handle, control(5))).toEqual({
      delivered: true,
      setAside: [{ event: events[3], reason: 'parked' }],
    });
    expect(h.batches).toHaveLength(1);
    expect(pauses).toBe(0);
  });

  it('retries an outage without counting it against maxAttempts, and sets nothing aside', async () => {
    const h = handler((_batch, attempt) => (attempt <= 10 ? new ServiceUnavailableError('the store') : null));

    expect(await deliverBounded(events, h.handle, control(1))).toEqual({ delivered: true, setAside: [] });
    expect(h.batches).toHaveLength(11);
    expect(h.batches.every((batch) => batch.length === 4)).toBe(true);
  });

  it('stops, delivering nothing, when a pause says so', async () => {
    const h = handler(() => new Error('boom'));

    expect(await deliverBounded(events, h.handle, control(5, 2))).toEqual({ delivered: false });
    expect(h.batches).toHaveLength(3);
  });
});

describe('isOutage', () => {
  it.each([
    ['ServiceUnavailableError', new ServiceUnavailableError('x')],
    ['a driver connection error', Object.assign(new Error('x'), { name: 'MongoServerSelectionError' })],
    [
      'a socket error code in a cause',
      new Error('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }),
    ],
    ['an HTTP 503 of a client', Object.assign(new Error('x'), { meta: { statusCode: 503 } })],
    ['SQLITE_BUSY', Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })],
  ])('is true for %s', (_name, error) => expect(isOutage(error)).toBe(true));

  it.each([
    ['a plain error', new Error('cannot fold')],
    ['an HTTP 400 of a client', Object.assign(new Error('mapper_parsing_exception'), { meta: { statusCode: 400 } })],
    ['a non-error', 'boom'],
  ])('is false for %s', (_name, error) => expect(isOutage(error)).toBe(false));
});
