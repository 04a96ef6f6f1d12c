import { LatestPending } from './latest-pending';

type Use = { key: string; at: string };

function pending(write: (batch: Use[]) => Promise<void>) {
  return new LatestPending<Use>(
    (u) => u.key,
    (u) => u.at,
    write,
  );
}

describe(LatestPending.name, () => {
  it('writes each key once per flush, with its latest instant', async () => {
    const written: Use[][] = [];
    const p = pending(async (batch) => void written.push(batch));
    p.add({ key: 'a', at: '2026-01-02' });
    p.add({ key: 'a', at: '2026-01-01' });
    p.add({ key: 'b', at: '2026-01-01' });
    expect(p.size).toBe(2);
    await p.flush();
    await p.flush();
    expect(written).toEqual([
      [
        { key: 'a', at: '2026-01-02' },
        { key: 'b', at: '2026-01-01' },
      ],
    ]);
    expect(p.size).toBe(0);
  });

  it('puts a failed batch back for the next write, the later instant winning, and rejects', async () => {
    let fail = true;
    const written: Use[][] = [];
    const p = pending(async (batch) => {
      if (fail) throw new Error('store down');
      written.push(batch);
    });
    p.add({ key: 'a', at: '2026-01-01' });
    const first = p.flush();
    p.add({ key: 'a', at: '2026-01-03' });
    await expect(first).rejects.toThrow('store down');
    fail = false;
    await p.flush();
    expect(written).toEqual([[{ key: 'a', at: '2026-01-03' }]]);
  });

  it('runs one write at a time, in order', async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = pending(async (batch) => {
      log.push(`start ${batch[0]!.key}`);
      if (batch[0]!.key === 'a') await gate;
      log.push(`end ${batch[0]!.key}`);
    });
    p.add({ key: 'a', at: '1' });
    const one = p.flush();
    await new Promise((r) => setImmediate(r)); // the first write has started, and waits
    p.add({ key: 'b', at: '1' });
    const two = p.flush();
    await new Promise((r) => setImmediate(r));
    release();
    await Promise.all([one, two]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });
});
