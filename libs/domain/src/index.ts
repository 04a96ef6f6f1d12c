export * from './errors';
export * from './digest';
export * from './names';
export * from './semver';
export * from './media-types';
export * from './archive';
export * from './package';
