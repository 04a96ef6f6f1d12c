/**
 * What `npm run replay` rebuilds, per profile: the event log and the live projections, built
 * from the same WHARF_* configuration the services read, and how each projection folds events.
 *
 *   metadata   embedded: <data>/metadata.db     distributed: MongoDB (WHARF_MONGO_URL)
 *   search     embedded: <data>/search.db       distributed: OpenSearch (WHARF_OPENSEARCH_URL)
 *   blob-refs  embedded: <data>/blob-refs.db    distributed: the blob service's <data>/blob-refs.db
 *                                                (run it on that host, with its WHARF_DATA_DIR)
 *   charts     embedded: <data>/charts.db       distributed: MongoDB (WHARF_MONGO_URL)
 *
 * The chart index is derived from package views, so its replay folds the log into views of its
 * own (a scratch SQLite metadata store under <data>/replay-charts-*, removed afterwards) with
 * the metadata service's PackageProjection and ChartIndexProjection: the chart index is rebuilt
 * from the log alone, whatever state the live metadata projection is in.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MongoChartIndexStore } from '@wharf/adapters/chart-index-mongo';
import { SqliteChartIndexStore } from '@wharf/adapters/chart-index-sqlite';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { SqliteEventLog } from '@wharf/adapters/event-log-sqlite';
import { MongoMetadataStore } from '@wharf/adapters/metadata-mongo';
import { SqliteMetadataStore } from '@wharf/adapters/metadata-sqlite';
import { OpenSearchSearchIndex } from '@wharf/adapters/search-opensearch';
import { SqliteSearchIndex } from '@wharf/adapters/search-sqlite';
import { SqliteBlobReferenceStore } from '@wharf/adapters/blob-references-sqlite';
import { WharfConfig, kafkaClientOptions, requireSettings } from '@wharf/config';
import type { StoredEvent } from '@wharf/contracts';
import { ChartIndexProjection, PackageProjection } from '@wharf/metadata';
import {
  BlobReferenceStore,
  ChartIndexStore,
  EventLog,
  MetadataStore,
  RejectedEvent,
  SearchIndex,
  UnappliableEventsError,
} from '@wharf/ports';
import { SearchProjector } from '@wharf/search';
import { MetadataRebuildFold } from './metadata-rebuild-fold';
import type { ReplayedProjection } from './projection-replay';

export const PROJECTIONS = ['metadata', 'search', 'blob-refs', 'charts'] as const;
export type ProjectionName = (typeof PROJECTIONS)[number];

/**
 * Events a batch of the distributed metadata replay holds: folded in memory and written in bulk
 * before the switch, a few seconds' work at most, well within the consumer group's session. The
 * tail after the switch goes through the projector's path in batches of the same size, which
 * holds only the events appended during the rebuild.
 */
export const REBUILT_BATCH = 5000;

/**
 * Bytes the replay fetches from a partition at once: a handler batch is at most one partition's
 * fetch, and kafkajs's default (1 MiB, about 1,400 events) would cut REBUILT_BATCH short.
 */
export const REPLAY_FETCH_BYTES = 8 * 1024 * 1024;

/** The fresh store of a MongoDB metadata rebuild, which writes in bulk. */
function rebuiltStore(store: MetadataStore): MongoMetadataStore {
  if (!(store instanceof MongoMetadataStore)) throw new Error('the bulk fold writes a MongoDB rebuild only');
  return store;
}

/** Packages of a batch folded at once: a metadata store is round-trip bound, packages are independent. */
const METADATA_CONCURRENCY = 16;

/**
 * Folds events into a metadata store as the metadata projector does (per package, in sequence
 * order, compare-and-set), several packages at a time.
 */
export function foldIntoMetadata(store: MetadataStore, events: StoredEvent[]): Promise<void> {
  return foldPackages(new PackageProjection(store), events);
}

/**
 * Folds events into a chart index as the metadata service does: `views` (a metadata store of the
 * replay's own, at the replay's position in the log) gets the events, and every batch that can
 * change a package's charts records the chart versions of its view (ChartIndexProjection).
 */
export function foldIntoCharts(
  views: MetadataStore,
): (charts: ChartIndexStore, events: StoredEvent[]) => Promise<void> {
  return (charts, events) => foldPackages(new PackageProjection(views, new ChartIndexProjection(charts)), events);
}

async function foldPackages(projection: PackageProjection, events: StoredEvent[]): Promise<void> {
  const byPackage = new Map<string, StoredEvent[]>();
  for (const event of events) byPackage.set(event.package, [...(byPackage.get(event.package) ?? []), event]);
  const streams = [...byPackage];
  const rejected: RejectedEvent[] = [];
  const worker = async () => {
    for (let next = streams.shift(); next; next = streams.shift()) {
      try {
        await projection.apply(next[0], next[1]);
      } catch (error) {
        if (!(error instanceof UnappliableEventsError)) throw error;
        rejected.push(...error.rejected);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(METADATA_CONCURRENCY, streams.length) }, worker));
  if (rejected.length > 0) throw new UnappliableEventsError(rejected);
}

