export * from './mongo-generations';
export * from './literal-pattern';
