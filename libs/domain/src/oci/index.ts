export * from './oci-digest';
export * from './helm-oci';
export * from './oci-scope';
export * from './oci-manifest';
export * from './oci-referrers';
export * from './byte-range';
