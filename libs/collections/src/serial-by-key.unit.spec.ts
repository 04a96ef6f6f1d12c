import { SerialByKey } from './serial-by-key';

describe(SerialByKey.name, () => {
  it("runs one key's tasks one after another, even after a failure, and other keys' beside them", async () => {
    const serial = new SerialByKey();
    const log: string[] = [];
    let releaseA!: () => void;
    const gateA = new Promise<void>((r) => (releaseA = r));
    const a1 = serial.run('a', async () => {
      log.push('a1 start');
      await gateA;
      log.push('a1 end');
      throw new Error('a1 failed');
    });
    const a2 = serial.run('a', async () => void log.push('a2'));
    const b1 = serial.run('b', async () => void log.push('b1'));
    await b1;
    expect(log).toEqual(['a1 start', 'b1']);
    releaseA();
    await expect(a1).rejects.toThrow('a1 failed');
    await a2;
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('settles idle() once every task started has settled', async () => {
    const serial = new SerialByKey();
    let done = false;
    void serial.run('a', async () => {
      await new Promise((r) => setTimeout(r, 20));
      done = true;
    });
    await serial.idle();
    expect(done).toBe(true);
  });
});
