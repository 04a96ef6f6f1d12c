/**
 * How every Mongo adapter opens its connection: the options they share, checked before a socket
 * is opened, and a client that is closed again when connecting or the store's setup fails, so a
 * failed start leaves no pool and no monitor behind (the caller never saw the client, so nothing
 * else could close it).
 */
import { MongoClient } from 'mongodb';
import type { Db, MongoClientOptions } from 'mongodb';

export interface MongoConnectionOptions {
  /** A MongoDB connection string (MongoDB or FerretDB). */
  url: string;
  database: string;
  /** Prepended to the collection names, so several stores can share a database. Letters, digits, `_`, `-`. */
  collectionPrefix?: string;
  /** Extra MongoClient options (timeouts, pool size, TLS). */
  clientOptions?: MongoClientOptions;
}

/** What a store is built from: the connected client (which the store then owns), its database and the checked prefix. */
export interface MongoConnection {
  client: MongoClient;
  db: Db;
  prefix: string;
}

const PREFIX = /^[A-Za-z0-9_-]*$/;

/**
 * Checks the options (a prefix of letters, digits, `_` and `-`, so it cannot reach into another
 * store's collections; a database name), connects and hands the connection to `open`, which
 * builds and sets up the store. If connecting or `open` fails, the client is closed and the
 * error rethrown; on success the store owns the client.
 */
export async function connectMongo<T>(
  options: MongoConnectionOptions,
  open: (connection: MongoConnection) => Promise<T>,
): Promise<T> {
  const prefix = options.collectionPrefix ?? '';
  if (!PREFIX.test(prefix))
    throw new Error(`invalid collectionPrefix ${JSON.stringify(prefix)}: letters, digits, _ and - only`);
  if (!options.database) throw new Error('a database name is required');
  const client = new MongoClient(options.url, options.clientOptions);
  try {
    await client.connect();
    return await open({ client, db: client.db(options.database), prefix });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
}
