export * from './factories/chart-archive.factory';
export * from './decider-spec';
export * from './fakes';
export * from './contracts';
export * from './process-support';
export * from './factories/tar-corpus.factory';
export * from './metric-samples';
export * from './prometheus-text';
