import { SqliteChartIndexStore } from '@wharf/adapters/chart-index-sqlite';
import type { EventEnvelope } from '@wharf/contracts';
import { PackageEvent, emptyHeadState, evolveHeadAll, packageHead } from '@wharf/domain';
import { InMemoryMetadataStore, TEST_PACKAGE, addedToChannel, commandMeta, deleted, published } from '@wharf/testing';
import { ChartIndexProjection } from './chart-index-projection';
import { envelopesFor } from './event-envelopes';
import { PackageProjection } from './package-projection';

function stream(from: number, ...events: PackageEvent[]): EventEnvelope[] {
  return events.map(
    (event, i) => envelopesFor(TEST_PACKAGE, from + i, [event], commandMeta({ commandId: `c${from + i + 1}` }))[0],
  );
}

const NAMESPACE = TEST_PACKAGE.split('/')[0];

/** A helm release whose archive had a Chart.yaml. */
const chart = (release: string) =>
  published({ release, mediaType: 'helm', chart: { apiVersion: 'v2', name: 'app1', version: release } });

describe('PackageProjection with the chart index', () => {
  let store: InMemoryMetadataStore;
  let charts: SqliteChartIndexStore;
  let projection: PackageProjection;
  const versions = async () => (await charts.read(NAMESPACE)).versions.map((v) => v.version).sort();

  beforeEach(() => {
    store = new InMemoryMetadataStore();
    charts = new SqliteChartIndexStore({ path: ':memory:' });
    projection = new PackageProjection(store, new ChartIndexProjection(charts));
  });

  afterEach(() => charts.close());

  it('records helm releases as chart versions when the view is applied, and drops deleted ones', async () => {
    const events = stream(0, chart('1.0.0'), chart('2.0.0'), published({ release: '3.0.0', mediaType: 'kpm' }));
    await projection.apply(TEST_PACKAGE, events);
    expect(await versions()).toEqual(['1.0.0', '2.0.0']);

    await projection.apply(TEST_PACKAGE, stream(3, deleted({ release: '1.0.0', mediaType: 'helm' })));
    expect(await versions()).toEqual(['2.0.0']);
  });

  it('changes nothing when the same events are applied again (a replay or the projector after the writer)', async () => {
    const events = stream(0, chart('1.0.0'));
    await projection.apply(TEST_PACKAGE, events);
    const revision = await charts.revision(NAMESPACE);

    await projection.apply(TEST_PACKAGE, events);

    expect(await charts.revision(NAMESPACE)).toBe(revision);
  });

  it('leaves the chart index alone for events that cannot change charts', async () => {
    await projection.apply(TEST_PACKAGE, stream(0, chart('1.0.0')));
    const revision = await charts.revision(NAMESPACE);
    const applyChanges = jest.spyOn(charts, 'applyChanges');

    await projection.apply(
      TEST_PACKAGE,
      stream(1, addedToChannel({ release: '1.0.0' }), published({ release: '1.0.0', mediaType: 'kpm' })),
    );

    expect(await charts.revision(NAMESPACE)).toBe(revision);
    expect(applyChanges).not.toHaveBeenCalled();
  });

  it('repairs the chart index from the projector when a writer stored two events but stopped before their chart sync, delivered one batch at a time', async () => {
    const events = stream(0, addedToChannel({ release: '0.0.0' }), chart('1.0.0'));
    await new PackageProjection(store).apply(TEST_PACKAGE, events); // the writer: view stored, chart index not
    await projection.catchUp(TEST_PACKAGE, [events[0]]); // nothing new to the store, nothing for charts

    await projection.catchUp(TEST_PACKAGE, [events[1]]);

    expect(await versions()).toEqual(['1.0.0']);
  });

  it('repairs the chart index when the view was stored but the chart index was not (a crash in between)', async () => {
    const events = stream(0, chart('1.0.0'));
    await new PackageProjection(store).apply(TEST_PACKAGE, events);
    expect(await versions()).toEqual([]);

    await projection.apply(TEST_PACKAGE, events);

    expect(await versions()).toEqual(['1.0.0']);
  });

  it("records a push through the head from the rows it changed, without reading the whole view or rewriting the package's versions", async () => {
    const view = await projection.apply(TEST_PACKAGE, stream(0, chart('1.0.0'), chart('2.0.0'), chart('3.0.0')));
    // The head and the row the batch touches (1.0.0, deleted), as the writer loads them.
    const before = { ...emptyHeadState(packageHead(view)), rows: view.manifests.filter((m) => m.release === '1.0.0') };
    const events = stream(3, chart('4.0.0'), deleted({ release: '1.0.0', mediaType: 'helm' }));
    const get = jest.spyOn(store, 'get');
    const sync = jest.spyOn(charts, 'sync');

    await projection.applyHead(TEST_PACKAGE, events, before, evolveHeadAll(before, events));

    expect(get).not.toHaveBeenCalled();
    expect(sync).not.toHaveBeenCalled();
    expect(await versions()).toEqual(['2.0.0', '3.0.0', '4.0.0']);
  });

  it("records the whole view's chart versions once when the chart index is behind the batch (its first chart after other events)", async () => {
    await projection.apply(TEST_PACKAGE, stream(0, published({ release: '0.1.0', mediaType: 'kpm' })));
    const sync = jest.spyOn(charts, 'sync');

    await projection.apply(TEST_PACKAGE, stream(1, chart('1.0.0')));
    await projection.apply(TEST_PACKAGE, stream(2, chart('2.0.0')));

    expect(sync).toHaveBeenCalledTimes(1);
    expect(await versions()).toEqual(['1.0.0', '2.0.0']);
  });
});
