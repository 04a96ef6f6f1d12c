export * from './event-log-kafka.adapter';
export * from './kafka-topics';
export * from './idempotent-sender';
export * from './restarting-consumer';
export * from './only-partition.assigner';
export * from './kafka-lease';
