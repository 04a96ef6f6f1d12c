import Database from 'better-sqlite3';

/** Where an embedded store keeps its SQLite file, and how durable each commit is. */
export interface SqliteFileOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** 'full' fsyncs every commit (survives power loss); 'normal' survives a crash of the process. */
  synchronous?: 'full' | 'normal';
}

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

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * A prepared statement for `sql` on `db`, prepared once and reused: preparing is a large part of
 * a small query's cost. Queries built at run time must keep user input in parameters, never in
 * `sql`, or this cache would grow without bound.
 */
export function prepared(db: Database.Database, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) cache.set(sql, (statement = db.prepare(sql)));
  return statement;
}
