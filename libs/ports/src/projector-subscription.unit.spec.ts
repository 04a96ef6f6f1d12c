import type { StoredEvent } from '@wharf/contracts';
import { InMemoryEventLog, eventually, publishedEnvelopes } from '@wharf/testing';
import { ProjectorSubscription } from './projector-subscription';

describe('ProjectorSubscription', () => {
  let log: InMemoryEventLog;
  let handled: StoredEvent[];
  let subscribes: jest.SpyInstance;
  let subscription: ProjectorSubscription;

  beforeEach(async () => {
    log = new InMemoryEventLog();
    handled = [];
    subscribes = jest.spyOn(log, 'subscribe');
    subscription = new ProjectorSubscription(
      log,
      { group: 'g', batchSize: 2 },
      async (events) => void handled.push(...events),
    );
    await log.append('ns/app', 0, publishedEnvelopes('ns/app', 0, 3));
  });
  afterEach(() => subscription.stop());

  it('counts every event in the log as lag before it starts', async () => {
    expect(await subscription.lag()).toBe(3);
    expect(subscribes).not.toHaveBeenCalled();
  });

  it('subscribes once as its group with its options, however often it is started, and hands the events over', async () => {
    await subscription.start();
    await subscription.start();

    expect(subscribes).toHaveBeenCalledTimes(1);
    expect(subscribes.mock.calls[0][0]).toEqual({ group: 'g', batchSize: 2 });
    await eventually(async () => expect(await subscription.lag()).toBe(0));
    expect(handled.map((e) => e.sequence)).toEqual([1, 2, 3]);
  });

  it('stops delivery, counts the log again, and may start again', async () => {
    await subscription.start();
    await eventually(async () => expect(handled).toHaveLength(3));
    await subscription.stop();

    await log.append('ns/app', 3, publishedEnvelopes('ns/app', 3, 1));
    expect(await subscription.lag()).toBe(4);
    expect(handled).toHaveLength(3);

    await subscription.start();
    expect(subscribes).toHaveBeenCalledTimes(2);
  });
});
