export * from './package.view';
export * from './package.events';
export * from './package.commands';
export * from './release-metadata';
export * from './package.decider';
export * from './package.summary';
export * from './package.search-document';
export * from './blob-references';
