import { SqlitePullRecordStore } from '@wharf/adapters/pull-records-sqlite';
import type { WharfConfig } from '@wharf/config';
import type { PullRecord, PullRecordStore } from '@wharf/ports';
import { MAX_PENDING_PULLS, PullRecorder } from './pull-recorder';

const CONFIG = { retention: { intervalSeconds: 0, pullRecordIntervalSeconds: 60 } } as WharfConfig;
const at = (minute: number) => new Date(Date.UTC(2026, 5, 1, 0, minute));

/** The embedded store, counting the batches and records written. */
function countingStore(failFirst = 0) {
  const store = new SqlitePullRecordStore({ path: ':memory:' });
  const batches: PullRecord[][] = [];
  let failures = failFirst;
  const counting: PullRecordStore = {
    record: async (pulls) => {
      if (failures-- > 0) throw new Error('store down');
      batches.push([...pulls]);
      return store.record(pulls);
    },
    lastPulls: (packages) => store.lastPulls(packages),
    recordedSince: () => store.recordedSince(),
    recordTokenUses: (uses) => store.recordTokenUses(uses),
    lastTokenUses: (accounts) => store.lastTokenUses(accounts),
    close: () => store.close(),
  };
  return { store: counting, batches };
}

describe('PullRecorder', () => {
  it('should write each pulled release once per interval with its latest pull, however often it was pulled', async () => {
    const { store, batches } = countingStore();
    const recorder = new PullRecorder(store, CONFIG);
    for (let i = 0; i < 1_000; i++) recorder.pulled('acme/web', '1.0.0', at(9 - (i % 10)));
    recorder.pulled('acme/web', '2.0.0', at(3));

    await recorder.flush();
    await recorder.flush(); // nothing new: nothing written

    expect(batches).toEqual([
      [
        { package: 'acme/web', release: '1.0.0', pulledAt: at(9).toISOString() },
        { package: 'acme/web', release: '2.0.0', pulledAt: at(3).toISOString() },
      ],
    ]);
  });

  it('should write what is pending before answering the last pulls, so a preview sees its own pulls', async () => {
    const { store } = countingStore();
    const recorder = new PullRecorder(store, CONFIG);
    recorder.pulled('acme/web', '1.0.0', at(1));

    expect(await recorder.lastPulls(['acme/web'])).toEqual([
      { package: 'acme/web', release: '1.0.0', pulledAt: at(1).toISOString() },
    ]);
  });

  it('should keep the pulls of a failed write for the next, the later time winning', async () => {
    const { store, batches } = countingStore(1);
    const recorder = new PullRecorder(store, CONFIG);
    recorder.pulled('acme/web', '1.0.0', at(5));

    await expect(recorder.flush()).rejects.toThrow('store down');
    recorder.pulled('acme/web', '1.0.0', at(2));
    await recorder.flush();

    expect(batches).toEqual([[{ package: 'acme/web', release: '1.0.0', pulledAt: at(5).toISOString() }]]);
  });

  it('should start a write as soon as it holds the most releases it may, before the interval', async () => {
    const { store, batches } = countingStore();
    const recorder = new PullRecorder(store, CONFIG);
    for (let i = 0; i < MAX_PENDING_PULLS; i++) recorder.pulled('acme/web', `1.0.${i}`, at(1));

    await new Promise((resolve) => setImmediate(resolve)); // no flush asked: the recorder started it

    expect(batches.map((b) => b.length)).toEqual([MAX_PENDING_PULLS]);
  });
});
