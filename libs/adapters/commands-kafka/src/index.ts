export * from './kafka-command-bus';
