/**
 * Upload session ids that carry the session until it holds something: `<uuid>.<start>.<mac>`,
 * `<start>` the start time (ms, base 36) and `<mac>` an HMAC-SHA256 (first 16 bytes, base64url)
 * of the uuid, the start and the repository under a key every replica shares (kept in MongoDB,
 * `MongoUploadRecords.sessionIdKey`). So a POST stores nothing: a replica that finds no record of
 * an id it can verify knows the session is a new, empty one in that repository, started then.
 * An id edited by hand, or sent to another repository, fails the MAC and names no session.
 *
 * Ids of the earlier format (a bare uuid) are read too: such a session always has its records.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

const SIGNED =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([0-9a-z]{1,11})\.([A-Za-z0-9_-]{22})$/;
const LEGACY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What an id says: a signed one its start; an id of the earlier format only that it is one. */
export type ParsedSessionId = { signed: true; startedAt: Date } | { signed: false };

export class SessionIds {
  constructor(private readonly key: Buffer) {}

  /** A new id of a session started at `startedAt` in `repository`. */
  issue(repository: string, startedAt: Date): string {
    const body = `${randomUUID()}.${startedAt.getTime().toString(36)}`;
    return `${body}.${this.mac(body, repository).toString('base64url')}`;
  }

  /** What `id` says, when it is an id of a session of `repository`; null otherwise (malformed, forged, another repository's). */
  read(repository: string, id: string): ParsedSessionId | null {
    if (LEGACY.test(id)) return { signed: false };
    const match = SIGNED.exec(id);
    if (!match) return null;
    const [, uuid, start, mac] = match;
    // Compared as text: base64url's last character carries bits the bytes drop, so another
    // spelling of the same bytes would pass a comparison of the decoded MAC.
    const expected = Buffer.from(this.mac(`${uuid}.${start}`, repository).toString('base64url'));
    if (!timingSafeEqual(expected, Buffer.from(mac!))) return null;
    return { signed: true, startedAt: new Date(parseInt(start!, 36)) };
  }

  /** True for a string of either format (any repository's): what the stray sweep keeps when its session lives. */
  static isId(id: string): boolean {
    return LEGACY.test(id) || SIGNED.test(id);
  }

  private mac(body: string, repository: string): Buffer {
    return createHmac('sha256', this.key).update(`${body}\n${repository}`).digest().subarray(0, 16);
  }
}
