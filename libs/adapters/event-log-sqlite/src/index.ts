export * from './event-log-sqlite.adapter';
