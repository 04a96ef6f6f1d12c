export * from './oci-digest';
export * from './helm-oci';
