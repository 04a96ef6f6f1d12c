export * from './metadata.module';
export * from './metadata-projector';
export * from './package-writer';
export * from './package-projection';
export * from './keyed-mutex';
export * from './chart-index-projection';
