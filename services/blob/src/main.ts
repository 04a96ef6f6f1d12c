/**
 * The blob service (distributed profile): the garbage collector of S3. The gateways store and
 * read tarballs in S3 themselves (content-addressed); this service follows the event log into
 * blob reference counts and deletes blobs no release references. Its HTTP port answers health,
 * readiness and metrics only. The counts are a projection kept in a local SQLite file under
 * WHARF_DATA_DIR: rebuilt by replay if lost. Each replica keeps counts of the whole log, in a
 * consumer group of its own (replica-group.event-log.ts), so any replica's collector is right;
 * only the replica holding the lease `<prefix>blob-leader` counts and collects at a time, the
 * others stand by (blob-leadership.ts).
 */
import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaEventLog, KafkaLease } from '@wharf/adapters/event-log-kafka';
import { S3BlobStore } from '@wharf/adapters/blob-s3';
import { SqliteBlobReferenceStore } from '@wharf/adapters/blob-references-sqlite';
import {
  JsonLogger,
  WHARF_CONFIG,
  WharfConfig,
  kafkaClientOptions,
  requireGcGraceAboveCommandDeadline,
  requireSettings,
  runService,
} from '@wharf/config';
import { LagGauge, ReadinessCheck, createService, followConsumerLag, readinessProbe } from '@wharf/http';
import { WharfMetrics, instrumentStore } from '@wharf/metrics';
import { BLOB_REFERENCES, BLOB_STORE, EVENT_LOG } from '@wharf/ports';
import { BLOB_LOGGER, BlobGarbageCollector } from './blob-garbage-collector';
import { BlobLeadership } from './blob-leadership';
import { BlobModule } from './blob.module';
import { BLOB_REFERENCES_GROUP, BlobReferenceProjector } from './blob-reference.projector';
import { ReplicaGroupEventLog, replicaGroupOf } from './replica-group.event-log';

/** The lease whose holder counts references and collects garbage (topic and group `<prefix>blob-leader`). */
const BLOB_LEADER_LEASE = 'blob-leader';

async function start(config: WharfConfig, logger: JsonLogger) {
  requireSettings(config, 'kafka', 's3');
  requireGcGraceAboveCommandDeadline(config);
  const metrics = new WharfMetrics('blob');
  mkdirSync(config.dataDir, { recursive: true });
  const countsFile = 'blob-refs.db';
  const group = replicaGroupOf(config.dataDir, BLOB_REFERENCES_GROUP, countsFile);
  const log = new ReplicaGroupEventLog(
    new KafkaEventLog(kafkaClientOptions(config, 'wharf-blob')),
    BLOB_REFERENCES_GROUP,
    group,
  );
  const blobs = await S3BlobStore.create(config.distributed.s3!);
  const references = new SqliteBlobReferenceStore({ path: join(config.dataDir, countsFile) });
  const checks: ReadinessCheck[] = [];
  let leaving: () => Promise<void> = async () => undefined;
  const gauges: LagGauge[] = [];
  const app = await createService(
    {
      providers: [
        { provide: WHARF_CONFIG, useValue: config },
        { provide: BLOB_LOGGER, useValue: logger },
        { provide: EVENT_LOG, useValue: instrumentStore(log, metrics, 'event_log', 'kafka') },
        { provide: BLOB_STORE, useValue: instrumentStore(blobs, metrics, 'blobs', 's3') },
        { provide: BLOB_REFERENCES, useValue: instrumentStore(references, metrics, 'blob_references', 'sqlite') },
      ],
      imports: [BlobModule],
      checks,
      gauges,
      metrics,
      onClose: async () => {
        // Leaves the lease's group at once: a standby takes over without waiting for a session to expire.
        await leaving();
        await log.close();
        await references.close();
        await blobs.close();
      },
    },
    logger,
  );
  const projector = app.get(BlobReferenceProjector);
  const collector = app.get(BlobGarbageCollector);
  const leadership = new BlobLeadership(
    new KafkaLease({ ...kafkaClientOptions(config, 'wharf-blob-lease'), name: BLOB_LEADER_LEASE }),
    {
      startCounting: () => projector.start(),
      stopCounting: () => projector.stop(),
      startCollecting: () => collector.schedule(),
      stopCollecting: () => collector.unschedule(),
    },
    logger,
  );
  leaving = () => leadership.stop();
  await leadership.start();
  metrics.followBlobGcActive(() => leadership.isActive);
  // A standby counts nothing and serves nothing: its lag is reported as 0, so it is ready.
  followConsumerLag(checks, gauges, config.readiness.maxLag, {
    group: BLOB_REFERENCES_GROUP,
    lag: () => (leadership.isActive ? projector.lag() : Promise.resolve(0)),
  });
  checks.push(readinessProbe('blob store', () => blobs.stat('0'.repeat(64))));
  await app.listen(config.http.port, config.http.host);
  return app;
}

runService('blob', start);