/** Folds events into a search index as the search projector does. */
export function foldIntoSearch(log: EventLog): (index: SearchIndex, events: StoredEvent[]) => Promise<void> {
  return (index, events) => new SearchProjector(log, index).handle(events);
}

export const foldIntoBlobReferences = (store: BlobReferenceStore, events: StoredEvent[]) => store.apply(events);

/** The log and one projection's live store, opened from the configuration; `close` releases both. */
export interface ReplaySetup<S> {
  log: EventLog;
  projection: ReplayedProjection<S>;
  close(): Promise<void>;
}

export async function openReplay(config: WharfConfig, name: ProjectionName): Promise<ReplaySetup<unknown>> {
  const distributed = config.profile === 'distributed';
  if (distributed)
    requireSettings(
      config,
      'kafka',
      ...(name === 'metadata' || name === 'charts'
        ? (['mongo'] as const)
        : name === 'search'
          ? (['opensearch'] as const)
          : []),
    );
  mkdirSync(config.dataDir, { recursive: true });
  const file = (base: string) => join(config.dataDir, base);
  const log: EventLog = distributed
    ? new KafkaEventLog({ ...kafkaClientOptions(config, 'wharf-replay'), maxBytesPerPartition: REPLAY_FETCH_BYTES })
    : new SqliteEventLog({ path: file('events.db'), synchronous: config.sqlite.synchronous });
  try {
    const projection = await openProjection(config, name, log);
    return {
      log,
      projection: projection as ReplayedProjection<unknown>,
      close: async () => {
        await log.close();
        await (projection.live as { close(): Promise<void> }).close();
        await projection.close?.();
      },
    };
  } catch (error) {
    await log.close();
    throw error;
  }
}

/** A projection to replay, and what else it opened (closed after the live store). */
type OpenedProjection<S> = ReplayedProjection<S> & { close?(): Promise<void> };

async function openProjection(
  config: WharfConfig,
  name: ProjectionName,
  log: EventLog,
): Promise<
  | OpenedProjection<MetadataStore>
  | OpenedProjection<SearchIndex>
  | OpenedProjection<BlobReferenceStore>
  | OpenedProjection<ChartIndexStore>
> {
  const distributed = config.profile === 'distributed';
  const file = (base: string) => join(config.dataDir, base);
  switch (name) {
    case 'metadata': {
      const mongo = config.distributed.mongo;
      if (!distributed) {
        // Small batches: a batch must be folded well within the consumer group's session.
        return {
          name,
          live: new SqliteMetadataStore({ path: file('metadata.db') }),
          apply: foldIntoMetadata,
          batchSize: 200,
        };
      }
      const live = await MongoMetadataStore.connect({ url: mongo!.url, database: mongo!.database });
      const fold = new MetadataRebuildFold();
      return {
        name,
        live,
        apply: foldIntoMetadata,
        // The fresh generation is written in bulk, a batch at a time (metadata-rebuild-fold.ts).
        applyRebuilding: (store: MetadataStore, events: StoredEvent[]) => fold.apply(rebuiltStore(store), events),
        batchSize: REBUILT_BATCH,
      };
    }
    case 'search': {
      const os = config.distributed.opensearch;
      const live = distributed
        ? await OpenSearchSearchIndex.connect({ node: os!.url, indexPrefix: os!.indexPrefix, replicas: os!.replicas })
        : new SqliteSearchIndex({ path: file('search.db') });
      return { name, live, apply: foldIntoSearch(log) };
    }
    case 'blob-refs':
      return {
        name,
        live: new SqliteBlobReferenceStore({ path: file('blob-refs.db') }),
        apply: foldIntoBlobReferences,
      };
    case 'charts': {
      const mongo = config.distributed.mongo;
      const live = distributed
        ? await MongoChartIndexStore.connect({ url: mongo!.url, database: mongo!.database })
        : new SqliteChartIndexStore({ path: file('charts.db') });
      const scratch = mkdtempSync(file('replay-charts-'));
      const views = new SqliteMetadataStore({ path: join(scratch, 'views.db') });
      return {
        name,
        live,
        apply: foldIntoCharts(views),
        batchSize: 200,
        close: async () => {
          await views.close();
          rmSync(scratch, { recursive: true, force: true });
        },
      };
    }
    default: {
      const never: never = name;
      throw new Error(`unknown projection ${String(never)}`);
    }
  }
}
