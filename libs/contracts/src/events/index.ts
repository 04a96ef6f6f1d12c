export * from './event-envelope';
export * from './event-registry';
export * from './deep-freeze';
