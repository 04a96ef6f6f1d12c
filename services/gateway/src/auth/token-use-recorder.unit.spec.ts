import { SqlitePullRecordStore } from '@wharf/adapters/pull-records-sqlite';
import type { WharfConfig } from '@wharf/config';
import type { PullRecordStore, TokenUse } from '@wharf/ports';
import { MAX_PENDING_TOKEN_USES, TokenUseRecorder, tokenUseKey } from './token-use-recorder';

const CONFIG = { auth: { tokenUseIntervalSeconds: 60 } } as WharfConfig;
const at = (minute: number) => new Date(Date.UTC(2026, 5, 1, 0, minute));

/** The embedded store, counting the batches of token uses written. */
function countingStore(failFirst = 0) {
  const store = new SqlitePullRecordStore({ path: ':memory:' });
  const batches: TokenUse[][] = [];
  let failures = failFirst;
  const counting: PullRecordStore = {
    record: (pulls) => store.record(pulls),
    lastPulls: (packages) => store.lastPulls(packages),
    recordedSince: () => store.recordedSince(),
    recordTokenUses: async (uses) => {
      if (failures-- > 0) throw new Error('store down');
      batches.push([...uses]);
      return store.recordTokenUses(uses);
    },
    lastTokenUses: (accounts) => store.lastTokenUses(accounts),
    close: () => store.close(),
  };
  return { store: counting, batches };
}

describe('TokenUseRecorder', () => {
  it('should write each used token once per interval with its latest use, however often it was used', async () => {
    const { store, batches } = countingStore();
    const recorder = new TokenUseRecorder(store, CONFIG);
    for (let i = 0; i < 1_000; i++) recorder.used('alice', 'a1', at(9 - (i % 10)));
    recorder.used('acme+ci', 'r1', at(3));

    await recorder.flush();
    await recorder.flush(); // nothing new: nothing written

    expect(batches).toEqual([
      [
        { account: 'alice', tokenId: 'a1', usedAt: at(9).toISOString() },
        { account: 'acme+ci', tokenId: 'r1', usedAt: at(3).toISOString() },
      ],
    ]);
  });

  it('should write what is pending before answering the last uses, so a token list shows the request asking', async () => {
    const { store } = countingStore();
    const recorder = new TokenUseRecorder(store, CONFIG);
    recorder.used('alice', 'a1', at(1));

    const uses = await recorder.lastUses(['alice', 'bob']);

    expect([...uses]).toEqual([[tokenUseKey('alice', 'a1'), at(1).toISOString()]]);
  });

  it('should keep the uses of a failed write for the next, the later time winning', async () => {
    const { store, batches } = countingStore(1);
    const recorder = new TokenUseRecorder(store, CONFIG);
    recorder.used('alice', 'a1', at(5));

    await expect(recorder.flush()).rejects.toThrow('store down');
    recorder.used('alice', 'a1', at(2));
    await recorder.flush();

    expect(batches).toEqual([[{ account: 'alice', tokenId: 'a1', usedAt: at(5).toISOString() }]]);
  });

  it('should start a write as soon as it holds the most tokens it may, before the interval', async () => {
    const { store, batches } = countingStore();
    const recorder = new TokenUseRecorder(store, CONFIG);
    for (let i = 0; i < MAX_PENDING_TOKEN_USES; i++) recorder.used('alice', `t${i}`, at(1));

    await new Promise((resolve) => setImmediate(resolve)); // no flush asked: the recorder started it

    expect(batches.map((b) => b.length)).toEqual([MAX_PENDING_TOKEN_USES]);
  });
});
