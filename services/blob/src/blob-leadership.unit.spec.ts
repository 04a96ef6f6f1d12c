import { JsonLogger } from '@wharf/config';
import { BlobLeadership, LeaderWork, Lease } from './blob-leadership';

/** A lease the test grants and takes away. */
class FakeLease implements Lease {
  private onChange: (held: boolean) => void = () => undefined;
  constructor(private readonly heldAtStart: boolean) {}
  async start(onChange: (held: boolean) => void): Promise<void> {
    this.onChange = onChange;
    if (this.heldAtStart) onChange(true);
  }
  async stop(): Promise<void> {
    this.onChange(false);
  }
  set(held: boolean): void {
    this.onChange(held);
  }
}

/** Records what runs: counting and collecting, each on or off. */
function recordingWork(failStarts = 0): LeaderWork & { log: string[]; counting: boolean; collecting: boolean } {
  const work = {
    log: [] as string[],
    counting: false,
    collecting: false,
    async startCounting() {
      if (failStarts-- > 0) {
        work.log.push('start counting failed');
        throw new Error('broker away');
      }
      work.counting = true;
      work.log.push('start counting');
    },
    async stopCounting() {
      if (work.counting) work.log.push('stop counting');
      work.counting = false;
    },
    startCollecting() {
      work.collecting = true;
      work.log.push('start collecting');
    },
    async stopCollecting() {
      if (work.collecting) work.log.push('stop collecting');
      work.collecting = false;
    },
  };
  return work;
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe(BlobLeadership.name, () => {
  const logger = new JsonLogger('silent');

  it('should count and collect only while the lease is held, counting before collecting', async () => {
    const lease = new FakeLease(true);
    const work = recordingWork();
    const sut = new BlobLeadership(lease, work, logger);
    await sut.start();
    expect(sut.isActive).toBe(true);
    lease.set(false);
    await settled();
    expect(sut.isActive).toBe(false);
    lease.set(true);
    await settled();
    expect(work.log).toEqual([
      'start counting',
      'start collecting',
      'stop collecting',
      'stop counting',
      'start counting',
      'start collecting',
    ]);
  });

  it('should stand by, reading nothing, while another replica holds the lease', async () => {
    const work = recordingWork();
    const sut = new BlobLeadership(new FakeLease(false), work, logger);
    await sut.start();
    expect({ active: sut.isActive, log: work.log }).toEqual({ active: false, log: [] });
  });

  it('should give the lease up and stop both on stop, and take no lease after', async () => {
    const lease = new FakeLease(true);
    const work = recordingWork();
    const sut = new BlobLeadership(lease, work, logger);
    await sut.start();
    await sut.stop();
    lease.set(true);
    await settled();
    expect({ active: sut.isActive, counting: work.counting, collecting: work.collecting }).toEqual({
      active: false,
      counting: false,
      collecting: false,
    });
  });

  it('should try again to become active while the lease is held, and collect only once counting runs', async () => {
    const lease = new FakeLease(true);
    const work = recordingWork(2);
    const sut = new BlobLeadership(lease, work, logger, 5);
    await sut.start();
    expect(sut.isActive).toBe(false);
    while (!sut.isActive) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(work.log).toEqual(['start counting failed', 'start counting failed', 'start counting', 'start collecting']);
    await sut.stop();
  });

  it('should apply changes in order when the lease flips faster than the work starts', async () => {
    const lease = new FakeLease(false);
    const work = recordingWork();
    const sut = new BlobLeadership(lease, work, logger);
    await sut.start();
    lease.set(true);
    lease.set(false);
    lease.set(true);
    lease.set(false);
    await settled();
    await settled();
    expect({ active: sut.isActive, counting: work.counting, collecting: work.collecting }).toEqual({
      active: false,
      counting: false,
      collecting: false,
    });
  });
});
