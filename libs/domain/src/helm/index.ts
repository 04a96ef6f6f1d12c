export * from './chart-versions';
export * from './chart-index-query';
export * from './provenance';
export * from './chart-upload';
