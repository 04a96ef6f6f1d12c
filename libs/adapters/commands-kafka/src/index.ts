export type { KafkaCommandBusOptions } from './kafka-command-bus';
export * from './kafka-command-client';
export * from './kafka-command-server';
export { commandTopics, ensureCommandTopics } from './kafka-command-topics';
