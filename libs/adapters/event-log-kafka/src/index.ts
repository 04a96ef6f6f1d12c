export * from './event-log-kafka.adapter';
export * from './kafka-topics';
