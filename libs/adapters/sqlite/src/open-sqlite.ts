import Database from 'better-sqlite3';

/**
 * Opens an embedded store's SQLite file the way every embedded adapter wants it: WAL (readers
 * never block the writer), the given durability, and a busy timeout instead of instant
 * SQLITE_BUSY errors if a second process (a CLI, a test) opens the same file.
 */
export function openSqlite(path: string, synchronous: 'full' | 'normal'): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  return db;
}
