/**
 * The SearchIndex contract (libs/ports/src/search-index.port.ts), run unchanged against every
 * adapter:
 *
 *   describeSearchIndexContract('search-opensearch', async () => ({ subject, cleanup, refresh }), { eventuallyMs: 20_000 });
 *
 * Search is eventually consistent: every read is polled (after the fixture's `refresh`, when it
 * has one) until it holds, and each "is not returned" check sits in the same poll as a positive
 * one about a document written at the same time, so it cannot pass merely because the index
 * has not caught up yet.
 */
import { emptyPackageView } from '@wharf/domain';
import type { SearchDocument, SearchIndex, SearchQuery, SearchRow } from '@wharf/ports';
import { ContractFixture, ContractOptions, uniqueName, useContractFixture } from './contract-fixture';
import { SearchDocumentOptions, searchDocument, searchRow } from './contract-data.factory';
import { eventually } from './eventually';

export interface SearchIndexFixture extends ContractFixture<SearchIndex> {
  /** Makes every write so far visible to searches (OpenSearch `_refresh`); absent where writes are visible at once. */
  refresh?(): Promise<void>;
}

/** Texts that are query syntax in FTS5, Lucene or SQL; searched as words, they never fail. */
const QUERY_SYNTAX = [
  'name:* OR *',
  '*:*',
  '*',
  '?',
  '"',
  '""',
  '" OR "',
  '(',
  ')',
  '-',
  '+',
  '!',
  '^',
  '~',
  ':',
  '/',
  '\\',
  '[',
  ']',
  '{',
  '}',
  '&&',
  '||',
  'AND',
  'OR',
  'NOT',
  'NEAR',
  'NOT alpha',
  '-alpha',
  'beta -alpha',
  'name:beta',
  '/.*/',
  "' OR 1=1 --",
  '%',
  '_',
  '   ',
  '',
  'ünïcödé 数据 🚀',
  'a'.repeat(500),
];

