export * from './factories/chart-archive.factory';
