export * from './open-sqlite';
export * from './sqlite-rebuild';