export function describeSearchIndexContract(
  name: string,
  factory: () => Promise<SearchIndexFixture>,
  options: ContractOptions = {},
): void {
  const within = options.eventuallyMs ?? 5_000;
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`SearchIndex contract: ${name}`, () => {
    const ctx = useContractFixture(factory, timeout);
    const index = () => ctx.fixture.subject;

    /** Polls `check` until it holds, refreshing the index before each try. */
    async function settled(check: () => Promise<void>): Promise<void> {
      await eventually(async () => {
        await ctx.fixture.refresh?.();
        await check();
      }, within);
    }

    async function indexed(...docs: [string, SearchDocumentOptions?][]): Promise<SearchDocument[]> {
      const documents = docs.map(([pkg, options]) => searchDocument(pkg, options));
      await index().putMany(documents.map((document) => ({ document })));
      return documents;
    }

    /** The package's newest rows apart from `excluding`, asked for alone. */
    async function newest(pkg: string, excluding: SearchRow[] = [], of: SearchIndex = index()) {
      const found = await of.newestRows([{ package: pkg, excluding }]);
      expect([...found.keys()]).toEqual([pkg]);
      return found.get(pkg);
    }

    const search = (text: string, query: Partial<SearchQuery> = {}) => index().search({ text, limit: 50, ...query });

    describe('putMany and getMany', () => {
      it(
        'should give stored documents back unchanged, leaving absent packages out of the map',
        async () => {
          const ns = uniqueName('ns');
          const docs = await indexed(
            [`${ns}/one`, { description: 'The first', keywords: ['a', 'b'] }],
            [`${ns}/two`, { visibility: 'private', mediaTypes: ['helm', 'kpm'] }],
            [`${ns}/gone`, { active: false }],
          );

          await settled(async () => {
            const found = await index().getMany([`${ns}/one`, `${ns}/two`, `${ns}/gone`, `${ns}/absent`]);
            expect([...found.keys()].sort()).toEqual([`${ns}/gone`, `${ns}/one`, `${ns}/two`]);
            for (const doc of docs) expect(found.get(doc.package)).toEqual(doc);
          });
          expect((await index().getMany([])).size).toBe(0);
        },
        timeout,
      );

      it(
        'should ignore a document whose sequence is not above the stored one',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const [current] = await indexed([pkg, { sequence: 3, description: 'current' }]);
          await settled(async () => expect((await index().getMany([pkg])).get(pkg)).toEqual(current));

          await indexed([pkg, { sequence: 2, description: 'older' }]);
          await indexed([pkg, { sequence: 3, description: 'redelivered' }]);
          await indexed([pkg, { sequence: 1, active: false }]);
          const [witness] = await indexed([`${uniqueName('ns')}/witness`, { description: 'older redelivered' }]);

          await settled(async () => {
            expect((await index().getMany([pkg, witness.package])).get(pkg)).toEqual(current);
            expect(await search('older')).toEqual([witness.package]);
            expect(await search('redelivered')).toEqual([witness.package]);
            expect(await search('current')).toEqual([pkg]);
          });
        },
        timeout,
      );

      it(
        'should replace a document with a higher sequence, also within one batch',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          await indexed([pkg, { sequence: 1, description: 'first' }]);

          const [, newest] = await indexed(
            [pkg, { sequence: 2, description: 'second' }],
            [pkg, { sequence: 4, description: 'fourth' }],
            [pkg, { sequence: 3, description: 'third' }],
          );

          await settled(async () => {
            expect((await index().getMany([pkg])).get(pkg)).toEqual(newest);
            expect(await search('fourth')).toEqual([pkg]);
            expect(await search('first')).toEqual([]);
            expect(await search('third')).toEqual([]);
          });
        },
        timeout,
      );
    });

    describe('rows', () => {
      it(
        'should give the newest row by time, and among charted ones the highest release first published, apart from the excluded',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const rows = {
            old: searchRow('1.0.0', { createdAt: '2026-01-01T00:00:00.000Z', sequence: 1 }),
            latest: searchRow('0.9.0', { createdAt: '2026-05-01T00:00:00.000Z', sequence: 2 }),
            highKpm: searchRow('10.0.0', { mediaType: 'kpm', createdAt: '2026-02-01T00:00:00.000Z', sequence: 3 }),
            highHelm: searchRow('10.0.0', { createdAt: '2026-02-02T00:00:00.000Z', sequence: 4 }),
            unchartered: searchRow('11.0.0', { description: null, createdAt: '2026-03-01T00:00:00.000Z', sequence: 5 }),
            pre: searchRow('10.0.0-rc.1', { createdAt: '2026-01-15T00:00:00.000Z', sequence: 6 }),
            nine: searchRow('9.0.0', { createdAt: '2026-01-20T00:00:00.000Z', sequence: 7 }),
          };
          await index().putMany([{ document: searchDocument(pkg, { sequence: 7 }), rows: Object.values(rows) }]);
          // Another package's newer rows are not this package's.
          const otherRow = searchRow('99.0.0', { createdAt: '2026-12-01T00:00:00.000Z' });
          await index().putMany([{ document: searchDocument(`${pkg}-other`), rows: [otherRow] }]);

          expect(await newest(pkg)).toEqual({ newest: rows.latest, described: rows.highKpm });
          expect(await newest(pkg, [rows.latest, rows.highKpm])).toEqual({
            newest: rows.unchartered,
            described: rows.highHelm,
          });
          expect(await newest(pkg, [rows.latest, rows.unchartered, rows.highKpm, rows.highHelm])).toEqual({
            newest: rows.nine,
            described: rows.pre,
          });
          expect(await newest(`${pkg}-absent`)).toEqual({ newest: null, described: null });
          // Several packages in one call: each its own answer, absent ones with none.
          expect(
            await index().newestRows([
              { package: pkg, excluding: [rows.latest] },
              { package: `${pkg}-absent`, excluding: [] },
              { package: `${pkg}-other`, excluding: [] },
            ]),
          ).toEqual(
            new Map([
              [pkg, { newest: rows.unchartered, described: rows.highKpm }],
              [`${pkg}-absent`, { newest: null, described: null }],
              [`${pkg}-other`, { newest: otherRow, described: otherRow }],
            ]),
          );
        },
        timeout,
      );

      it(
        'should replace a row of the same release and media type, and delete rows, with the document',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const [one, two] = [
            searchRow('1.0.0', { createdAt: '2026-01-01T00:00:00.000Z' }),
            searchRow('2.0.0', { createdAt: '2026-02-01T00:00:00.000Z', sequence: 2 }),
          ];
          await index().putMany([{ document: searchDocument(pkg, { sequence: 2 }), rows: [one, two] }]);

          const forced = searchRow('1.0.0', { createdAt: '2026-03-01T00:00:00.000Z', sequence: 3, description: null });
          await index().putMany([
            { document: searchDocument(pkg, { sequence: 3 }), rows: [forced] },
            { document: searchDocument(pkg, { sequence: 4 }), deletedRows: [{ release: '2.0.0', mediaType: 'helm' }] },
          ]);
          expect(await newest(pkg)).toEqual({ newest: forced, described: null });

          await index().putMany([
            {
              document: searchDocument(pkg, { sequence: 5, active: false }),
              deletedRows: [
                { release: '1.0.0', mediaType: 'helm' },
                { release: '3.0.0', mediaType: 'helm' },
              ],
            },
          ]);
          expect(await newest(pkg)).toEqual({ newest: null, described: null });
        },
        timeout,
      );

      it(
        'should ignore the rows of an update whose document is not above the stored one',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const kept = searchRow('1.0.0');
          await index().putMany([{ document: searchDocument(pkg, { sequence: 3 }), rows: [kept] }]);

          await index().putMany([
            { document: searchDocument(pkg, { sequence: 3 }), rows: [searchRow('5.0.0', { sequence: 3 })] },
            { document: searchDocument(pkg, { sequence: 2 }), deletedRows: [kept] },
          ]);

          expect(await newest(pkg)).toEqual({ newest: kept, described: kept });
        },
        timeout,
      );

      it(
        'should list every stored row of the packages asked for, by media type then release',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const [kpm, two, one, gone] = [
            searchRow('1.0.0', { mediaType: 'kpm', sequence: 3, description: null }),
            searchRow('2.0.0', { sequence: 2 }),
            searchRow('10.0.0', { sequence: 1 }),
            searchRow('3.0.0', { sequence: 4 }),
          ];
          const other = searchRow('1.0.0');
          await index().putMany([
            { document: searchDocument(pkg, { sequence: 4 }), rows: [two, kpm, one, gone] },
            { document: searchDocument(`${pkg}-other`), rows: [other] },
          ]);
          await index().putMany([{ document: searchDocument(pkg, { sequence: 5 }), deletedRows: [gone] }]);

          expect(await index().listRows([pkg, `${pkg}-absent`])).toEqual(
            new Map([
              [pkg, [one, two, kpm]],
              [`${pkg}-absent`, []],
            ]),
          );
          expect(await index().listRows([`${pkg}-other`])).toEqual(new Map([[`${pkg}-other`, [other]]]));
          expect((await index().listRows([])).size).toBe(0);
        },
        timeout,
      );

      it(
        'should store a document without the view of the former layout',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const document = searchDocument(pkg);
          await index().putMany([{ document: { ...document, view: emptyPackageView(pkg) } }]);

          await settled(async () => expect((await index().getMany([pkg])).get(pkg)).toEqual(document));
        },
        timeout,
      );
    });

    describe('search', () => {
      it(
        'should find a package by a prefix of its name, by keyword and by a word of its description',
        async () => {
          const ns = uniqueName('ns');
          await indexed(
            [`${ns}/postgresql`, { description: 'Relational database server' }],
            [
              `${ns}/nginx`,
              { description: 'A fast reverse proxy', keywords: ['webserver', 'ingress', 'load-balancer'] },
            ],
            [`${ns}/unrelated`, { description: 'Nothing to see', keywords: ['misc'] }],
          );

          await settled(async () => {
            expect(await search('postgr')).toEqual([`${ns}/postgresql`]);
            expect(await search('webserver')).toEqual([`${ns}/nginx`]);
            expect(await search('ingress')).toEqual([`${ns}/nginx`]);
            expect(await search('balancer')).toEqual([`${ns}/nginx`]);
            expect(await search('reverse')).toEqual([`${ns}/nginx`]);
            expect(await search('relational')).toEqual([`${ns}/postgresql`]);
            expect(await search('mongodb')).toEqual([]);
          });
        },
        timeout,
      );

      it(
        'should rank the package whose name is the text first',
        async () => {
          const ns = uniqueName('ns');
          await indexed(
            [
              `${ns}/cache`,
              { description: 'redis compatible cache, redis protocol, redis redis', keywords: ['redis'] },
            ],
            [`${ns}/redis-cluster`, { description: 'Clustered redis', keywords: ['redis', 'cluster'] }],
            [`${ns}/redis`, { description: 'In-memory store' }],
            [`${ns}/redisinsight`, { description: 'GUI for redis', keywords: ['redis'] }],
          );

          await settled(async () => {
            const results = await search('redis');
            expect(results[0]).toBe(`${ns}/redis`);
            expect([...results].sort()).toEqual([
              `${ns}/cache`,
              `${ns}/redis`,
              `${ns}/redis-cluster`,
              `${ns}/redisinsight`,
            ]);
            expect((await search(`${ns}/redis`))[0]).toBe(`${ns}/redis`);
          });
        },
        timeout,
      );

      it(
        'should filter on the exact namespace and on media type',
        async () => {
          const [ns, other] = [uniqueName('ns'), uniqueName('ns')];
          await indexed(
            [`${ns}/web-helm`, { description: 'webapp', mediaTypes: ['helm'] }],
            [`${ns}/web-both`, { description: 'webapp', mediaTypes: ['kpm', 'helm'] }],
            [`${ns}/web-compose`, { description: 'webapp', mediaTypes: ['kpm-compose'] }],
            [`${other}/web-helm`, { description: 'webapp', mediaTypes: ['helm'] }],
            [`${ns}x/web-helm`, { description: 'webapp', mediaTypes: ['helm'] }],
          );

          await settled(async () => {
            expect((await search('webapp', { namespace: ns })).sort()).toEqual([
              `${ns}/web-both`,
              `${ns}/web-compose`,
              `${ns}/web-helm`,
            ]);
            expect((await search('webapp', { namespace: ns, mediaType: 'helm' })).sort()).toEqual([
              `${ns}/web-both`,
              `${ns}/web-helm`,
            ]);
            expect(await search('webapp', { namespace: ns, mediaType: 'kpm' })).toEqual([`${ns}/web-both`]);
            expect(await search('webapp', { namespace: ns, mediaType: 'compose' })).toEqual([]);
            expect((await search('webapp', { mediaType: 'helm' })).sort()).toEqual(
              [`${ns}/web-both`, `${ns}/web-helm`, `${ns}x/web-helm`, `${other}/web-helm`].sort(),
            );
          });
        },
        timeout,
      );

      it(
        'should order the same matches newest release first when sorted by recency, undated ones last by package',
        async () => {
          const ns = uniqueName('ns');
          const docs = await indexed(
            [`${ns}/webapp`, { description: 'webapp', releasedAt: '2026-01-01T00:00:00.000Z' }],
            [`${ns}/beta`, { description: 'webapp', releasedAt: '2026-03-01T10:00:00.000Z' }],
            [`${ns}/old-b`, { description: 'webapp', releasedAt: undefined }],
            [`${ns}/none`, { description: 'webapp', releasedAt: null }],
            [`${ns}/old-a`, { description: 'webapp', releasedAt: undefined }],
            [`${ns}/gamma`, { description: 'webapp', releasedAt: '2026-03-01T09:59:59.999Z' }],
            [`${ns}/other`, { description: 'unrelated', releasedAt: '2026-12-01T00:00:00.000Z' }],
          );

          await settled(async () => {
            const newestFirst = [
              `${ns}/beta`,
              `${ns}/gamma`,
              `${ns}/webapp`,
              `${ns}/none`,
              `${ns}/old-a`,
              `${ns}/old-b`,
            ];
            expect(await search('webapp', { namespace: ns, sort: 'recent' })).toEqual(newestFirst);
            expect(await search('webapp', { namespace: ns, sort: 'recent', limit: 2 })).toEqual(
              newestFirst.slice(0, 2),
            );
            // Relevance (the default) still puts the package named by the text first.
            expect((await search('webapp', { namespace: ns }))[0]).toBe(`${ns}/webapp`);
            expect(await search('webapp', { namespace: ns, sort: 'relevance' })).toEqual(
              await search('webapp', { namespace: ns }),
            );
            // A document stored without the field reads back without it.
            const found = await index().getMany(docs.map((d) => d.package));
            for (const doc of docs) expect(found.get(doc.package)).toEqual(doc);
            expect('releasedAt' in found.get(`${ns}/old-a`)!).toBe(false);
          });
        },
        timeout,
      );

      it(
        'should never return an inactive document',
        async () => {
          const ns = uniqueName('ns');
          await indexed(
            [`${ns}/retired`, { description: 'ghost' }],
            [`${ns}/never`, { description: 'ghost', active: false }],
            [`${ns}/alive`, { description: 'ghost' }],
          );
          await settled(async () => expect((await search('ghost')).sort()).toEqual([`${ns}/alive`, `${ns}/retired`]));

          await indexed(
            [`${ns}/retired`, { sequence: 3, description: 'ghost', active: false }],
            [`${ns}/alive`, { sequence: 3, description: 'ghost town' }],
          );

          await settled(async () => {
            expect(await search('town')).toEqual([`${ns}/alive`]);
            expect(await search('ghost')).toEqual([`${ns}/alive`]);
            expect(await search('retired')).toEqual([]);
            expect(await search('never', { namespace: ns, visibleNamespaces: 'all' })).toEqual([]);
          });
        },
        timeout,
      );

      it(
        'should search user text with query syntax as words, never failing and never matching everything',
        async () => {
          const ns = uniqueName('ns');
          const docs = await indexed(
            [`${ns}/alpha`, { description: 'first letter', keywords: ['greek'] }],
            [`${ns}/beta`, { description: 'second letter', keywords: ['greek'] }],
          );
          await settled(async () => expect((await search('letter')).sort()).toEqual([`${ns}/alpha`, `${ns}/beta`]));

          for (const text of QUERY_SYNTAX) {
            const results = await search(text);
            expect({ text, results }).toEqual({ text, results: expect.any(Array) });
            const unrelated = results.filter(
              (pkg) =>
                !sharesAWord(
                  docs.find((d) => d.package === pkg)!,
                  text,
                ),
            );
            expect({ text, unrelated }).toEqual({ text, unrelated: [] });
          }
          for (const text of [
            '"alpha"',
            '(alpha',
            'alpha)',
            '[alpha]',
            '{alpha}',
            'alpha*',
            'alpha?',
            'alpha!',
            '\\alpha',
            'alpha:',
          ]) {
            expect({ text, results: await search(text) }).toEqual({ text, results: [`${ns}/alpha`] });
          }
        },
        timeout,
      );

      it(
        'should return only public packages and those of visibleNamespaces',
        async () => {
          const [mine, theirs] = [uniqueName('m'), uniqueName('t')];
          await indexed(
            [`${mine}/private`, { visibility: 'private', description: 'shared' }],
            [`${mine}/public`, { description: 'shared' }],
            [`${theirs}/private`, { visibility: 'private', description: 'shared' }],
            [`${theirs}/public`, { description: 'shared' }],
          );
          const everything = [`${mine}/private`, `${mine}/public`, `${theirs}/private`, `${theirs}/public`];
          const found = async (query: Partial<SearchQuery>) => (await search('shared', query)).sort();

          await settled(async () => {
            expect(await found({ visibleNamespaces: [mine] })).toEqual([
              `${mine}/private`,
              `${mine}/public`,
              `${theirs}/public`,
            ]);
            expect(await found({ visibleNamespaces: [] })).toEqual([`${mine}/public`, `${theirs}/public`]);
            expect(await found({ visibleNamespaces: [mine, theirs] })).toEqual(everything);
            expect(await found({ visibleNamespaces: 'all' })).toEqual(everything);
            expect(await found({})).toEqual(everything);
            expect(await found({ namespace: theirs, visibleNamespaces: [mine] })).toEqual([`${theirs}/public`]);
          });
        },
        timeout,
      );

      it(
        'should return at most limit packages',
        async () => {
          const ns = uniqueName('ns');
          await indexed(
            [`${ns}/a`, { description: 'common' }],
            [`${ns}/b`, { description: 'common' }],
            [`${ns}/c`, { description: 'common' }],
          );

          await settled(async () => {
            expect(await search('common', { limit: 3 })).toHaveLength(3);
            expect(await search('common', { limit: 2 })).toHaveLength(2);
          });
        },
        timeout,
      );
    });

    describe('rows in search', () => {
      it(
        'should never return a row: a package is found by its document only, once, and a row adds nothing to count',
        async () => {
          const [ns, word] = [uniqueName('ns'), uniqueName('w')];
          const before = await index().count();
          // Matched by its rows' charts only (an older release's description): never found, even with access.
          const hidden = `${ns}/hidden`;
          await index().putMany([
            {
              document: searchDocument(hidden, { visibility: 'private', description: 'nothing to see' }),
              rows: [searchRow('1.0.0', { description: `old ${word}` }), searchRow('2.0.0', { description: word })],
            },
          ]);
          // Matched by its document and by each of its rows: found once.
          const found = `${ns}/found`;
          await index().putMany([
            {
              document: searchDocument(found, { description: `about ${word}` }),
              rows: ['1.0.0', '1.1.0', '2.0.0'].map((release) => searchRow(release, { description: word })),
            },
          ]);

          await settled(async () => {
            expect(await search(word, { visibleNamespaces: [] })).toEqual([found]);
            expect(await search(word, { visibleNamespaces: 'all' })).toEqual([found]);
            expect(await search(word, { namespace: ns, visibleNamespaces: [ns] })).toEqual([found]);
            expect(await search('nothing', { namespace: ns, visibleNamespaces: [] })).toEqual([]);
            expect(await search('nothing', { namespace: ns, visibleNamespaces: [ns] })).toEqual([hidden]);
            expect(await index().count()).toBe(before + 2);
          });
        },
        timeout,
      );
    });

    describe('count', () => {
      it(
        'should count active documents only',
        async () => {
          const ns = uniqueName('ns');
          const before = await index().count();

          await indexed(
            [`${ns}/one`],
            [`${ns}/two`, { visibility: 'private' }],
            [`${ns}/gone`, { active: false }],
            [`${ns}/retired`],
          );
          await indexed([`${ns}/retired`, { sequence: 2, active: false }]);

          await settled(async () => expect(await index().count()).toBe(before + 2));
        },
        timeout,
      );
    });

    describe('rebuild', () => {
      it(
        'should start empty and unseen, then switch the live index over to exactly its documents',
        async () => {
          const ns = uniqueName('ns');
          const [kept, dropped] = await indexed([`${ns}/kept`, { description: 'oldword' }], [`${ns}/dropped`]);
          const rebuild = await index().rebuild();
          ctx.defer(() => rebuild.abort());
          expect((await rebuild.store.getMany([kept.package])).size).toBe(0);

          const rebuilt = searchDocument(kept.package, { sequence: 3, description: 'newword' });
          const added = searchDocument(`${ns}/added`, { sequence: 1 });
          const row = searchRow('1.0.0');
          await rebuild.store.putMany([{ document: rebuilt, rows: [row] }, { document: added }]);
          expect(await index().getMany([kept.package, added.package])).toEqual(new Map([[kept.package, kept]]));
          expect(await newest(kept.package)).toEqual({ newest: null, described: null });
          expect(await newest(kept.package, [], rebuild.store)).toEqual({ newest: row, described: row });

          expect(await rebuild.switchOver()).toBeGreaterThanOrEqual(0);

          expect(await index().getMany([kept.package, added.package, dropped.package])).toEqual(
            new Map([
              [kept.package, rebuilt],
              [added.package, added],
            ]),
          );
          expect(await newest(kept.package)).toEqual({ newest: row, described: row });
          await settled(async () => {
            expect(await search('newword')).toEqual([kept.package]);
            expect(await search('oldword')).toEqual([]);
            expect(await index().count()).toBe(2);
          });
          // Documents still never move backwards.
          await index().putMany([{ document: searchDocument(kept.package, { sequence: 2, description: 'older' }) }]);
          expect((await index().getMany([kept.package])).get(kept.package)).toEqual(rebuilt);
          await expect(rebuild.switchOver()).rejects.toThrow();
        },
        timeout,
      );

      it(
        'should leave the live index as it was when aborted, and start the next rebuild empty',
        async () => {
          const ns = uniqueName('ns');
          const [live] = await indexed([`${ns}/live`]);
          const first = await index().rebuild();
          await first.store.putMany([{ document: searchDocument(`${ns}/abandoned`) }]);
          await first.abort();
          await first.abort();
          await expect(first.switchOver()).rejects.toThrow();
          expect(await index().getMany([live.package, `${ns}/abandoned`])).toEqual(new Map([[live.package, live]]));

          const second = await index().rebuild();
          ctx.defer(() => second.abort());
          await second.store.putMany([{ document: searchDocument(`${ns}/leftover`), rows: [searchRow('1.0.0')] }]);
          const third = await index().rebuild();
          ctx.defer(() => third.abort());
          expect((await third.store.getMany([`${ns}/leftover`, `${ns}/abandoned`])).size).toBe(0);
          expect(await newest(`${ns}/leftover`, [], third.store)).toEqual({ newest: null, described: null });
          await third.switchOver();
          expect((await index().getMany([live.package, `${ns}/leftover`])).size).toBe(0);
          await settled(async () => expect(await index().count()).toBe(0));
        },
        timeout,
      );
    });
  });
}

/** Whether `doc` could match `text` searched as words: a word of the text starts a word of the document, or its name contains the text. */
function sharesAWord(doc: SearchDocument, text: string): boolean {
  const words = (value: string) => value.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const docWords = words([doc.package, doc.description, ...doc.keywords].join(' '));
  const trimmed = text.trim().toLowerCase();
  return (
    (trimmed.length > 0 && doc.package.includes(trimmed)) ||
    words(text).some((w) => docWords.some((d) => d.startsWith(w)))
  );
}
