export * from './mongo-connection';
export * from './mongo-generations';
export * from './literal-pattern';
