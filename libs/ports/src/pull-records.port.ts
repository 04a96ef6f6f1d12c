export const PULL_RECORDS = Symbol('PullRecords');

/** The last pull of one release (any media type) of a package. */
export interface PullRecord {
  /** `namespace/name`. */
  package: string;
  release: string;
  /** ISO 8601 instant. */
  pulledAt: string;
}

/** The last use of one API token (a user's or a robot's) to authenticate a request. */
export interface TokenUse {
  /** The token's account: a user, or a robot as `<org>+<robot>`. */
  account: string;
  tokenId: string;
  /** ISO 8601 instant. */
  usedAt: string;
}

/**
 * When each release was last pulled, for retention's "keep releases pulled within N days". Not
 * the event log and not the package view: a pull is not a change of the package, and writing
 * one per pull would put a write on every read. The gateways coalesce pulls in memory
 * (`PullRecorder`) and write each pulled release at most once per interval, so this store sees
 * one upsert per (package, release) pulled per interval, whatever the pull rate.
 *
 * Records outlive a deleted release (a release pushed again under that name starts with the old
 * time: retention then keeps it longer, never shorter). Precision is the writers' interval.
 *
 * Embedded: SQLite (`pulls.db`). Distributed: MongoDB, shared by every gateway.
 * When its engine cannot be reached, every method rejects with DependencyUnavailableError.
 */
export interface PullRecordStore {
  /**
   * Keeps, for each (package, release) given, the later of the stored time and the given one:
   * a time never moves back, so writers may race and batches may arrive out of order. The
   * same (package, release) twice in one call keeps the later. An empty list writes nothing.
   */
  record(pulls: readonly PullRecord[]): Promise<void>;
  /**
   * The last pull of every release of `packages` that was ever recorded, in no order; a
   * package with none contributes nothing. Exact names only: `a/b` is not `a/b-c`.
   */
  lastPulls(packages: readonly string[]): Promise<PullRecord[]>;
  /**
   * The instant (ISO 8601) this store began recording pulls: before it, no pull of any release
   * is known, so retention does not take the absence of a record for the absence of pulls.
   * Fixed when the store is first opened (for a store created before this method existed: the
   * first open by a version that has it, later than the true start, which only delays deletes)
   * and the same on every call and every open after, whatever is recorded.
   */
  recordedSince(): Promise<string>;
  /**
   * Token last use, for the token lists (API and UI), kept here for the same reason as pulls: a
   * request authenticated by a token is a read, not a change of the account, so the gateways
   * coalesce uses in memory (`TokenUseRecorder`) and write each used token at most once per
   * interval. Keeps, for each (account, tokenId), the later of the stored time and the given
   * one, exactly as `record`: writers may race, batches may arrive out of order, the same token
   * twice in one call keeps the later. An empty list writes nothing. A revoked token's record
   * stays (ids are random and never reused) and is simply never asked for.
   */
  recordTokenUses(uses: readonly TokenUse[]): Promise<void>;
  /**
   * The last use of every token of `accounts` that was ever recorded, in no order; an account
   * whose tokens were never used contributes nothing. Exact names only: `acme` is not `acme+ci`.
   */
  lastTokenUses(accounts: readonly string[]): Promise<TokenUse[]>;
  close(): Promise<void>;
}
