export * from './mongo-connection';
export * from './mongo-generations';
export * from './mongo-outage';
export * from './literal-pattern';
