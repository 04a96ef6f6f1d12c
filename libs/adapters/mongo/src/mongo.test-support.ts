/**
 * For the MongoDB adapters' int tests: the MongoDB-wire endpoint the int project's globalSetup put in
 * WHARF_MONGO_URL, a fresh database name per test, and a shared client to inspect and drop it.
 */
import { MongoClient } from 'mongodb';
import { uniqueName } from '@wharf/testing';

export function mongoUrl(): string {
  const url = process.env.WHARF_MONGO_URL;
  if (!url) {
    throw new Error(
      'WHARF_MONGO_URL is not set: run through the jest "int" project, or `eval "$(deploy/local/backends.sh env)"`',
    );
  }
  return url;
}

/** A database name no other test uses (FerretDB's SQLite backend: at most 63 of [a-z0-9_-]). */
export function uniqueDatabase(prefix = 'wharf_metadata_'): string {
  return uniqueName(prefix);
}

let admin: MongoClient | undefined;

/** One client per test file, for inspection and cleanup; closed by `closeAdminClient`. */
export async function adminClient(): Promise<MongoClient> {
  admin ??= await new MongoClient(mongoUrl(), { serverSelectionTimeoutMS: 10_000 }).connect();
  return admin;
}

export async function dropDatabase(database: string): Promise<void> {
  await (await adminClient()).db(database).dropDatabase();
}

export async function closeAdminClient(): Promise<void> {
  const client = admin;
  admin = undefined;
  await client?.close();
}
