/**
 * The PullRecordStore contract (libs/ports/src/pull-records.port.ts), run unchanged against
 * every adapter: each test gets a fresh, empty store.
 */
import type { PullRecord, PullRecordStore, TokenUse } from '@wharf/ports';
import { ContractFixture, ContractOptions, useContractFixture } from './contract-fixture';

export interface PullRecordsFixture extends ContractFixture<PullRecordStore> {
  /** Another handle on the same store (a restarted gateway, or a second one); the test closes it. */
  reopen(): Promise<PullRecordStore>;
}

const at = (day: number) => new Date(Date.UTC(2026, 0, day)).toISOString();
const sorted = (records: PullRecord[]) =>
  [...records].sort((a, b) => `${a.package}@${a.release}`.localeCompare(`${b.package}@${b.release}`));
const sortedUses = (uses: TokenUse[]) =>
  [...uses].sort((a, b) => `${a.account}/${a.tokenId}`.localeCompare(`${b.account}/${b.tokenId}`));

export function describePullRecordsContract(
  name: string,
  factory: () => Promise<PullRecordsFixture>,
  options: ContractOptions = {},
): void {
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`PullRecordStore contract: ${name}`, () => {
    const ctx = useContractFixture(factory, timeout);
    const store = () => ctx.fixture.subject;

    it(
      'should answer nothing for packages never pulled, and write nothing for an empty batch',
      async () => {
        await store().record([]);
        expect(await store().lastPulls(['acme/web'])).toEqual([]);
        expect(await store().lastPulls([])).toEqual([]);
      },
      timeout,
    );

    it(
      'should keep the last pull of each release, never moving a time back, across batches and within one',
      async () => {
        await store().record([
          { package: 'acme/web', release: '1.0.0', pulledAt: at(5) },
          { package: 'acme/web', release: '1.0.0', pulledAt: at(7) },
          { package: 'acme/web', release: '1.0.0', pulledAt: at(6) },
          { package: 'acme/web', release: '2.0.0-rc.1+build.5', pulledAt: at(1) },
        ]);
        await store().record([
          { package: 'acme/web', release: '1.0.0', pulledAt: at(3) }, // an older batch, late
          { package: 'acme/web', release: '2.0.0-rc.1+build.5', pulledAt: at(2) },
        ]);

        expect(sorted(await store().lastPulls(['acme/web']))).toEqual([
          { package: 'acme/web', release: '1.0.0', pulledAt: at(7) },
          { package: 'acme/web', release: '2.0.0-rc.1+build.5', pulledAt: at(2) },
        ]);
      },
      timeout,
    );

    it(
      'should answer exactly the packages asked, by exact name',
      async () => {
        await store().record([
          { package: 'acme/web', release: '1.0.0', pulledAt: at(1) },
          { package: 'acme/web-ui', release: '1.0.0', pulledAt: at(2) },
          { package: 'acme/db', release: '1.0.0', pulledAt: at(3) },
          { package: 'other/web', release: '1.0.0', pulledAt: at(4) },
        ]);

        expect(sorted(await store().lastPulls(['acme/web', 'acme/db', 'acme/none']))).toEqual([
          { package: 'acme/db', release: '1.0.0', pulledAt: at(3) },
          { package: 'acme/web', release: '1.0.0', pulledAt: at(1) },
        ]);
      },
      timeout,
    );

    it(
      'should keep the later time when writers race on the same releases',
      async () => {
        const batch = (day: number) =>
          ['1.0.0', '1.1.0', '1.2.0'].map((release) => ({ package: 'acme/web', release, pulledAt: at(day) }));
        await Promise.all([4, 9, 2, 8].map((day) => store().record(batch(day))));

        expect((await store().lastPulls(['acme/web'])).map((r) => r.pulledAt)).toEqual([at(9), at(9), at(9)]);
      },
      timeout,
    );
    it(
      'should keep the last use of each token, never moving a time back, across batches, within one and when writers race',
      async () => {
        expect(await store().lastTokenUses(['alice'])).toEqual([]);
        await store().recordTokenUses([]);
        await store().recordTokenUses([
          { account: 'alice', tokenId: 'a1', usedAt: at(5) },
          { account: 'alice', tokenId: 'a1', usedAt: at(7) },
          { account: 'alice', tokenId: 'a1', usedAt: at(6) },
          { account: 'acme+ci', tokenId: 'r1', usedAt: at(2) },
        ]);
        await store().recordTokenUses([{ account: 'alice', tokenId: 'a1', usedAt: at(3) }]); // an older batch, late
        await Promise.all(
          [4, 9, 2, 8].map((day) => store().recordTokenUses([{ account: 'alice', tokenId: 'a2', usedAt: at(day) }])),
        );

        expect(sortedUses(await store().lastTokenUses(['alice', 'acme+ci']))).toEqual([
          { account: 'acme+ci', tokenId: 'r1', usedAt: at(2) },
          { account: 'alice', tokenId: 'a1', usedAt: at(7) },
          { account: 'alice', tokenId: 'a2', usedAt: at(9) },
        ]);
      },
      timeout,
    );

    it(
      'should answer token uses of exactly the accounts asked, by exact name, apart from pulls',
      async () => {
        await store().recordTokenUses([
          { account: 'acme', tokenId: 'x', usedAt: at(1) },
          { account: 'acme+ci', tokenId: 'y', usedAt: at(2) },
          { account: 'acme-ui', tokenId: 'z', usedAt: at(3) },
        ]);
        await store().record([{ package: 'acme/web', release: '1.0.0', pulledAt: at(4) }]);

        expect(await store().lastTokenUses(['acme', 'nobody'])).toEqual([
          { account: 'acme', tokenId: 'x', usedAt: at(1) },
        ]);
        expect(await store().lastTokenUses([])).toEqual([]);
        expect(await store().lastPulls(['acme'])).toEqual([]);
      },
      timeout,
    );

    it(
      'should say since when it records pulls: an instant not after now, the same on every call, whatever is recorded',
      async () => {
        const since = await store().recordedSince();
        expect(new Date(since).toISOString()).toBe(since);
        expect(since <= new Date().toISOString()).toBe(true);
        await store().record([{ package: 'acme/web', release: '1.0.0', pulledAt: at(1) }]);
        expect(await store().recordedSince()).toBe(since);
        await new Promise((resolve) => setTimeout(resolve, 5)); // a later open reads a later clock
        const again = await ctx.fixture.reopen();
        try {
          expect(await again.recordedSince()).toBe(since);
        } finally {
          await again.close();
        }
      },
      timeout,
    );
  });
}
