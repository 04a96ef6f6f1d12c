export * from './open-sqlite';
export * from './sqlite-outage';
export * from './sqlite-rebuild';
export * from './data-dir-lock';
